"""The answer given to a Netelip callback is kept in its own fields of the inbox row, no longer inside its
`headers` JSON: rows not yet applied keep what they were answered."""

import json

import frappe


def execute():
	rows = frappe.db.sql(
		"""select name, headers from `tabInbound Webhook` where provider = 'Netelip'
		and status not in ('Processed', 'Ignored') and headers like '%%"answer"%%'""",
		as_dict=True,
	)
	for row in rows:
		headers = json.loads(row.headers or "{}")
		answer = headers.pop("answer", None) or {}
		options = str(answer.get("options") or "").split(",")
		ring = options[2] if len(options) > 2 and options[2].isdigit() else None
		frappe.db.set_value(
			"Inbound Webhook",
			row.name,
			{
				"answer_command": answer.get("command"),
				"answer_line": options[0] if answer.get("command") == "dial" and options[0] else None,
				"answer_ring_seconds": int(ring) if ring else None,
				"headers": json.dumps(headers),
			},
			update_modified=False,
		)

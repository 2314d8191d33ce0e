"""What the bench tier left on its site: run after it on a fresh site, where it must find nothing.

	bench --site <site> execute xappiens_whatsapp.bench_tests.leftovers.check

Fails (raises) listing the rows that remain in the app's tables, and the ToDos, comments, notifications and
files that still refer to them or to rows already gone."""

import frappe

from xappiens_whatsapp.testing import references

TABLES = (
	"WhatsApp Session",
	"WhatsApp Contact",
	"WhatsApp Message",
	"WhatsApp Note",
	"Inbound Webhook",
	"Netelip Call",
	"Webhook Rejection",
	"Status Count",
	"Webhook Lag",
)
# What the clean-ups remove with a row, and its attachments.
REFERRING = (
	*((doctype, type_field) for doctype, type_field, _ in references.REFERRING),
	("File", "attached_to_doctype"),
)


def found() -> dict[str, int]:
	left = {doctype: frappe.db.count(doctype) for doctype in TABLES}
	for doctype in TABLES:
		for referring, field in REFERRING:
			left[f"{referring} of {doctype}"] = frappe.db.count(referring, {field: doctype})
		left[f"Deleted Document of {doctype}"] = frappe.db.count(
			"Deleted Document", {"deleted_doctype": doctype}
		)
	return {name: count for name, count in left.items() if count}


def check() -> None:
	left = found()
	if left:
		raise AssertionError(f"the tests left rows behind: {left}")
	print("the tests left nothing behind in the app's tables")

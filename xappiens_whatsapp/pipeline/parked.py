"""Events parked (Waiting) for the messages a drain's group is about, read once for the whole group.

Every new message asks which events wait for it. A group's rows are applied under their messages' locks, and
only a holder of a message's lock parks an event for it, so one read at the start of the group (in a snapshot
begun once the locks were taken), plus what the group itself parks, answers for all of them: one query instead
of one per message.
"""

import frappe

DOCTYPE = "Inbound Webhook"


def read_for_group(rows: list) -> None:
	"""Read the parked events of the rows' keys. The caller holds their locks until its commit, and took them
	before this transaction's snapshot began."""
	pairs = list(
		{(row.session_id, row.reference_key) for row in rows if row.session_id and row.reference_key}
	)
	known = {pair: [] for pair in pairs}
	if pairs:
		# One select per message, as wake_waiting makes it, sent as one statement; each tells which message it
		# is for (the database compares text more loosely than Python does).
		part = f"""(select %s as i, name, creation from `tab{DOCTYPE}`
			where status = 'Waiting' and session_id = %s and reference_key = %s)"""
		found = frappe.db.sql(
			" union all ".join([part] * len(pairs)),
			[value for i, pair in enumerate(pairs) for value in (i, *pair)],
		)
		for i, name, _ in sorted(found, key=lambda row: row[2]):
			known[pairs[i]].append(name)
	frappe.local.xw_parked = known


def parked(row) -> None:
	"""The group has just parked `row`: a later message of the group wakes it too."""
	known = getattr(frappe.local, "xw_parked", None)
	if known is not None and (row.session_id, row.reference_key) in known:
		known[(row.session_id, row.reference_key)].append(row.name)


def take(session: str, reference_key: str) -> list[str] | None:
	"""The events parked for this message, if the group knows (they are then the caller's to apply)."""
	known = getattr(frappe.local, "xw_parked", None)
	if known is None or (session, reference_key) not in known:
		return None
	names, known[(session, reference_key)] = known[(session, reference_key)], []
	return names


def forget() -> None:
	frappe.local.xw_parked = None

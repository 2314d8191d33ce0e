"""Pages of one conversation's messages, read along the index on (contact, message_timestamp, creation).

A page is the `limit` messages just before a cursor (keyset paging), never an OFFSET: a deep page costs what the
first one does. The conditions are written on the bare columns (no ifnull/coalesce, which Frappe's list query adds
to range filters) so MariaDB walks the index backwards from the cursor and stops after `limit` rows.

Callers check that the user may read the conversation; its messages are those of its own session, which is
what the row-level rule on WhatsApp Message allows, so the session is part of every query.
"""

import frappe

ORDER = "`message_timestamp` desc, `creation` desc, `name` desc"


def _columns(fields: list[str]) -> str:
	# Field names come from the caller's constants, never from a request.
	return ", ".join(f"`{f}`" for f in fields)


def _newest(fields: list[str], values: dict, after: str) -> list[dict]:
	"""The conversation's newest `limit` messages that meet the condition `after` (built here, never from input)."""
	return frappe.db.sql(
		f"""select {_columns(fields)} from `tabWhatsApp Message`
		where `contact` = %(contact)s and `session` = %(session)s {after}
		order by {ORDER} limit %(limit)s""",
		values,
		as_dict=True,
	)


def thread_page(contact: str, session: str, fields: list[str], limit: int, anchor: dict | None) -> list[dict]:
	"""Newest first: the messages older than `anchor` (a row with name, message_timestamp, creation) in the
	thread's order, or the newest ones without an anchor."""
	values = {"contact": contact, "session": session, "limit": int(limit)}
	after = ""
	if anchor:
		values.update(t=anchor.message_timestamp or anchor.creation, c=anchor.creation, n=anchor.name)
		# (time, creation, name) < the anchor's, with the range on the time alone for the index.
		after = (
			"and `message_timestamp` <= %(t)s and (`message_timestamp` < %(t)s or `creation` < %(c)s"
			" or (`creation` = %(c)s and `name` < %(n)s))"
		)
	return _newest(fields, values, after)


def before_time(contact: str, session: str, fields: list[str], limit: int, before=None) -> list[dict]:
	"""Newest first: the conversation's `limit` messages strictly before the time `before` (all if None)."""
	values = {"contact": contact, "session": session, "limit": int(limit), "before": before}
	after = "and `message_timestamp` < %(before)s" if before else ""
	return _newest(fields, values, after)

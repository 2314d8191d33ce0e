"""Finding a conversation by name, number or text without reading every conversation.

`LIKE '%…%'` over all conversations reads the whole table for each keystroke. Instead:
- a name or a number is matched from its start, on indexed columns (display name, phone in E.164, chat id), over
  every conversation: each of those reads only the index range of its prefix, at most a page of it;
- any part of a name, number or the last message's text is matched within the RECENT most recently active
  conversations only (a range of the index on last_message_at).
The results are merged and shown most recent first. Every read goes through frappe.get_list, so the row-level rules
apply as for the inbox itself.
"""

from datetime import datetime

import frappe

from xappiens_whatsapp.core.phones import search_prefixes
from xappiens_whatsapp.pipeline import settings

RECENT = 1000
ORDER = "last_message_at desc, name desc"


def _like_prefix(term: str) -> str:
	# Frappe's list query passes % through as a wildcard: one typed inside the term would start the match anywhere.
	return term.replace("%", "") + "%"


def _recent_since(filters: list) -> str | None:
	"""The last activity of the RECENT-th most recent conversation (None when there are fewer)."""
	rows = frappe.get_list(
		"WhatsApp Contact",
		filters=[*filters, ["last_message_at", "is", "set"]],
		fields=["last_message_at"],
		order_by=ORDER,
		limit_start=RECENT - 1,
		page_length=1,
		as_list=True,
	)
	return rows[0][0] if rows else None


def find(term: str, filters: list, fields: list[str], start: int, page_length: int) -> list[dict]:
	term = term.strip()
	wanted = start + page_length
	found: dict[str, dict] = {}

	def read(extra: list, order_by: str, or_filters=None):
		for row in frappe.get_list(
			"WhatsApp Contact",
			filters=filters + extra,
			or_filters=or_filters,
			fields=fields,
			order_by=order_by,
			page_length=wanted,
		):
			found.setdefault(row.name, row)

	if not term.replace("%", ""):
		return []
	prefixes = [["display_name", _like_prefix(term)], ["whatsapp_id", _like_prefix(term)]]
	prefixes += [["phone", _like_prefix(p)] for p in search_prefixes(term, settings.default_region())]
	for column, pattern in prefixes:
		read([[column, "like", pattern]], f"{column} asc")

	since = _recent_since(filters)
	substring = f"%{term}%"
	read(
		[["last_message_at", ">=", since]] if since else [],
		ORDER,
		or_filters=[
			[column, "like", substring]
			for column in ("display_name", "phone", "whatsapp_id", "last_message_preview")
		],
	)
	rows = sorted(
		found.values(),
		key=lambda r: (r.last_message_at is not None, r.last_message_at or datetime.min, r.name),
	)
	rows.reverse()
	return rows[start:wanted]

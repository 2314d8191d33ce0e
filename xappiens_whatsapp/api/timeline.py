"""One timeline per person: their WhatsApp messages and their calls, newest last, as the agent may see them."""

from datetime import datetime

import frappe

from xappiens_whatsapp.api.calls import CALL_FIELDS
from xappiens_whatsapp.api.conversations import MESSAGE_FIELDS, _shape
from xappiens_whatsapp.pipeline import crm_links, settings

MAX = 200


def _people(doctype: str, name: str) -> tuple[list[str], set[str], str | None]:
	"""(WhatsApp conversations, phone numbers, CRM Contact) of the person behind a record."""
	if doctype == "WhatsApp Contact":
		row = frappe.db.get_value("WhatsApp Contact", name, ["phone", "contact"], as_dict=True)
		return [name], {row.phone} if row.phone else set(), row.contact
	if doctype == "Contact":
		conversations = frappe.get_list("WhatsApp Contact", filters={"contact": name}, pluck="name")
		return conversations, crm_links.contact_phones(name, settings.default_region()), name
	raise frappe.ValidationError(f"no timeline for {doctype}")


@frappe.whitelist()
def get_timeline(doctype: str, name: str, limit: int = 50, before: str | None = None) -> list[dict]:
	if not frappe.has_permission(doctype, "read", doc=name):
		raise frappe.PermissionError
	limit = min(max(int(limit), 1), MAX)
	conversations, phones, contact = _people(doctype, name)
	messages = []
	if conversations:
		filters = [["contact", "in", conversations]]
		if before:
			filters.append(["message_timestamp", "<", before])
		messages = frappe.get_list(
			"WhatsApp Message",
			filters=filters,
			fields=MESSAGE_FIELDS,
			order_by="message_timestamp desc",
			page_length=limit,
		)
	# Only conditions that name this person: `in [""]` would match every call without a conversation.
	or_filters = [["whatsapp_contact", "in", conversations]] if conversations else []
	if phones:
		or_filters.append(["customer_number", "in", list(phones)])
	if contact:
		or_filters.append(["contact", "=", contact])
	call_filters = [["started_at", "<", before]] if before else []
	calls = frappe.get_list(
		"Netelip Call",
		filters=call_filters,
		or_filters=or_filters,
		fields=CALL_FIELDS,
		order_by="started_at desc",
		page_length=limit,
	)
	entries = [
		{"kind": "message", **m}
		for session_rows in _by_session(messages)
		for m in _shape(session_rows, session_rows[0].session)
	]
	entries += [{"kind": "call", "time": c.started_at, **c} for c in calls]
	entries.sort(key=lambda e: frappe.utils.get_datetime(e["time"]) if e["time"] else datetime.min)
	return entries[-limit:]


def _by_session(rows: list[dict]) -> list[list[dict]]:
	groups: dict[str, list[dict]] = {}
	for row in rows:
		groups.setdefault(row.session, []).append(row)
	return list(groups.values())

"""One timeline per person: their WhatsApp messages and their calls, newest last, as the agent may see them."""

from datetime import datetime

import frappe

from xappiens_whatsapp.api import message_pages
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
	entries = [
		{"kind": "message", **m}
		for rows in _messages(conversations, limit, before)
		for m in _shape(rows, rows[0].contact)
	]
	entries += [
		{"kind": "call", "time": c.started_at, **c}
		for c in _calls(conversations, phones, contact, limit, before)
	]
	entries.sort(key=lambda e: frappe.utils.get_datetime(e["time"]) if e["time"] else datetime.min)
	return entries[-limit:]


def _messages(conversations: list[str], limit: int, before: str | None) -> list[list[dict]]:
	"""Each conversation's newest `limit` messages before `before`, one index range per conversation (one query
	for several would sort all their messages)."""
	sessions = (
		dict(
			frappe.get_all(
				"WhatsApp Contact", {"name": ["in", conversations]}, ["name", "session"], as_list=True
			)
		)
		if conversations
		else {}
	)
	pages = [
		message_pages.before_time(conversation, sessions[conversation], MESSAGE_FIELDS, limit, before)
		for conversation in conversations
		if conversation in sessions
	]
	return [page for page in pages if page]


def _calls(conversations: list[str], phones: set[str], contact: str | None, limit: int, before) -> list[dict]:
	"""The calls linked to the person by any of three columns, newest first: one indexed query per column
	((column, started_at) indexes), merged here, since an OR across columns would scan every call."""
	criteria = [["whatsapp_contact", "in", conversations]] if conversations else []
	if phones:
		criteria.append(["customer_number", "in", sorted(phones)])
	if contact:
		criteria.append(["contact", "=", contact])
	found = {}
	for criterion in criteria:
		filters = [criterion] + ([["started_at", "<", before]] if before else [])
		for call in frappe.get_list(
			"Netelip Call",
			filters=filters,
			fields=CALL_FIELDS,
			order_by="started_at desc",
			page_length=limit,
			ignore_ifnull=True,
		):
			found[call.name] = call
	newest = sorted(found.values(), key=lambda c: c.started_at or datetime.min, reverse=True)
	return newest[:limit]

"""Quick replies in the composer: the ones this agent may use in a conversation, and one filled in for it."""

import frappe
from frappe import _

from xappiens_whatsapp.core.quick_replies import render, split_name
from xappiens_whatsapp.permissions import can_use_session

DOCTYPE = "WhatsApp Quick Reply"


def _conversation(contact: str) -> dict:
	row = frappe.db.get_value(
		"WhatsApp Contact", contact, ["name", "session", "display_name", "phone", "contact"], as_dict=True
	)
	if not row or not frappe.has_permission("WhatsApp Contact", "read", doc=contact):
		raise frappe.PermissionError(_("Not permitted"))
	if not can_use_session(row.session):
		raise frappe.PermissionError(_("Not permitted"))
	return row


@frappe.whitelist()
def search(contact: str, text: str | None = None, limit: int = 20) -> list[dict]:
	"""Replies for this conversation's number (or every number) whose shortcut or title contains `text`."""
	row = _conversation(contact)
	filters = [["session", "in", ["", row.session]]]
	or_filters = None
	if text and text.strip():
		term = f"%{text.strip()}%"
		or_filters = [["shortcut", "like", term], ["title", "like", term]]
	# "" in the list also matches replies without a number (Frappe compares ifnull(session, '')).
	replies = frappe.get_list(
		DOCTYPE,
		filters=filters,
		or_filters=or_filters,
		fields=["name", "title", "shortcut", "text", "attachment", "visibility", "session"],
		order_by="shortcut asc, title asc",
		page_length=min(max(int(limit), 1), 50),
	)
	for reply in replies:
		reply["preview"] = (reply.pop("text") or "")[:120]
	return replies


def values_for(row: dict, user: str) -> dict:
	crm = (
		frappe.db.get_value("Contact", row.contact, ["first_name", "last_name"], as_dict=True)
		if row.contact
		else None
	)
	first, last = split_name(row.display_name)
	agent = frappe.db.get_value("User", user, ["first_name", "full_name", "email"], as_dict=True) or {}
	return {
		"first_name": (crm and crm.first_name) or first,
		"last_name": (crm and crm.last_name) or last,
		"full_name": row.display_name,
		"phone": row.phone,
		"agent_first_name": agent.get("first_name"),
		"agent_name": agent.get("full_name"),
		"agent_email": agent.get("email"),
	}


@frappe.whitelist()
def expand(name: str, contact: str) -> dict:
	"""The reply's text with the conversation's and this agent's fields filled in, and its attachment."""
	row = _conversation(contact)
	if not frappe.has_permission(DOCTYPE, "read", doc=name):
		raise frappe.PermissionError(_("Not permitted"))
	reply = frappe.db.get_value(DOCTYPE, name, ["text", "attachment", "session", "title"], as_dict=True)
	if reply.session and reply.session != row.session:
		frappe.throw(_("This quick reply is for another WhatsApp number."))
	file_name = None
	if reply.attachment:
		file_name = frappe.db.get_value("File", {"file_url": reply.attachment}, "file_name")
	return {
		"text": render(reply.text, values_for(row, frappe.session.user)),
		"attachment": reply.attachment,
		"attachment_name": file_name or (reply.attachment or "").rsplit("/", 1)[-1] or None,
	}

"""Frappe CRM's WhatsApp tab on a Lead or Deal, served by this app (hooks.py, `override_whitelisted_methods`).

CRM's own methods were written for another WhatsApp app whose doctypes share our names. Here the tab shows the
conversations with the record's numbers that the user may read, and sends through this app's queue with this
app's permissions: the user must read the record and be allowed to send from the conversation's number."""

import frappe
from frappe import _

from xappiens_whatsapp.api import messages as sending
from xappiens_whatsapp.api.conversations import MESSAGE_FIELDS
from xappiens_whatsapp.core.phones import to_e164
from xappiens_whatsapp.permissions import allowed_sessions, can_use_session, is_manager
from xappiens_whatsapp.pipeline import settings
from xappiens_whatsapp.pipeline.crm import RECORD_DOCTYPES, records, thread


def _check_record(doctype: str, name: str) -> None:
	if doctype not in RECORD_DOCTYPES:
		frappe.throw(_("WhatsApp is shown on Leads and Deals only"))
	if not frappe.has_permission(doctype, "read", doc=name):
		raise frappe.PermissionError(_("Not permitted"))


@frappe.whitelist()
def is_whatsapp_installed() -> bool:
	return True


@frappe.whitelist()
def is_whatsapp_enabled() -> bool:
	"""The tab shows for users who may send from at least one number."""
	if frappe.session.user == "Guest":
		return False
	if is_manager():
		return bool(frappe.db.count("WhatsApp Session"))
	return bool(allowed_sessions())


@frappe.whitelist()
def get_whatsapp_messages(reference_doctype: str, reference_name: str) -> list[dict]:
	_check_record(reference_doctype, reference_name)
	conversations = {c.name: c for c in records.conversations_for(reference_doctype, reference_name)}
	if not conversations:
		return []
	rows = frappe.get_list(
		"WhatsApp Message",
		filters={"contact": ["in", list(conversations)], "message_type": ["!=", "reaction"]},
		fields=MESSAGE_FIELDS,  # the desk thread's fields: the tab draws a subset
		order_by="message_timestamp desc, creation desc",
		page_length=thread.MAX_MESSAGES,
	)
	rows.reverse()
	return thread.shape(rows, conversations, (reference_doctype, reference_name))


def _target(reference_doctype: str, reference_name: str, to: str | None) -> dict:
	"""Where a new message of this record goes: its latest conversation on a number the user may send from
	(with the number asked for, when it is one of the record's), else a new one on the user's number."""
	phones = records.record_phones(reference_doctype, reference_name)
	wanted = to_e164(to, settings.default_region()) if to else None
	if wanted and wanted not in phones:
		frappe.throw(_("{0} is not a number of {1}").format(frappe.bold(to), reference_name))
	phone = wanted or (phones[0] if phones else None)
	if not phone:
		frappe.throw(_("{0} has no phone number to write to").format(reference_name))
	for conversation in records.conversations_for(reference_doctype, reference_name):
		if conversation.phone == phone and can_use_session(conversation.session):
			return {"contact": conversation.name}
	if not (is_manager() or allowed_sessions()):
		raise frappe.PermissionError(_("You are not on any WhatsApp number"))
	return {"phone": phone}


@frappe.whitelist(methods=["POST"])
def create_whatsapp_message(
	reference_doctype: str,
	reference_name: str,
	message: str | None = None,
	to: str | None = None,
	attach: str | None = None,
	reply_to: str | None = None,
	content_type: str | None = "text",
) -> str:
	_check_record(reference_doctype, reference_name)
	quoted = None
	if reply_to:
		row = frappe.db.get_value("WhatsApp Message", reply_to, ["contact", "message_id"], as_dict=True)
		mine = {c.name for c in records.conversations_for(reference_doctype, reference_name)}
		if not row or row.contact not in mine:
			raise frappe.PermissionError(_("Not permitted"))
		target, quoted = {"contact": row.contact}, row.message_id
	else:
		target = _target(reference_doctype, reference_name, to)
	if attach:
		result = sending.send_file(file_url=attach, caption=message, **target)
	else:
		result = sending.send_message(text=message or "", quoted_message_id=quoted, **target)
	return result["name"]


@frappe.whitelist(methods=["POST"])
def react_on_whatsapp_message(emoji: str | None = None, reply_to_name: str | None = None):
	frappe.throw(_("Reactions cannot be sent from here: the WhatsApp gateway does not offer it"))


@frappe.whitelist(methods=["POST"])
def send_whatsapp_template(
	reference_doctype: str | None = None,
	reference_name: str | None = None,
	template: str | None = None,
	to: str | None = None,
):
	frappe.throw(
		_("WhatsApp templates belong to the WhatsApp Business API; this number is linked as a device")
	)

"""Agents send from the desk. Checks happen here, synchronously, with clear messages; the sending itself is a
background job (pipeline/outbound.py), so the desk never waits on the gateway."""

import frappe
from frappe import _

from xappiens_whatsapp.clients.inbox_hub import MAX_MEDIA_BYTES, MAX_TEXT_UNITS, utf16_length
from xappiens_whatsapp.core.jid import user_jid
from xappiens_whatsapp.core.phones import digits, to_e164
from xappiens_whatsapp.permissions import allowed_sessions, can_use_session, can_write_from, is_manager
from xappiens_whatsapp.pipeline import settings
from xappiens_whatsapp.pipeline.whatsapp import contacts, outbound

UNUSABLE = ("Disconnected", "QR Code Required", "Error")


def _default_session() -> str:
	sessions = frappe.get_all("WhatsApp Session", filters={"is_default": 1}, pluck="name")
	usable = sessions if is_manager() else [s for s in sessions if s in allowed_sessions()]
	if usable:
		return usable[0]
	mine = frappe.get_all("WhatsApp Session", pluck="name") if is_manager() else allowed_sessions()
	if len(mine) == 1:
		return mine[0]
	frappe.throw(_("Choose the WhatsApp number to send from"))


def resolve_target(contact: str | None, phone: str | None, session: str | None) -> tuple[str, str]:
	"""(session, conversation) for a reply to a conversation or a first message to a phone number."""
	if contact:
		session = frappe.db.get_value("WhatsApp Contact", contact, "session")
		if not can_write_from("WhatsApp Contact", contact, session):
			raise frappe.PermissionError(_("You cannot write in this conversation"))
	elif phone:
		e164 = to_e164(phone, settings.default_region())
		if not e164:
			frappe.throw(_("{0} is not a valid phone number").format(frappe.bold(phone)))
		session = session or _default_session()
		if not frappe.db.exists("WhatsApp Session", session):
			frappe.throw(_("WhatsApp number {0} does not exist").format(session))
		if not can_use_session(session):
			raise frappe.PermissionError(_("You are not allowed to send from {0}").format(session))
		contact = contacts.resolve(session, user_jid(digits(e164)))
	else:
		frappe.throw(_("Say who the message is for"))

	status = frappe.db.get_value("WhatsApp Session", session, "status")
	if status in UNUSABLE:
		frappe.throw(
			_("WhatsApp number {0} is not connected ({1}). Ask a manager to reconnect it.").format(
				frappe.bold(session), _(status)
			),
			title=_("Not connected"),
		)
	return session, contact


def _result(name: str) -> dict:
	# A locking read: the row may be another request's (the same client reference, committed a moment ago).
	return frappe.db.get_value(
		"WhatsApp Message",
		name,
		["name", "contact", "status", "client_ref", "message_timestamp"],
		as_dict=True,
		for_update=True,
	)


@frappe.whitelist(methods=["POST"])
def send_message(
	text: str,
	contact: str | None = None,
	phone: str | None = None,
	session: str | None = None,
	client_ref: str | None = None,
	quoted_message_id: str | None = None,
) -> dict:
	text = (text or "").strip()
	if not text:
		frappe.throw(_("Write something to send"))
	# Counted as the gateway counts (UTF-16 units: an emoji is two), so the limit is met here, not later.
	if utf16_length(text) > MAX_TEXT_UNITS:
		frappe.throw(_("A WhatsApp message can have at most {0} characters").format(MAX_TEXT_UNITS))
	session, contact = resolve_target(contact, phone, session)
	# A quote names a message of this conversation: another chat's ids never reach this one.
	if quoted_message_id and not frappe.db.sql(
		"""select 1 from `tabWhatsApp Message` where contact = %s and message_id = %s
		and binary message_id = %s limit 1""",
		(contact, quoted_message_id, quoted_message_id),
	):
		frappe.throw(_("The message to quote is not in this conversation"))
	name = outbound.create(
		session=session,
		contact=contact,
		text=text,
		quoted_message_id=quoted_message_id,
		client_ref=client_ref,
	)
	return _result(name)


@frappe.whitelist(methods=["POST"])
def send_file(
	file_url: str,
	contact: str | None = None,
	phone: str | None = None,
	session: str | None = None,
	caption: str | None = None,
	client_ref: str | None = None,
) -> dict:
	# Identical uploads share one stored file, so several File records can carry this URL: any one the
	# agent may read will do.
	candidates = frappe.get_all("File", filters={"file_url": file_url}, fields=["name", "file_size"])
	file = next((f for f in candidates if frappe.has_permission("File", "read", doc=f.name)), None)
	if not file:
		frappe.throw(_("File not found"))
	limit_mb = min(
		settings.int_setting(settings.whatsapp(), "max_file_mb", 16, minimum=1), MAX_MEDIA_BYTES // 2**20
	)
	if (file.file_size or 0) > limit_mb * 1024 * 1024:
		frappe.throw(
			_("The file is {0} MB; WhatsApp files can be at most {1} MB").format(
				round(file.file_size / 1024 / 1024, 1), limit_mb
			),
			title=_("File too large"),
		)
	session, contact = resolve_target(contact, phone, session)
	name = outbound.create(
		session=session,
		contact=contact,
		text=(caption or "").strip() or None,
		file_url=file_url,
		client_ref=client_ref,
	)
	return _result(name)


@frappe.whitelist(methods=["POST"])
def retry_message(message: str) -> dict:
	row = frappe.db.get_value(
		"WhatsApp Message", message, ["name", "session", "from_me", "status"], as_dict=True
	)
	if not row or not frappe.has_permission("WhatsApp Message", "read", doc=message):
		raise frappe.PermissionError
	if not can_use_session(row.session):
		raise frappe.PermissionError(_("You are not allowed to send from {0}").format(row.session))
	if not row.from_me or row.status != "Failed":
		frappe.throw(_("Only a failed message can be sent again"))
	outbound.retry(message)
	return _result(message)

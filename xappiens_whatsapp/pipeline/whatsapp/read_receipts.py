"""Reading a conversation in the desk: the badge clears at once, the phone is told in the background."""

import frappe
from frappe.utils import now_datetime

from xappiens_whatsapp.clients.errors import ProviderError
from xappiens_whatsapp.pipeline import realtime
from xappiens_whatsapp.pipeline.background import once_after_commit
from xappiens_whatsapp.pipeline.whatsapp.gateway import inbox_hub


def mark_conversation_read(contact: str) -> dict:
	row = frappe.db.get_value(
		"WhatsApp Contact", contact, ["session", "whatsapp_id", "unread_count"], as_dict=True
	)
	now = now_datetime()
	frappe.db.set_value(
		"WhatsApp Contact", contact, {"unread_count": 0, "last_read_at": now}, update_modified=False
	)
	frappe.db.sql(
		"""update `tabWhatsApp Message` set status='Read', read_at=%s
		where contact=%s and from_me=0 and status='Delivered'""",
		(now, contact),
	)
	realtime.conversation_changed(row.session, contact)
	if row.unread_count:
		once_after_commit(
			"xappiens_whatsapp.pipeline.whatsapp.read_receipts.tell_gateway",
			f"xw-read-{contact}",
			session=row.session,
			chat_id=row.whatsapp_id,
		)
	return {"contact": contact, "unread_count": 0}


def tell_gateway(session: str, chat_id: str) -> None:
	"""Blue ticks on the customer's phone. Best effort: a failure here changes nothing in the CRM."""
	try:
		with inbox_hub() as client:
			client.mark_chat_read(session, chat_id)
	except (ProviderError, frappe.ValidationError):
		frappe.logger("xappiens_whatsapp").info(
			f"could not mark {chat_id} read on the gateway", exc_info=True
		)

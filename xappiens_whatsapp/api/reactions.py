"""Agents react to a message with an emoji, or take their reaction away."""

import frappe
from frappe import _

from xappiens_whatsapp.permissions import can_use_session
from xappiens_whatsapp.pipeline.whatsapp import reactions_out


@frappe.whitelist(methods=["POST"])
def react(message: str, emoji: str = "") -> dict:
	session = frappe.db.get_value("WhatsApp Message", message, "session")
	# Reading a message (which a share can grant) is not enough to react from its number.
	if not (
		session
		and frappe.has_permission("WhatsApp Message", "read", doc=message)
		and can_use_session(session)
	):
		raise frappe.PermissionError(_("Not permitted"))
	return reactions_out.react(message, emoji)

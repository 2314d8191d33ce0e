"""Agents react to a message with an emoji, or take their reaction away."""

import frappe
from frappe import _

from xappiens_whatsapp.permissions import can_write_from
from xappiens_whatsapp.pipeline.whatsapp import reactions_out


@frappe.whitelist(methods=["POST"])
def react(message: str, emoji: str = "") -> dict:
	session = frappe.db.get_value("WhatsApp Message", message, "session")
	if not can_write_from("WhatsApp Message", message, session):
		raise frappe.PermissionError(_("Not permitted"))
	return reactions_out.react(message, emoji)

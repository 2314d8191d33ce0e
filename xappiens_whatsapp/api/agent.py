"""The signed-in agent's own switches and counters: available for new conversations, which notifications they
muted, that they are in the desk (so the bell waits), and what waits for them (for the tab title)."""

import frappe

from xappiens_whatsapp.pipeline.whatsapp import agents


@frappe.whitelist()
def get_status() -> dict:
	return {"preferences": agents.preferences(frappe.session.user), "unread": unread_summary()}


@frappe.whitelist(methods=["POST"])
def set_preferences(
	available: bool | None = None,
	mute_toasts: bool | None = None,
	mute_tab_title: bool | None = None,
	mute_bell: bool | None = None,
) -> dict:
	values = {
		"available": available,
		"mute_toasts": mute_toasts,
		"mute_tab_title": mute_tab_title,
		"mute_bell": mute_bell,
	}
	return agents.update_preferences(frappe.session.user, {k: v for k, v in values.items() if v is not None})


@frappe.whitelist(methods=["POST"])
def heartbeat(leaving: bool = False) -> dict:
	"""The desk is open (every 45 s), or closing (`leaving`): bells wait while an agent is here."""
	if frappe.utils.sbool(leaving):
		agents.mark_offline(frappe.session.user)
		return {}
	agents.mark_online(frappe.session.user)
	return {"unread": unread_summary()}


@frappe.whitelist()
def attention(contact: str) -> dict:
	"""What the desk-wide toast shows for a customer's new message, with the agent's new count, in one read."""
	if not frappe.has_permission("WhatsApp Contact", "read", doc=contact):
		raise frappe.PermissionError
	conversation = frappe.db.get_value(
		"WhatsApp Contact", contact, ["name", "display_name", "phone", "whatsapp_id"], as_dict=True
	)
	return {"conversation": conversation, "unread": unread_summary()}


def unread_summary(user: str | None = None) -> dict:
	"""Conversations with unread customer messages that are the user's to answer: their own, and the unassigned
	ones of their numbers. Two index-backed reads (owner; number)."""
	user = user or frappe.session.user
	mine = frappe.db.sql(
		"""select count(*), coalesce(sum(unread_count), 0) from `tabWhatsApp Contact`
		where assigned_to = %s and unread_count > 0""",
		(user,),
	)[0]
	unassigned = frappe.db.sql(
		"""select count(*), coalesce(sum(c.unread_count), 0) from `tabWhatsApp Contact` c
		where c.session in (select parent from `tabWhatsApp Session User` where user = %s
			and parenttype = 'WhatsApp Session' and parentfield = 'allowed_users')
			and c.assigned_to is null and c.unread_count > 0""",
		(user,),
	)[0]
	return {"conversations": int(mine[0] + unassigned[0]), "messages": int(mine[1] + unassigned[1])}

"""A customer's new message reaches the agents it is for, wherever they are in the desk: its owner, or when
nobody owns the conversation, the agents of its number. The desk shows a toast and counts it in the tab title;
an agent away from the desk gets one bell notification per conversation and burst (until they read it)."""

import frappe
from frappe import _
from frappe.utils import escape_html

from xappiens_whatsapp.pipeline import realtime
from xappiens_whatsapp.pipeline.whatsapp import agents, ownership
from xappiens_whatsapp.pipeline.whatsapp.ownership import session_agents

DOCTYPE = "WhatsApp Contact"
BURST_SECONDS = 6 * 3600  # a bell waits this long for the agent to read the conversation before another


def customer_message_stored(session: str, contact: str, message: str, at) -> None:
	"""The pipeline stored a customer's new message: ownership and state rules first, then who hears of it."""
	owner = ownership.customer_wrote(session, contact, at)
	customer_message(session, contact, message, owner)


def audience(session: str, owner: str | None) -> list[str]:
	return [owner] if owner else session_agents(session)


def customer_message(session: str, contact: str, message: str, owner: str | None) -> list[str]:
	users = audience(session, owner)
	for user in users:
		frappe.publish_realtime(
			realtime.ATTENTION,
			{"contact": contact, "session": session, "message": message},
			user=user,
			after_commit=True,
		)
	away = [u for u in users if not agents.is_online(u) and not agents.preferences(u)["mute_bell"]]
	if away:
		_ring(contact, [u for u in away if _first_of_burst(u, contact)])
	return users


def _burst_key(user: str, contact: str) -> str:
	return frappe.cache.make_key(f"xw:bell:{user}:{contact}")


def _first_of_burst(user: str, contact: str) -> bool:
	"""Atomic across workers: only the message that starts a burst rings."""
	return bool(frappe.cache.set(_burst_key(user, contact), 1, ex=BURST_SECONDS, nx=True))


def read(user: str, contact: str) -> None:
	"""The agent read the conversation: the next message starts a new burst."""
	frappe.cache.delete(_burst_key(user, contact))


def _ring(contact: str, users: list[str]) -> None:
	if not users:
		return
	name = frappe.db.get_value(DOCTYPE, contact, "display_name") or ""
	# The bell shows its subject as HTML: the customer's name goes in as text.
	subject = escape_html(_("New WhatsApp message from {0}").format(name))
	for user in users:
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"type": "Alert",
				"document_type": DOCTYPE,
				"document_name": contact,
				"subject": subject,
			}
		).insert(ignore_permissions=True)

"""Agents' endpoints for owning conversations: take one, hand one on, change its state, and the queues' counts.

An agent acts only on conversations of the numbers they are listed on. Anyone of the number may take an
unassigned conversation; only its owner and managers hand it to someone else or take it from its owner."""

import frappe
from frappe import _
from frappe.utils import add_to_date, now_datetime

from xappiens_whatsapp.permissions import can_use_session, is_manager
from xappiens_whatsapp.pipeline.whatsapp import ownership

DOCTYPE = "WhatsApp Contact"


def _conversation(contact: str) -> dict:
	"""The conversation, if this user works on its number (managers on every number)."""
	row = frappe.db.get_value(DOCTYPE, contact, ["name", "session", "assigned_to"], as_dict=True)
	if not row or not frappe.has_permission(DOCTYPE, "read", doc=contact) or not can_use_session(row.session):
		raise frappe.PermissionError(_("Not permitted"))
	return row


def _may_hand_on(row: dict) -> bool:
	return is_manager() or row.assigned_to == frappe.session.user


def _result(contact: str) -> dict:
	return frappe.db.get_value(
		DOCTYPE, contact, ["name", "assigned_to", "conversation_state", "snoozed_until"], as_dict=True
	)


@frappe.whitelist(methods=["POST"])
def assign_to_me(contact: str) -> dict:
	row = _conversation(contact)
	if row.assigned_to and row.assigned_to != frappe.session.user and not is_manager():
		frappe.throw(
			_("This conversation has an owner: ask them or a manager to hand it on."), frappe.PermissionError
		)
	if not ownership.may_own(row.session, frappe.session.user):
		frappe.throw(_("You are not an agent of this WhatsApp number."), frappe.PermissionError)
	ownership.assign(contact, frappe.session.user)
	return _result(contact)


@frappe.whitelist(methods=["POST"])
def reassign(contact: str, user: str | None = None) -> dict:
	"""Hand the conversation to `user`, one of its number's agents (empty: leave it unassigned)."""
	row = _conversation(contact)
	if not _may_hand_on(row):
		frappe.throw(_("Only the owner or a manager can reassign this conversation."), frappe.PermissionError)
	user = user or None
	if user and not ownership.may_own(row.session, user):
		frappe.throw(_("That user is not an agent of this WhatsApp number."))
	ownership.assign(contact, user)
	return _result(contact)


@frappe.whitelist()
def list_owners(contact: str) -> list[dict]:
	"""Who the conversation can be handed to: the agents of its number."""
	row = _conversation(contact)
	users = ownership.session_agents(row.session)
	names = dict(
		frappe.get_all(
			"User",
			filters={"name": ["in", users or [""]], "enabled": 1},
			fields=["name", "full_name"],
			as_list=True,
		)
	)
	from xappiens_whatsapp.pipeline.whatsapp.agents import available_among

	available = set(available_among(users))
	return [{"user": u, "full_name": names[u], "available": int(u in available)} for u in users if u in names]


@frappe.whitelist(methods=["POST"])
def set_state(contact: str, state: str, snooze_minutes: int | None = None) -> dict:
	"""Open, Pending (waiting for the customer), Snoozed for `snooze_minutes`, or Resolved. The owner, a
	manager, or anyone of the number while nobody owns it."""
	row = _conversation(contact)
	if row.assigned_to and not _may_hand_on(row):
		frappe.throw(
			_("Only the owner or a manager can change this conversation's state."), frappe.PermissionError
		)
	until = None
	if state == ownership.SNOOZED:
		minutes = int(snooze_minutes or 0)
		if minutes <= 0 or minutes > 60 * 24 * 365:
			frappe.throw(_("Snooze for a number of minutes, at most a year."))
		until = add_to_date(now_datetime(), minutes=minutes)
	ownership.set_state(contact, state, until)
	return _result(contact)

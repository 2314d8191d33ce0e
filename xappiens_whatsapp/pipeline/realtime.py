"""Realtime events for the desk. Never site-wide: each goes to the users who may see the record, and carries
only ids; the browser re-reads through permission-checked endpoints."""

import frappe

from xappiens_whatsapp.permissions import MANAGER_ROLES
from xappiens_whatsapp.pipeline import crm
from xappiens_whatsapp.pipeline.crm import realtime as crm_realtime

MESSAGE = "xw_message"  # to the conversation's room: {contact, message, change}
CONVERSATION = "xw_conversation"  # to each user of the session: {contact, session}
SESSION = "xw_session"  # to managers: {session, status}
TEST_EVENT = "xw_test_event"  # to managers: {session, nonce, stage: posted | processed, http_status}
CALL = "xw_call"  # to the call's room (open forms and lists): {call, status}
CALL_POPUP = "xw_call_popup"  # to the agent concerned only: {call, status, direction}
ASSIGNMENT = "xw_assignment"  # to the agent who got or lost a conversation: {contact, session, change}
ATTENTION = "xw_attention"  # to the agents a customer's new message is for: {contact, session, message}


def _this_transaction() -> dict:
	"""Audiences looked up once per transaction: a drain's events share one, and each would otherwise cost
	Redis round trips for the same answer. Forgotten at its commit or rollback."""
	memo = getattr(frappe.local, "xw_audiences", None)
	if memo is None:
		memo = frappe.local.xw_audiences = {}
		frappe.db.after_commit.add(_forget_audiences)
		frappe.db.after_rollback.add(_forget_audiences)
	return memo


def _once_per_transaction(key, look_up):
	memo = _this_transaction()
	if key not in memo:
		memo[key] = look_up()
	return memo[key]


def _forget_audiences() -> None:
	frappe.local.xw_audiences = None


def managers() -> list[str]:
	return _once_per_transaction("managers", _managers)


def _managers() -> list[str]:
	# expires=True: a plain get_value remembers a miss for the rest of the job, even after set_value.
	cached = frappe.cache.get_value("xw:managers", expires=True)
	if cached is not None:
		return cached
	users = frappe.get_all(
		"Has Role",
		filters={"role": ["in", MANAGER_ROLES], "parenttype": "User"},
		pluck="parent",
		distinct=True,
		ignore_permissions=True,
	)
	enabled = frappe.get_all(
		"User",
		filters={"name": ["in", users or [""]], "enabled": 1, "user_type": "System User"},
		pluck="name",
		ignore_permissions=True,
	)
	result = sorted(set(enabled) | {"Administrator"})
	frappe.cache.set_value("xw:managers", result, expires_in_sec=60)
	return result


def message_changed(session: str, contact: str | None, message: str, change: str) -> None:
	if contact:
		frappe.publish_realtime(
			MESSAGE,
			{"contact": contact, "message": message, "change": change},
			doctype="WhatsApp Contact",
			docname=contact,
			after_commit=True,
		)
		conversation_changed(session, contact)
		if crm.installed():
			crm_realtime.message_changed(contact, session_users(session))


def session_users(session: str) -> list[str]:
	return _once_per_transaction(("session users", session), lambda: _session_users(session))


def _session_users(session: str) -> list[str]:
	key = f"xw:session_users:{session}"
	agents = frappe.cache.get_value(key, expires=True)
	if agents is None:
		agents = frappe.get_all(
			"WhatsApp Session User",
			filters={"parent": session, "parenttype": "WhatsApp Session"},
			pluck="user",
			ignore_permissions=True,
		)
		frappe.cache.set_value(key, agents, expires_in_sec=60)  # cleared when the session is saved
	return sorted(set(agents) | set(managers()))


def forget_session_users(session: str) -> None:
	frappe.cache.delete_value(f"xw:session_users:{session}")
	_this_transaction().pop(("session users", session), None)


def conversation_changed(session: str, contact: str) -> None:
	# To each user's own room, which every desk is in from the start: a room joined on demand (the session's)
	# would miss what happens while the join is still on its way.
	for user in session_users(session):
		frappe.publish_realtime(
			CONVERSATION, {"contact": contact, "session": session}, user=user, after_commit=True
		)


def session_changed(session: str, status: str) -> None:
	for user in managers():
		frappe.publish_realtime(SESSION, {"session": session, "status": status}, user=user, after_commit=True)


def test_event(session: str, nonce: str, stage: str, http_status: int | None = None) -> None:
	"""How far a manager's "Send test event" got: posted to the endpoint, then applied by a worker."""
	message = {"session": session, "nonce": nonce, "stage": stage, "http_status": http_status}
	for user in managers():
		frappe.publish_realtime(TEST_EVENT, message, user=user, after_commit=True)


def call_changed(call: str, agent: str | None, status: str, direction: str, popup: bool = False) -> None:
	frappe.publish_realtime(
		CALL, {"call": call, "status": status}, doctype="Netelip Call", docname=call, after_commit=True
	)
	# Open call lists refresh themselves (they re-read through the permission-checked list API): the call
	# rows are written without the document life cycle that would announce it.
	frappe.publish_realtime(
		"list_update", {"doctype": "Netelip Call", "name": call}, doctype="Netelip Call", after_commit=True
	)
	if popup and agent:
		frappe.publish_realtime(
			CALL_POPUP,
			{"call": call, "status": status, "direction": direction},
			user=agent,
			after_commit=True,
		)

"""Who owns a conversation and where it stands.

The owner is Frappe's own assignment (an open ToDo on the WhatsApp Contact, so the desk's Assigned To sidebar,
filters and reports work as on any document); `assigned_to` mirrors it on the row for index-backed queues.
New conversations go round robin to the available agents of their number; the turn is kept on the session row
and taken under a locking read of it, so two workers creating conversations at once give them to two agents.
"""

import frappe
from frappe import _
from frappe.utils import escape_html, get_datetime, get_fullname, now_datetime, nowdate

from xappiens_whatsapp.pipeline import realtime
from xappiens_whatsapp.pipeline.inbox import drain_state
from xappiens_whatsapp.pipeline.inbox.locks import lock_until_transaction_ends
from xappiens_whatsapp.pipeline.inbox.rows import get_row
from xappiens_whatsapp.pipeline.whatsapp import agents

DOCTYPE = "WhatsApp Contact"
OPEN, PENDING, SNOOZED, RESOLVED = "Open", "Pending", "Snoozed", "Resolved"
STATES = (OPEN, PENDING, SNOOZED, RESOLVED)
ASLEEP = (SNOOZED, RESOLVED)  # states a customer's new message ends


def session_agents(session: str) -> list[str]:
	"""The users listed on the number, in the order a manager put them (the round robin's order)."""
	return frappe.get_all(
		"WhatsApp Session User",
		filters={"parent": session, "parenttype": "WhatsApp Session", "parentfield": "allowed_users"},
		pluck="user",
		order_by="idx asc",
		ignore_permissions=True,
	)


def may_own(session: str, user: str | None) -> bool:
	"""An owner is a user listed on the conversation's number."""
	return bool(user) and user in session_agents(session)


def next_agent(session: str) -> str | None:
	"""The next available agent of the number after the one who got the last conversation; None when the number
	assigns by hand or nobody is available. Takes the turn: call it only to assign."""
	# The turn is written on the number's row in this transaction: its lock is kept until the commit, so another
	# worker waits for the turn at the lock, never at the row while holding the lock. A drain's group does not
	# wait at all (it holds other rows another worker may be waiting for): it is undone and its events are
	# applied again shortly, each on its own.
	lock_until_transaction_ends(f"round-robin:{session}", timeout=0 if drain_state.in_group() else None)
	row = get_row("WhatsApp Session", session, ["assignment_mode", "last_assigned_to"], for_update=True)
	if not row or row["assignment_mode"] == "Manual":
		return None
	order = session_agents(session)
	available = set(agents.available_among(order))
	if not available:
		return None
	last = row["last_assigned_to"]
	start = order.index(last) + 1 if last in order else 0
	chosen = next(user for user in order[start:] + order[:start] if user in available)
	frappe.db.set_value("WhatsApp Session", session, "last_assigned_to", chosen, update_modified=False)
	return chosen


def current_owners(contact: str) -> list[str]:
	return frappe.get_all(
		"ToDo",
		filters={
			"reference_type": DOCTYPE,
			"reference_name": contact,
			"status": "Open",
			"allocated_to": ("is", "set"),
		},
		pluck="allocated_to",
		order_by="creation asc",
		ignore_permissions=True,
	)


def owner_of(contact: str) -> str | None:
	return frappe.db.get_value(DOCTYPE, contact, "assigned_to")


def assign(contact: str, user: str | None, reason: str | None = None, announce: bool = True) -> bool:
	"""Make `user` the conversation's only owner (None: nobody). Each change is a ToDo opened or cancelled, so
	Frappe records it on the timeline (who, when, removed from whom) and the ToDo hooks below mirror and announce
	it. The ToDos are written here rather than through assign_to.add/remove, whose notifications would each try an
	email: the new owner hears of it by realtime and a bell alert instead. False when nothing changed."""
	todos = frappe.get_all(
		"ToDo",
		filters={"reference_type": DOCTYPE, "reference_name": contact, "status": "Open"},
		fields=["name", "allocated_to"],
		order_by="creation asc",
		ignore_permissions=True,
	)
	owners = [t.allocated_to for t in todos]
	if owners == ([user] if user else []):
		return False
	for todo in todos:
		if todo.allocated_to != user:
			doc = frappe.get_doc("ToDo", todo.name)
			doc.status = "Cancelled"
			doc.save(ignore_permissions=True)
	if user and user not in owners:
		name = frappe.db.get_value(DOCTYPE, contact, "display_name") or contact
		description = _("WhatsApp conversation with {0}").format(name)
		if owners:
			description += " · " + _("from {0}").format(", ".join(get_fullname(o) for o in owners))
		if reason:
			description += " · " + reason
		frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": user,
				"reference_type": DOCTYPE,
				"reference_name": contact,
				"description": escape_html(description),
				"status": "Open",
				"priority": "Medium",
				"date": nowdate(),
				"assigned_by": frappe.session.user,
			}
		).insert(ignore_permissions=True)
		# Handed over by someone: a bell alert. Given in turn by the pipeline: the new message's own alerts say it.
		if announce and user != frappe.session.user:
			_tell_new_owner(contact, user, name)
	return True


def _tell_new_owner(contact: str, user: str, name: str) -> None:
	# An alert never sends email; its subject is shown as HTML, so the customer's name goes in as text.
	frappe.get_doc(
		{
			"doctype": "Notification Log",
			"for_user": user,
			"from_user": frappe.session.user,
			"type": "Alert",
			"document_type": DOCTYPE,
			"document_name": contact,
			"subject": escape_html(_("You now own the WhatsApp conversation with {0}").format(name)),
		}
	).insert(ignore_permissions=True)


def set_state(contact: str, state: str, snoozed_until=None, comment: str | None = None) -> bool:
	if state not in STATES:
		frappe.throw(_("Unknown conversation state: {0}").format(escape_html(state)))
	if state == SNOOZED:
		if not snoozed_until or get_datetime(snoozed_until) <= now_datetime():
			frappe.throw(_("A snooze needs a time in the future."))
	else:
		snoozed_until = None
	row = get_row(DOCTYPE, contact, ["session", "conversation_state", "snoozed_until"], for_update=True)
	if not row:
		raise frappe.DoesNotExistError
	if row["conversation_state"] == state and state != SNOOZED:
		return False
	changes = {
		"conversation_state": state,
		"snoozed_until": snoozed_until,
		"state_changed_at": now_datetime(),
	}
	if state == RESOLVED:
		changes["resolved_at"] = changes["state_changed_at"]
	frappe.db.set_value(DOCTYPE, contact, changes, update_modified=False)
	text = comment or _("{0} set the conversation to {1}").format(get_fullname(frappe.session.user), _(state))
	if state == SNOOZED:
		text += " · " + _("until {0}").format(frappe.utils.format_datetime(snoozed_until))
	add_comment(contact, text)
	realtime.conversation_changed(row["session"], contact)
	return True


def add_comment(contact: str, text: str) -> None:
	"""A line on the conversation's timeline. Names come from users' profiles: shown as text, never markup."""
	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Info",
			"reference_doctype": DOCTYPE,
			"reference_name": contact,
			"content": escape_html(text),
		}
	).insert(ignore_permissions=True)


def customer_wrote(session: str, contact: str, at) -> str | None:
	"""A customer's new message: the first one gives the conversation an owner in turn; one newer than any
	before reopens a resolved or snoozed conversation, and hands it on if its owner is not available. Runs under
	a locking read of the conversation, so concurrent messages of one chat take turns here. Returns the owner."""
	row = get_row(
		DOCTYPE,
		contact,
		["assigned_to", "conversation_state", "last_customer_message_at"],
		for_update=True,
	)
	if not row:
		return None
	previous = row["last_customer_message_at"]
	# WhatsApp times are whole seconds: a message of the same second as the latest one is as new as it.
	latest = previous is None or get_datetime(at) >= get_datetime(previous)
	if previous is None or get_datetime(at) > get_datetime(previous):
		frappe.db.set_value(DOCTYPE, contact, "last_customer_message_at", at, update_modified=False)
	owner = row["assigned_to"]
	if previous is None and not owner:
		return _give_in_turn(session, contact, None, _("assigned in turn"))
	if latest and row["conversation_state"] in ASLEEP:
		set_state(contact, OPEN, comment=_("Reopened: the customer wrote again"))
		if not agents.is_available(owner):
			return _give_in_turn(session, contact, owner, _("reopened while the owner was away"))
	return owner


def _give_in_turn(session: str, contact: str, owner: str | None, reason: str) -> str | None:
	chosen = next_agent(session)
	if chosen or owner:
		assign(contact, chosen, reason, announce=False)
	return chosen


def end_snoozes() -> int:
	"""Scheduler: snoozed conversations whose time has come are open again."""
	due = frappe.get_all(
		DOCTYPE,
		filters={"conversation_state": SNOOZED, "snoozed_until": ["<=", now_datetime()]},
		pluck="name",
		limit=500,
		ignore_permissions=True,
	)
	for contact in due:
		set_state(contact, OPEN, comment=_("The snooze ended"))
	return len(due)


# ToDo hooks: whichever way an assignment changes (our endpoints, the pipeline, the desk's sidebar), the owner is
# one of the number's users, and the agents concerned hear of it.


def check_todo(todo, method=None) -> None:
	# A ToDo allocated to nobody is a reminder on the conversation, not an owner.
	if (
		todo.reference_type != DOCTYPE
		or todo.status != "Open"
		or not todo.reference_name
		or not todo.allocated_to
	):
		return
	session = frappe.db.get_value(DOCTYPE, todo.reference_name, "session")
	if session and not may_own(session, todo.allocated_to):
		frappe.throw(
			_("{0} is not an agent of this conversation's WhatsApp number.").format(
				escape_html(todo.allocated_to)
			),
			frappe.PermissionError,
		)


def announce_todo(todo, method=None) -> None:
	"""Mirror the open assignment on the row (whichever path changed it: a ToDo closed from its own form too)
	and tell the agent who got or lost the conversation."""
	if todo.reference_type != DOCTYPE or not todo.reference_name:
		return
	session = frappe.db.get_value(DOCTYPE, todo.reference_name, "session")
	if not session:
		return
	owners = current_owners(todo.reference_name)
	frappe.db.set_value(
		DOCTYPE, todo.reference_name, "assigned_to", owners[-1] if owners else None, update_modified=False
	)
	change = "assigned" if todo.status == "Open" else "unassigned"
	# Without a user Frappe would broadcast the event to every desk.
	if not todo.allocated_to:
		realtime.conversation_changed(session, todo.reference_name)
		return
	frappe.publish_realtime(
		realtime.ASSIGNMENT,
		{"contact": todo.reference_name, "session": session, "change": change},
		user=todo.allocated_to,
		after_commit=True,
	)
	realtime.conversation_changed(session, todo.reference_name)

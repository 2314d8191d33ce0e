"""What happens when a call changes: the agent's screen is told, and a missed or failed call reaches someone
(once): a bell notification, optionally a call-back to-do and a WhatsApp text to the caller. When a later event
shows the call was not missed after all, the alert is withdrawn: the to-do is cancelled and the bell cleared."""

import frappe
from frappe import _

from xappiens_whatsapp.core import call_state as cs
from xappiens_whatsapp.core.jid import user_jid
from xappiens_whatsapp.core.phones import digits
from xappiens_whatsapp.pipeline import alerts, realtime, settings

DOCTYPE = "Netelip Call"
ROW_FIELDS = [
	"name",
	"agent",
	"direction",
	"customer_dialled_at",
	"status",
	"alerted",
	"customer_number",
	"callback_todo",
	"followup_message",
]


def after_change(name: str, before: cs.CallSnapshot, after: cs.CallSnapshot) -> None:
	if before.state == after.state and before.inferred == after.inferred:
		return
	row = frappe.db.get_value(DOCTYPE, name, ROW_FIELDS, as_dict=True)
	realtime.call_changed(name, row.agent, row.status, row.direction, popup=True)
	if not _missed(row, after.state):
		if row.alerted:
			withdraw(row)
		return
	if not row.alerted:
		alert(row, after.state)
	# A text to the customer cannot be taken back: only on Netelip's own word, never on our timeout's guess.
	missed = after.state in (cs.CallState.NO_ANSWER, cs.CallState.BUSY)
	if missed and not after.inferred and not row.followup_message:
		_whatsapp_followup(row, settings.netelip())


def _missed(row, state: cs.CallState) -> bool:
	"""Someone must hear of it: a failed call, a call nobody answered, an inbound call to a busy line."""
	if state == cs.CallState.BUSY:
		return row.direction == "Inbound"
	return state in cs.ALERT_STATES


def alert(row, state: cs.CallState) -> None:
	conf = settings.netelip()
	wanted = conf.alert_on_failed if state == cs.CallState.FAILED else conf.alert_on_no_answer
	frappe.db.set_value(DOCTYPE, row.name, {"alerted": 1, "alert_withdrawn": 0}, update_modified=False)
	if not wanted:
		return
	recipients = [row.agent] + [r.user for r in conf.alert_recipients or []]
	alerts.notify_in_their_language(recipients, lambda lang: _subject(row, state, lang), DOCTYPE, row.name)
	if conf.create_callback_todo and row.customer_number:
		_callback_todo(row, state, row.agent or (recipients[1] if len(recipients) > 1 else None))


def _subject(row, state: cs.CallState, lang: str | None = None) -> str:
	number = row.customer_number or _("an unknown number", lang=lang)
	if state == cs.CallState.FAILED:
		return _("Call with {0} failed", lang=lang).format(number)
	if row.direction == "Inbound":
		return _("Missed call from {0}", lang=lang).format(number)
	if not row.customer_dialled_at:
		# The agent's own phone, rung first, was never picked up: the customer was not called at all.
		return _("Your phone did not answer the call to {0}", lang=lang).format(number)
	return _("{0} did not answer", lang=lang).format(number)


def withdraw(row) -> None:
	"""The call was answered or ended otherwise after all: cancel the call-back, clear the bell."""
	if row.callback_todo and frappe.db.get_value("ToDo", row.callback_todo, "status") == "Open":
		# Through the document, so the call's assignment list is updated too.
		todo = frappe.get_doc("ToDo", row.callback_todo)
		todo.status = "Cancelled"
		todo.save(ignore_permissions=True)
	frappe.db.set_value(
		"Notification Log", {"document_type": DOCTYPE, "document_name": row.name, "read": 0}, "read", 1
	)
	frappe.db.set_value(DOCTYPE, row.name, {"alerted": 0, "alert_withdrawn": 1}, update_modified=False)


def _callback_todo(row, state: cs.CallState, owner: str | None) -> None:
	if not owner:
		return
	lang = next(iter(alerts.by_language([owner])), None)
	todo = frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": owner,
			"description": _("{0}. Call back {1}.", lang=lang).format(
				_subject(row, state, lang), row.customer_number
			),
			"reference_type": DOCTYPE,
			"reference_name": row.name,
			"priority": "High",
		}
	).insert(ignore_permissions=True)
	frappe.db.set_value(DOCTYPE, row.name, "callback_todo", todo.name, update_modified=False)


def _whatsapp_followup(row, conf) -> None:
	"""A text after a missed inbound call, through the normal outbound path (queued, throttled, never doubled)."""
	from xappiens_whatsapp.pipeline.netelip import missed_call_texts
	from xappiens_whatsapp.pipeline.whatsapp import contacts, outbound

	session = conf.followup_session
	if not conf.whatsapp_followup or row.direction != "Inbound":
		return
	if not session or not row.customer_number or not conf.followup_text:
		return
	if not missed_call_texts.claim(row.customer_number):
		return  # texted today already, or enough texts this hour
	contact = contacts.resolve(session, user_jid(digits(row.customer_number)))
	message = outbound.create(
		session=session, contact=contact, text=conf.followup_text, client_ref=f"missed-call-{row.name}"
	)
	frappe.db.set_value(DOCTYPE, row.name, "followup_message", message, update_modified=False)

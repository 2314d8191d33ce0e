"""What happens when a call changes: the agent's screen is told, and a missed or failed call reaches someone
(once): a bell notification, optionally a call-back to-do and a WhatsApp text to the caller."""

import frappe
from frappe import _

from xappiens_whatsapp.core import call_state as cs
from xappiens_whatsapp.core.jid import user_jid
from xappiens_whatsapp.core.phones import digits
from xappiens_whatsapp.pipeline import alerts, realtime, settings

DOCTYPE = "Netelip Call"


def after_change(name: str, before: cs.CallSnapshot, after: cs.CallSnapshot) -> None:
	if before.state == after.state and before.inferred == after.inferred:
		return
	row = frappe.db.get_value(
		DOCTYPE, name, ["name", "agent", "direction", "status", "alerted", "customer_number"], as_dict=True
	)
	realtime.call_changed(name, row.agent, row.status, row.direction, popup=True)
	if after.state in cs.ALERT_STATES and not row.alerted:
		alert(row, after.state)


def alert(row, state: cs.CallState) -> None:
	conf = settings.netelip()
	wanted = conf.alert_on_failed if state == cs.CallState.FAILED else conf.alert_on_no_answer
	frappe.db.set_value(DOCTYPE, row.name, "alerted", 1, update_modified=False)
	if not wanted:
		return
	number = row.customer_number or _("an unknown number")
	if state == cs.CallState.FAILED:
		subject = _("Call with {0} failed").format(number)
	elif row.direction == "Inbound":
		subject = _("Missed call from {0}").format(number)
	else:
		subject = _("{0} did not answer").format(number)
	recipients = [row.agent] + [r.user for r in conf.alert_recipients or []]
	alerts.notify(recipients, subject, DOCTYPE, row.name)
	if conf.create_callback_todo and row.customer_number:
		_callback_todo(row, subject, row.agent or (recipients[1] if len(recipients) > 1 else None))
	if conf.whatsapp_followup and row.direction == "Inbound" and state == cs.CallState.NO_ANSWER:
		_whatsapp_followup(row, conf)


def _callback_todo(row, subject: str, owner: str | None) -> None:
	if not owner:
		return
	todo = frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": owner,
			"description": _("{0}. Call back {1}.").format(subject, row.customer_number),
			"reference_type": DOCTYPE,
			"reference_name": row.name,
			"priority": "High",
		}
	).insert(ignore_permissions=True)
	frappe.db.set_value(DOCTYPE, row.name, "callback_todo", todo.name, update_modified=False)


def _whatsapp_followup(row, conf) -> None:
	"""A text after a missed call, through the normal outbound path (queued, throttled, never doubled)."""
	from xappiens_whatsapp.pipeline import contacts, outbound

	session = conf.followup_session
	if not session or not row.customer_number or not conf.followup_text:
		return
	contact = contacts.resolve(session, user_jid(digits(row.customer_number)))
	message = outbound.create(
		session=session, contact=contact, text=conf.followup_text, client_ref=f"missed-call-{row.name}"
	)
	frappe.db.set_value(DOCTYPE, row.name, "followup_message", message, update_modified=False)

"""The control URL's answer: what Netelip should do next with a call. It must stay fast (a few indexed reads, no
provider calls), and a retried POST gets the same answer."""

import frappe
from frappe.utils import now_datetime

from xappiens_whatsapp.core import call_state as cs
from xappiens_whatsapp.core.netelip_answers import HANGUP, NO_INSTRUCTION, PUBLIC_LINE, ControlAnswer, dial
from xappiens_whatsapp.core.netelip_events import CallEvent
from xappiens_whatsapp.core.phones import to_netelip
from xappiens_whatsapp.pipeline import settings
from xappiens_whatsapp.pipeline.netelip.calls import (
	DOCTYPE,
	agent_for_line,
	by_userdata,
	line_of,
	ring_seconds,
	route,
)

# How long the control URL waits for a job that holds the call's row before answering anyway.
CLAIM_WAIT_S = 3


def _dial(kind: str, target: str, userfield: str | None = None) -> ControlAnswer:
	longest = settings.int_setting(settings.netelip(), "max_call_seconds", 7200, minimum=1)
	return dial(kind, target, ring_seconds(), longest, userfield)


def control_answer(event: CallEvent, delivery: str) -> ControlAnswer:
	"""Netelip's next instruction. Must stay fast: a few indexed reads, no provider calls.

	`delivery` identifies this POST (its dedup key), so a retried one gets the same answer.

	An answer may carry an agent's line (an extension, or a personal number on the public network): it is given
	only to the call's own leg, a step of an inbound call placed to that agent (its `dst` is their extension or
	direct number, and its ID is not a call we know as another's). A call to any other number gets the inbound
	extension, which is never a public number; a click-to-call's own ID posted without our reference gets no
	instruction at all.
	"""
	launched = by_userdata(event.userdata)
	if launched:
		return _click_to_call_answer(launched, event, delivery)
	if event.state in cs.TERMINAL_STATES or event.state == cs.CallState.ANSWERED or "statuscall" in event.raw:
		# A dial finished, whatever its result (even one we cannot read): ringing the agent again would loop.
		return HANGUP
	user, _line = agent_for_line(event.raw_dst, event.dst_e164)
	if _leg_of_another_call(event.call_id, user):
		return NO_INSTRUCTION
	line = (user and line_of(user)) or (settings.netelip().inbound_extension or "").strip()
	if line:
		return _dial(*route(line))
	return NO_INSTRUCTION  # no route configured: Netelip follows its own default for the application


def _leg_of_another_call(call_id: str, user: str | None) -> bool:
	"""This ID is a call we launched, or an inbound call to another agent (one indexed read)."""
	known = frappe.db.get_value(DOCTYPE, {"call_id": call_id}, ["direction", "agent"], as_dict=True)
	return bool(known) and (known.direction == "Outbound" or bool(known.agent and known.agent != user))


def _click_to_call_answer(launched, event: CallEvent, delivery: str) -> ControlAnswer:
	"""The agent's leg reports in. Until the customer was dialled, anything but an end means the agent picked
	up (that POST may well say ANSWER): dial the customer. After that, every POST is the dial's result."""
	if event.state in cs.TERMINAL_STATES or not launched.customer_number:
		return HANGUP
	if not claim_customer_dial(launched.name, delivery):
		return HANGUP
	return _dial(PUBLIC_LINE, to_netelip(launched.customer_number), event.userdata)


def claim_customer_dial(name: str, delivery: str) -> bool:
	"""Record, before answering, which delivery dials the customer: True for that one (and its retries),
	False once another one did. Committed with the delivery's inbox row."""
	query = f"select dial_claim, customer_dialled_at from `tab{DOCTYPE}` where name = %s"
	try:
		rows = frappe.db.sql(
			f"set statement innodb_lock_wait_timeout={CLAIM_WAIT_S} for {query} for update",
			(name,),
			as_dict=True,
		)
	except (frappe.QueryTimeoutError, frappe.QueryDeadlockError):
		# A job holds the row: answer from what is committed; the job records the dial from the inbox row.
		rows = frappe.db.sql(query, (name,), as_dict=True)
		return bool(rows) and _may_dial(rows[0], delivery)
	if not rows or not _may_dial(rows[0], delivery):
		return False
	if rows[0].dial_claim != delivery:
		frappe.db.set_value(
			DOCTYPE,
			name,
			{"dial_claim": delivery, "customer_dialled_at": now_datetime()},
			update_modified=False,
		)
	return True


def _may_dial(row, delivery: str) -> bool:
	return row.dial_claim == delivery or not (row.dial_claim or row.customer_dialled_at)


def record_customer_dial(name: str, delivery: str, at) -> None:
	"""The job's copy of the claim, for a dial the control URL answered while it could not write the row."""
	frappe.db.sql(
		f"""update `tab{DOCTYPE}` set dial_claim = %s, customer_dialled_at = %s
		where name = %s and direction = 'Outbound' and ifnull(dial_claim, '') = ''""",
		(delivery, at, name),
	)

"""Netelip call events → Netelip Call rows, through the one state model in core/call_state.py."""

import dataclasses
from datetime import UTC, datetime

import frappe

from xappiens_whatsapp.core import call_state as cs
from xappiens_whatsapp.core import netelip_events as ne
from xappiens_whatsapp.core.netelip_answers import ControlAnswer
from xappiens_whatsapp.core.netelip_call_updates import update_from_event
from xappiens_whatsapp.pipeline import settings
from xappiens_whatsapp.pipeline.inbox.outcome import Outcome
from xappiens_whatsapp.pipeline.netelip import calls, control
from xappiens_whatsapp.pipeline.netelip.call_alerts import after_change

DOCTYPE = "Netelip Call"


def apply(row, raw: bytes, headers: dict) -> Outcome:
	source = headers.get("source") or "control"
	try:
		event = ne.parse_event(
			ne.load_json(raw or b"{}"),
			source,
			settings.default_region(),
			recording_origins=(settings.netelip().api_base_url,),
		)
	except ne.ParseError as exc:
		# Stored by an endpoint that could read it; whatever made it unreadable since, retrying will not help.
		return Outcome("Ignored", note=f"Unreadable call event: {exc}")
	name = calls.find_or_create(event)
	current = frappe.db.get_value(DOCTYPE, name, ["*"], as_dict=True, for_update=True)
	before = calls.snapshot_of(current)
	answer = ControlAnswer.from_stored(row)
	update = update_from_event(event)
	if _dials_customer(current, answer) and update.state == cs.CallState.ANSWERED:
		# The agent's own phone was answered (it asked us whom to dial): the call is not answered yet.
		update = dataclasses.replace(update, state=None, raw_status=None)
	after = _our_dial(row, name, current, answer, cs.apply(before, update))
	calls.write(name, before, after)
	after_change(name, before, after)
	note = f"Unrecognised call status {event.unknown_value!r}" if event.unknown_value else None
	return Outcome("Processed", DOCTYPE, name, note)


def _our_dial(row, name: str, current, answer: ControlAnswer, after: cs.CallSnapshot) -> cs.CallSnapshot:
	"""We told Netelip to dial when this POST came in: that phone rings from then, for the ring time we gave."""
	ring = answer.dial_ring_seconds
	if ring is None:
		return after
	at = calls.aware(row.received_at) or datetime.now(UTC)
	if _dials_customer(current, answer):
		delivery = frappe.db.get_value("Inbound Webhook", row.name, "dedup_key")
		control.record_customer_dial(name, delivery, row.received_at or frappe.utils.now_datetime())
	return cs.apply(after, cs.dial_update(at, ring))


def _dials_customer(current, answer: ControlAnswer) -> bool:
	"""Our answer to this POST of a click-to-call dialled the customer (the agent's line is rung by the launch)."""
	return current.direction == "Outbound" and answer.dials_public_number

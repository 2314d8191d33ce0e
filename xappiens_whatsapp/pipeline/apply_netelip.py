"""Netelip call events → Netelip Call rows, through the one state model in core/call_state.py."""

import json

import frappe

from xappiens_whatsapp.core import call_state as cs
from xappiens_whatsapp.core import netelip_events as ne
from xappiens_whatsapp.pipeline import calls, settings
from xappiens_whatsapp.pipeline.call_alerts import after_change
from xappiens_whatsapp.pipeline.process import Outcome

DOCTYPE = "Netelip Call"


def apply(row, raw: bytes, headers: dict) -> Outcome:
	source = headers.get("source") or "control"
	event = ne.parse_event(json.loads(raw or b"{}"), source, settings.default_region())
	name = calls.find_or_create(event)
	current = frappe.db.get_value(DOCTYPE, name, ["*"], as_dict=True, for_update=True)
	before = calls.snapshot_of(current)
	after = cs.apply(before, cs.update_from_event(event))
	# We told Netelip to dial: the customer's (or agent's) phone is ringing now.
	if (headers.get("answer") or {}).get("command") == "dial":
		after = cs.apply(after, cs.CallUpdate(state=cs.CallState.RINGING, raw_status="dial"))
	calls.write(name, before, after)
	after_change(name, before, after)
	note = f"Unrecognised call status {event.unknown_value!r}" if event.unknown_value else None
	return Outcome("Processed", DOCTYPE, name, note)

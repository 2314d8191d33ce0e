"""Netelip Call rows: the row of each call (found by its ID, or by our click-to-call reference in `userdata`),
its state written through the pure state model, and the agents and lines a call is for. What Netelip is told
to do next is in control; click-to-call's launch in click_to_call."""

import json
from datetime import UTC, datetime, timedelta

import frappe
from frappe.utils import now_datetime

from xappiens_whatsapp.core import call_state as cs
from xappiens_whatsapp.core.netelip_events import CallEvent
from xappiens_whatsapp.core.phones import to_netelip
from xappiens_whatsapp.pipeline import counts, crm_links, settings
from xappiens_whatsapp.pipeline.crm import call_logs
from xappiens_whatsapp.pipeline.netelip.missed import MISSED_SQL
from xappiens_whatsapp.pipeline.times import from_epoch, to_epoch

DOCTYPE = "Netelip Call"
SNAPSHOT_FIELDS = {
	"state": "status",
	"inferred": "status_inferred",
	"raw_status": "raw_status",
	"source": "status_source",
	"unknown_value": "unknown_status",
	"started_at": "started_at",
	"answered_at": "answered_at",
	"ended_at": "ended_at",
	"duration": "duration",
	"talk_time": "talk_time",
	"hangup_cause": "hangup_cause",
	"recording_url": "recording_url",
	"closed": "final_record",
	"ring_deadline": "ring_deadline",
	"needs_review": "needs_review",
}
# Which event each detail came from, kept together in one hidden field.
WEIGHT_FIELDS = ("hangup_cause_weight", "recording_weight")
TIME_FIELDS = ("started_at", "answered_at", "ended_at", "ring_deadline")
INT_FIELDS = ("duration", "talk_time")
BOOL_FIELDS = ("inferred", "needs_review", "closed")


# ---------------------------------------------------------------- rows ↔ the pure state model


def aware(value) -> datetime | None:
	seconds = to_epoch(value)
	return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def _from_row(attr: str, value):
	if attr == "state":
		return cs.CallState(value) if value else None
	if attr in TIME_FIELDS:
		return aware(value)
	if attr in BOOL_FIELDS:
		return bool(value)
	if attr in INT_FIELDS:
		return int(value) if value else None
	return value or None


def _to_row(attr: str, value):
	if attr == "state":
		return str(value) if value else None
	if attr in TIME_FIELDS:
		return from_epoch(value.timestamp()) if value else None
	if attr in BOOL_FIELDS:
		return 1 if value else 0
	if attr in INT_FIELDS:
		return value or 0
	return value


def _weights(stored: str | None) -> dict:
	try:
		loaded = json.loads(stored or "{}")
	except ValueError:
		loaded = {}
	return {attr: tuple(loaded[attr]) if loaded.get(attr) else None for attr in WEIGHT_FIELDS}


def snapshot_of(row) -> cs.CallSnapshot:
	values = {attr: _from_row(attr, row.get(field)) for attr, field in SNAPSHOT_FIELDS.items()}
	return cs.CallSnapshot(**values, **_weights(row.get("merge_weights")))


def row_values(changes: dict, after: cs.CallSnapshot) -> dict:
	values = {SNAPSHOT_FIELDS[a]: _to_row(a, v) for a, v in changes.items() if a in SNAPSHOT_FIELDS}
	if any(attr in changes for attr in WEIGHT_FIELDS):
		weights = {attr: getattr(after, attr) for attr in WEIGHT_FIELDS if getattr(after, attr) is not None}
		values["merge_weights"] = json.dumps(weights)
	return values


def write(name: str, before: cs.CallSnapshot, after: cs.CallSnapshot) -> bool:
	changed = cs.changes(before, after)
	if changed:
		frappe.db.set_value(DOCTYPE, name, row_values(changed, after))
		if "state" in changed:
			# `before` was read under the call's lock: its state is the bucket the call leaves.
			counts.call_moved(_to_row("state", before.state), _to_row("state", after.state))
			frappe.db.sql(f"update `tab{DOCTYPE}` set `missed` = {MISSED_SQL} where name = %s", name)
		call_logs.sync(name)  # Frappe CRM's copy of the call, when CRM is installed
	return bool(changed)


# ---------------------------------------------------------------- agents and numbers


def agents() -> list:
	return settings.netelip().agents or []


def agent_for_line(raw: str | None, e164: str | None) -> tuple[str | None, str | None]:
	"""The agent whose extension or direct number this is: (user, their line)."""
	for row in agents():
		if raw and row.extension and raw.strip() == row.extension.strip():
			return row.user, row.extension
		if e164 and row.number and e164 == row.number:
			return row.user, row.number
	return None, None


def line_of(user: str) -> str | None:
	for row in agents():
		if row.user == user:
			return (row.extension or "").strip() or row.number
	return None


def route(line: str) -> tuple[str, str]:
	"""How Netelip reaches a line: an extension as it is, a number (E.164) on the public network in 00 form."""
	line = line.strip()
	return ("pstn", to_netelip(line)) if line.startswith("+") else ("extension", line)


def whatsapp_contact_for(e164: str | None) -> str | None:
	if not e164:
		return None
	found = frappe.get_all(
		"WhatsApp Contact", filters={"phone": e164}, pluck="name", order_by="last_message_at desc", limit=1
	)
	return found[0] if found else None


# ---------------------------------------------------------------- the control URL's answer


# ---------------------------------------------------------------- rows from events


def find_or_create(event: CallEvent) -> str:
	"""The call's row, by Netelip's ID, else by our own reference, else a new inbound call."""
	name = frappe.db.get_value(DOCTYPE, {"call_id": event.call_id}, "name", for_update=True)
	if name:
		return name
	launched = by_userdata(event.userdata)
	if launched:
		attach_leg(launched.name, event.call_id)
		return launched.name
	# A further leg of a call we launched, reported without our reference (e.g. its final record).
	leg_of = frappe.db.sql(
		f"""select name from `tab{DOCTYPE}` where direction = 'Outbound' and started_at > %s
		and concat(char(10), other_call_ids, char(10)) like %s limit 1 for update""",
		(now_datetime() - timedelta(days=1), f"%\n{event.call_id}\n%"),
	)
	if leg_of:
		return leg_of[0][0]
	return _create_inbound(event)


def attach_leg(name: str, call_id: str) -> None:
	"""A call ID Netelip reports for a call we launched: the call's own ID if it has none yet (the launch
	answer was lost), else a further leg of it (e.g. the customer's), remembered so it is never mistaken
	for an inbound call."""
	row = frappe.db.get_value(DOCTYPE, name, ["call_id", "other_call_ids"], as_dict=True, for_update=True)
	if not row.call_id:
		frappe.db.set_value(DOCTYPE, name, "call_id", call_id)
		return
	others = (row.other_call_ids or "").split()
	if call_id != row.call_id and call_id not in others:
		frappe.db.set_value(DOCTYPE, name, "other_call_ids", "\n".join([*others, call_id]))


def _create_inbound(event: CallEvent) -> str:
	customer = event.src_e164
	agent, line = agent_for_line(event.raw_dst, event.dst_e164)
	doc = frappe.get_doc(
		{
			"doctype": DOCTYPE,
			"direction": "Inbound",
			"call_id": event.call_id,
			"status": str(cs.CallState.INITIATED),
			"customer_number": customer,
			"from_number": customer,
			"to_number": event.dst_e164,
			"raw_src": event.raw_src,
			"raw_dst": event.raw_dst,
			"agent": agent,
			"agent_line": line,
			"contact": crm_links.find_contact(customer, settings.default_region()),
			"whatsapp_contact": whatsapp_contact_for(customer),
			"started_at": from_epoch(event.started_at.timestamp()) if event.started_at else now_datetime(),
		}
	)
	doc.insert(ignore_permissions=True)
	return doc.name


# ---------------------------------------------------------------- click-to-call


def by_userdata(userdata: str | None):
	"""Only a reference this site issued is believed; anything else is ignored."""
	if not userdata:
		return None
	return frappe.db.get_value(
		DOCTYPE,
		{"userdata": userdata, "direction": "Outbound"},
		["name", "customer_number", "call_id"],
		as_dict=True,
	)


def ring_seconds() -> int:
	"""The ring time of every dial (Netelip accepts 1-60 s)."""
	return min(settings.int_setting(settings.netelip(), "no_answer_timeout", 30, minimum=1), 60)

"""Netelip Call rows: who the call is for, what Netelip should do next, and click-to-call.

Click-to-call rings the agent's own extension first; when the agent picks up, Netelip asks the control URL
what to do and we answer `dial` to the customer. `userdata` carries our own reference so every callback finds
the row this site created before the launch.
"""

import secrets
from datetime import UTC, datetime

import frappe
from frappe import _
from frappe.utils import now_datetime
from frappe.utils.password import get_decrypted_password

from xappiens_whatsapp.clients.errors import ProviderError
from xappiens_whatsapp.clients.netelip import NetelipClient
from xappiens_whatsapp.core import call_state as cs
from xappiens_whatsapp.core.netelip_events import CallEvent
from xappiens_whatsapp.core.phones import to_netelip
from xappiens_whatsapp.pipeline import crm_links, realtime, settings
from xappiens_whatsapp.pipeline.locks import named_lock
from xappiens_whatsapp.pipeline.times import from_epoch, to_epoch

DOCTYPE = "Netelip Call"
SNAPSHOT_FIELDS = {
	"state": "status",
	"inferred": "status_inferred",
	"raw_status": "raw_status",
	"unknown_value": "unknown_status",
	"started_at": "started_at",
	"answered_at": "answered_at",
	"ended_at": "ended_at",
	"duration": "duration",
	"talk_time": "talk_time",
	"hangup_cause": "hangup_cause",
	"recording_url": "recording_url",
	"needs_review": "needs_review",
}
TIME_FIELDS = ("started_at", "answered_at", "ended_at")
INT_FIELDS = ("duration", "talk_time")


# ---------------------------------------------------------------- rows ↔ the pure state model


def _aware(value) -> datetime | None:
	seconds = to_epoch(value)
	return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def snapshot_of(row) -> cs.CallSnapshot:
	values = {}
	for attr, field in SNAPSHOT_FIELDS.items():
		value = row.get(field)
		if attr == "state":
			value = cs.CallState(value) if value else None
		elif attr in TIME_FIELDS:
			value = _aware(value)
		elif attr in ("inferred", "needs_review"):
			value = bool(value)
		elif attr in INT_FIELDS:
			value = int(value) if value else None
		else:
			value = value or None
		values[attr] = value
	return cs.CallSnapshot(**values)


def row_values(changes: dict) -> dict:
	values = {}
	for attr, value in changes.items():
		field = SNAPSHOT_FIELDS[attr]
		if attr == "state":
			value = str(value) if value else None
		elif attr in TIME_FIELDS:
			value = from_epoch(value.timestamp()) if value else None
		elif attr in ("inferred", "needs_review"):
			value = 1 if value else 0
		elif attr in INT_FIELDS:
			value = value or 0
		values[field] = value
	return values


def write(name: str, before: cs.CallSnapshot, after: cs.CallSnapshot) -> bool:
	changed = cs.changes(before, after)
	if changed:
		frappe.db.set_value(DOCTYPE, name, row_values(changed))
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
			return row.extension or row.number
	return None


def whatsapp_contact_for(e164: str | None) -> str | None:
	if not e164:
		return None
	found = frappe.get_all(
		"WhatsApp Contact", filters={"phone": e164}, pluck="name", order_by="last_message_at desc", limit=1
	)
	return found[0] if found else None


def is_registered(e164: str) -> bool:
	"""Click-to-call may only reach numbers the CRM knows (unless the policy is switched off)."""
	conf = settings.netelip()
	if not conf.only_registered_numbers:
		return True
	if any(row.number == e164 for row in conf.allowed_numbers or []):
		return True
	return bool(crm_links.find_contact(e164, settings.default_region()) or whatsapp_contact_for(e164))


# ---------------------------------------------------------------- the control URL's answer


def by_userdata(userdata: str | None):
	"""Only a reference this site issued is believed; anything else is ignored."""
	if not userdata:
		return None
	return frappe.db.get_value(
		DOCTYPE,
		{"userdata": userdata, "direction": "Outbound"},
		["name", "customer_number", "call_id", "status"],
		as_dict=True,
	)


def _dial(kind: str, target: str) -> dict:
	conf = settings.netelip()
	ring = min(max(settings.int_setting(conf, "no_answer_timeout", 30, minimum=1), 1), 60)
	longest = settings.int_setting(conf, "max_call_seconds", 7200, minimum=1)
	return {"command": "dial", "options": f"{kind},{target},{ring},calling,{longest}"}


def control_answer(event: CallEvent) -> dict:
	"""Netelip's next instruction. Must stay fast: one or two indexed reads, no provider calls."""
	if event.state == cs.CallState.ANSWERED or event.state in cs.TERMINAL_STATES:
		return {"command": "hangup"}  # a dial finished: nothing more to do on this leg
	launched = by_userdata(event.userdata)
	if launched and launched.customer_number:
		answer = _dial("pstn", to_netelip(launched.customer_number))
		answer["userfield"] = event.userdata
		return answer
	user, _line = agent_for_line(event.raw_dst, event.dst_e164)
	extension = (user and line_of(user)) or settings.netelip().inbound_extension
	if extension:
		return _dial("extension", extension)
	return {}  # no route configured: Netelip follows its own default for the application


# ---------------------------------------------------------------- rows from events


def find_or_create(event: CallEvent) -> str:
	"""The call's row, by Netelip's ID, else by our own reference, else a new inbound call."""
	name = frappe.db.get_value(DOCTYPE, {"call_id": event.call_id}, "name", for_update=True)
	if name:
		return name
	launched = by_userdata(event.userdata)
	if launched and not launched.call_id:
		frappe.db.set_value(DOCTYPE, launched.name, "call_id", event.call_id)
		return launched.name
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


def start_click_to_call(e164: str, contact: str | None, whatsapp_contact: str | None) -> str:
	user = frappe.session.user
	line = line_of(user)
	if not line:
		frappe.throw(
			_("You have no Netelip extension yet. Ask a manager to add you under Netelip Settings > Agents.")
		)
	doc = frappe.get_doc(
		{
			"doctype": DOCTYPE,
			"direction": "Outbound",
			"status": str(cs.CallState.INITIATED),
			"customer_number": e164,
			"to_number": e164,
			"from_number": settings.netelip().caller_id,
			"agent": user,
			"agent_line": line,
			"contact": contact or crm_links.find_contact(e164, settings.default_region()),
			"whatsapp_contact": whatsapp_contact or whatsapp_contact_for(e164),
			"userdata": secrets.token_hex(12),
			"started_at": now_datetime(),
		}
	).insert(ignore_permissions=True)
	frappe.enqueue(
		"xappiens_whatsapp.pipeline.calls.launch",
		queue="short",
		job_id=f"xw-launch-{doc.name}",
		deduplicate=True,
		enqueue_after_commit=True,
		name=doc.name,
	)
	realtime.call_changed(doc.name, user, doc.status, doc.direction, popup=True)
	return doc.name


def client() -> NetelipClient:
	conf = settings.netelip()
	token = get_decrypted_password("Netelip Settings", "Netelip Settings", "api_token", raise_exception=False)
	if not token or not conf.api_application:
		frappe.throw(_("Set the Netelip API token and application in Netelip Settings first"))
	return NetelipClient(
		token=token,
		application=conf.api_application,
		base_url=conf.api_base_url or "https://api.netelip.com/v1",
		timeout=settings.int_setting(conf, "request_timeout", 15, minimum=1),
	)


def launch(name: str) -> None:
	"""Ask Netelip to ring the agent. A launch is never repeated automatically: a lost answer may mean a
	phone is already ringing, and the no-answer timeout closes the call if nothing follows."""
	row = frappe.db.get_value(
		DOCTYPE, name, ["name", "call_id", "status", "agent_line", "userdata"], as_dict=True
	)
	if not row or row.call_id or row.status != str(cs.CallState.INITIATED):
		return
	conf = settings.netelip()
	try:
		with client() as netelip:
			call_id = netelip.launch_call(
				src=conf.caller_id or row.agent_line,
				dst=row.agent_line,
				typedst="extension",
				duration=settings.int_setting(conf, "max_call_seconds", 7200, minimum=1),
				userdata=row.userdata,
			)
	except ProviderError as exc:
		launch_failed(name, exc)
		return
	with named_lock(f"Netelip:None:{call_id}"):
		if not frappe.db.get_value(DOCTYPE, name, "call_id"):
			frappe.db.set_value(DOCTYPE, name, "call_id", call_id)
		frappe.db.commit()


def launch_failed(name: str, exc: ProviderError) -> None:
	from xappiens_whatsapp.pipeline.call_alerts import after_change

	if exc.outcome_unknown:
		frappe.db.set_value(DOCTYPE, name, "launch_error", f"{exc.message} (the phone may still ring)"[:500])
		frappe.db.commit()
		return
	row = frappe.db.get_value(DOCTYPE, name, ["*"], as_dict=True)
	before = snapshot_of(row)
	after = cs.apply(before, cs.launch_update(exc.code or exc.status or "error"))
	write(name, before, after)
	frappe.db.set_value(DOCTYPE, name, "launch_error", exc.message[:500])
	after_change(name, before, after)
	frappe.db.commit()

"""Netelip Call rows: who the call is for, what Netelip should do next, and click-to-call.

Click-to-call rings the agent's own line first; when the agent picks up, Netelip asks the control URL what to
do and we answer `dial` to the customer, once. `userdata` carries our own reference so every callback finds
the row this site created before the launch, whatever call ID Netelip gives that leg.
"""

import json
import secrets
from datetime import UTC, datetime, timedelta

import frappe
from frappe import _
from frappe.utils import now_datetime
from frappe.utils.password import get_decrypted_password

from xappiens_whatsapp.clients.errors import ProviderError
from xappiens_whatsapp.clients.netelip import DEFAULT_BASE_URL, NetelipClient
from xappiens_whatsapp.core import call_state as cs
from xappiens_whatsapp.core.netelip_answers import HANGUP, NO_INSTRUCTION, PUBLIC_LINE, ControlAnswer, dial
from xappiens_whatsapp.core.netelip_events import CallEvent
from xappiens_whatsapp.core.phones import digits, to_netelip
from xappiens_whatsapp.core.text import one_line, plain
from xappiens_whatsapp.pipeline import crm_links, realtime, settings
from xappiens_whatsapp.pipeline.inbox.locks import named_lock
from xappiens_whatsapp.pipeline.netelip import call_rate
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
# How long the control URL waits for a job that holds the call's row before answering anyway.
CLAIM_WAIT_S = 3


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


def _api_token() -> str | None:
	return get_decrypted_password("Netelip Settings", "Netelip Settings", "api_token", raise_exception=False)


def check_ready() -> None:
	"""Refuse a click-to-call that cannot be launched, before any call row exists."""
	if not _api_token() or not (settings.netelip().api_application or "").strip():
		frappe.throw(
			_(
				"Calls cannot be made yet: a manager must set the API token and application in Netelip Settings."
			),
			title=_("Netelip is not set up"),
		)


def start_click_to_call(e164: str, contact: str | None, whatsapp_contact: str | None) -> str:
	user = frappe.session.user
	line = line_of(user)
	if not line:
		frappe.throw(
			_("You have no Netelip extension yet. Ask a manager to add you under Netelip Settings > Agents.")
		)
	check_ready()
	call_rate.spend(user)  # last: only a call that is about to be made counts
	doc = frappe.get_doc(
		{
			"doctype": DOCTYPE,
			"direction": "Outbound",
			"status": str(cs.CallState.INITIATED),
			"status_source": "launch",
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
		"xappiens_whatsapp.pipeline.netelip.calls.launch",
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
	token = _api_token()
	if not token or not (conf.api_application or "").strip():
		frappe.throw(_("Set the Netelip API token and application in Netelip Settings first"))
	return NetelipClient(
		token=token,
		application=conf.api_application.strip(),
		base_url=conf.api_base_url or DEFAULT_BASE_URL,
		timeout=settings.int_setting(conf, "request_timeout", 15, minimum=1),
	)


def launch(name: str) -> None:
	"""Ask Netelip to ring the agent, at most once: a lost answer may mean a phone is already ringing, so the
	launch is claimed (committed) before it is sent and never repeated."""
	# Claimed in one statement: of two jobs for the same call, only one sees its update take.
	frappe.db.sql(
		f"""update `tab{DOCTYPE}` set launched_at = %s
		where name = %s and launched_at is null and call_id is null and status = %s""",
		(now_datetime(), name, str(cs.CallState.INITIATED)),
	)
	claimed = frappe.db._cursor.rowcount == 1
	frappe.db.commit()
	if not claimed:
		return
	row = frappe.db.get_value(DOCTYPE, name, ["name", "agent_line", "userdata"], as_dict=True)
	try:
		call_id = _send_launch(row)
	except ProviderError as exc:
		launch_failed(name, exc)
		return
	except Exception as exc:
		# Whatever stopped it, the call did not start: say so now rather than let the timeout guess.
		frappe.db.rollback()
		if not isinstance(exc, frappe.ValidationError):
			frappe.log_error(
				title="Netelip click-to-call launch", reference_doctype=DOCTYPE, reference_name=name
			)
		fail_launch(name, None, _("The call was not launched: {0}").format(str(exc) or type(exc).__name__))
		return
	launched(name, call_id)


def _send_launch(row) -> str:
	conf = settings.netelip()
	kind, target = route(row.agent_line)
	with client() as netelip:
		return netelip.launch_call(
			src=conf.caller_id or (digits(row.agent_line) if kind == "pstn" else target),
			dst=target,
			typedst=kind,
			duration=settings.int_setting(conf, "max_call_seconds", 7200, minimum=1),
			userdata=row.userdata,
		)


def launched(name: str, call_id: str) -> None:
	"""Netelip took the launch: keep its call ID and give the agent's phone its ring time."""
	ring_until = cs.ring_deadline(datetime.now(UTC), ring_seconds())
	with named_lock(f"Netelip:None:{call_id}"):
		attach_leg(name, call_id)
		row = frappe.db.get_value(DOCTYPE, name, ["*"], as_dict=True, for_update=True)
		before = snapshot_of(row)
		write(name, before, cs.apply(before, cs.launch_update("200", ring_until=ring_until)))
		frappe.db.commit()


def launch_failed(name: str, exc: ProviderError) -> None:
	if not exc.outcome_unknown:
		# Netelip's own code, never the HTTP status: a 200 whose body was not a success is still a failure.
		code = one_line(exc.code, 140)
		fail_launch(name, code if code and code != "200" else "error", exc.message)
		return
	# Netelip may have acted: not a failure, and never a second launch. The timeout or a callback decides.
	message = _("Netelip did not confirm the call ({0}); the phone may still ring.").format(exc.message)
	frappe.db.set_value(DOCTYPE, name, {"launch_unconfirmed": 1, "launch_error": plain(message, 500)})
	row = frappe.db.get_value(DOCTYPE, name, ["agent", "status", "direction"], as_dict=True)
	realtime.call_changed(name, row.agent, row.status, row.direction, popup=True)
	frappe.db.commit()


def fail_launch(name: str, code, message: str) -> None:
	"""End a call that never started as Failed, with the reason for the agent."""
	from xappiens_whatsapp.pipeline.netelip.call_alerts import after_change

	row = frappe.db.get_value(DOCTYPE, name, ["*"], as_dict=True, for_update=True)
	before = snapshot_of(row)
	after = cs.apply(before, cs.launch_update(code))
	write(name, before, after)
	# Netelip's (or an exception's) own words: plain text, since the form shows this field as HTML.
	frappe.db.set_value(DOCTYPE, name, "launch_error", plain(message, 500))
	after_change(name, before, after)
	frappe.db.commit()

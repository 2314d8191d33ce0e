"""Cron, every minute: a call nobody answered in time becomes No Answer, marked as inferred.

"In time" counts from the call's latest step: the launch ringing the agent, or our dial to the customer once
the agent picked up, each with its ring time and a margin. A call whose own events still wait in the inbox is
left for them, and a later real event from Netelip (answer, hang-up, CDR) still wins over the guess.

Likewise an answered call whose final record never came is Completed (inferred) once it has outlasted the
longest call a dial allows (Netelip Settings > Longest call) by the time a record takes to come.
"""

from datetime import UTC, datetime, timedelta

import frappe
from frappe import _

from xappiens_whatsapp.core import call_state as cs
from xappiens_whatsapp.pipeline import settings
from xappiens_whatsapp.pipeline.inbox.locks import event_key, named_lock
from xappiens_whatsapp.pipeline.netelip import calls, click_to_call
from xappiens_whatsapp.pipeline.netelip.call_alerts import after_change
from xappiens_whatsapp.pipeline.times import from_epoch

DOCTYPE = "Netelip Call"
NEVER_LAUNCHED_AFTER_S = 300


def _seconds_before(now: datetime, seconds: float) -> datetime:
	"""`seconds` before `now` (aware), as the naive site time the call rows store."""
	return from_epoch((now - timedelta(seconds=seconds)).timestamp())


def run(now: datetime | None = None) -> int:
	"""`now` (aware) is for tests; the scheduler passes nothing."""
	now = now or datetime.now(UTC)
	timeout = settings.int_setting(settings.netelip(), "no_answer_timeout", 30, minimum=1)
	# Every deadline is at least the timeout after the start, so this only narrows the search.
	cutoff = _seconds_before(now, timeout)
	candidates = frappe.get_all(
		DOCTYPE,
		filters={"status": ["in", ["Initiated", "Ringing"]], "started_at": ["<=", cutoff], "final_record": 0},
		fields=["name", "call_id", "direction", "launched_at"],
		limit=500,
	)
	# A click-to-call not launched yet has rung nobody: its launch job is only late, not unanswered.
	expired = sum(
		_settle(call, lambda before: cs.infer_no_answer(before, now, timeout))
		for call in candidates
		if not (call.direction == "Outbound" and not call.launched_at) and not events_pending(call.call_id)
	)
	return expired + _fail_never_launched(now) + _end_answered(now)


def _end_answered(now: datetime) -> int:
	longest = settings.int_setting(settings.netelip(), "max_call_seconds", 7200, minimum=1)
	# The deadline counts from the answer, which is never before the start: this only narrows the search.
	cutoff = _seconds_before(now, longest + cs.FINAL_RECORD_GRACE_S)
	candidates = frappe.get_all(
		DOCTYPE,
		filters={"status": "Answered", "started_at": ["<=", cutoff], "final_record": 0},
		fields=["name", "call_id"],
		limit=500,
	)
	return sum(
		_settle(call, lambda before: cs.infer_ended(before, now, longest))
		for call in candidates
		if not events_pending(call.call_id)
	)


def _fail_never_launched(now: datetime) -> int:
	"""A click-to-call whose launch job never ran (lost with its queue): say so, rather than ring minutes late."""
	cutoff = _seconds_before(now, NEVER_LAUNCHED_AFTER_S)
	names = frappe.get_all(
		DOCTYPE,
		filters={
			"direction": "Outbound",
			"status": "Initiated",
			"launched_at": ["is", "not set"],
			"call_id": ["is", "not set"],
			"started_at": ["<=", cutoff],
		},
		pluck="name",
		limit=100,
	)
	for name in names:
		# Claimed like a launch, so a job that starts now does not ring after all.
		frappe.db.sql(
			f"update `tab{DOCTYPE}` set launched_at = %s where name = %s and launched_at is null",
			(frappe.utils.now_datetime(), name),
		)
		if frappe.db._cursor.rowcount == 1:
			click_to_call.fail_launch(
				name, "error", _("The call was never launched: it waited too long to start.")
			)
		frappe.db.commit()
	return len(names)


def events_pending(call_id: str | None) -> bool:
	"""Netelip already told us something about this call that no job has applied yet."""
	if not call_id:
		return False
	return bool(
		frappe.db.sql(
			"""select 1 from `tabInbound Webhook` where session_id is null and reference_key = %s
			and provider = 'Netelip' and status in ('Received', 'Failed') and needs_attention = 0 limit 1""",
			(call_id,),
		)
	)


def _settle(call, infer) -> bool:
	"""Apply `infer(snapshot)` (a snapshot, or None for no change) to the call's current row."""
	# the same lock as the call's events, so a real event and the timeout never interleave
	with named_lock(event_key("Netelip", None, call.call_id) or f"Netelip:call:{call.name}"):
		row = frappe.db.get_value(DOCTYPE, call.name, ["*"], as_dict=True, for_update=True)
		before = calls.snapshot_of(row)
		after = infer(before)
		changed = after is not None and calls.write(call.name, before, after)
		if changed:
			after_change(call.name, before, after)
		frappe.db.commit()
	return changed

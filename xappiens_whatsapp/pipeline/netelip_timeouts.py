"""Cron, every minute: a call nobody answered in time becomes No Answer, marked as inferred.

"In time" counts from the call's latest step: the launch ringing the agent, or our dial to the customer once
the agent picked up, each with its ring time and a margin. A call whose own events still wait in the inbox is
left for them, and a later real event from Netelip (answer, hang-up, CDR) still wins over the guess.
"""

from datetime import UTC, datetime, timedelta

import frappe

from xappiens_whatsapp.core import call_state as cs
from xappiens_whatsapp.pipeline import calls, settings
from xappiens_whatsapp.pipeline.call_alerts import after_change
from xappiens_whatsapp.pipeline.locks import named_lock
from xappiens_whatsapp.pipeline.times import from_epoch

DOCTYPE = "Netelip Call"


def run(now: datetime | None = None) -> int:
	"""`now` (aware) is for tests; the scheduler passes nothing."""
	now = now or datetime.now(UTC)
	timeout = settings.int_setting(settings.netelip(), "no_answer_timeout", 30, minimum=1)
	# Every deadline is at least the timeout after the start, so this only narrows the search.
	cutoff = from_epoch((now - timedelta(seconds=timeout)).timestamp())
	candidates = frappe.get_all(
		DOCTYPE,
		filters={"status": ["in", ["Initiated", "Ringing"]], "started_at": ["<=", cutoff], "final_record": 0},
		fields=["name", "call_id"],
		limit=500,
	)
	return sum(_expire(call, now, timeout) for call in candidates if not events_pending(call.call_id))


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


def _expire(call, now: datetime, timeout: int) -> bool:
	# the same lock as the call's events, so a real event and the timeout never interleave
	with named_lock(f"Netelip:None:{call.call_id}" if call.call_id else f"Netelip:call:{call.name}"):
		row = frappe.db.get_value(DOCTYPE, call.name, ["*"], as_dict=True, for_update=True)
		before = calls.snapshot_of(row)
		after = cs.infer_no_answer(before, now, timeout)
		changed = after is not None and calls.write(call.name, before, after)
		if changed:
			after_change(call.name, before, after)
		frappe.db.commit()
	return changed

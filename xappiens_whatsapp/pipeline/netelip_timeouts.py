"""Cron, every minute: a call nobody answered within the timeout becomes No Answer, marked as inferred.
A later real event from Netelip (answer, hang-up, CDR) still wins over it."""

from datetime import UTC, datetime, timedelta

import frappe
from frappe.utils import now_datetime

from xappiens_whatsapp.core import call_state as cs
from xappiens_whatsapp.pipeline import calls, settings
from xappiens_whatsapp.pipeline.call_alerts import after_change
from xappiens_whatsapp.pipeline.locks import named_lock

DOCTYPE = "Netelip Call"


def run() -> int:
	timeout = settings.int_setting(settings.netelip(), "no_answer_timeout", 30, minimum=1)
	cutoff = now_datetime() - timedelta(seconds=timeout)
	candidates = frappe.get_all(
		DOCTYPE,
		filters={"status": ["in", ["Initiated", "Ringing"]], "started_at": ["<=", cutoff]},
		fields=["name", "call_id"],
		limit=500,
	)
	changed = 0
	now = datetime.now(UTC)
	for call in candidates:
		# the same lock as the call's events, so a real event and the timeout never interleave
		with named_lock(f"Netelip:None:{call.call_id}" if call.call_id else f"Netelip:call:{call.name}"):
			row = frappe.db.get_value(DOCTYPE, call.name, ["*"], as_dict=True, for_update=True)
			before = calls.snapshot_of(row)
			after = cs.infer_no_answer(before, now, timeout)
			if after is not None and calls.write(call.name, before, after):
				after_change(call.name, before, after)
				changed += 1
			frappe.db.commit()
	return changed

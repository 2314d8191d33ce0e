"""The RQ job: apply one Inbound Webhook row to the CRM, exactly once.

The row is re-read under a lock before anything happens, so a job queued twice (by the endpoint and by the
sweep) applies it once. Events about the same message or call are serialised by a named lock on that key.
A failure is kept on the row with its error and retried later with backoff by the sweep.
"""

import json
import time
import traceback
from dataclasses import dataclass
from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from xappiens_whatsapp.pipeline import settings
from xappiens_whatsapp.pipeline.locks import LockTimeout, named_lock

DOCTYPE = "Inbound Webhook"
FINAL = ("Processed", "Ignored")
CONFLICT_RETRIES = 3
ROW_FIELDS = ["name", "provider", "status", "event", "session_id", "reference_key", "attempts", "received_at"]


@dataclass
class Outcome:
	status: str  # Processed, Waiting or Ignored
	reference_doctype: str | None = None
	reference_name: str | None = None
	note: str | None = None


def _handler(provider: str):
	if provider == "Netelip":
		from xappiens_whatsapp.pipeline.apply_netelip import apply
	else:
		from xappiens_whatsapp.pipeline.apply_inbox_hub import apply
	return apply


def lock_key(row) -> str | None:
	return f"{row.provider}:{row.session_id}:{row.reference_key}" if row.reference_key else None


def load(name: str) -> tuple[bytes, dict]:
	payload, headers = frappe.db.get_value(DOCTYPE, name, ["payload", "headers"])
	return (payload or "").encode(), json.loads(headers or "{}")


def process(name: str) -> None:
	row = frappe.db.get_value(DOCTYPE, name, ROW_FIELDS, as_dict=True)
	if not row or row.status in FINAL:
		return
	for attempt in range(1, CONFLICT_RETRIES + 1):
		try:
			_apply_locked(name, row)
			return
		except Exception as exc:
			frappe.db.rollback()
			conflict = isinstance(exc, LockTimeout) or is_lock_conflict(exc)
			if conflict and attempt < CONFLICT_RETRIES:
				# Another worker holds the message or row: wait our turn rather than fail the event.
				time.sleep(0.2 * attempt)
				continue
			# Kept on the row, whatever went wrong (lock, handler, bookkeeping): the sweep retries it with
			# backoff and flags it once the attempts run out.
			record_failure(frappe.db.get_value(DOCTYPE, name, ROW_FIELDS, as_dict=True) or row, exc)
			frappe.db.commit()
			return


def _apply_locked(name: str, row) -> None:
	started = time.monotonic()
	with named_lock(lock_key(row)):
		row = frappe.db.get_value(DOCTYPE, name, ROW_FIELDS, as_dict=True, for_update=True)
		if row.status in FINAL:
			frappe.db.commit()
			return
		outcome = _handler(row.provider)(row, *load(name))
		finish(row, outcome, started)
		frappe.db.commit()


def is_lock_conflict(exc: Exception) -> bool:
	"""A deadlock or lock wait timeout. Frappe wraps them (QueryDeadlockError(e)), which its own
	`is_deadlocked` check does not recognise."""
	if isinstance(exc, frappe.QueryDeadlockError | frappe.QueryTimeoutError):
		return True
	return frappe.db.is_deadlocked(exc) or frappe.db.is_timedout(exc)


def finish(row, outcome: Outcome, started: float) -> None:
	now = now_datetime()
	values = {
		"status": outcome.status,
		"note": outcome.note,
		"reference_doctype": outcome.reference_doctype,
		"reference_name": outcome.reference_name,
		"attempts": (row.attempts or 0) + 1,
		"next_retry_at": None,
		"last_error": None,
		"needs_attention": 0,
	}
	if outcome.status == "Waiting":
		# Looked at again by the sweep in case the event that wakes it was missed (e.g. a message stored
		# before this row was committed).
		values["next_retry_at"] = now + backoff(values["attempts"])
	else:
		values["processed_at"] = now
		values["processing_ms"] = round((time.monotonic() - started) * 1000, 1)
		if row.received_at:
			values["lag_ms"] = round(
				(now - frappe.utils.get_datetime(row.received_at)).total_seconds() * 1000, 1
			)
	frappe.db.set_value(DOCTYPE, row.name, values, update_modified=False)


def backoff(attempts: int) -> timedelta:
	return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def record_failure(row, exc: Exception) -> None:
	attempts = (row.attempts or 0) + 1
	limit = settings.int_setting(settings.whatsapp(), "max_attempts", 5, minimum=1)
	exhausted = attempts >= limit
	error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
	frappe.db.set_value(
		DOCTYPE,
		row.name,
		{
			"status": "Failed",
			"attempts": attempts,
			"last_error": f"{error}\n\n{traceback.format_exc()[-4000:]}",
			"next_retry_at": None if exhausted else now_datetime() + backoff(attempts),
			"needs_attention": 1 if exhausted else 0,
		},
		update_modified=False,
	)
	if exhausted:
		from xappiens_whatsapp.pipeline.alerts import event_needs_attention

		event_needs_attention(row.name, row.provider, row.event, error)


def apply_waiting(name: str) -> None:
	"""Apply a parked event now that what it refers to exists (caller holds the lock and commits)."""
	row = frappe.db.get_value(DOCTYPE, name, ROW_FIELDS, as_dict=True, for_update=True)
	if row.status != "Waiting":
		return
	outcome = _handler(row.provider)(row, *load(name))
	finish(row, outcome, time.monotonic())

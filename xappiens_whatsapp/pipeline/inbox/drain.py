"""The RQ job: apply one Inbound Webhook row to the CRM, exactly once.

A row is applied only under a lock on it (re-read with a locking read, or claimed by a drain with one that
skips rows another worker holds), so a row two jobs reach (the endpoint's and the sweep's) is applied once.
Events about the same message or call are serialised by a named lock on that key. A drain applies the rows
it finds in groups that share one transaction. A failure is kept on the row with its error and retried later
with backoff by the sweep.
"""

import json
import time
import traceback
from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from xappiens_whatsapp.core.text import plain
from xappiens_whatsapp.pipeline import counts, settings
from xappiens_whatsapp.pipeline.inbox import drain_state, jobs, parked
from xappiens_whatsapp.pipeline.inbox.locks import LockTimeout, event_key, named_lock, release, try_locks
from xappiens_whatsapp.pipeline.inbox.outcome import Outcome
from xappiens_whatsapp.pipeline.inbox.rows import get_row, update_row, update_rows

DOCTYPE = "Inbound Webhook"
FINAL = ("Processed", "Ignored")
CONFLICT_RETRIES = 3
# How long one job goes on applying rows. It stops sooner for any other job waiting where its worker would take
# it (see _other_work_waiting); a new job costs a fresh process, and the events meanwhile wait for it.
DRAIN_SECONDS = 30.0
DRAIN_BATCH = 50
LOCAL_STATE_SECONDS = 5.0  # how long a drain trusts what it read once (settings, sessions)
GROUP_SIZE = 10  # events a drain applies in one transaction (their realtime events wait for its commit)
LINGER_SECONDS = 1.0
YIELD_TO_QUEUES = ("default",)
OTHERS_LOOKED_AT = 20  # jobs at the head of this queue checked for one that is not an inbox row's
LOOK_EVERY = 0.05
ROW_FIELDS = ["name", "provider", "status", "event", "session_id", "reference_key", "attempts", "received_at"]
# What applying a row reads: the delivery, and what a Netelip callback was answered.
APPLY_FIELDS = [*ROW_FIELDS, "payload", "headers", "answer_command", "answer_line", "answer_ring_seconds"]


def _handler(provider: str):
	if provider == "Netelip":
		from xappiens_whatsapp.pipeline.netelip.apply import apply
	else:
		from xappiens_whatsapp.pipeline.whatsapp.apply import apply
	return apply


def lock_key(row) -> str | None:
	return event_key(row.provider, row.session_id, row.reference_key)


def _apply(row) -> Outcome:
	"""Apply one claimed row through its provider's handler, then the events parked for what it made (the
	caller holds the locks of both: they share the row's reference)."""
	outcome = _handler(row.provider)(row, *_body(row))
	for reference in outcome.wake:
		for name in parked.waiting_for(row.session_id, reference):
			apply_waiting(name)
	return outcome


def _body(row) -> tuple[bytes, dict]:
	return (row.payload or "").encode(), json.loads(row.headers or "{}")


def job(name: str | None = None) -> None:
	"""The RQ job: a drain (see inbox_jobs), after its own row when it was queued for one.

	A worker forks a fresh process for every job, and setting one up costs several times what applying an
	event does; so one job applies every Received row it finds while it is warm."""
	with drain_state.draining():
		if name:
			process(name)
		else:
			jobs.woken()  # before the drain's first look: rows committed from now on wake another
		drain(exclude=name)


def drain(exclude: str | None = None, seconds: float = DRAIN_SECONDS, linger: float = LINGER_SECONDS) -> int:
	"""Apply Received rows, oldest first, for up to `seconds`; returns how many this call settled.

	With nothing left it waits up to `linger` for more (looking every LOOK_EVERY seconds): under a steady
	trickle, the next event is then applied at once instead of after a new process is set up for it. A row
	another worker is on is skipped, not waited for; it gets its own job if it is still Received at the end.
	While a full batch makes progress, a drain is kept queued: an idle worker shares the load, and the work
	goes on after this job stops (out of time, or yielding to other jobs)."""
	deadline = time.monotonic() + seconds
	idle_until = time.monotonic() + linger
	fresh_until = time.monotonic() + LOCAL_STATE_SECONDS
	applied, skipped = 0, set()
	while time.monotonic() < deadline:
		frappe.db.commit()  # a fresh snapshot: rows committed since the last look
		if time.monotonic() >= fresh_until:
			_forget_what_was_read()
			fresh_until = time.monotonic() + LOCAL_STATE_SECONDS
		waiting = frappe.db.sql(
			f"""select {", ".join(ROW_FIELDS)} from `tabInbound Webhook`
			where status = 'Received' and name != %s order by received_at limit %s""",
			(exclude or "", DRAIN_BATCH),
			as_dict=True,
		)
		done, cut_short = 0, False
		for start in range(0, len(waiting), GROUP_SIZE):
			if time.monotonic() >= deadline:
				cut_short = True
				break
			group = waiting[start : start + GROUP_SIZE]
			settled = set(apply_group(group))
			done += len(settled)
			skipped -= settled
			skipped |= {row.name for row in group} - settled
		applied += done
		if done and (cut_short or len(waiting) == DRAIN_BATCH):
			jobs.wake()  # more may be waiting than this job will get to
		if _other_work_waiting():
			break  # a send or another job is queued behind this one: let the worker get to it
		if done:
			idle_until = time.monotonic() + linger
		elif time.monotonic() >= idle_until:
			break  # nothing came (or only rows other workers hold) for a while
		else:
			time.sleep(LOOK_EVERY)
	_queue_own_jobs(skipped)
	return applied


def _forget_what_was_read() -> None:
	"""Let a long drain see settings and sessions changed meanwhile, as a new job would: Frappe keeps what it
	read from its cache (WhatsApp Settings among it) in the job's memory, and the job remembers sessions."""
	frappe.local.cache = {}  # as frappe.clear_cache and set_user reset it
	state = drain_state.current()
	if state is not None:
		state.known_sessions.clear()


def apply_group(rows: list) -> list[str]:
	"""Apply Received rows (their ROW_FIELDS) in one transaction; the names of those it settled.

	A drain's events share a commit, and the rows are claimed with one locking read, instead of a commit and
	a read per event. Each row is still applied under its message's lock, held until the commit, and claimed
	only if no other worker holds it (its message's lock, or the row itself): a row either worker could take
	is applied by one, once. If anything fails, the whole group is undone; after a conflict with another
	worker its rows are left for the next look, after any other error they are applied one at a time, so the
	failure is kept on the row it belongs to."""
	with drain_state.draining() as state:
		state.in_group = True
		try:
			return _apply_group(rows)
		finally:
			state.in_group = False


def _apply_group(rows: list) -> list[str]:
	held, settled, finished = [], [], []
	try:
		keys = [lock_key(row) for row in rows]
		taken = iter(try_locks([key for key in keys if key]))  # one round trip for the group's locks
		ours = []
		for row, key in zip(rows, keys, strict=True):
			if key:
				if not next(taken):
					continue  # another worker is on this message
				held.append(key)  # a key twice in the group is held twice, and released twice
			ours.append(row.name)
		# No one parks an event for these messages now that their locks are ours: a snapshot begun from here
		# sees every event parked for them, so the group reads those without locking (a locking read would
		# also lock the gap new inbox rows go into, and hold the endpoint up until this group commits).
		frappe.db.commit()
		claimed = _claim(ours)
		parked.read_for_group(claimed)
		for row in claimed:
			started = time.monotonic()
			outcome = _apply(row)
			finish(row, outcome, started, finished)
			if outcome.status == "Waiting":
				parked.parked(row)
			settled.append(row.name)
		# Settled rows are written together; a parked one (Waiting) was written at once, for the events after
		# it in this transaction that may wake it.
		update_rows(DOCTYPE, finished)
		frappe.db.commit()
		return settled
	except Exception as exc:
		frappe.db.rollback()
		failure = exc
	finally:
		parked.forget()
		release(held)
	if isinstance(failure, LockTimeout) or is_lock_conflict(failure):
		return []
	return [row.name for row in rows if process(row.name, False, row)]


def _claim(names: list[str]) -> list:
	"""The rows still Received, locked until the commit; rows another worker has locked are skipped."""
	if not names:
		return []
	return frappe.db.sql(
		f"""select {", ".join(APPLY_FIELDS)} from `tabInbound Webhook`
		where name in %s and status = 'Received' order by received_at for update skip locked""",
		(tuple(names),),
		as_dict=True,
	)


def _queue_own_jobs(names: set[str]) -> None:
	"""Rows skipped because another worker held their message: each gets its own job, which waits its turn."""
	if not names:
		return
	frappe.db.commit()
	still = frappe.db.sql(
		"select name from `tabInbound Webhook` where status = 'Received' and name in %s", (tuple(names),)
	)
	for (name,) in still:
		jobs.enqueue(name)


def _other_work_waiting() -> bool:
	"""Other jobs queued where this worker would take them: any in `default` (sends), and in this queue any
	job that is not one of this site's inbox jobs (a call launch, a read receipt, another app's job, or another
	site's, inbox jobs included: the bench's queues are shared by its sites)."""
	from frappe.utils.background_jobs import create_job_id, get_queue

	try:
		if any(get_queue(queue).count for queue in YIELD_TO_QUEUES):
			return True
		ours = create_job_id(jobs.JOB_PREFIX)  # how Frappe names this site's jobs
		queued = get_queue(jobs.QUEUE).get_job_ids(0, OTHERS_LOOKED_AT)
		return any(not job_id.startswith(ours) for job_id in queued)
	except Exception:
		return False


def process(name: str, wait: bool = True, row=None) -> bool:
	"""Apply one row. True when this call settled it (applied it, or kept its failure for the sweep's retry
	with backoff); with `wait=False`, a row whose message another worker is working on is left alone (False)
	instead of waited for. `row`: its ROW_FIELDS, if already read."""
	row = row or get_row(DOCTYPE, name, ROW_FIELDS)
	if not row or row.status in FINAL:
		return False
	for attempt in range(1, CONFLICT_RETRIES + 1):
		try:
			return _apply_locked(name, row, None if wait else 0)
		except Exception as exc:
			frappe.db.rollback()
			conflict = isinstance(exc, LockTimeout) or is_lock_conflict(exc)
			if conflict and not wait:
				return False
			if conflict and attempt < CONFLICT_RETRIES:
				# Another worker holds the message or row: wait our turn rather than fail the event.
				time.sleep(0.2 * attempt)
				continue
			# Kept on the row, whatever went wrong (lock, handler, bookkeeping): the sweep retries it with
			# backoff and flags it once the attempts run out. True: this row is settled for now.
			# Locked: its status now is the bucket the failure moves it from.
			current = get_row(DOCTYPE, name, ROW_FIELDS, for_update=True)
			if current and current.status not in FINAL:  # e.g. a callback after a commit that did go through
				record_failure(current, exc)
				frappe.db.commit()
			return True
	return False


def _apply_locked(name: str, row, lock_wait: int | None) -> bool:
	started = time.monotonic()
	with named_lock(lock_key(row), timeout=lock_wait):
		row = get_row(DOCTYPE, name, APPLY_FIELDS, for_update=True)
		if row.status in FINAL:
			frappe.db.commit()
			return False
		outcome = _apply(row)
		finish(row, outcome, started)
		frappe.db.commit()
		return True


def is_lock_conflict(exc: Exception) -> bool:
	"""A deadlock or lock wait timeout. Frappe wraps them (QueryDeadlockError(e)), which its own
	`is_deadlocked` check does not recognise."""
	if isinstance(exc, frappe.QueryDeadlockError | frappe.QueryTimeoutError):
		return True
	return frappe.db.is_deadlocked(exc) or frappe.db.is_timedout(exc)


def finish(row, outcome: Outcome, started: float, later: list | None = None) -> None:
	"""Write the outcome on the row; a final one goes on `later` instead, when given, to be written further on in
	the same transaction (update_rows)."""
	now = now_datetime()
	counts.webhook_moved(row.provider, row.received_at, row.status, outcome.status)
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
		if outcome.status == "Processed":
			counts.webhook_processed(now, values.get("lag_ms"))
		if later is not None:
			later.append((row.name, values))
			return
	update_row(DOCTYPE, row.name, values)


def backoff(attempts: int) -> timedelta:
	return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def record_failure(row, exc: Exception) -> None:
	attempts = (row.attempts or 0) + 1
	limit = settings.int_setting(settings.whatsapp(), "max_attempts", 5, minimum=1)
	exhausted = attempts >= limit
	counts.webhook_moved(row.provider, row.received_at, row.status, "Failed")
	# An error's words can carry what a provider or a customer sent: kept as plain text, like everything shown.
	error = (
		plain("".join(traceback.format_exception_only(type(exc), exc)).strip(), 1000) or type(exc).__name__
	)
	frappe.db.set_value(
		DOCTYPE,
		row.name,
		{
			"status": "Failed",
			"attempts": attempts,
			"last_error": plain(f"{error}\n\n{traceback.format_exc()[-4000:]}"),
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
	row = get_row(DOCTYPE, name, APPLY_FIELDS, for_update=True)
	if row.status != "Waiting":
		return
	outcome = _apply(row)
	finish(row, outcome, time.monotonic())
	if outcome.status == "Waiting":
		parked.parked(row)  # still waiting (for another message with the same id): a later one may wake it

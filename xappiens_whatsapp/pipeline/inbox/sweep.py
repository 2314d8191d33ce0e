"""The safety net, every minute: nothing received is left unprocessed, nothing failing is retried forever."""

from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from xappiens_whatsapp.pipeline import counts, settings
from xappiens_whatsapp.pipeline.inbox import jobs

DOCTYPE = "Inbound Webhook"
BATCH = 500


def run() -> dict:
	conf = settings.whatsapp()
	now = now_datetime()
	stuck_before = now - timedelta(seconds=settings.int_setting(conf, "stuck_after_seconds", 60, minimum=1))

	# Received but never processed: the job was lost (worker killed, Redis down when it was woken).
	stuck = frappe.get_all(
		DOCTYPE,
		filters={"status": "Received", "received_at": ["<", stuck_before]},
		pluck="name",
		order_by="received_at asc",
		limit=BATCH,
	)
	# Failed with retries left, once their backoff has passed; and waiting ones, in case what they wait for
	# arrived without waking them.
	due = frappe.get_all(
		DOCTYPE,
		filters={"status": ["in", ["Failed", "Waiting"]], "needs_attention": 0, "next_retry_at": ["<=", now]},
		pluck="name",
		order_by="next_retry_at asc",
		limit=BATCH,
	)
	if stuck or due:
		release_abandoned_jobs()
	# One drain takes every Received row; a retry is one row's own job (a drain takes only Received ones).
	queued = (len(stuck) if stuck and jobs.wake() else 0) + sum(jobs.enqueue(name) for name in due)

	# A status that waited a whole day for its message will not find it any more.
	ttl = timedelta(hours=settings.int_setting(conf, "waiting_ttl_hours", 24, minimum=1))
	expired = frappe.get_all(
		DOCTYPE,
		filters={"status": "Waiting", "received_at": ["<", now - ttl]},
		fields=["name", "provider", "received_at"],
		limit=BATCH,
	)
	for row in expired:
		# Only if still Waiting: a drain may have applied it since it was listed.
		frappe.db.sql(
			f"""update `tab{DOCTYPE}` set status = 'Ignored', note = 'The message it refers to never arrived',
			next_retry_at = null where name = %s and status = 'Waiting'""",
			row.name,
		)
		if frappe.db._cursor.rowcount == 1:
			counts.webhook_moved(row.provider, row.received_at, "Waiting", "Ignored")
	frappe.db.commit()
	return {"requeued": queued, "stuck": len(stuck), "retried": len(due), "expired": len(expired)}


def release_abandoned_jobs(now: float | None = None) -> int:
	"""A job whose worker was killed stays "started" in RQ, which blocks queueing its row again, until its
	heartbeat expires (about 90 s); RQ's own clean-up of that runs only every 10 minutes. Do it now."""
	from frappe.utils.background_jobs import get_queue
	from rq.registry import StartedJobRegistry

	try:
		registry = StartedJobRegistry(queue=get_queue(jobs.QUEUE))
		before = registry.count
		registry.cleanup(now)
		return before - registry.count
	except Exception:
		frappe.logger("xappiens_whatsapp").warning("could not clean RQ's started jobs", exc_info=True)
		return 0


def purge_old() -> int:
	cutoff = settings.retention_cutoff("retention_days", 30)
	if cutoff is None:
		return 0
	names = frappe.get_all(
		DOCTYPE,
		filters={"status": ["in", ["Processed", "Ignored"]], "received_at": ["<", cutoff]},
		pluck="name",
	)
	for chunk in range(0, len(names), 1000):
		frappe.db.delete(DOCTYPE, {"name": ["in", names[chunk : chunk + 1000]]})
	frappe.db.commit()
	return len(names)

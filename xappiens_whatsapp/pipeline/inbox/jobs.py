"""Jobs for stored webhooks: one drain job woken per burst, not one job per row.

A drain job applies every Received row it finds (process.drain), so a second job queued behind it would only
find its row done. A webhook therefore queues a drain only when none is waiting: a short-lived Redis flag,
set when a drain is queued and cleared by the drain as it starts, says so in one round trip. The order makes
it safe: a row committed before a failed attempt to set the flag is committed before the waiting drain clears
it, so that drain's first look finds the row. A lost job costs at most WAKE_FLAG_SECONDS (the flag expires),
and the sweep queues anything still Received after a minute.

Rows that need their own job (a failure whose backoff passed, an event still waiting for its message, a row a
drain had to skip) get one, deduplicated by the row's job id.
"""

import frappe

QUEUE = "short"
JOB = "xappiens_whatsapp.pipeline.inbox.drain.job"
JOB_PREFIX = "xw-inbound-"
WAKE_FLAG_SECONDS = 10  # longer than a queued drain normally waits for a free worker


def job_id(name: str) -> str:
	return f"{JOB_PREFIX}{name}"


def _flag() -> str:
	# The queue's Redis is shared by every site of the bench.
	return f"xw:{frappe.local.site}:drain-queued"


def _connection():
	# Not get_redis_conn(): it retries for seconds when Redis is down, and the provider would wait for that
	# although the row is already safe.
	from frappe.utils.background_jobs import get_redis_connection_without_auth

	return get_redis_connection_without_auth()


def wake() -> bool:
	"""Make sure a drain job is queued. False when Redis is unreachable (the sweep will queue one)."""
	import redis

	try:
		if not _connection().set(_flag(), 1, nx=True, ex=WAKE_FLAG_SECONDS):
			return True  # a drain is waiting and will find the row
	except redis.exceptions.ConnectionError:
		return False
	except Exception:
		pass  # e.g. an ACL refusal for this connection: queue one anyway, with Frappe's own credentials
	try:
		frappe.enqueue(JOB, queue=QUEUE, job_id=job_id("drain-" + frappe.generate_hash(length=10)))
	except Exception:
		_clear_flag()  # or webhooks would count on a drain that is not there until the flag expires
		frappe.logger("xappiens_whatsapp").warning("could not queue a drain; the sweep will", exc_info=True)
		return False
	return True


def woken() -> None:
	"""A drain is starting: rows committed from now on need another one."""
	_clear_flag()


def _clear_flag() -> None:
	try:
		_connection().delete(_flag())
	except Exception:
		pass  # it expires by itself


def enqueue(name: str) -> bool:
	"""Queue one row's own job (unless it has one); False when Redis is unreachable."""
	import redis

	try:
		_connection().ping()
	except redis.exceptions.ConnectionError:
		return False
	except Exception:
		pass
	try:
		frappe.enqueue(JOB, queue=QUEUE, job_id=job_id(name), deduplicate=True, name=name)
	except Exception:
		frappe.logger("xappiens_whatsapp").warning(
			f"could not queue {name}; the sweep will retry", exc_info=True
		)
		return False
	return True

"""At most N events in any window of W seconds, counted in Redis: a sorted set of the events' times.

An event is added first and counted after, in one transaction, so two at once can never both take the last
free place; one past the limit is taken out again. Raises redis errors: the caller decides what no count means.
"""

import time
import uuid

import frappe


def admit(key: str, limit: int, window_s: int) -> str | None:
	"""Count one event under `key` (a made cache key); its id when admitted, None past the limit."""
	now, event = time.time(), uuid.uuid4().hex
	pipe = frappe.cache.pipeline()
	pipe.zadd(key, {event: now})
	pipe.zremrangebyscore(key, 0, now - window_s)
	pipe.zcard(key)
	pipe.expire(key, window_s)
	if pipe.execute()[2] <= limit:
		return event
	frappe.cache.zrem(key, event)
	return None


def withdraw(key: str, event: str) -> None:
	"""Give back an admitted event's place (what it counted was undone)."""
	frappe.cache.zrem(key, event)

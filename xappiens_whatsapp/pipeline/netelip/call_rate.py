"""At most N click-to-calls per agent in any 60 minutes (Netelip Settings > Calls per agent per hour).

Counted in Redis per site and user (redis_window). Without Redis nothing is counted, so nothing is called.
"""

import frappe
import redis
from frappe import _

from xappiens_whatsapp.pipeline import redis_window, settings

WINDOW_S = 3600
DEFAULT_LIMIT = 20


def limit() -> int:
	return settings.int_setting(settings.netelip(), "calls_per_agent_per_hour", DEFAULT_LIMIT, minimum=1)


def key(user: str) -> str:
	return frappe.cache.make_key(f"xw:click-to-call:{user}")


def spend(user: str) -> None:
	"""Count one call for `user`, or refuse it (HTTP 429) when the last hour already holds the limit."""
	try:
		admitted = redis_window.admit(key(user), limit(), WINDOW_S)
	except redis.exceptions.RedisError:
		frappe.throw(_("Calls cannot be counted right now. Try again in a moment."), title=_("Try again"))
	if not admitted:
		frappe.throw(
			_("You have made {0} calls in the last hour, the most allowed. Try again later.").format(limit()),
			exc=frappe.RateLimitExceededError,
			title=_("Too many calls"),
		)


def forget(user: str) -> None:
	frappe.cache.delete(key(user))

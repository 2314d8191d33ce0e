"""The WhatsApp text after a missed call goes at most once a day to a number, and at most N an hour in all.

Missed calls are Netelip's word, and whoever holds the Netelip token can make up as many as they like: without
these limits they could make the company's WhatsApp number write to any list of numbers, which gets that number
banned. A number's day is claimed in Redis (and, should Redis have lost it, a text sent to that number in the
last 24 hours still counts); the hourly count is a sliding window (redis_window). A claim whose transaction is
rolled back is given back, so an event applied again still gets its text; without Redis no text is sent.
"""

from datetime import timedelta

import frappe
import redis

from xappiens_whatsapp.pipeline import redis_window, settings

DAY_S = 24 * 3600
HOUR_S = 3600
DEFAULT_PER_HOUR = 30


def _number_key(number: str) -> str:
	return frappe.cache.make_key(f"xw:missed-call-text:{number}")


def _hour_key() -> str:
	return frappe.cache.make_key("xw:missed-call-texts")


def texted_today(number: str) -> bool:
	"""A follow-up text to this number in the last 24 hours, as the database remembers it."""
	since = frappe.utils.now_datetime() - timedelta(seconds=DAY_S)
	return bool(
		frappe.db.sql(
			"""select 1 from `tabNetelip Call` c join `tabWhatsApp Message` m on m.name = c.followup_message
			where c.customer_number = %s and m.creation > %s limit 1""",
			(number, since),
		)
	)


def claim(number: str) -> bool:
	"""True when this number may get a text now (its day and an hourly place are taken for it)."""
	if texted_today(number):
		return False
	per_hour = settings.int_setting(settings.netelip(), "followups_per_hour", DEFAULT_PER_HOUR, minimum=1)
	try:
		if not frappe.cache.set(_number_key(number), 1, ex=DAY_S, nx=True):
			return False
		place = redis_window.admit(_hour_key(), per_hour, HOUR_S)
		if place is None:
			frappe.cache.delete(_number_key(number))
			return False
	except redis.exceptions.RedisError:
		frappe.logger("xappiens_whatsapp").warning("no missed-call text: Redis unavailable", exc_info=True)
		return False
	frappe.db.after_rollback.add(lambda: _give_back(number, place))
	return True


def _give_back(number: str, place: str) -> None:
	try:
		frappe.cache.delete(_number_key(number))
		redis_window.withdraw(_hour_key(), place)
	except redis.exceptions.RedisError:
		pass  # the claim expires by itself


def forget(numbers) -> None:
	"""Tests: as if these numbers had not been texted, and nothing had been sent this hour."""
	frappe.cache.delete(*[_number_key(n) for n in numbers], _hour_key())

"""Refused requests, counted in Redis rather than with a database write each.

Two counts per refusal, in one round trip:
- per provider, reason and hour, for managers: folded into Webhook Rejection rows every minute (`flush`);
- per caller and minute: past the configured limit the caller is answered 429 (see ingress.reject). Only
  refusals count, so a provider's verified deliveries are never limited, however many it sends.
"""

import frappe
from frappe.utils import now_datetime

STATS = "xw:rejections"  # hash: "provider|reason|hour" → count
LAST_SEEN = "xw:rejections:last"  # hash: the same field → "<time>|<address>"
CALLER_WINDOW_SECONDS = 60
SEP = "|"


def _caller_key(provider: str, caller: str | None, minute: str) -> str:
	return frappe.cache.make_key(f"xw:refused:{provider}:{caller or '-'}:{minute}")


def count(provider: str, reason: str, remote_addr: str | None) -> int:
	"""Record one refusal; how many refusals this caller has had from this provider's endpoints this minute."""
	now = now_datetime()
	field = SEP.join((provider, reason, now.strftime("%Y-%m-%d %H:00:00")))
	caller = _caller_key(provider, remote_addr, now.strftime("%Y%m%d%H%M"))
	pipe = frappe.cache.pipeline(transaction=False)
	pipe.hincrby(frappe.cache.make_key(STATS), field, 1)
	pipe.hset(frappe.cache.make_key(LAST_SEEN), field, f"{now.isoformat()}{SEP}{(remote_addr or '')[:140]}")
	pipe.incr(caller)
	pipe.expire(caller, CALLER_WINDOW_SECONDS * 2)
	return int(pipe.execute()[2])


def flush() -> int:
	"""Fold the counts into Webhook Rejection rows; how many refusals it folded. Counted again from Redis what
	arrived meanwhile: each field is decremented by what was written, never reset."""
	stats, last_seen = frappe.cache.make_key(STATS), frappe.cache.make_key(LAST_SEEN)
	pipe = frappe.cache.pipeline(transaction=False)
	pipe.hgetall(stats)
	pipe.hgetall(last_seen)
	counts, seen = pipe.execute()
	folded = {}
	for raw_field, raw_count in counts.items():
		field, number = raw_field.decode(), int(raw_count)
		if number <= 0:
			continue
		provider, reason, hour = field.split(SEP, 2)
		at, _, address = (seen.get(raw_field) or b"").decode().partition(SEP)
		_add(provider, reason, hour, number, at or now_datetime(), address or None)
		folded[raw_field] = number
	frappe.db.commit()
	if folded:
		pipe = frappe.cache.pipeline(transaction=False)
		for raw_field, number in folded.items():
			pipe.hincrby(stats, raw_field, -number)
		pipe.execute()
	# A past hour's fields are finished once folded.
	this_hour = now_datetime().strftime("%Y-%m-%d %H")
	done = [f for f in folded if f.decode().split(SEP)[2][:13] < this_hour]
	if done:
		pipe = frappe.cache.pipeline(transaction=False)
		pipe.hdel(stats, *done)
		pipe.hdel(last_seen, *done)
		pipe.execute()
	return sum(folded.values())


def _add(provider: str, reason: str, hour: str, number: int, at, address: str | None) -> None:
	"""One counter row per provider, reason and hour (a unique key): a flood cannot grow the table."""
	frappe.db.sql(
		"""insert into `tabWebhook Rejection`
			(name, provider, reason, hour, `count`, last_seen_at, last_remote_addr,
			 creation, modified, owner, modified_by, docstatus, idx)
		values (%(name)s, %(provider)s, %(reason)s, %(hour)s, %(n)s, %(at)s, %(addr)s,
			%(at)s, %(at)s, 'Guest', 'Guest', 0, 0)
		on duplicate key update `count` = `count` + %(n)s, last_seen_at = %(at)s,
			last_remote_addr = %(addr)s, modified = %(at)s""",
		{
			"name": frappe.generate_hash(length=12),
			"provider": provider,
			"reason": reason,
			"hour": hour,
			"n": number,
			"at": at,
			"addr": address,
		},
	)

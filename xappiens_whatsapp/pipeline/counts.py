"""Summary rows for the health workspace's charts, kept by the pipeline instead of counted from the inbox or the
call table on each view: how many inbox rows each provider received per day in each status, how many calls are in
each status, and the processing lag per day. A chart then reads a few small rows per day the site has run (about
2,000 a year), however many messages it holds.

A row that changes state moves one count from its old bucket to its new one. Moves are gathered per transaction and
written just before it commits, in one upsert per table on the rows' primary keys (in key order, so two workers never
wait for each other in a cycle): a rollback drops them with the changes they describe, and two workers moving the
same bucket add up exactly, the database serialising the increments.

Inbox counts outlive the inbox rows by design: the retention job deletes old processed events but the days they
were received stay counted, so the charts tell the site's traffic, not what is left of it. A call deleted as a
document is taken out of its bucket (calls are only deleted by hand). `rebuild` recounts everything from the rows (the patch, the benchmarks).
"""

from collections import Counter
from datetime import date, datetime

import frappe

COUNTS = "Status Count"
LAG = "Webhook Lag"
WEBHOOK = "Inbound Webhook"
CALL = "Netelip Call"
SEP = "|"
_STD = "`creation`, `modified`, `owner`, `modified_by`, `docstatus`, `idx`"


def _day(value) -> str:
	if isinstance(value, datetime):
		return value.date().isoformat()
	if isinstance(value, date):
		return value.isoformat()
	return frappe.utils.getdate(value).isoformat() if value else ""


def key(record_type: str, provider: str | None, day: str, status: str | None) -> tuple:
	return (record_type, provider or "", day, status or "")


class _Pending:
	"""What this transaction has moved, written by its commit (or dropped by its rollback)."""

	def __init__(self):
		self.counts: Counter = Counter()
		self.lag: dict[str, list[float]] = {}


def _pending() -> _Pending:
	pending = getattr(frappe.local, "xw_counts", None)
	if pending is None:
		pending = frappe.local.xw_counts = _Pending()
		frappe.db.before_commit.add(flush)
		frappe.db.before_rollback.add(_discard)
	return pending


def _discard() -> None:
	frappe.local.xw_counts = None


def webhook_moved(provider: str, received_at, old: str | None, new: str | None) -> None:
	"""An inbox row went from `old` to `new` (None: it did not exist / no longer counts)."""
	if old == new:
		return
	pending, day = _pending(), _day(received_at)
	if old:
		pending.counts[key(WEBHOOK, provider, day, old)] -= 1
	if new:
		pending.counts[key(WEBHOOK, provider, day, new)] += 1


def webhook_processed(processed_at, lag_ms: float | None) -> None:
	"""An inbox row became Processed `lag_ms` after it was received (the lag chart's average, per day)."""
	if lag_ms is not None:
		_pending().lag.setdefault(_day(processed_at), []).append(float(lag_ms))


def call_moved(old: str | None, new: str | None) -> None:
	if old == new:
		return
	pending = _pending()
	if old:
		pending.counts[key(CALL, None, "", old)] -= 1
	if new:
		pending.counts[key(CALL, None, "", new)] += 1


def flush() -> None:
	"""Write what this transaction moved (Frappe runs this just before COMMIT)."""
	pending = getattr(frappe.local, "xw_counts", None)
	frappe.local.xw_counts = None
	if pending is None:
		return
	changes = sorted((k, n) for k, n in pending.counts.items() if n)
	if changes:
		rows = ", ".join(
			["(%s, now(6), now(6), 'Administrator', 'Administrator', 0, 0, %s, %s, %s, %s, %s)"]
			* len(changes)
		)
		values = []
		for (record_type, provider, day, status), n in changes:
			values += [SEP.join((record_type, provider, day, status)), record_type, provider or None]
			values += [day or None, status, n]
		frappe.db.sql(
			f"""insert into `tab{COUNTS}` (`name`, {_STD}, `record_type`, `provider`, `day`, `status`, `count`)
			values {rows} on duplicate key update `count` = `count` + values(`count`)""",
			values,
		)
	if pending.lag:
		days = sorted(pending.lag)
		rows = ", ".join(
			["(%s, now(6), now(6), 'Administrator', 'Administrator', 0, 0, %s, %s, %s, %s)"] * len(days)
		)
		values = []
		for day in days:
			lags = pending.lag[day]
			values += [day, day, len(lags), sum(lags), sum(lags) / len(lags)]
		# Assignments run left to right: the average is taken from the totals just updated.
		frappe.db.sql(
			f"""insert into `tab{LAG}` (`name`, {_STD}, `day`, `events`, `total_lag_ms`, `average_lag_ms`)
			values {rows} on duplicate key update `events` = `events` + values(`events`),
				`total_lag_ms` = `total_lag_ms` + values(`total_lag_ms`),
				`average_lag_ms` = `total_lag_ms` / `events`""",
			values,
		)


def rebuild() -> None:
	"""Recount every bucket from the rows, in SQL (GROUP BY inserts: memory does not grow with the tables).
	Gives the same rows however often it runs; counts of inbox rows already deleted are lost."""
	frappe.db.sql(f"delete from `tab{COUNTS}`")
	frappe.db.sql(f"delete from `tab{LAG}`")
	day = "ifnull(cast(date(`received_at`) as char), '')"
	frappe.db.sql(
		f"""insert into `tab{COUNTS}` (`name`, {_STD}, `record_type`, `provider`, `day`, `status`, `count`)
		select concat_ws('{SEP}', '{WEBHOOK}', ifnull(`provider`, ''), {day}, ifnull(`status`, '')),
			now(6), now(6), 'Administrator', 'Administrator', 0, 0, '{WEBHOOK}', nullif(`provider`, ''),
			date(`received_at`), ifnull(`status`, ''), count(*)
		from `tab{WEBHOOK}` group by `provider`, date(`received_at`), `status`"""
	)
	frappe.db.sql(
		f"""insert into `tab{COUNTS}` (`name`, {_STD}, `record_type`, `provider`, `day`, `status`, `count`)
		select concat_ws('{SEP}', '{CALL}', '', '', ifnull(`status`, '')),
			now(6), now(6), 'Administrator', 'Administrator', 0, 0, '{CALL}', null, null, ifnull(`status`, ''),
			count(*)
		from `tab{CALL}` group by `status`"""
	)
	frappe.db.sql(
		f"""insert into `tab{LAG}` (`name`, {_STD}, `day`, `events`, `total_lag_ms`, `average_lag_ms`)
		select date(`processed_at`), now(6), now(6), 'Administrator', 'Administrator', 0, 0, date(`processed_at`),
			count(*), sum(`lag_ms`), avg(`lag_ms`)
		from `tab{WEBHOOK}` where `status` = 'Processed' and `processed_at` is not null and `lag_ms` is not null
		group by date(`processed_at`)"""
	)

"""Tests count and remove only what they made: a site's earlier calls, inbox rows and refusal counts are neither
counted by a test nor deleted by its clean-up."""

from datetime import datetime

import frappe
from frappe.utils import now_datetime

_marks: dict[str, datetime] = {}
_counters: dict[str, dict[str, dict]] | None = None


def sweep(key: str) -> datetime | None:
	"""Start a new span for `key`; returns when the previous one started (None the first time in this process),
	so that the caller removes what was made since then."""
	frappe.db.commit()  # a fresh snapshot: the server and the workers wrote on their own connections
	previous = _marks.get(key)
	_marks[key] = now_datetime()
	return previous


def since(key: str) -> datetime:
	"""When the current span of `key` started."""
	return _marks[key]


def made_since(doctype: str, moment: datetime | None, **filters) -> list[str]:
	if moment is None:
		return []
	return frappe.get_all(doctype, filters={**filters, "creation": (">=", moment)}, pluck="name")


# The counters tests move along with the site's own: per hour or day, shared, so put back rather than deleted.
COUNTERS = {
	"Webhook Rejection": ("count",),
	"Status Count": ("count",),
	"Webhook Lag": ("events", "total_lag_ms", "average_lag_ms"),
}
KEYS = {"Webhook Rejection": ("provider", "reason")}


def forget_deleted(doctype: str, moment) -> None:
	"""What Frappe keeps of rows of `doctype` deleted as documents since `moment` (a Deleted Document each, and a
	"Deleted" comment): those rows were the tests'."""
	if moment is None:
		return
	names = frappe.get_all(
		"Deleted Document",
		filters={"deleted_doctype": doctype, "creation": (">=", moment)},
		fields=["name", "deleted_name"],
	)
	subjects = [f"{doctype} {row.deleted_name}" for row in names]
	frappe.db.delete(
		"Comment",
		{"comment_type": "Deleted", "reference_doctype": doctype, "subject": ["in", subjects or [""]]},
	)
	frappe.db.delete("Deleted Document", {"name": ["in", [row.name for row in names] or [""]]})


def restore_counters() -> None:
	"""Put each counter back to what it was at the previous call (a counter made since goes), and start from
	there: refusals, the health charts' status counts and lag."""
	global _counters
	from xappiens_whatsapp.pipeline.inbox import rejections

	rejections.flush()
	frappe.db.commit()
	now = {
		doctype: {
			r.name: r for r in frappe.get_all(doctype, fields=["name", *KEYS.get(doctype, ()), *values])
		}
		for doctype, values in COUNTERS.items()
	}
	if _counters is not None:
		for doctype, values in COUNTERS.items():
			before = _counters[doctype]
			for name, row in now[doctype].items():
				if name not in before:
					frappe.db.delete(doctype, {"name": name})
				elif any(row[v] != before[name][v] for v in values):
					frappe.db.set_value(
						doctype, name, {v: before[name][v] for v in values}, update_modified=False
					)
			# what was there before and is still there, as it was
			now[doctype] = {name: before[name] for name in now[doctype] if name in before}
		frappe.db.commit()
	_counters = now


def changed_refusals(reason: str) -> list[dict]:
	"""The counters for `reason` that refusals since the last restore made or moved."""
	from xappiens_whatsapp.pipeline.inbox import rejections

	rejections.flush()
	rows = frappe.get_all(
		"Webhook Rejection", filters={"reason": reason}, fields=["name", "count", "last_remote_addr"]
	)
	before = (_counters or {}).get("Webhook Rejection", {})
	return [r for r in rows if r.name not in before or r.count != before[r.name].count]


def refusals_since_restore(reason: str, provider: str | None = None) -> int:
	"""Refusals counted for `reason` since the last restore, folded from Redis first (as the minutely job does)."""
	from xappiens_whatsapp.pipeline.inbox import rejections

	rejections.flush()
	filters = {"reason": reason, **({"provider": provider} if provider else {})}
	now = sum(frappe.get_all("Webhook Rejection", filters=filters, pluck="count"))
	before = sum(
		row.count
		for row in (_counters or {}).get("Webhook Rejection", {}).values()
		if row.reason == reason and (provider is None or row.provider == provider)
	)
	return now - before

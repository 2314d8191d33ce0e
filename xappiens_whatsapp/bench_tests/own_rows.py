"""Tests count and remove only what they made: a site's earlier calls, inbox rows and refusal counts are neither
counted by a test nor deleted by its clean-up."""

from datetime import datetime

import frappe
from frappe.utils import now_datetime

from xappiens_whatsapp.testing.references import remove_references

_marks: dict[str, datetime] = {}
_refusals: dict[str, dict] | None = None


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


def forget(doctype: str, names: list[str]) -> None:
	"""Remove what refers to these rows, before they go (see testing/references.py)."""
	remove_references(doctype, names)


def restore_refusals() -> None:
	"""Put each refusal counter back to what it was at the previous call, and start counting from there. The
	counters are per hour and shared: a test's refusals add to a row that may hold the site's own."""
	global _refusals
	from xappiens_whatsapp.pipeline.inbox import rejections

	rejections.flush()
	rows = {
		r.name: r for r in frappe.get_all("Webhook Rejection", fields=["name", "provider", "reason", "count"])
	}
	if _refusals is not None:
		for name, row in rows.items():
			before = _refusals.get(name)
			if before is None:
				frappe.db.delete("Webhook Rejection", {"name": name})
			elif row.count != before.count:
				frappe.db.set_value("Webhook Rejection", name, "count", before.count, update_modified=False)
		frappe.db.commit()
		rows = {name: row for name, row in rows.items() if name in _refusals}
		for row in rows.values():
			row.count = _refusals[row.name].count
	_refusals = rows


def changed_refusals(reason: str) -> list[dict]:
	"""The counters for `reason` that refusals since the last restore made or moved."""
	from xappiens_whatsapp.pipeline.inbox import rejections

	rejections.flush()
	rows = frappe.get_all(
		"Webhook Rejection", filters={"reason": reason}, fields=["name", "count", "last_remote_addr"]
	)
	before = _refusals or {}
	return [r for r in rows if r.name not in before or r.count != before[r.name].count]


def refusals_since_restore(reason: str, provider: str | None = None) -> int:
	"""Refusals counted for `reason` since the last restore, folded from Redis first (as the minutely job does)."""
	from xappiens_whatsapp.pipeline.inbox import rejections

	rejections.flush()
	filters = {"reason": reason, **({"provider": provider} if provider else {})}
	now = sum(frappe.get_all("Webhook Rejection", filters=filters, pluck="count"))
	before = sum(
		row.count
		for row in (_refusals or {}).values()
		if row.reason == reason and (provider is None or row.provider == provider)
	)
	return now - before

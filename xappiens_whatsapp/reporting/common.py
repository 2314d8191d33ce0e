"""What the reports share: the period filter and minutes from seconds."""

from datetime import datetime, time, timedelta

from frappe import _
from frappe.utils import add_days, getdate, nowdate

DEFAULT_DAYS = 30


def period(filters: dict) -> tuple[datetime, datetime]:
	"""[start of from_date, start of the day after to_date); the last 30 days when not given."""
	to_date = getdate(filters.get("to_date") or nowdate())
	from_date = getdate(filters.get("from_date") or add_days(to_date, -DEFAULT_DAYS))
	if from_date > to_date:
		from_date, to_date = to_date, from_date
	return datetime.combine(from_date, time.min), datetime.combine(to_date, time.min) + timedelta(days=1)


def minutes(seconds: float | None) -> float | None:
	return None if seconds is None else round(seconds / 60, 1)


def date_filters() -> list[dict]:
	return [
		{"fieldname": "from_date", "label": _("From"), "fieldtype": "Date"},
		{"fieldname": "to_date", "label": _("To"), "fieldtype": "Date"},
	]

"""What the reports share: the period filter, the rows within it, and minutes from seconds."""

from datetime import datetime, time, timedelta

import frappe
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


def rows_in_period(
	doctype: str, conditions: dict, fields: list[str], *, filters: dict, narrowed_by=(), order_by: str = ""
) -> list[dict]:
	"""Every row the user may read that meets `conditions` and the report's own filters named in `narrowed_by`;
	no page limit, the period's condition bounds them."""
	conditions = {**conditions, **{key: filters[key] for key in narrowed_by if filters.get(key)}}
	ordered = {"order_by": order_by} if order_by else {}
	return frappe.get_list(doctype, filters=conditions, fields=fields, limit_page_length=0, **ordered)


def minutes(seconds: float | None) -> float | None:
	return None if seconds is None else round(seconds / 60, 1)


def date_filters() -> list[dict]:
	return [
		{"fieldname": "from_date", "label": _("From"), "fieldtype": "Date"},
		{"fieldname": "to_date", "label": _("To"), "fieldtype": "Date"},
	]

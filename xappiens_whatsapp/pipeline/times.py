"""Provider times are epoch seconds (UTC); Frappe stores naive datetimes in the site's time zone."""

from datetime import datetime
from zoneinfo import ZoneInfo

from frappe.utils import get_datetime, get_system_timezone


def _zone() -> ZoneInfo:
	return ZoneInfo(get_system_timezone())


def from_epoch(seconds: float | None) -> datetime | None:
	if seconds is None:
		return None
	return datetime.fromtimestamp(seconds, tz=_zone()).replace(tzinfo=None)


def to_epoch(value) -> float | None:
	if not value:
		return None
	moment = get_datetime(value)
	if moment.tzinfo is None:
		moment = moment.replace(tzinfo=_zone())
	return moment.timestamp()

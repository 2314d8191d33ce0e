"""Builders shared by the call-state tests: times from one instant, updates from each source, and folding."""

from datetime import UTC, datetime, timedelta
from functools import reduce

from xappiens_whatsapp.core.call_state import CallSnapshot, CallState, CallUpdate, apply
from xappiens_whatsapp.core.netelip_call_updates import update_from_event
from xappiens_whatsapp.core.netelip_events import parse_control, parse_report

S = CallState
T0 = datetime(2024, 5, 6, 8, 0, 0, tzinfo=UTC)
EMPTY = CallSnapshot()
NOT_CONNECTED = [S.FAILED, S.NO_ANSWER, S.BUSY]
CALL = "1715000000.42"


def at(seconds: int) -> datetime:
	return T0 + timedelta(seconds=seconds)


def fold(updates, start=EMPTY):
	return reduce(apply, updates, start)


def real(state, raw=None, **kw):
	return CallUpdate(state=state, raw_status=raw, **kw)


def cdr(state, raw=None, **kw):
	return CallUpdate(state=state, raw_status=raw, source="report", closed=True, **kw)


def control(**fields):
	"""The update a control-URL POST of the call gives."""
	return update_from_event(parse_control({"ID": CALL, "api": "API 6230f", **fields}))


def report(**fields):
	"""The update the call's final record (CDR) gives."""
	return update_from_event(parse_report({"calls": [{"ID": CALL, **fields}]})[0])

"""Netelip callbacks → typed call events.

The control URL receives one flat set of fields per step of a call; the report URL receives `calls`, a JSON
array of final CDRs. The endpoint merges form, multipart or JSON bodies into a dict; values may be strings,
numbers or one-element lists, and keys may differ in case. Only a missing or malformed call `ID` raises
`ParseError`; any other odd value gives None, and an unmapped status word is kept in `unknown_value`.

Nothing Netelip sends can break what stores it: every text an event carries is plain text of bounded length
(`core.text`), durations are clamped to a week, a start time outside 2000 .. tomorrow is unknown, a recording is
an `https` URL (or one on the Netelip API's own origin) or a bare file name, and JSON text that is not valid
Unicode (a lone surrogate) is replaced before anything reads it.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from .call_state import CallState, final_state, is_known_status, map_status
from .phones import to_e164
from .text import REPLACEMENT, one_line
from .urls import safe_url

MADRID = ZoneInfo("Europe/Madrid")
Source = Literal["control", "report"]

# Asterisk's `epoch.sequence`; ASCII digits only and bounded, since it ends up in unique keys.
_CALL_ID = re.compile(r"[0-9]{1,20}\.[0-9]{1,20}", re.ASCII)
_ID_KEYS = ("id", "callid", "call_id", "uniqueid")
# Fields whose value is a call status: an unmapped value there is recorded as unknown.
_STATUS_KEYS = ("statuscall", "call_status", "callstatus", "state", "event")
# `status` is Netelip's command result ("OK") and `description` free text (a dial result or a recording
# path): they only count when they hold a known status word, and are never flagged.
_SOFT_STATUS_KEYS = ("status", "description")
_RECORDING_KEYS = ("recording", "recordingurl", "recording_url", "urlrecording", "recordfile", "description")
_HANGUP_KEYS = ("hangupcause", "hangup_cause", "cause")
# Never stored: our own webhook token if it came as a field, and Frappe's routing field.
_DROPPED_KEYS = frozenset({"token", "webhook_token", "secret", "cmd"})
# A recording named by its file (a path on Netelip's side, or a bare name): letters, digits, `_ . / -` only,
# so it can never be markup; a URL must pass `safe_url`.
_RECORDING_FILE = re.compile(
	r"/[\w./-]+|[\w./-]+\.(?:wav|wav49|mp3|gsm|ogg|opus|m4a)", re.IGNORECASE | re.ASCII
)
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_EPOCH = re.compile(r"[0-9]{9,11}(?:\.[0-9]+)?")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Longest text kept from any field (the Data columns it lands in hold 140 characters).
MAX_TEXT = 140
# A call lasts minutes; anything above a week is noise, kept as a week rather than overflowing a column.
MAX_SECONDS = 7 * 24 * 3600
# Start times outside this window are unknown: no call happened before 2000 or starts after tomorrow.
EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_START_AHEAD = timedelta(days=1)
# Records of one report past this many are refused (a real report is far smaller; this bounds the work).
MAX_RECORDS = 2000


class ParseError(ValueError):
	"""The body is not a Netelip call event (no valid call ID, or no report records)."""


@dataclass(frozen=True)
class CallEvent:
	call_id: str
	source: Source
	application: str | None = None
	raw_src: str | None = None
	raw_dst: str | None = None
	src_e164: str | None = None
	dst_e164: str | None = None
	src_type: str | None = None
	userdata: str | None = None
	started_at: datetime | None = None
	raw_status: str | None = None
	state: CallState | None = None
	duration: int | None = None
	talk_time: int | None = None
	hangup_cause: str | None = None
	recording_url: str | None = None
	dtmf: str | None = None
	unknown_value: str | None = None
	raw: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Report:
	events: list[CallEvent]
	rejected: list[tuple[int, str]]  # (position in `calls`, reason): kept so nothing is dropped silently


def is_valid_call_id(value: object) -> bool:
	return isinstance(value, str) and _CALL_ID.fullmatch(value) is not None


def load_json(body: bytes | str) -> Any:
	"""JSON with decimals kept as their exact text, so an `ID` like 1525291061.0500 keeps its last zero.

	Lone surrogates (`"\\ud800"`, valid JSON but not Unicode, which no database column takes) become U+FFFD."""
	try:
		return valid_unicode(json.loads(body, parse_float=str))
	except (ValueError, TypeError, RecursionError) as exc:
		raise ParseError("body is not valid JSON") from exc


def valid_unicode(value: Any) -> Any:
	"""`value` (parsed JSON) with every lone surrogate in its texts and keys replaced."""
	if isinstance(value, str):
		return _SURROGATE.sub(REPLACEMENT, value)
	if isinstance(value, list):
		return [valid_unicode(item) for item in value]
	if isinstance(value, dict):
		return {valid_unicode(key): valid_unicode(item) for key, item in value.items()}
	return value


def text(value: object) -> str | None:
	"""A field value as stripped text; None for empty, missing or structured values."""
	if isinstance(value, list | tuple):
		value = value[0] if len(value) == 1 else None
	if isinstance(value, bytes):
		value = value.decode("utf-8", "replace")
	if value is None or isinstance(value, bool | dict | list | tuple):
		return None
	try:
		result = repr(value) if isinstance(value, float) else str(value)
	except ValueError:  # an integer too long to write out
		return None
	return result.strip() or None


def seconds(value: object) -> int | None:
	"""A non-negative whole number of seconds ("12", 12, "12.0"), at most MAX_SECONDS; None otherwise."""
	raw = text(value)
	if raw is None or len(raw) > 64:
		return None
	try:
		number = float(raw)
	except ValueError:
		return None
	return min(int(number), MAX_SECONDS) if math.isfinite(number) and number >= 0 else None


def madrid_to_utc(value: object, now: datetime | None = None) -> datetime | None:
	"""`startcall` ("YYYY-MM-DD HH:MM:SS", Madrid local time) as an aware UTC datetime.

	An explicit offset is honoured and epoch seconds are accepted. In the repeated autumn hour the first
	(summer-time) reading is used, as the wall time alone cannot tell. A time before EARLIEST_START or more
	than a day after `now` (default: the clock) is no call's start: None.
	"""
	raw = text(value)
	if raw is None or len(raw) > 64:
		return None
	try:
		if _EPOCH.fullmatch(raw):
			parsed = datetime.fromtimestamp(float(raw), tz=UTC)
		else:
			parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
			if parsed.tzinfo is None:
				parsed = parsed.replace(tzinfo=MADRID)
			parsed = parsed.astimezone(UTC)
	except (ValueError, OverflowError, OSError):
		return None
	latest = (now or datetime.now(UTC)) + LATEST_START_AHEAD
	return parsed if EARLIEST_START <= parsed <= latest else None


def normalise(fields: Mapping[str, Any]) -> dict[str, Any]:
	"""Lower-case keys (first one wins on a clash), without the fields we must not store."""
	result: dict[str, Any] = {}
	for key, value in fields.items():
		name = str(key).strip().lower()
		if name not in _DROPPED_KEYS:
			result.setdefault(name, value)
	return result


def _first(fields: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
	for key in keys:
		value = text(fields.get(key))
		if value is not None:
			return value
	return None


def _one_line(fields: Mapping[str, Any], key: str) -> str | None:
	return one_line(text(fields.get(key)), MAX_TEXT)


def recording(value: str | None, trusted_origins: tuple[str | None, ...] = ()) -> str | None:
	"""A recording's address worth keeping: a URL `safe_url` accepts (`https`, or one of `trusted_origins`),
	or a file's name or path on Netelip's side (never markup, never made a link)."""
	if value is None or len(value) > 2048:
		return None
	if _URL_SCHEME.match(value):
		return safe_url(value, trusted_origins)
	return value if _RECORDING_FILE.fullmatch(value) else None


def _recording(fields: Mapping[str, Any], trusted_origins: tuple[str | None, ...]) -> str | None:
	for key in _RECORDING_KEYS:
		found = recording(text(fields.get(key)), trusted_origins)
		if found is not None:
			return found
	return None


def _status(
	fields: Mapping[str, Any], talk_time: int | None, source: Source
) -> tuple[CallState | None, str | None, str | None]:
	"""(state, raw value that set it, unmapped value) from whichever status field is present."""
	state = raw = unknown = None
	for key in _STATUS_KEYS:
		value = text(fields.get(key))
		if value is None:
			continue
		if not is_known_status(value):
			unknown = unknown or value
		elif state is None:
			state, raw = map_status(value, talk_time), value
	if state is None:
		for key in _SOFT_STATUS_KEYS:
			value = text(fields.get(key))
			if value is not None and is_known_status(value):
				state, raw = map_status(value, talk_time), value
				break
	if source == "report":
		if state is None and unknown is not None and not talk_time:
			# An outcome we cannot read is recorded and flagged, never turned into a missed call.
			return None, None, unknown
		# A CDR is written when the call is over: close whatever state it names.
		state = final_state(state, talk_time)
	elif state is None:
		# A control POST without a result is a step of a live call (the first one creates it).
		state = CallState.INITIATED
	return state, raw, unknown


def parse_event(
	fields: Mapping[str, Any],
	source: Source,
	region: str = "ES",
	application: str | None = None,
	recording_origins: tuple[str | None, ...] = (),
) -> CallEvent:
	"""`application` is used when the event names none itself (a report's records may rely on the
	delivery's own `api` field); `recording_origins` are where a plain-http recording URL may point (the
	Netelip API's own base URL)."""
	if not isinstance(fields, Mapping):
		raise ParseError("call event is not an object")
	raw = {str(k): v for k, v in fields.items() if str(k).strip().lower() not in _DROPPED_KEYS}
	f = normalise(fields)
	call_id = _first(f, _ID_KEYS)
	if call_id is None:
		raise ParseError("call event has no ID")
	if not is_valid_call_id(call_id):
		raise ParseError("call ID is not of the form <digits>.<digits>")
	talk_time = seconds(f.get("durationcallanswered"))
	state, raw_status, unknown = _status(f, talk_time, source)
	raw_src, raw_dst = _one_line(f, "src"), _one_line(f, "dst")
	return CallEvent(
		call_id=call_id,
		source=source,
		application=text(f.get("api")) or application,
		raw_src=raw_src,
		raw_dst=raw_dst,
		src_e164=to_e164(raw_src, region),
		dst_e164=to_e164(raw_dst, region),
		src_type=_one_line(f, "typesrc"),
		userdata=_one_line(f, "userdata"),
		started_at=madrid_to_utc(f.get("startcall")),
		raw_status=one_line(raw_status, MAX_TEXT),
		state=state,
		duration=seconds(f.get("durationcall")),
		talk_time=talk_time,
		hangup_cause=one_line(_first(f, _HANGUP_KEYS), MAX_TEXT),
		recording_url=_recording(f, recording_origins),
		dtmf=_one_line(f, "dtmf"),
		unknown_value=one_line(unknown, MAX_TEXT),
		raw=raw,
	)


def parse_control(fields: Mapping[str, Any], region: str = "ES") -> CallEvent:
	"""One POST to the control URL."""
	return parse_event(fields, "control", region)


def _records(body: object) -> tuple[list[object], str | None]:
	"""(the CDRs, the delivery's own `api` value when the records sit under `calls`)."""
	if isinstance(body, bytes | str):
		body = load_json(body)
	if isinstance(body, list):
		return body, None
	if not isinstance(body, Mapping):
		raise ParseError("report is neither an object nor a list")
	fields = normalise(body)
	if "calls" not in fields:
		if _first(fields, _ID_KEYS) is not None:
			return [body], None  # a single CDR posted on its own
		raise ParseError("report has no calls")
	return _calls(fields["calls"]), text(fields.get("api"))


def _calls(calls: object) -> list[object]:
	if isinstance(calls, list | tuple) and len(calls) == 1 and isinstance(calls[0], bytes | str):
		calls = calls[0]  # multipart parsers may hand over a one-element list
	if isinstance(calls, bytes | str):
		calls = load_json(calls) if calls.strip() else []
	if isinstance(calls, Mapping):
		return [calls]
	if isinstance(calls, list | tuple):
		return list(calls)
	raise ParseError("report calls is not a list")


def read_report(body: object, region: str = "ES") -> Report:
	"""Every CDR of a report-URL delivery; a bad record is listed in `rejected`, the others still count.

	A record without `api` takes the delivery's own top-level `api` field, when there is one. Records past
	MAX_RECORDS are rejected.
	"""
	events: list[CallEvent] = []
	rejected: list[tuple[int, str]] = []
	records, application = _records(body)
	if len(records) > MAX_RECORDS:
		rejected += [(index, "too many records in one report") for index in range(MAX_RECORDS, len(records))]
		records = records[:MAX_RECORDS]
	for index, record in enumerate(records):
		if isinstance(record, bytes | str):
			try:
				record = load_json(record)
			except ParseError as exc:
				rejected.append((index, str(exc)))
				continue
		try:
			events.append(parse_event(record, "report", region, application))  # type: ignore[arg-type]
		except ParseError as exc:
			rejected.append((index, str(exc)))
	return Report(events=events, rejected=rejected)


def parse_report(body: object, region: str = "ES") -> list[CallEvent]:
	"""The valid CDRs of a report-URL delivery (see `read_report` for the rejected ones)."""
	return read_report(body, region).events


def _canonical(value: object) -> str | None:
	if isinstance(value, dict | list | tuple):
		return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
	return text(value)


def dedup_key(event: CallEvent) -> str:
	"""`netelip:<ID>:<source>:<digest>`, the digest covering every received field (keys lower-cased,
	values as text, order ignored).

	A retried delivery carries the same fields and collides; two steps of one call always differ in some
	field (statuscall, command, status, durations, dtmf…), including ones we do not interpret yet, so no
	step can be mistaken for another and dropped.
	"""
	canonical = sorted((key, _canonical(value)) for key, value in normalise(event.raw).items())
	payload = json.dumps(canonical, ensure_ascii=False, separators=(",", ":"))
	digest = hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:24]
	return f"netelip:{event.call_id}:{event.source}:{digest}"

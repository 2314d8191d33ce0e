"""Hostile values: nothing Netelip sends breaks what stores it."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from xappiens_whatsapp.core.call_state import CallState
from xappiens_whatsapp.core.netelip_events import (
	EARLIEST_START,
	MAX_SECONDS,
	MAX_TEXT,
	CallEvent,
	dedup_key,
	load_json,
	parse_control,
	parse_event,
	read_report,
)
from xappiens_whatsapp.core.text import has_markup


def utc(*args):
	return datetime(*args, tzinfo=UTC)


NOW = datetime.now(UTC)
MARKUP = '<img src=x onerror="alert(1)">'
TEXT_FIELDS = (
	"raw_src",
	"raw_dst",
	"src_type",
	"userdata",
	"raw_status",
	"hangup_cause",
	"dtmf",
	"unknown_value",
)


def assert_storable(event: CallEvent) -> None:
	"""Every text is plain, valid Unicode and fits its column; numbers and times are within range."""
	for name in TEXT_FIELDS:
		value = getattr(event, name)
		if value is not None:
			assert not has_markup(value), (name, value)
			assert len(value) <= MAX_TEXT, name
			value.encode("utf-8")
	for value in (event.duration, event.talk_time):
		assert value is None or 0 <= value <= MAX_SECONDS
	assert event.started_at is None or EARLIEST_START <= event.started_at <= NOW + timedelta(days=2)
	if event.recording_url is not None:
		assert not has_markup(event.recording_url)
		assert event.recording_url.startswith(("https://", "/")) or "://" not in event.recording_url
	assert len(dedup_key(event)) <= 140


@pytest.mark.parametrize(
	("fields", "attribute", "expected"),
	[
		({"durationcall": "1e400"}, "duration", None),
		({"durationcall": "99999999999999999999"}, "duration", MAX_SECONDS),
		({"durationcallanswered": "1e308"}, "talk_time", MAX_SECONDS),
		({"durationcall": "nan"}, "duration", None),
		({"durationcall": "9" * 5000}, "duration", None),
		({"startcall": "0001-01-01T00:00:00+23:59"}, "started_at", None),
		({"startcall": "9999-12-31T23:59:59-23:59"}, "started_at", None),
		({"startcall": "1999-12-31 23:59:59"}, "started_at", None),
		({"startcall": "99999999999"}, "started_at", None),
		({"startcall": "2024-07-01 10:00:00"}, "started_at", utc(2024, 7, 1, 8, 0)),
		({"src": MARKUP}, "raw_src", '‹img src=x onerror="alert(1)">'),
		({"hangupcause": f"16 {MARKUP}"}, "hangup_cause", '16 ‹img src=x onerror="alert(1)">'),
		({"statuscall": MARKUP}, "unknown_value", '‹img src=x onerror="alert(1)">'),
		({"hangupcause": "x" * 10_000}, "hangup_cause", "x" * MAX_TEXT),
		({"dst": "line\none\u2028two"}, "raw_dst", "line one two"),
		({"recording": "/<svg/onload=alert(1)>"}, "recording_url", None),
		({"recording": "https://rec.example/<svg>.wav"}, "recording_url", None),
		({"recording": "http://rec.example/1.wav"}, "recording_url", None),
		({"recording": "data:text/html,<script>alert(1)</script>"}, "recording_url", None),
		({"recording": "https://rec.netelip.com/1.wav"}, "recording_url", "https://rec.netelip.com/1.wav"),
	],
)
def test_hostile_values_are_answered_with_none_clamped_or_plain(fields, attribute, expected):
	event = parse_control({"ID": "1.1", **fields})
	assert getattr(event, attribute) == expected
	assert_storable(event)


@pytest.mark.parametrize(
	("field", "attribute"),
	[
		("src", "raw_src"),
		("dst", "raw_dst"),
		("typesrc", "src_type"),
		("userdata", "userdata"),
		("dtmf", "dtmf"),
		("hangupcause", "hangup_cause"),
		("statuscall", "unknown_value"),
	],
)
def test_every_text_is_cut_to_its_column(field, attribute):
	assert getattr(parse_control({"ID": "1.1", field: "7" * 1000}), attribute) == "7" * MAX_TEXT


def test_a_status_word_stretched_by_separators_is_read_and_cut_too():
	event = parse_control({"ID": "1.1", "statuscall": "NO" + "_" * 500 + "ANSWER"})
	assert (event.state, event.raw_status) == (CallState.NO_ANSWER, "NO" + "_" * (MAX_TEXT - 2))


def test_a_duration_may_be_written_in_up_to_64_characters():
	assert parse_control({"ID": "1.1", "durationcall": "0" * 63 + "7"}).duration == 7
	assert parse_control({"ID": "1.1", "durationcall": "0" * 64 + "7"}).duration is None


def test_a_recording_path_may_be_up_to_2048_characters_long():
	longest = "/" + "a" * 2047
	assert parse_control({"ID": "1.1", "recording": longest}).recording_url == longest
	assert parse_control({"ID": "1.1", "recording": longest + "a"}).recording_url is None


def test_a_recording_on_the_netelip_apis_own_origin_may_be_plain_http():
	fields = {"ID": "1.1", "recording": "http://127.0.0.1:8766/rec/1.wav"}
	assert parse_event(fields, "control").recording_url is None
	event = parse_event(fields, "control", recording_origins=("http://127.0.0.1:8766/v1",))
	assert event.recording_url == "http://127.0.0.1:8766/rec/1.wav"


def test_lone_surrogates_in_json_become_replacement_characters():
	body = '{"ID": "1.1", "src": "\\ud800", "hangupcause": "a\\udfffb", "\\ud801key": ["\\udc00"]}'
	event = parse_control(load_json(body))
	assert (event.raw_src, event.hangup_cause) == ("\ufffd", "a\ufffdb")
	assert event.raw["\ufffdkey"] == ["\ufffd"]
	json.dumps(event.raw, ensure_ascii=False).encode("utf-8")
	assert_storable(event)


HOSTILE_TEXT = st.lists(
	st.one_of(
		st.characters(categories=["Cs"]), st.characters(), st.sampled_from(["<", "<img ", "/", ">", "\n"])
	),
	max_size=300,
).map("".join)
HOSTILE_VALUE = st.one_of(
	HOSTILE_TEXT,
	st.integers(min_value=-(10**30), max_value=10**30),
	st.floats(allow_nan=True, allow_infinity=True),
	st.sampled_from(
		["1e400", "-0", "0001-01-01T00:00:00+23:59", "9999-12-31 23:59:59", "99999999999", MARKUP]
	),
	st.none(),
	st.booleans(),
	st.lists(st.integers(), max_size=2),
)
FIELD_NAMES = st.sampled_from(
	[
		"src", "dst", "startcall", "statuscall", "status", "description", "durationcall",
		"durationcallanswered", "hangupcause", "recording", "userdata", "typesrc", "dtmf", "event", "api",
	]
)  # fmt: skip


@seed(20261206)
@settings(max_examples=400, deadline=None)
@given(st.dictionaries(FIELD_NAMES, HOSTILE_VALUE, max_size=10), st.sampled_from(["control", "report"]))
def test_any_values_give_a_storable_event(fields, source):
	event = parse_event({"ID": "1525291061.0506", **fields}, source)
	assert_storable(event)


@seed(20261206)
@settings(max_examples=200, deadline=None)
@given(st.dictionaries(FIELD_NAMES, HOSTILE_VALUE, max_size=10))
def test_any_values_sent_as_json_give_a_storable_event_or_a_parse_error(fields):
	try:
		body = json.dumps({"ID": "1525291061.0506", **fields})  # surrogates as \ud8xx escapes
	except ValueError:
		return
	event = parse_control(load_json(body))
	assert_storable(event)
	json.dumps(event.raw, ensure_ascii=False).encode("utf-8")


@seed(20261206)
@settings(max_examples=150, deadline=None)
@given(
	st.lists(st.one_of(st.dictionaries(FIELD_NAMES, HOSTILE_VALUE, max_size=6), HOSTILE_VALUE), max_size=6)
)
def test_bad_records_never_cost_a_good_one(others):
	good = {"ID": "1525291061.0506", "api": "API 6230f", "statuscall": "BUSY"}
	report = read_report({"calls": [*others, good]})
	assert any(event.raw == good for event in report.events)
	assert len(report.events) + len(report.rejected) == len(others) + 1
	for event in report.events:
		assert_storable(event)

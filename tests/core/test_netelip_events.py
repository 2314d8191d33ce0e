import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from xappiens_whatsapp.core.call_state import CallState
from xappiens_whatsapp.core.netelip_events import (
	EARLIEST_START,
	MAX_RECORDS,
	MAX_SECONDS,
	MAX_TEXT,
	CallEvent,
	ParseError,
	dedup_key,
	is_valid_call_id,
	load_json,
	madrid_to_utc,
	parse_control,
	parse_event,
	parse_report,
	read_report,
)
from xappiens_whatsapp.core.text import has_markup

S = CallState
INBOUND_SAMPLE = (
	'{"ID":"1576556033.1735","api":"My API","src":"638000000","dst":"34951000000",'
	'"startcall":"2019-11-12 11:04:26","typesrc":"did","usersrc":"638000000"}'
)


def utc(*args):
	return datetime(*args, tzinfo=UTC)


# ---- control URL --------------------------------------------------------------------------------------


def test_inbound_sample_from_the_spec():
	event = parse_control(load_json(INBOUND_SAMPLE))
	assert event == CallEvent(
		call_id="1576556033.1735",
		source="control",
		application="My API",
		raw_src="638000000",
		raw_dst="34951000000",
		src_e164="+34638000000",
		dst_e164="+34951000000",
		src_type="did",
		userdata=None,
		started_at=utc(2019, 11, 12, 10, 4, 26),
		raw_status=None,
		state=S.INITIATED,
		raw=json.loads(INBOUND_SAMPLE),
	)


def test_form_fields_after_dial_as_strings():
	event = parse_control(
		{
			"ID": "1525291061.0506",
			"api": "API 6230f",
			"src": "34968000000",
			"dst": "0034600000001",
			"startcall": "2024-01-15 09:30:00",
			"userdata": "NC-000123",
			"typesrc": "ext",
			"command": "dial",
			"status": "OK",
			"statuscode": "200",
			"description": "ANSWER",
			"statuscall": "ANSWER",
			"durationcall": "95",
			"durationcallanswered": "80",
			"dtmf": "1#",
		}
	)
	assert event.call_id == "1525291061.0506"
	assert event.src_e164 == "+34968000000"
	assert event.dst_e164 == "+34600000001"
	assert event.userdata == "NC-000123"
	assert event.src_type == "ext"
	assert event.started_at == utc(2024, 1, 15, 8, 30)
	assert (event.state, event.raw_status) == (S.ANSWERED, "ANSWER")
	assert (event.duration, event.talk_time) == (95, 80)
	assert event.dtmf == "1#"
	assert event.recording_url is None
	assert event.unknown_value is None


def test_numbers_arrive_as_numbers():
	event = parse_control({"ID": "1.2", "durationcall": 12, "durationcallanswered": 3.0, "src": 638000000})
	assert (event.duration, event.talk_time) == (12, 3)
	assert event.raw_src == "638000000"
	assert event.src_e164 == "+34638000000"


def test_keys_are_case_insensitive_and_one_element_lists_are_values():
	event = parse_control({"id": ["1525291061.0506"], "StatusCall": ["BUSY"], "API": "x"})
	assert (event.call_id, event.state, event.application) == ("1525291061.0506", S.BUSY, "x")


@pytest.mark.parametrize(
	("raw", "expected"),
	[
		("anonymous", None),
		("Anonymous", None),
		("", None),
		("638000000", "+34638000000"),
		("968000000", "+34968000000"),
		("0034968000000", "+34968000000"),
		("34968000000", "+34968000000"),
		("+34968000000", "+34968000000"),
		("0044 20 7946 0958", "+442079460958"),
		("103", None),
	],
)
def test_numbers_normalise_to_e164(raw, expected):
	event = parse_control({"ID": "1.1", "src": raw, "dst": raw})
	assert event.src_e164 == expected
	assert event.dst_e164 == expected
	assert event.raw_src == (raw or None)


def test_region_is_configurable():
	event = parse_control({"ID": "1.1", "src": "02079460958"}, region="GB")
	assert event.src_e164 == "+442079460958"


# ---- call id ------------------------------------------------------------------------------------------


def test_id_is_kept_as_the_exact_string():
	assert parse_control({"ID": "1525291061.0500"}).call_id == "1525291061.0500"
	body = load_json('{"ID": 1525291061.0500, "statuscall": "BUSY"}')
	assert parse_control(body).call_id == "1525291061.0500"
	assert parse_control({"ID": " 1525291061.0506 "}).call_id == "1525291061.0506"


@pytest.mark.parametrize(
	"value",
	["", "abc", "1525291061", "1525291061.", ".0506", "1.2.3", "1525291061,0506", "١٥٢.١", "-1.5", "1e3.1"],
)
def test_invalid_id_is_rejected(value):
	assert not is_valid_call_id(value)
	with pytest.raises(ParseError):
		parse_control({"ID": value, "statuscall": "ANSWER"})


def test_missing_id_or_non_object_is_rejected():
	with pytest.raises(ParseError):
		parse_control({"statuscall": "ANSWER"})
	with pytest.raises(ParseError):
		parse_control(["1.2"])  # type: ignore[arg-type]
	assert not is_valid_call_id(1525291061.05)


@given(st.from_regex(r"[0-9]{1,12}\.[0-9]{1,8}", fullmatch=True))
def test_any_valid_id_round_trips_exactly(call_id):
	assert parse_control({"ID": call_id}).call_id == call_id


@given(st.from_regex(r"[1-9][0-9]{0,11}\.[0-9]{1,8}", fullmatch=True))
def test_any_valid_id_round_trips_exactly_from_a_json_number(call_id):
	assert parse_control(load_json(f'{{"ID": {call_id}}}')).call_id == call_id


@given(
	st.dictionaries(
		st.sampled_from(["ID", "src", "dst", "statuscall", "startcall", "durationcall", "status"]),
		st.one_of(st.text(max_size=20), st.integers(), st.floats(), st.none(), st.booleans()),
	)
)
def test_arbitrary_fields_give_an_event_or_parse_error(fields):
	try:
		event = parse_control(fields)
	except ParseError:
		return
	assert is_valid_call_id(event.call_id)


# ---- time ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	("local", "expected"),
	[
		("2019-11-12 11:04:26", utc(2019, 11, 12, 10, 4, 26)),  # winter, UTC+1
		("2024-07-01 10:00:00", utc(2024, 7, 1, 8, 0, 0)),  # summer, UTC+2
		("2024-03-31 01:59:59", utc(2024, 3, 31, 0, 59, 59)),  # just before the spring change
		("2024-03-31 03:00:00", utc(2024, 3, 31, 1, 0, 0)),  # just after it
		("2024-10-27 02:30:00", utc(2024, 10, 27, 0, 30, 0)),  # repeated hour: first (summer) reading
		("2024-10-27 03:30:00", utc(2024, 10, 27, 2, 30, 0)),
		("2024-07-01T10:00:00", utc(2024, 7, 1, 8, 0, 0)),
		("2024-07-01T10:00:00+00:00", utc(2024, 7, 1, 10, 0, 0)),
		("2024-07-01T10:00:00Z", utc(2024, 7, 1, 10, 0, 0)),
		("1719820800", utc(2024, 7, 1, 8, 0, 0)),
		("not a date", None),
		("", None),
		(None, None),
	],
)
def test_startcall_is_madrid_local_time(local, expected):
	assert madrid_to_utc(local) == expected


def test_started_at_is_aware_utc():
	started = parse_control({"ID": "1.1", "startcall": "2024-07-01 10:00:00"}).started_at
	assert started is not None
	assert started.utcoffset().total_seconds() == 0


# ---- statuses -----------------------------------------------------------------------------------------


def test_unknown_statuscall_is_recorded_not_raised():
	event = parse_control({"ID": "1.1", "statuscall": "EXPLODED"})
	assert (event.state, event.raw_status, event.unknown_value) == (S.INITIATED, None, "EXPLODED")


def test_command_result_status_ok_is_ignored():
	event = parse_control({"ID": "1.1", "status": "OK", "command": "play"})
	assert (event.state, event.raw_status, event.unknown_value) == (S.INITIATED, None, None)


@pytest.mark.parametrize(
	("field", "value", "expected"),
	[
		("event", "RINGING", S.RINGING),
		("state", "NO_ANSWER", S.NO_ANSWER),
		("call_status", "in-progress", S.ANSWERED),
		("callstatus", "no-answer", S.NO_ANSWER),
		("status", "completed", S.COMPLETED),
		("status", "FAILED", S.FAILED),
		("description", "BUSY", S.BUSY),
	],
)
def test_crm_and_peer_vocabulary_in_other_fields(field, value, expected):
	event = parse_control({"ID": "1.1", field: value})
	assert (event.state, event.raw_status, event.unknown_value) == (expected, value, None)


def test_statuscall_wins_over_other_fields_and_unknowns_are_still_kept():
	event = parse_control({"ID": "1.1", "statuscall": "BUSY", "event": "ringing", "state": "sideways"})
	assert (event.state, event.raw_status, event.unknown_value) == (S.BUSY, "BUSY", "sideways")


def test_cancel_depends_on_talk_time():
	talked = parse_control({"ID": "1.1", "statuscall": "CANCEL", "durationcallanswered": "12"})
	not_answered = parse_control({"ID": "1.1", "statuscall": "CANCEL", "durationcallanswered": "0"})
	assert (talked.state, talked.raw_status) == (S.COMPLETED, "CANCEL")
	assert (not_answered.state, not_answered.raw_status) == (S.NO_ANSWER, "CANCEL")


@pytest.mark.parametrize(
	("fields", "expected"),
	[
		(
			{"description": "/var/spool/asterisk/monitor/1525291061.0506.wav"},
			"/var/spool/asterisk/monitor/1525291061.0506.wav",
		),
		({"description": "https://rec.netelip.com/x/abc.mp3"}, "https://rec.netelip.com/x/abc.mp3"),
		({"description": "rec-1525291061.0506.WAV"}, "rec-1525291061.0506.WAV"),
		({"recordingurl": "https://rec.example/1"}, "https://rec.example/1"),
		({"Recording": "/rec/2.gsm"}, "/rec/2.gsm"),
		({"recording": "1"}, None),
		({"description": "ANSWER"}, None),
		({"description": "javascript:alert(1)"}, None),
	],
)
def test_recording_url(fields, expected):
	assert parse_control({"ID": "1.1", **fields}).recording_url == expected


def test_hangup_cause_and_bad_durations():
	event = parse_control(
		{"ID": "1.1", "hangupcause": "16", "durationcall": "-4", "durationcallanswered": "abc"}
	)
	assert event.hangup_cause == "16"
	assert (event.duration, event.talk_time) == (None, None)


# ---- report URL ---------------------------------------------------------------------------------------

CDRS = [
	{
		"ID": "1525291061.0506",
		"src": "34968000000",
		"dst": "0034600000001",
		"startcall": "2024-07-01 10:00:00",
		"statuscall": "ANSWER",
		"durationcall": "95",
		"durationcallanswered": "80",
	},
	{"ID": "1525291099.0511", "dst": "0034600000002", "statuscall": "NOANSWER", "durationcall": "30"},
]


def check_cdrs(events):
	assert [e.call_id for e in events] == ["1525291061.0506", "1525291099.0511"]
	assert [e.source for e in events] == ["report", "report"]
	assert [e.state for e in events] == [S.COMPLETED, S.NO_ANSWER]
	assert [e.raw_status for e in events] == ["ANSWER", "NOANSWER"]
	assert events[0].started_at == utc(2024, 7, 1, 8, 0)
	assert events[1].dst_e164 == "+34600000002"


def test_report_calls_as_json_string():
	check_cdrs(parse_report({"calls": json.dumps(CDRS)}))


def test_report_calls_as_list():
	check_cdrs(parse_report({"calls": CDRS}))


def test_report_body_that_is_a_list_or_json_text():
	check_cdrs(parse_report(CDRS))
	check_cdrs(parse_report(json.dumps(CDRS)))
	check_cdrs(parse_report(json.dumps({"calls": CDRS}).encode()))


def test_report_multipart_one_element_list_and_single_record():
	check_cdrs(parse_report({"calls": [json.dumps(CDRS)]}))
	[single] = parse_report({"calls": json.dumps(CDRS[1])})
	assert single.call_id == "1525291099.0511"
	[bare] = parse_report(CDRS[1])
	assert bare.call_id == "1525291099.0511"


def test_report_keeps_exact_ids_from_json_numbers():
	[event] = parse_report({"calls": '[{"ID": 1525291061.0500, "durationcallanswered": 7}]'})
	assert event.call_id == "1525291061.0500"
	assert (event.state, event.raw_status) == (S.COMPLETED, None)


def test_report_record_without_statuscall():
	events = parse_report(
		{"calls": [{"ID": "1.1", "durationcallanswered": "0"}, {"ID": "1.2", "durationcallanswered": "9"}]}
	)
	assert [(e.state, e.raw_status) for e in events] == [(S.NO_ANSWER, None), (S.COMPLETED, None)]


def test_report_busy_with_talk_time_stays_busy():
	[event] = parse_report({"calls": [{"ID": "1.1", "statuscall": "BUSY", "durationcallanswered": "20"}]})
	assert event.state is S.BUSY


@pytest.mark.parametrize("talk", [None, "0"])
def test_report_with_an_unknown_status_names_no_outcome(talk):
	[event] = parse_report({"calls": [{"ID": "1.1", "statuscall": "EXPLODED", "durationcallanswered": talk}]})
	assert (event.state, event.raw_status, event.unknown_value) == (None, None, "EXPLODED")


def test_report_with_an_unknown_status_and_talk_time_is_completed():
	[event] = parse_report({"calls": [{"ID": "1.1", "statuscall": "EXPLODED", "durationcallanswered": "9"}]})
	assert (event.state, event.unknown_value) == (S.COMPLETED, "EXPLODED")


def test_report_unknown_status_beside_a_known_result_uses_the_known_one():
	[event] = parse_report({"calls": [{"ID": "1.1", "statuscall": "EXPLODED", "description": "BUSY"}]})
	assert (event.state, event.raw_status, event.unknown_value) == (S.BUSY, "BUSY", "EXPLODED")


def test_report_records_without_api_take_the_deliverys_own():
	body = {"api": "API 6230f", "calls": json.dumps([{"ID": "1.1"}, {"ID": "1.2", "api": "Other"}])}
	assert [e.application for e in parse_report(body)] == ["API 6230f", "Other"]
	assert [e.application for e in parse_report({"calls": [{"ID": "1.1"}]})] == [None]
	assert [e.application for e in parse_report([{"ID": "1.1"}])] == [None]


def test_report_bad_records_are_listed_and_the_rest_kept():
	report = read_report({"calls": [CDRS[0], {"ID": "nope"}, 42, "{broken", {"statuscall": "BUSY"}, CDRS[1]]})
	assert [e.call_id for e in report.events] == ["1525291061.0506", "1525291099.0511"]
	assert [index for index, _ in report.rejected] == [1, 2, 3, 4]


@pytest.mark.parametrize("body", [{"foo": "bar"}, "{not json", {"calls": "{broken"}, {"calls": 7}, 42, None])
def test_report_that_is_not_a_report(body):
	with pytest.raises(ParseError):
		parse_report(body)


def test_empty_report():
	assert parse_report({"calls": "[]"}) == []
	assert parse_report({"calls": ""}) == []
	assert parse_report([]) == []


# ---- dedup keys and storage ---------------------------------------------------------------------------

FIRST = {
	"ID": "1525291061.0506",
	"api": "API 6230f",
	"src": "103",
	"dst": "103",
	"startcall": "2024-07-01 10:00:00",
}
AFTER_DIAL = {
	**FIRST,
	"command": "dial",
	"status": "OK",
	"statuscall": "ANSWER",
	"durationcall": "9",
	"durationcallanswered": "0",
}


def test_dedup_key_format():
	key = dedup_key(parse_control(FIRST))
	prefix, call_id, source, digest = key.split(":")
	assert (prefix, call_id, source) == ("netelip", "1525291061.0506", "control")
	assert len(digest) == 24
	assert int(digest, 16) >= 0
	assert len(key) <= 140


def test_retried_delivery_collides():
	retried = dict(reversed(list(AFTER_DIAL.items())))
	retried["durationcall"] = 9  # JSON number instead of form text
	retried["STATUSCALL"] = retried.pop("statuscall")
	assert dedup_key(parse_control(retried)) == dedup_key(parse_control(AFTER_DIAL))


def test_steps_of_one_call_do_not_collide():
	keys = {
		dedup_key(parse_control(FIRST)),
		dedup_key(parse_control(AFTER_DIAL)),
		dedup_key(parse_control({**FIRST, "command": "play", "status": "OK"})),
		dedup_key(parse_control({**AFTER_DIAL, "statuscall": "CANCEL", "durationcallanswered": "40"})),
		dedup_key(parse_control({**AFTER_DIAL, "dtmf": "1"})),
		dedup_key(parse_report([AFTER_DIAL])[0]),
	}
	assert len(keys) == 6


def test_secrets_and_routing_fields_are_not_stored_nor_keyed():
	event = parse_control({**FIRST, "token": "s3cret", "cmd": "xappiens_whatsapp.api.netelip.control"})
	assert "token" not in event.raw
	assert "cmd" not in event.raw
	assert dedup_key(event) == dedup_key(parse_control(FIRST))
	assert event.raw == FIRST


def test_deeply_nested_json_is_a_parse_error():
	with pytest.raises(ParseError):
		load_json(b"[" * 100_000 + b"]" * 100_000)


# ---- hostile values: nothing Netelip sends breaks what stores it ------------------------------------------

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


def test_a_start_time_is_judged_against_the_time_given():
	then = utc(2024, 7, 1, 8, 0)
	assert madrid_to_utc("2024-07-02 09:00:00", now=then) == utc(2024, 7, 2, 7, 0)
	assert madrid_to_utc("2024-07-02 11:00:00", now=then) is None


def test_records_past_the_limit_are_refused_and_the_first_kept():
	report = read_report({"calls": [{"ID": f"1.{i}"} for i in range(MAX_RECORDS + 3)]})
	assert len(report.events) == MAX_RECORDS
	assert [index for index, _ in report.rejected] == [MAX_RECORDS, MAX_RECORDS + 1, MAX_RECORDS + 2]


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

"""Control-URL POSTs: each field of a step of a call, its ID, and the status it names."""

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xappiens_whatsapp.core.call_state import CallState
from xappiens_whatsapp.core.netelip_events import (
	CallEvent,
	ParseError,
	is_valid_call_id,
	load_json,
	parse_control,
	parse_event,
)

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
	event = parse_control({"ID": "1.1", "src": "02079460958", "dst": "02079460958"}, region="GB")
	assert (event.src_e164, event.dst_e164) == ("+442079460958", "+442079460958")


def test_national_numbers_are_spanish_unless_told_otherwise():
	event = parse_event({"ID": "1.1", "src": "638000000", "dst": "02079460958"}, "control")
	assert (event.src_e164, event.dst_e164) == ("+34638000000", None)


def test_bytes_from_a_multipart_form_are_read_as_utf8_with_bad_bytes_replaced():
	event = parse_control({"ID": b"1.1", "userdata": b"a\xc3\xb1o \xff", "durationcall": b"12"})
	assert (event.call_id, event.userdata, event.duration) == ("1.1", "año \ufffd", 12)


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


def test_a_hang_up_named_in_the_description_depends_on_talk_time_too():
	talked = parse_control({"ID": "1.1", "description": "CANCEL", "durationcallanswered": "12"})
	not_answered = parse_control({"ID": "1.1", "description": "CANCEL"})
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

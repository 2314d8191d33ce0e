"""Why a delivery is unreadable: the reason is stored with it (and in a refused report, one per record), so an
admin can see what was wrong."""

import pytest

from xappiens_whatsapp.core.netelip_events import (
	MAX_RECORDS,
	ParseError,
	load_json,
	parse_control,
	read_report,
)

NOT_JSON = "body is not valid JSON"
NO_OBJECT = "call event is not an object"
NO_ID = "call event has no ID"
BAD_ID = "call ID is not of the form <digits>.<digits>"


def reason(call, *args) -> str:
	with pytest.raises(ParseError) as refused:
		call(*args)
	return str(refused.value)


def test_deeply_nested_json_is_a_parse_error():
	assert reason(load_json, b"[" * 100_000 + b"]" * 100_000) == NOT_JSON


@pytest.mark.parametrize(
	("fields", "why"),
	[(["1.2"], NO_OBJECT), ({"statuscall": "ANSWER"}, NO_ID), ({"ID": "1.2.3"}, BAD_ID)],
)
def test_an_unreadable_call_event_says_why(fields, why):
	assert reason(parse_control, fields) == why


@pytest.mark.parametrize(
	("body", "why"),
	[
		("{not json", NOT_JSON),
		(42, "report is neither an object nor a list"),
		({"foo": "bar"}, "report has no calls"),
		({"calls": 7}, "report calls is not a list"),
	],
)
def test_an_unreadable_report_says_why(body, why):
	assert reason(read_report, body) == why


def test_each_refused_record_of_a_report_says_why():
	report = read_report({"calls": [{"ID": "1.1"}, {"ID": "nope"}, 42, "{broken", {"statuscall": "BUSY"}]})
	assert report.rejected == [(1, BAD_ID), (2, NO_OBJECT), (3, NOT_JSON), (4, NO_ID)]


def test_records_past_the_limit_say_so():
	report = read_report([{"ID": "1.1"}] * (MAX_RECORDS + 1))
	assert report.rejected == [(MAX_RECORDS, "too many records in one report")]

"""Report-URL deliveries: the final records (CDRs) of calls, in every shape Netelip posts them."""

import json
from datetime import UTC, datetime

import pytest

from xappiens_whatsapp.core.call_state import CallState
from xappiens_whatsapp.core.netelip_events import MAX_RECORDS, ParseError, parse_report, read_report

S = CallState


def utc(*args):
	return datetime(*args, tzinfo=UTC)


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


def test_report_records_that_are_each_json_text():
	check_cdrs(parse_report({"calls": [json.dumps(cdr) for cdr in CDRS]}))


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


def test_records_past_the_limit_are_refused_and_the_first_kept():
	report = read_report({"calls": [{"ID": f"1.{i}"} for i in range(MAX_RECORDS + 3)]})
	assert len(report.events) == MAX_RECORDS
	assert [index for index, _ in report.rejected] == [MAX_RECORDS, MAX_RECORDS + 1, MAX_RECORDS + 2]


def test_report_numbers_are_read_in_the_region_given_else_spain():
	cdr = {"ID": "1.1", "src": "638000000", "dst": "02079460958"}
	[spanish] = parse_report([cdr])
	assert (spanish.src_e164, spanish.dst_e164) == ("+34638000000", None)
	assert read_report([cdr]).events == [spanish]
	[british] = parse_report([cdr], "GB")
	assert british.dst_e164 == "+442079460958"

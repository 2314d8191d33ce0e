"""Status words of every source mapped to one state, and the state a final record closes a call with."""

import pytest

from xappiens_whatsapp.core.call_state import (
	ALERT_STATES,
	STATUS_MAP,
	TERMINAL_STATES,
	CallState,
	final_state,
	is_known_status,
	is_terminal,
	map_status,
)

S = CallState

SPEC_TABLE = [
	# spec §6, Netelip column
	("ANSWER", None, S.ANSWERED),
	("BUSY", None, S.BUSY),
	("NOANSWER", None, S.NO_ANSWER),
	("CANCEL", 12, S.COMPLETED),
	("CANCEL", 1, S.COMPLETED),  # one second of talk is a conversation
	("CANCEL", 0, S.NO_ANSWER),
	("CANCEL", None, S.NO_ANSWER),
	("CHANUNAVAIL", None, S.FAILED),
	("CONGESTION", None, S.FAILED),
	("UNKNOW", None, S.FAILED),
	("UNKNOWN", None, S.FAILED),
	# seed notes column
	("INITIATED", None, S.INITIATED),
	("RINGING", None, S.RINGING),
	("ANSWERED", None, S.ANSWERED),
	("COMPLETED", None, S.COMPLETED),
	("FAILED", None, S.FAILED),
	("BUSY", None, S.BUSY),
	("NO_ANSWER", None, S.NO_ANSWER),
	# peers column
	("queued", None, S.INITIATED),
	("initiated", None, S.INITIATED),
	("started", None, S.INITIATED),
	("ringing", None, S.RINGING),
	("in-progress", None, S.ANSWERED),
	("answered", None, S.ANSWERED),
	("completed", None, S.COMPLETED),
	("busy", None, S.BUSY),
	("no-answer", None, S.NO_ANSWER),
	("unanswered", None, S.NO_ANSWER),
	("timeout", None, S.NO_ANSWER),
	("failed", None, S.FAILED),
	("rejected", None, S.FAILED),
	("canceled", None, S.NO_ANSWER),
	("cancelled", 30, S.COMPLETED),
]


@pytest.mark.parametrize(("value", "talk_time", "expected"), SPEC_TABLE)
def test_spec_table_maps_as_written(value, talk_time, expected):
	assert map_status(value, talk_time) is expected


@pytest.mark.parametrize(
	"value", ["answer", " Answer ", "no answer", "No-Answer", "IN_PROGRESS", "chanUnavail"]
)
def test_mapping_ignores_case_spaces_and_separators(value):
	assert is_known_status(value)
	assert map_status(value) is not None


@pytest.mark.parametrize("value", [None, "", "OK", "machine", "ANSWERED-BY-ROBOT", "200"])
def test_unknown_values_map_to_none(value):
	assert map_status(value, 10) is None
	assert not is_known_status(value)


def test_every_state_is_reachable_from_the_table():
	reachable = {map_status(key, talk) for key in STATUS_MAP for talk in (0, 5)}
	assert reachable == set(CallState)


def test_state_values_are_the_select_options():
	assert [s.value for s in CallState] == [
		"Initiated",
		"Ringing",
		"Answered",
		"Completed",
		"Failed",
		"Busy",
		"No Answer",
	]
	assert str(S.NO_ANSWER) == "No Answer"
	assert S("No Answer") is S.NO_ANSWER


def test_terminal_and_alert_states():
	assert {s for s in CallState if is_terminal(s)} == {S.COMPLETED, S.FAILED, S.BUSY, S.NO_ANSWER}
	assert TERMINAL_STATES == {S.COMPLETED, S.FAILED, S.BUSY, S.NO_ANSWER}
	assert is_terminal("Busy")
	assert not is_terminal("Answered")
	assert not is_terminal("nonsense")
	assert not is_terminal(None)
	assert ALERT_STATES == {S.FAILED, S.NO_ANSWER}


@pytest.mark.parametrize(
	("state", "talk_time", "expected"),
	[
		(None, None, S.NO_ANSWER),
		(None, 0, S.NO_ANSWER),
		(None, 9, S.COMPLETED),
		(None, 1, S.COMPLETED),
		(S.INITIATED, None, S.NO_ANSWER),
		(S.RINGING, 3, S.COMPLETED),
		(S.ANSWERED, None, S.COMPLETED),
		(S.ANSWERED, 40, S.COMPLETED),
		(S.BUSY, 40, S.BUSY),
		(S.NO_ANSWER, None, S.NO_ANSWER),
		(S.FAILED, 0, S.FAILED),
		(S.COMPLETED, 0, S.COMPLETED),
	],
)
def test_final_cdr_closes_the_call(state, talk_time, expected):
	assert final_state(state, talk_time) is expected


def test_the_hang_up_marker_reads_as_such_in_the_table():
	assert repr(STATUS_MAP["cancel"]) == "HANGUP"

"""Merging updates into a call's snapshot: which state wins, and where each detail comes from."""

import itertools

import pytest
from call_updates import NOT_CONNECTED, S, at, cdr, fold, real

from xappiens_whatsapp.core.call_state import (
	TERMINAL_STATES,
	CallSnapshot,
	CallUpdate,
	apply,
	as_snapshot,
	dial_update,
	launch_update,
	weight_of,
)


def test_states_only_move_forward():
	snap = fold([real(S.ANSWERED, "ANSWER"), real(S.RINGING, "ringing"), real(S.INITIATED)])
	assert snap.state is S.ANSWERED
	assert snap.raw_status == "ANSWER"


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATES))
def test_terminal_sticks_against_non_terminal(terminal):
	for late in (S.INITIATED, S.RINGING, S.ANSWERED):
		assert fold([real(terminal, "x"), real(late, "y")]).state is terminal
		assert fold([real(late, "y"), real(terminal, "x")]).state is terminal


def test_conflicting_terminals_of_equal_evidence_pick_the_most_specific_and_flag():
	for weaker, stronger in itertools.combinations(NOT_CONNECTED, 2):
		for make in (real, cdr):
			for pair in itertools.permutations([make(weaker), make(stronger)]):
				snap = fold(pair)
				assert snap.state is stronger
				assert snap.needs_review is True
	# the same terminal twice is no conflict
	assert fold([real(S.BUSY, "BUSY"), real(S.BUSY, "busy")]).needs_review is False


@pytest.mark.parametrize(("step", "final"), list(itertools.permutations(NOT_CONNECTED, 2)))
def test_the_final_cdr_outranks_a_control_step_whatever_its_outcome(step, final):
	for pair in itertools.permutations([real(step, "STEP", source="control"), cdr(final, "CDR")]):
		snap = fold(pair)
		assert (snap.state, snap.raw_status, snap.source) == (final, "CDR", "report")
		assert snap.needs_review is True


@pytest.mark.parametrize("other", NOT_CONNECTED)
def test_a_conversation_outranks_every_other_terminal(other):
	talked = CallUpdate(state=S.COMPLETED, raw_status="CANCEL", source="control", talk_time=20)
	for pair in itertools.permutations([talked, cdr(other, "CDR"), real(other, "STEP", source="control")]):
		assert fold(pair).state is S.COMPLETED


@pytest.mark.parametrize("terminal", NOT_CONNECTED)
def test_a_control_terminal_is_not_replaced_by_weaker_evidence(terminal):
	snap = fold([real(terminal, "X", source="control")])
	for weaker in (
		real(S.ANSWERED, "ANSWER", source="control"),
		launch_update("200", at(0)),
		dial_update(at(5), 30),
		CallUpdate(state=S.NO_ANSWER, inferred=True, source="timeout"),
		cdr(None, unknown_value="WEIRD"),
	):
		assert apply(snap, weaker).state is terminal


def test_inferred_no_answer_beats_initiated_and_ringing_in_any_order():
	inferred = CallUpdate(state=S.NO_ANSWER, inferred=True)
	for early in (S.INITIATED, S.RINGING):
		for order in itertools.permutations([real(early), inferred]):
			snap = fold(order)
			assert (snap.state, snap.inferred) == (S.NO_ANSWER, True)


@pytest.mark.parametrize("decisive", [S.ANSWERED, S.COMPLETED, S.BUSY, S.NO_ANSWER, S.FAILED])
def test_any_decisive_real_state_beats_an_inferred_one(decisive):
	inferred = CallUpdate(state=S.NO_ANSWER, inferred=True)
	for order in itertools.permutations([inferred, real(decisive, "R")]):
		snap = fold(order)
		assert (snap.state, snap.inferred, snap.raw_status) == (decisive, False, "R")


@pytest.mark.parametrize("state", [S.INITIATED, S.RINGING])
def test_a_real_live_state_beats_the_same_state_inferred(state):
	guessed = CallUpdate(state=state, inferred=True, source="timeout")
	for order in itertools.permutations([guessed, real(state, "R")]):
		assert (fold(order).inferred, fold(order).raw_status) == (False, "R")


def test_raw_status_belongs_to_the_winning_state_with_deterministic_tie_break():
	snap = fold([real(S.ANSWERED, "ANSWER"), real(S.COMPLETED, "CANCEL"), real(S.RINGING, "ringing")])
	assert snap.raw_status == "CANCEL"
	ties = [real(S.NO_ANSWER, "NOANSWER"), real(S.NO_ANSWER, "no-answer"), real(S.NO_ANSWER)]
	assert {fold(p).raw_status for p in itertools.permutations(ties)} == {"no-answer"}


def test_durations_grow_and_times_take_min_and_max():
	snap = fold(
		[
			CallUpdate(duration=40, talk_time=10, answered_at=at(30), ended_at=at(40), started_at=at(1)),
			CallUpdate(duration=25, talk_time=None, answered_at=at(20), ended_at=at(35), started_at=at(0)),
			CallUpdate(duration=None, talk_time=12),
		]
	)
	assert (snap.duration, snap.talk_time) == (40, 12)
	assert (snap.started_at, snap.answered_at, snap.ended_at) == (at(0), at(20), at(40))


def details(source, duration, cause=None, recording=None):
	return CallUpdate(source=source, duration=duration, hangup_cause=cause, recording_url=recording)


def test_hangup_cause_and_recording_come_from_the_most_decisive_event_in_any_order():
	batch = [
		details("control", 10, cause="17", recording="https://r/early.wav"),
		details("control", 80, cause="21"),
		details("report", 75, cause="16", recording="https://r/final.wav"),
		details("control", 90, recording="https://r/zzz-late-step.wav"),
	]
	finals = {fold(order) for order in itertools.permutations(batch)}
	assert len(finals) == 1
	final = finals.pop()
	# the final CDR wins although "21" and "zzz" sort higher and came from events further into the call
	assert (final.hangup_cause, final.recording_url) == ("16", "https://r/final.wav")
	assert final.duration == 90


def test_without_a_cdr_the_event_furthest_into_the_call_gives_the_details():
	batch = [
		details("control", 80, cause="16"),
		details("control", 10, cause="99"),
		details("control", None, "x"),
	]
	assert {fold(order).hangup_cause for order in itertools.permutations(batch)} == {"16"}


def test_a_detail_stored_without_a_weight_gives_way():
	legacy = CallSnapshot(hangup_cause="zz-old", recording_url="https://r/old.wav")
	later = apply(legacy, details("control", None, cause="16"))
	assert (later.hangup_cause, later.recording_url) == ("16", "https://r/old.wav")


def test_detail_weights_are_pinned_as_a_row_stores_them():
	# A row keeps the weight of each detail it holds: events that come later must be weighed the same way.
	assert weight_of("report", 75) == (1, 75)
	assert weight_of("control", 0) == (0, 0)
	assert weight_of("launch", None) == (0, -1)


def test_a_snapshot_of_an_update_weighs_only_the_details_it_has():
	detailed = as_snapshot(CallUpdate(source="report", duration=5, hangup_cause="16"))
	assert (detailed.hangup_cause_weight, detailed.recording_weight) == ((1, 5), None)
	recorded = as_snapshot(CallUpdate(source="control", recording_url="https://r/1.wav"))
	assert (recorded.hangup_cause_weight, recorded.recording_weight) == (None, (0, -1))


def test_unknown_value_is_kept_and_flags_review():
	snap = fold([real(S.INITIATED), CallUpdate(unknown_value="WEIRD")])
	assert snap.state is S.INITIATED
	assert snap.unknown_value == "WEIRD"
	assert snap.needs_review is True
	several = [CallUpdate(unknown_value="B-THING"), CallUpdate(unknown_value="A-THING")]
	assert {fold(p).unknown_value for p in itertools.permutations(several)} == {"B-THING"}


def test_raw_status_without_a_state_is_not_kept():
	assert fold([CallUpdate(raw_status="OK")]) == CallSnapshot()


def test_a_snapshot_of_an_update_without_a_state_names_no_raw_status_nor_source():
	assert as_snapshot(CallUpdate(raw_status="OK", source="report", duration=5)) == CallSnapshot(duration=5)


def test_empty_update_is_the_identity():
	snap = fold([real(S.BUSY, "BUSY", duration=3)])
	assert apply(snap, CallUpdate()) == snap
	assert apply(CallSnapshot(), CallUpdate()) == CallSnapshot()

"""What the app concludes on its own: No Answer when nobody answered in time, Completed when an answered
call's final record never came."""

import itertools
from datetime import datetime, timedelta

import pytest
from call_updates import NOT_CONNECTED, T0, S, at, cdr, fold, real

from xappiens_whatsapp.core.call_state import (
	FINAL_RECORD_GRACE_S,
	RING_GRACE_S,
	CallSnapshot,
	CallUpdate,
	dial_update,
	infer_ended,
	infer_no_answer,
	launch_update,
	no_answer_deadline,
)

# ---- no answer in time --------------------------------------------------------------------------------


def started(state=S.INITIATED, start=T0):
	return fold([real(state, started_at=start)])


def test_no_inference_before_the_timeout():
	assert infer_no_answer(started(), at(29), 30) is None


def test_inference_at_the_timeout():
	snap = infer_no_answer(started(S.RINGING), at(30), 30)
	assert snap is not None
	assert (snap.state, snap.inferred, snap.raw_status) == (S.NO_ANSWER, True, None)
	assert snap.started_at == T0
	# already inferred: nothing more to do
	assert infer_no_answer(snap, at(90), 30) is None


@pytest.mark.parametrize("state", [S.ANSWERED, S.COMPLETED, S.BUSY, S.FAILED, S.NO_ANSWER])
def test_no_inference_once_answered_or_over(state):
	assert infer_no_answer(started(state), at(600), 30) is None


def test_no_inference_without_a_start_time():
	assert infer_no_answer(fold([real(S.INITIATED)]), at(600), 30) is None
	assert infer_no_answer(CallSnapshot(), at(600), 30) is None


def test_inference_refuses_naive_datetimes():
	with pytest.raises(ValueError) as refused:
		infer_no_answer(started(), datetime(2024, 5, 6, 9, 0, 0), 30)
	assert str(refused.value) == "call timeouts need timezone-aware datetimes"


def test_the_timeout_counts_from_the_latest_step():
	# the agent took 25 s to pick up; then we dialled the customer, who may ring 30 s more
	snap = fold([launch_update("200", at(0), ring_until=at(30 + RING_GRACE_S)), dial_update(at(25), 30)])
	assert no_answer_deadline(snap, 30) == at(25 + 30 + RING_GRACE_S)
	assert infer_no_answer(snap, at(31), 30) is None
	assert infer_no_answer(snap, at(25 + 30 + RING_GRACE_S - 1), 30) is None
	inferred = infer_no_answer(snap, at(25 + 30 + RING_GRACE_S), 30)
	assert (inferred.state, inferred.inferred, inferred.source) == (S.NO_ANSWER, True, "timeout")


def test_deadlines_merge_in_any_order():
	steps = [
		started(),
		dial_update(at(40), 20),
		dial_update(at(5), 60),
		launch_update("200", ring_until=at(45)),
	]
	# the furthest deadline of any step: a late result of the long dial must not be pre-empted
	assert {no_answer_deadline(fold(p), 30) for p in itertools.permutations(steps)} == {
		at(5 + 60 + RING_GRACE_S)
	}


def test_a_short_ring_never_brings_the_timeout_forward():
	snap = fold([started(), dial_update(at(1), 5)])
	assert no_answer_deadline(snap, 30) == at(30)


def test_no_inference_once_the_provider_closed_the_call():
	snap = fold([started(S.RINGING), cdr(None, unknown_value="EXPLODED")])
	assert (snap.state, snap.closed, snap.needs_review) == (S.RINGING, True, True)
	assert infer_no_answer(snap, at(600), 30) is None


# ---- an answered call that never ended ----------------------------------------------------------------

LONGEST = 3600


def test_an_answered_call_without_its_final_record_ends_after_the_longest_call():
	answered = fold([real(S.INITIATED, started_at=at(0)), real(S.ANSWERED, "ANSWER", answered_at=at(10))])
	deadline = at(10 + LONGEST + FINAL_RECORD_GRACE_S)
	assert infer_ended(answered, deadline - timedelta(seconds=1), LONGEST) is None
	ended = infer_ended(answered, deadline, LONGEST)
	assert (ended.state, ended.inferred, ended.source) == (S.COMPLETED, True, "timeout")
	assert (ended.answered_at, ended.talk_time) == (at(10), None)  # nothing invented about the call
	assert infer_ended(ended, deadline, LONGEST) is None  # a re-run changes nothing
	# without an answer time, from the start
	started_only = fold([real(S.ANSWERED, "ANSWER", started_at=at(0))])
	assert infer_ended(started_only, at(LONGEST + FINAL_RECORD_GRACE_S), LONGEST).state is S.COMPLETED


def test_only_answered_calls_whose_record_is_missing_are_ended():
	late = at(10 * LONGEST)
	closed = fold([real(S.ANSWERED, "ANSWER", answered_at=at(0)), cdr(None, unknown_value="WEIRD")])
	for snap in (
		closed,
		fold([real(S.RINGING, started_at=at(0))]),
		fold([real(S.BUSY, "BUSY", started_at=at(0))]),
		fold([real(S.ANSWERED, "ANSWER")]),  # no time to count from
	):
		assert infer_ended(snap, late, LONGEST) is None
	with pytest.raises(ValueError):
		infer_ended(fold([real(S.ANSWERED, answered_at=at(0))]), datetime(2030, 1, 1), LONGEST)


@pytest.mark.parametrize("end", [S.COMPLETED, *NOT_CONNECTED])
def test_an_inferred_end_beats_the_answer_and_yields_to_every_real_end(end):
	inferred = CallUpdate(state=S.COMPLETED, inferred=True, source="timeout")
	answered = real(S.ANSWERED, "ANSWER", source="control", answered_at=at(5))
	for order in itertools.permutations([answered, inferred]):
		assert (fold(order).state, fold(order).inferred) == (S.COMPLETED, True)
	for final in (cdr(end, "CDR", talk_time=40), real(end, "STEP", source="control")):
		for order in itertools.permutations([answered, inferred, final]):
			snap = fold(order)
			assert (snap.state, snap.inferred, snap.raw_status) == (end, False, final.raw_status)
	# and an inferred No Answer (from before the answer) stays below both
	guessed = CallUpdate(state=S.NO_ANSWER, inferred=True, source="timeout")
	for order in itertools.permutations([guessed, answered, inferred]):
		assert (fold(order).state, fold(order).inferred) == (S.COMPLETED, True)

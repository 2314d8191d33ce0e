import itertools
from datetime import UTC, datetime, timedelta
from functools import reduce

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xappiens_whatsapp.core.call_state import (
	ALERT_STATES,
	FINAL_RECORD_GRACE_S,
	RING_GRACE_S,
	STATUS_MAP,
	TERMINAL_STATES,
	CallSnapshot,
	CallState,
	CallUpdate,
	apply,
	as_snapshot,
	changes,
	dial_update,
	final_state,
	infer_ended,
	infer_no_answer,
	is_known_status,
	is_terminal,
	join,
	launch_update,
	map_status,
	no_answer_deadline,
	update_from_event,
)
from xappiens_whatsapp.core.netelip_events import parse_control, parse_report

S = CallState
T0 = datetime(2024, 5, 6, 8, 0, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
	return T0 + timedelta(seconds=seconds)


EMPTY = CallSnapshot()


def fold(updates, start=EMPTY):
	return reduce(apply, updates, start)


# ---- mapping table ------------------------------------------------------------------------------------

SPEC_TABLE = [
	# spec §6, Netelip column
	("ANSWER", None, S.ANSWERED),
	("BUSY", None, S.BUSY),
	("NOANSWER", None, S.NO_ANSWER),
	("CANCEL", 12, S.COMPLETED),
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


# ---- merge: ordering rules ----------------------------------------------------------------------------


def real(state, raw=None, **kw):
	return CallUpdate(state=state, raw_status=raw, **kw)


def cdr(state, raw=None, **kw):
	return CallUpdate(state=state, raw_status=raw, source="report", closed=True, **kw)


def test_states_only_move_forward():
	snap = fold([real(S.ANSWERED, "ANSWER"), real(S.RINGING, "ringing"), real(S.INITIATED)])
	assert snap.state is S.ANSWERED
	assert snap.raw_status == "ANSWER"


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATES))
def test_terminal_sticks_against_non_terminal(terminal):
	for late in (S.INITIATED, S.RINGING, S.ANSWERED):
		assert fold([real(terminal, "x"), real(late, "y")]).state is terminal
		assert fold([real(late, "y"), real(terminal, "x")]).state is terminal


NOT_CONNECTED = [S.FAILED, S.NO_ANSWER, S.BUSY]


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


def test_unknown_value_is_kept_and_flags_review():
	snap = fold([real(S.INITIATED), CallUpdate(unknown_value="WEIRD")])
	assert snap.state is S.INITIATED
	assert snap.unknown_value == "WEIRD"
	assert snap.needs_review is True
	several = [CallUpdate(unknown_value="B-THING"), CallUpdate(unknown_value="A-THING")]
	assert {fold(p).unknown_value for p in itertools.permutations(several)} == {"B-THING"}


def test_raw_status_without_a_state_is_not_kept():
	assert fold([CallUpdate(raw_status="OK")]) == CallSnapshot()


def test_empty_update_is_the_identity():
	snap = fold([real(S.BUSY, "BUSY", duration=3)])
	assert apply(snap, CallUpdate()) == snap
	assert apply(CallSnapshot(), CallUpdate()) == CallSnapshot()


# ---- merge: algebraic properties ----------------------------------------------------------------------

states = st.one_of(st.none(), st.sampled_from(list(CallState)))
small_text = st.one_of(st.none(), st.sampled_from(["ANSWER", "BUSY", "CANCEL", "x", "y"]))
times = st.one_of(st.none(), st.integers(0, 120).map(at))
numbers = st.one_of(st.none(), st.integers(0, 300))

updates = st.builds(
	CallUpdate,
	state=states,
	inferred=st.booleans(),
	raw_status=small_text,
	source=st.one_of(st.none(), st.sampled_from(["launch", "control", "report", "dial", "timeout"])),
	closed=st.booleans(),
	ring_deadline=times,
	unknown_value=st.one_of(st.none(), st.sampled_from(["WEIRD", "ODD"])),
	started_at=times,
	answered_at=times,
	ended_at=times,
	duration=numbers,
	talk_time=numbers,
	hangup_cause=st.one_of(st.none(), st.sampled_from(["16", "17", "NORMAL_CLEARING"])),
	recording_url=st.one_of(st.none(), st.sampled_from(["https://r/1.wav", "https://r/2.wav"])),
)
snapshots = st.lists(updates, max_size=4).map(fold)


@settings(max_examples=300)
@given(st.lists(updates, min_size=1, max_size=5))
def test_every_permutation_of_a_small_set_ends_in_the_same_snapshot(batch):
	finals = {fold(order) for order in itertools.permutations(batch)}
	assert len(finals) == 1


@settings(max_examples=300)
@given(st.lists(updates, max_size=12), st.randoms(use_true_random=False))
def test_shuffled_sequences_end_in_the_same_snapshot(batch, rnd):
	shuffled = list(batch)
	rnd.shuffle(shuffled)
	assert fold(shuffled) == fold(batch)


@settings(max_examples=300)
@given(st.lists(updates, max_size=8).flatmap(lambda xs: st.tuples(st.just(xs), st.permutations(xs))))
def test_hypothesis_permutations_agree(pair):
	batch, permuted = pair
	assert fold(permuted) == fold(batch)


@given(snapshots, updates)
def test_applying_twice_changes_nothing(snapshot, update):
	once = apply(snapshot, update)
	assert apply(once, update) == once


@given(snapshots, snapshots, snapshots)
def test_join_is_commutative_associative_idempotent(a, b, c):
	assert join(a, b) == join(b, a)
	assert join(join(a, b), c) == join(a, join(b, c))
	assert join(a, a) == a


real_updates = st.builds(
	CallUpdate,
	state=st.sampled_from(list(CallState)),
	raw_status=small_text,
	source=st.sampled_from([None, "launch", "control", "report", "dial"]),
	duration=numbers,
	talk_time=numbers,
	closed=st.booleans(),
)


@given(st.lists(real_updates, min_size=1, max_size=8))
def test_real_states_never_move_back_and_terminals_stick(batch):
	order = [S.INITIATED, S.RINGING, S.ANSWERED]
	snap = CallSnapshot()
	for update in batch:
		before = snap.state
		snap = apply(snap, update)
		if before in TERMINAL_STATES:
			assert snap.state in TERMINAL_STATES
		elif before is not None and snap.state in order:
			assert order.index(snap.state) >= order.index(before)


real_terminals = st.builds(
	CallUpdate,
	state=st.sampled_from(sorted(TERMINAL_STATES)),
	raw_status=small_text,
	source=st.sampled_from([None, "launch", "control", "report"]),
)


@given(st.lists(real_terminals, min_size=1, max_size=4), updates)
def test_a_real_terminal_only_gives_way_to_stronger_evidence(terminals, late):
	snap = fold(terminals)
	after = apply(snap, late)
	if after.state != snap.state:
		assert not late.inferred and late.state in TERMINAL_STATES
		assert strength(late.state, late.source) > strength(snap.state, snap.source)


def strength(state, source):
	"""Evidence first (a conversation, then the final CDR), then how specific the outcome is."""
	evidence = 3 if state is S.COMPLETED else 2 if source == "report" else 1
	return (evidence, [S.FAILED, S.NO_ANSWER, S.BUSY, S.COMPLETED].index(state))


@given(snapshots, updates)
def test_apply_accepts_a_snapshot_as_update(snapshot, update):
	assert apply(snapshot, as_snapshot(update)) == apply(snapshot, update)


# ---- timeout inference --------------------------------------------------------------------------------


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
	with pytest.raises(ValueError):
		infer_no_answer(started(), datetime(2024, 5, 6, 9, 0, 0), 30)


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


# ---- realistic stories --------------------------------------------------------------------------------

CALL = "1715000000.42"


def control(**fields):
	return update_from_event(parse_control({"ID": CALL, "api": "API 6230f", **fields}))


def report(**fields):
	return update_from_event(parse_report({"calls": [{"ID": CALL, **fields}]})[0])


def test_click_to_call_story_in_any_order():
	story = [
		launch_update("200", started_at=at(0)),
		control(startcall="2024-05-06 10:00:00", src="103", dst="103"),
		real(S.RINGING, "ringing"),
		control(
			startcall="2024-05-06 10:00:00", statuscall="ANSWER", durationcall="8", durationcallanswered="0"
		),
		control(
			startcall="2024-05-06 10:00:00",
			statuscall="CANCEL",
			durationcall="70",
			durationcallanswered="55",
		),
	]
	finals = {fold(order) for order in itertools.permutations(story)}
	assert len(finals) == 1
	final = finals.pop()
	assert final == CallSnapshot(
		state=S.COMPLETED,
		inferred=False,
		raw_status="CANCEL",
		source="control",
		started_at=at(0),
		answered_at=at(15),
		ended_at=at(70),
		duration=70,
		talk_time=55,
	)


def test_busy_story():
	snap = fold([launch_update("200", at(0)), control(statuscall="BUSY", durationcall="4")])
	assert (snap.state, snap.raw_status, snap.duration) == (S.BUSY, "BUSY", 4)
	assert snap.state not in ALERT_STATES


def test_no_answer_story_then_final_cdr():
	snap = fold(
		[
			launch_update("200", at(0)),
			control(statuscall="NOANSWER", durationcall="30", startcall="2024-05-06 10:00:00"),
			report(
				statuscall="NOANSWER",
				durationcall="31",
				durationcallanswered="0",
				startcall="2024-05-06 10:00:00",
			),
		]
	)
	assert (snap.state, snap.raw_status, snap.duration, snap.talk_time) == (S.NO_ANSWER, "NOANSWER", 31, 0)
	assert snap.ended_at == at(31)
	assert snap.answered_at is None
	assert snap.state in ALERT_STATES
	assert snap.needs_review is False


def test_inferred_timeout_then_late_real_answer():
	snap = infer_no_answer(fold([launch_update("200", at(0))]), at(31), 30)
	assert (snap.state, snap.inferred) == (S.NO_ANSWER, True)
	later = apply(snap, control(statuscall="ANSWER"))
	assert (later.state, later.inferred, later.raw_status) == (S.ANSWERED, False, "ANSWER")
	assert changes(snap, later) == {
		"state": S.ANSWERED,
		"inferred": False,
		"raw_status": "ANSWER",
		"source": "control",
	}


def test_inferred_timeout_then_nothing_or_a_replayed_early_step():
	snap = infer_no_answer(fold([launch_update("200", at(0))]), at(31), 30)
	assert snap == CallSnapshot(state=S.NO_ANSWER, inferred=True, source="timeout", started_at=at(0))
	# a retried first control POST must not reopen the call
	assert apply(snap, control(src="103")) == snap
	assert apply(snap, launch_update("200", at(0))) == snap


def test_missed_on_a_step_then_a_conversation_in_the_final_cdr():
	story = [
		launch_update("200", at(0)),
		control(statuscall="CANCEL", durationcall="20", durationcallanswered="0"),
		report(statuscall="ANSWER", durationcall="95", durationcallanswered="60"),
	]
	finals = {fold(order) for order in itertools.permutations(story)}
	assert len(finals) == 1
	final = finals.pop()
	assert (final.state, final.raw_status, final.source, final.closed) == (
		S.COMPLETED,
		"ANSWER",
		"report",
		True,
	)
	assert final.needs_review is True  # a step said nobody answered: worth a look


def test_busy_on_a_step_stays_busy_when_the_cdr_agrees_or_says_nothing_new():
	snap = fold(
		[
			control(statuscall="BUSY", durationcall="4"),
			report(statuscall="BUSY", durationcall="4", durationcallanswered="12"),  # the agent's leg talked
		]
	)
	assert (snap.state, snap.source, snap.needs_review) == (S.BUSY, "report", False)


def test_a_cdr_with_an_unknown_status_flags_the_call_but_names_no_outcome():
	for start in (S.RINGING, S.ANSWERED):
		snap = fold([real(start, "x"), report(statuscall="EXPLODED", durationcall="40")])
		assert (snap.state, snap.unknown_value, snap.needs_review, snap.closed) == (
			start,
			"EXPLODED",
			True,
			True,
		)
		assert snap.state not in ALERT_STATES
	talked = fold([real(S.RINGING), report(statuscall="EXPLODED", durationcallanswered="9")])
	assert (talked.state, talked.unknown_value) == (S.COMPLETED, "EXPLODED")


def test_launch_failure_is_failed_and_alerts():
	update = launch_update("401")
	assert (update.state, update.raw_status) == (S.FAILED, "401")
	assert launch_update(None).state is S.FAILED
	assert launch_update(" 200 ").state is S.INITIATED
	assert fold([update]).state in ALERT_STATES


def test_update_from_report_derives_answer_and_end_times():
	update = report(
		statuscall="ANSWER", durationcall="100", durationcallanswered="80", startcall="2024-05-06 10:00:00"
	)
	assert update.state is S.COMPLETED
	assert (update.started_at, update.answered_at, update.ended_at) == (at(0), at(20), at(100))


def test_live_control_event_does_not_invent_end_times():
	update = control(
		statuscall="ANSWER", durationcall="100", durationcallanswered="80", startcall="2024-05-06 10:00:00"
	)
	assert update.state is S.ANSWERED
	assert (update.answered_at, update.ended_at) == (None, None)
	assert (update.duration, update.talk_time) == (100, 80)


def test_changes_lists_only_what_moved():
	before = fold([launch_update("200", at(0))])
	after = apply(before, control(statuscall="BUSY", durationcall="5"))
	assert changes(before, after) == {
		"state": S.BUSY,
		"raw_status": "BUSY",
		"source": "control",
		"duration": 5,
	}
	assert changes(after, after) == {}

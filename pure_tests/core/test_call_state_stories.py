"""Whole calls as Netelip reports them, in any arrival order."""

import itertools

from call_updates import S, at, control, fold, real, report

from xappiens_whatsapp.core.call_state import (
	ALERT_STATES,
	CallSnapshot,
	apply,
	changes,
	infer_no_answer,
	launch_update,
)


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

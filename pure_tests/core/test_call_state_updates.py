"""What one event from each source says about a call: the launch reply, our dial, and Netelip's events."""

from call_updates import S, at, control, fold, report

from xappiens_whatsapp.core.call_state import (
	ALERT_STATES,
	RING_GRACE_S,
	CallUpdate,
	apply,
	changes,
	dial_update,
	launch_update,
)


def test_launch_failure_is_failed_and_alerts():
	update = launch_update("401")
	assert (update.state, update.raw_status) == (S.FAILED, "401")
	assert launch_update(None).state is S.FAILED
	assert launch_update(" 200 ").state is S.INITIATED
	assert fold([update]).state in ALERT_STATES


def test_a_launch_reply_is_a_step_of_the_launch_with_its_ring_deadline():
	assert launch_update(" 200 ", at(0), ring_until=at(45)) == CallUpdate(
		state=S.INITIATED, raw_status="200", source="launch", started_at=at(0), ring_deadline=at(45)
	)
	assert launch_update(None) == CallUpdate(state=S.FAILED, source="launch")


def test_our_dial_rings_the_phone_until_its_ring_time_and_the_grace_are_over():
	assert dial_update(at(5), 30) == CallUpdate(
		state=S.RINGING, raw_status="dial", source="dial", ring_deadline=at(5 + 30 + RING_GRACE_S)
	)


def test_an_event_s_hang_up_cause_and_recording_reach_its_update():
	update = control(hangupcause="16", recording="https://rec.netelip.com/1.wav")
	assert (update.hangup_cause, update.recording_url) == ("16", "https://rec.netelip.com/1.wav")


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

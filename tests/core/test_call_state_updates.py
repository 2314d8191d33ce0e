"""What one event from each source says about a call: the launch reply, our dial, and Netelip's events."""

from call_updates import S, at, control, fold, report

from xappiens_whatsapp.core.call_state import ALERT_STATES, apply, changes, launch_update


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

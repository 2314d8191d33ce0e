"""A parsed Netelip event as an update of the call's state (the join in `call_state` folds it in)."""

from __future__ import annotations

from datetime import timedelta

from .call_state import REPORT, TERMINAL_STATES, CallUpdate
from .netelip_events import CallEvent


def update_from_event(event: CallEvent) -> CallUpdate:
	"""Turn a parsed Netelip event into an update.

	Answer and end times are derived only once the call is over (terminal state), when durations count
	from `startcall`: ended = start + duration, answered = ended - talk time.
	"""
	answered_at = ended_at = None
	if event.state in TERMINAL_STATES and event.started_at is not None and event.duration is not None:
		ended_at = event.started_at + timedelta(seconds=event.duration)
		if event.talk_time:
			answered_at = ended_at - timedelta(seconds=min(event.talk_time, event.duration))
	return CallUpdate(
		state=event.state,
		raw_status=event.raw_status,
		source=event.source,
		unknown_value=event.unknown_value,
		started_at=event.started_at,
		answered_at=answered_at,
		ended_at=ended_at,
		duration=event.duration,
		talk_time=event.talk_time,
		hangup_cause=event.hangup_cause,
		recording_url=event.recording_url,
		closed=event.source == REPORT,
	)

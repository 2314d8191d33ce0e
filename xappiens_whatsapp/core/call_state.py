"""One state model for every call source: Netelip's control and report URLs, the launch reply, our own
no-answer timeout, and the CRM / peer vocabulary (INITIATED … NO_ANSWER, in-progress, no-answer …).

Updates are folded into a `CallSnapshot` with `apply`, a join over a total order, so it is commutative,
associative and idempotent: any arrival order of the same updates gives the same row, and a repeated update
changes nothing. All datetimes are timezone-aware (UTC).

State order, lowest to highest:
	nothing < inferred non-decisive < real Initiated/Ringing (an inferred state of higher rank beats them)
	< real Answered < real Failed < real No Answer < real Busy < real Completed.
An inferred state (our timeout) beats what it was inferred from (Initiated / Ringing) and gives way to every
decisive real state (Answered or terminal), whatever the arrival order. Between two different real terminal
states the stronger evidence wins (Completed > Busy > No Answer > Failed) and the row is flagged for review.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .order import max_present, min_present

if TYPE_CHECKING:
	from .netelip_events import CallEvent


class CallState(StrEnum):
	INITIATED = "Initiated"
	RINGING = "Ringing"
	ANSWERED = "Answered"
	COMPLETED = "Completed"
	FAILED = "Failed"
	BUSY = "Busy"
	NO_ANSWER = "No Answer"

	def __str__(self) -> str:  # the value is what goes into the Select field
		return self.value


# Higher wins. Terminal states share the top band, ordered by how strong their evidence is: a completed
# conversation outranks a busy signal, which outranks no answer, which outranks a generic failure.
RANK = {
	CallState.INITIATED: 1,
	CallState.RINGING: 2,
	CallState.ANSWERED: 3,
	CallState.FAILED: 4,
	CallState.NO_ANSWER: 5,
	CallState.BUSY: 6,
	CallState.COMPLETED: 7,
}
TERMINAL_STATES = frozenset({CallState.COMPLETED, CallState.FAILED, CallState.BUSY, CallState.NO_ANSWER})
ALERT_STATES = frozenset({CallState.FAILED, CallState.NO_ANSWER})
_DECISIVE = TERMINAL_STATES | {CallState.ANSWERED}


class _Hangup:
	"""Table marker for a hang-up: Completed after a conversation, No Answer before any answer."""

	def __repr__(self) -> str:
		return "HANGUP"


HANGUP = _Hangup()

# The one mapping table. Keys are normalised by `status_key`: lower case without spaces, "-" or "_", so
# NO_ANSWER, no-answer, "no answer" and Netelip's NOANSWER are the same key.
STATUS_MAP: dict[str, CallState | _Hangup] = {
	# Netelip statuscall (Asterisk DIALSTATUS; "UNKNOW" is their spelling)
	"answer": CallState.ANSWERED,
	"busy": CallState.BUSY,
	"noanswer": CallState.NO_ANSWER,
	"cancel": HANGUP,
	"chanunavail": CallState.FAILED,
	"congestion": CallState.FAILED,
	"unknow": CallState.FAILED,
	"unknown": CallState.FAILED,
	# CRM vocabulary (customer notes) and peers (Twilio, Exotel, Vonage)
	"initiated": CallState.INITIATED,
	"queued": CallState.INITIATED,
	"started": CallState.INITIATED,
	"ringing": CallState.RINGING,
	"answered": CallState.ANSWERED,
	"inprogress": CallState.ANSWERED,
	"completed": CallState.COMPLETED,
	"unanswered": CallState.NO_ANSWER,
	"timeout": CallState.NO_ANSWER,
	"failed": CallState.FAILED,
	"rejected": CallState.FAILED,
	"canceled": HANGUP,
	"cancelled": HANGUP,
}


def status_key(value: object) -> str:
	return "".join(ch for ch in str(value).strip().lower() if ch not in " -_")


def is_known_status(value: object) -> bool:
	return value is not None and status_key(value) in STATUS_MAP


def map_status(value: object, talk_time: int | None = None) -> CallState | None:
	"""Map a provider or CRM status word; None when empty or unknown (the caller records the unknown)."""
	if value is None:
		return None
	mapped = STATUS_MAP.get(status_key(value))
	if isinstance(mapped, _Hangup):
		return CallState.COMPLETED if (talk_time or 0) > 0 else CallState.NO_ANSWER
	return mapped


def final_state(state: CallState | None, talk_time: int | None) -> CallState:
	"""State of a final CDR (report URL): the call is over, so a non-terminal state is closed.

	Talk time or an answer means Completed; no status, Initiated or Ringing means No Answer. An explicit
	terminal status (BUSY, NOANSWER, failures) is kept even with talk time, because in click-to-call the
	agent's leg may have been answered while the customer's leg was busy.
	"""
	if state is not None and state in TERMINAL_STATES:
		return state
	if state == CallState.ANSWERED or (talk_time or 0) > 0:
		return CallState.COMPLETED
	return CallState.NO_ANSWER


def is_terminal(state: CallState | str | None) -> bool:
	try:
		return state is not None and CallState(state) in TERMINAL_STATES
	except ValueError:
		return False


@dataclass(frozen=True)
class CallUpdate:
	"""What one event says about a call. `inferred` marks a state the app concluded on its own."""

	state: CallState | None = None
	inferred: bool = False
	raw_status: str | None = None
	unknown_value: str | None = None
	started_at: datetime | None = None
	answered_at: datetime | None = None
	ended_at: datetime | None = None
	duration: int | None = None
	talk_time: int | None = None
	hangup_cause: str | None = None
	recording_url: str | None = None


@dataclass(frozen=True)
class CallSnapshot(CallUpdate):
	"""The merged view of a call, as stored on the Netelip Call row: every update's fields, plus a review flag."""

	needs_review: bool = False


def _state_key(state: CallState | None, inferred: bool, raw_status: str | None) -> tuple:
	if state is None:
		return (0, False, 0, False, False, "")
	real = not inferred
	return (1, real and state in _DECISIVE, RANK[state], real, raw_status is not None, raw_status or "")


def _real_terminal(snapshot: CallSnapshot) -> CallState | None:
	return snapshot.state if snapshot.state in TERMINAL_STATES and not snapshot.inferred else None


def join(a: CallSnapshot, b: CallSnapshot) -> CallSnapshot:
	"""Merge two snapshots; every field is a max/min/or over a total order, hence order-free."""
	winner = max(a, b, key=lambda s: _state_key(s.state, s.inferred, s.raw_status))
	ends_a, ends_b = _real_terminal(a), _real_terminal(b)
	conflict = ends_a is not None and ends_b is not None and ends_a != ends_b
	return CallSnapshot(
		state=winner.state,
		inferred=winner.inferred,
		raw_status=winner.raw_status,
		unknown_value=max_present(a.unknown_value, b.unknown_value),
		started_at=min_present(a.started_at, b.started_at),
		answered_at=min_present(a.answered_at, b.answered_at),
		ended_at=max_present(a.ended_at, b.ended_at),
		duration=max_present(a.duration, b.duration),
		talk_time=max_present(a.talk_time, b.talk_time),
		hangup_cause=max_present(a.hangup_cause, b.hangup_cause),
		recording_url=max_present(a.recording_url, b.recording_url),
		needs_review=a.needs_review or b.needs_review or conflict,
	)


def as_snapshot(update: CallUpdate) -> CallSnapshot:
	return CallSnapshot(
		state=update.state,
		inferred=update.inferred and update.state is not None,
		raw_status=update.raw_status if update.state is not None else None,
		unknown_value=update.unknown_value,
		started_at=update.started_at,
		answered_at=update.answered_at,
		ended_at=update.ended_at,
		duration=update.duration,
		talk_time=update.talk_time,
		hangup_cause=update.hangup_cause,
		recording_url=update.recording_url,
		needs_review=update.unknown_value is not None,
	)


def apply(snapshot: CallSnapshot, update: CallUpdate | CallSnapshot) -> CallSnapshot:
	"""Fold one update into the snapshot (pure; the snapshot is not modified)."""
	other = update if isinstance(update, CallSnapshot) else as_snapshot(update)
	return join(snapshot, other)


def infer_no_answer(snapshot: CallSnapshot, now: datetime, timeout_s: float) -> CallSnapshot | None:
	"""The snapshot with an inferred No Answer when nobody answered within the timeout, else None.

	Goes through `apply`, so a later real Answered / terminal event still wins and a re-run changes nothing.
	"""
	if snapshot.state not in (CallState.INITIATED, CallState.RINGING) or snapshot.started_at is None:
		return None
	if now.tzinfo is None or snapshot.started_at.tzinfo is None:
		raise ValueError("infer_no_answer needs timezone-aware datetimes")
	if snapshot.started_at + timedelta(seconds=timeout_s) > now:
		return None
	return apply(snapshot, CallUpdate(state=CallState.NO_ANSWER, inferred=True))


def launch_update(response: object, started_at: datetime | None = None) -> CallUpdate:
	"""The click-to-call launch reply: "200" means Initiated, any other code is a failed launch."""
	code = str(response).strip() if response is not None else ""
	state = CallState.INITIATED if code == "200" else CallState.FAILED
	return CallUpdate(state=state, raw_status=code or None, started_at=started_at)


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
		unknown_value=event.unknown_value,
		started_at=event.started_at,
		answered_at=answered_at,
		ended_at=ended_at,
		duration=event.duration,
		talk_time=event.talk_time,
		hangup_cause=event.hangup_cause,
		recording_url=event.recording_url,
	)


def changes(before: CallSnapshot, after: CallSnapshot) -> dict[str, Any]:
	"""Fields whose value differs, to write only what an update changed."""
	return {
		f.name: getattr(after, f.name)
		for f in dataclasses.fields(CallSnapshot)
		if getattr(before, f.name) != getattr(after, f.name)
	}

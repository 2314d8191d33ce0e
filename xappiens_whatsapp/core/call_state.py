"""One state model for every call source: Netelip's control and report URLs, the launch reply, our own
no-answer timeout, and the CRM / peer vocabulary (INITIATED … NO_ANSWER, in-progress, no-answer …).

Updates are folded into a `CallSnapshot` with `apply`, a join over total orders, so it is commutative,
associative and idempotent: any arrival order of the same updates gives the same row, and a repeated update
changes nothing. All datetimes are timezone-aware (UTC).

State order, lowest to highest:
	nothing < Initiated, Ringing and an inferred No Answer (by rank) < real Answered < an inferred Completed
	< real Failed / No Answer / Busy < the same from the final CDR < real Completed.
An inferred state (our timeout) beats what it was inferred from and gives way to every real state that says
more: an inferred No Answer to an answer or any real end, an inferred Completed (an answered call that outlasted
the longest call a dial allows, its final record never received) to any real end.
A real terminal state is only replaced by another one with stronger evidence: the final CDR (the provider's
own record of the whole call) over a control-URL step or the launch reply, and a conversation (Completed)
over anything. Two different outcomes of equal evidence contradict each other: the more specific one wins
(Busy over No Answer over Failed), so the result still does not depend on arrival order. Two different real
terminal states flag the row for review, and the pipeline makes the side effects follow the final state.

Hang-up cause and recording URL come from the most decisive event that carried one: the final CDR over a
control-URL step, then the event furthest into the call (the longest duration). Durations and end times only
grow during a call, so the largest value seen is the latest one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from .order import max_present, min_present

# Netelip places a call and posts the dial's result a few seconds after its ring time is over.
RING_GRACE_S = 15
# ...and posts a call's final record (CDR) shortly after it ends: an answered call still without one this long
# after the longest call a dial allows has ended all the same.
FINAL_RECORD_GRACE_S = 600
REPORT = "report"
TIMEOUT = "timeout"


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


# Higher wins among states of the same evidence. Between terminal states of equal evidence the most specific
# outcome wins (a busy signal over no answer over a generic failure); Completed has evidence of its own.
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
_LIVE = frozenset({CallState.INITIATED, CallState.RINGING})


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


def ring_deadline(at: datetime, ring_seconds: float) -> datetime:
	"""When a phone that starts ringing `at` for up to `ring_seconds` has certainly stopped, result posted."""
	return at + timedelta(seconds=ring_seconds + RING_GRACE_S)


@dataclass(frozen=True)
class CallUpdate:
	"""What one event says about a call. `inferred` marks a state the app concluded on its own.

	`source` names where it came from (launch, control, report, dial, timeout); `closed` says the provider's
	final record of the call arrived; `ring_deadline` is when the step it describes must have had an answer.
	"""

	state: CallState | None = None
	inferred: bool = False
	raw_status: str | None = None
	source: str | None = None
	unknown_value: str | None = None
	started_at: datetime | None = None
	answered_at: datetime | None = None
	ended_at: datetime | None = None
	duration: int | None = None
	talk_time: int | None = None
	hangup_cause: str | None = None
	recording_url: str | None = None
	closed: bool = False
	ring_deadline: datetime | None = None


Weight = tuple[int, int]


@dataclass(frozen=True)
class CallSnapshot(CallUpdate):
	"""The merged view of a call, as stored on the Netelip Call row: every update's fields, a review flag, and
	the weight of the event each detail came from (so a later merge can still pick the same one)."""

	needs_review: bool = False
	hangup_cause_weight: Weight | None = None
	recording_weight: Weight | None = None


def _evidence(state: CallState, source: str | None) -> int:
	if state == CallState.COMPLETED:
		return 3  # a conversation took place: nothing outranks that
	if state in TERMINAL_STATES:
		return 2 if source == REPORT else 1
	return 0


def _state_key(s: CallSnapshot) -> tuple:
	"""Total order over everything that describes the state, so the winner never depends on arrival order."""
	tail = (s.raw_status is not None, s.raw_status or "", s.source or "")
	if s.state is None:
		return (0,)
	if s.inferred and s.state == CallState.COMPLETED:
		return (2, 0, RANK[s.state], *tail)  # above a real Answered (evidence 0), below every real end
	if s.inferred or s.state not in _DECISIVE:
		return (1, RANK[s.state], not s.inferred, *tail)
	return (2, _evidence(s.state, s.source), RANK[s.state], *tail)


def _real_terminal(snapshot: CallSnapshot) -> CallState | None:
	return snapshot.state if snapshot.state in TERMINAL_STATES and not snapshot.inferred else None


def weight_of(source: str | None, duration: int | None) -> Weight:
	"""How decisive an event's details are: the final CDR first, then how far into the call it was sent."""
	return (1 if source == REPORT else 0, -1 if duration is None else duration)


def _pick(a: tuple[str | None, Weight | None], b: tuple[str | None, Weight | None]):
	"""(value, weight) of the heavier present value; the value itself breaks a tie. A value stored before
	weights were kept has none and counts as the lightest."""
	present = [(weight or (-1, -1), value, weight) for value, weight in (a, b) if value is not None]
	if not present:
		return None, None
	_, value, weight = max(present, key=lambda item: item[:2])
	return value, weight


def join(a: CallSnapshot, b: CallSnapshot) -> CallSnapshot:
	"""Merge two snapshots; every field is a max/min/or over a total order, hence order-free."""
	winner = max(a, b, key=_state_key)
	ends_a, ends_b = _real_terminal(a), _real_terminal(b)
	conflict = ends_a is not None and ends_b is not None and ends_a != ends_b
	hangup_cause, hangup_weight = _pick(
		(a.hangup_cause, a.hangup_cause_weight), (b.hangup_cause, b.hangup_cause_weight)
	)
	recording_url, recording_weight = _pick(
		(a.recording_url, a.recording_weight), (b.recording_url, b.recording_weight)
	)
	return CallSnapshot(
		state=winner.state,
		inferred=winner.inferred,
		raw_status=winner.raw_status,
		source=winner.source,
		unknown_value=max_present(a.unknown_value, b.unknown_value),
		started_at=min_present(a.started_at, b.started_at),
		answered_at=min_present(a.answered_at, b.answered_at),
		ended_at=max_present(a.ended_at, b.ended_at),
		duration=max_present(a.duration, b.duration),
		talk_time=max_present(a.talk_time, b.talk_time),
		hangup_cause=hangup_cause,
		recording_url=recording_url,
		closed=a.closed or b.closed,
		ring_deadline=max_present(a.ring_deadline, b.ring_deadline),
		needs_review=a.needs_review or b.needs_review or conflict,
		hangup_cause_weight=hangup_weight,
		recording_weight=recording_weight,
	)


def as_snapshot(update: CallUpdate) -> CallSnapshot:
	weight = weight_of(update.source, update.duration)
	has_state = update.state is not None
	return CallSnapshot(
		state=update.state,
		inferred=update.inferred and has_state,
		raw_status=update.raw_status if has_state else None,
		source=update.source if has_state else None,
		unknown_value=update.unknown_value,
		started_at=update.started_at,
		answered_at=update.answered_at,
		ended_at=update.ended_at,
		duration=update.duration,
		talk_time=update.talk_time,
		hangup_cause=update.hangup_cause,
		recording_url=update.recording_url,
		closed=update.closed,
		ring_deadline=update.ring_deadline,
		needs_review=update.unknown_value is not None,
		hangup_cause_weight=weight if update.hangup_cause is not None else None,
		recording_weight=weight if update.recording_url is not None else None,
	)


def apply(snapshot: CallSnapshot, update: CallUpdate | CallSnapshot) -> CallSnapshot:
	"""Fold one update into the snapshot (pure; the snapshot is not modified)."""
	other = update if isinstance(update, CallSnapshot) else as_snapshot(update)
	return join(snapshot, other)


def no_answer_deadline(snapshot: CallSnapshot, timeout_s: float) -> datetime | None:
	"""When a call still not answered counts as No Answer: the timeout after the start, or the ring deadline
	of the latest step (our dial to the customer, the launch), whichever is later."""
	after_start = snapshot.started_at + timedelta(seconds=timeout_s) if snapshot.started_at else None
	return max_present(after_start, snapshot.ring_deadline)


def infer_no_answer(snapshot: CallSnapshot, now: datetime, timeout_s: float) -> CallSnapshot | None:
	"""The snapshot with an inferred No Answer when nobody answered in time, else None.

	Goes through `apply`, so a later real Answered / terminal event still wins and a re-run changes nothing.
	A call whose final CDR arrived is left alone: the provider had the last word, even an unreadable one.
	"""
	if snapshot.state not in _LIVE or snapshot.closed:
		return None
	return _infer_once_due(snapshot, CallState.NO_ANSWER, no_answer_deadline(snapshot, timeout_s), now)


def _infer_once_due(
	snapshot: CallSnapshot, state: CallState, deadline: datetime | None, now: datetime
) -> CallSnapshot | None:
	"""The snapshot with `state` inferred by our timeout once `deadline` has passed, else None."""
	if deadline is None:
		return None
	if now.tzinfo is None or deadline.tzinfo is None:
		raise ValueError("call timeouts need timezone-aware datetimes")
	if deadline > now:
		return None
	return apply(snapshot, CallUpdate(state=state, inferred=True, source=TIMEOUT))


def ended_deadline(snapshot: CallSnapshot, longest_s: float) -> datetime | None:
	"""When an answered call has certainly ended: the longest call a dial allows after its answer (or start),
	plus the time the final record takes to come."""
	start = snapshot.answered_at or snapshot.started_at
	return start + timedelta(seconds=longest_s + FINAL_RECORD_GRACE_S) if start else None


def infer_ended(snapshot: CallSnapshot, now: datetime, longest_s: float) -> CallSnapshot | None:
	"""The snapshot with an inferred Completed when an answered call is past `ended_deadline` and its final
	record never came, else None. Through `apply`, so the final record or any real end still wins over it."""
	if snapshot.state != CallState.ANSWERED or snapshot.closed:
		return None
	return _infer_once_due(snapshot, CallState.COMPLETED, ended_deadline(snapshot, longest_s), now)


def launch_update(
	response: object, started_at: datetime | None = None, ring_until: datetime | None = None
) -> CallUpdate:
	"""The click-to-call launch reply: "200" means Initiated, any other code is a failed launch."""
	code = str(response).strip() if response is not None else ""
	state = CallState.INITIATED if code == "200" else CallState.FAILED
	return CallUpdate(
		state=state, raw_status=code or None, source="launch", started_at=started_at, ring_deadline=ring_until
	)


def dial_update(at: datetime, ring_seconds: float) -> CallUpdate:
	"""We told Netelip to dial at `at`: that phone rings now, for up to `ring_seconds`."""
	return CallUpdate(
		state=CallState.RINGING,
		raw_status="dial",
		source="dial",
		ring_deadline=ring_deadline(at, ring_seconds),
	)


def changes(before: CallSnapshot, after: CallSnapshot) -> dict[str, Any]:
	"""Fields whose value differs, to write only what an update changed."""
	return {
		f.name: getattr(after, f.name)
		for f in dataclasses.fields(CallSnapshot)
		if getattr(before, f.name) != getattr(after, f.name)
	}

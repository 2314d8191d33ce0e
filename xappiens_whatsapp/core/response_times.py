"""How fast customers are answered, from a conversation's messages in time order. Pure; the reports read the
rows and group what this returns.

A *turn* starts with a customer's message that follows one of ours (or nothing) and ends with our next reply;
its response time runs from the customer's first message of the turn to that reply. A conversation is *opened*
by a customer's message after `gap` of silence (24 hours: WhatsApp's customer service window), and its first
response time is the response time of the turn that opened it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from statistics import median

DEFAULT_GAP = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Message:
	conversation: str
	session: str
	at: datetime
	from_me: bool
	sent_by: str | None = None


@dataclass(frozen=True, slots=True)
class Turn:
	"""A customer's turn: the first of their messages since the last answer, and the answer if one came."""

	asked: Message
	opens_conversation: bool
	answer: Message | None = None

	@property
	def conversation(self) -> str:
		return self.asked.conversation

	@property
	def session(self) -> str:
		return self.asked.session

	@property
	def asked_at(self) -> datetime:
		return self.asked.at

	@property
	def answered_at(self) -> datetime | None:
		return self.answer.at if self.answer else None

	@property
	def answered_by(self) -> str | None:
		return self.answer.sent_by if self.answer else None

	@property
	def seconds(self) -> float | None:
		return (self.answer.at - self.asked.at).total_seconds() if self.answer else None


def turns(messages: Iterable[Message], gap: timedelta = DEFAULT_GAP) -> list[Turn]:
	"""Every customer turn of every conversation in `messages` (any order)."""
	by_conversation: dict[str, list[Message]] = {}
	for message in messages:
		by_conversation.setdefault(message.conversation, []).append(message)
	found: list[Turn] = []
	for conversation in sorted(by_conversation):
		found.extend(_turns_of(sorted(by_conversation[conversation], key=lambda m: m.at), gap))
	return found


def _turns_of(ordered: list[Message], gap: timedelta) -> list[Turn]:
	result: list[Turn] = []
	open_turn: Turn | None = None
	previous: Message | None = None
	for message in ordered:
		if not message.from_me:
			if open_turn is None:
				opens = previous is None or message.at - previous.at >= gap
				open_turn = Turn(message, opens)
		elif open_turn is not None:
			result.append(replace(open_turn, answer=message))
			open_turn = None
		previous = message
	if open_turn is not None:
		result.append(open_turn)
	return result


@dataclass(frozen=True)
class Summary:
	opened: int
	first_responses: int
	first_response_avg: float | None  # seconds
	first_response_median: float | None
	turns: int
	answered: int
	response_avg: float | None
	response_median: float | None
	unanswered: int


def summarise(group: list[Turn]) -> Summary:
	first = [t.seconds for t in group if t.opens_conversation and t.seconds is not None]
	every = [t.seconds for t in group if t.seconds is not None]
	return Summary(
		opened=sum(1 for t in group if t.opens_conversation),
		first_responses=len(first),
		first_response_avg=sum(first) / len(first) if first else None,
		first_response_median=median(first) if first else None,
		turns=len(group),
		answered=len(every),
		response_avg=sum(every) / len(every) if every else None,
		response_median=median(every) if every else None,
		unanswered=len(group) - len(every),
	)


def opened_per_day(found: Iterable[Turn]) -> dict[str, int]:
	"""Conversations opened on each day (ISO date of the opening message)."""
	days: dict[str, int] = {}
	for turn in found:
		if turn.opens_conversation:
			day = turn.asked_at.date().isoformat()
			days[day] = days.get(day, 0) + 1
	return dict(sorted(days.items()))

"""Delivery status of a message as a merge that ignores arrival order.

Status updates come from the send response, message.sent, message.ack and message.delivered/read/failed,
in any order and sometimes twice. Each update is folded into the current state with `apply_status`, which is
commutative, associative and idempotent, so every order of the same updates ends in the same row.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from .order import max_present, min_present


class MessageStatus(StrEnum):
	PENDING = "Pending"
	SENT = "Sent"
	DELIVERED = "Delivered"
	READ = "Read"
	PLAYED = "Played"
	FAILED = "Failed"


# Failed ranks above everything: it is terminal, and a total order keeps the merge order-free.
RANK = {status: rank for rank, status in enumerate(MessageStatus)}

STEP_FIELD = {
	MessageStatus.SENT: "sent_at",
	MessageStatus.DELIVERED: "delivered_at",
	MessageStatus.READ: "read_at",
	MessageStatus.PLAYED: "played_at",
	MessageStatus.FAILED: "failed_at",
}


class AckScale(StrEnum):
	WWEBJS = "whatsapp-web.js (-1 to 4)"
	BAILEYS = "Baileys (0 to 5)"


_ACKS = {
	AckScale.WWEBJS: {
		-1: MessageStatus.FAILED,
		0: MessageStatus.PENDING,
		1: MessageStatus.SENT,
		2: MessageStatus.DELIVERED,
		3: MessageStatus.READ,
		4: MessageStatus.PLAYED,
	},
	AckScale.BAILEYS: {
		0: MessageStatus.FAILED,
		1: MessageStatus.PENDING,
		2: MessageStatus.SENT,
		3: MessageStatus.DELIVERED,
		4: MessageStatus.READ,
		5: MessageStatus.PLAYED,
	},
}

_WORDS = {
	"pending": MessageStatus.PENDING,
	"server": MessageStatus.SENT,
	"sent": MessageStatus.SENT,
	"server_ack": MessageStatus.SENT,
	"delivered": MessageStatus.DELIVERED,
	"delivery_ack": MessageStatus.DELIVERED,
	"received": MessageStatus.DELIVERED,
	"read": MessageStatus.READ,
	"seen": MessageStatus.READ,
	"played": MessageStatus.PLAYED,
	"failed": MessageStatus.FAILED,
	"error": MessageStatus.FAILED,
}


def status_from_ack(ack: object, scale: AckScale | str = AckScale.WWEBJS) -> MessageStatus | None:
	try:
		value = int(ack)  # type: ignore[arg-type]
	except (TypeError, ValueError):
		return None
	return _ACKS[AckScale(scale)].get(value)


def status_from_word(word: object) -> MessageStatus | None:
	return _WORDS.get(str(word or "").strip().lower())


@dataclass(frozen=True)
class StatusUpdate:
	status: MessageStatus
	at: float | None = None  # epoch seconds of the step, when the source tells
	raw_ack: int | None = None
	reason: str | None = None


@dataclass(frozen=True)
class DeliveryState:
	status: MessageStatus = MessageStatus.PENDING
	raw_ack: int | None = None
	times: dict[str, float] = field(default_factory=dict)
	failure_reason: str | None = None

	def __hash__(self) -> int:
		return hash((self.status, self.raw_ack, tuple(sorted(self.times.items())), self.failure_reason))


def apply_status(state: DeliveryState, update: StatusUpdate) -> DeliveryState:
	"""Fold one update in. Status only moves forward; each step keeps its earliest time."""
	times = dict(state.times)
	step = STEP_FIELD.get(update.status)
	if step and update.at is not None:
		times[step] = min_present(times.get(step), update.at)

	current, incoming = RANK[state.status], RANK[update.status]
	if incoming > current:
		status, raw_ack = update.status, update.raw_ack
	elif incoming == current:
		status, raw_ack = state.status, max_present(state.raw_ack, update.raw_ack)
	else:
		status, raw_ack = state.status, state.raw_ack

	reason = state.failure_reason
	if update.status == MessageStatus.FAILED and update.reason:
		reason = min(reason, update.reason) if reason else update.reason
	return replace(state, status=status, raw_ack=raw_ack, times=times, failure_reason=reason)


def merge_reactions(current: dict | None, sender: str, emoji: str, timestamp_ms: int) -> dict:
	"""Keep each sender's latest reaction; an empty emoji is a removal that still counts as latest.

	Stored as {sender: {"emoji": str, "ts": int}} so that late or repeated reactions merge without order.
	"""
	reactions = dict(current or {})
	previous = reactions.get(sender)
	candidate = {"emoji": emoji, "ts": int(timestamp_ms)}
	if previous is None or (candidate["ts"], candidate["emoji"]) > (
		int(previous.get("ts", 0)),
		previous.get("emoji", ""),
	):
		reactions[sender] = candidate
	return reactions


def visible_reactions(reactions: dict | None) -> dict[str, str]:
	return {sender: r["emoji"] for sender, r in (reactions or {}).items() if r.get("emoji")}

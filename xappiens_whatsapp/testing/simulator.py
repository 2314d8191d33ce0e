"""Plays Inbox Hub and Netelip against a site: signed webhooks and call callbacks, for demos and load.

Pure Python (no Frappe). `build` turns a seed and a few numbers into a scenario: sessions that show a QR code
and connect, conversations with inbound messages and agent replies, acks 1 → 2 → 3 for each reply, and inbound
calls that end answered, unanswered or busy. The same seed and start time always give the same bytes.
Switches add what real providers do: retried deliveries (the same signed body again), reordering within a
window, and acks that arrive late (after everything else, so some may even precede their message).

`send` posts the stream with a target rate, bounded in count and time, to this machine only (every address the
host resolves to must be loopback; requests go to that address, never through a proxy, and redirects are not
followed), the way each provider posts: Inbox Hub signs compact JSON with HMAC-SHA256 and retries 5xx answers;
Netelip posts forms to the control URL and a multipart `calls` field to the report URL, with the callback token
in the query string.

Everything is bounded: the sizes in `Config` (see `LIMITS`), the deliveries a scenario may hold
(`MAX_DELIVERIES`, checked before anything is built) and what `send` may post (`MAX_COUNT`, `MAX_DURATION`,
`MAX_RATE`).

Each scenario knows what the site should end with: one row per message and per call, their final states, and
the inbox keys (`dedup_keys`) of every logical delivery, so a caller can count what was stored, processed,
duplicated or lost.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from dataclasses import dataclass

from xappiens_whatsapp.core import inbox_hub_events as ih
from xappiens_whatsapp.core.signatures import serialise
from xappiens_whatsapp.testing.sim_calls import (
	SIM_CALLED_NUMBER,
	add_calls,
	prefix_tag,
	sim_call_pattern,
)
from xappiens_whatsapp.testing.sim_delivery import Delivery, NotLoopback, iso
from xappiens_whatsapp.testing.sim_disorder import RETRY_SPREAD, shuffle_windows, with_retries
from xappiens_whatsapp.testing.sim_limits import (
	CONTROL_PATH,
	LIMITS,
	MAX_DELIVERIES,
	REPORT_PATH,
	WEBHOOK_PATH,
)
from xappiens_whatsapp.testing.sim_sending import Result, is_loopback, percentile, pin, send
from xappiens_whatsapp.testing.wwebjs_messages import text_message

PREFIX_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,39}")  # no LIKE wildcard can hide in a prefix

ACKS = {"wwebjs": (1, 2, 3), "baileys": (2, 3, 4)}  # sent, delivered, read on each gateway scale
OWN_PHONE = "34600000000"
TINY_PNG = (
	"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg"
	"AAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class Config:
	sessions: int = 1
	conversations: int = 5
	messages: int = 2  # inbound messages per conversation
	replies: int = 1  # agent replies per conversation (message.sent)
	acks: bool = True  # acks sent → delivered → read for every reply
	session_events: bool = True  # each session shows a QR code, then connects
	calls: int = 0
	duplicates: float = 0.0  # share of deliveries the provider sends twice
	reorder: bool = False  # shuffle deliveries within a window of `reorder_window`
	reorder_window: int = 8
	late_acks: bool = False  # acks go out after everything else, shuffled
	seed: int = 0
	session_prefix: str = "sim_"
	session_names: tuple[str, ...] = ()  # the sessions by name (one per session), instead of prefix + seed
	ack_scale: str = "wwebjs"  # or "baileys"
	edits: bool = False  # customers edit their first message and delete their last one (two or more)

	def __post_init__(self):
		for name, most in LIMITS.items():
			value = getattr(self, name)
			if not isinstance(value, int) or not 0 <= value <= most:
				raise ValueError(f"{name} must be a whole number from 0 to {most}")
		if self.sessions < 1:
			raise ValueError("sessions must be at least 1")
		if not 0.0 <= self.duplicates <= 1.0:
			raise ValueError("duplicates is a share between 0 and 1")
		if self.ack_scale not in ACKS:
			raise ValueError(f"ack_scale must be one of {sorted(ACKS)}")
		if self.session_names and (
			len(self.session_names) != self.sessions
			or not all(PREFIX_PATTERN.fullmatch(name) for name in self.session_names)
		):
			raise ValueError("session_names: one per session, each 3 to 40 letters, digits, '_' or '-'")
		if not PREFIX_PATTERN.fullmatch(self.session_prefix):
			raise ValueError(
				"session_prefix: 3 to 40 letters, digits, '_' or '-', starting with a letter or digit"
			)
		if self.deliveries > MAX_DELIVERIES:
			raise ValueError(f"{self.deliveries} deliveries: at most {MAX_DELIVERIES} per scenario")

	@property
	def changes(self) -> int:
		"""Edits and deletions per conversation."""
		return (1 + (self.messages >= 2)) if self.edits and self.messages else 0

	@property
	def deliveries(self) -> int:
		"""How many logical deliveries the scenario holds (retries not counted), known before building it."""
		per_reply = 1 + (len(ACKS[self.ack_scale]) if self.acks else 0)
		per_conversation = self.messages + self.replies * per_reply + self.changes
		per_session = 2 if self.session_events else 0
		return self.sessions * per_session + self.conversations * per_conversation + self.calls * 3


@dataclass
class Scenario:
	config: Config
	deliveries: list[Delivery]  # each logical delivery once, in causal order
	stream: list[Delivery]  # what is posted, in order (retries included)
	sessions: list[str]
	messages: dict[tuple[str, str], str]  # (session, message id) → final status
	calls: dict[str, str]  # call id → final status
	truncated: bool = False  # `build(limit=…)` left conversations or calls out

	@property
	def dedup_keys(self) -> set[str]:
		return {key for d in self.deliveries for key in d.dedup_keys}

	@property
	def retries(self) -> int:
		return len(self.stream) - len(self.deliveries)

	def describe(self) -> str:
		kinds = Counter(d.kind for d in self.deliveries)
		listed = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
		return (
			f"{len(self.sessions)} session(s), {len(self.messages)} messages, {len(self.calls)} calls; "
			f"{len(self.deliveries)} deliveries + {self.retries} retries ({listed})"
			+ (" (truncated to the count bound)" if self.truncated else "")
		)


def session_ids(config: Config) -> list[str]:
	if config.session_names:
		return list(config.session_names)
	return [f"{config.session_prefix}{config.seed}_{n + 1}" for n in range(config.sessions)]


def new_message_id(rng: random.Random) -> str:
	return "3EB0" + "".join(rng.choice("0123456789ABCDEF") for _ in range(18))


def _ih_key(payload: dict) -> str:
	raw = serialise(payload)
	parsed = ih.parse(raw, payload.get("event"), payload.get("sessionId"))
	return parsed.dedup_key


class _Builder:
	def __init__(self, config: Config, secrets: dict[str, str], start: float, limit: int | None):
		self.config = config
		self.secrets = secrets
		self.start = start
		self.limit = limit
		self.rng = random.Random(config.seed)
		self.deliveries: list[Delivery] = []
		self.truncated = False

	def room(self, count: int) -> bool:
		"""Whether `count` more deliveries (one whole conversation, call or session) fit within the limit."""
		if self.limit is not None and len(self.deliveries) + count > self.limit:
			self.truncated = True
		return not self.truncated

	def add_ih(self, session: str, event: str, data: dict) -> Delivery:
		payload = {"event": event, "sessionId": session, "data": data}
		delivery = Delivery(
			seq=len(self.deliveries),
			provider="Inbox Hub",
			kind=event,
			path=WEBHOOK_PATH,
			dedup_keys=(_ih_key({**payload, "timestamp": iso(self.start)}),),
			session_id=session,
			payload=payload,
			secret=self.secrets[session],
		)
		self.deliveries.append(delivery)
		return delivery

	def add_netelip(self, kind: str, path: str, body: bytes, content_type: str, keys: tuple[str, ...]):
		delivery = Delivery(
			seq=len(self.deliveries),
			provider="Netelip",
			kind=kind,
			path=path,
			dedup_keys=keys,
			body=body,
			content_type=content_type,
		)
		self.deliveries.append(delivery)
		return delivery


def build(
	config: Config,
	*,
	secrets: dict[str, str] | str,
	netelip_token: str | None = None,
	netelip_application: str | None = None,
	start: float | None = None,
	limit: int | None = None,
) -> Scenario:
	"""The scenario for `config`. `secrets`: one webhook secret for every session, or one per session id.
	`limit`: build at most this many deliveries (whole sessions, conversations and calls only, in that order),
	so that a run bounded in count never builds more than it may send; `Scenario.truncated` tells."""
	sessions = session_ids(config)
	if isinstance(secrets, str):
		secrets = dict.fromkeys(sessions, secrets)
	missing = [s for s in sessions if not secrets.get(s)]
	if missing:
		raise ValueError(f"no webhook secret for {', '.join(missing)}")
	if config.calls and not netelip_token:
		raise ValueError("calls need the Netelip webhook token")
	if limit is not None and limit < 0:
		raise ValueError("limit must not be negative")
	start = time.time() if start is None else start
	b = _Builder(config, secrets, start, limit)
	rng = b.rng
	acks = ACKS[config.ack_scale]
	messages: dict[tuple[str, str], str] = {}
	ack_deliveries: list[Delivery] = []

	for n, session in enumerate(sessions):
		if config.session_events and b.room(2):
			at = start - 60 + n
			b.add_ih(
				session, "session.qr", {"qrCode": TINY_PNG, "expiresAt": iso(at + 60), "timestamp": iso(at)}
			)
			own = f"{int(OWN_PHONE) + n}"
			b.add_ih(session, "session.connected", {"phoneNumber": own, "timestamp": iso(at + 1)})

	per_conversation = (
		config.messages + config.replies * (1 + (len(acks) if config.acks else 0)) + config.changes
	)
	for c in range(config.conversations):
		if not b.room(per_conversation):
			break
		index = c % len(sessions)
		session = sessions[index]
		own = f"{int(OWN_PHONE) + index}@c.us"
		phone = f"346{config.seed % 100:02d}{c:06d}"[:11]
		remote = f"{phone}@c.us"
		moment = start + c
		received = []
		for m in range(config.messages):
			message_id = new_message_id(rng)
			received.append(
				b.add_ih(
					session,
					"message.received",
					text_message(
						remote,
						own,
						message_id,
						f"Hola {c}.{m} (seed {config.seed})",
						moment + m,
						from_me=False,
						notifyName=f"Cliente {c}",
					),
				)
			)
			messages[(session, message_id)] = "Delivered"
		if config.changes:
			_add_changes(b, session, received, int(moment + config.messages))
		for r in range(config.replies):
			message_id = new_message_id(rng)
			at = int(moment + config.messages + r)
			b.add_ih(
				session,
				"message.sent",
				text_message(remote, own, message_id, f"Respuesta {c}.{r}", at, from_me=True),
			)
			messages[(session, message_id)] = "Sent"
			if config.acks:
				for step, ack in enumerate(acks):
					delivery = b.add_ih(
						session,
						"message.ack",
						{"messageId": message_id, "ack": ack, "timestamp": at + 1 + step},
					)
					ack_deliveries.append(delivery)
				messages[(session, message_id)] = "Read"

	calls = (
		add_calls(
			b, config.calls, config.seed, config.session_prefix, netelip_token, netelip_application, start
		)
		if config.calls
		else {}
	)

	causal = list(b.deliveries)
	late = set(ack_deliveries) if config.late_acks else set()
	stream = [d for d in causal if d not in late]
	if config.reorder:
		stream = shuffle_windows(stream, config.reorder_window, rng)
	if config.late_acks:
		tail = list(ack_deliveries)
		rng.shuffle(tail)
		stream += tail
	stream = with_retries(stream, config.duplicates, rng)
	return Scenario(config, causal, stream, sessions, messages, calls, truncated=b.truncated)


def _add_changes(b: _Builder, session: str, received: list[Delivery], at: int) -> None:
	"""The customer edits their first message (whatsapp-web.js' `message_edit`) and deletes their last one for
	everyone (`message_revoke_everyone`): edits and deletions of messages the site has, or will have."""
	first = received[0].payload["data"]
	text = f"{first['body']} (editado)"
	edited = {**first, "body": text, "latestEditSenderTimestampMs": at * 1000}
	b.add_ih(session, "message_edit", {"message": edited, "newBody": text, "prevBody": first["body"]})
	if len(received) >= 2:
		last = received[-1].payload["data"]
		b.add_ih(session, "message_revoke_everyone", {"after": {**last, "body": "", "type": "revoked"}})


# The simulator's whole interface, wherever each part lives.
__all__ = [
	"CONTROL_PATH",
	"LIMITS",
	"MAX_DELIVERIES",
	"REPORT_PATH",
	"RETRY_SPREAD",
	"SIM_CALLED_NUMBER",
	"WEBHOOK_PATH",
	"Config",
	"Delivery",
	"NotLoopback",
	"Result",
	"Scenario",
	"build",
	"is_loopback",
	"percentile",
	"pin",
	"prefix_tag",
	"send",
	"sim_call_pattern",
]

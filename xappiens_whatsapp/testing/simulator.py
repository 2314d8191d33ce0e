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

import ipaddress
import json
import random
import re
import socket
import threading
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import requests

from xappiens_whatsapp.core import inbox_hub_events as ih
from xappiens_whatsapp.core import netelip_events as ne
from xappiens_whatsapp.core.signatures import serialise, sign
from xappiens_whatsapp.testing.sim_limits import (
	CONTROL_PATH,
	LIMITS,
	MAX_CONCURRENCY,
	MAX_COUNT,
	MAX_DELIVERIES,
	MAX_DURATION,
	MAX_PROVIDER_RETRIES,
	MAX_RATE,
	REPORT_PATH,
	WEBHOOK_PATH,
)

PREFIX_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,39}")  # no LIKE wildcard can hide in a prefix

ACKS = {"wwebjs": (1, 2, 3), "baileys": (2, 3, 4)}  # sent, delivered, read on each gateway scale
CALL_OUTCOMES = (("answered", 0.6, "Completed"), ("no_answer", 0.25, "No Answer"), ("busy", 0.15, "Busy"))
OWN_PHONE = "34600000000"
SIM_CALLED_NUMBER = "919999999"  # every simulated call is to this number: it marks them for cleanup
MADRID = ZoneInfo("Europe/Madrid")
TINY_PNG = (
	"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg"
	"AAAABJRU5ErkJggg=="
)


class NotLoopback(ValueError):
	"""The target URL is not on this machine (or its host name does not resolve)."""


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


@dataclass(eq=False)
class Delivery:
	"""One logical delivery. A retried one appears twice in the stream and posts the same body again."""

	seq: int
	provider: str  # "Inbox Hub" or "Netelip"
	kind: str  # message.received, message.sent, message.ack, session.qr, session.connected, call.control…
	path: str = field(repr=False)  # a Netelip path carries the callback token
	dedup_keys: tuple[str, ...] = ()
	session_id: str | None = None
	payload: dict | None = None  # Inbox Hub: the envelope, stamped with the send time on first send
	secret: str | None = field(default=None, repr=False)
	body: bytes | None = None  # Netelip: the finished body
	content_type: str = "application/json"
	_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
	_rendered: bytes | None = field(default=None, repr=False)

	def render(self, now: float) -> bytes:
		"""The bytes to post. An Inbox Hub envelope carries the time it was first sent; a retry reuses them."""
		with self._lock:
			if self._rendered is None:
				if self.payload is not None:
					self._rendered = serialise({**self.payload, "timestamp": iso(now)})
				else:
					self._rendered = self.body or b""
			return self._rendered

	def headers(self, body: bytes, now: float) -> dict[str, str]:
		headers = {"Content-Type": self.content_type}
		if self.provider == "Inbox Hub":
			headers.update(
				{
					"X-Webhook-Event": self.kind,
					"X-Webhook-Session": self.session_id or "",
					"X-Webhook-Timestamp": str(int(now * 1000)),  # unsigned, fresh on every attempt
					"X-Webhook-Signature": sign(body, self.secret or ""),
				}
			)
		return headers


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


def iso(moment: float) -> str:
	return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
					{
						"id": {
							"fromMe": False,
							"remote": remote,
							"id": message_id,
							"_serialized": f"false_{remote}_{message_id}_in",
						},
						"body": f"Hola {c}.{m} (seed {config.seed})",
						"type": "chat",
						"timestamp": int(moment + m),
						"from": remote,
						"to": own,
						"fromMe": False,
						"hasMedia": False,
						"isForwarded": False,
						"notifyName": f"Cliente {c}",
					},
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
				{
					"id": {
						"fromMe": True,
						"remote": remote,
						"id": message_id,
						"_serialized": f"true_{remote}_{message_id}_out",
					},
					"body": f"Respuesta {c}.{r}",
					"timestamp": at,
					"from": own,
					"to": remote,
					"fromMe": True,
				},
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

	calls = _add_calls(b, config, netelip_token, netelip_application, start) if config.calls else {}

	causal = list(b.deliveries)
	late = set(ack_deliveries) if config.late_acks else set()
	stream = [d for d in causal if d not in late]
	if config.reorder:
		stream = _shuffle_windows(stream, config.reorder_window, rng)
	if config.late_acks:
		tail = list(ack_deliveries)
		rng.shuffle(tail)
		stream += tail
	stream = _with_retries(stream, config.duplicates, rng)
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


def _shuffle_windows(items: list, window: int, rng: random.Random) -> list:
	if window < 2:
		return list(items)
	out = []
	for i in range(0, len(items), window):
		chunk = items[i : i + window]
		rng.shuffle(chunk)
		out += chunk
	return out


RETRY_SPREAD = 10  # a retry goes out before this many other deliveries have followed its first sending


def _with_retries(stream: list[Delivery], share: float, rng: random.Random) -> list[Delivery]:
	"""A retried delivery goes out again a little later, as a provider's retry after a lost answer. One pass:
	each retry is due a few positions after its first sending and goes out when the stream gets there."""
	if share <= 0:
		return list(stream)
	out: list[Delivery] = []
	due: dict[int, list[Delivery]] = defaultdict(list)
	for position, delivery in enumerate(stream):
		out.append(delivery)
		if rng.random() < share:
			due[position + rng.randint(0, RETRY_SPREAD - 1)].append(delivery)
		out += due.pop(position, ())
	for position in sorted(due):  # due past the end of the stream
		out += due[position]
	return out


def madrid_time(moment: float) -> str:
	return datetime.fromtimestamp(moment, MADRID).strftime("%Y-%m-%d %H:%M:%S")


def _multipart(fields: dict[str, str], rng: random.Random) -> tuple[bytes, str]:
	boundary = "----xwsim" + "".join(rng.choice("0123456789abcdef") for _ in range(16))
	parts = [
		f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
		for name, value in fields.items()
	]
	body = ("".join(parts) + f"--{boundary}--\r\n").encode()
	return body, f"multipart/form-data; boundary={boundary}"


def prefix_tag(prefix: str) -> str:
	"""Six digits derived from the session prefix, written into every simulated call id: with the number
	every simulated call goes to, a cleanup by prefix finds its own calls and leaves any other alone."""
	return f"{zlib.crc32(prefix.encode()) % 1_000_000:06d}"


def sim_call_pattern(prefix: str) -> str:
	"""A regular expression (MariaDB's and Python's) matching exactly the call ids simulated with `prefix`."""
	return rf"^[0-9]{{1,12}}\.{prefix_tag(prefix)}[0-9]{{9}}$"


def _add_calls(
	b: _Builder, config: Config, token: str | None, application: str | None, start: float
) -> dict[str, str]:
	rng = b.rng
	query = "?" + urlencode({"token": token})
	calls: dict[str, str] = {}
	epoch = int(start) - 3600
	tag = prefix_tag(config.session_prefix)
	for n in range(config.calls):
		if not b.room(3):
			break
		call_id = f"{epoch}.{tag}{config.seed % 10_000:04d}{n:05d}"
		roll, outcome, final = rng.random(), CALL_OUTCOMES[-1][0], CALL_OUTCOMES[-1][2]
		for name, share, state in CALL_OUTCOMES:
			if roll < share:
				outcome, final = name, state
				break
			roll -= share
		base = {
			"ID": call_id,
			"api": application or "API sim",
			"src": f"6{config.seed % 100:02d}{n:06d}"[:9],
			"dst": SIM_CALLED_NUMBER,
			"startcall": madrid_time(start - 60 + n),
			"typesrc": "did",
			"usersrc": f"6{config.seed % 100:02d}{n:06d}"[:9],
		}
		steps = [base]
		if outcome == "answered":
			steps.append({**base, "statuscall": "ANSWER", "command": "dial", "status": "OK"})
			cdr = {**base, "statuscall": "ANSWER", "durationcall": "75", "durationcallanswered": "61"}
		elif outcome == "no_answer":
			cdr = {**base, "statuscall": "NOANSWER", "durationcall": "30", "durationcallanswered": "0"}
		else:
			cdr = {**base, "statuscall": "BUSY", "durationcall": "3", "durationcallanswered": "0"}
		for fields in steps:
			key = ne.dedup_key(ne.parse_control(fields))
			b.add_netelip(
				"call.control",
				CONTROL_PATH + query,
				urlencode(fields).encode(),
				"application/x-www-form-urlencoded",
				(key,),
			)
		report = json.dumps([cdr], ensure_ascii=False)
		keys = tuple(ne.dedup_key(e) for e in ne.read_report({"calls": report}).events)
		body, content_type = _multipart({"calls": report}, rng)
		b.add_netelip("call.report", REPORT_PATH + query, body, content_type, keys)
		calls[call_id] = final
	return calls


# ---------------------------------------------------------------- sending


def _loopback_address(host: str, port: int) -> str:
	"""The address to connect to for `host`: every address it resolves to must be loopback (a name such as
	`site.localhost` is only trusted for where it actually resolves)."""
	try:
		literal = ipaddress.ip_address(host)
	except ValueError:
		literal = None
	if literal is not None:
		if not literal.is_loopback:
			raise NotLoopback(f"{host} is not a loopback address")
		return str(literal)
	try:
		infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
	except (OSError, UnicodeError) as exc:
		raise NotLoopback(f"{host} does not resolve ({exc})") from None
	addresses = [info[4][0].split("%", 1)[0] for info in infos]
	if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
		raise NotLoopback(
			f"{host} resolves to {', '.join(sorted(set(addresses))) or 'nothing'}: not loopback only"
		)
	return addresses[0]


def pin(url: str) -> tuple[str, str]:
	"""(base URL naming the loopback address itself, Host header). Posting to the address checked, not to the
	name again, leaves no second resolution that could point somewhere else."""
	try:
		parts = urlsplit(url)
		host, port = parts.hostname, parts.port
	except ValueError as exc:
		raise NotLoopback(f"{url!r} is not a URL ({exc})") from None
	if parts.scheme not in ("http", "https") or not host:
		raise NotLoopback(f"{url!r} is not an http(s) URL")
	port = port or (443 if parts.scheme == "https" else 80)
	address = _loopback_address(host, port)
	shown = f"[{address}]" if ":" in address else address
	return f"{parts.scheme}://{shown}:{port}{parts.path.rstrip('/')}", parts.netloc


def is_loopback(url: str) -> bool:
	"""True when every address the URL's host resolves to is on this machine."""
	try:
		pin(url)
	except NotLoopback:
		return False
	return True


def http_session() -> requests.Session:
	http = requests.Session()
	http.trust_env = False  # no proxy from the environment: the request goes to the address checked
	return http


@dataclass
class Result:
	sent: int = 0  # HTTP requests made (retries included)
	accepted: int = 0  # answered 2xx
	rejected: int = 0  # answered 3xx or 4xx (redirects are not followed)
	failed: int = 0  # answered 5xx or no answer at all
	duplicate_answers: int = 0  # 2xx answers that said "already had it"
	provider_retries: int = 0  # resent after a 5xx / no answer, as providers do
	resent: int = 0  # requests carrying a delivery posted before (stream duplicates and provider retries)
	unsent: int = 0  # stream entries left when a bound stopped the run
	statuses: Counter = field(default_factory=Counter)
	latencies_ms: list[float] = field(default_factory=list)
	elapsed: float = 0.0
	stopped_by: str = "done"

	def percentile(self, p: float) -> float:
		return percentile(self.latencies_ms, p)

	def line(self) -> str:
		rate = self.sent / self.elapsed if self.elapsed else 0.0
		return (
			f"sent={self.sent} accepted={self.accepted} rejected={self.rejected} failed={self.failed} "
			f"resent={self.resent} duplicate_answers={self.duplicate_answers} "
			f"provider_retries={self.provider_retries} "
			f"unsent={self.unsent} elapsed={self.elapsed:.1f}s rate={rate:.1f}/s "
			f"p50={self.percentile(50):.1f}ms p99={self.percentile(99):.1f}ms stopped_by={self.stopped_by}"
		)


def percentile(values: list[float], p: float) -> float:
	if not values:
		return 0.0
	ordered = sorted(values)
	rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
	return ordered[rank]


def _is_duplicate_answer(text: str) -> bool:
	try:
		answer = json.loads(text)
	except ValueError:
		return False
	if not isinstance(answer, dict):
		return False
	return answer.get("duplicate") is True or (answer.get("duplicates", 0) > 0 and not answer.get("accepted"))


def send(
	stream: list[Delivery],
	base_url: str,
	*,
	rate: float | None = None,
	max_count: int = 10_000,
	max_duration: float = 60.0,
	concurrency: int = 4,
	provider_retries: int = 0,
	retry_delay: float = 0.5,
	site: str | None = None,
	timeout: float = 10.0,
	on_answer=None,
) -> Result:
	"""Post the stream. `rate`: deliveries per second (None: as fast as `concurrency` allows). Stops after
	`max_count` requests or `max_duration` seconds, whichever comes first. `site` goes in
	X-Frappe-Site-Name for servers that host several sites. `on_answer(delivery, status, seconds)` is called
	from the sending threads. Raises NotLoopback unless every address of the URL's host is loopback."""
	target, host_header = pin(base_url)
	if rate is not None and not 0 < rate <= MAX_RATE:
		raise ValueError(f"rate must be between 0 and {MAX_RATE:g} per second")
	max_count = max(0, min(int(max_count), MAX_COUNT))
	max_duration = max(0.0, min(float(max_duration), MAX_DURATION))
	concurrency = max(1, min(int(concurrency), MAX_CONCURRENCY))
	provider_retries = max(0, min(int(provider_retries), MAX_PROVIDER_RETRIES))
	timeout = max(0.1, min(float(timeout), 120.0))

	result = Result()
	lock = threading.Lock()
	position = {"next": 0}
	posted: set[int] = set()  # id() of every delivery posted at least once
	started = time.monotonic()
	deadline = started + max_duration

	def claim() -> tuple[int, Delivery] | None:
		with lock:
			index = position["next"]
			if index >= len(stream):
				return None
			if result.sent >= max_count:
				result.stopped_by = "count"
				return None
			slot = started + index / rate if rate else time.monotonic()
			if max(slot, time.monotonic()) >= deadline:
				result.stopped_by = "duration"
				return None
			position["next"] = index + 1
			result.sent += 1  # reserved now, so the count bound holds across threads
			return index, stream[index]

	def attempt(http: requests.Session, delivery: Delivery) -> tuple[int | None, str]:
		now = time.time()
		body = delivery.render(now)
		headers = {**delivery.headers(body, now), "Host": host_header}
		if site:
			headers["X-Frappe-Site-Name"] = site
		with lock:
			if id(delivery) in posted:
				result.resent += 1
			posted.add(id(delivery))
		t0 = time.perf_counter()
		try:
			response = http.post(
				target + delivery.path, data=body, headers=headers, timeout=timeout, allow_redirects=False
			)
			status, text = response.status_code, response.text
		except requests.RequestException:
			status, text = None, ""
		took = time.perf_counter() - t0
		with lock:
			result.latencies_ms.append(took * 1000)
			result.statuses[status or "error"] += 1
		if on_answer:
			on_answer(delivery, status, took)
		return status, text

	def worker():
		http = http_session()
		try:
			while True:
				claimed = claim()
				if claimed is None:
					return
				index, delivery = claimed
				if rate:
					wait = started + index / rate - time.monotonic()
					if wait > 0:
						time.sleep(wait)
				status, text = attempt(http, delivery)
				tries = 0
				while (status is None or status >= 500 or status == 429) and tries < provider_retries:
					if time.monotonic() + retry_delay * (tries + 1) >= deadline:
						break
					with lock:
						if result.sent >= max_count:
							break
						result.sent += 1
						result.provider_retries += 1
					tries += 1
					time.sleep(retry_delay * tries)
					status, text = attempt(http, delivery)
				with lock:
					if status is None or status >= 500:
						result.failed += 1
					elif 200 <= status < 300:
						result.accepted += 1
						result.duplicate_answers += _is_duplicate_answer(text)
					else:
						result.rejected += 1
		finally:
			http.close()

	threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
	for thread in threads:
		thread.start()
	for thread in threads:
		thread.join(max_duration + timeout * (provider_retries + 2) + 5)
	result.elapsed = time.monotonic() - started
	result.unsent = len(stream) - position["next"]
	return result


__all__ = [
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

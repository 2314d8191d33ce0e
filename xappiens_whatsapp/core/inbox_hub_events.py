"""Inbox Hub webhook payloads → typed events.

The gateway has sent at least three envelopes (see the spec, §5.3) and two message styles:
- G: `{event, sessionId, data{…whatsapp-web.js message…}, timestamp}`
- F: `{event, data{sessionId, session_db_id, message{whatsappMessageId, content, chatId, …}}}`
- L: `{event: "message", sessionId, timestamp, data{messageId, from, to, message, type, contact{…}}}`
and Baileys-style `{key{remoteJid, fromMe, id, …}, message{conversation | imageMessage | …}}` objects.
Everything is read defensively: a missing or oddly typed field gives None, never an exception, and only a
body that is not a JSON object at all raises `PayloadError`. Every string that comes out is plain text (see
core.text), ids are taken only in their exact form, numbers only within what the app stores, URLs only when
safe to link to.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .inbox_hub_ids import is_session_id, qr_png_base64, short_message_id
from .jid import canonical, parse_jid
from .message_state import AckScale, MessageStatus, status_from_ack, status_from_word
from .session_status import SessionState, map_session_status
from .signatures import to_epoch_seconds
from .text import one_line, plain
from .urls import safe_url

# What a stored field holds at most (Data columns are 140 characters).
NAME_LENGTH = 140
BODY_LENGTH = 65_000
MAX_INT = 2**31 - 1  # an Int column
MAX_ROW_ID = 2**53
MAX_EPOCH_MS = 4_102_444_800_000  # 2100-01-01
EMOJI_LENGTH = 32
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_.:=+/@-]")
_MIMETYPE = re.compile(r"[\w.+-]{1,60}/[\w.+-]{1,80}")

# Dotted names are the contract; the rest are older or alternative names for the same events.
ALIASES = {
	"message": "message.received",
	"message.create": "message.received",
	"message.new": "message.received",
	"message_received": "message.received",
	"message.upsert": "message.received",
	"messages.upsert": "message.received",
	"message_sent": "message.sent",
	"message_create": "message.sent",
	"message_ack": "message.ack",
	"message.update": "message.ack",
	"message_status": "message.status",
	"message_delivered": "message.delivered",
	"message_read": "message.read",
	"message_failed": "message.failed",
	"session_status": "session.status",
	"session.update": "session.status",
	"session_connected": "session.connected",
	"session_disconnected": "session.disconnected",
	"session_qr": "session.qr",
	"qr": "session.qr",
	"qr.updated": "session.qr",
	"contact_update": "contact.updated",
	"contacts.update": "contact.updated",
	"conversation_created": "conversation.created",
	"conversation_updated": "conversation.updated",
}
# What the app asks the gateway to deliver (the contract's dotted names).
SUBSCRIBED_EVENTS: tuple[str, ...] = (
	"message.received",
	"message.sent",
	"message.ack",
	"message.delivered",
	"message.read",
	"message.failed",
	"session.connected",
	"session.disconnected",
	"session.qr",
	"conversation.created",
	"conversation.updated",
	"contact.updated",
)
# What it understands: those, the legacy names' targets, and its own test event.
HANDLED = {*SUBSCRIBED_EVENTS, "message.status", "session.status", "contact.created", "webhook.test"}

_WWEBJS_TYPES = {
	"chat": "text",
	"text": "text",
	"conversation": "text",
	"extendedtextmessage": "text",
	"image": "image",
	"imagemessage": "image",
	"video": "video",
	"videomessage": "video",
	"gif": "video",
	"audio": "audio",
	"ptt": "audio",
	"audiomessage": "audio",
	"voice": "audio",
	"document": "document",
	"documentmessage": "document",
	"documentwithcaptionmessage": "document",
	"sticker": "sticker",
	"stickermessage": "sticker",
	"location": "location",
	"locationmessage": "location",
	"livelocationmessage": "location",
	"vcard": "contact",
	"multi_vcard": "contact",
	"contact": "contact",
	"contactmessage": "contact",
	"contactsarraymessage": "contact",
	"poll": "poll",
	"poll_creation": "poll",
	"pollcreationmessage": "poll",
	"reaction": "reaction",
	"reactionmessage": "reaction",
}


class PayloadError(ValueError):
	"""The body is not a JSON object: nothing in it can be trusted to mean anything."""


@dataclass(frozen=True)
class Envelope:
	event: str  # canonical name, or the raw one when unknown
	raw_event: str
	session_id: str | None
	timestamp: Any  # the envelope's own (signed) timestamp, as sent
	data: dict
	shape: str  # G, F, L or ? (unknown)

	@property
	def known(self) -> bool:
		return self.event in HANDLED


@dataclass(frozen=True)
class Media:
	url: str | None = None
	mimetype: str | None = None
	filename: str | None = None
	size: int | None = None


@dataclass(frozen=True)
class MessageEvent:
	session_id: str
	message_id: str
	chat_jid: str
	from_me: bool
	message_type: str = "text"
	body: str | None = None
	timestamp: float | None = None
	sender_jid: str | None = None  # author inside a group
	serialized_id: str | None = None
	gateway_row_id: str | None = None
	media: Media | None = None
	quoted_message_id: str | None = None
	is_forwarded: bool = False
	push_name: str | None = None
	phone_jid: str | None = None  # the phone JID behind a @lid chat, when the payload tells
	latitude: float | None = None
	longitude: float | None = None
	status: MessageStatus | None = None  # a status the message already carries (e.g. "sent")
	raw_ack: int | None = None


@dataclass(frozen=True)
class ReactionEvent:
	session_id: str
	target_message_id: str
	chat_jid: str | None
	sender: str  # who reacted: a JID, or "me"
	emoji: str  # "" removes the reaction
	timestamp_ms: int


@dataclass(frozen=True)
class StatusEvent:
	session_id: str
	message_id: str
	status: MessageStatus | None  # None: a value the configured scale does not know
	raw_ack: int | None = None
	raw_status: str | None = None
	timestamp: float | None = None


@dataclass(frozen=True)
class SessionEvent:
	session_id: str
	state: SessionState
	known_status: bool = True
	phone: str | None = None
	reason: str | None = None
	qr_base64: str | None = None
	qr_expires_at: float | None = None
	timestamp: float | None = None


@dataclass(frozen=True)
class ConversationEvent:
	session_id: str
	chat_jid: str
	name: str | None = None
	phone_jid: str | None = None
	is_group: bool | None = None
	picture_url: str | None = None


@dataclass(frozen=True)
class PingEvent:
	session_id: str | None
	nonce: str | None = None


@dataclass(frozen=True)
class Ignored:
	reason: str


Event = MessageEvent | ReactionEvent | StatusEvent | SessionEvent | ConversationEvent | PingEvent | Ignored


@dataclass
class Parsed:
	envelope: Envelope
	event: Event
	dedup_key: str
	reference_key: str | None = None  # the message a status or reaction waits for
	notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- small readers


def _obj(value: Any) -> dict:
	return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
	return plain(value)


def _name(value: Any) -> str | None:
	return one_line(value, NAME_LENGTH)


def _first(*values: Any) -> str | None:
	for value in values:
		text = _text(value)
		if text is not None:
			return text
	return None


def _first_name(*values: Any) -> str | None:
	for value in values:
		text = _name(value)
		if text is not None:
			return text
	return None


def _bool(value: Any) -> bool | None:
	if isinstance(value, bool):
		return value
	if isinstance(value, str) and value.lower() in ("true", "false"):
		return value.lower() == "true"
	if isinstance(value, int) and value in (0, 1):
		return bool(value)
	return None


def _int(value: Any, low: int = -MAX_INT, high: int = MAX_INT) -> int | None:
	"""A whole number within [low, high] (what an Int column holds by default), else None."""
	if isinstance(value, bool) or value is None:
		return None
	if isinstance(value, str):
		value = value.strip()
	try:
		number = int(value)
	except (TypeError, ValueError, OverflowError):
		try:
			number = int(float(value))
		except (TypeError, ValueError, OverflowError):
			return None
	return number if low <= number <= high else None


def _float(value: Any, limit: float) -> float | None:
	"""A finite number within ±limit (a latitude or a longitude), else None."""
	if isinstance(value, bool) or value is None:
		return None
	try:
		number = float(value)
	except (TypeError, ValueError, OverflowError):
		return None
	return number if -limit <= number <= limit else None


def _mimetype(value: Any) -> str | None:
	text = value.strip().lower() if isinstance(value, str) else None
	return text if text and _MIMETYPE.fullmatch(text) else None


def short_id(value: Any) -> str | None:
	"""The short WhatsApp key id from any of its forms (object, `_serialized`, plain string), exactly."""
	return short_message_id(value)


# ---------------------------------------------------------------- envelope


def load_body(raw: bytes) -> dict:
	try:
		body = json.loads(raw)
	except (ValueError, UnicodeDecodeError, RecursionError) as exc:
		raise PayloadError("body is not valid JSON") from exc
	if not isinstance(body, dict):
		raise PayloadError("body is not a JSON object")
	return body


def canonical_event(name: str | None) -> str:
	word = (name or "").strip()
	lower = word.lower()
	return ALIASES.get(lower, lower) if lower else ""


def session_ids_in(body: dict) -> list:
	"""Every session id the body names (`sessionId`, `data.sessionId`, the legacy `session`), exactly as sent."""
	data = _obj(body.get("data"))
	found = [body.get("sessionId"), data.get("sessionId")]
	if isinstance(body.get("session"), str):
		found.append(body["session"])
	return [value for value in found if value is not None]


def read_envelope(body: dict, header_event: str | None = None, session_id: str | None = None) -> Envelope:
	"""`session_id`: the delivery's verified session id, used as it is; without one, the body's own (if it is a
	well-formed id)."""
	data = _obj(body.get("data"))
	raw_event = _first_name(body.get("event"), body.get("type"), header_event) or ""
	if session_id is None:
		named = session_ids_in(body)
		session_id = named[0] if named and is_session_id(named[0]) else None
	if raw_event.lower() in ("message", "message_status", "session_status"):
		shape = "L"
	elif "sessionId" in body:
		shape = "G"
	elif "session_db_id" in data or isinstance(data.get("message"), dict):
		shape = "F"
	else:
		shape = "?"
	return Envelope(
		event=canonical_event(raw_event),
		raw_event=raw_event,
		session_id=session_id if is_session_id(session_id) else None,
		timestamp=body.get("timestamp"),
		data=data,
		shape=shape,
	)


# ---------------------------------------------------------------- messages


def _message_object(data: dict) -> dict:
	# A Baileys WAMessage carries its own `message`; only unwrap F-shape's `data.message`.
	if isinstance(data.get("key"), dict):
		return data
	inner = data.get("message")
	return inner if isinstance(inner, dict) else data


def _baileys_content(message: dict) -> tuple[str, dict]:
	"""(type key, content) of a Baileys `message` object, unwrapping ephemeral / view-once wrappers."""
	for _ in range(3):
		for wrapper in (
			"ephemeralMessage",
			"viewOnceMessage",
			"viewOnceMessageV2",
			"documentWithCaptionMessage",
		):
			inner = _obj(message.get(wrapper)).get("message")
			if isinstance(inner, dict):
				message = inner
				break
		else:
			break
	for key, value in message.items():
		if key.endswith("Message") or key == "conversation":
			return key, value if isinstance(value, dict) else {"text": value}
	return "", {}


def _context(content: dict) -> dict:
	return _obj(content.get("contextInfo"))


def _reaction(
	session_id: str, payload: dict, chat: str | None, sender: str, ts_fallback: Any
) -> ReactionEvent | Ignored:
	"""A reaction changes a message of the chat the reaction came in, never the chat its key names: anyone can
	write any chat into the key of a reaction they send."""
	if chat is None:
		return Ignored("reaction without the chat it was sent in")
	target = short_id(_obj(payload.get("key")).get("id"))
	if not target:
		return Ignored("reaction without the id of the message it reacts to")
	timestamp_ms = _int(payload.get("senderTimestampMs"), 0, MAX_EPOCH_MS)
	if timestamp_ms is None:
		seconds = to_epoch_seconds(ts_fallback)
		timestamp_ms = int(seconds * 1000) if seconds is not None else 0
	return ReactionEvent(
		session_id=session_id,
		target_message_id=target,
		chat_jid=chat,
		sender=sender,
		emoji=one_line(payload.get("text"), EMOJI_LENGTH) or "",
		timestamp_ms=timestamp_ms,
	)


def _phone_alt(*values: Any) -> str | None:
	for value in values:
		jid = parse_jid(value)
		if jid and jid.phone_digits:
			return str(jid)
	return None


def _media(url: Any, mimetype: Any, filename: Any, size: Any, trusted: tuple) -> Media:
	return Media(
		url=safe_url(url, trusted),
		mimetype=_mimetype(mimetype),
		filename=_name(filename),
		size=_int(size, 0, MAX_INT),
	)


def parse_message(
	env: Envelope, session_id: str, trusted: tuple = ()
) -> MessageEvent | ReactionEvent | Ignored:
	data = env.data
	msg = _message_object(data)
	key = _obj(msg.get("key"))
	is_baileys = bool(key) and isinstance(msg.get("message"), dict | type(None)) and "id" in key
	default_from_me = env.event == "message.sent"

	if is_baileys:
		return _parse_baileys(env, session_id, msg, key, default_from_me, trusted)

	id_obj = _obj(msg.get("id"))
	from_me = _bool(msg.get("fromMe"))
	if from_me is None:
		from_me = _bool(id_obj.get("fromMe"))
	if from_me is None:
		from_me = default_from_me

	chat = (
		canonical(msg.get("chatId"))
		or canonical(id_obj.get("remote"))
		or canonical(msg.get("to") if from_me else msg.get("from"))
	)
	sender = canonical(_first(msg.get("author"), msg.get("participant"), msg.get("sender")))

	reaction = msg.get("reactionMessage") or data.get("reactionMessage")
	if isinstance(reaction, dict):
		who = "me" if from_me else (sender or canonical(msg.get("from")) or chat or "")
		return _reaction(session_id, reaction, chat, who, msg.get("timestamp"))

	if chat is None:
		return Ignored("message without a chat id")
	if parse_jid(chat).is_broadcast:
		return Ignored("status broadcast")

	given_id = next(
		(
			v
			for v in (msg.get("whatsappMessageId"), msg.get("id"), msg.get("messageId"))
			if v not in (None, "")
		),
		None,
	)
	if given_id is None:
		return Ignored("message without an id")
	message_id = short_id(given_id)
	if not message_id:
		return Ignored("message id is not in a form WhatsApp uses")

	raw_type = (_name(msg.get("type")) or "").lower()
	message_type = _WWEBJS_TYPES.get(raw_type, "other" if raw_type else "text")
	body = plain(_first_raw(msg.get("body"), msg.get("content"), msg.get("caption")), BODY_LENGTH)
	if body is None and isinstance(msg.get("message"), str):
		body = plain(msg.get("message"), BODY_LENGTH)

	media_obj = _obj(msg.get("media"))
	media = None
	if media_obj or msg.get("mediaUrl") or msg.get("hasMedia") or msg.get("has_attachment"):
		media = _media(
			_first_raw(media_obj.get("url"), media_obj.get("media_url"), msg.get("mediaUrl")),
			_first_raw(media_obj.get("mimetype"), msg.get("mimetype")),
			_first_raw(media_obj.get("filename"), msg.get("filename")),
			_first_raw(media_obj.get("filesize"), media_obj.get("size")),
			trusted,
		)

	location = _obj(msg.get("location"))
	contact = _obj(msg.get("contact"))
	serialized = id_obj.get("_serialized") or (msg.get("id") if isinstance(msg.get("id"), str) else None)
	status = status_from_word(msg.get("status")) if from_me else None
	return MessageEvent(
		session_id=session_id,
		message_id=message_id,
		chat_jid=chat,
		from_me=bool(from_me),
		message_type=message_type,
		body=body,
		timestamp=to_epoch_seconds(msg.get("timestamp")) or to_epoch_seconds(data.get("timestamp")),
		sender_jid=sender if sender != chat else None,
		serialized_id=_serialized(serialized),
		gateway_row_id=_row_id(msg.get("id")),
		media=media,
		quoted_message_id=short_id(msg.get("quotedMsgId")) or short_id(_obj(msg.get("quotedMsg")).get("id")),
		is_forwarded=bool(_bool(msg.get("isForwarded"))),
		push_name=_first_name(msg.get("notifyName"), msg.get("pushName"), contact.get("name")),
		phone_jid=_phone_alt(msg.get("remoteJidAlt"), msg.get("senderPn"), contact.get("phone")),
		latitude=_float(_first_raw(location.get("latitude"), location.get("lat"), msg.get("lat")), 90),
		longitude=_float(_first_raw(location.get("longitude"), location.get("lng"), msg.get("lng")), 180),
		status=status,
		raw_ack=_int(msg.get("ack"), -9, 99),
	)


def _row_id(value: Any) -> str | None:
	"""The gateway's own row id (an integer, never a WhatsApp id)."""
	if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ROW_ID:
		return str(value)
	return None


def _first_raw(*values: Any) -> Any:
	"""The first value that is present (not None and not an empty string), as it is."""
	return next((value for value in values if value not in (None, "")), None)


def _serialized(value: Any) -> str | None:
	"""WhatsApp's serialised id (`false_<chat>_<id>[_in]`), kept for reference only when well formed."""
	if not isinstance(value, str) or len(value) > 255 or "_" not in value:
		return None
	parts = value.split("_")
	if parts[0] not in ("true", "false") or len(parts) < 3 or not short_id(value):
		return None
	return value if parse_jid(parts[1]) and not _UNSAFE_ID_CHARS.search(value) else None


def _parse_baileys(
	env: Envelope, session_id: str, msg: dict, key: dict, default_from_me: bool, trusted: tuple
):
	from_me = _bool(key.get("fromMe"))
	from_me = default_from_me if from_me is None else from_me
	remote = parse_jid(key.get("remoteJid"))
	if remote is None:
		return Ignored("message without a chat id")
	if remote.is_broadcast:
		return Ignored("status broadcast")
	chat = str(remote)
	participant = canonical(key.get("participant"))
	phone_jid = None
	if remote.is_lid:
		phone_jid = _phone_alt(key.get("remoteJidAlt"), key.get("senderPn"), msg.get("senderPn"))
	type_key, content = _baileys_content(_obj(msg.get("message")))
	timestamp = to_epoch_seconds(msg.get("messageTimestamp")) or to_epoch_seconds(env.data.get("timestamp"))

	if type_key == "reactionMessage":
		sender = "me" if from_me else (participant or chat)
		return _reaction(session_id, content, chat, sender, timestamp)

	if key.get("id") in (None, ""):
		return Ignored("message without an id")
	message_id = short_id(key.get("id"))
	if not message_id:
		return Ignored("message id is not in a form WhatsApp uses")
	body = plain(
		_first_raw(
			content.get("text"), content.get("caption"), content.get("name"), content.get("displayName")
		),
		BODY_LENGTH,
	)
	message_type = _WWEBJS_TYPES.get(type_key.lower(), "other" if type_key else "text")
	media = None
	if message_type in ("image", "video", "audio", "document", "sticker"):
		media = _media(
			content.get("url"),
			content.get("mimetype"),
			content.get("fileName"),
			content.get("fileLength"),
			trusted,
		)
	context = _context(content)
	return MessageEvent(
		session_id=session_id,
		message_id=message_id,
		chat_jid=chat,
		from_me=bool(from_me),
		message_type=message_type,
		body=body,
		timestamp=timestamp,
		sender_jid=participant if remote.is_group else None,
		media=media,
		quoted_message_id=short_id(context.get("stanzaId")),
		is_forwarded=bool(_bool(context.get("isForwarded"))),
		push_name=_name(msg.get("pushName")),
		phone_jid=phone_jid,
		latitude=_float(content.get("degreesLatitude"), 90),
		longitude=_float(content.get("degreesLongitude"), 180),
		status=None,
		raw_ack=_int(msg.get("status"), -9, 99),
	)


# ---------------------------------------------------------------- statuses, sessions, conversations


def parse_status(env: Envelope, session_id: str, scale: AckScale | str) -> StatusEvent | Ignored:
	data = env.data
	msg = _obj(data.get("message"))
	candidates = (
		data.get("messageId"),
		data.get("id"),
		msg.get("whatsappMessageId"),
		msg.get("id"),
		_obj(data.get("key")).get("id"),
	)
	given = _first_raw(*candidates)
	if given is None:
		return Ignored("status update without a message id")
	message_id = short_id(given)
	if not message_id:
		return Ignored("message id is not in a form WhatsApp uses")
	timestamp = to_epoch_seconds(data.get("timestamp")) or to_epoch_seconds(env.timestamp)
	implied = {"message.delivered": "delivered", "message.read": "read", "message.failed": "failed"}
	raw_ack = _int(data.get("ack") if "ack" in data else msg.get("ack"), -9, 99)
	if raw_ack is not None and env.event in ("message.ack", "message.status"):
		return StatusEvent(session_id, message_id, status_from_ack(raw_ack, scale), raw_ack, None, timestamp)
	given_ack = data.get("ack") if "ack" in data else msg.get("ack")
	word = _first_name(data.get("status"), msg.get("status"), implied.get(env.event))
	if word is None and given_ack is not None:
		word = _name(str(given_ack)[:NAME_LENGTH]) if isinstance(given_ack, int | float | str) else None
	status = status_from_word(word)
	return StatusEvent(session_id, message_id, status, raw_ack, None if status else word, timestamp)


def parse_session(env: Envelope, session_id: str) -> SessionEvent:
	data = env.data
	timestamp = to_epoch_seconds(data.get("timestamp")) or to_epoch_seconds(env.timestamp)
	phone = _first(data.get("phoneNumber"), data.get("phone"))
	phone_jid = parse_jid(phone) if phone else None
	phone = phone_jid.phone_digits if phone_jid else None
	qr = qr_png_base64(data.get("qrCode") or data.get("qr"))
	if env.event == "session.connected":
		state, known = SessionState.CONNECTED, True
	elif env.event == "session.disconnected":
		state, known = SessionState.DISCONNECTED, True
	elif env.event == "session.qr":
		state, known = SessionState.QR_REQUIRED, True
	else:
		state, known = map_session_status(data.get("status"), _bool(data.get("isConnected")))
		if qr and state != SessionState.CONNECTED:
			state, known = SessionState.QR_REQUIRED, True
	return SessionEvent(
		session_id=session_id,
		state=state,
		known_status=known,
		phone=phone,
		reason=_first_name(data.get("reason"), data.get("status") if not known else None),
		qr_base64=qr,
		qr_expires_at=to_epoch_seconds(data.get("expiresAt")),
		timestamp=timestamp,
	)


def parse_conversation(env: Envelope, session_id: str, trusted: tuple = ()) -> ConversationEvent | Ignored:
	data = env.data
	item = _obj(data.get("conversation")) or _obj(data.get("chat")) or _obj(data.get("contact")) or data
	item_id = item.get("id")
	if isinstance(item_id, dict):
		item_id = item_id.get("_serialized") or item_id.get("user")
	jid = parse_jid(_first_raw(item.get("chatId"), item_id, item.get("jid"), item.get("remoteJid")))
	if jid is None:
		return Ignored("conversation without a chat id")
	phone_jid = _phone_alt(item.get("phoneNumber"), item.get("phone"), item.get("remoteJidAlt"))
	return ConversationEvent(
		session_id=session_id,
		chat_jid=str(jid),
		name=_first_name(
			item.get("name"),
			item.get("contactName"),
			item.get("verifiedName"),
			item.get("notify"),
			item.get("pushName"),
		),
		phone_jid=phone_jid if jid.is_lid else None,
		is_group=jid.is_group,
		picture_url=safe_url(
			_first_raw(item.get("profilePicture"), item.get("imgUrl"), item.get("profilePictureUrl")), trusted
		),
	)


# ---------------------------------------------------------------- entry point


def _digest(raw: bytes) -> str:
	return hashlib.sha256(raw).hexdigest()


def _key(*parts: object) -> str:
	"""A delivery key from exact values: the database compares text without regard to case or trailing
	spaces, so anything that is not our own fixed vocabulary is hashed rather than compared as text."""
	exact = "\x1f".join(str(part) for part in parts).encode("utf-8", "surrogatepass")
	return f"ih:{parts[0]}:" + hashlib.sha256(exact).hexdigest()


def test_event_key(session_id: str | None, nonce: str) -> str:
	"""The delivery key of the desk's own test event (webhook.test), which the desk looks its row up by."""
	return _key("test", session_id, nonce)


def parse(
	raw: bytes,
	header_event: str | None = None,
	session_id: str | None = None,
	scale: AckScale | str = AckScale.WWEBJS,
	body: dict | None = None,
	trusted_origins: tuple = (),
) -> Parsed:
	"""Parse one delivery. `session_id`: the delivery's verified session id (else the body's own); `body`: the
	already decoded `raw`, if the caller has it; `trusted_origins`: base URLs whose plain-http links may be kept
	(the configured gateway's).

	Raises PayloadError only when the body is not a JSON object."""
	if body is None:
		body = load_body(raw)
	env = read_envelope(body, header_event, session_id)
	digest = _digest(raw)
	session = env.session_id

	if not env.known:
		reason = f"event '{env.raw_event}' is not handled" if env.raw_event else "no event name"
		return Parsed(env, Ignored(one_line(reason, NAME_LENGTH)), _key("x", digest))
	if env.event == "webhook.test":
		nonce = _name(env.data.get("nonce"))
		return Parsed(env, PingEvent(session, nonce), test_event_key(session, nonce or digest))
	if not session:
		return Parsed(env, Ignored("no session id"), _key("x", digest))

	if env.event in ("message.received", "message.sent"):
		event = parse_message(env, session, trusted_origins)
		if isinstance(event, MessageEvent):
			# A message is its chat, its direction and its id: another chat's message with the same id (anyone can
			# send a message carrying any id) is another message.
			key = _key("msg", session, env.event, event.chat_jid, event.from_me, event.message_id)
			return Parsed(env, event, key, event.message_id)
		if isinstance(event, ReactionEvent):
			key = _key(
				"reaction",
				session,
				event.chat_jid,
				event.target_message_id,
				event.sender,
				event.timestamp_ms,
				event.emoji,
			)
			return Parsed(env, event, key, event.target_message_id)
		return Parsed(env, event, _key("x", digest))

	if env.event.startswith("message."):
		event = parse_status(env, session, scale)
		if isinstance(event, StatusEvent):
			value = event.raw_ack if event.raw_ack is not None else event.raw_status
			key = _key("status", session, event.message_id, value, event.status)
			return Parsed(env, event, key, event.message_id)
		return Parsed(env, event, _key("x", digest))

	if env.event.startswith("session."):
		event = parse_session(env, session)
		# The state is part of the key: "connecting" and "connected" in the same second are two events. Only what
		# the signature covers goes into it (a replay with a fresh, unsigned header time is still the same
		# delivery): the event's own time (the data's, else the envelope's), the QR image, or else the whole body.
		marker = hashlib.sha256(event.qr_base64.encode()).hexdigest() if event.qr_base64 else None
		key = _key("session", session, env.event, event.state, marker or event.timestamp or digest)
		return Parsed(env, event, key)

	event = parse_conversation(env, session, trusted_origins)
	return Parsed(env, event, _key("conversation", session, env.event, digest))

"""Inbox Hub webhook payloads → typed events.

The gateway has sent at least three envelopes (see the spec, §5.3) and two message styles:
- G: `{event, sessionId, data{…whatsapp-web.js message…}, timestamp}`
- F: `{event, data{sessionId, session_db_id, message{whatsappMessageId, content, chatId, …}}}`
- L: `{event: "message", sessionId, timestamp, data{messageId, from, to, message, type, contact{…}}}`
and Baileys-style `{key{remoteJid, fromMe, id, …}, message{conversation | imageMessage | …}}` objects. Edits and
deletions for everyone come in several of these (see inbox_hub_changes).
Everything is read defensively: a missing or oddly typed field gives None, never an exception, and only a
body that is not a JSON object at all raises `PayloadError`. Every string that comes out is plain text (see
core.text), ids are taken only in their exact form, numbers only within what the app stores, URLs only when
safe to link to.
"""

from __future__ import annotations

import hashlib
import json

from .inbox_hub_ids import is_session_id
from .inbox_hub_messages import parse_message, parse_update
from .inbox_hub_model import (  # noqa: F401  (the parser's public vocabulary, as callers import it from here)
	ALIASES,
	HANDLED,
	SUBSCRIBED_EVENTS,
	Change,
	ChangeEvent,
	ConversationEvent,
	Envelope,
	Event,
	Ignored,
	Media,
	MessageEvent,
	Parsed,
	PayloadError,
	PingEvent,
	ReactionEvent,
	SessionEvent,
	StatusEvent,
)
from .inbox_hub_readers import NAME_LENGTH, as_dict, as_name, first_name, short_id  # noqa: F401
from .inbox_hub_updates import parse_conversation, parse_session, parse_status
from .message_state import AckScale
from .text import one_line


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
	data = as_dict(body.get("data"))
	found = [body.get("sessionId"), data.get("sessionId")]
	if isinstance(body.get("session"), str):
		found.append(body["session"])
	return [value for value in found if value is not None]


def read_envelope(body: dict, header_event: str | None = None, session_id: str | None = None) -> Envelope:
	"""`session_id`: the delivery's verified session id, used as it is; without one, the body's own (if it is a
	well-formed id)."""
	data = as_dict(body.get("data"))
	raw_event = first_name(body.get("event"), body.get("type"), header_event) or ""
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
		nonce = as_name(env.data.get("nonce"))
		return Parsed(env, PingEvent(session, nonce), test_event_key(session, nonce or digest))
	if not session:
		return Parsed(env, Ignored("no session id"), _key("x", digest))

	if env.event in ("message.ack", "message.status"):
		change = parse_update(env, session)
		if change is not None:
			return _change_parsed(env, change, digest)

	if env.event in ("message.received", "message.sent", "message.edited", "message.revoked"):
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
		return _change_parsed(env, event, digest)

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


def _change_parsed(env: Envelope, event: Event, digest: str) -> Parsed:
	"""An edit or a deletion waits for (and is applied under the lock of) the message it changes. The same change
	reported twice, in any of its shapes, is one delivery; two edits are two."""
	if not isinstance(event, ChangeEvent):
		return Parsed(env, event, _key("x", digest))
	key = _key(
		"change",
		event.session_id,
		event.chat_jid,
		event.from_me,
		event.sender_jid,
		event.target_message_id,
		event.kind,
		*((event.body, event.timestamp) if event.kind == Change.EDIT else ()),
	)
	return Parsed(env, event, key, event.target_message_id)

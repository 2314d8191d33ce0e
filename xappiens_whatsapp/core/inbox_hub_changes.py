"""Edits and deletions for everyone, in every shape a gateway may report them (the contract documents none):

- Baileys: a message whose content is `protocolMessage{type, key{id}, editedMessage{…}, timestampMs}`, type REVOKE
  (0) or MESSAGE_EDIT (14), as a number or by name, possibly inside an `editedMessage{message{…}}` wrapper; and the
  `messages.update` form `{key, update{messageStubType: 1 | message{editedMessage | protocolMessage}}}`.
- whatsapp-web.js: the events `message_revoke_everyone` and `message_edit` (and dotted names), whose message is the
  one changed (or `{after, before}`), with the new text in `newBody` or `body`; a message of type `revoked`.

Who changed a message is the sender of the change (the outer key); the chat is the one the change came in. The
ids, chats and senders written inside a protocol message are the sender's own words and are never trusted to
name another chat: the pipeline applies a change only to a message of that chat, direction and author.
"""

from __future__ import annotations

from typing import Any

from .inbox_hub_model import Change, ChangeEvent, Envelope, Ignored
from .inbox_hub_readers import BODY_LENGTH, MAX_EPOCH_MS, as_bool, as_dict, as_int, first_given, short_id
from .signatures import to_epoch_seconds
from .text import plain

REVOKE = 0
MESSAGE_EDIT = 14
_TYPE_NAMES = {"REVOKE": REVOKE, "MESSAGE_EDIT": MESSAGE_EDIT}
STUB_REVOKE = 1  # Baileys' WAMessageStubType.REVOKE
EVENT_KINDS = {"message.edited": Change.EDIT, "message.revoked": Change.DELETE}
# The text fields of a message's content, in WhatsApp's own names: what an edit may replace.
_TEXT_PATHS = (
	("conversation",),
	("extendedTextMessage", "text"),
	("imageMessage", "caption"),
	("videoMessage", "caption"),
	("documentMessage", "caption"),
	("documentWithCaptionMessage", "message", "documentMessage", "caption"),
)


def protocol_kind(value: Any) -> str | None:
	"""Change.DELETE or Change.EDIT for a protocol message's type (its number or its name); None for the other
	types (ephemeral settings, history sync, keys…), which change no message the desk shows."""
	if isinstance(value, bool):
		return None
	if isinstance(value, str):
		word = value.strip().upper()
		value = _TYPE_NAMES.get(word, as_int(word) if word.isdigit() else None)
	number = as_int(value) if isinstance(value, int) else None
	return {REVOKE: Change.DELETE, MESSAGE_EDIT: Change.EDIT}.get(number)


def edited_text(message: Any) -> str | None:
	"""The text of an edited message's new content (`{conversation}`, `{extendedTextMessage{text}}`, a caption),
	also when wrapped in `{message{…}}`, as plain text."""
	message = as_dict(message)
	for candidate in (message, as_dict(message.get("message"))):
		for path in _TEXT_PATHS:
			value: Any = candidate
			for step in path:
				value = as_dict(value).get(step) if isinstance(value, dict) else None
			text = plain(value, BODY_LENGTH)
			if text is not None:
				return text
	return None


def unwrap_edit(message: dict) -> dict:
	"""Baileys puts an edit inside `editedMessage{message{protocolMessage{…}}}`: the inner message."""
	inner = as_dict(as_dict(message.get("editedMessage")).get("message"))
	return inner if "protocolMessage" in inner else message


def _seconds(ms: Any, *fallbacks: Any) -> float | None:
	number = as_int(ms, 0, MAX_EPOCH_MS)
	if number:
		return number / 1000
	return next((s for s in (to_epoch_seconds(v) for v in fallbacks) if s is not None), None)


def from_key(
	session_id: str,
	kind: str,
	target: Any,
	chat: str,
	from_me: bool,
	sender: str | None,
	body: str | None,
	timestamp: float | None,
) -> ChangeEvent | Ignored:
	"""A change of the message `target` (any of its id's forms) of `chat`, made by `sender` (or by us)."""
	target_id = short_id(target)
	if not target_id:
		return Ignored(f"{kind} without the id of the message it changes")
	if kind == Change.EDIT and body is None:
		return Ignored("edit without its new text")
	# Positional as ChangeEvent declares them: session, target, chat, from_me, kind.
	new_text = body if kind == Change.EDIT else None
	return ChangeEvent(session_id, target_id, chat, from_me, kind, sender, new_text, timestamp)


def from_protocol(
	session_id: str, protocol: dict, chat: str, from_me: bool, sender: str | None, ts_fallback: Any
) -> ChangeEvent | Ignored:
	"""A Baileys `protocolMessage`, sent in `chat` by `sender` (or by us); `ts_fallback`: the message's time."""
	kind = protocol_kind(protocol.get("type"))
	if kind is None:
		return Ignored("protocol message that changes no message")
	return from_key(
		session_id,
		kind,
		as_dict(protocol.get("key")).get("id"),
		chat,
		from_me,
		sender,
		edited_text(protocol.get("editedMessage")),
		_seconds(protocol.get("timestampMs"), ts_fallback),
	)


def from_update(
	session_id: str, key: dict, update: dict, chat: str, sender: str | None, timestamp: float | None
) -> ChangeEvent | Ignored | None:
	"""Baileys' `messages.update` item: `key` is the changed message's own; None when it is neither an edit nor a
	deletion (a status update)."""
	from_me = as_bool(key.get("fromMe")) is True
	message = unwrap_edit(as_dict(update.get("message")))
	protocol = as_dict(message.get("protocolMessage"))
	if protocol:
		return from_protocol(session_id, protocol, chat, from_me, sender, timestamp)
	stub = update.get("messageStubType")
	if stub == "REVOKE" or (not isinstance(stub, bool) and as_int(stub) == STUB_REVOKE):
		return from_key(session_id, Change.DELETE, key.get("id"), chat, from_me, sender, None, timestamp)
	if "editedMessage" in message or "editedMessage" in update:
		text = edited_text(as_dict(message.get("editedMessage")) or as_dict(update.get("editedMessage")))
		return from_key(session_id, Change.EDIT, key.get("id"), chat, from_me, sender, text, timestamp)
	return None


def from_event(
	env: Envelope, session_id: str, kind: str, msg: dict, chat: str, from_me: bool, sender: str | None
) -> ChangeEvent | Ignored:
	"""A whatsapp-web.js style `message.edited` / `message.revoked`: `msg` is the message changed."""
	data = env.data
	target = first_given(
		data.get("editedMessageId"),
		data.get("revokedMessageId"),
		data.get("originalMessageId"),
		as_dict(data.get("protocolMessageKey")).get("id"),
		msg.get("editedMessageId"),
		msg.get("revokedMessageId"),
		msg.get("originalMessageId"),
		as_dict(msg.get("protocolMessageKey")).get("id"),
		msg.get("whatsappMessageId"),
		msg.get("id"),
		msg.get("messageId"),
		data.get("messageId"),
	)
	body = None
	if kind == Change.EDIT:
		given = first_given(data.get("newBody"), msg.get("newBody"), msg.get("body"), msg.get("content"))
		body = plain(given, BODY_LENGTH) or edited_text(msg.get("editedMessage"))
	# A message's own `timestamp` is when it was first sent: the change's time is the edit's, or the delivery's.
	timestamp = _seconds(
		first_given(msg.get("latestEditSenderTimestampMs"), data.get("latestEditSenderTimestampMs")),
		first_given(msg.get("editedAt"), data.get("editedAt")),
		env.timestamp,
	)
	return from_key(session_id, kind, target, chat, from_me, sender, body, timestamp)


def changed_message(data: dict, msg: dict) -> dict:
	"""The message a whatsapp-web.js revocation names: `after` (the message as it now is), else `before`."""
	return as_dict(data.get("after")) or as_dict(data.get("before")) or msg

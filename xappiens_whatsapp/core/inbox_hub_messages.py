"""Message events of every shape the gateway sends (whatsapp-web.js, its "Frappe mode", the legacy one, Baileys'
WAMessage), reactions, edits and deletions (inbox_hub_changes) included."""

from __future__ import annotations

from typing import Any

from . import inbox_hub_changes as changes
from .inbox_hub_model import Change, ChangeEvent, Envelope, Ignored, Media, MessageEvent, ReactionEvent
from .inbox_hub_readers import (
	BODY_LENGTH,
	EMOJI_LENGTH,
	MAX_EPOCH_MS,
	MAX_INT,
	as_bool,
	as_dict,
	as_float,
	as_int,
	as_mimetype,
	as_name,
	as_serialized,
	first_given,
	first_name,
	first_text,
	phone_alt,
	row_id,
	short_id,
)
from .jid import canonical, parse_jid
from .message_state import status_from_word
from .signatures import to_epoch_seconds
from .text import one_line, plain
from .urls import safe_url

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


def _message_event(identity: tuple, message_type: str, body: str | None, **details) -> MessageEvent:
	"""(session, message id, chat, from_me), the kind and the text every shape gives; `details` are the rest."""
	session_id, message_id, chat, from_me = identity
	return MessageEvent(
		session_id=session_id,
		message_id=message_id,
		chat_jid=chat,
		from_me=bool(from_me),
		message_type=message_type,
		body=body,
		**details,
	)


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
			inner = as_dict(message.get(wrapper)).get("message")
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
	return as_dict(content.get("contextInfo"))


def _reaction(
	session_id: str, payload: dict, chat: str | None, sender: str, ts_fallback: Any
) -> ReactionEvent | Ignored:
	"""A reaction changes a message of the chat the reaction came in, never the chat its key names: anyone can
	write any chat into the key of a reaction they send."""
	if chat is None:
		return Ignored("reaction without the chat it was sent in")
	target = short_id(as_dict(payload.get("key")).get("id"))
	if not target:
		return Ignored("reaction without the id of the message it reacts to")
	timestamp_ms = as_int(payload.get("senderTimestampMs"), 0, MAX_EPOCH_MS)
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


def _media(url: Any, mimetype: Any, filename: Any, size: Any, trusted: tuple) -> Media:
	return Media(
		url=safe_url(url, trusted),
		mimetype=as_mimetype(mimetype),
		filename=as_name(filename),
		size=as_int(size, 0, MAX_INT),
	)


def _protocol_in(data: dict, msg: dict) -> dict:
	"""A Baileys protocol message carried by a gateway-style message, wherever the gateway put it."""
	for holder in (msg, as_dict(msg.get("message")), data):
		protocol = as_dict(changes.unwrap_edit(holder).get("protocolMessage"))
		if protocol:
			return protocol
	return {}


def parse_message(
	env: Envelope, session_id: str, trusted: tuple = ()
) -> MessageEvent | ReactionEvent | ChangeEvent | Ignored:
	data = env.data
	msg = _message_object(data)
	change_kind = changes.EVENT_KINDS.get(env.event)
	if change_kind:
		msg = changes.changed_message(data, msg)
	key = as_dict(msg.get("key"))
	is_baileys = bool(key) and isinstance(msg.get("message"), dict | type(None)) and "id" in key
	default_from_me = env.event == "message.sent"

	if is_baileys:
		return _parse_baileys(env, session_id, msg, key, default_from_me, trusted)

	id_obj = as_dict(msg.get("id"))
	from_me = as_bool(msg.get("fromMe"))
	if from_me is None:
		from_me = as_bool(id_obj.get("fromMe"))
	if from_me is None:
		from_me = default_from_me

	chat = (
		canonical(msg.get("chatId"))
		or canonical(id_obj.get("remote"))
		or canonical(msg.get("to") if from_me else msg.get("from"))
	)
	sender = canonical(first_text(msg.get("author"), msg.get("participant"), msg.get("sender")))

	reaction = msg.get("reactionMessage") or data.get("reactionMessage")
	if isinstance(reaction, dict):
		who = "me" if from_me else (sender or canonical(msg.get("from")) or chat or "")
		return _reaction(session_id, reaction, chat, who, msg.get("timestamp"))

	raw_type = (as_name(msg.get("type")) or "").lower()
	protocol = _protocol_in(data, msg)
	if protocol or change_kind or raw_type in ("revoked", "protocol", "protocolmessage"):
		if chat is None:
			return Ignored("edit or deletion without the chat it was made in")
		if parse_jid(chat).is_broadcast:
			return Ignored("status broadcast")
		author = sender if sender != chat and not from_me else None
		if protocol:
			ts = to_epoch_seconds(msg.get("timestamp")) or to_epoch_seconds(data.get("timestamp"))
			return changes.from_protocol(session_id, protocol, chat, bool(from_me), author, ts)
		if change_kind:
			return changes.from_event(env, session_id, change_kind, msg, chat, bool(from_me), author)
		if raw_type == "revoked":  # whatsapp-web.js: the message itself, now deleted for everyone
			ts = to_epoch_seconds(env.timestamp)  # the message's own time is when it was sent
			target = first_given(msg.get("whatsappMessageId"), msg.get("id"), msg.get("messageId"))
			return changes.from_key(session_id, Change.DELETE, target, chat, bool(from_me), author, None, ts)
		return Ignored("protocol message that changes no message")

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

	message_type = _WWEBJS_TYPES.get(raw_type, "other" if raw_type else "text")
	body = plain(first_given(msg.get("body"), msg.get("content"), msg.get("caption")), BODY_LENGTH)
	if body is None and isinstance(msg.get("message"), str):
		body = plain(msg.get("message"), BODY_LENGTH)

	media_obj = as_dict(msg.get("media"))
	media = None
	if media_obj or msg.get("mediaUrl") or msg.get("hasMedia") or msg.get("has_attachment"):
		media = _media(
			first_given(media_obj.get("url"), media_obj.get("media_url"), msg.get("mediaUrl")),
			first_given(media_obj.get("mimetype"), msg.get("mimetype")),
			first_given(media_obj.get("filename"), msg.get("filename")),
			first_given(media_obj.get("filesize"), media_obj.get("size")),
			trusted,
		)

	location = as_dict(msg.get("location"))
	contact = as_dict(msg.get("contact"))
	serialized = id_obj.get("_serialized") or (msg.get("id") if isinstance(msg.get("id"), str) else None)
	status = status_from_word(msg.get("status")) if from_me else None
	return _message_event(
		(session_id, message_id, chat, from_me),
		message_type,
		body,
		timestamp=to_epoch_seconds(msg.get("timestamp")) or to_epoch_seconds(data.get("timestamp")),
		sender_jid=sender if sender != chat else None,
		serialized_id=as_serialized(serialized),
		gateway_row_id=row_id(msg.get("id")),
		media=media,
		quoted_message_id=short_id(msg.get("quotedMsgId"))
		or short_id(as_dict(msg.get("quotedMsg")).get("id")),
		is_forwarded=bool(as_bool(msg.get("isForwarded"))),
		push_name=first_name(msg.get("notifyName"), msg.get("pushName"), contact.get("name")),
		phone_jid=phone_alt(msg.get("remoteJidAlt"), msg.get("senderPn"), contact.get("phone")),
		latitude=as_float(first_given(location.get("latitude"), location.get("lat"), msg.get("lat")), 90),
		longitude=as_float(first_given(location.get("longitude"), location.get("lng"), msg.get("lng")), 180),
		status=status,
		raw_ack=as_int(msg.get("ack"), -9, 99),
		voice_note=raw_type in ("ptt", "voice")
		or bool(as_bool(first_given(msg.get("ptt"), media_obj.get("ptt")))),
	)


def _parse_baileys(
	env: Envelope, session_id: str, msg: dict, key: dict, default_from_me: bool, trusted: tuple
):
	from_me = as_bool(key.get("fromMe"))
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
		phone_jid = phone_alt(key.get("remoteJidAlt"), key.get("senderPn"), msg.get("senderPn"))
	message = changes.unwrap_edit(as_dict(msg.get("message")))
	type_key, content = _baileys_content(message)
	timestamp = to_epoch_seconds(msg.get("messageTimestamp")) or to_epoch_seconds(env.data.get("timestamp"))

	if type_key == "reactionMessage":
		sender = "me" if from_me else (participant or chat)
		return _reaction(session_id, content, chat, sender, timestamp)
	author = participant if remote.is_group and not from_me else None
	if type_key == "protocolMessage":
		return changes.from_protocol(session_id, content, chat, bool(from_me), author, timestamp)
	change_kind = changes.EVENT_KINDS.get(env.event)
	if change_kind or "editedMessage" in message:
		# The message as it now is, under its own key (an edit event, or an edit without a protocol message).
		kind = change_kind or Change.EDIT
		text = changes.edited_text(message.get("editedMessage") or message) if kind == Change.EDIT else None
		return changes.from_key(session_id, kind, key.get("id"), chat, bool(from_me), author, text, timestamp)

	if key.get("id") in (None, ""):
		return Ignored("message without an id")
	message_id = short_id(key.get("id"))
	if not message_id:
		return Ignored("message id is not in a form WhatsApp uses")
	body = plain(
		first_given(
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
	return _message_event(
		(session_id, message_id, chat, from_me),
		message_type,
		body,
		timestamp=timestamp,
		sender_jid=participant if remote.is_group else None,
		media=media,
		quoted_message_id=short_id(context.get("stanzaId")),
		is_forwarded=bool(as_bool(context.get("isForwarded"))),
		push_name=as_name(msg.get("pushName")),
		phone_jid=phone_jid,
		latitude=as_float(content.get("degreesLatitude"), 90),
		longitude=as_float(content.get("degreesLongitude"), 180),
		status=None,
		raw_ack=as_int(msg.get("status"), -9, 99),
		voice_note=message_type == "audio" and bool(as_bool(content.get("ptt"))),
	)


def parse_update(env: Envelope, session_id: str) -> ChangeEvent | Ignored | None:
	"""Baileys' `messages.update` (`{key, update{…}}`, which arrives as a status event): an edit or a deletion, or
	None for anything else."""
	key, update = as_dict(env.data.get("key")), as_dict(env.data.get("update"))
	if not key or not update:
		return None
	remote = parse_jid(key.get("remoteJid"))
	if remote is None or remote.is_broadcast:
		return None
	from_me = as_bool(key.get("fromMe")) is True
	author = canonical(key.get("participant")) if remote.is_group and not from_me else None
	timestamp = to_epoch_seconds(env.data.get("timestamp")) or to_epoch_seconds(env.timestamp)
	return changes.from_update(session_id, key, update, str(remote), author, timestamp)

"""Delivery statuses, session life-cycle and conversation events."""

from __future__ import annotations

from .inbox_hub_ids import qr_png_base64
from .inbox_hub_model import ConversationEvent, Envelope, Ignored, SessionEvent, StatusEvent
from .inbox_hub_readers import (
	NAME_LENGTH,
	as_bool,
	as_dict,
	as_int,
	as_name,
	first_given,
	first_name,
	first_text,
	phone_alt,
	short_id,
)
from .jid import parse_jid
from .message_state import AckScale, status_from_ack, status_from_word
from .session_status import SessionState, map_session_status
from .signatures import to_epoch_seconds
from .urls import safe_url


def parse_status(env: Envelope, session_id: str, scale: AckScale | str) -> StatusEvent | Ignored:
	data = env.data
	msg = as_dict(data.get("message"))
	candidates = (
		data.get("messageId"),
		data.get("id"),
		msg.get("whatsappMessageId"),
		msg.get("id"),
		as_dict(data.get("key")).get("id"),
	)
	given = first_given(*candidates)
	if given is None:
		return Ignored("status update without a message id")
	message_id = short_id(given)
	if not message_id:
		return Ignored("message id is not in a form WhatsApp uses")
	timestamp = to_epoch_seconds(data.get("timestamp")) or to_epoch_seconds(env.timestamp)
	implied = {"message.delivered": "delivered", "message.read": "read", "message.failed": "failed"}
	raw_ack = as_int(data.get("ack") if "ack" in data else msg.get("ack"), -9, 99)
	if raw_ack is not None and env.event in ("message.ack", "message.status"):
		return StatusEvent(session_id, message_id, status_from_ack(raw_ack, scale), raw_ack, None, timestamp)
	given_ack = data.get("ack") if "ack" in data else msg.get("ack")
	word = first_name(data.get("status"), msg.get("status"), implied.get(env.event))
	if word is None and given_ack is not None:
		word = as_name(str(given_ack)[:NAME_LENGTH]) if isinstance(given_ack, int | float | str) else None
	status = status_from_word(word)
	return StatusEvent(session_id, message_id, status, raw_ack, None if status else word, timestamp)


def parse_session(env: Envelope, session_id: str) -> SessionEvent:
	data = env.data
	timestamp = to_epoch_seconds(data.get("timestamp")) or to_epoch_seconds(env.timestamp)
	phone = first_text(data.get("phoneNumber"), data.get("phone"))
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
		state, known = map_session_status(data.get("status"), as_bool(data.get("isConnected")))
		if qr and state != SessionState.CONNECTED:
			state, known = SessionState.QR_REQUIRED, True
	return SessionEvent(
		session_id=session_id,
		state=state,
		known_status=known,
		phone=phone,
		reason=first_name(data.get("reason"), data.get("status") if not known else None),
		qr_base64=qr,
		qr_expires_at=to_epoch_seconds(data.get("expiresAt")),
		timestamp=timestamp,
	)


def parse_conversation(env: Envelope, session_id: str, trusted: tuple = ()) -> ConversationEvent | Ignored:
	data = env.data
	item = (
		as_dict(data.get("conversation")) or as_dict(data.get("chat")) or as_dict(data.get("contact")) or data
	)
	item_id = item.get("id")
	if isinstance(item_id, dict):
		item_id = item_id.get("_serialized") or item_id.get("user")
	jid = parse_jid(first_given(item.get("chatId"), item_id, item.get("jid"), item.get("remoteJid")))
	if jid is None:
		return Ignored("conversation without a chat id")
	phone_jid = phone_alt(item.get("phoneNumber"), item.get("phone"), item.get("remoteJidAlt"))
	return ConversationEvent(
		session_id=session_id,
		chat_jid=str(jid),
		name=first_name(
			item.get("name"),
			item.get("contactName"),
			item.get("verifiedName"),
			item.get("notify"),
			item.get("pushName"),
		),
		phone_jid=phone_jid if jid.is_lid else None,
		is_group=jid.is_group,
		picture_url=safe_url(
			first_given(item.get("profilePicture"), item.get("imgUrl"), item.get("profilePictureUrl")),
			trusted,
		),
	)

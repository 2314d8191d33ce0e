"""What the Inbox Hub gateway answers, read into small frozen values whose field names are ours, whatever variant
of its envelope it used (the untouched `data` stays in `.raw`). Text it sends is kept as plain one-line text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from xappiens_whatsapp.core.inbox_hub_ids import qr_png_base64, short_message_id
from xappiens_whatsapp.core.session_status import status_word
from xappiens_whatsapp.core.text import one_line

_PHONE_JUNK = re.compile(r"[\s().\-/]")


T = TypeVar("T")


class Page(list, Generic[T]):
	"""A list of items plus the pagination the gateway reported (`total` is None when it gave none)."""

	def __init__(
		self, items: Iterable[T] = (), *, total: int | None = None, page: int = 1, limit: int | None = None
	) -> None:
		super().__init__(items)
		self.total = total
		self.page = page
		self.limit = limit


@dataclass(frozen=True)
class SessionInfo:
	"""`status` is the gateway's word in lower case, corrected by `isConnected` (which wins)."""

	id: int | None
	session_id: str | None
	status: str | None
	is_connected: bool | None = None
	phone_number: str | None = None
	qr_code: str | None = None  # raw base64 PNG, no data-URL prefix
	name: str | None = None
	raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class QrCode:
	image_base64: str  # raw base64 PNG, no data-URL prefix
	expires_at: str | None
	status: str | None = None
	session_id: str | None = None


@dataclass(frozen=True)
class SendResult:
	"""`message_id` is the short WhatsApp id that acks refer to; `gateway_row_id` is the gateway's DB row."""

	message_id: str | None
	gateway_row_id: str | None
	status: str | None
	timestamp: str | int | float | None
	chat_id: str | None = None
	raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class ChatMessage:
	"""One history item. `timestamp` is as the gateway gave it (ISO string or epoch number)."""

	message_id: str | None
	from_me: bool | None
	body: str | None
	type: str | None
	timestamp: str | int | float | None
	status: str | None
	chat_id: str | None
	gateway_row_id: str | None = None
	ack: int | None = None
	raw: dict = field(default_factory=dict, repr=False, compare=False)


def utf16_length(text: str) -> int:
	# The gateway is Node: its 4096-character limit counts UTF-16 code units (an emoji counts 2).
	return len(text.encode("utf-16-le")) // 2


def opt_text(value: object) -> str | None:
	"""A value of the gateway's answer as plain one-line text (it may be shown in the desk)."""
	return one_line(value, 255)


def phone_digits(value: object) -> str | None:
	"""A phone number as the gateway writes it (country code and number), digits only; None for anything else."""
	text = _PHONE_JUNK.sub("", str(value)).lstrip("+") if isinstance(value, str | int) else ""
	return text if text.isascii() and text.isdigit() and 6 <= len(text) <= 15 else None


def opt_int(value: object) -> int | None:
	if isinstance(value, bool):
		return None
	try:
		return int(value)  # type: ignore[arg-type]
	except (TypeError, ValueError):
		return None


def session_info(data: Any, gateway_id: int | str | None = None) -> SessionInfo:
	"""Normalise `data.session ?? data`."""
	data = data if isinstance(data, dict) else {}
	item = data.get("session") if isinstance(data.get("session"), dict) else data
	is_connected = item.get("isConnected")
	is_connected = is_connected if isinstance(is_connected, bool) else None
	qr = item.get("qrCode")
	return SessionInfo(
		id=opt_int(item.get("id")) if item.get("id") is not None else opt_int(gateway_id),
		session_id=opt_text(item.get("sessionId")),
		status=status_word(item.get("status"), is_connected),
		is_connected=is_connected,
		phone_number=phone_digits(item.get("phoneNumber")),
		qr_code=qr_png_base64(qr),
		name=opt_text(item.get("sessionName") or item.get("name")),
		raw=item,
	)


def send_result(data: Any) -> SendResult:
	"""Shape A `data{messageId,…}` or shape B `data.message{id, whatsappMessageId,…}`."""
	data = data if isinstance(data, dict) else {}
	message = data.get("message") if isinstance(data.get("message"), dict) else {}
	row_id = message.get("id") if not isinstance(message.get("id"), dict) else None
	return SendResult(
		message_id=short_message_id(message.get("whatsappMessageId") or data.get("messageId")),
		gateway_row_id=opt_text(row_id),
		status=opt_text(message.get("status") or data.get("status")),
		timestamp=message.get("timestamp") if message.get("timestamp") is not None else data.get("timestamp"),
		chat_id=opt_text(message.get("chatId") or data.get("chatId") or data.get("to")),
		raw=data,
	)


def chat_message(item: dict) -> ChatMessage:
	raw_id = item.get("id")
	id_obj = raw_id if isinstance(raw_id, dict) else {}
	message_id = item.get("whatsappMessageId") or (
		short_message_id(id_obj.get("_serialized") or id_obj.get("id"))
		if id_obj
		else (short_message_id(raw_id) if isinstance(raw_id, str) else None)
	)
	from_me = item.get("fromMe", id_obj.get("fromMe"))
	body = item.get("body") if item.get("body") is not None else item.get("content")
	return ChatMessage(
		message_id=opt_text(message_id),
		from_me=from_me if isinstance(from_me, bool) else None,
		body=None if body is None else str(body),
		type=opt_text(item.get("type")),
		timestamp=item.get("timestamp"),
		status=opt_text(item.get("status")),
		chat_id=opt_text(item.get("chatId") or item.get("jid") or id_obj.get("remote")),
		gateway_row_id=opt_text(raw_id) if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None,
		ack=opt_int(item.get("ack")),
		raw=item,
	)

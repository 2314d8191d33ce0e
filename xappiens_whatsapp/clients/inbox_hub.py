"""Client for the Inbox Hub WhatsApp gateway REST API (`spec/inbox-hub-api.md`).

Every method unwraps the `{success, data}` envelope and returns a small frozen dataclass (or a `Page` of
them) whose field names are ours, whatever variant the gateway answered with; the untouched `data` stays
in `.raw`. Failures raise the typed errors of `clients.errors`; requests the gateway would refuse raise
`InvalidRequest` before anything is sent.

Ids: `gateway_id` is the gateway's numeric session id (used under `/api/sessions/:id`), `session_id` is
the string id (used by messages, sync and webhooks).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import requests

from xappiens_whatsapp.clients.errors import InvalidRequest, ProviderNotFound, ProviderRejected
from xappiens_whatsapp.clients.http import JsonHttpClient
from xappiens_whatsapp.core.inbox_hub_events import SUBSCRIBED_EVENTS
from xappiens_whatsapp.core.inbox_hub_ids import (
	DATA_URL_PREFIX,
	is_session_id,
	qr_png_base64,
	short_message_id,
	strip_data_url,
)
from xappiens_whatsapp.core.session_status import status_word
from xappiens_whatsapp.core.text import one_line

PROVIDER = "inbox_hub"

ALL_EVENTS = SUBSCRIBED_EVENTS
MEDIA_KINDS = ("image", "video", "audio", "document")
MAX_TEXT_UNITS = 4096
MAX_MEDIA_BYTES = 16 * 1024 * 1024
MAX_PAGE_SIZE = 100
# The gateway answers "Message content is required" to media without a caption.
FALLBACK_CAPTION = " "

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


def _opt_str(value: object) -> str | None:
	"""A value of the gateway's answer as plain one-line text (it may be shown in the desk)."""
	return one_line(value, 255)


def _phone_digits(value: object) -> str | None:
	"""A phone number as the gateway writes it (country code and number), digits only; None for anything else."""
	text = _PHONE_JUNK.sub("", str(value)).lstrip("+") if isinstance(value, str | int) else ""
	return text if text.isascii() and text.isdigit() and 6 <= len(text) <= 15 else None


def _opt_int(value: object) -> int | None:
	if isinstance(value, bool):
		return None
	try:
		return int(value)  # type: ignore[arg-type]
	except (TypeError, ValueError):
		return None


def _segment(value: object) -> str:
	return quote(str(value), safe="")


class InboxHubClient(JsonHttpClient):
	provider = PROVIDER

	def __init__(
		self,
		base_url: str,
		api_key: str,
		timeout: float = 30,
		jwt: str | None = None,
		**http_options: Any,
	) -> None:
		"""`base_url` is the host root; a trailing `/api` is removed because every path carries it.

		`http_options` go to `JsonHttpClient` (connect_timeout, max_attempts, backoff_base, max_wait,
		sleep, session).
		"""
		if not api_key:
			raise ValueError("Inbox Hub API key is not configured")
		headers = {"X-API-Key": api_key}
		if jwt:
			headers["Authorization"] = f"Bearer {jwt}"
		super().__init__(
			self.normalise_base_url(base_url),
			headers=headers,
			timeout=timeout,
			secrets=(api_key, jwt, *http_options.pop("secrets", ())),
			**http_options,
		)

	@staticmethod
	def normalise_base_url(base_url: str) -> str:
		url = (base_url or "").strip().rstrip("/")
		if url.lower().endswith("/api"):
			url = url[:-4].rstrip("/")
		if not url:
			raise ValueError("Inbox Hub base URL is not configured")
		return url

	# ---- envelope ----------------------------------------------------------------------------------

	def _call(self, method: str, path: str, **kwargs: Any) -> Any:
		return self.unwrap(self.request(method, path, **kwargs), secrets=kwargs.get("secrets", ()))

	def unwrap(self, response: requests.Response, secrets: Iterable[str | None] = ()) -> Any:
		"""`data` of a success envelope ({} for an empty answer, the whole body when there is no `data`).

		`secrets`: values of this request (a webhook secret) that an error echoing it must not carry."""
		secrets = (*self._secrets, *secrets)
		body = self.parse_json(response, secrets=secrets)
		if body is None:
			return {}
		if isinstance(body, dict):
			if body.get("success") is False:
				message, code, details = self.describe_error(response)
				raise ProviderRejected(
					message,
					provider=self.provider,
					status=response.status_code,
					code=code,
					details=details,
					secrets=secrets,
				)
			if "data" in body:
				return {} if body["data"] is None else body["data"]
		return body

	# ---- sessions ----------------------------------------------------------------------------------

	def create_session(
		self,
		session_id: str,
		session_name: str,
		webhook_url: str | None = None,
		webhook_secret: str | None = None,
		events: Iterable[str] = ALL_EVENTS,
		phone_number: str | None = None,
	) -> SessionInfo:
		"""POST /api/sessions. Not retried after a timeout: a second create answers 409 "already exists"."""
		if not is_session_id(session_id):
			raise self._invalid("sessionId must be 3-100 characters of letters, digits, '_' or '-'")
		if not session_name or len(session_name) > 255:
			raise self._invalid("sessionName must be 1-255 characters")
		if webhook_secret is not None and not 16 <= len(webhook_secret) <= 255:
			raise self._invalid("webhookSecret must be 16-255 characters", secrets=(webhook_secret,))
		body: dict[str, Any] = {"sessionId": session_id, "sessionName": session_name}
		if webhook_url:
			body["webhookUrl"] = webhook_url
		if webhook_secret:
			body["webhookSecret"] = webhook_secret
		events = list(events or ())
		if events:
			body["webhookEvents"] = events
		if phone_number:
			body["phoneNumber"] = self.recipient(phone_number)
		data = self._call("POST", "/api/sessions", json=body, secrets=(webhook_secret,))
		return self.session_info(data)

	def connect(self, gateway_id: int | str) -> SessionInfo:
		"""Start connecting (a new QR follows, by webhook or `get_qr`)."""
		return self._session_action(gateway_id, "connect")

	def disconnect(self, gateway_id: int | str) -> SessionInfo:
		return self._session_action(gateway_id, "disconnect")

	def restart(self, gateway_id: int | str) -> SessionInfo:
		return self._session_action(gateway_id, "restart")

	def _session_action(self, gateway_id: int | str, action: str) -> SessionInfo:
		# Repeating connect/disconnect/restart leaves the same end state, so retries are safe.
		data = self._call("POST", f"/api/sessions/{_segment(gateway_id)}/{action}", json={}, idempotent=True)
		return self.session_info(data, gateway_id=gateway_id)

	def delete_session(self, gateway_id: int | str) -> None:
		"""DELETE /api/sessions/:id: removes the gateway's credentials and data for good."""
		self._call("DELETE", f"/api/sessions/{_segment(gateway_id)}")

	def get_session(self, gateway_id: int | str) -> SessionInfo:
		return self.session_info(
			self._call("GET", f"/api/sessions/{_segment(gateway_id)}"), gateway_id=gateway_id
		)

	def get_status(self, gateway_id: int | str) -> SessionInfo:
		"""GET /api/sessions/:id/status, the live state."""
		data = self._call("GET", f"/api/sessions/{_segment(gateway_id)}/status")
		return self.session_info(data, gateway_id=gateway_id)

	def get_qr(self, gateway_id: int | str) -> QrCode:
		"""The current QR as raw base64. Raises `ProviderNotFound` while no QR is ready."""
		data = self._call("GET", f"/api/sessions/{_segment(gateway_id)}/qr")
		data = data if isinstance(data, dict) else {}
		image = qr_png_base64(data.get("qrCode") or data.get("qr"))
		if not image:  # none yet, or something that is not a PNG image (it goes into the page as one)
			raise ProviderNotFound("QR code not ready", provider=self.provider, code="QR_NOT_READY")
		return QrCode(
			image_base64=image,
			expires_at=_opt_str(data.get("expiresAt")),
			status=_opt_str(data.get("status")),
			session_id=_opt_str(data.get("sessionId")),
		)

	def set_webhook(
		self, gateway_id: int | str, url: str, secret: str, events: Iterable[str] | None = None
	) -> None:
		"""PUT /api/sessions/:id/webhook (undocumented route; answers 200 or 204)."""
		body: dict[str, Any] = {"webhookUrl": url, "webhookSecret": secret}
		if events is not None:
			body["webhookEvents"] = list(events)
		self._call("PUT", f"/api/sessions/{_segment(gateway_id)}/webhook", json=body, secrets=(secret,))

	def sync(self, session_id: str) -> dict:
		"""POST /api/sessions/:sessionId/sync → `{sessionId, contactsSynced, chatsSynced, timestamp}`."""
		data = self._call("POST", f"/api/sessions/{_segment(session_id)}/sync", json={}, idempotent=True)
		return data if isinstance(data, dict) else {}

	def list_sessions(self, page: int = 1, limit: int = 20, status: str | None = None) -> Page[SessionInfo]:
		params: dict[str, Any] = {"page": page, "limit": self._page_size(limit)}
		if status:
			params["status"] = status
		data = self._call("GET", "/api/sessions", params=params)
		items, total = self._list_and_total(data, ("sessions",))
		return Page([self.session_info(item) for item in items], total=total, page=page, limit=limit)

	def session_info(self, data: Any, gateway_id: int | str | None = None) -> SessionInfo:
		"""Normalise `data.session ?? data`."""
		data = data if isinstance(data, dict) else {}
		item = data.get("session") if isinstance(data.get("session"), dict) else data
		is_connected = item.get("isConnected")
		is_connected = is_connected if isinstance(is_connected, bool) else None
		qr = item.get("qrCode")
		return SessionInfo(
			id=_opt_int(item.get("id")) if item.get("id") is not None else _opt_int(gateway_id),
			session_id=_opt_str(item.get("sessionId")),
			status=status_word(item.get("status"), is_connected),
			is_connected=is_connected,
			phone_number=_phone_digits(item.get("phoneNumber")),
			qr_code=qr_png_base64(qr),
			name=_opt_str(item.get("sessionName") or item.get("name")),
			raw=item,
		)

	# ---- messages ----------------------------------------------------------------------------------

	def send_text(
		self, session_id: str, to: str, text: str, quoted_message_id: str | None = None
	) -> SendResult:
		"""Send a text. Never retried once it may have reached the gateway: on `ProviderTimeout`,
		look for it with `get_chat_messages` before sending again."""
		if not isinstance(text, str) or not text:
			raise self._invalid("text is required")
		if utf16_length(text) > MAX_TEXT_UNITS:
			raise self._invalid(f"text is longer than {MAX_TEXT_UNITS} characters")
		body: dict[str, Any] = {"to": self.recipient(to), "type": "text", "message": text}
		if quoted_message_id:
			body["quotedMessageId"] = quoted_message_id
		return self._send(session_id, body)

	def send_media(
		self,
		session_id: str,
		to: str,
		kind: str,
		*,
		url: str | None = None,
		base64: str | None = None,
		mimetype: str | None = None,
		filename: str | None = None,
		caption: str | None = None,
		ptt: bool = False,
	) -> SendResult:
		"""Send image/video/audio/document from a public `url` or inline `base64` (exactly one).

		A caption is always sent (the caption, else the file name, else a space) because the gateway
		rejects media without one. `ptt=True` sends audio as a voice note.
		"""
		if kind not in MEDIA_KINDS:
			raise self._invalid(f"kind must be one of {', '.join(MEDIA_KINDS)}")
		if bool(url) == bool(base64):
			raise self._invalid("give exactly one of url or base64")
		source: dict[str, Any] = {}
		if url:
			source["url"] = url
		else:
			assert base64 is not None
			prefix = DATA_URL_PREFIX.match(base64)
			if prefix and not mimetype:
				mimetype = prefix.group(0).strip()[5:].split(";", 1)[0]
			payload = strip_data_url(base64)
			if len(payload) * 3 // 4 > MAX_MEDIA_BYTES:
				raise self._invalid(f"media is larger than {MAX_MEDIA_BYTES // (1024 * 1024)} MB")
			source["base64"] = payload
		if mimetype:
			source["mimetype"] = mimetype
		if kind == "document":
			source["fileName"] = filename or "document"
		message: dict[str, Any] = {kind: source}
		if kind == "audio":
			message["ptt"] = bool(ptt)
		message["caption"] = caption if caption and caption.strip() else (filename or FALLBACK_CAPTION)
		return self._send(session_id, {"to": self.recipient(to), "type": kind, "message": message})

	def send_location(
		self, session_id: str, to: str, lat: float, lng: float, name: str | None = None
	) -> SendResult:
		if not (-90 <= float(lat) <= 90 and -180 <= float(lng) <= 180):
			raise self._invalid("latitude or longitude out of range")
		location: dict[str, Any] = {"degreesLatitude": float(lat), "degreesLongitude": float(lng)}
		if name:
			location["name"] = name
		body = {"to": self.recipient(to), "type": "location", "message": {"location": location}}
		return self._send(session_id, body)

	def _send(self, session_id: str, body: dict) -> SendResult:
		data = self._call("POST", f"/api/messages/{_segment(session_id)}/send", json=body, idempotent=False)
		return self.send_result(data)

	@staticmethod
	def send_result(data: Any) -> SendResult:
		"""Shape A `data{messageId,…}` or shape B `data.message{id, whatsappMessageId,…}`."""
		data = data if isinstance(data, dict) else {}
		message = data.get("message") if isinstance(data.get("message"), dict) else {}
		row_id = message.get("id") if not isinstance(message.get("id"), dict) else None
		return SendResult(
			message_id=short_message_id(message.get("whatsappMessageId") or data.get("messageId")),
			gateway_row_id=_opt_str(row_id),
			status=_opt_str(message.get("status") or data.get("status")),
			timestamp=message.get("timestamp")
			if message.get("timestamp") is not None
			else data.get("timestamp"),
			chat_id=_opt_str(message.get("chatId") or data.get("chatId") or data.get("to")),
			raw=data,
		)

	def mark_chat_read(self, session_id: str, chat_id: str) -> int | None:
		"""PUT /api/messages/:sessionId/:chatId/read; returns `markedCount` when given."""
		data = self._call("PUT", f"/api/messages/{_segment(session_id)}/{_segment(chat_id)}/read", json={})
		return _opt_int(data.get("markedCount")) if isinstance(data, dict) else None

	def get_chat_messages(
		self, session_id: str, chat_id: str, limit: int = 20, page: int = 1
	) -> Page[ChatMessage]:
		"""One page of a chat's history, as the gateway orders it."""
		params = {"limit": self._page_size(limit), "page": max(1, int(page))}
		data = self._call("GET", f"/api/messages/{_segment(session_id)}/{_segment(chat_id)}", params=params)
		items, total = self._list_and_total(data, ("messages", "items", "data"))
		return Page(
			[self.chat_message(item) for item in items if isinstance(item, dict)],
			total=total,
			page=page,
			limit=limit,
		)

	@staticmethod
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
			message_id=_opt_str(message_id),
			from_me=from_me if isinstance(from_me, bool) else None,
			body=None if body is None else str(body),
			type=_opt_str(item.get("type")),
			timestamp=item.get("timestamp"),
			status=_opt_str(item.get("status")),
			chat_id=_opt_str(item.get("chatId") or item.get("jid") or id_obj.get("remote")),
			gateway_row_id=_opt_str(raw_id)
			if isinstance(raw_id, int) and not isinstance(raw_id, bool)
			else None,
			ack=_opt_int(item.get("ack")),
			raw=item,
		)

	# ---- helpers -----------------------------------------------------------------------------------

	def recipient(self, to: str) -> str:
		"""A JID as given, or a phone reduced to the digits-with-country-code form the gateway wants."""
		text = str(to or "").strip()
		if "@" in text:
			return text
		digits = _PHONE_JUNK.sub("", text)
		if digits.startswith("+"):
			digits = digits[1:]
		elif digits.startswith("00"):
			digits = digits[2:]
		if not digits.isdigit() or not 7 <= len(digits) <= 15:
			raise self._invalid("recipient must be a JID or a phone number with country code")
		return digits

	@staticmethod
	def _list_and_total(data: Any, keys: tuple[str, ...]) -> tuple[list, int | None]:
		if isinstance(data, list):
			return data, None
		if not isinstance(data, dict):
			return [], None
		items = next((data[k] for k in keys if isinstance(data.get(k), list)), [])
		pagination = data.get("pagination") if isinstance(data.get("pagination"), dict) else {}
		total = _opt_int(pagination.get("total"))
		return items, total if total is not None else _opt_int(data.get("total"))

	def _page_size(self, limit: int) -> int:
		limit = int(limit)
		if not 1 <= limit <= MAX_PAGE_SIZE:
			raise self._invalid(f"limit must be 1-{MAX_PAGE_SIZE}")
		return limit

	def _invalid(self, message: str, secrets: Iterable[str | None] = ()) -> InvalidRequest:
		return InvalidRequest(
			message, provider=self.provider, code="VALIDATION_ERROR", secrets=(*self._secrets, *secrets)
		)

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
from typing import Any
from urllib.parse import quote

import requests

from xappiens_whatsapp.clients.errors import InvalidRequest, ProviderNotFound, ProviderRejected
from xappiens_whatsapp.clients.http import JsonHttpClient
from xappiens_whatsapp.clients.inbox_hub_answers import (
	ChatMessage,
	Page,
	QrCode,
	SendResult,
	SessionInfo,
	chat_message,
	opt_int,
	opt_text,
	send_result,
	session_info,
	utf16_length,
)
from xappiens_whatsapp.core.inbox_hub_events import SUBSCRIBED_EVENTS
from xappiens_whatsapp.core.inbox_hub_ids import (
	DATA_URL_PREFIX,
	is_session_id,
	qr_png_base64,
	strip_data_url,
)

PROVIDER = "inbox_hub"

ALL_EVENTS = SUBSCRIBED_EVENTS
MEDIA_KINDS = ("image", "video", "audio", "document")
MAX_TEXT_UNITS = 4096
MAX_MEDIA_BYTES = 16 * 1024 * 1024
MAX_PAGE_SIZE = 100
# The gateway answers "Message content is required" to media without a caption.
FALLBACK_CAPTION = " "

_PHONE_JUNK = re.compile(r"[\s().\-/]")


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
		return session_info(data)

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
		return session_info(data, gateway_id=gateway_id)

	def delete_session(self, gateway_id: int | str) -> None:
		"""DELETE /api/sessions/:id: removes the gateway's credentials and data for good."""
		self._call("DELETE", f"/api/sessions/{_segment(gateway_id)}")

	def get_session(self, gateway_id: int | str) -> SessionInfo:
		return session_info(self._call("GET", f"/api/sessions/{_segment(gateway_id)}"), gateway_id=gateway_id)

	def get_status(self, gateway_id: int | str) -> SessionInfo:
		"""GET /api/sessions/:id/status, the live state."""
		data = self._call("GET", f"/api/sessions/{_segment(gateway_id)}/status")
		return session_info(data, gateway_id=gateway_id)

	def get_qr(self, gateway_id: int | str) -> QrCode:
		"""The current QR as raw base64. Raises `ProviderNotFound` while no QR is ready."""
		data = self._call("GET", f"/api/sessions/{_segment(gateway_id)}/qr")
		data = data if isinstance(data, dict) else {}
		image = qr_png_base64(data.get("qrCode") or data.get("qr"))
		if not image:  # none yet, or something that is not a PNG image (it goes into the page as one)
			raise ProviderNotFound("QR code not ready", provider=self.provider, code="QR_NOT_READY")
		return QrCode(
			image_base64=image,
			expires_at=opt_text(data.get("expiresAt")),
			status=opt_text(data.get("status")),
			session_id=opt_text(data.get("sessionId")),
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
		return Page([session_info(item) for item in items], total=total, page=page, limit=limit)

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

	def send_reaction(
		self, session_id: str, to: str, message_id: str, emoji: str, from_me: bool = False
	) -> SendResult:
		"""React to a message of the chat `to` with `emoji` ("" takes our reaction away). The gateway hands
		`message` to Baileys as it is: `react` names the message by the key WhatsApp gives it in reaction events
		(chat, direction, short id)."""
		if not isinstance(message_id, str) or not message_id:
			raise self._invalid("message_id is required")
		if not isinstance(emoji, str) or len(emoji) > 16:
			raise self._invalid("emoji must be a short string")
		recipient = self.recipient(to)
		chat = recipient if "@" in recipient else f"{recipient}@s.whatsapp.net"
		key = {"remoteJid": chat, "fromMe": bool(from_me), "id": message_id}
		body = {"to": recipient, "type": "reaction", "message": {"react": {"text": emoji, "key": key}}}
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
		return send_result(data)

	def mark_chat_read(self, session_id: str, chat_id: str) -> int | None:
		"""PUT /api/messages/:sessionId/:chatId/read; returns `markedCount` when given."""
		data = self._call("PUT", f"/api/messages/{_segment(session_id)}/{_segment(chat_id)}/read", json={})
		return opt_int(data.get("markedCount")) if isinstance(data, dict) else None

	def get_chat_messages(
		self, session_id: str, chat_id: str, limit: int = 20, page: int = 1
	) -> Page[ChatMessage]:
		"""One page of a chat's history, as the gateway orders it."""
		params = {"limit": self._page_size(limit), "page": max(1, int(page))}
		data = self._call("GET", f"/api/messages/{_segment(session_id)}/{_segment(chat_id)}", params=params)
		items, total = self._list_and_total(data, ("messages", "items", "data"))
		return Page(
			[chat_message(item) for item in items if isinstance(item, dict)],
			total=total,
			page=page,
			limit=limit,
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
		total = opt_int(pagination.get("total"))
		return items, total if total is not None else opt_int(data.get("total"))

	def _page_size(self, limit: int) -> int:
		limit = int(limit)
		if not 1 <= limit <= MAX_PAGE_SIZE:
			raise self._invalid(f"limit must be 1-{MAX_PAGE_SIZE}")
		return limit

	def _invalid(self, message: str, secrets: Iterable[str | None] = ()) -> InvalidRequest:
		return InvalidRequest(
			message, provider=self.provider, code="VALIDATION_ERROR", secrets=(*self._secrets, *secrets)
		)

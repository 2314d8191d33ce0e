"""A loopback stand-in for the Inbox Hub WhatsApp gateway, for tests of every tier.

In process:
	with FakeInboxHub(api_key="k") as hub:
		client = InboxHubClient(hub.url, "k")

As a process (prints "fake-inbox-hub listening on http://127.0.0.1:8765" once ready):
	python -m xappiens_whatsapp.testing.fake_inbox_hub --port 8765 --api-key k [--shape B] [--auto-ack]

It keeps sessions and messages in memory, answers in the gateway's envelopes, checks `X-API-Key`, and posts
signed webhooks to each session's `webhookUrl` (session.qr after connect, session.connected after `scan`,
message.ack 1→2→3 after a send when `auto_ack`). Faults and settings can be scripted in Python or over
HTTP (see `fake_http` for `/__fake__/*`; extra script keys are listed on `run_script`).
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

from xappiens_whatsapp.testing.fake_http import (
	FakeServer,
	Fault,
	Request,
	Response,
	cli_parser,
	fault_dicts,
	run_cli,
)
from xappiens_whatsapp.testing.fake_inbox_hub_media import MediaRoutes, media_routes
from xappiens_whatsapp.testing.fake_inbox_hub_values import (
	_error,
	_ok,
	_utf16_len,
	c_us,
	chat_jid,
	iso,
	new_message_id,
	qr_png_base64,
)
from xappiens_whatsapp.testing.webhook_signer import WebhookOutbox
from xappiens_whatsapp.testing.wwebjs_messages import text_message

DEFAULT_API_KEY = "test-inbox-hub-api-key"
DEFAULT_PHONE = "34600000002"
# The `type`s the gateway's send endpoint takes.
MESSAGE_TYPES = frozenset("text image video audio document sticker location contact poll reaction".split())
MEDIA_TYPES = {"image", "video", "audio", "document", "sticker"}
QR_PREFIX = "data:image/png;base64,"
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{3,100}$")
_ACK_STATUS = {1: "sent", 2: "delivered", 3: "read", 4: "played", -1: "failed"}


class FakeInboxHub(MediaRoutes, FakeServer):
	name = "fake-inbox-hub"
	config_keys = frozenset(
		{
			"api_key",
			"send_response_shape",  # "A": data{messageId,…}; "B": data.message{id, whatsappMessageId,…}
			"session_response_nested",  # create/get answer data.session{…} (True) or data{…} (False)
			"history_list_key",  # "messages" | "items" | "data"
			"history_total_key",  # "pagination" (data.pagination.total) | "total" (data.total)
			"message_item_style",  # "crm" (body) | "doc" (content) | "legacy" (id{_serialized}, ack)
			"qr_prefix_repeat",  # how many data-URL prefixes /qr puts before the base64 (2 = the known bug)
			"auto_ack",  # after a send, post message.ack 1, 2, 3
			"ack_delay",  # seconds before each auto ack
			"emit_message_sent",  # after a send, post message.sent (the sources disagree whether it exists)
			"require_connected",  # refuse sends on sessions that are not connected
		}
	)

	def __init__(
		self,
		api_key: str = DEFAULT_API_KEY,
		host: str = "127.0.0.1",
		port: int = 0,
		*,
		send_response_shape: str = "A",
		auto_ack: bool = False,
		require_connected: bool = True,
		webhook_timeout: float = 7.0,
	) -> None:
		self.api_key = api_key
		self.send_response_shape = send_response_shape
		self.session_response_nested = True
		self.history_list_key = "messages"
		self.history_total_key = "pagination"
		self.message_item_style = "crm"
		self.qr_prefix_repeat = 1
		self.auto_ack = auto_ack
		self.ack_delay = 0.0
		self.emit_message_sent = False
		self.require_connected = require_connected
		self.sessions: dict[str, dict] = {}
		self.messages: list[dict] = []
		self.media: dict[tuple[str, str], dict] = {}
		self._next_gateway_id = 93
		self._next_row_id = 10854
		self.outbox = WebhookOutbox(timeout=webhook_timeout)
		super().__init__(host, port)
		self._routes = [
			("GET", r"/health", self._health),
			("GET", r"/api/webhooks/test/connectivity", self._connectivity),
			("POST", r"/api/sessions", self._create_session),
			("GET", r"/api/sessions", self._list_sessions),
			("GET", r"/api/sessions/(?P<sid>[^/]+)", self._get_session),
			("DELETE", r"/api/sessions/(?P<sid>[^/]+)", self._delete_session),
			("GET", r"/api/sessions/(?P<sid>[^/]+)/status", self._session_status),
			("GET", r"/api/sessions/(?P<sid>[^/]+)/qr", self._session_qr),
			("POST", r"/api/sessions/(?P<sid>[^/]+)/connect", self._connect),
			("POST", r"/api/sessions/(?P<sid>[^/]+)/disconnect", self._disconnect),
			("POST", r"/api/sessions/(?P<sid>[^/]+)/restart", self._restart),
			("PUT", r"/api/sessions/(?P<sid>[^/]+)/webhook", self._set_webhook),
			("POST", r"/api/sessions/(?P<sid>[^/]+)/sync", self._sync),
			("POST", r"/api/messages/(?P<sid>[^/]+)/send", self._send),
			("GET", r"/api/messages/(?P<sid>[^/]+)/chats", self._chats),
			("PUT", r"/api/messages/(?P<sid>[^/]+)/(?P<chat>[^/]+)/read", self._mark_read),
			("GET", r"/api/messages/(?P<sid>[^/]+)/(?P<chat>[^/]+)", self._history),
			("GET", r"/api/messages/(?P<sid>[^/]+)", self._history),
			*media_routes(self),
		]
		self._compiled = [(m, re.compile(f"^{p}/?$"), h) for m, p, h in self._routes]

	def start(self) -> FakeInboxHub:
		if self.outbox.closed:
			self.outbox = WebhookOutbox(timeout=self.outbox.timeout)
		super().start()
		return self

	def stop(self) -> None:
		super().stop()
		self.outbox.close()

	# ---- Python control API ------------------------------------------------------------------------

	def add_session(
		self,
		session_id: str,
		*,
		webhook_url: str | None = None,
		webhook_secret: str | None = None,
		connected: bool = True,
		phone_number: str | None = DEFAULT_PHONE,
		name: str | None = None,
		events: Sequence[str] | None = None,
	) -> dict:
		"""Put a session in place without going through the API (e.g. already linked to a phone)."""
		with self._lock:
			session = self._new_session(session_id, name or session_id, webhook_url, webhook_secret, events)
			if connected:
				session.update(status="connected", isConnected=True, phoneNumber=phone_number)
			return dict(session)

	def session(self, session_id: str) -> dict:
		return self.sessions[session_id]

	def update_session(self, session_id: str, **fields: Any) -> dict:
		"""Overwrite raw session fields (camelCase), e.g. a stale `status` with `isConnected=False`."""
		with self._lock:
			self.sessions[session_id].update(fields)
			return dict(self.sessions[session_id])

	def scan(self, session_id: str, phone_number: str = DEFAULT_PHONE) -> None:
		"""The phone scanned the QR: the session connects and `session.connected` is posted."""
		with self._lock:
			session = self.sessions[session_id]
			session.update(
				status="connected",
				isConnected=True,
				phoneNumber=phone_number,
				qrCode=None,
				lastActivity=iso(),
			)
		self.emit(session_id, "session.connected", {"phoneNumber": phone_number, "timestamp": iso()})

	def logout(self, session_id: str, reason: str = "logout") -> None:
		"""The phone unlinked the device: `session.disconnected` with `reason`."""
		with self._lock:
			self.sessions[session_id].update(status="disconnected", isConnected=False, qrCode=None)
		self.emit(session_id, "session.disconnected", {"reason": reason, "timestamp": iso()})

	def receive(self, session_id: str, from_phone: str, text: str, message_id: str | None = None) -> str:
		"""A contact wrote to the session: store it and post `message.received` (envelope G)."""
		message_id = message_id or new_message_id()
		with self._lock:
			session = self.sessions[session_id]
			chat = chat_jid(from_phone)
			stored = self._store(session, chat, from_me=False, body=text, type_="text", message_id=message_id)
			stored.update(status="received", isRead=False)
		remote = c_us(chat)
		own = f"{session.get('phoneNumber') or session_id}@c.us"
		self.emit(
			session_id,
			"message.received",
			text_message(
				remote,
				own,
				message_id,
				text,
				stored["epoch"],
				from_me=False,
				isStarred=False,
				isStatus=False,
				quotedMsgId=None,
			),
		)
		return message_id

	def ack(self, session_id: str, message_id: str, ack: int, delay: float = 0.0) -> None:
		"""Post `message.ack` for a message (and move its stored status)."""
		with self._lock:
			for message in self.messages:
				if message["whatsappMessageId"] == message_id:
					message["ack"] = ack
					message["status"] = _ACK_STATUS.get(ack, message["status"])
		self.emit(
			session_id,
			"message.ack",
			{"messageId": message_id, "ack": ack, "timestamp": int(time.time())},
			delay,
		)

	def emit(self, session_id: str, event: str, data: Any, delay: float = 0.0) -> bool:
		"""Queue a signed delivery of `{event, sessionId, data, timestamp}` to the session's webhook URL.

		Returns False (nothing sent) when the session has no URL or did not subscribe to `event`.
		"""
		with self._lock:
			session = self.sessions.get(session_id) or {}
			url = session.get("webhookUrl")
			events = session.get("webhookEvents") or []
			if not url or (events and event not in events):
				return False
			secret = session.get("webhookSecret")
		payload = {"event": event, "sessionId": session_id, "data": data, "timestamp": iso()}
		self.outbox.enqueue(url, payload, secret, session_id, event, delay)
		return True

	def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
		return self.outbox.wait(timeout)

	@property
	def webhooks(self) -> list[dict]:
		"""Every delivery attempted so far: url, event, session_id, payload, status, response, error."""
		return self.outbox.snapshot()

	def sent_messages(self, session_id: str | None = None) -> list[dict]:
		with self._lock:
			return [
				dict(m)
				for m in self.messages
				if m["fromMe"] and (session_id is None or m["sessionId"] == session_id)
			]

	def run_script(self, program: dict) -> None:
		"""Script keys, applied in this order (each takes one object or a list of them):

		add_sessions {session_id, webhook_url?, webhook_secret?, connected?, phone_number?, name?, events?},
		update_session {session_id, <camelCase field>: value…}, scan {session_id, phone_number?},
		logout {session_id, reason?}, receive {session_id, from_phone, text, message_id?},
		ack {session_id, message_id, ack, delay?}, emit {session_id, event, data, delay?}.
		"""
		for spec in _as_list(program.get("add_sessions")):
			self.add_session(spec.pop("session_id"), **spec)
		for spec in _as_list(program.get("update_session")):
			self.update_session(spec.pop("session_id"), **spec)
		for spec in _as_list(program.get("scan")):
			self.scan(spec["session_id"], spec.get("phone_number", DEFAULT_PHONE))
		for spec in _as_list(program.get("logout")):
			self.logout(spec["session_id"], spec.get("reason", "logout"))
		for spec in _as_list(program.get("receive")):
			self.receive(spec["session_id"], spec["from_phone"], spec["text"], spec.get("message_id"))
		for spec in _as_list(program.get("ack")):
			self.ack(spec["session_id"], spec["message_id"], int(spec["ack"]), float(spec.get("delay", 0.0)))
		for spec in _as_list(program.get("emit")):
			self.emit(spec["session_id"], spec["event"], spec.get("data"), float(spec.get("delay", 0.0)))
		self.run_media_script(program)

	def reset_state(self) -> None:
		self.sessions.clear()
		self.messages.clear()
		self.media.clear()
		self.outbox.clear()

	def state(self) -> dict:
		with self._lock:
			sessions = [
				{
					**self._public(s),
					"webhookEvents": s.get("webhookEvents"),
					"hasWebhookSecret": bool(s.get("webhookSecret")),
				}
				for s in self.sessions.values()
			]
			return {
				"sessions": sessions,
				"messages": [dict(m) for m in self.messages],
				"webhooks": self.webhooks,
				"faults": fault_dicts(self.faults),
				"config": {key: getattr(self, key) for key in sorted(self.config_keys - {"api_key"})},
			}

	def default_error_body(self, fault: Fault) -> Any:
		return {
			"success": False,
			"error": fault.error
			or ("Rate limit exceeded" if fault.status == 429 else "Internal server error"),
			"code": fault.code or ("RATE_LIMIT_EXCEEDED" if fault.status == 429 else "INTERNAL_ERROR"),
		}

	# ---- HTTP --------------------------------------------------------------------------------------

	def route(self, request: Request) -> Response:
		for method, pattern, handler in self._compiled:
			match = pattern.match(request.raw_path)
			if not match:
				continue
			if method != request.method:
				continue
			public = not request.path.startswith("/api/") or request.path == "/api/webhooks/test/connectivity"
			if not public:
				denied = self._check_key(request)
				if denied:
					return denied
			if request.json_error:
				return _error(400, "Invalid JSON body", "VALIDATION_ERROR")
			params = {k: _unquote(v) for k, v in match.groupdict().items()}
			with self._lock:
				return handler(request, **params)
		if any(p.match(request.raw_path) for _, p, _ in self._compiled):
			return _error(405, "Method not allowed", "METHOD_NOT_ALLOWED")
		return _error(404, f"Route {request.method} {request.path} not found", "NOT_FOUND")

	def _check_key(self, request: Request) -> Response | None:
		given = request.header("X-API-Key")
		if not given:
			return _error(401, "API key is required", "MISSING_API_KEY")
		if not secrets.compare_digest(given.encode(), self.api_key.encode()):
			return _error(401, "Invalid API key", "INVALID_API_KEY")
		return None

	def _health(self, request: Request) -> Response:
		return Response(200, {"status": "ok", "timestamp": iso()})

	def _connectivity(self, request: Request) -> Response:
		return Response(
			200,
			{
				"success": True,
				"message": "Webhook connectivity OK",
				"timestamp": iso(),
				"server": "Inbox Hub WhatsApp API",
				"version": "2.0.0",
			},
		)

	# sessions

	def _new_session(
		self,
		session_id: str,
		name: str,
		webhook_url: str | None,
		webhook_secret: str | None,
		events: Sequence[str] | None,
		phone_number: str | None = None,
	) -> dict:
		now = iso()
		session = {
			"id": self._next_gateway_id,
			"sessionId": session_id,
			"sessionName": name,
			"status": "pending",
			"phoneNumber": phone_number,
			"isConnected": False,
			"qrCode": None,
			"qrExpiresAt": None,
			"webhookUrl": webhook_url,
			"webhookSecret": webhook_secret,
			"webhookEvents": list(events) if events else None,
			"createdAt": now,
			"lastActivity": now,
		}
		self._next_gateway_id += 1
		self.sessions[session_id] = session
		return session

	def _find(self, key: str) -> dict | None:
		"""Session by numeric gateway id or by sessionId (the gateway accepts either on some routes)."""
		if key in self.sessions:
			return self.sessions[key]
		return next((s for s in self.sessions.values() if str(s["id"]) == key), None)

	@staticmethod
	def _public(session: dict) -> dict:
		return {
			"id": session["id"],
			"sessionId": session["sessionId"],
			"sessionName": session["sessionName"],
			"status": session["status"],
			"phoneNumber": session["phoneNumber"],
			"isConnected": session["isConnected"],
			"hasQR": bool(session["qrCode"]),
			"lastActivity": session["lastActivity"],
			"createdAt": session["createdAt"],
		}

	def _wrap_session(self, item: dict) -> dict:
		return {"session": item} if self.session_response_nested else item

	def _create_session(self, request: Request) -> Response:
		body = request.json if isinstance(request.json, dict) else {}
		session_id = body.get("sessionId")
		details = {}
		if not isinstance(session_id, str) or not _SESSION_ID.match(session_id):
			details["sessionId"] = "sessionId must be 3-100 characters: letters, digits, _ or -"
		name = body.get("sessionName")
		if not isinstance(name, str) or not 1 <= len(name) <= 255:
			details["sessionName"] = "sessionName is required (1-255 characters)"
		secret = body.get("webhookSecret")
		if secret is not None and (not isinstance(secret, str) or not 16 <= len(secret) <= 255):
			details["webhookSecret"] = "webhookSecret must be 16-255 characters"
		if details:
			return _error(400, "Validation failed", "VALIDATION_ERROR", details)
		if session_id in self.sessions:
			return _error(409, "Session already exists", "SESSION_ALREADY_EXISTS")
		session = self._new_session(
			session_id,
			name,
			body.get("webhookUrl"),
			secret,
			body.get("webhookEvents"),
			body.get("phoneNumber"),
		)
		item = {**self._public(session), "qrCode": None, "webhookUrl": session["webhookUrl"]}
		return _ok(self._wrap_session(item), 201, "Session created successfully")

	def _list_sessions(self, request: Request) -> Response:
		page, limit = _paging(request, default_limit=20)
		items = [
			s
			for s in self.sessions.values()
			if not request.query.get("status") or s["status"] == request.query["status"]
		]
		chunk = items[(page - 1) * limit : page * limit]
		return _ok(
			{"sessions": [self._public(s) for s in chunk], "pagination": _pagination(len(items), page, limit)}
		)

	def _get_session(self, request: Request, sid: str) -> Response:
		session = self._find(sid)
		if not session:
			return _error(404, "Session not found", "SESSION_NOT_FOUND")
		return _ok(self._wrap_session(self._public(session)))

	def _delete_session(self, request: Request, sid: str) -> Response:
		session = self._find(sid)
		if not session:
			return _error(404, "Session not found", "SESSION_NOT_FOUND")
		del self.sessions[session["sessionId"]]
		return _ok(None, message="Session deleted successfully")

	def _session_status(self, request: Request, sid: str) -> Response:
		session = self._find(sid)
		if not session:
			return _error(404, "Session not found", "SESSION_NOT_FOUND")
		public = self._public(session)
		return _ok(
			{
				k: public[k]
				for k in ("id", "sessionId", "status", "phoneNumber", "lastActivity", "isConnected", "hasQR")
			}
		)

	def _session_qr(self, request: Request, sid: str) -> Response:
		session = self._find(sid)
		if not session:
			return _error(404, "Session not found", "SESSION_NOT_FOUND")
		if not session["qrCode"]:
			return _error(404, "QR code not available", "QR_NOT_AVAILABLE")
		return _ok(
			{
				"qrCode": QR_PREFIX * max(0, int(self.qr_prefix_repeat)) + session["qrCode"],
				"sessionId": session["sessionId"],
				"expiresAt": session["qrExpiresAt"],
				"status": session["status"],
			}
		)

	def _new_qr(self, session: dict) -> None:
		session.update(
			status="qr_code",
			isConnected=False,
			qrCode=qr_png_base64(),
			qrExpiresAt=iso(time.time() + timedelta(minutes=5).total_seconds()),
			lastActivity=iso(),
		)
		self.emit(
			session["sessionId"],
			"session.qr",
			{"qrCode": QR_PREFIX + session["qrCode"], "expiresAt": session["qrExpiresAt"]},
		)

	def _connect(self, request: Request, sid: str) -> Response:
		session = self._find(sid)
		if not session:
			return _error(404, "Session not found", "SESSION_NOT_FOUND")
		if session["isConnected"]:
			return _ok(
				{"sessionId": session["sessionId"], "status": "connected"},
				message="Session already connected",
			)
		self._new_qr(session)
		return _ok({"sessionId": session["sessionId"], "status": "connecting"}, message="Connection started")

	def _disconnect(self, request: Request, sid: str) -> Response:
		session = self._find(sid)
		if not session:
			return _error(404, "Session not found", "SESSION_NOT_FOUND")
		was_connected = session["isConnected"]
		session.update(status="disconnected", isConnected=False, qrCode=None, lastActivity=iso())
		if was_connected:
			self.emit(session["sessionId"], "session.disconnected", {"reason": "manual", "timestamp": iso()})
		return _ok(
			{"sessionId": session["sessionId"], "status": "disconnected"}, message="Session disconnected"
		)

	def _restart(self, request: Request, sid: str) -> Response:
		session = self._find(sid)
		if not session:
			return _error(404, "Session not found", "SESSION_NOT_FOUND")
		if not session["isConnected"]:
			self._new_qr(session)
		return _ok(
			{"sessionId": session["sessionId"], "status": session["status"]}, message="Session restarted"
		)

	def _set_webhook(self, request: Request, sid: str) -> Response:
		session = self._find(sid)
		if not session:
			return _error(404, "Session not found", "SESSION_NOT_FOUND")
		body = request.json if isinstance(request.json, dict) else {}
		if not body.get("webhookUrl"):
			return _error(
				400, "Validation failed", "VALIDATION_ERROR", {"webhookUrl": "webhookUrl is required"}
			)
		session["webhookUrl"] = body["webhookUrl"]
		if "webhookSecret" in body:
			session["webhookSecret"] = body["webhookSecret"]
		if "webhookEvents" in body:
			session["webhookEvents"] = body["webhookEvents"]
		return _ok(
			{"sessionId": session["sessionId"], "webhookUrl": session["webhookUrl"]},
			message="Webhook updated",
		)

	def _sync(self, request: Request, sid: str) -> Response:
		session = self._find(sid)
		if not session:
			return _error(404, "Session not found", "SESSION_NOT_FOUND")
		chats = {m["chatId"] for m in self.messages if m["sessionId"] == session["sessionId"]}
		return _ok(
			{
				"sessionId": session["sessionId"],
				"contactsSynced": len(chats),
				"chatsSynced": len(chats),
				"timestamp": iso(),
			}
		)

	# messages

	def _send(self, request: Request, sid: str) -> Response:
		session = self._find(sid)
		if not session:
			return _error(404, "Session not found", "SESSION_NOT_FOUND")
		if self.require_connected and not session["isConnected"]:
			return _error(400, "Session is not connected", "SESSION_NOT_CONNECTED")
		body = request.json if isinstance(request.json, dict) else {}
		to = body.get("to")
		kind = body.get("type") or "text"
		message = body.get("message")
		if not isinstance(to, str) or not to.strip():
			return _error(400, "Validation failed", "VALIDATION_ERROR", {"to": '"to" is required'})
		if "@" not in to and not re.fullmatch(r"\d{7,15}", to):
			return _error(
				400, "Validation failed", "VALIDATION_ERROR", {"to": '"to" must be a phone number or a JID'}
			)
		if kind not in MESSAGE_TYPES:
			return _error(
				400,
				"Validation failed",
				"VALIDATION_ERROR",
				{"type": f'"type" must be one of {sorted(MESSAGE_TYPES)}'},
			)
		text, problem = _message_text(kind, message)
		if problem:
			return problem
		chat = chat_jid(to)
		stored = self._store(
			session, chat, from_me=True, body=text, type_=kind, message_id=new_message_id(), raw=message
		)
		self._after_send(session, stored)
		if self.send_response_shape == "B":
			data = {
				"message": {
					"id": stored["id"],
					"whatsappMessageId": stored["whatsappMessageId"],
					"chatId": chat,
					"fromMe": True,
					"body": text,
					"type": kind,
					"status": "sent",
					"timestamp": iso(stored["epoch"]),
				}
			}
		else:
			data = {
				"messageId": stored["whatsappMessageId"],
				"to": chat,
				"message": message,
				"type": kind,
				"status": "sent",
				"timestamp": iso(stored["epoch"]),
			}
		return _ok(data, message="Message sent successfully")

	def _after_send(self, session: dict, stored: dict) -> None:
		session_id = session["sessionId"]
		message_id = stored["whatsappMessageId"]
		if self.emit_message_sent:
			remote = c_us(stored["chatId"])
			own = f"{session.get('phoneNumber') or session_id}@c.us"
			self.emit(
				session_id,
				"message.sent",
				text_message(remote, own, message_id, stored["body"], stored["epoch"], from_me=True),
			)
		if self.auto_ack:
			for ack in (1, 2, 3):
				self.ack(session_id, message_id, ack, delay=float(self.ack_delay))

	def _store(
		self,
		session: dict,
		chat: str,
		*,
		from_me: bool,
		body: str,
		type_: str,
		message_id: str,
		raw: Any = None,
	) -> dict:
		now = time.time()
		own = f"{session.get('phoneNumber') or session['sessionId']}@s.whatsapp.net"
		stored = {
			"id": self._next_row_id,
			"whatsappMessageId": message_id,
			"sessionId": session["sessionId"],
			"chatId": chat,
			"from": own if from_me else chat,
			"to": chat if from_me else own,
			"fromMe": from_me,
			"type": type_,
			"body": body,
			"status": "sent" if from_me else "received",
			"ack": 1 if from_me else None,
			"isRead": from_me,
			"epoch": now,
			"message": raw,
		}
		self._next_row_id += 1
		self.messages.append(stored)
		session["lastActivity"] = iso(now)
		return stored

	def _history(self, request: Request, sid: str, chat: str | None = None) -> Response:
		session = self._find(sid)
		if not session:
			return _error(404, "Session not found", "SESSION_NOT_FOUND")
		chat = chat or request.query.get("chatId")
		page, limit = _paging(request, default_limit=50)
		wanted = chat_jid(chat) if chat else None
		items = [
			m
			for m in reversed(self.messages)
			if m["sessionId"] == session["sessionId"] and (wanted is None or m["chatId"] == wanted)
		]
		chunk = [self._item(m) for m in items[(page - 1) * limit : page * limit]]
		data: dict[str, Any] = {self.history_list_key: chunk}
		if self.history_total_key == "total":
			data["total"] = len(items)
		else:
			data["pagination"] = _pagination(len(items), page, limit)
		if wanted:
			data["chatInfo"] = {
				"chatId": wanted,
				"name": wanted.split("@", 1)[0],
				"isGroup": wanted.endswith("@g.us"),
			}
		return _ok(data)

	def _item(self, m: dict) -> dict:
		if self.message_item_style == "legacy":
			remote = c_us(m["chatId"])
			tail = "out" if m["fromMe"] else "in"
			return {
				"id": {
					"fromMe": m["fromMe"],
					"remote": remote,
					"id": m["whatsappMessageId"],
					"_serialized": f"{str(m['fromMe']).lower()}_{remote}_{m['whatsappMessageId']}_{tail}",
				},
				"body": m["body"],
				"type": "chat" if m["type"] == "text" else m["type"],
				"timestamp": int(m["epoch"]),
				"from": c_us(m["from"]),
				"to": c_us(m["to"]),
				"fromMe": m["fromMe"],
				"ack": m["ack"],
			}
		item = {
			"id": m["id"],
			"whatsappMessageId": m["whatsappMessageId"],
			"chatId": m["chatId"],
			"from": m["from"],
			"to": m["to"],
			"fromMe": m["fromMe"],
			"type": m["type"],
			"timestamp": iso(m["epoch"]),
			"status": m["status"],
			"isRead": m["isRead"],
			"mediaUrl": None,
			"hasReactions": False,
		}
		item["content" if self.message_item_style == "doc" else "body"] = m["body"]
		return item

	def _chats(self, request: Request, sid: str) -> Response:
		session = self._find(sid)
		if not session:
			return _error(404, "Session not found", "SESSION_NOT_FOUND")
		page, limit = _paging(request, default_limit=20)
		latest: dict[str, dict] = {}
		for m in self.messages:
			if m["sessionId"] == session["sessionId"]:
				latest[m["chatId"]] = m
		chats = [
			{
				"chatId": chat,
				"name": chat.split("@", 1)[0],
				"isGroup": chat.endswith("@g.us"),
				"lastMessage": {"body": m["body"], "timestamp": int(m["epoch"]), "fromMe": m["fromMe"]},
				"unreadCount": sum(
					1 for x in self.messages if x["chatId"] == chat and not x["fromMe"] and not x["isRead"]
				),
			}
			for chat, m in sorted(latest.items(), key=lambda kv: kv[1]["epoch"], reverse=True)
		]
		return _ok(
			{
				"chats": chats[(page - 1) * limit : page * limit],
				"pagination": _pagination(len(chats), page, limit),
			}
		)

	def _mark_read(self, request: Request, sid: str, chat: str) -> Response:
		session = self._find(sid)
		if not session:
			return _error(404, "Session not found", "SESSION_NOT_FOUND")
		wanted = chat_jid(chat)
		marked = 0
		for m in self.messages:
			if (
				m["sessionId"] == session["sessionId"]
				and m["chatId"] == wanted
				and not m["fromMe"]
				and not m["isRead"]
			):
				m["isRead"] = True
				marked += 1
		return _ok({"markedCount": marked}, message="Messages marked as read")


def _message_text(kind: str, message: Any) -> tuple[str, Response | None]:
	"""What the message says (for history), or the gateway's validation error."""
	if kind == "text":
		if not isinstance(message, str) or not message:
			return "", _error(
				400, "Message content is required", "VALIDATION_ERROR", {"message": '"message" is required'}
			)
		if _utf16_len(message) > 4096:
			return "", _error(
				400,
				"Validation failed",
				"VALIDATION_ERROR",
				{"message": '"message" must be at most 4096 characters'},
			)
		return message, None
	if not isinstance(message, dict):
		return "", _error(
			400, "Validation failed", "VALIDATION_ERROR", {"message": '"message" must be an object'}
		)
	if kind in MEDIA_TYPES:
		source = message.get(kind)
		if not isinstance(source, dict) or not any(
			source.get(k) for k in ("url", "path", "buffer", "base64")
		):
			return "", _error(
				400,
				"Validation failed",
				"VALIDATION_ERROR",
				{kind: f"{kind}.url or {kind}.base64 is required"},
			)
		if not message.get("caption"):
			return "", _error(400, "Message content is required", "VALIDATION_ERROR")
		return str(message["caption"]), None
	if kind == "location":
		location = message.get("location") if isinstance(message.get("location"), dict) else message
		lat = location.get("degreesLatitude", location.get("lat"))
		lng = location.get("degreesLongitude", location.get("lng"))
		if not isinstance(lat, int | float) or not isinstance(lng, int | float):
			return "", _error(
				400,
				"Validation failed",
				"VALIDATION_ERROR",
				{"location": "latitude and longitude are required"},
			)
		return str(location.get("name") or f"{lat},{lng}"), None
	return str(message), None


def _paging(request: Request, default_limit: int) -> tuple[int, int]:
	try:
		page = max(1, int(request.query.get("page", 1)))
		limit = min(100, max(1, int(request.query.get("limit", default_limit))))
	except ValueError:
		page, limit = 1, default_limit
	return page, limit


def _pagination(total: int, page: int, limit: int) -> dict:
	return {"total": total, "page": page, "limit": limit, "pages": (total + limit - 1) // limit}


def _as_list(value: Any) -> list[dict]:
	if value is None:
		return []
	items = value if isinstance(value, list) else [value]
	return [dict(item) for item in items]


def _unquote(value: str | None) -> str | None:
	return None if value is None else unquote(value)


def main(argv: Sequence[str] | None = None) -> None:
	parser = cli_parser("Fake Inbox Hub gateway on loopback", default_port=8765)
	parser.add_argument("--api-key", default=os.environ.get("FAKE_INBOX_HUB_API_KEY", DEFAULT_API_KEY))
	parser.add_argument("--shape", choices=("A", "B"), default="A", help="send response shape")
	parser.add_argument("--auto-ack", action="store_true", help="post message.ack 1, 2, 3 after each send")
	parser.add_argument(
		"--allow-disconnected-sends",
		action="store_true",
		help="accept sends on sessions that are not connected",
	)
	run_cli(
		lambda args: FakeInboxHub(
			args.api_key,
			args.host,
			args.port,
			send_response_shape=args.shape,
			auto_ack=args.auto_ack,
			require_connected=not args.allow_disconnected_sends,
		),
		parser,
		argv,
	)


if __name__ == "__main__":
	main()

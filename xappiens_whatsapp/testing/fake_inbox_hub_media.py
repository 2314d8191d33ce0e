"""The fake gateway's received media: files customers send, posted as `message.received` with media, and the
media download route `GET /api/messages/:sessionId/:messageId/media` in each answer shape the gateway's code
shows (the bytes, JSON with base64, JSON with an address on the gateway). Failures are scripted with the faults
of `fake_http` (404, delays past the client's timeout) or by the file itself (too large, a refused type)."""

from __future__ import annotations

import base64
import time
from typing import Any

from xappiens_whatsapp.testing.fake_http import Request, Response

MEDIA_SHAPES = ("raw", "base64", "url")
# The smallest files of each kind the desk can show, so browser tests can play and display them.
TINY_JPEG = base64.b64decode(
	"/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////"
	"////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA="
)


def tiny_png() -> bytes:
	from xappiens_whatsapp.testing.fake_inbox_hub_values import qr_png_base64

	return base64.b64decode(qr_png_base64(modules=8, scale=4))


class MediaRoutes:
	"""Mixed into FakeInboxHub: `self.media` maps (sessionId, messageId) to a file and how to answer for it."""

	media: dict[tuple[str, str], dict]

	def put_media(
		self,
		session_id: str,
		message_id: str,
		content: bytes,
		mimetype: str,
		filename: str | None = None,
		shape: str = "raw",
	) -> None:
		if shape not in MEDIA_SHAPES:
			raise ValueError(f"shape must be one of {MEDIA_SHAPES}")
		with self._lock:
			self.media[(session_id, message_id)] = {
				"content": content,
				"mimetype": mimetype,
				"filename": filename,
				"shape": shape,
			}

	def receive_media(
		self,
		session_id: str,
		from_phone: str,
		kind: str,
		content: bytes,
		mimetype: str,
		*,
		caption: str = "",
		filename: str | None = None,
		shape: str = "raw",
		message_id: str | None = None,
		media_url: str | None = None,
	) -> str:
		"""A contact sent a file: keep it for the media route and post `message.received` (envelope F), with
		`media.url` set only when `media_url` is given (WhatsApp's own addresses are temporary)."""
		from xappiens_whatsapp.testing.fake_inbox_hub_values import chat_jid, new_message_id

		message_id = message_id or new_message_id()
		self.put_media(session_id, message_id, content, mimetype, filename, shape)
		with self._lock:
			session = self.sessions[session_id]
			chat = chat_jid(from_phone)
			stored = self._store(
				session, chat, from_me=False, body=caption, type_=kind, message_id=message_id
			)
			stored.update(status="received", isRead=False)
		media = {"filename": filename, "filesize": len(content), "mimetype": mimetype, "url": media_url}
		self.emit(
			session_id,
			"message.received",
			{
				"sessionId": session_id,
				"message": {
					"whatsappMessageId": message_id,
					"content": caption,
					"chatId": chat,
					"from": chat,
					"to": session_id,
					"timestamp": int(stored["epoch"]),
					"type": kind,
					"has_attachment": True,
					"media": media,
				},
			},
		)
		return message_id

	def run_media_script(self, program: dict) -> None:
		"""Script key `receive_media` {session_id, from_phone, kind, content_base64, mimetype, caption?, filename?,
		shape?, message_id?}."""
		specs = program.get("receive_media") or []
		for spec in specs if isinstance(specs, list) else [specs]:
			self.receive_media(
				spec["session_id"],
				spec["from_phone"],
				spec["kind"],
				base64.b64decode(spec["content_base64"]),
				spec["mimetype"],
				caption=spec.get("caption", ""),
				filename=spec.get("filename"),
				shape=spec.get("shape", "raw"),
				message_id=spec.get("message_id"),
			)

	def _media_route(self, request: Request, sid: str, mid: str) -> Response:
		from xappiens_whatsapp.testing.fake_inbox_hub_values import _error, _ok

		item = self.media.get((sid, mid))
		if item is None:
			return _error(404, "Media not found", "MEDIA_NOT_FOUND")
		if item["shape"] == "raw":
			headers = {}
			if item["filename"]:
				headers["Content-Disposition"] = f'attachment; filename="{item["filename"]}"'
			return Response(200, item["content"], headers=headers, content_type=item["mimetype"])
		data: dict[str, Any] = {"mimetype": item["mimetype"], "filename": item["filename"]}
		if item["shape"] == "base64":
			data["base64"] = base64.b64encode(item["content"]).decode()
		else:
			data["url"] = f"/__media__/{sid}/{mid}"
		return _ok(data)

	def _media_file(self, request: Request, sid: str, mid: str) -> Response:
		"""Where the `url` shape points: the gateway's own static file (also behind the API key)."""
		from xappiens_whatsapp.testing.fake_inbox_hub_values import _error

		if not request.header("X-API-Key"):
			return _error(401, "API key is required", "MISSING_API_KEY")
		item = self.media.get((sid, mid))
		if item is None:
			return _error(404, "Media not found", "MEDIA_NOT_FOUND")
		return Response(200, item["content"], content_type=item["mimetype"])

	def media_requests(self) -> list[dict]:
		return [r for r in self.requests if r["path"].endswith("/media") or "/__media__/" in r["path"]]


def media_routes(hub: Any) -> list[tuple[str, str, Any]]:
	return [
		("GET", r"/api/messages/(?P<sid>[^/]+)/(?P<mid>[^/]+)/media", hub._media_route),
		("GET", r"/__media__/(?P<sid>[^/]+)/(?P<mid>[^/]+)", hub._media_file),
	]


def wait_until(predicate, timeout: float = 10.0, step: float = 0.1) -> bool:
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		if predicate():
			return True
		time.sleep(step)
	return predicate()

"""One delivery of the simulator's stream: what it posts and how it is signed (see simulator.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from xappiens_whatsapp.core.signatures import serialise, sign


class NotLoopback(ValueError):
	"""The target URL is not on this machine (or its host name does not resolve)."""


def iso(moment: float) -> str:
	return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(eq=False)
class Delivery:
	"""One logical delivery. A retried one appears twice in the stream and posts the same body again."""

	seq: int
	provider: str  # "Inbox Hub" or "Netelip"
	kind: str  # message.received, message.sent, message.ack, session.qr, session.connected, call.control…
	path: str = field(repr=False)  # a Netelip path carries the callback token
	dedup_keys: tuple[str, ...] = ()
	session_id: str | None = None
	payload: dict | None = None  # Inbox Hub: the envelope, stamped with the send time on first send
	secret: str | None = field(default=None, repr=False)
	body: bytes | None = None  # Netelip: the finished body
	content_type: str = "application/json"
	_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
	_rendered: bytes | None = field(default=None, repr=False)

	def render(self, now: float) -> bytes:
		"""The bytes to post. An Inbox Hub envelope carries the time it was first sent; a retry reuses them."""
		with self._lock:
			if self._rendered is None:
				if self.payload is not None:
					self._rendered = serialise({**self.payload, "timestamp": iso(now)})
				else:
					self._rendered = self.body or b""
			return self._rendered

	def headers(self, body: bytes, now: float) -> dict[str, str]:
		headers = {"Content-Type": self.content_type}
		if self.provider == "Inbox Hub":
			headers.update(
				{
					"X-Webhook-Event": self.kind,
					"X-Webhook-Session": self.session_id or "",
					"X-Webhook-Timestamp": str(int(now * 1000)),  # unsigned, fresh on every attempt
					"X-Webhook-Signature": sign(body, self.secret or ""),
				}
			)
		return headers

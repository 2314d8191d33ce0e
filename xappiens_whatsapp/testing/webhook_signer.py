"""Signed webhook deliveries the way the Inbox Hub gateway makes them (spec §5.2).

The signature is HMAC-SHA256 over the exact bytes posted, which are compact JSON like Node's
`JSON.stringify`; it travels as `X-Webhook-Signature: sha256=<hex>`. The timestamp header is not signed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from xappiens_whatsapp.core.signatures import serialise, sign

logger = logging.getLogger(__name__)


def signed_headers(
	body: bytes, secret: str | None, session_id: str, event: str, timestamp_ms: int | None = None
) -> dict[str, str]:
	"""Delivery headers; no signature header when there is no secret, as the gateway does."""
	headers = {
		"Content-Type": "application/json",
		"X-Webhook-Event": event,
		"X-Webhook-Session": session_id,
		"X-Webhook-Timestamp": str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms),
	}
	if secret:
		headers["X-Webhook-Signature"] = sign(body, secret)
	return headers


def post_signed(
	url: str,
	payload: Any,
	secret: str | None,
	session_id: str,
	event: str,
	timestamp_ms: int | None = None,
	*,
	timeout: float = 7.0,
	extra_headers: Mapping[str, str] | None = None,
) -> tuple[int, str]:
	"""POST one delivery; return (HTTP status, response text). Transport errors propagate."""
	body = serialise(payload)
	headers = signed_headers(body, secret, session_id, event, timestamp_ms)
	if extra_headers:
		headers.update(extra_headers)
	response = requests.post(url, data=body, headers=headers, timeout=timeout)
	return response.status_code, response.text


@dataclass
class Delivery:
	url: str
	event: str
	session_id: str
	payload: Any
	status: int | None = None
	response: str | None = None
	error: str | None = None
	sent_at: float = field(default_factory=time.time)


class WebhookOutbox:
	"""Delivers in the background, one at a time and in order, and keeps a log of every attempt.

	Order matters: acks 1, 2, 3 for one message must arrive in that order unless a test scrambles them.
	"""

	def __init__(self, timeout: float = 7.0) -> None:
		self.timeout = timeout
		self.deliveries: list[Delivery] = []
		self._queue: queue.Queue[tuple[float, Delivery, str | None] | None] = queue.Queue()
		self._lock = threading.Lock()
		self._closed = False
		self._thread = threading.Thread(target=self._run, name="webhook-outbox", daemon=True)
		self._thread.start()

	def enqueue(
		self, url: str, payload: Any, secret: str | None, session_id: str, event: str, delay: float = 0.0
	) -> None:
		self._queue.put((delay, Delivery(url, event, session_id, payload), secret))

	def wait(self, timeout: float = 5.0) -> bool:
		"""Block until everything queued so far was attempted; False on timeout."""
		deadline = time.monotonic() + timeout
		while self._queue.unfinished_tasks:
			if time.monotonic() > deadline:
				return False
			time.sleep(0.01)
		return True

	@property
	def closed(self) -> bool:
		return self._closed

	def close(self) -> None:
		if not self._closed:
			self._closed = True
			self._queue.put(None)

	def clear(self) -> None:
		with self._lock:
			self.deliveries.clear()

	def snapshot(self) -> list[dict]:
		with self._lock:
			return [dict(vars(d)) for d in self.deliveries]

	def _run(self) -> None:
		while True:
			item = self._queue.get()
			try:
				if item is None:
					return
				delay, delivery, secret = item
				if delay > 0:
					time.sleep(delay)
				try:
					delivery.status, delivery.response = post_signed(
						delivery.url,
						delivery.payload,
						secret,
						delivery.session_id,
						delivery.event,
						timeout=self.timeout,
					)
				except requests.RequestException as exc:
					delivery.error = f"{type(exc).__name__}: {exc}"
					logger.info("webhook %s to %s failed: %s", delivery.event, delivery.url, delivery.error)
				with self._lock:
					self.deliveries.append(delivery)
			finally:
				self._queue.task_done()

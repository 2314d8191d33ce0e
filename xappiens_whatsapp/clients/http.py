"""A small JSON-over-HTTP client: timeouts, bounded retries and typed errors, decided in one place.

Retry policy (`JsonHttpClient.request`): at most `max_attempts` tries in total, waiting `backoff_base`
then twice that, or what `Retry-After` asks when it is within `max_wait`. Retried: 429, 5xx and transport
failures. Never retried: other 4xx. Requests marked non-idempotent (a send, a call launch) are retried only
when the server cannot have acted on them: connect timeout, connection refused, 429 and 503 (both say "not
now"). A read timeout, a connection dropped after sending or a proxy's 504 raise `ProviderTimeout`, and any
other 5xx `ProviderOutcomeUnknown`, at once: the provider may have acted, so the caller looks before resending.
"""

from __future__ import annotations

import json as jsonlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError

from xappiens_whatsapp.clients.errors import (
	ProviderAuthError,
	ProviderError,
	ProviderNotFound,
	ProviderOutcomeUnknown,
	ProviderRateLimited,
	ProviderRejected,
	ProviderTimeout,
	ProviderUnavailable,
	redact,
)
from xappiens_whatsapp.core.urls import endpoint_problem

logger = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
DEFAULT_CONNECT_TIMEOUT = 5.0


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
	"""Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date); None when absent or bad."""
	if value is None or not str(value).strip():
		return None
	text = str(value).strip()
	try:
		seconds = float(text)
	except ValueError:
		try:
			when = parsedate_to_datetime(text)
		except (TypeError, ValueError, IndexError):
			return None
		if when.tzinfo is None:
			when = when.replace(tzinfo=UTC)
		seconds = (when - (now or datetime.now(UTC))).total_seconds()
	if seconds != seconds:  # NaN
		return None
	return max(0.0, seconds)


def _never_sent(exc: requests.RequestException) -> bool:
	"""True when the failure happened while connecting, so the server cannot have seen the request."""
	if isinstance(exc, requests.exceptions.ConnectTimeout):
		return True
	if isinstance(exc, requests.exceptions.SSLError | requests.exceptions.ProxyError):
		return False
	if isinstance(exc, requests.exceptions.ConnectionError):
		inner = exc.args[0] if exc.args else None
		if isinstance(inner, MaxRetryError):
			inner = inner.reason
		return isinstance(inner, NewConnectionError)
	return False


class JsonHttpClient:
	"""Base for provider clients. Subclasses set `provider` and may override `describe_error`."""

	provider = "http"

	def __init__(
		self,
		base_url: str,
		*,
		headers: Mapping[str, str] | None = None,
		timeout: float = 30.0,
		connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
		max_attempts: int = 3,
		backoff_base: float = 1.0,
		max_wait: float = 30.0,
		sleep: Callable[[float], object] = time.sleep,
		secrets: Iterable[str | None] = (),
		session: requests.Session | None = None,
	) -> None:
		if max_attempts < 1:
			raise ValueError("max_attempts must be at least 1")
		# The base URL receives the key or token with every request, whoever stored it and however.
		problem = endpoint_problem(base_url)
		if problem:
			raise ValueError(f"{self.provider} base URL refused: {problem}")
		self.base_url = base_url.rstrip("/")
		self.timeout = float(timeout)
		self.connect_timeout = float(connect_timeout)
		self.max_attempts = max_attempts
		self.backoff_base = float(backoff_base)
		self.max_wait = float(max_wait)
		self._sleep = sleep
		self._secrets: tuple[str, ...] = tuple(s for s in secrets if s)
		self._session = session or requests.Session()
		# Retries belong to `request` alone; urllib3 must not add its own underneath.
		adapter = HTTPAdapter(max_retries=0)
		self._session.mount("http://", adapter)
		self._session.mount("https://", adapter)
		self._session.headers.update({"Accept": "application/json", "User-Agent": "xappiens-whatsapp"})
		if headers:
			self._session.headers.update(headers)

	def __enter__(self) -> JsonHttpClient:
		return self

	def __exit__(self, *exc_info: object) -> None:
		self.close()

	def close(self) -> None:
		self._session.close()

	def __repr__(self) -> str:
		return f"{type(self).__name__}(base_url={redact(self.base_url, self._secrets)!r})"

	def url(self, path: str) -> str:
		return f"{self.base_url}/{path.lstrip('/')}"

	def backoff(self, attempt: int) -> float:
		"""Wait after failed attempt number `attempt` (1-based): base, 2×base, 4×base…"""
		return self.backoff_base * 2 ** (attempt - 1)

	def request(
		self,
		method: str,
		path: str,
		*,
		params: Mapping[str, Any] | None = None,
		json: Any = None,
		data: Any = None,
		files: Any = None,
		headers: Mapping[str, str] | None = None,
		idempotent: bool | None = None,
		timeout: float | None = None,
		secrets: Iterable[str | None] = (),
		stream: bool = False,
	) -> requests.Response:
		"""Send with the retry policy above; return a 2xx response or raise a `ProviderError` subclass.

		`idempotent` defaults from the method (GET/HEAD/OPTIONS/PUT/DELETE yes, POST/PATCH no).
		`secrets` adds values (e.g. a webhook secret in this body) to redact from any error.
		`stream` leaves a 2xx body unread, for the caller to read within its own limits.
		"""
		method = method.upper()
		if idempotent is None:
			idempotent = method in IDEMPOTENT_METHODS
		all_secrets = (*self._secrets, *(s for s in secrets if s))
		url = self.url(path)
		read_timeout = self.timeout if timeout is None else float(timeout)
		attempt = 0
		while True:
			attempt += 1
			retry_after: float | None = None
			try:
				response = self._session.request(
					method,
					url,
					params=params,
					json=json,
					data=data,
					files=files,
					headers=headers,
					timeout=(self.connect_timeout, read_timeout),
					allow_redirects=False,
					stream=stream,
				)
			except requests.RequestException as exc:
				# Not chained: the requests exception carries the URL and headers, which may hold secrets.
				error = self._transport_error(exc, idempotent, read_timeout, all_secrets)
			else:
				if 200 <= response.status_code < 300:
					return response
				error = self._status_error(response, idempotent, all_secrets)
				retry_after = parse_retry_after(response.headers.get("Retry-After"))
			wait = self._wait_before_retry(error, attempt, retry_after)
			if wait is None:
				raise error
			logger.warning(
				"%s %s attempt %d/%d failed (%s); retrying in %.2fs",
				method,
				redact(path, all_secrets),
				attempt,
				self.max_attempts,
				error,
				wait,
			)
			self._sleep(wait)

	def _wait_before_retry(
		self, error: ProviderError, attempt: int, retry_after: float | None
	) -> float | None:
		"""The single retry decision: seconds to wait before the next attempt, or None to give up."""
		if not error.retryable or attempt >= self.max_attempts:
			return None
		if retry_after is not None:
			# A longer wait than we may block for is the caller's to schedule (error.retry_after).
			return retry_after if retry_after <= self.max_wait else None
		return self.backoff(attempt)

	def _transport_error(
		self, exc: requests.RequestException, idempotent: bool, read_timeout: float, secrets: tuple[str, ...]
	) -> ProviderError:
		kwargs: dict[str, Any] = {"provider": self.provider, "secrets": secrets}
		if _never_sent(exc):
			return ProviderUnavailable(f"cannot connect: {exc}", **kwargs)
		if isinstance(exc, requests.exceptions.ReadTimeout):
			return ProviderTimeout(
				f"no answer within {read_timeout:g}s; the request may have been processed",
				retryable=idempotent,
				**kwargs,
			)
		if isinstance(exc, requests.exceptions.SSLError):
			return ProviderUnavailable(f"TLS failure: {exc}", retryable=False, **kwargs)
		if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.ChunkedEncodingError):
			if idempotent:
				return ProviderUnavailable(f"connection failed: {exc}", **kwargs)
			return ProviderTimeout(
				f"connection lost after the request was sent; the request may have been processed: {exc}",
				**kwargs,
			)
		return ProviderError(f"request failed: {exc}", **kwargs)

	def _status_error(
		self, response: requests.Response, idempotent: bool, secrets: tuple[str, ...]
	) -> ProviderError:
		status = response.status_code
		message, code, details = self.describe_error(response)
		kwargs: dict[str, Any] = {
			"provider": self.provider,
			"status": status,
			"code": code,
			"details": details,
			"secrets": secrets,
		}
		if status in (401, 403):
			return ProviderAuthError(message, **kwargs)
		if status == 404:
			return ProviderNotFound(message, **kwargs)
		if status == 429:
			return ProviderRateLimited(
				message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs
			)
		if status == 504 and not idempotent:
			# A gateway timeout from a proxy means the upstream may still have done the work.
			return ProviderTimeout(message, **kwargs)
		if status >= 500 and status != 503 and not idempotent:
			# A 500 or a proxy's 502 can come after the message went out or the phone started ringing.
			return ProviderOutcomeUnknown(message, **kwargs)
		if status >= 500:
			return ProviderUnavailable(message, **kwargs)
		if 400 <= status < 500:
			return ProviderRejected(message, **kwargs)
		if 300 <= status < 400:
			# Not followed: a redirect would resend the API key to another host or turn a POST into a GET.
			location = response.headers.get("Location", "")
			return ProviderError(f"unexpected redirect to {location!r}", **kwargs)
		return ProviderError(message, **kwargs)

	def describe_error(self, response: requests.Response) -> tuple[str, str | None, Any]:
		"""(message, code, details) from an error response. Reads `error`, then `message`; `code`; `details`."""
		body = self.parse_json(response, strict=False)
		if isinstance(body, dict):
			text = body.get("error") or body.get("message") or body.get("description")
			if isinstance(text, dict):
				text = text.get("message") or str(text)
			code = body.get("code")
			return (
				str(text) if text else self._reason(response),
				str(code) if code is not None else None,
				body.get("details"),
			)
		snippet = response.text.strip()[:200] if response.text else ""
		return snippet or self._reason(response), None, None

	@staticmethod
	def _reason(response: requests.Response) -> str:
		return f"HTTP {response.status_code} {response.reason or ''}".strip()

	def parse_json(
		self,
		response: requests.Response,
		*,
		strict: bool = True,
		secrets: Iterable[str | None] = (),
		**loads_kwargs: Any,
	) -> Any:
		"""Decoded JSON body; None when empty. A body that is not JSON raises `ProviderError` if `strict`
		(with this client's secrets and `secrets` masked in its message)."""
		text = response.text
		if not text or not text.strip():
			return None
		try:
			return jsonlib.loads(text, **loads_kwargs)
		except ValueError:
			if not strict:
				return None
			raise ProviderError(
				f"answer is not JSON: {text.strip()[:200]!r}",
				provider=self.provider,
				status=response.status_code,
				secrets=(*self._secrets, *secrets),
			) from None

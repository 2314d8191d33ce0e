"""Typed provider errors: callers branch on the class, never on message text.

Every error is built through `redact`, so a key, token or webhook secret that a server echoes back
(or that sits in a URL) never reaches logs, tracebacks or the desk.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"


def _secret_forms(secret: str) -> set[str]:
	# A secret can come back percent-encoded (form bodies, URLs) or JSON-escaped (echoed bodies).
	return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


def redact(value: Any, secrets: Iterable[str | None]) -> Any:
	"""Replace every occurrence of each secret in `value` (str, or dict/list of them) with `***`."""
	forms = sorted({form for s in secrets if s for form in _secret_forms(s) if form}, key=len, reverse=True)
	if not forms:
		return value
	return _redact(value, forms)


def _redact(value: Any, forms: list[str]) -> Any:
	if isinstance(value, str):
		for form in forms:
			value = value.replace(form, MASK)
		return value
	if isinstance(value, dict):
		return {_redact(k, forms): _redact(v, forms) for k, v in value.items()}
	if isinstance(value, list | tuple):
		return type(value)(_redact(v, forms) for v in value)
	return value


class ProviderError(Exception):
	"""Base class. `retryable` says whether trying again later may succeed without changing the request."""

	default_retryable = False

	def __init__(
		self,
		message: str,
		*,
		provider: str,
		status: int | None = None,
		code: str | None = None,
		retryable: bool | None = None,
		details: Any = None,
		secrets: Iterable[str | None] = (),
	) -> None:
		secrets = tuple(secrets)
		self.message: str = redact(str(message), secrets)
		self.provider = provider
		self.status = status
		self.code = redact(code, secrets) if code is not None else None
		self.retryable: bool = self.default_retryable if retryable is None else retryable
		self.details = redact(details, secrets)
		super().__init__(self.message)

	@property
	def outcome_unknown(self) -> bool:
		"""True when the provider may have acted on the request even though no answer arrived."""
		return False

	def __str__(self) -> str:
		parts = [f"{self.provider}: {self.message}"]
		if self.status is not None:
			parts.append(f"HTTP {self.status}")
		if self.code:
			parts.append(f"code {self.code}")
		return " | ".join(parts)

	def __repr__(self) -> str:
		return (
			f"{type(self).__name__}(provider={self.provider!r}, status={self.status!r}, code={self.code!r}, "
			f"message={self.message!r}, retryable={self.retryable!r})"
		)


class ProviderUnavailable(ProviderError):
	"""Could not reach the provider, or it kept failing (5xx) after the allowed retries."""

	default_retryable = True


class ProviderOutcomeUnknown(ProviderError):
	"""The request reached the provider but the answer says nothing about what it did (a 500 or 502 to a
	send or a call launch): it may or may not have acted. Look the result up before trying again."""

	default_retryable = False

	@property
	def outcome_unknown(self) -> bool:
		return True


class ProviderTimeout(ProviderOutcomeUnknown):
	"""No answer in time after the request was sent: the provider may or may not have acted on it.

	For a send or a call launch, look the result up (e.g. the chat history) before sending again.
	"""


class ProviderRateLimited(ProviderError):
	default_retryable = True

	def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
		super().__init__(message, **kwargs)
		self.retry_after = retry_after


class ProviderAuthError(ProviderError):
	"""401/403: wrong or missing API key or token; retrying will not help."""


class ProviderNotFound(ProviderError):
	"""404: unknown session, chat or message (or a QR that is not ready yet)."""


class ProviderRejected(ProviderError):
	"""Any other 4xx (validation, conflict): the request itself must change. `details` holds field errors."""


class InvalidRequest(ProviderRejected):
	"""Refused locally, before anything was sent, because the provider would reject it."""

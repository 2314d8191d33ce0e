"""Client for Netelip's API Voice v1: launching a click-to-call (`spec/netelip.md` §1)."""

from __future__ import annotations

from typing import Any

import requests

from xappiens_whatsapp.clients.errors import InvalidRequest, ProviderError, ProviderRejected
from xappiens_whatsapp.clients.http import JsonHttpClient

PROVIDER = "netelip"
DEFAULT_BASE_URL = "https://api.netelip.com/v1"
# Netelip's destination kinds (the same words as in a `dial` command's options).
DESTINATION_TYPES = frozenset({"extension", "pstn", "sipserver"})


class NetelipClient(JsonHttpClient):
	provider = PROVIDER

	def __init__(
		self,
		*,
		token: str,
		application: str,
		base_url: str = DEFAULT_BASE_URL,
		timeout: float = 15,
		**http_options: Any,
	) -> None:
		"""`application` is the API Voice application name from the Netelip panel (field `api`).

		`http_options` go to `JsonHttpClient` (connect_timeout, max_attempts, backoff_base, max_wait,
		sleep, session).
		"""
		if not token:
			raise ValueError("Netelip token is not configured")
		if not application:
			raise ValueError("Netelip application name is not configured")
		self.application = application
		self._token = token
		super().__init__(
			base_url or DEFAULT_BASE_URL,
			timeout=timeout,
			secrets=(token, *http_options.pop("secrets", ())),
			**http_options,
		)

	def launch_call(
		self,
		src: str,
		dst: str,
		typedst: str = "extension",
		duration: int | None = None,
		userdata: str | None = None,
	) -> str:
		"""Ask Netelip to start a call; return its call ID exactly as sent (e.g. "1525291061.0506").

		`typedst` is `extension`, `pstn` (then `dst` in 00 form, e.g. 0034968000000) or `sipserver`.
		Not retried once the request may have arrived: an error whose `outcome_unknown` is true (a timeout,
		a 500 or 502) means the call may be ringing. `response` other than "200" raises `ProviderRejected`
		with that value as `code`; a bad destination raises `InvalidRequest` before anything is sent.
		"""
		if typedst not in DESTINATION_TYPES or not str(dst).strip():
			raise InvalidRequest(
				f"cannot call {dst!r} as {typedst!r}", provider=self.provider, secrets=self._secrets
			)
		fields: dict[str, str] = {
			"token": self._token,
			"api": self.application,
			"src": str(src),
			"dst": str(dst),
			"typedst": typedst,
		}
		if duration is not None:
			fields["duration"] = str(int(duration))
		if userdata is not None:
			fields["userdata"] = str(userdata)
		response = self.request("POST", "/voice", data=fields, idempotent=False)
		# Numbers stay text: an ID like 1525291061.0500 must not lose its trailing zeros.
		body = self.parse_json(response, parse_float=str, parse_int=str)
		if not isinstance(body, dict):
			raise self._error(f"unexpected answer: {str(body)[:200]!r}", response)
		code = str(body.get("response", "")).strip()
		if code != "200":
			message, _, details = self.describe_error(response)
			raise ProviderRejected(
				message,
				provider=self.provider,
				status=response.status_code,
				code=code or None,
				details=details,
				secrets=self._secrets,
			)
		call_id = str(body.get("ID") or body.get("id") or "").strip()
		if not call_id:
			raise self._error("answer has no call ID", response)
		return call_id

	def describe_error(self, response: requests.Response) -> tuple[str, str | None, Any]:
		message, code, details = super().describe_error(response)
		body = self.parse_json(response, strict=False, parse_float=str, parse_int=str)
		if isinstance(body, dict):
			if code is None and body.get("response") is not None:
				code = str(body["response"])
			if message.startswith("HTTP "):
				message = f"Netelip answered response={code}"
			if details is None:
				details = {k: v for k, v in body.items() if k not in ("response", "message", "error")} or None
		return message, code, details

	def _error(self, message: str, response: requests.Response) -> ProviderError:
		return ProviderError(
			message, provider=self.provider, status=response.status_code, secrets=self._secrets
		)

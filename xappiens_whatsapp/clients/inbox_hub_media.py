"""Downloading a received message's media: from the gateway's `GET /api/messages/:sessionId/:messageId/media`
(documented only by the gateway's code, so every answer shape seen is read: the bytes themselves, or JSON with
base64 or with an address to fetch), or from an address the payload carried. Bodies are read in chunks and
abandoned past the size limit or the time limit; the API key goes only to the gateway's own origin."""

from __future__ import annotations

import base64
import binascii
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from xappiens_whatsapp.clients.errors import ProviderError, ProviderTimeout
from xappiens_whatsapp.clients.inbox_hub import InboxHubClient, _segment
from xappiens_whatsapp.core.inbox_hub_ids import DATA_URL_PREFIX, strip_data_url
from xappiens_whatsapp.core.inbox_hub_readers import as_dict, as_mimetype, as_name, first_given
from xappiens_whatsapp.core.media_rules import (
	MediaRefused,
	download_url_allowed,
	format_size,
	resolve_against,
	same_origin,
)

CHUNK = 64 * 1024
_FILENAME = re.compile(r"""filename\*?=(?:UTF-8'')?"?([^";]+)"?""", re.IGNORECASE)


@dataclass(frozen=True)
class DownloadedMedia:
	content: bytes = field(repr=False)
	mimetype: str | None
	filename: str | None
	source: str  # "gateway" or "url"


class MediaDownloader:
	"""`max_bytes` and `timeout` (seconds for the whole download) bound every body read."""

	def __init__(self, client: InboxHubClient, max_bytes: int, timeout: float) -> None:
		self.client = client
		self.max_bytes = int(max_bytes)
		self.timeout = float(timeout)

	def from_gateway(self, session_id: str, message_id: str) -> DownloadedMedia:
		deadline = time.monotonic() + self.timeout
		path = f"/api/messages/{_segment(session_id)}/{_segment(message_id)}/media"
		response = self.client.request("GET", path, stream=True, timeout=self.timeout)
		kind = _content_type(response)
		if kind != "application/json":
			content = self._read(response, deadline, self.max_bytes)
			return DownloadedMedia(content, kind or None, _disposition_name(response), "gateway")
		# JSON carries base64 (a third larger than the file) or an address.
		body = self._read(response, deadline, self.max_bytes * 4 // 3 + 64 * 1024)
		response._content = body  # the envelope reader parses what was read
		data = as_dict(self.client.unwrap(response))
		media = as_dict(data.get("media")) or data
		mimetype = as_mimetype(
			first_given(media.get("mimetype"), media.get("mimeType"), media.get("mime_type"))
		)
		filename = as_name(first_given(media.get("filename"), media.get("fileName"), media.get("name")))
		encoded = first_given(media.get("base64"), media.get("data"), media.get("buffer"), data.get("media"))
		if isinstance(encoded, str):
			prefix = DATA_URL_PREFIX.match(encoded)
			if prefix and not mimetype:
				mimetype = as_mimetype(prefix.group(0).strip()[5:].split(";", 1)[0])
			content = _decode_base64(strip_data_url(encoded))
			if len(content) > self.max_bytes:
				raise MediaRefused(f"larger than {format_size(self.max_bytes)}")
			return DownloadedMedia(content, mimetype, filename, "gateway")
		url = first_given(
			media.get("url"), media.get("media_url"), media.get("mediaUrl"), media.get("downloadUrl")
		)
		if not isinstance(url, str):
			raise ProviderError(
				"the gateway's answer has neither the file nor its address", provider="inbox_hub"
			)
		got = self.from_url(resolve_against(url.strip(), self.client.base_url), deadline=deadline)
		return DownloadedMedia(got.content, mimetype or got.mimetype, filename or got.filename, "gateway")

	def from_url(self, url: str, deadline: float | None = None) -> DownloadedMedia:
		"""An address on the gateway (asked with its key) or on WhatsApp's media servers (asked without)."""
		deadline = deadline or time.monotonic() + self.timeout
		if same_origin(url, self.client.base_url):
			parts = urlsplit(url)
			path = parts.path + (f"?{parts.query}" if parts.query else "")
			response = self.client.request("GET", path, stream=True, timeout=self.timeout)
		elif download_url_allowed(url, self.client.base_url):
			response = self._plain_get(url, deadline)
		else:
			raise MediaRefused("the file's address is not on the gateway nor on WhatsApp's servers")
		content = self._read(response, deadline, self.max_bytes)
		return DownloadedMedia(content, _content_type(response) or None, _disposition_name(response), "url")

	def _plain_get(self, url: str, deadline: float) -> requests.Response:
		remaining = max(1.0, deadline - time.monotonic())
		try:
			response = requests.get(url, timeout=(10, remaining), stream=True, allow_redirects=False)
		except requests.Timeout:
			raise ProviderTimeout(f"no answer within {remaining:.0f}s", provider="media") from None
		except requests.RequestException as exc:
			raise ProviderError(f"cannot fetch the file: {type(exc).__name__}", provider="media") from None
		if response.status_code != 200:
			response.close()
			raise ProviderError(f"HTTP {response.status_code}", provider="media", status=response.status_code)
		return response

	def _read(self, response: requests.Response, deadline: float, limit: int) -> bytes:
		try:
			declared = int(response.headers.get("Content-Length") or -1)
		except ValueError:
			declared = -1
		if declared > limit:
			response.close()
			raise MediaRefused(f"larger than {format_size(self.max_bytes)}")
		parts: list[bytes] = []
		size = 0
		try:
			for chunk in response.iter_content(CHUNK):
				size += len(chunk)
				if size > limit:
					raise MediaRefused(f"larger than {format_size(self.max_bytes)}")
				if time.monotonic() > deadline:
					raise ProviderTimeout(f"not downloaded within {self.timeout:g}s", provider="media")
				parts.append(chunk)
		except requests.RequestException as exc:
			raise ProviderTimeout(f"the download broke off: {type(exc).__name__}", provider="media") from None
		finally:
			response.close()
		return b"".join(parts)


def _content_type(response: requests.Response) -> str:
	return (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()


def _disposition_name(response: requests.Response) -> str | None:
	found = _FILENAME.search(response.headers.get("Content-Disposition") or "")
	return as_name(requests.utils.unquote(found.group(1))) if found else None


def _decode_base64(text: str) -> bytes:
	try:
		return base64.b64decode(re.sub(r"\s+", "", text), validate=True)
	except (binascii.Error, ValueError):
		raise ProviderError("the gateway's base64 is not valid", provider="inbox_hub") from None


def describe(value: Any) -> str:
	"""A failure as the line shown on the message."""
	return str(value).splitlines()[0][:200] if str(value) else type(value).__name__

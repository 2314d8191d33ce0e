"""Fetch a call recording for the desk to play: one GET, a timeout, a size limit and an audio type, so a bad
address can make the server neither wait long, hold much, nor hand back something that is not a recording."""

from __future__ import annotations

from dataclasses import dataclass

import requests

AUDIO_TYPES = ("audio/", "application/octet-stream")


class RecordingUnavailable(Exception):
	"""The recording could not be fetched; the message says why, without the address."""


@dataclass(frozen=True)
class Recording:
	content: bytes
	content_type: str


def fetch(url: str, *, timeout: float = 15.0, max_bytes: int = 50 * 2**20) -> Recording:
	try:
		# Redirects are not followed: the address was checked, wherever it would send us was not.
		with requests.get(url, timeout=timeout, stream=True, allow_redirects=False) as response:
			if response.status_code != 200:
				raise RecordingUnavailable(f"the recording's server answered {response.status_code}")
			content_type = (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
			if not content_type.startswith(AUDIO_TYPES):
				raise RecordingUnavailable(f"not a recording ({content_type or 'no type'})")
			if int(response.headers.get("Content-Length") or 0) > max_bytes:
				raise RecordingUnavailable("the recording is too large")
			chunks, size = [], 0
			for chunk in response.iter_content(64 * 1024):
				size += len(chunk)
				if size > max_bytes:
					raise RecordingUnavailable("the recording is too large")
				chunks.append(chunk)
			return Recording(b"".join(chunks), content_type)
	except requests.RequestException as exc:
		raise RecordingUnavailable(
			f"the recording's server could not be reached ({type(exc).__name__})"
		) from None

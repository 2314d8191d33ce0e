"""Inbox Hub's identifiers and QR images, one set of rules for the webhook parser, the REST client and the desk.

Ids are compared exactly: a session id or a message id that is not in the expected form is refused rather than
trimmed or repaired, because a trimmed or case-folded id could name another session's or another chat's record.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

# The gateway's own rule for `sessionId` (spec §2).
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{3,100}")
# WhatsApp key ids are 16-32 upper-case hex characters in practice ("3EB0…", "BAE5…"); other clients and older
# gateways used letters, digits and a few separators ("msg_12345"). Nothing else is an id.
MESSAGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:=+/-]{0,127}")
DATA_URL_PREFIX = re.compile(r"\s*data:[\w.+-]+/[\w.+-]+;base64,", re.IGNORECASE)
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_QR_CHARS = 200_000


def is_session_id(value: Any) -> bool:
	return isinstance(value, str) and SESSION_ID.fullmatch(value) is not None


def is_message_id(value: Any) -> bool:
	return isinstance(value, str) and MESSAGE_ID.fullmatch(value) is not None


def short_message_id(value: Any) -> str | None:
	"""The short WhatsApp key id from `{id: …}`, a serialised `false_<jid>_<id>_in`, or a plain string; None
	unless the result is a well-formed id."""
	if isinstance(value, Mapping):
		inner = value.get("id")
		inner = inner if inner not in (None, "") else value.get("_serialized")
		return None if isinstance(inner, Mapping) else short_message_id(inner)
	if isinstance(value, int) and not isinstance(value, bool):
		value = str(value)
	if not isinstance(value, str):
		return None
	parts = value.split("_")
	if len(parts) >= 3 and parts[0] in ("true", "false") and "@" in parts[1]:
		value = parts[2]
	return value if is_message_id(value) else None


def strip_data_url(value: Any) -> str:
	"""Raw base64 from a data URL; repeated prefixes (a known gateway client bug) are all removed."""
	text = value.strip() if isinstance(value, str) else ""
	while True:
		match = DATA_URL_PREFIX.match(text)
		if not match:
			return text
		text = text[match.end() :].strip()


def qr_png_base64(value: Any) -> str | None:
	"""A QR code as the raw base64 of a PNG image, or None: anything else (markup, another image type, text that
	is not base64) could not be put into the page as an image safely."""
	text = strip_data_url(value)
	if not text or len(text) > MAX_QR_CHARS or not _BASE64.fullmatch(text):
		return None
	try:
		head = base64.b64decode(text[:16] + "=" * (-len(text[:16]) % 4), validate=True)
	except (binascii.Error, ValueError):
		return None
	return text if head.startswith(PNG_SIGNATURE) else None

"""Reading one value of an Inbox Hub payload safely: a missing or oddly typed field gives None, never an
exception; strings come out as plain text, ids only in their exact form, numbers only within what the app stores."""

from __future__ import annotations

import re
from typing import Any

from .inbox_hub_ids import short_message_id
from .jid import parse_jid
from .text import one_line, plain

# What a stored field holds at most (Data columns are 140 characters).

# What a stored field holds at most (Data columns are 140 characters).
NAME_LENGTH = 140


BODY_LENGTH = 65_000


MAX_INT = 2**31 - 1  # an Int column


MAX_ROW_ID = 2**53


MAX_EPOCH_MS = 4_102_444_800_000  # 2100-01-01


EMOJI_LENGTH = 32


UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_.:=+/@-]")


MIMETYPE = re.compile(r"[\w.+-]{1,60}/[\w.+-]{1,80}")


def as_dict(value: Any) -> dict:
	return value if isinstance(value, dict) else {}


def as_text(value: Any) -> str | None:
	return plain(value)


def as_name(value: Any) -> str | None:
	return one_line(value, NAME_LENGTH)


def first_text(*values: Any) -> str | None:
	for value in values:
		text = as_text(value)
		if text is not None:
			return text
	return None


def first_name(*values: Any) -> str | None:
	for value in values:
		text = as_name(value)
		if text is not None:
			return text
	return None


def as_bool(value: Any) -> bool | None:
	if isinstance(value, bool):
		return value
	if isinstance(value, str) and value.lower() in ("true", "false"):
		return value.lower() == "true"
	if isinstance(value, int) and value in (0, 1):
		return bool(value)
	return None


def as_int(value: Any, low: int = -MAX_INT, high: int = MAX_INT) -> int | None:
	"""A whole number within [low, high] (what an Int column holds by default), else None."""
	if isinstance(value, bool) or value is None:
		return None
	if isinstance(value, str):
		value = value.strip()
	try:
		number = int(value)
	except (TypeError, ValueError, OverflowError):
		try:
			number = int(float(value))
		except (TypeError, ValueError, OverflowError):
			return None
	return number if low <= number <= high else None


def as_float(value: Any, limit: float) -> float | None:
	"""A finite number within ±limit (a latitude or a longitude), else None."""
	if isinstance(value, bool) or value is None:
		return None
	try:
		number = float(value)
	except (TypeError, ValueError, OverflowError):
		return None
	return number if -limit <= number <= limit else None


def as_mimetype(value: Any) -> str | None:
	"""The type without its parameters (`audio/ogg; codecs=opus` → `audio/ogg`), or None."""
	text = value.split(";", 1)[0].strip().lower() if isinstance(value, str) else None
	return text if text and MIMETYPE.fullmatch(text) else None


def short_id(value: Any) -> str | None:
	"""The short WhatsApp key id from any of its forms (object, `as_serialized`, plain string), exactly."""
	return short_message_id(value)


def first_given(*values: Any) -> Any:
	"""The first value that is present (not None and not an empty string), as it is."""
	return next((value for value in values if value not in (None, "")), None)


def row_id(value: Any) -> str | None:
	"""The gateway's own row id (an integer, never a WhatsApp id)."""
	if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ROW_ID:
		return str(value)
	return None


def as_serialized(value: Any) -> str | None:
	"""WhatsApp's serialised id (`false_<chat>_<id>[_in]`), kept for reference only when well formed."""
	if not isinstance(value, str) or len(value) > 255 or "_" not in value:
		return None
	parts = value.split("_")
	if parts[0] not in ("true", "false") or len(parts) < 3 or not short_id(value):
		return None
	return value if parse_jid(parts[1]) and not UNSAFE_ID_CHARS.search(value) else None


def phone_alt(*values: Any) -> str | None:
	for value in values:
		jid = parse_jid(value)
		if jid and jid.phone_digits:
			return str(jid)
	return None

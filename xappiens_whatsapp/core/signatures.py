"""Webhook authentication for Inbox Hub: HMAC-SHA256 over the raw body, plus a freshness window."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from datetime import UTC, datetime

PREFIX = "sha256="
MIN_SECRET_LENGTH = 16


def serialise(payload: dict) -> bytes:
	"""The bytes the gateway signs: JSON.stringify's compact form, UTF-8."""
	return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def sign(body: bytes, secret: str) -> str:
	"""The header value the gateway sends: `sha256=<lowercase hex>`."""
	return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(body: bytes, header_value: str | None, secrets: Iterable[str | None]) -> bool:
	"""True when the header is a valid signature of `body` under any of `secrets`.

	Fails closed: no header or no usable secret → False. The `sha256=` prefix is optional (the sources
	disagree). Every candidate secret is tried, so the time taken does not reveal which one matched.
	"""
	return matching_secret(body, header_value, secrets) is not None


def matching_secret(body: bytes, header_value: str | None, secrets: Iterable[str | None]) -> int | None:
	"""The position in `secrets` of the one the header is a valid signature under, or None (as
	`signature_matches`: every candidate is tried whichever matches)."""
	if not header_value:
		return None
	given = header_value.strip()
	if given[: len(PREFIX)].lower() == PREFIX:
		given = given[len(PREFIX) :]
	given_bytes = given.lower().encode("ascii", "replace")
	matched = None
	for position, secret in enumerate(secrets):
		if not secret:
			continue
		expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
		if hmac.compare_digest(expected, given_bytes) and matched is None:
			matched = position
	return matched


# Times outside these bounds are not times any provider meant (and some would not fit a database column).
EARLIEST = 946_684_800.0  # 2000-01-01
LATEST = 4_102_444_800.0  # 2100-01-01


def to_epoch_seconds(value: object) -> float | None:
	"""Read a timestamp in any form the gateway uses: ms or s numbers (also as strings), or ISO 8601.

	Numbers above 1e12 are milliseconds. Unreadable values, and times before 2000 or after 2099, give None.
	"""
	if value is None or isinstance(value, bool):
		return None
	if isinstance(value, int | float):
		number = float(value)
	elif isinstance(value, str):
		text = value.strip()
		if not text:
			return None
		try:
			number = float(text)
		except ValueError:
			try:
				parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
				if parsed.tzinfo is None:
					parsed = parsed.replace(tzinfo=UTC)
				number = parsed.timestamp()
			except (ValueError, OverflowError):
				return None
	else:
		return None
	if number != number or number in (float("inf"), float("-inf")):
		return None
	seconds = number / 1000.0 if abs(number) > 1e12 else number
	return seconds if EARLIEST <= seconds <= LATEST else None


def is_fresh(value: object, now: float, tolerance_s: float) -> bool:
	"""False when a timestamp is present but unreadable or further than `tolerance_s` from `now`."""
	seconds = to_epoch_seconds(value)
	return seconds is not None and abs(now - seconds) <= tolerance_s

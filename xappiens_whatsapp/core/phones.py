"""Phone numbers: one E.164 form inside the app, provider forms at the edges."""

from __future__ import annotations

import re

import phonenumbers

ANONYMOUS = {"", "anonymous", "anonimo", "anónimo", "unknown", "private", "restricted", "unavailable"}
_JUNK = re.compile(r"[\s().\-/]")


def to_e164(raw: str | int | None, region: str = "ES") -> str | None:
	"""Return `+<country><number>` or None when the input is not a plausible phone number.

	Accepts `+34…`, `0034…`, `34…` (country code without plus, as WhatsApp and Netelip write it) and
	national numbers of `region`. Anonymous or empty callers give None.
	"""
	if raw is None:
		return None
	text = _JUNK.sub("", str(raw).strip())
	if text.lower() in ANONYMOUS:
		return None
	if text.startswith("00"):
		text = "+" + text[2:]
	candidates = [text] if text.startswith("+") else [text, "+" + text]
	# A bare number is read first in the default region (a Spanish 9-digit number), then as
	# country code + number; the first valid reading wins.
	for candidate in candidates:
		try:
			parsed = phonenumbers.parse(candidate, None if candidate.startswith("+") else region)
		except phonenumbers.NumberParseException:
			continue
		if phonenumbers.is_valid_number(parsed):
			return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
	return None


def digits(e164: str) -> str:
	"""`+34600000001` → `34600000001` (the form the WhatsApp gateway expects in `to`)."""
	return e164.lstrip("+")


def to_netelip(e164: str) -> str:
	"""`+34968000000` → `0034968000000` (Netelip's international dialling form)."""
	return "00" + digits(e164)


_SEARCH_PUNCTUATION = re.compile(r"[\s().\-/]")


def search_prefixes(term: str | None, region: str = "ES") -> list[str]:
	"""The E.164 prefixes a typed phone number may start, for a prefix search on stored numbers: `600 12` →
	`+60012` and, read as a national number of `region`, `+3460012`. Only for 3+ digits and nothing else but
	punctuation, a leading `+` or `00`; otherwise none (the term is a name or text)."""
	text = _SEARCH_PUNCTUATION.sub("", (term or "").strip())
	international = text.startswith(("+", "00"))
	text = text[1:] if text.startswith("+") else text[2:] if text.startswith("00") else text
	if len(text) < 3 or not text.isdigit():
		return []
	prefixes = [] if text.startswith("0") else ["+" + text]  # no country code starts with 0
	country = str(phonenumbers.country_code_for_region(region) or "")
	national = text.lstrip("0")
	if not international and country and national and not text.startswith(country):
		prefixes.append("+" + country + national)
	return prefixes

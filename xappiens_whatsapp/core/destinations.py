"""Which numbers click-to-call may dial at all, whoever asks: the company pays for every call.

Only ordinary lines (fixed, mobile, toll-free, VoIP) in the countries a manager allows; premium-rate,
shared-cost, personal (forwarded at the caller's expense) and every other special-rate number are refused,
whatever the CRM says about them. `phonenumbers` knows each country's numbering plan, including the countries
that share +1 (Jamaica's +1 876 is not the United States).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType

CALLABLE_TYPES = frozenset(
	{
		PhoneNumberType.FIXED_LINE,
		PhoneNumberType.MOBILE,
		PhoneNumberType.FIXED_LINE_OR_MOBILE,
		PhoneNumberType.TOLL_FREE,
		PhoneNumberType.VOIP,
	}
)
# What a refused type is called in a refusal (anything else refused is a "special-rate number").
REFUSED_KINDS = {
	PhoneNumberType.PREMIUM_RATE: "premium-rate",
	PhoneNumberType.SHARED_COST: "shared-cost",
	PhoneNumberType.PERSONAL_NUMBER: "personal",
	PhoneNumberType.UAN: "universal access",
}
SPECIAL_RATE = "special-rate"
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class Refusal:
	"""Why a number may not be called: its `kind` (premium-rate…) or its `country` (an ISO code)."""

	kind: str | None = None
	country: str | None = None


def parse_countries(text: str | None, default_region: str) -> frozenset[str]:
	"""ISO country codes separated by commas, spaces or new lines; empty means the default region only.

	Raises ValueError naming the first code phonenumbers does not know, so a typo is refused when saved."""
	codes = {code.upper() for code in _SEPARATORS.split(text or "") if code}
	unknown = sorted(codes - phonenumbers.SUPPORTED_REGIONS)
	if unknown:
		raise ValueError(f"Not a country code: {unknown[0]}")
	return frozenset(codes or {default_region.upper()})


def refusal(e164: str, countries: Iterable[str]) -> Refusal | None:
	"""None when `e164` may be called, else why not. A number phonenumbers cannot read is refused too."""
	try:
		number = phonenumbers.parse(e164, None)
	except phonenumbers.NumberParseException:
		return Refusal(kind=SPECIAL_RATE)
	kind = phonenumbers.number_type(number)
	if kind not in CALLABLE_TYPES:
		return Refusal(kind=REFUSED_KINDS.get(kind, SPECIAL_RATE))
	country = phonenumbers.region_code_for_number(number)
	if country not in set(countries):
		return Refusal(country=country or "?")
	return None

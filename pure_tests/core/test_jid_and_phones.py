from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xappiens_whatsapp.core.jid import canonical, parse_jid
from xappiens_whatsapp.core.phones import digits, search_prefixes, to_e164, to_netelip
from xappiens_whatsapp.core.session_status import SessionState, map_session_status


@pytest.mark.parametrize(
	"raw, expected",
	[
		("34600000001@c.us", "34600000001@s.whatsapp.net"),
		("34600000001@s.whatsapp.net", "34600000001@s.whatsapp.net"),
		("34600000001:12@s.whatsapp.net", "34600000001@s.whatsapp.net"),
		("34600000001:3@c.us", "34600000001@s.whatsapp.net"),
		("34600000001", "34600000001@s.whatsapp.net"),
		("+34600000001", "34600000001@s.whatsapp.net"),
		("120363025555555555@g.us", "120363025555555555@g.us"),
		("118000000000001@lid", "118000000000001@lid"),
		("118000000000001:7@lid", "118000000000001@lid"),
		("status@broadcast", "status@broadcast"),
		("", None),
		("@", None),
		("abc", None),
		(None, None),
		(True, None),
	],
)
def test_canonical(raw, expected):
	assert canonical(raw) == expected


def test_phone_only_from_user_jids():
	assert parse_jid("34600000001@c.us").phone_digits == "34600000001"
	assert parse_jid("118000000000001@lid").phone_digits is None
	assert parse_jid("120363025555555555@g.us").phone_digits is None


@given(st.from_regex(r"[1-9][0-9]{6,14}", fullmatch=True), st.integers(0, 99))
def test_property_c_us_and_device_suffix_are_the_same_user(number, device):
	assert (
		canonical(f"{number}@c.us")
		== canonical(f"{number}:{device}@s.whatsapp.net")
		== f"{number}@s.whatsapp.net"
	)


@pytest.mark.parametrize(
	"raw, expected",
	[
		("34600000001", "+34600000001"),
		("+34 600 00 00 01", "+34600000001"),
		("0034968000000", "+34968000000"),
		("600000001", "+34600000001"),
		("638000000", "+34638000000"),
		("(+34) 600-000-001", "+34600000001"),
		("447911123456", "+447911123456"),
		("anonymous", None),
		("", None),
		(None, None),
		("12", None),
		("abc", None),
	],
)
def test_to_e164(raw, expected):
	assert to_e164(raw) == expected


def test_provider_forms():
	assert digits("+34600000001") == "34600000001"
	assert to_netelip("+34968000000") == "0034968000000"


@pytest.mark.parametrize(
	"status, connected, expected",
	[
		("pending", None, SessionState.QR_REQUIRED),
		("qr_code", None, SessionState.QR_REQUIRED),
		("connecting", None, SessionState.CONNECTING),
		("connected", None, SessionState.CONNECTED),
		("connected", False, SessionState.DISCONNECTED),
		("disconnected", True, SessionState.CONNECTED),
		("rate_limited", None, SessionState.ERROR),
		("timeout", None, SessionState.ERROR),
		("something new", None, SessionState.DISCONNECTED),
	],
)
def test_session_status_mapping(status, connected, expected):
	assert map_session_status(status, connected)[0] == expected


def test_unknown_session_status_is_flagged():
	assert map_session_status("weird")[1] is False
	assert map_session_status("connected")[1] is True


@pytest.mark.parametrize(
	"raw, expected",
	[
		("34600000001_1@c.us", "34600000001@s.whatsapp.net"),
		("34600000001_1_2@c.us", "34600000001@s.whatsapp.net"),
		("34600000001:12:3@s.whatsapp.net", "34600000001@s.whatsapp.net"),
		("118000000000001:7:1@lid", "118000000000001@lid"),
		(":5@c.us", None),
		("_1@s.whatsapp.net", None),
		("X34600000001", None),
		(Decimal("34600000001"), None),
		(34600000001, "34600000001@s.whatsapp.net"),
	],
)
def test_device_and_agent_suffixes_are_everything_after_the_first_separator(raw, expected):
	assert canonical(raw) == expected


@pytest.mark.parametrize(
	"raw, region, expected",
	[
		("0034968000000", "US", "+34968000000"),
		("34600000001", "", "+34600000001"),
		("ANONYMOUS", "ES", None),
		("Anónimo", "ES", None),
	],
)
def test_international_and_anonymous_forms_whatever_the_region(raw, region, expected):
	assert to_e164(raw, region) == expected


@pytest.mark.parametrize(
	"status, expected",
	[
		("QR Code", SessionState.QR_REQUIRED),
		("qr-code", SessionState.QR_REQUIRED),
		("Rate-Limited", SessionState.ERROR),
		(" Rate limited ", SessionState.ERROR),
		(None, SessionState.DISCONNECTED),
	],
)
def test_session_status_words_ignore_case_spaces_and_dashes(status, expected):
	assert map_session_status(status)[0] == expected


def test_is_connected_alone_is_a_known_state():
	assert map_session_status(None, True) == (SessionState.CONNECTED, True)
	assert map_session_status(None, False) == (SessionState.DISCONNECTED, True)
	assert map_session_status(None, "yes") == (SessionState.DISCONNECTED, False)


def test_the_gateways_status_word_as_the_client_reports_it():
	from xappiens_whatsapp.core.session_status import status_word

	assert status_word(" Connected ") == "connected"
	assert status_word("connected", False) == "disconnected"
	assert status_word("qr_code", False) == "qr_code"
	assert status_word(None, True) == "connected"
	assert status_word(None) is None and status_word("") is None
	assert status_word("<b>Odd</b>") == "\u2039b>odd\u2039/b>"
	assert status_word("x" * 100) == "x" * 60


@pytest.mark.parametrize(
	("term", "expected"),
	[
		("600 123", ["+600123", "+34600123"]),
		("+34 600", ["+34600"]),
		("0034600", ["+34600"]),
		("34600", ["+34600"]),
		("(91) 555-12", ["+9155512", "+349155512"]),
		("60", []),
		("Maria", []),
		("600abc", []),
		("", []),
		(None, []),
	],
)
def test_search_prefixes_read_a_typed_number_as_international_and_as_national(term, expected):
	assert search_prefixes(term, "ES") == expected


def test_search_prefixes_use_the_region_country_code():
	assert search_prefixes("020 7946", "GB") == ["+44207946"]
	assert search_prefixes("+44 20", "GB") == ["+4420"]

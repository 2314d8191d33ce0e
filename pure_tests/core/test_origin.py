import re
from ipaddress import ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xappiens_whatsapp.core.origin import (
	application_reason,
	cached_networks,
	client_ip,
	ip_allowed,
	parse_ip,
	parse_networks,
	token_matches,
	token_matches_any,
	valid_application,
)

TOKEN = "k9Q2-vX7c_Lm0pRt8sWz"

# ---- tokens -------------------------------------------------------------------------------------------


def test_token_matches():
	assert token_matches(TOKEN, TOKEN)
	assert token_matches(f" {TOKEN}\n", TOKEN)
	assert token_matches(TOKEN, f"{TOKEN}\n")  # pasted into settings with a newline


@pytest.mark.parametrize("expected", [None, "", "   "])
def test_missing_expected_token_fails_closed(expected):
	assert not token_matches(TOKEN, expected)
	assert not token_matches("", expected)
	assert not token_matches(None, expected)


@pytest.mark.parametrize("given_token", [None, "", TOKEN[:-1], TOKEN + "x", TOKEN.upper(), "k9Q2"])
def test_wrong_token_rejected(given_token):
	assert not token_matches(given_token, TOKEN)


def test_unicode_tokens():
	assert token_matches("contraseña-ñandú", "contraseña-ñandú")
	assert not token_matches("contrasena-nandu", "contraseña-ñandú")
	assert not token_matches("ñ", "n")


def test_rotation_accepts_any_configured_token():
	assert token_matches_any(TOKEN, ["old-token-0123", TOKEN])
	assert not token_matches_any(TOKEN, ["old-token-0123", None, ""])
	assert not token_matches_any(TOKEN, [])


@given(st.text(), st.text())
def test_token_match_is_equality_after_trim(a, b):
	assert token_matches(a, b) == (bool(b.strip()) and a.strip() == b.strip())


# ---- networks -----------------------------------------------------------------------------------------


def test_parse_networks_lines_commas_comments_and_both_families():
	text = """
	# Netelip media servers
	185.36.208.10
	185.36.208.0/24, 10.0.0.7/24   # office (host bits tolerated)

	2001:db8::/32 ; 2001:db8:1::5
	"""
	assert parse_networks(text) == [
		ip_network("185.36.208.10/32"),
		ip_network("185.36.208.0/24"),
		ip_network("10.0.0.0/24"),
		ip_network("2001:db8::/32"),
		ip_network("2001:db8:1::5/128"),
	]


def test_a_comment_may_itself_hold_a_hash():
	assert parse_networks("10.0.0.1  # office # second floor") == [ip_network("10.0.0.1/32")]


@pytest.mark.parametrize("text", [None, "", "  \n\n", "# only a comment\n#another"])
def test_parse_networks_empty(text):
	assert parse_networks(text) == []


@pytest.mark.parametrize("bad", ["300.1.1.1", "10.0.0.0/33", "example.com", "1.2.3", "1.2.3.4/24/8", "::g"])
def test_parse_networks_names_the_bad_entry(bad):
	with pytest.raises(ValueError, match=re.escape(repr(bad))):
		parse_networks(f"10.0.0.1\n{bad}\n")


def test_cached_networks_are_the_parsed_ones_and_a_bad_entry_is_refused_every_time():
	text = "10.0.0.7/24, ::1"
	assert cached_networks(text) == tuple(parse_networks(text))
	assert cached_networks(text) is cached_networks(text)
	for _ in range(2):  # an error is not remembered as a result
		with pytest.raises(ValueError, match=re.escape("300.1.1.1")):
			cached_networks("300.1.1.1")


# ---- client ip ----------------------------------------------------------------------------------------

PROXIES = parse_networks("127.0.0.1\n10.0.0.0/8\n::1")


def test_forwarded_for_from_an_untrusted_peer_is_ignored():
	assert client_ip("203.0.113.9", "185.36.208.10", PROXIES) == "203.0.113.9"
	assert client_ip("203.0.113.9", "185.36.208.10", []) == "203.0.113.9"


def test_right_most_untrusted_hop_behind_our_proxy():
	assert client_ip("127.0.0.1", "185.36.208.10", PROXIES) == "185.36.208.10"
	# the client wrote its own (spoofed) hop first; our proxy appended the real peer
	assert client_ip("127.0.0.1", "185.36.208.10, 203.0.113.9", PROXIES) == "203.0.113.9"


def test_chained_trusted_proxies_are_skipped():
	xff = "1.1.1.1, 198.51.100.7, 10.1.2.3, 10.0.0.2"
	assert client_ip("127.0.0.1", xff, PROXIES) == "198.51.100.7"


def test_only_trusted_hops_or_no_header():
	assert client_ip("127.0.0.1", "10.0.0.5, 10.0.0.2", PROXIES) == "10.0.0.5"
	assert client_ip("127.0.0.1", None, PROXIES) == "127.0.0.1"
	assert client_ip("127.0.0.1", " , ", PROXIES) == "127.0.0.1"


@pytest.mark.parametrize("xff", ["unknown", "185.36.208.10, garbage", "999.1.1.1", "_hidden"])
def test_malformed_hop_on_the_trusted_path_rejects(xff):
	assert client_ip("127.0.0.1", xff, PROXIES) is None


def test_malformed_hop_left_of_the_client_does_not_matter():
	assert client_ip("127.0.0.1", "garbage, 185.36.208.10", PROXIES) == "185.36.208.10"


def test_bad_remote_addr():
	assert client_ip(None, "185.36.208.10", PROXIES) is None
	assert client_ip("", "185.36.208.10", PROXIES) is None
	assert client_ip("not-an-ip", None, PROXIES) is None


def test_ipv6_and_ports():
	assert client_ip("::1", "2001:db8::7", PROXIES) == "2001:db8::7"
	assert client_ip("::1", "[2001:db8::7]:4711", PROXIES) == "2001:db8::7"
	assert client_ip("127.0.0.1", "185.36.208.10:5060", PROXIES) == "185.36.208.10"
	assert client_ip("2001:db8::99", "185.36.208.10", PROXIES) == "2001:db8::99"
	assert client_ip("::ffff:127.0.0.1", "185.36.208.10", PROXIES) == "185.36.208.10"


def test_trusted_proxies_may_be_strings():
	assert client_ip("127.0.0.1", "185.36.208.10", ["127.0.0.1"]) == "185.36.208.10"
	assert client_ip("10.0.0.2", "185.36.208.10", ["10.0.0.7/24"]) == "185.36.208.10"  # host bits tolerated


def outside_proxies(address) -> bool:
	return not any(address in network for network in PROXIES if network.version == address.version)


@given(st.lists(st.ip_addresses().map(str), max_size=5), st.ip_addresses(v=4).filter(outside_proxies))
def test_spoofed_hops_never_win_over_the_real_peer(spoofed, attacker):
	# a client can prepend anything; our proxy appends the address it really saw
	assert client_ip("127.0.0.1", ", ".join([*spoofed, str(attacker)]), PROXIES) == str(attacker)


# ---- allowlist ----------------------------------------------------------------------------------------

ALLOWED = parse_networks("185.36.208.0/24\n2001:db8::/32")


def test_ip_allowed():
	assert ip_allowed("185.36.208.77", ALLOWED)
	assert ip_allowed("2001:db8::1", ALLOWED)
	assert ip_allowed("::ffff:185.36.208.77", ALLOWED)
	assert not ip_allowed("185.36.209.1", ALLOWED)
	assert not ip_allowed("2001:db9::1", ALLOWED)
	assert not ip_allowed("::b924:d04d", ALLOWED)  # 185.36.208.77 as an IPv4-compatible IPv6, not mapped
	assert ip_allowed("185.36.208.77", ["185.36.208.0/24"])
	assert ip_allowed("185.36.208.77", ["185.36.208.7/24"])  # host bits tolerated


@pytest.mark.parametrize("ip", [None, "", "garbage", "185.36.208"])
def test_unparsable_ip_is_not_allowed(ip):
	assert not ip_allowed(ip, ALLOWED)


def test_empty_allowlist_allows_everything():
	assert ip_allowed("203.0.113.9", [])
	assert ip_allowed(None, [])


def test_parse_ip():
	assert str(parse_ip(" 10.0.0.1 ")) == "10.0.0.1"
	assert str(parse_ip("::FFFF:10.0.0.1")) == "10.0.0.1"
	assert parse_ip("10.0.0.1:99999999") is None
	assert str(parse_ip('"10.0.0.1"')) == "10.0.0.1"  # a quoted hop
	assert parse_ip("X10.0.0.1X") is None


# ---- application name ---------------------------------------------------------------------------------


def test_valid_application():
	assert valid_application("API 6230f", "API 6230f")
	assert valid_application(" API 6230f ", "API 6230f\n")
	assert not valid_application("api 6230f", "API 6230f")
	assert not valid_application("API 6230", "API 6230f")
	assert not valid_application(None, "API 6230f")
	assert not valid_application("", "API 6230f")


@pytest.mark.parametrize("expected", [None, "", "  "])
def test_application_not_configured_accepts_nothing(expected):
	assert not valid_application("whatever", expected)
	assert not valid_application(None, expected)
	assert not valid_application("", expected)
	assert application_reason("whatever", expected) == "no_application"


def test_application_reasons():
	assert application_reason("API 6230f", "API 6230f") is None
	assert application_reason(None, "API 6230f") == "missing_application"
	assert application_reason("  ", "API 6230f") == "missing_application"
	assert application_reason("API other", "API 6230f") == "bad_application"

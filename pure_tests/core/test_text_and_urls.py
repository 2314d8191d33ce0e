from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xappiens_whatsapp.core.text import has_markup, one_line, plain
from xappiens_whatsapp.core.urls import endpoint_problem, is_loopback, origin, safe_url


class MarkupSeen(HTMLParser):
	"""Records everything an HTML parser would turn into something other than text."""

	def __init__(self):
		super().__init__(convert_charrefs=True)
		self.seen = []

	def handle_starttag(self, tag, attrs):
		self.seen.append(("start", tag))

	def handle_endtag(self, tag):
		self.seen.append(("end", tag))

	def handle_comment(self, data):
		self.seen.append(("comment", data))

	def handle_decl(self, decl):
		self.seen.append(("decl", decl))

	def handle_pi(self, data):
		self.seen.append(("pi", data))

	def unknown_decl(self, data):
		self.seen.append(("unknown", data))


def markup_in(text: str) -> list:
	parser = MarkupSeen()
	parser.feed(text)
	parser.close()
	return parser.seen


HOSTILE = [
	"<img src=x onerror=alert(1)>",
	"<script>alert(document.cookie)</script>",
	"</textarea><svg/onload=alert(1)>",
	"<!--><img src=x onerror=alert(1)>-->",
	"<!DOCTYPE html><b>x</b>",
	"<?xml version='1.0'?>",
	"<IMG SRC=x OnError=alert(1)>",
	"a<b>bold</b>c",
	"<a href='javascript:alert(1)'>hi</a>",
	"\ud800<img src=x>",
	"x\x00<y>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_lose_their_markup_and_keep_their_words(text):
	assert markup_in(text), "the corpus entry must be markup to begin with"
	cleaned = plain(text)
	assert markup_in(cleaned) == []
	assert not has_markup(cleaned)
	cleaned.encode("utf-8")  # a database would refuse lone surrogates
	assert cleaned.replace("\u2039", "<").replace("\ufffd", "") in text.replace("\x00", "").replace(
		"\ud800", ""
	)


@pytest.mark.parametrize(
	"text", ["Tom <3", "a < b and c > d", "x<1", "<= 5", "Pérez & Hijos", "«Ana» 😀", "1 <"]
)
def test_ordinary_text_is_kept_exactly(text):
	assert plain(text) == text


def test_blank_and_non_text_values_are_none_and_numbers_are_text():
	assert plain(None) is None
	assert plain("   ") is None
	assert plain(True) is None
	assert plain({"a": 1}) is None
	assert plain(["x"]) is None
	assert plain(42) == "42"
	assert plain(1.5) == "1.5"


def test_limits_count_characters_and_never_end_in_markup():
	assert plain("abcdef", limit=3) == "abc"
	assert plain("ab <cdef", limit=4) == "ab \u2039"
	assert plain("😀" * 10, limit=4) == "😀" * 4


def test_controls_and_lone_surrogates_are_replaced_but_lines_kept():
	assert plain("a\x00b\x07c") == "a\ufffdb\ufffdc"
	assert plain("\ud83d") == "\ufffd"
	assert plain("one\ntwo\tthree") == "one\ntwo\tthree"
	assert one_line("  Ana\r\n  María\t López  ") == "Ana María López"
	assert one_line("x" * 200, limit=140) == "x" * 140


@settings(max_examples=4 * settings.default.max_examples)
@given(st.text(alphabet=st.characters(codec=None), max_size=80))
def test_any_text_comes_out_without_markup_and_storable(text):
	cleaned = plain(text)
	if cleaned is None:
		return
	assert markup_in(cleaned) == []
	cleaned.encode("utf-8")
	assert plain(cleaned) == cleaned  # idempotent: a second pass (another write path) changes nothing


@settings(max_examples=3 * settings.default.max_examples)
@given(
	st.lists(st.sampled_from(["<", "a", "/", "!", "?", "b", " ", ">", "<img", "x=", "'", '"']), max_size=30)
)
def test_any_mix_of_tag_characters_comes_out_without_markup(parts):
	cleaned = plain("".join(parts))
	assert cleaned is None or markup_in(cleaned) == []


@pytest.mark.parametrize(
	"url",
	[
		"https://pps.whatsapp.net/v/t61/abc.jpg?oh=01&oe=65",
		"https://mmg.whatsapp.net/d/f/Ag==.enc",
		"https://example.com:8443/path/file.pdf#page=2",
	],
)
def test_https_urls_are_kept(url):
	assert safe_url(url) == url


@pytest.mark.parametrize(
	"url",
	[
		"javascript:alert(1)",
		"http://example.com/a.jpg",
		"/files/%2e%2e/private/files/x.pdf",
		"//evil.example/x",
		"data:text/html;base64,PHNjcmlwdD4=",
		'https://x.example/"onerror=alert(1)',
		"https://x.example/<img>",
		"https://x.example/a b",
		"https://user:pass@x.example/a",
		"https://",
		"ftp://x.example/a",
		"https://x.example/" + "a" * 2100,
		None,
		123,
		"https://x.example:99999/",
	],
)
def test_other_urls_are_refused(url):
	assert safe_url(url) is None


def test_a_trusted_origin_may_be_plain_http_but_only_that_origin():
	gateway = "http://127.0.0.1:8084"
	assert safe_url("http://127.0.0.1:8084/media/x.jpg", (gateway,)) == "http://127.0.0.1:8084/media/x.jpg"
	assert safe_url("http://127.0.0.1:8085/media/x.jpg", (gateway,)) is None
	assert safe_url("http://evil.example/media/x.jpg", (gateway,)) is None
	assert safe_url("http://127.0.0.1:8084/x", (None, "")) is None


@pytest.mark.parametrize(
	"url",
	[
		"https://api.inbox-hub.com",
		"https://api.netelip.com/v1",
		"http://127.0.0.1:8084",
		"http://localhost:9000/api",
		"http://[::1]:8000",
		"http://xw.localhost",
		"",
		None,
	],
)
def test_provider_endpoints_that_are_accepted(url):
	assert endpoint_problem(url) is None


@pytest.mark.parametrize(
	"url",
	[
		"http://api.inbox-hub.com",
		"http://10.0.0.5:8084",
		"ftp://x.example",
		"https://u:p@api.example.com",
		"https://api.example.com/?token=x",
		"api.inbox-hub.com",
		"https://api.example.com/<x>",
	],
)
def test_provider_endpoints_that_are_refused(url):
	assert endpoint_problem(url)


def test_loopback_hosts():
	assert (
		is_loopback("127.0.0.2")
		and is_loopback("::1")
		and is_loopback("localhost")
		and is_loopback("a.localhost")
	)
	assert not is_loopback("10.0.0.1") and not is_loopback("localhost.evil.example") and not is_loopback(None)


def test_a_cut_never_leaves_trailing_space():
	assert plain("ab cd", limit=3) == "ab"
	assert plain("  ab  ", limit=2) == "ab"


@pytest.mark.parametrize(
	"text, markup",
	[
		("<b>x</b>", True),
		("a </p>", True),
		("<!-- x -->", True),
		("Tom <3", False),
		("", False),
		(None, False),
	],
)
def test_has_markup(text, markup):
	assert has_markup(text) is markup


def test_an_origin_is_lower_case_scheme_host_and_port():
	assert origin("HTTPS://Api.Example.COM:8443/x") == ("https", "api.example.com", 8443)
	assert origin("http://[::1]/") == ("http", "::1", None)
	assert origin("mailto:a@b.c") is None


def test_a_url_may_be_as_long_as_the_limit_and_no_longer():
	url = "https://x.example/"
	assert safe_url(url + "a" * (2048 - len(url))) == url + "a" * (2048 - len(url))
	assert safe_url(url + "a" * (2049 - len(url))) is None


def test_a_user_name_alone_is_refused_too():
	assert safe_url("https://user@x.example/a") is None
	assert endpoint_problem("https://user@api.example.com") == "must not contain a user name or password"


def test_a_bracketed_ipv6_loopback_is_this_machine():
	assert is_loopback("[::1]")


@pytest.mark.parametrize(
	"url, problem",
	[
		("api.inbox-hub.com", "not an absolute http(s) address"),
		("https://u:p@api.example.com", "must not contain a user name or password"),
		("https://api.example.com/?token=x", "must not contain a query or a fragment"),
		("https://api.example.com/#x", "must not contain a query or a fragment"),
		("http://api.inbox-hub.com", "must use https (plain http only to this machine)"),
	],
)
def test_each_refusal_of_an_endpoint_says_why(url, problem):
	assert endpoint_problem(url) == problem

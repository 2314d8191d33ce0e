"""Which received files are stored, and from where."""

import pytest

from xappiens_whatsapp.core.media_rules import (
	DEFAULT_ALLOWED,
	MediaRefused,
	allowed_patterns,
	check,
	content_matches,
	download_url_allowed,
	file_name,
	mimetype_allowed,
	retry_delay_minutes,
)

JPEG = b"\xff\xd8\xff\xe0" + bytes(20)
GATEWAY = "https://api.inbox-hub.com"


@pytest.mark.parametrize(
	"mimetype",
	[
		"image/jpeg",
		"audio/ogg; codecs=opus",
		"application/pdf",
		"VIDEO/MP4",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	],
)
def test_the_usual_types_are_allowed(mimetype):
	assert mimetype_allowed(mimetype)


@pytest.mark.parametrize(
	"mimetype",
	["text/html", "image/svg+xml", "application/x-msdownload", "", None, "nonsense", "application/x-sh"],
)
def test_types_a_browser_would_run_are_never_allowed(mimetype):
	assert not mimetype_allowed(mimetype, ("*/*", "*"))


def test_the_setting_replaces_the_defaults_and_takes_wildcards():
	patterns = allowed_patterns("image/*\n# comment\n\naudio/ogg")
	assert patterns == ("image/*", "audio/ogg")
	assert mimetype_allowed("image/webp", patterns)
	assert not mimetype_allowed("application/pdf", patterns)
	assert allowed_patterns("  \n") == DEFAULT_ALLOWED


def test_content_must_be_what_it_claims():
	assert content_matches("image/jpeg", JPEG)
	assert not content_matches("image/png", JPEG)  # a JPEG calling itself a PNG
	assert not content_matches("image/jpeg", b"\x8a\x11encrypted")  # WhatsApp's still-encrypted bytes
	assert not content_matches("application/pdf", b"<html>")
	assert content_matches("application/msword", b"\xd0\xcf\x11\xe0")  # a format without a known signature
	assert not content_matches("image/webp", b"RIFF0000WAVE")
	assert content_matches("image/webp", b"RIFF0000WEBPVP8 ")


def test_check_gives_the_reason_shown_on_the_message():
	check("image/jpeg", JPEG, 1024, DEFAULT_ALLOWED)
	with pytest.raises(MediaRefused, match="larger than 16 bytes"):
		check("image/jpeg", JPEG, 16, DEFAULT_ALLOWED)
	with pytest.raises(MediaRefused, match="type text/html is not allowed"):
		check("text/html", b"<b>", 1024, DEFAULT_ALLOWED)
	with pytest.raises(MediaRefused, match="content is not image/png"):
		check("image/png", JPEG, 1024, DEFAULT_ALLOWED)
	with pytest.raises(MediaRefused, match="empty"):
		check("image/jpeg", b"", 1024, DEFAULT_ALLOWED)


@pytest.mark.parametrize(
	("url", "allowed"),
	[
		("https://mmg.whatsapp.net/v/t62/abc.enc?x=1", True),
		("https://media-mad1-1.cdn.whatsapp.net/v/x", True),
		("https://api.inbox-hub.com/uploads/x.jpg", True),
		("http://mmg.whatsapp.net/x", False),
		("https://whatsapp.net.evil.example/x", False),
		("https://evilwhatsapp.net/x", False),
		("https://169.254.169.254/latest/meta-data", False),
		("https://user:pw@mmg.whatsapp.net/x", False),
		("javascript:alert(1)", False),
		("/relative", False),
		(None, False),
	],
)
def test_payload_urls_are_fetched_only_from_the_gateway_or_whatsapp(url, allowed):
	assert download_url_allowed(url, GATEWAY) is allowed


def test_file_names_are_safe_and_have_an_extension():
	assert file_name("factura <1>.pdf", "application/pdf", "ABC") == "factura _1_.pdf"
	assert file_name(None, "audio/ogg; codecs=opus", "3EB0AB") == "whatsapp-3EB0AB.ogg"
	assert file_name("../../etc/passwd", "text/plain", "X") == "etc_passwd.txt"
	assert file_name("", "weird/type", "X").endswith(".type")


def test_retries_back_off_then_stop():
	delays = [retry_delay_minutes(n) for n in range(1, 7)]
	assert delays[:5] == sorted(delays[:5]) and delays[0] >= 1
	assert delays[5] is None
	assert retry_delay_minutes(0) is None

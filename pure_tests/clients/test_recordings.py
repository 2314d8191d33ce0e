"""Call recordings fetched for the desk: from the allowed hosts only, audio only, bounded in size, no redirects."""

from __future__ import annotations

import pytest
from provider_test_values import APPLICATION, NETELIP_TOKEN

from xappiens_whatsapp.clients.recordings import RecordingUnavailable, fetch
from xappiens_whatsapp.core.urls import on_hosts
from xappiens_whatsapp.testing.fake_netelip import FakeNetelip

SOUND = b"ID3" + bytes(range(256)) * 4


@pytest.fixture
def netelip():
	with FakeNetelip(token=NETELIP_TOKEN, application=APPLICATION) as fake:
		yield fake


def test_a_recording_is_fetched_with_its_type(netelip):
	url = netelip.add_recording("call-1.mp3", SOUND)
	got = fetch(url)
	assert (got.content, got.content_type) == (SOUND, "audio/mpeg")


@pytest.mark.parametrize(
	("status", "content", "content_type", "why"),
	[
		(404, b"", "audio/mpeg", "answered 404"),
		(200, b"<html>login</html>", "text/html", "not a recording"),
		(302, b"", "audio/mpeg", "answered 302"),
	],
)
def test_what_is_not_a_recording_is_refused(netelip, status, content, content_type, why):
	url = netelip.add_recording("bad.mp3", content, content_type, status)
	with pytest.raises(RecordingUnavailable, match=why):
		fetch(url)


def test_a_recording_over_the_limit_is_refused(netelip):
	url = netelip.add_recording("long.mp3", SOUND * 10)
	with pytest.raises(RecordingUnavailable, match="too large"):
		fetch(url, max_bytes=len(SOUND))


def test_an_unreachable_server_is_said_without_the_address():
	with pytest.raises(RecordingUnavailable) as caught:
		fetch("http://127.0.0.1:9/secret-path.mp3", timeout=2)
	assert "secret-path" not in str(caught.value)


@pytest.mark.parametrize(
	("url", "allowed"),
	[
		("https://netelip.com/rec/1.mp3", True),
		("https://grabaciones.netelip.com/rec/1.mp3", True),
		("https://evilnetelip.com/rec/1.mp3", False),
		("https://netelip.com.evil.example/rec/1.mp3", False),
		("http://netelip.com/rec/1.mp3", False),
		("https://user:pw@netelip.com/rec/1.mp3", False),
		("javascript:alert(1)", False),
		("/api/method/logout", False),
		("http://127.0.0.1:8123/recordings/1.mp3", True),  # the configured API's own origin
		("http://127.0.0.1:8124/recordings/1.mp3", False),
		(None, False),
	],
)
def test_only_netelip_hosts_are_fetched(url, allowed):
	assert on_hosts(url, ["netelip.com"], ("http://127.0.0.1:8123/v1",)) is allowed

"""Downloading received media from the fake gateway: every answer shape, and every way it goes wrong."""

from __future__ import annotations

import pytest
from provider_test_values import API_KEY, SESSION

from xappiens_whatsapp.clients.errors import ProviderNotFound, ProviderTimeout
from xappiens_whatsapp.clients.inbox_hub_media import MediaDownloader
from xappiens_whatsapp.core.media_rules import MediaRefused
from xappiens_whatsapp.testing.fake_inbox_hub_media import TINY_JPEG

OGG = b"OggS" + bytes(60)


@pytest.fixture
def downloader(client):
	return MediaDownloader(client, max_bytes=1024, timeout=2.0)


@pytest.mark.parametrize("shape", ["raw", "base64", "url"])
def test_every_answer_shape_gives_the_same_file(hub, downloader, shape):
	hub.put_media(SESSION, "MID1", TINY_JPEG, "image/jpeg", "photo.jpg", shape=shape)
	got = downloader.from_gateway(SESSION, "MID1")
	assert got.content == TINY_JPEG
	assert got.mimetype == "image/jpeg"
	assert got.filename == "photo.jpg"
	media = hub.media_requests()
	assert all(r["headers"].get("X-API-Key") == API_KEY for r in media)
	assert len(media) == (2 if shape == "url" else 1)


def test_a_missing_file_is_not_found(hub, downloader):
	with pytest.raises(ProviderNotFound):
		downloader.from_gateway(SESSION, "NOPE")


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read_whole(hub, downloader):
	hub.put_media(SESSION, "BIG", b"\xff\xd8\xff" + bytes(4096), "image/jpeg")
	with pytest.raises(MediaRefused, match="larger than 1 KB"):
		downloader.from_gateway(SESSION, "BIG")


def test_base64_larger_than_the_limit_is_refused(hub, downloader):
	hub.put_media(SESSION, "BIG64", bytes(1500), "image/jpeg", shape="base64")
	with pytest.raises(MediaRefused, match="larger than"):
		downloader.from_gateway(SESSION, "BIG64")


def test_a_gateway_slower_than_the_timeout_times_out(hub, make_client):
	client = make_client(max_attempts=1)
	downloader = MediaDownloader(client, max_bytes=1024, timeout=0.5)
	hub.put_media(SESSION, "SLOW", OGG, "audio/ogg")
	hub.slow("/api/messages/*/SLOW/media", 2.0)
	with pytest.raises(ProviderTimeout):
		downloader.from_gateway(SESSION, "SLOW")


def test_a_slow_gateway_within_the_timeout_is_waited_for(hub, client):
	hub.put_media(SESSION, "SLOWOK", OGG, "audio/ogg; codecs=opus")
	hub.slow("/api/messages/*/SLOWOK/media", 0.3)
	got = MediaDownloader(client, max_bytes=1024, timeout=5).from_gateway(SESSION, "SLOWOK")
	assert got.content == OGG
	assert got.mimetype == "audio/ogg"


def test_a_server_error_is_retried_by_the_client(hub, client, sleeps):
	hub.put_media(SESSION, "FLAKY", OGG, "audio/ogg")
	hub.fail("/api/messages/*/FLAKY/media", 503)
	assert MediaDownloader(client, 1024, 2).from_gateway(SESSION, "FLAKY").content == OGG
	assert sleeps.calls == [1.0]


@pytest.mark.parametrize(
	"url",
	[
		"http://mmg.whatsapp.net/x.enc",  # not https
		"https://evil.example/x.jpg",
		"https://10.0.0.1/x",
		"https://whatsapp.net.evil.example/x",
	],
)
def test_addresses_off_the_gateway_and_whatsapp_are_never_fetched(downloader, url):
	with pytest.raises(MediaRefused, match="not on the gateway"):
		downloader.from_url(url)


def test_the_api_key_goes_only_to_the_gateway(hub, downloader):
	hub.put_media(SESSION, "K", OGG, "audio/ogg")
	got = downloader.from_url(f"{hub.url}/__media__/{SESSION}/K")
	assert got.content == OGG
	assert hub.media_requests()[-1]["headers"].get("X-API-Key") == API_KEY

"""InboxHubClient session calls against the fake gateway over loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

import pytest
from provider_test_values import API_KEY, JWT, SESSION, WEBHOOK_SECRET

from xappiens_whatsapp.clients.errors import (
	InvalidRequest,
	ProviderAuthError,
	ProviderNotFound,
	ProviderRejected,
)
from xappiens_whatsapp.clients.inbox_hub import ALL_EVENTS, InboxHubClient, SessionInfo
from xappiens_whatsapp.core.inbox_hub_ids import strip_data_url
from xappiens_whatsapp.core.inbox_hub_model import ALIASES


def test_create_session_sends_the_documented_body(hub, client):
	info = client.create_session(
		"crm_new_1", "CRM main", "https://crm.example/hook", WEBHOOK_SECRET, phone_number="+34 600 000 002"
	)

	(request,) = hub.requests_to("/api/sessions", "POST")
	assert request["json"] == {
		"sessionId": "crm_new_1",
		"sessionName": "CRM main",
		"webhookUrl": "https://crm.example/hook",
		"webhookSecret": WEBHOOK_SECRET,
		"webhookEvents": list(ALL_EVENTS),
		"phoneNumber": "34600000002",
	}
	assert request["headers"]["X-API-Key"] == API_KEY
	assert "Authorization" not in request["headers"]
	assert info == SessionInfo(
		id=93,
		session_id="crm_new_1",
		status="pending",
		is_connected=False,
		phone_number="34600000002",
		name="CRM main",
	)


def test_subscribes_to_the_contract_names_only():
	# The gateway matches subscriptions by name: an alias (message_ack) would subscribe to nothing.
	assert all(re.fullmatch(r"[a-z]+\.[a-z]+", name) for name in ALL_EVENTS)
	assert not set(ALL_EVENTS) & set(ALIASES)
	assert len(set(ALL_EVENTS)) == len(ALL_EVENTS)
	essential = {"message.received", "message.sent", "message.ack", "session.connected", "session.qr"}
	assert essential <= set(ALL_EVENTS)
	assert "session.disconnected" in ALL_EVENTS


def test_create_session_reads_flat_data_too(hub, client):
	hub.configure(session_response_nested=False)
	info = client.create_session("crm_flat", "Flat", None, None)
	assert (info.id, info.session_id, info.status) == (93, "crm_flat", "pending")
	assert hub.requests_to("/api/sessions")[0]["json"] == {
		"sessionId": "crm_flat",
		"sessionName": "Flat",
		"webhookEvents": list(ALL_EVENTS),
	}


def test_existing_session_is_a_409_and_not_retried(hub, client, sleeps):
	client.create_session("crm_dup", "Dup")
	with pytest.raises(ProviderRejected) as caught:
		client.create_session("crm_dup", "Dup")
	assert (caught.value.status, caught.value.code, caught.value.message) == (
		409,
		"SESSION_ALREADY_EXISTS",
		"Session already exists",
	)
	assert len(hub.requests_to("/api/sessions", "POST")) == 2
	assert sleeps.calls == []


@pytest.mark.parametrize(
	("session_id", "secret"),
	[("ab", WEBHOOK_SECRET), ("has space", WEBHOOK_SECRET), ("crm_ok", "short-secret")],
)
def test_invalid_create_is_refused_before_sending(hub, client, session_id, secret):
	with pytest.raises(InvalidRequest):
		client.create_session(session_id, "Name", "https://crm.example/hook", secret)
	assert hub.requests == []


@pytest.mark.parametrize("suffix", ["", "/", "/api", "/api/"])
def test_base_url_with_or_without_api(hub, make_client, suffix):
	hub.add_session(SESSION)
	client = make_client(base_url=hub.url + suffix)
	assert client.base_url == hub.url
	client.get_status(93)
	assert [r["path"] for r in hub.requests] == ["/api/sessions/93/status"]


def test_jwt_is_sent_as_bearer_beside_the_key(hub, make_client):
	hub.add_session(SESSION)
	make_client(jwt=JWT).get_status(93)
	headers = hub.requests[0]["headers"]
	assert (headers["X-API-Key"], headers["Authorization"]) == (API_KEY, f"Bearer {JWT}")


def test_connect_scan_and_the_signed_session_webhooks(hub, client, receiver):
	created = client.create_session("crm_link", "Link", f"{receiver.url}/hook", WEBHOOK_SECRET)
	started = client.connect(created.id)
	assert (started.id, started.session_id, started.status) == (93, "crm_link", "connecting")
	assert client.get_status(93).status == "qr_code"

	hub.scan("crm_link", phone_number="34600000002")
	assert hub.wait_for_webhooks()
	status = client.get_status(93)
	assert (status.status, status.is_connected, status.phone_number) == ("connected", True, "34600000002")

	assert [r.header("X-Webhook-Event") for r in receiver.received] == ["session.qr", "session.connected"]
	for request in receiver.received:
		expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
		assert request.header("X-Webhook-Signature") == expected
		assert request.header("X-Webhook-Session") == "crm_link"
		assert len(request.header("X-Webhook-Timestamp")) == 13  # epoch milliseconds
	qr_event = json.loads(receiver.received[0].body)
	assert qr_event["data"]["qrCode"].startswith("data:image/png;base64,iVBORw0KGgo")
	assert json.loads(receiver.received[1].body)["data"]["phoneNumber"] == "34600000002"


def test_is_connected_wins_over_a_stale_status(hub, client):
	hub.add_session(SESSION)
	hub.update_session(SESSION, status="connected", isConnected=False)
	info = client.get_status(93)
	assert (info.status, info.is_connected) == ("disconnected", False)
	hub.update_session(SESSION, status="connecting", isConnected=True)
	assert client.get_status(93).status == "connected"


@pytest.mark.parametrize("prefixes", [0, 1, 2, 3])
def test_qr_is_raw_base64_whatever_the_prefixes(hub, client, prefixes):
	hub.add_session(SESSION, connected=False)
	client.connect(93)
	hub.configure(qr_prefix_repeat=prefixes)
	qr = client.get_qr(93)
	assert qr.image_base64 == hub.session(SESSION)["qrCode"]
	assert base64.b64decode(qr.image_base64).startswith(b"\x89PNG\r\n\x1a\n")
	assert qr.expires_at == hub.session(SESSION)["qrExpiresAt"]
	assert (qr.status, qr.session_id) == ("qr_code", SESSION)


def test_qr_not_ready_is_not_found_and_not_retried(hub, client, sleeps):
	hub.add_session(SESSION, connected=False)
	with pytest.raises(ProviderNotFound) as caught:
		client.get_qr(93)
	assert (caught.value.status, caught.value.code) == (404, "QR_NOT_AVAILABLE")
	assert len(hub.requests) == 1
	assert sleeps.calls == []


@pytest.mark.parametrize(
	("raw", "expected"),
	[
		("data:image/png;base64,AAAA", "AAAA"),
		("data:image/png;base64,data:image/png;base64,AAAA", "AAAA"),
		(" DATA:image/jpeg;base64, AAAA\n", "AAAA"),
		("AAAA", "AAAA"),
		("", ""),
		(None, ""),
	],
)
def test_strip_data_url(raw, expected):
	assert strip_data_url(raw) == expected


def test_disconnect_restart_webhook_sync_delete(hub, client):
	hub.add_session(SESSION)
	assert client.disconnect(93).status == "disconnected"
	assert client.restart(93).status == "qr_code"
	client.set_webhook(93, "https://crm.example/new", WEBHOOK_SECRET)
	assert hub.requests_to("/api/sessions/93/webhook", "PUT")[0]["json"] == {
		"webhookUrl": "https://crm.example/new",
		"webhookSecret": WEBHOOK_SECRET,
	}
	assert hub.session(SESSION)["webhookUrl"] == "https://crm.example/new"
	assert client.sync(SESSION)["sessionId"] == SESSION
	client.delete_session(93)
	assert hub.sessions == {}
	with pytest.raises(ProviderNotFound) as caught:
		client.get_status(93)
	assert caught.value.code == "SESSION_NOT_FOUND"


def test_list_sessions_reads_items_and_total(hub, client):
	for n in range(3):
		hub.add_session(f"crm_s{n}")
	page = client.list_sessions(page=2, limit=2)
	assert [s.session_id for s in page] == ["crm_s2"]
	assert (page.total, page.page, page.limit) == (3, 2, 2)
	assert hub.requests[0]["query"] == {"page": "2", "limit": "2"}


def test_wrong_api_key_is_an_auth_error(hub, make_client, sleeps):
	hub.add_session(SESSION)
	with pytest.raises(ProviderAuthError) as caught:
		make_client(api_key="wrong-key-0000").get_status(93)
	assert (caught.value.status, caught.value.code, caught.value.message) == (
		401,
		"INVALID_API_KEY",
		"Invalid API key",
	)
	assert len(hub.requests) == 1
	assert sleeps.calls == []


def test_client_needs_a_key_and_a_base_url():
	with pytest.raises(ValueError):
		InboxHubClient("http://127.0.0.1:1", "")
	with pytest.raises(ValueError):
		InboxHubClient("/api", API_KEY)

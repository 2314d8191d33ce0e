"""The fakes themselves: remote control over HTTP, key checks, and running as separate processes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from provider_test_values import API_KEY, CONTACT, NETELIP_TOKEN, SESSION

from xappiens_whatsapp.clients.errors import ProviderUnavailable
from xappiens_whatsapp.testing.fake_inbox_hub import FakeInboxHub, new_message_id

REPO = Path(__file__).resolve().parents[2]


def test_requests_reset_and_health_over_http(hub, client, connected):
	client.send_text(connected, CONTACT, "hola")
	log = requests.get(f"{hub.url}/__fake__/requests", timeout=5).json()["requests"]
	assert [(r["method"], r["path"], r["json"]) for r in log] == [
		("POST", f"/api/messages/{SESSION}/send", {"to": CONTACT, "type": "text", "message": "hola"})
	]
	assert log[0]["headers"]["X-API-Key"] == API_KEY
	assert requests.get(f"{hub.url}/__fake__/health", timeout=5).json() == {
		"ok": True,
		"name": "fake-inbox-hub",
	}

	assert requests.post(f"{hub.url}/__fake__/reset", timeout=5).json() == {"ok": True}
	assert hub.requests == [] and hub.sessions == {} and hub.messages == []


def test_script_over_http_programs_sessions_config_and_faults(hub, client, sleeps):
	program = {
		"config": {"send_response_shape": "B"},
		"add_sessions": [{"session_id": "crm_remote", "phone_number": "34600000002"}],
		"faults": [{"path": "/api/messages/*/send", "status": 503, "times": 1}],
	}
	answer = requests.post(f"{hub.url}/__fake__/script", json=program, timeout=5).json()
	assert answer["ok"] is True
	assert [s["sessionId"] for s in answer["state"]["sessions"]] == ["crm_remote"]
	assert answer["state"]["config"]["send_response_shape"] == "B"

	result = client.send_text("crm_remote", CONTACT, "x")
	assert result.gateway_row_id == "10854"
	assert sleeps.calls == [1.0]
	assert [r.get("fault") for r in hub.requests] == ["respond", None]


def test_script_errors_are_400(hub):
	for program in (
		{"faults": [{"path": "*", "bogus": 1}]},
		{"config": {"nope": 1}},
		{"faults": [{"action": "explode"}]},
	):
		response = requests.post(f"{hub.url}/__fake__/script", json=program, timeout=5)
		assert response.status_code == 400
		assert response.json()["ok"] is False


def test_reset_restores_the_starting_settings(hub):
	hub.configure(send_response_shape="B", auto_ack=True)
	hub.reset()
	assert (hub.send_response_shape, hub.auto_ack) == ("A", False)


def test_missing_key_is_401(hub, connected):
	response = requests.get(f"{hub.url}/api/sessions/93/status", timeout=5)
	assert response.status_code == 401
	assert response.json()["code"] == "MISSING_API_KEY"
	response = requests.get(f"{hub.url}/api/sessions/93/status", headers={"X-API-Key": "nope"}, timeout=5)
	assert (response.status_code, response.json()) == (
		401,
		{
			"success": False,
			"error": "Invalid API key",
			"code": "INVALID_API_KEY",
			"timestamp": response.json()["timestamp"],
		},
	)


def test_received_message_webhook_has_the_g_shape(hub, connected, receiver):
	message_id = hub.receive(connected, CONTACT, "Hola")
	assert hub.wait_for_webhooks()
	(request,) = receiver.of("message.received")
	payload = json.loads(request.body)
	assert payload["event"] == "message.received" and payload["sessionId"] == SESSION
	assert payload["data"]["id"] == {
		"fromMe": False,
		"remote": "34600000001@c.us",
		"id": message_id,
		"_serialized": f"false_34600000001@c.us_{message_id}_in",
	}
	assert (payload["data"]["body"], payload["data"]["type"], payload["data"]["fromMe"]) == (
		"Hola",
		"chat",
		False,
	)


def test_message_ids_look_like_whatsapp_ids():
	ids = {new_message_id() for _ in range(50)}
	assert len(ids) == 50
	assert all(re.fullmatch(r"3EB0[0-9A-F]{18}", i) for i in ids)


def test_stopped_fake_refuses_connections(make_client, sleeps):
	fake = FakeInboxHub(api_key=API_KEY).start()
	url = fake.url
	fake.stop()
	with pytest.raises(ProviderUnavailable):
		make_client(base_url=url, max_attempts=1).get_status(1)


@pytest.mark.parametrize(
	("module", "args", "check"),
	[
		("xappiens_whatsapp.testing.fake_inbox_hub", ["--api-key", API_KEY], "/__fake__/health"),
		("xappiens_whatsapp.testing.fake_netelip", ["--token", NETELIP_TOKEN], "/__fake__/health"),
	],
)
def test_fakes_run_as_processes(module, args, check):
	process = subprocess.Popen(
		[sys.executable, "-m", module, "--port", "0", *args],
		cwd=REPO,
		stdout=subprocess.PIPE,
		stderr=subprocess.PIPE,
		text=True,
	)
	try:
		line = process.stdout.readline()
		match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
		assert match, line + process.stderr.read()
		url = match.group(1)
		assert requests.get(url + check, timeout=5).json()["ok"] is True
	finally:
		process.terminate()
		assert process.wait(timeout=5) == 0

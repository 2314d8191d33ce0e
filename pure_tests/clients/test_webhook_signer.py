"""The test-side webhook signer: compact JSON like JSON.stringify, HMAC over the exact bytes posted."""

from __future__ import annotations

import hashlib
import hmac
import json

from provider_test_values import WEBHOOK_SECRET

from xappiens_whatsapp.testing.webhook_signer import post_signed, serialise, sign


def test_serialise_is_compact_and_keeps_unicode():
	payload = {"event": "message.received", "data": {"body": "¿Qué tal? 😀", "n": [1, 2]}}
	assert (
		serialise(payload) == '{"event":"message.received","data":{"body":"¿Qué tal? 😀","n":[1,2]}}'.encode()
	)


def test_sign_is_prefixed_hex_hmac_sha256():
	# Reference values from openssl: printf '{"a":1}' | openssl dgst -sha256 -hmac 'key-0123456789abcdef'
	assert (
		sign(b'{"a":1}', "key-0123456789abcdef")
		== "sha256=89b646fc835ea0b000ad7b57585a05c531ee674e6f4b85ccf85f62dfb052a376"
	)
	assert sign(b"", "k") == "sha256=8bb990c40a7d61cb97597a942125025be50ac8beb74436e3735b98893a7f6620"


def test_post_signed_delivers_bytes_that_verify(receiver):
	payload = {
		"event": "message.ack",
		"sessionId": "crm_main",
		"data": {"messageId": "3EB0AA", "ack": 2, "note": "ñ"},
	}
	status, text = post_signed(
		f"{receiver.url}/hook", payload, WEBHOOK_SECRET, "crm_main", "message.ack", 1729443600000
	)

	assert (status, json.loads(text)) == (200, {"ok": True})
	(request,) = receiver.received
	assert request.body == serialise(payload)
	header = request.header("X-Webhook-Signature")
	assert header.startswith("sha256=")
	expected = hmac.new(WEBHOOK_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
	assert hmac.compare_digest(header.removeprefix("sha256="), expected)
	assert request.header("X-Webhook-Event") == "message.ack"
	assert request.header("X-Webhook-Session") == "crm_main"
	assert request.header("X-Webhook-Timestamp") == "1729443600000"
	assert request.header("Content-Type") == "application/json"


def test_no_secret_means_no_signature_header(receiver):
	post_signed(f"{receiver.url}/hook", {"event": "x"}, None, "crm_main", "x")
	(request,) = receiver.received
	assert request.header("X-Webhook-Signature") is None
	assert request.header("X-Webhook-Timestamp").isdigit()

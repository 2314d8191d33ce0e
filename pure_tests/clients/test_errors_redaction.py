"""Secrets never reach an error's text, whatever the server echoes back."""

from __future__ import annotations

import json
from urllib.parse import quote_plus

import pytest
from provider_test_values import API_KEY, CONTACT, JWT, NETELIP_TOKEN, SESSION, WEBHOOK_SECRET

from xappiens_whatsapp.clients.errors import (
	MASK,
	ProviderError,
	ProviderRateLimited,
	ProviderRejected,
	ProviderTimeout,
	ProviderUnavailable,
	redact,
)


def assert_clean(error: BaseException, *secrets: str) -> None:
	texts = [str(error), repr(error), repr(getattr(error, "details", None)), repr(error.args)]
	for secret in secrets:
		for text in texts:
			assert secret not in text
			assert quote_plus(secret) not in text


def test_echoed_api_key_and_jwt_are_redacted(hub, make_client, connected):
	hub.fail(
		f"/api/messages/{SESSION}/send",
		400,
		body={
			"success": False,
			"error": f"key {API_KEY} and token Bearer {JWT} are not allowed here",
			"code": f"BAD_{API_KEY}",
			"details": {"headers": {"X-API-Key": API_KEY}, "list": [JWT]},
		},
	)
	with pytest.raises(ProviderRejected) as caught:
		make_client(jwt=JWT).send_text(connected, CONTACT, "x")
	assert_clean(caught.value, API_KEY, JWT)
	assert caught.value.message == f"key {MASK} and token Bearer {MASK} are not allowed here"
	assert caught.value.details == {"headers": {"X-API-Key": MASK}, "list": [MASK]}


def test_echoed_webhook_secret_is_redacted(hub, client):
	hub.fail("/api/sessions", 422, body={"success": False, "error": f"secret {WEBHOOK_SECRET} rejected"})
	with pytest.raises(ProviderRejected) as caught:
		client.create_session("crm_x1", "X", "https://crm.example/hook", WEBHOOK_SECRET)
	assert_clean(caught.value, WEBHOOK_SECRET, API_KEY)
	assert caught.value.message == f"secret {MASK} rejected"


@pytest.mark.parametrize(
	"body",
	[
		{
			"success": False,
			"error": f"secret {WEBHOOK_SECRET} is weak",
			"details": {"webhookSecret": WEBHOOK_SECRET},
		},
		f"<pre>accepted webhookSecret={WEBHOOK_SECRET}</pre>",
	],
	ids=["200 with success false", "200 that is not JSON"],
)
def test_a_secret_echoed_in_a_200_that_is_an_error_is_redacted(hub, client, body):
	hub.fail("/api/sessions", 200, body=body)
	with pytest.raises(ProviderError) as caught:
		client.create_session("crm_x2", "X", "https://crm.example/hook", WEBHOOK_SECRET)
	assert_clean(caught.value, WEBHOOK_SECRET, API_KEY)


def test_secret_in_a_non_json_error_page_is_redacted(hub, client, connected):
	hub.fail("/api/sessions/93/status", 500, body=f"<pre>upstream said {API_KEY}</pre>", times=None)
	with pytest.raises(ProviderUnavailable) as caught:
		client.get_status(93)
	assert_clean(caught.value, API_KEY)


def test_secret_in_the_base_url_is_redacted_from_transport_errors(make_client, closed_port):
	client = make_client(base_url=f"http://127.0.0.1:{closed_port}/{API_KEY}", max_attempts=1)
	with pytest.raises(ProviderUnavailable) as caught:
		client.get_status(93)
	assert_clean(caught.value, API_KEY)
	assert API_KEY not in repr(client)


def test_redact_covers_encoded_forms_and_nesting():
	secret = 'a+b/c d"e'
	escaped = json.dumps(secret)[1:-1]
	text = f"raw {secret} url {quote_plus(secret)} json {escaped}"
	assert redact(text, [secret]) == f"raw {MASK} url {MASK} json {MASK}"
	assert redact({"k": [secret, 3]}, [None, "", secret]) == {"k": [MASK, 3]}
	assert redact("nothing to hide", []) == "nothing to hide"


def test_error_attributes_and_text():
	error = ProviderRateLimited(
		"slow down", provider="inbox_hub", status=429, code="RATE_LIMIT_EXCEEDED", retry_after=2.5
	)
	assert str(error) == "inbox_hub: slow down | HTTP 429 | code RATE_LIMIT_EXCEEDED"
	assert (error.retry_after, error.retryable, error.outcome_unknown) == (2.5, True, False)
	timeout = ProviderTimeout("no answer", provider="netelip")
	assert (timeout.retryable, timeout.outcome_unknown, timeout.status) == (False, True, None)
	assert isinstance(timeout, ProviderError)
	plain = ProviderError(f"token {NETELIP_TOKEN}", provider="netelip", secrets=[NETELIP_TOKEN])
	assert str(plain) == f"netelip: token {MASK}"

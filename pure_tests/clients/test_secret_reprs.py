"""Objects that hold a key, token or secret never show it in repr or str (tracebacks print both, with every
frame's local variables), and a client never sends its key or token to an address it must not."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from provider_test_values import API_KEY, APPLICATION, JWT, NETELIP_TOKEN, WEBHOOK_SECRET

from xappiens_whatsapp.clients.errors import ProviderError, ProviderRejected
from xappiens_whatsapp.clients.http import JsonHttpClient
from xappiens_whatsapp.clients.inbox_hub import InboxHubClient
from xappiens_whatsapp.clients.netelip import NetelipClient


def shown(obj: object) -> str:
	return repr(obj) + "\n" + str(obj)


def assert_hidden(obj: object, *secrets: str) -> None:
	text = shown(obj)
	for secret in secrets:
		assert secret not in text
		assert quote(secret, safe="") not in text


def test_json_http_client(hub):
	client = JsonHttpClient(f"{hub.url}/{API_KEY}", secrets=(API_KEY, WEBHOOK_SECRET))
	assert_hidden(client, API_KEY, WEBHOOK_SECRET)
	assert "JsonHttpClient" in repr(client)


def test_inbox_hub_client(hub):
	client = InboxHubClient(hub.url, API_KEY, jwt=JWT)
	assert_hidden(client, API_KEY, JWT)
	assert hub.url in repr(client), "the address is still there to tell clients apart"


def test_netelip_client(netelip):
	client = NetelipClient(token=NETELIP_TOKEN, application=APPLICATION, base_url=f"{netelip.url}/v1")
	assert_hidden(client, NETELIP_TOKEN)


@pytest.mark.parametrize("error_class", [ProviderError, ProviderRejected])
def test_provider_errors(error_class):
	error = error_class(
		f"refused {API_KEY}",
		provider="netelip",
		code=NETELIP_TOKEN,
		details={"token": NETELIP_TOKEN, "list": [WEBHOOK_SECRET]},
		secrets=(API_KEY, NETELIP_TOKEN, WEBHOOK_SECRET),
	)
	assert_hidden(error, API_KEY, NETELIP_TOKEN, WEBHOOK_SECRET)
	assert_hidden(error.args, API_KEY, NETELIP_TOKEN, WEBHOOK_SECRET)
	assert_hidden(error.details, NETELIP_TOKEN, WEBHOOK_SECRET)


@pytest.mark.parametrize(
	"base_url",
	[
		"http://gateway.example.com",
		"http://10.0.0.5:8080",
		"https://user:pass@gateway.example.com",
		"https://gateway.example.com/?next=x",
		"ftp://gateway.example.com",
		"javascript:alert(1)",
	],
)
def test_a_key_or_token_is_never_sent_to_an_address_that_is_not_https(base_url):
	with pytest.raises(ValueError) as caught:
		InboxHubClient(base_url, API_KEY)
	assert_hidden(caught.value, API_KEY)
	with pytest.raises(ValueError) as caught:
		NetelipClient(token=NETELIP_TOKEN, application=APPLICATION, base_url=base_url)
	assert_hidden(caught.value, NETELIP_TOKEN)


@pytest.mark.parametrize(
	"base_url", ["https://api.inbox-hub.com", "http://127.0.0.1:8000", "http://localhost:9", "http://[::1]:9"]
)
def test_https_and_this_machine_are_accepted(base_url):
	assert InboxHubClient(base_url, API_KEY).base_url == base_url
	assert NetelipClient(token=NETELIP_TOKEN, application=APPLICATION, base_url=base_url).base_url == base_url

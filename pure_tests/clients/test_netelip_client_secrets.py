"""NETELIP_TOKEN never shows: not in the client's repr or str (what Frappe's traceback printer writes for it in an
Error Log), nor in the errors a failed launch raises, even when Netelip echoes the token back. The bench test
test_netelip_secrets_in_logs reads the Error Log of a launch that failed inside the client."""

from __future__ import annotations

import traceback

import pytest
from provider_test_values import NETELIP_TOKEN

from xappiens_whatsapp.clients.errors import ProviderError
from xappiens_whatsapp.clients.netelip import NetelipClient


def test_the_clients_repr_and_str_hold_no_token(make_netelip):
	client = make_netelip()
	for text in (repr(client), str(client)):
		assert NETELIP_TOKEN not in text


@pytest.mark.parametrize(
	("status", "body"),
	[
		(200, {"response": "401", "message": f"Invalid token {NETELIP_TOKEN}"}),
		(500, {"error": f"echo token={NETELIP_TOKEN}"}),
		(403, f"no: {NETELIP_TOKEN}"),
	],
)
def test_errors_of_a_failed_launch_hold_no_token(netelip, make_netelip, status, body):
	netelip.fail("/v1/voice", status, body=body)
	with pytest.raises(ProviderError) as caught:
		make_netelip(max_attempts=1).launch_call("34968000000", "103")
	error = caught.value
	for text in (
		str(error),
		repr(error),
		error.message,
		str(error.details),
		"".join(traceback.format_exception(error)),
	):
		assert NETELIP_TOKEN not in text


def test_the_client_keeps_the_token_out_of_its_public_attributes():
	client = NetelipClient(token=NETELIP_TOKEN, application="API test")
	public = {name: value for name, value in vars(client).items() if not name.startswith("_")}
	assert NETELIP_TOKEN not in repr(public)

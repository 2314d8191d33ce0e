"""NetelipClient against the fake Netelip over loopback, and the fake playing Netelip's callbacks."""

from __future__ import annotations

import json
import re

import pytest
from provider_test_values import APPLICATION, NETELIP_TOKEN

from xappiens_whatsapp.clients.errors import (
	InvalidRequest,
	ProviderAuthError,
	ProviderError,
	ProviderOutcomeUnknown,
	ProviderRejected,
	ProviderTimeout,
	ProviderUnavailable,
)
from xappiens_whatsapp.clients.netelip import DEFAULT_BASE_URL, NetelipClient
from xappiens_whatsapp.testing.fake_http import Response

VOICE = "/v1/voice"


def test_launch_posts_the_form_and_returns_the_id_as_text(netelip, make_netelip):
	call_id = make_netelip().launch_call("34968000000", "103", duration=30, userdata="NC-0001")

	assert re.fullmatch(r"\d{10}\.0001", call_id)
	(request,) = netelip.requests_to(VOICE, "POST")
	assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
	assert request["form"] == {
		"token": NETELIP_TOKEN,
		"api": APPLICATION,
		"src": "34968000000",
		"dst": "103",
		"typedst": "extension",
		"duration": "30",
		"userdata": "NC-0001",
	}
	assert netelip.launches == [
		{
			"ID": call_id,
			"api": APPLICATION,
			"src": "34968000000",
			"dst": "103",
			"typedst": "extension",
			"duration": "30",
			"userdata": "NC-0001",
		}
	]


def test_optional_fields_are_left_out(netelip, make_netelip):
	make_netelip().launch_call("34968000000", "0034600000001", typedst="pstn")
	assert set(netelip.requests[0]["form"]) == {"token", "api", "src", "dst", "typedst"}


def test_a_public_number_goes_as_pstn_in_00_form(netelip, make_netelip):
	make_netelip().launch_call("34968000000", "0034910000001", typedst="pstn", userdata="NC-9")
	form = netelip.requests_to(VOICE, "POST")[0]["form"]
	assert (form["dst"], form["typedst"]) == ("0034910000001", "pstn")
	assert netelip.launches[0]["typedst"] == "pstn"


@pytest.mark.parametrize(
	("dst", "typedst"), [("103", "phone"), ("103", ""), ("", "extension"), (" ", "pstn")]
)
def test_a_bad_destination_is_refused_before_sending(netelip, make_netelip, dst, typedst):
	with pytest.raises(InvalidRequest):
		make_netelip().launch_call("34968000000", dst, typedst=typedst)
	assert netelip.requests == []


def test_call_id_keeps_trailing_zeros_even_when_sent_as_a_number(netelip, make_netelip):
	netelip.fail(VOICE, 200, body='{"response": 200, "ID": 1525291061.0500}', content_type="application/json")
	assert make_netelip().launch_call("1", "103") == "1525291061.0500"


def test_wrong_token_is_rejected_with_the_code(netelip, make_netelip, sleeps):
	with pytest.raises(ProviderRejected) as caught:
		make_netelip(token="not-the-token").launch_call("34968000000", "103")
	assert (caught.value.code, caught.value.status, caught.value.message) == ("401", 200, "Invalid token")
	assert len(netelip.requests) == 1
	assert sleeps.calls == []


@pytest.mark.parametrize(
	"body", ['{"response": 500}', '{"response": "503", "ID": ""}', '{"response": "409"}']
)
def test_response_other_than_200_is_rejected(netelip, make_netelip, body):
	netelip.fail(VOICE, 200, body=body, content_type="application/json")
	with pytest.raises(ProviderRejected) as caught:
		make_netelip().launch_call("1", "103")
	assert caught.value.code == str(json.loads(body)["response"])
	assert len(netelip.requests) == 1


@pytest.mark.parametrize("body", ["<html>maintenance</html>", '["200"]', '{"response": "200"}'])
def test_unusable_answers_are_provider_errors(netelip, make_netelip, body):
	netelip.fail(VOICE, 200, body=body, content_type="text/html")
	with pytest.raises(ProviderError) as caught:
		make_netelip().launch_call("1", "103")
	assert type(caught.value) is ProviderError
	assert caught.value.status == 200


def test_echoed_token_is_redacted(netelip, make_netelip):
	netelip.fail(VOICE, 200, body={"response": "400", "message": f"bad token={NETELIP_TOKEN}"})
	with pytest.raises(ProviderRejected) as caught:
		make_netelip().launch_call("1", "103")
	assert NETELIP_TOKEN not in str(caught.value) and NETELIP_TOKEN not in repr(caught.value)


def test_http_errors_are_typed(netelip, make_netelip, sleeps):
	netelip.fail(VOICE, 403)
	with pytest.raises(ProviderAuthError) as caught:
		make_netelip().launch_call("1", "103")
	assert caught.value.code == "403"
	netelip.fail(VOICE, 503, times=None)
	with pytest.raises(ProviderUnavailable):
		make_netelip().launch_call("1", "103")
	assert len(netelip.requests) == 4
	assert sleeps.calls == [1.0, 2.0]


def test_503_then_success(netelip, make_netelip, sleeps):
	netelip.fail(VOICE, 503)
	assert make_netelip().launch_call("1", "103").endswith(".0001")
	assert sleeps.calls == [1.0]


@pytest.mark.parametrize("status", [500, 502])
def test_a_500_or_502_to_a_launch_is_not_retried(netelip, make_netelip, sleeps, status):
	# The agent's phone may already be ringing: a second launch would ring it twice.
	netelip.fail(VOICE, status, times=None)
	with pytest.raises(ProviderOutcomeUnknown) as caught:
		make_netelip().launch_call("1", "103")
	assert caught.value.outcome_unknown is True
	assert len(netelip.requests) == 1
	assert sleeps.calls == []


def test_a_500_once_is_reported_as_unknown_and_the_next_launch_is_the_callers_choice(
	netelip, make_netelip, sleeps
):
	netelip.fail(VOICE, 500)
	client = make_netelip()
	with pytest.raises(ProviderOutcomeUnknown) as caught:
		client.launch_call("1", "103", userdata="NC-1")
	assert (caught.value.status, caught.value.retryable) == (500, False)
	assert len(netelip.requests_to(VOICE, "POST")) == 1
	assert netelip.launches == []  # the fake's 500 came before any launch: the caller cannot know that
	assert client.launch_call("1", "103", userdata="NC-2").endswith(".0001")
	assert sleeps.calls == []


def test_timeout_is_not_retried(netelip, make_netelip, sleeps):
	netelip.slow(VOICE, 3.0)
	with pytest.raises(ProviderTimeout) as caught:
		make_netelip(timeout=0.3).launch_call("1", "103")
	assert caught.value.outcome_unknown is True
	assert len(netelip.requests) == 1
	assert sleeps.calls == []


def test_dropped_launch_is_outcome_unknown(netelip, make_netelip, sleeps):
	netelip.drop(VOICE)
	with pytest.raises(ProviderTimeout):
		make_netelip().launch_call("1", "103")
	assert len(netelip.requests) == 1


def test_client_requires_keywords_and_settings():
	with pytest.raises(TypeError):
		NetelipClient(DEFAULT_BASE_URL, NETELIP_TOKEN, APPLICATION)  # type: ignore[misc]
	with pytest.raises(ValueError):
		NetelipClient(token="", application=APPLICATION)
	assert NetelipClient(token="t", application="a").base_url == DEFAULT_BASE_URL


def test_callback_control_posts_a_form_and_reads_the_instruction(netelip, make_netelip, receiver):
	make_netelip().launch_call("34968000000", "103", userdata="NC-0002")
	receiver.answer = Response(200, {"command": "dial", "options": "pstn,0034600000001,30,calling,7200"})
	fields = netelip.call_fields(statuscall="ANSWER")
	status, answer = netelip.callback_control(f"{receiver.url}/control?t=x", fields)

	assert (status, answer) == (200, {"command": "dial", "options": "pstn,0034600000001,30,calling,7200"})
	(request,) = receiver.received
	assert request.form == fields
	assert request.form["ID"] == netelip.launches[0]["ID"]
	assert (request.form["userdata"], request.form["api"], request.form["statuscall"]) == (
		"NC-0002",
		APPLICATION,
		"ANSWER",
	)
	assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", request.form["startcall"])


def test_post_report_sends_calls_as_a_json_array(netelip, receiver):
	calls = [{"ID": "1525291061.0506", "statuscall": "ANSWER", "durationcall": "42", "src": "anonymous"}]
	status, _ = netelip.post_report(f"{receiver.url}/report", calls)
	assert status == 200
	(request,) = receiver.received
	assert request.header("Content-Type").startswith("multipart/form-data")
	assert json.loads(request.form["calls"]) == calls

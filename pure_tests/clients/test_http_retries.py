"""The retry policy of JsonHttpClient, exercised through InboxHubClient against faults of the fake."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from provider_test_values import CONTACT, CONTACT_JID, SESSION

from xappiens_whatsapp.clients import errors
from xappiens_whatsapp.clients.http import parse_retry_after

SEND = f"/api/messages/{SESSION}/send"
STATUS = "/api/sessions/93/status"


@pytest.mark.parametrize(
	("status", "error_class", "code"),
	[
		(401, errors.ProviderAuthError, "AUTHENTICATION_FAILED"),
		(403, errors.ProviderAuthError, "AUTHORIZATION_FAILED"),
		(404, errors.ProviderNotFound, "SESSION_NOT_FOUND"),
		(409, errors.ProviderRejected, "CONFLICT"),
		(422, errors.ProviderRejected, "VALIDATION_ERROR"),
	],
)
def test_client_errors_are_typed_and_not_retried(hub, client, connected, sleeps, status, error_class, code):
	hub.fail(SEND, status, error=f"failure {status}", code=code, times=None)
	with pytest.raises(error_class) as caught:
		client.send_text(connected, CONTACT, "x")
	assert type(caught.value) is error_class
	assert (caught.value.status, caught.value.code, caught.value.message) == (
		status,
		code,
		f"failure {status}",
	)
	assert caught.value.retryable is False
	assert len(hub.requests_to(SEND)) == 1
	assert sleeps.calls == []


def test_validation_details_are_kept(hub, client, connected):
	hub.fail(
		SEND,
		422,
		body={
			"success": False,
			"error": "Validation failed",
			"code": "VALIDATION_ERROR",
			"details": {"to": "bad"},
		},
	)
	with pytest.raises(errors.ProviderRejected) as caught:
		client.send_text(connected, CONTACT, "x")
	assert caught.value.details == {"to": "bad"}


def test_error_text_falls_back_to_message(hub, client, connected):
	hub.fail(SEND, 400, body={"success": False, "message": "Boom from message", "code": "WHATSAPP_ERROR"})
	with pytest.raises(errors.ProviderRejected) as caught:
		client.send_text(connected, CONTACT, "x")
	assert (caught.value.message, caught.value.code) == ("Boom from message", "WHATSAPP_ERROR")


def test_error_prefers_error_over_message(hub, client, connected):
	hub.fail(SEND, 400, body={"success": False, "error": "from error", "message": "from message"})
	with pytest.raises(errors.ProviderRejected) as caught:
		client.send_text(connected, CONTACT, "x")
	assert (caught.value.message, caught.value.code) == ("from error", None)


def test_429_waits_what_retry_after_says_then_succeeds(hub, client, connected, sleeps):
	hub.fail(SEND, 429, retry_after="2")
	result = client.send_text(connected, CONTACT, "x")
	assert result.message_id == hub.sent_messages()[0]["whatsappMessageId"]
	assert sleeps.calls == [2.0]
	assert len(hub.requests_to(SEND)) == 2


def test_429_longer_than_max_wait_is_left_to_the_caller(hub, make_client, connected, sleeps):
	hub.fail(SEND, 429, retry_after="120")
	with pytest.raises(errors.ProviderRateLimited) as caught:
		make_client(max_wait=30).send_text(connected, CONTACT, "x")
	assert (caught.value.retry_after, caught.value.status, caught.value.code) == (
		120.0,
		429,
		"RATE_LIMIT_EXCEEDED",
	)
	assert caught.value.retryable is True
	assert sleeps.calls == []
	assert len(hub.requests_to(SEND)) == 1


def test_429_without_retry_after_backs_off_and_gives_up(hub, client, connected, sleeps):
	hub.fail(SEND, 429, times=None)
	with pytest.raises(errors.ProviderRateLimited) as caught:
		client.send_text(connected, CONTACT, "x")
	assert caught.value.retry_after is None
	assert sleeps.calls == [1.0, 2.0]
	assert len(hub.requests_to(SEND)) == 3


def test_5xx_is_retried_then_succeeds(hub, client, connected, sleeps):
	hub.fail(SEND, 503, times=2)
	client.send_text(connected, CONTACT, "x")
	assert sleeps.calls == [1.0, 2.0]
	assert len(hub.requests_to(SEND)) == 3
	assert len(hub.sent_messages()) == 1


def test_5xx_exhausted_after_exactly_three_attempts(hub, client, connected, sleeps):
	hub.fail("/api/*", 500, times=None)
	with pytest.raises(errors.ProviderUnavailable) as caught:
		client.get_status(93)
	assert (caught.value.status, caught.value.code, caught.value.retryable) == (500, "INTERNAL_ERROR", True)
	assert len(hub.requests) == 3
	assert sleeps.calls == [1.0, 2.0]


@pytest.mark.parametrize("status", [500, 502])
def test_a_500_or_502_to_a_send_is_not_resent(hub, client, connected, sleeps, status):
	# The message may have gone out before the gateway failed: the caller must look before sending again.
	hub.fail(SEND, status, times=None)
	with pytest.raises(errors.ProviderOutcomeUnknown) as caught:
		client.send_text(connected, CONTACT, "x")
	assert (caught.value.status, caught.value.outcome_unknown, caught.value.retryable) == (
		status,
		True,
		False,
	)
	assert len(hub.requests_to(SEND)) == 1
	assert sleeps.calls == []


def test_backoff_base_is_configurable(hub, make_client, connected, sleeps):
	hub.fail(STATUS, 502, times=2)
	make_client(backoff_base=0.01).get_status(93)
	assert sleeps.calls == [0.01, 0.02]


def test_retry_after_on_503_is_honoured(hub, client, connected, sleeps):
	hub.fail(STATUS, 503, retry_after="0.5")
	client.get_status(93)
	assert sleeps.calls == [0.5]


def test_504_on_a_send_means_outcome_unknown(hub, client, connected, sleeps):
	hub.fail(SEND, 504, times=None)
	with pytest.raises(errors.ProviderTimeout) as caught:
		client.send_text(connected, CONTACT, "x")
	assert caught.value.outcome_unknown is True
	assert caught.value.status == 504
	assert len(hub.requests_to(SEND)) == 1
	assert sleeps.calls == []


def test_slow_send_times_out_once_and_is_not_resent(hub, make_client, connected, sleeps):
	hub.slow(SEND, 3.0)
	with pytest.raises(errors.ProviderTimeout) as caught:
		make_client(timeout=0.3).send_text(connected, CONTACT, "x")
	assert caught.value.outcome_unknown is True
	assert caught.value.retryable is False
	assert len(hub.requests_to(SEND)) == 1
	assert sleeps.calls == []


def test_slow_read_is_retried(hub, make_client, connected, sleeps):
	hub.slow(STATUS, 3.0)
	info = make_client(timeout=0.3).get_status(93)
	assert info.status == "connected"
	assert len(hub.requests_to(STATUS)) == 2
	assert sleeps.calls == [1.0]


def test_send_accepted_then_timed_out_can_be_found_in_the_history(hub, make_client, connected):
	"""The double-send scenario: the gateway sent it but the answer never came back."""
	hub.accept_then_timeout(SEND, 3.0)
	client = make_client(timeout=0.3)
	with pytest.raises(errors.ProviderTimeout):
		client.send_text(connected, CONTACT, "only once")
	assert len(hub.requests_to(SEND)) == 1
	(stored,) = hub.sent_messages()
	history = client.get_chat_messages(connected, CONTACT_JID)
	assert [(m.message_id, m.from_me, m.body) for m in history] == [
		(stored["whatsappMessageId"], True, "only once")
	]


def test_dropped_connection_is_retried_for_a_read(hub, client, connected, sleeps):
	hub.drop(STATUS)
	assert client.get_status(93).status == "connected"
	assert len(hub.requests_to(STATUS)) == 2
	assert sleeps.calls == [1.0]


def test_dropped_connection_on_a_send_is_outcome_unknown(hub, client, connected, sleeps):
	hub.drop(SEND)
	with pytest.raises(errors.ProviderTimeout) as caught:
		client.send_text(connected, CONTACT, "x")
	assert caught.value.outcome_unknown is True
	assert len(hub.requests_to(SEND)) == 1
	assert hub.sent_messages() == []  # here the fake dropped it before sending; the client cannot know
	assert sleeps.calls == []


def test_connection_refused_is_retried_even_for_a_send(make_client, closed_port, sleeps):
	client = make_client(base_url=f"http://127.0.0.1:{closed_port}")
	with pytest.raises(errors.ProviderUnavailable) as caught:
		client.send_text(SESSION, CONTACT, "x")
	assert caught.value.status is None
	assert caught.value.outcome_unknown is False
	assert sleeps.calls == [1.0, 2.0]


def test_redirects_are_not_followed(hub, client, connected, sleeps):
	hub.fail(STATUS, 302, headers={"Location": "http://elsewhere.example/steal"}, body="")
	with pytest.raises(errors.ProviderError) as caught:
		client.get_status(93)
	assert type(caught.value) is errors.ProviderError
	assert caught.value.status == 302
	assert len(hub.requests) == 1


def test_success_body_that_is_not_json(hub, client, connected):
	hub.fail(STATUS, 200, body="<html>proxy page</html>", content_type="text/html")
	with pytest.raises(errors.ProviderError) as caught:
		client.get_status(93)
	assert type(caught.value) is errors.ProviderError
	assert "proxy page" in caught.value.message


def test_success_status_with_success_false(hub, client, connected):
	hub.fail(STATUS, 200, body={"success": False, "error": "Session is busy", "code": "WHATSAPP_ERROR"})
	with pytest.raises(errors.ProviderRejected) as caught:
		client.get_status(93)
	assert (caught.value.status, caught.value.message, caught.value.code) == (
		200,
		"Session is busy",
		"WHATSAPP_ERROR",
	)


@pytest.mark.parametrize(
	("value", "expected"),
	[
		("3", 3.0),
		("1.5", 1.5),
		("-4", 0.0),
		("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
		("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
		("soon", None),
		("", None),
		(None, None),
	],
)
def test_parse_retry_after(value, expected):
	now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
	assert parse_retry_after(value, now=now) == expected

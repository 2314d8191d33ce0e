"""Whatever a signed body holds, parsing it gives plain, storable values or a reason to ignore it."""

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xappiens_whatsapp.core import inbox_hub_events as ih
from xappiens_whatsapp.core.inbox_hub_ids import (
	is_message_id,
	is_session_id,
	qr_png_base64,
	short_message_id,
	strip_data_url,
)
from xappiens_whatsapp.core.signatures import is_fresh, to_epoch_seconds
from xappiens_whatsapp.core.text import has_markup
from xappiens_whatsapp.testing.hostile_values import leaf_paths
from xappiens_whatsapp.testing.payloads import compact, inbox_hub

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg"
MARKUP = "<img src=x onerror=alert(1)>"


def walk_strings(value):
	if isinstance(value, str):
		yield value
	elif dataclasses.is_dataclass(value):
		for f in dataclasses.fields(value):
			yield from walk_strings(getattr(value, f.name))
	elif isinstance(value, dict):
		for k, v in value.items():
			yield from walk_strings(k)
			yield from walk_strings(v)
	elif isinstance(value, list | tuple):
		for v in value:
			yield from walk_strings(v)


def assert_storable(parsed: ih.Parsed):
	for text in [*walk_strings(parsed.event), parsed.dedup_key, parsed.reference_key or ""]:
		text.encode("utf-8")  # the database refuses lone surrogates
		assert not has_markup(text), text
	assert len(parsed.dedup_key) <= 190
	assert parsed.reference_key is None or len(parsed.reference_key) <= 128
	for name in ("event", "raw_event"):
		value = getattr(parsed.envelope, name)
		value.encode("utf-8")
		assert len(value) <= 140 and not has_markup(value)
	for number in (getattr(parsed.event, n, None) for n in ("raw_ack", "timestamp_ms")):
		assert number is None or abs(number) < 2**63
	media = getattr(parsed.event, "media", None)
	if media and media.size is not None:
		assert 0 <= media.size < 2**31


# ---------------------------------------------------------------- ids


@pytest.mark.parametrize("value", ["abc", "crm_main", "A-B_c", "x" * 100])
def test_session_ids_in_the_gateways_form(value):
	assert is_session_id(value)


@pytest.mark.parametrize(
	"value",
	[
		"ab",
		"x" * 101,
		"crm main",
		"crm_main ",
		" crm_main",
		"crm_main\n",
		"crm/main",
		"\ud800abc",
		123,
		None,
		"crm_main" + " " * 200 + "x",
		"crm\u00e9main",
	],
)
def test_anything_else_is_not_a_session_id(value):
	assert not is_session_id(value)


def test_message_ids_are_taken_exactly_or_not_at_all():
	assert short_message_id("false_34600000001@c.us_3EB0ABC_in") == "3EB0ABC"
	assert short_message_id({"id": "3EB0ABC", "_serialized": "x"}) == "3EB0ABC"
	assert short_message_id({"_serialized": "true_34600000001@c.us_3EB0ABC_out"}) == "3EB0ABC"
	assert short_message_id("msg_12345") == "msg_12345"
	assert short_message_id(10854) == "10854"
	for bad in (" 3EB0ABC", "3EB0ABC ", "<b>x</b>", "a" * 129, "", None, True, ["3EB0"], {"id": {"id": "x"}}):
		assert short_message_id(bad) is None, bad
	assert is_message_id("3EB0250462D167CE4A3F0D") and not is_message_id("3EB0 25")


def test_qr_codes_are_png_base64_only():
	assert qr_png_base64("data:image/png;base64,data:image/png;base64," + PNG) == PNG
	assert qr_png_base64(PNG) == PNG
	assert strip_data_url("data:image/png;base64,AAAA") == "AAAA"
	for bad in ("", None, "AAAA", '"><img src=x onerror=alert(1)>', "R0lGODlhAQABAAAAACw=", PNG + "<"):
		assert qr_png_base64(bad) is None, bad


# ---------------------------------------------------------------- numbers and times


@pytest.mark.parametrize(
	"value",
	[
		"0001-01-01T00:00:00+23:59",
		"9999-12-31T23:59:59-23:59",
		1e400,
		-1e400,
		float("nan"),
		10**30,
		"1e400",
		"99999999999999999999999",
		0,
		"1970-01-01T00:00:00Z",
		"2150-01-01T00:00:00Z",
	],
)
def test_times_out_of_range_are_unreadable_not_errors(value):
	assert to_epoch_seconds(value) is None
	assert not is_fresh(value, 1_760_000_000, 300)


def test_out_of_range_numbers_in_messages_and_acks_become_unknown():
	body = inbox_hub("f_message_document")
	body["data"]["message"]["media"]["filesize"] = 10**40
	body["data"]["message"]["timestamp"] = "0001-01-01T00:00:00+23:59"
	event = ih.parse(compact(body)).event
	assert event.media.size is None and event.timestamp is None
	raw = b'{"event":"message.ack","sessionId":"crm_main","data":{"messageId":"3EB0AB","ack":1e400}}'
	parsed = ih.parse(raw)
	assert (
		isinstance(parsed.event, ih.StatusEvent)
		and parsed.event.raw_ack is None
		and parsed.event.status is None
	)
	assert_storable(parsed)


# ---------------------------------------------------------------- markup and identity


def test_every_outside_string_comes_out_plain():
	body = inbox_hub("g_message_received")
	data = body["data"]
	data.update(body=MARKUP, notifyName=MARKUP, type=MARKUP, author=MARKUP)
	parsed = ih.parse(compact(body))
	assert parsed.event.body == "\u2039img src=x onerror=alert(1)>"
	assert parsed.event.push_name == "\u2039img src=x onerror=alert(1)>"
	assert_storable(parsed)
	unknown = ih.parse(compact({"event": MARKUP, "sessionId": "crm_main", "data": {}}))
	assert isinstance(unknown.event, ih.Ignored) and not has_markup(unknown.event.reason)
	assert_storable(unknown)


def test_urls_from_the_gateway_are_kept_only_when_safe():
	body = inbox_hub("f_message_document")
	media = body["data"]["message"]["media"]
	for url, kept in (
		("https://mmg.whatsapp.net/x.enc", True),
		("javascript:alert(1)", False),
		("/files/%2e%2e/private/x", False),
		("http://mmg.whatsapp.net/x.enc", False),
		('https://x.example/"><script>', False),
	):
		media["url"] = url
		assert (ih.parse(compact(body)).event.media.url == url) is kept, url
	media["url"] = "http://127.0.0.1:8084/media/1"
	event = ih.parse(compact(body), trusted_origins=("http://127.0.0.1:8084",)).event
	assert event.media.url == "http://127.0.0.1:8084/media/1"


def test_the_same_id_in_another_chat_or_direction_is_another_message():
	def key(chat, from_me=False, message_id="3EB0AAAA"):
		body = {
			"event": "message.received",
			"sessionId": "crm_main",
			"data": {
				"id": {"fromMe": from_me, "remote": chat, "id": message_id},
				"body": "x",
				"fromMe": from_me,
			},
		}
		return ih.parse(compact(body)).dedup_key

	assert key("34600000001@c.us") == key("34600000001@s.whatsapp.net")
	assert key("34600000001@c.us") != key("34600000002@c.us")
	assert key("34600000001@c.us") != key("34600000001@c.us", from_me=True)
	assert key("34600000001@c.us", message_id="3EB0AAAA") != key("34600000001@c.us", message_id="3eb0aaaa")


def test_a_reaction_only_reaches_the_chat_it_was_sent_in():
	"""The key of a reaction names the message it reacts to; its chat is whatever the sender wrote there."""
	body = {
		"event": "message.received",
		"sessionId": "crm_main",
		"data": {
			"key": {"remoteJid": "34600000002@s.whatsapp.net", "fromMe": False, "id": "3EB0REACT"},
			"message": {
				"reactionMessage": {
					"key": {"remoteJid": "34600000009@s.whatsapp.net", "fromMe": True, "id": "3EB0TARGET"},
					"text": "👍",
					"senderTimestampMs": "1760000000000",
				}
			},
		},
	}
	event = ih.parse(compact(body)).event
	assert isinstance(event, ih.ReactionEvent)
	assert event.chat_jid == "34600000002@s.whatsapp.net"
	assert event.target_message_id == "3EB0TARGET"
	assert event.timestamp_ms == 1_760_000_000_000


def test_a_message_whose_id_is_not_an_id_is_ignored_with_a_reason():
	body = inbox_hub("g_message_received")
	body["data"]["id"]["id"] = MARKUP
	body["data"]["id"]["_serialized"] = "false_34600000001@c.us_" + MARKUP + "_in"
	parsed = ih.parse(compact(body))
	assert isinstance(parsed.event, ih.Ignored) and "id" in parsed.event.reason


def test_the_verified_session_id_is_used_as_it_is():
	body = inbox_hub("g_message_received")
	body["sessionId"] = "other_session"
	assert ih.parse(compact(body), session_id="crm_main").event.session_id == "crm_main"
	body["sessionId"] = "crm_main" + " " * 150
	assert ih.parse(compact(body)).event.reason == "no session id"
	assert ih.session_ids_in({"sessionId": "a", "data": {"sessionId": 7}, "session": "b"}) == ["a", 7, "b"]


# ---------------------------------------------------------------- any body at all

_leaf = st.one_of(
	st.none(),
	st.booleans(),
	st.integers(min_value=-(10**30), max_value=10**30),
	st.floats(allow_nan=True, allow_infinity=True),
	st.text(alphabet=st.characters(codec=None), max_size=20),
	st.sampled_from(
		[
			"\ud800",
			MARKUP,
			"0001-01-01T00:00:00+23:59",
			"false_3@c.us_X_in",
			"34600000001@c.us",
			"1e400",
			float("inf"),
			float("-inf"),
			float("nan"),
			10**40,
			-(10**40),
			2**31,
			"3EB0AB",
			{"id": "3EB0AB"},
			"REVOKE",
			14,
			{"type": 14, "key": {"id": "3EB0AB"}, "editedMessage": {"conversation": MARKUP}},
		]
	),
	st.sampled_from([float("inf"), 10**40, "\ud800", MARKUP]),
)
_keys = st.sampled_from(
	[
		"id",
		"key",
		"message",
		"body",
		"from",
		"to",
		"fromMe",
		"remoteJid",
		"timestamp",
		"ack",
		"media",
		"filesize",
		"url",
		"status",
		"qrCode",
		"reactionMessage",
		"text",
		"chatId",
		"pushName",
		"name",
		"messageId",
		"sessionId",
		"protocolMessage",
		"editedMessage",
		"conversation",
		"type",
		"newBody",
		"after",
		"update",
		"messageStubType",
		"timestampMs",
	]
)
_json = st.recursive(
	_leaf,
	lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=5),
	max_leaves=20,
)
# Random fields over a valid base, so that parsing goes past the first check it fails.
_BASE = {
	"messageId": "3EB0AB",
	"id": {"id": "3EB0AB", "remote": "34600000001@c.us"},
	"from": "34600000001@c.us",
}
_data = st.dictionaries(_keys, _json, min_size=1, max_size=6).map(lambda extra: {**_BASE, **extra})
_events = st.sampled_from(
	[
		"message.received",
		"message.sent",
		"message.ack",
		"message.read",
		"message.edited",
		"message_revoke_everyone",
		"messages.update",
		"session.qr",
		"session.status",
		"contact.updated",
		"conversation.created",
		"webhook.test",
		"made.up",
		MARKUP,
		"\ud800",
	]
)


@settings(max_examples=15 * settings.default.max_examples)
@given(event=_events, data=_data, timestamp=_leaf)
def test_any_signed_body_parses_to_storable_values(event, data, timestamp):
	body = {"event": event, "sessionId": "crm_main", "data": data, "timestamp": timestamp}
	raw = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")
	assert_storable(ih.parse(raw, session_id="crm_main"))


HOSTILE_VALUES = [
	"\ud800",
	MARKUP,
	float("inf"),
	-(10**40),
	10**40,
	"0001-01-01T00:00:00+23:59",
	"\ud800@g.us",
	"<b>x</b>@g.us",
	"34600000001@c.us\ud800",
	{"id": {"id": MARKUP}},
	[MARKUP],
	True,
	"",
]


def replaced(value, path, new):
	copy = json.loads(json.dumps(value))
	target = copy
	for step in path[:-1]:
		target = target[step]
	target[path[-1]] = new
	return copy


@pytest.mark.parametrize(
	"name", ih_names := __import__("xappiens_whatsapp.testing.payloads", fromlist=["x"]).inbox_hub_names()
)
def test_every_field_of_every_sample_can_hold_any_hostile_value(name):
	"""Each field of each sample payload in turn holds each hostile value: parsing still gives storable values."""
	sample = inbox_hub(name)
	for path in leaf_paths(sample):
		for value in HOSTILE_VALUES:
			body = replaced(sample, path, value)
			raw = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")
			try:
				parsed = ih.parse(raw, "message.received", "crm_main")
			except ih.PayloadError:
				continue
			assert_storable(parsed)

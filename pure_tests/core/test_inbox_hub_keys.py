"""The envelope (event name, session, shape) and the delivery keys.

Delivery keys are stored: a retry after an upgrade must find the row an older version wrote, so each key is pinned
to its recipe here, `ih:<kind>:` + sha256 of its parts joined by U+001F."""

import hashlib
import json

import pytest

from xappiens_whatsapp.core.inbox_hub_events import (
	Ignored,
	PayloadError,
	PingEvent,
	load_body,
	parse,
	read_envelope,
)
from xappiens_whatsapp.core.inbox_hub_events import test_event_key as event_key_of_test
from xappiens_whatsapp.core.message_state import MessageStatus
from xappiens_whatsapp.core.session_status import SessionState
from xappiens_whatsapp.testing.payloads import compact

ANA = "34600000001@s.whatsapp.net"
ID = "3EB0250462D167CE4A3F0D"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def key(kind: str, *parts: object) -> str:
	exact = "\x1f".join(str(part) for part in (kind, *parts)).encode("utf-8", "surrogatepass")
	return f"ih:{kind}:" + hashlib.sha256(exact).hexdigest()


def digest(raw: bytes) -> str:
	return hashlib.sha256(raw).hexdigest()


def body(event: str, data: dict, **kw) -> bytes:
	return compact({"event": event, "sessionId": "crm_main", "data": data, **kw})


# ---------------------------------------------------------------- keys


@pytest.mark.parametrize("event, from_me", [("message.received", False), ("message.sent", True)])
def test_a_message_s_key_is_its_session_event_chat_direction_and_id(event, from_me):
	parsed = parse(body(event, {"id": ID, "chatId": ANA}))
	assert parsed.dedup_key == key("msg", "crm_main", event, ANA, from_me, ID)
	assert parsed.reference_key == ID


def test_a_reaction_s_key_is_its_chat_target_sender_time_and_emoji():
	data = {
		"chatId": ANA,
		"from": ANA,
		"reactionMessage": {"key": {"id": ID}, "text": "👍", "senderTimestampMs": 5},
	}
	parsed = parse(body("message.received", data))
	assert parsed.dedup_key == key("reaction", "crm_main", ANA, ID, ANA, 5, "👍")
	assert parsed.reference_key == ID


def test_a_status_s_key_is_its_message_ack_and_status():
	parsed = parse(body("message.ack", {"messageId": ID, "ack": 3}))
	assert parsed.dedup_key == key("status", "crm_main", ID, 3, MessageStatus.READ)
	assert parsed.reference_key == ID
	word = parse(body("message.status", {"messageId": ID, "status": "weird"}))
	assert word.dedup_key == key("status", "crm_main", ID, "weird", None)
	read = parse(body("message.read", {"messageId": ID}))
	assert read.dedup_key == key("status", "crm_main", ID, None, MessageStatus.READ)


def test_a_session_event_s_key_is_its_state_and_its_signed_time_qr_or_body():
	timed = parse(body("session.connected", {"timestamp": 1729443600}))
	assert timed.dedup_key == key(
		"session", "crm_main", "session.connected", SessionState.CONNECTED, 1729443600.0
	)
	assert timed.reference_key is None
	qr = parse(body("session.qr", {"qrCode": PNG, "timestamp": 1729443600}))
	marker = hashlib.sha256(PNG.encode()).hexdigest()
	assert qr.dedup_key == key("session", "crm_main", "session.qr", SessionState.QR_REQUIRED, marker)
	raw = body("session.disconnected", {})
	assert parse(raw).dedup_key == key(
		"session", "crm_main", "session.disconnected", SessionState.DISCONNECTED, digest(raw)
	)


def test_a_conversation_s_key_is_its_whole_body():
	raw = body("conversation.updated", {"id": ANA})
	assert parse(raw).dedup_key == key("conversation", "crm_main", "conversation.updated", digest(raw))


@pytest.mark.parametrize(
	"raw, reason",
	[
		(body("presence.update", {}), "event 'presence.update' is not handled"),
		(compact({"sessionId": "crm_main", "data": {}}), "no event name"),
		(compact({"event": "message.received", "data": {"id": ID, "chatId": ANA}}), "no session id"),
		(body("message.received", {"id": ID}), "message without a chat id"),
		(body("message.ack", {"ack": 1}), "status update without a message id"),
	],
)
def test_what_is_ignored_is_keyed_by_its_whole_body(raw, reason):
	parsed = parse(raw)
	assert (parsed.event, parsed.dedup_key, parsed.reference_key) == (
		Ignored(reason),
		key("x", digest(raw)),
		None,
	)
	assert parsed.envelope == read_envelope(json.loads(raw))


def test_an_unhandled_event_s_name_is_cut_to_one_line_in_the_reason():
	parsed = parse(body("x" * 300, {}))
	assert parsed.event.reason == ("event '" + "x" * 140)[:140]


def test_the_desk_s_test_event_is_keyed_by_its_nonce_else_its_body():
	parsed = parse(body("webhook.test", {"nonce": "n1"}))
	assert (parsed.event, parsed.dedup_key) == (PingEvent("crm_main", "n1"), key("test", "crm_main", "n1"))
	assert event_key_of_test("crm_main", "n1") == parsed.dedup_key
	raw = compact({"event": "webhook.test", "data": {}})
	assert parse(raw).dedup_key == key("test", None, digest(raw))
	assert parse(raw).event == PingEvent(None, None)


def test_a_key_can_be_made_of_any_text():
	assert event_key_of_test("crm_main", "\ud800") == key("test", "crm_main", "\ud800")


def test_a_body_the_caller_already_decoded_is_not_decoded_again():
	raw = body("message.received", {"id": ID, "chatId": ANA})
	assert parse(b"", body=json.loads(raw)).event == parse(raw).event


# ---------------------------------------------------------------- envelope


@pytest.mark.parametrize(
	"value, shape",
	[
		({"event": "message", "data": {"sessionId": "s01", "message": {}}}, "L"),
		({"event": "MESSAGE_STATUS", "data": {}}, "L"),
		({"event": "session_status", "data": {}}, "L"),
		({"event": "message.received", "sessionId": "s01", "data": {}}, "G"),
		({"event": "message.received", "data": {"session_db_id": 1}}, "F"),
		({"event": "message.received", "data": {"message": {}}}, "F"),
		({"event": "message.received", "data": {"message": "text"}}, "?"),
		({"event": "message.received", "data": {}}, "?"),
	],
)
def test_the_shape_of_the_envelope(value, shape):
	assert read_envelope(value).shape == shape


@pytest.mark.parametrize(
	"value, header, event",
	[
		({"event": "message.received", "type": "message.sent"}, "session.qr", "message.received"),
		({"type": "message.sent"}, "session.qr", "message.sent"),
		({}, "session.qr", "session.qr"),
		({"event": " Message_ACK "}, None, "message.ack"),
		({"event": ""}, None, ""),
		({}, None, ""),
	],
)
def test_the_event_name_is_the_body_s_else_its_type_else_the_header_s(value, header, event):
	assert read_envelope(value, header).event == event


@pytest.mark.parametrize(
	"value, session",
	[
		({"sessionId": "s01", "data": {"sessionId": "s02"}, "session": "s03"}, "s01"),
		({"data": {"sessionId": "s02"}, "session": "s03"}, "s02"),
		({"session": "s03"}, "s03"),
		({"sessionId": "no spaces allowed", "data": {"sessionId": "s02"}}, None),
		({}, None),
	],
)
def test_the_session_is_the_first_one_the_body_names_when_well_formed(value, session):
	assert read_envelope(value).session_id == session


def test_a_verified_session_id_is_used_as_it_is_when_well_formed():
	assert read_envelope({"sessionId": "s01"}, session_id="s09").session_id == "s09"
	assert read_envelope({"sessionId": "s01"}, session_id="bad id").session_id is None


@pytest.mark.parametrize(
	"raw, message",
	[
		(b"not json", "body is not valid JSON"),
		(b"\xff", "body is not valid JSON"),
		(b"[]", "body is not a JSON object"),
	],
)
def test_a_body_that_is_no_json_object_says_why(raw, message):
	with pytest.raises(PayloadError, match=f"^{message}$"):
		load_body(raw)

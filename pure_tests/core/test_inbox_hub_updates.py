"""Status updates, session events and conversation metadata: every field, each of its names, and what is refused."""

import pytest

from xappiens_whatsapp.core.inbox_hub_events import (
	ConversationEvent,
	Ignored,
	SessionEvent,
	StatusEvent,
	parse,
)
from xappiens_whatsapp.core.message_state import AckScale, MessageStatus
from xappiens_whatsapp.core.session_status import SessionState
from xappiens_whatsapp.testing.payloads import compact

ANA = "34600000001@s.whatsapp.net"
LID = "118000000000001@lid"
ID = "3EB0250462D167CE4A3F0E"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
S = MessageStatus


def event_of(event: str, data: dict, **kw):
	return parse(compact({"event": event, "sessionId": "crm_main", "data": data, **kw})).event


# ---------------------------------------------------------------- statuses


@pytest.mark.parametrize(
	"data",
	[
		{"messageId": ID, "id": "OTHER1", "message": {"whatsappMessageId": "OTHER2"}},
		{"id": ID, "message": {"whatsappMessageId": "OTHER2"}},
		{"message": {"whatsappMessageId": ID, "id": "OTHER3"}},
		{"message": {"id": ID}, "key": {"id": "OTHER4"}},
		{"key": {"id": ID}},
		{"messageId": "", "key": {"id": ID}},
		{"messageId": f"true_{ANA}_{ID}"},
	],
)
def test_the_message_id_of_a_status_is_read_from_each_of_its_names(data):
	assert event_of("message.ack", {**data, "ack": 2}).message_id == ID


@pytest.mark.parametrize(
	"data, reason",
	[
		({"ack": 2}, "status update without a message id"),
		({"messageId": "", "ack": 2}, "status update without a message id"),
		({"messageId": "not an id", "ack": 2}, "message id is not in a form WhatsApp uses"),
	],
)
def test_status_updates_that_cannot_be_stored_say_why(data, reason):
	assert event_of("message.ack", data) == Ignored(reason)


def test_an_ack_is_read_on_the_configured_scale():
	body = compact(
		{
			"event": "message.ack",
			"sessionId": "crm_main",
			"data": {"messageId": ID, "ack": 3},
			"timestamp": 1729444300,
		}
	)
	assert parse(body).event == StatusEvent("crm_main", ID, S.READ, 3, None, 1729444300.0)
	assert parse(body, scale=AckScale.BAILEYS).event == StatusEvent(
		"crm_main", ID, S.DELIVERED, 3, None, 1729444300.0
	)


@pytest.mark.parametrize(
	"data, raw",
	[
		({"ack": 2, "message": {"ack": 3}}, 2),
		({"message": {"ack": 3}}, 3),
		({"ack": "2.0"}, 2),
		({"ack": -9}, -9),
		({"ack": 99}, 99),
	],
)
def test_the_ack_is_the_data_s_else_the_message_s(data, raw):
	assert event_of("message.status", {"messageId": ID, **data}).raw_ack == raw


@pytest.mark.parametrize("ack", [-10, 100, True])
def test_an_ack_out_of_range_is_kept_as_a_word_the_scale_does_not_know(ack):
	assert event_of("message.ack", {"messageId": ID, "ack": ack}) == StatusEvent(
		"crm_main", ID, None, None, str(ack), None
	)


@pytest.mark.parametrize("event", ["message.ack", "message.status"])
def test_an_ack_event_s_status_is_its_ack_on_the_scale(event):
	assert event_of(event, {"messageId": ID, "ack": 3}).status == S.READ


def test_an_ack_on_a_delivery_event_does_not_override_the_event():
	assert event_of("message.read", {"messageId": ID, "ack": 2}) == StatusEvent(
		"crm_main", ID, S.READ, 2, None, None
	)


@pytest.mark.parametrize(
	"event, data, status, raw_status",
	[
		("message.status", {"status": "DELIVERED", "message": {"status": "read"}}, S.DELIVERED, None),
		("message.status", {"message": {"status": "read"}}, S.READ, None),
		("message.delivered", {}, S.DELIVERED, None),
		("message.read", {}, S.READ, None),
		("message.failed", {"status": "error"}, S.FAILED, None),
		("message.failed", {}, S.FAILED, None),
		("message.status", {"status": "weird"}, None, "weird"),
		("message.status", {"status": "weird\nword"}, None, "weird word"),
		("message.status", {"message": {"ack": "4x"}}, None, "4x"),
		("message.status", {"ack": [1]}, None, None),
		("message.status", {}, None, None),
	],
)
def test_status_words(event, data, status, raw_status):
	assert event_of(event, {"messageId": ID, **data}) == StatusEvent(
		"crm_main", ID, status, None, raw_status, None
	)


@pytest.mark.parametrize(
	"data, envelope, expected",
	[
		({"timestamp": 1729444300}, 1729444400, 1729444300.0),
		({}, 1729444400, 1729444400.0),
		({"timestamp": "later"}, "2024-10-20T17:00:00Z", 1729443600.0),
	],
)
def test_status_times(data, envelope, expected):
	assert event_of("message.read", {"messageId": ID, **data}, timestamp=envelope).timestamp == expected


# ---------------------------------------------------------------- sessions


@pytest.mark.parametrize(
	"event, state",
	[
		("session.connected", SessionState.CONNECTED),
		("session.disconnected", SessionState.DISCONNECTED),
		("session.qr", SessionState.QR_REQUIRED),
	],
)
def test_a_session_event_s_name_is_its_state(event, state):
	assert event_of(event, {"status": "error"}) == SessionEvent("crm_main", state, True)


@pytest.mark.parametrize(
	"data, state, known",
	[
		({"status": "connecting"}, SessionState.CONNECTING, True),
		({"status": "connected", "isConnected": "false"}, SessionState.DISCONNECTED, True),
		({"status": "disconnected", "isConnected": True}, SessionState.CONNECTED, True),
		({"status": "weird", "isConnected": "TRUE"}, SessionState.CONNECTED, True),
		({"status": "weird"}, SessionState.DISCONNECTED, False),
		({"status": "disconnected", "qrCode": PNG}, SessionState.QR_REQUIRED, True),
		({"status": "weird", "qr": PNG}, SessionState.QR_REQUIRED, True),
		({"status": "connected", "qrCode": PNG}, SessionState.CONNECTED, True),
	],
)
def test_a_session_status_event(data, state, known):
	event = event_of("session.status", data)
	assert (event.state, event.known_status) == (state, known)


def test_every_field_of_a_session_event_is_read():
	data = {"status": "qr", "phoneNumber": "+34 600 000 001", "reason": "scan\nagain", "qrCode": PNG}
	data.update(expiresAt="2024-10-20T17:05:00Z", timestamp=1729443600)
	assert event_of("session.status", data) == SessionEvent(
		"crm_main", SessionState.QR_REQUIRED, True, None, "scan again", PNG, 1729443900.0, 1729443600.0
	)


@pytest.mark.parametrize(
	"data, phone",
	[
		({"phoneNumber": "34600000001", "phone": "34600000002"}, "34600000001"),
		({"phone": "34600000002@c.us"}, "34600000002"),
		({"phone": LID}, None),
		({"phone": ""}, None),
	],
)
def test_the_connected_phone_is_read_from_each_of_its_names(data, phone):
	assert event_of("session.connected", data).phone == phone


@pytest.mark.parametrize(
	"data, reason",
	[
		({"reason": "logout", "status": "weird"}, "logout"),
		({"status": "weird"}, "weird"),
		({"status": "disconnected"}, None),
	],
)
def test_an_unknown_status_word_is_kept_as_the_reason(data, reason):
	assert event_of("session.status", data).reason == reason


def test_a_session_event_s_time_is_the_data_s_else_the_envelope_s():
	assert (
		event_of("session.connected", {"timestamp": 1729443600}, timestamp=1729443700).timestamp
		== 1729443600.0
	)
	assert event_of("session.connected", {}, timestamp=1729443700).timestamp == 1729443700.0


def test_a_qr_code_that_is_not_a_png_is_dropped():
	assert event_of("session.qr", {"qrCode": "<svg/onload=alert(1)>"}).qr_base64 is None


# ---------------------------------------------------------------- conversations


@pytest.mark.parametrize(
	"data",
	[
		{"conversation": {"chatId": ANA}, "chat": {"id": "x"}, "contact": {"id": "y"}},
		{"chat": {"id": "34600000001@c.us"}, "contact": {"id": "y"}},
		{"contact": {"id": {"_serialized": "34600000001@c.us", "user": "y"}}},
		{"contact": {"id": {"user": "34600000001"}}},
		{"jid": ANA},
		{"chatId": "", "remoteJid": ANA},
	],
)
def test_the_chat_of_a_conversation_is_read_from_each_of_its_names(data):
	assert event_of("conversation.updated", data).chat_jid == ANA


def test_a_conversation_without_a_chat_is_ignored():
	assert event_of("conversation.updated", {"name": "Ana"}) == Ignored("conversation without a chat id")


def test_every_field_of_a_conversation_is_read():
	data = {
		"id": LID,
		"name": "Ana\nGarcía",
		"phone": "34600000001",
		"profilePicture": "https://pps.whatsapp.net/a",
	}
	assert event_of("conversation.created", data) == ConversationEvent(
		"crm_main", LID, "Ana García", ANA, False, "https://pps.whatsapp.net/a"
	)
	assert event_of("conversation.created", {"id": "120363025555555555@g.us"}).is_group is True


@pytest.mark.parametrize("name", ["name", "contactName", "verifiedName", "notify", "pushName"])
def test_the_name_of_a_conversation_is_read_from_each_of_its_names(name):
	assert event_of("contact.updated", {"id": ANA, name: "Ana"}).name == "Ana"


def test_the_first_name_given_wins():
	data = {"id": ANA, "pushName": "e", "notify": "d", "verifiedName": "c", "contactName": "b"}
	assert event_of("contact.updated", data).name == "b"


@pytest.mark.parametrize(
	"data",
	[{"phoneNumber": ANA, "phone": "x"}, {"phone": "34600000001"}, {"remoteJidAlt": "34600000001@c.us"}],
)
def test_the_phone_behind_a_lid_conversation_is_read_from_each_of_its_names(data):
	assert event_of("conversation.updated", {"id": LID, **data}).phone_jid == ANA
	assert event_of("conversation.updated", {"id": ANA, **data}).phone_jid is None


@pytest.mark.parametrize(
	"data, url",
	[
		({"profilePicture": "https://a.example/1", "imgUrl": "https://a.example/2"}, "https://a.example/1"),
		(
			{"imgUrl": "https://a.example/2", "profilePictureUrl": "https://a.example/3"},
			"https://a.example/2",
		),
		({"profilePictureUrl": "https://a.example/3"}, "https://a.example/3"),
		({"profilePicture": "javascript:alert(1)"}, None),
	],
)
def test_the_picture_is_read_from_each_of_its_names(data, url):
	assert event_of("conversation.updated", {"id": ANA, **data}).picture_url == url


def test_a_plain_http_picture_is_kept_only_from_a_trusted_origin():
	body = compact(
		{
			"event": "conversation.updated",
			"sessionId": "crm_main",
			"data": {"id": ANA, "imgUrl": "http://127.0.0.1:8084/p.jpg"},
		}
	)
	assert parse(body).event.picture_url is None
	assert (
		parse(body, trusted_origins=("http://127.0.0.1:8084",)).event.picture_url
		== "http://127.0.0.1:8084/p.jpg"
	)

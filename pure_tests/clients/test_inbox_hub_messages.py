"""InboxHubClient sending and history calls against the fake gateway over loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import re

import pytest
from provider_test_values import CONTACT, CONTACT_JID, SESSION, WEBHOOK_SECRET

from xappiens_whatsapp.clients.errors import InvalidRequest, ProviderRejected
from xappiens_whatsapp.clients.inbox_hub import SendResult
from xappiens_whatsapp.clients.inbox_hub_answers import chat_message, send_result
from xappiens_whatsapp.core.inbox_hub_ids import short_message_id

SEND_PATH = f"/api/messages/{SESSION}/send"


def sent_body(hub) -> dict:
	(request,) = hub.requests_to(SEND_PATH, "POST")
	return request["json"]


@pytest.mark.parametrize("shape", ["A", "B"])
def test_send_text_reads_the_short_id_from_either_shape(hub, client, connected, shape):
	hub.configure(send_response_shape=shape)
	result = client.send_text(connected, CONTACT, "Hola")

	(stored,) = hub.sent_messages()
	assert re.fullmatch(r"3EB0[0-9A-F]{18}", result.message_id)
	assert result.message_id == stored["whatsappMessageId"]
	assert result.gateway_row_id == ("10854" if shape == "B" else None)
	assert result.status == "sent"
	assert result.chat_id == CONTACT_JID
	assert result.timestamp.endswith("Z")
	assert sent_body(hub) == {"to": CONTACT, "type": "text", "message": "Hola"}


def test_send_result_prefers_whatsapp_id_over_row_id():
	result = send_result(
		{
			"message": {
				"id": 10854,
				"whatsappMessageId": "3EB0DECC554F433B2DE158",
				"status": "sent",
				"timestamp": 1,
			}
		}
	)
	assert result == SendResult("3EB0DECC554F433B2DE158", "10854", "sent", 1)
	legacy = send_result({"messageId": "true_34600000001@c.us_3EB0AA_out", "status": "sent"})
	assert (legacy.message_id, legacy.gateway_row_id) == ("3EB0AA", None)


@pytest.mark.parametrize(
	("to", "expected"),
	[
		("+34 600 000 001", "34600000001"),
		("0034600000001", "34600000001"),
		("34600000001", "34600000001"),
		(CONTACT_JID, CONTACT_JID),
		("120363000000000001@g.us", "120363000000000001@g.us"),
	],
)
def test_recipient_forms(hub, client, connected, to, expected):
	client.send_text(connected, to, "x")
	assert sent_body(hub)["to"] == expected


def test_quoted_message_id_is_passed(hub, client, connected):
	client.send_text(connected, CONTACT, "re", quoted_message_id="3EB0AAAAAAAAAAAAAAAAAA")
	assert sent_body(hub)["quotedMessageId"] == "3EB0AAAAAAAAAAAAAAAAAA"


def test_a_reaction_names_the_message_by_its_key(hub, client, connected):
	client.send_reaction(connected, CONTACT, "3EB0AAAAAAAAAAAAAAAAAA", "👍")
	assert sent_body(hub) == {
		"to": CONTACT,
		"type": "reaction",
		"message": {
			"react": {
				"text": "👍",
				"key": {"remoteJid": CONTACT_JID, "fromMe": False, "id": "3EB0AAAAAAAAAAAAAAAAAA"},
			}
		},
	}


def test_an_empty_reaction_takes_ours_away(hub, client, connected):
	client.send_reaction(connected, CONTACT_JID, "3EB0BBBBBBBBBBBBBBBBBB", "", from_me=True)
	assert sent_body(hub)["message"]["react"] == {
		"text": "",
		"key": {"remoteJid": CONTACT_JID, "fromMe": True, "id": "3EB0BBBBBBBBBBBBBBBBBB"},
	}
	with pytest.raises(InvalidRequest):
		client.send_reaction(connected, CONTACT, "", "👍")


def test_text_limit_is_4096_utf16_units(hub, client, connected):
	client.send_text(connected, CONTACT, "a" * 4096)
	assert len(hub.sent_messages()) == 1
	for too_long in ("a" * 4097, "😀" * 2049):  # an emoji is two UTF-16 units for the gateway
		with pytest.raises(InvalidRequest) as caught:
			client.send_text(connected, CONTACT, too_long)
		assert caught.value.code == "VALIDATION_ERROR"
	with pytest.raises(InvalidRequest):
		client.send_text(connected, CONTACT, "")
	with pytest.raises(InvalidRequest):
		client.send_text(connected, "not-a-number", "x")
	assert len(hub.requests) == 1


@pytest.mark.parametrize(
	("kwargs", "message"),
	[
		(
			{"kind": "image", "url": "https://cdn.example/a.jpg", "caption": "Look"},
			{"image": {"url": "https://cdn.example/a.jpg"}, "caption": "Look"},
		),
		(
			{
				"kind": "document",
				"url": "https://cdn.example/f.pdf",
				"mimetype": "application/pdf",
				"filename": "f.pdf",
			},
			{
				"document": {
					"url": "https://cdn.example/f.pdf",
					"mimetype": "application/pdf",
					"fileName": "f.pdf",
				},
				"caption": "f.pdf",
			},
		),
		(
			{"kind": "audio", "url": "https://cdn.example/v.ogg", "ptt": True},
			{"audio": {"url": "https://cdn.example/v.ogg"}, "ptt": True, "caption": " "},
		),
		(
			{"kind": "video", "base64": "data:video/mp4;base64,AAAA", "caption": "  "},
			{"video": {"base64": "AAAA", "mimetype": "video/mp4"}, "caption": " "},
		),
	],
)
def test_send_media_bodies_always_carry_a_caption(hub, client, connected, kwargs, message):
	result = client.send_media(connected, CONTACT, **kwargs)
	assert sent_body(hub) == {"to": CONTACT, "type": kwargs["kind"], "message": message}
	# The fake enforces the gateway's "Message content is required" rule, so acceptance proves the caption.
	assert result.message_id == hub.sent_messages()[0]["whatsappMessageId"]


@pytest.mark.parametrize(
	"kwargs",
	[
		{"kind": "sticker", "url": "https://cdn.example/s.webp"},
		{"kind": "image"},
		{"kind": "image", "url": "https://cdn.example/a.jpg", "base64": "AAAA"},
	],
)
def test_send_media_refuses_bad_arguments_locally(hub, client, connected, kwargs):
	with pytest.raises(InvalidRequest):
		client.send_media(connected, CONTACT, **kwargs)
	assert hub.requests == []


def test_gateway_rejects_media_without_caption(hub, client, connected):
	with pytest.raises(ProviderRejected) as caught:
		client.request(
			"POST",
			SEND_PATH,
			json={"to": CONTACT, "type": "image", "message": {"image": {"url": "https://x/a.jpg"}}},
		)
	assert (caught.value.status, caught.value.message) == (400, "Message content is required")


def test_send_location(hub, client, connected):
	client.send_location(connected, CONTACT, 37.98, -1.13, name="Murcia")
	assert sent_body(hub) == {
		"to": CONTACT,
		"type": "location",
		"message": {"location": {"degreesLatitude": 37.98, "degreesLongitude": -1.13, "name": "Murcia"}},
	}
	with pytest.raises(InvalidRequest):
		client.send_location(connected, CONTACT, 91, 0)


def test_send_on_a_disconnected_session_is_rejected(hub, client):
	hub.add_session(SESSION, connected=False)
	with pytest.raises(ProviderRejected) as caught:
		client.send_text(SESSION, CONTACT, "x")
	assert (caught.value.status, caught.value.code) == (400, "SESSION_NOT_CONNECTED")
	assert len(hub.requests) == 1


def test_auto_ack_posts_signed_acks_in_order(hub, client, connected, receiver):
	hub.configure(auto_ack=True, send_response_shape="B")
	result = client.send_text(connected, CONTACT, "Hola")
	assert hub.wait_for_webhooks()
	acks = receiver.of("message.ack")
	assert [json.loads(r.body)["data"]["ack"] for r in acks] == [1, 2, 3]
	assert {json.loads(r.body)["data"]["messageId"] for r in acks} == {result.message_id}
	for request in acks:
		expected = hmac.new(WEBHOOK_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
		assert request.header("X-Webhook-Signature") == f"sha256={expected}"
	assert hub.sent_messages()[0]["status"] == "read"


def test_mark_chat_read_url_encodes_the_jid(hub, client, connected):
	hub.receive(connected, CONTACT, "one")
	hub.receive(connected, CONTACT, "two")
	assert client.mark_chat_read(connected, CONTACT_JID) == 2
	(request,) = hub.requests_to(f"/api/messages/{SESSION}/{CONTACT_JID}/read", "PUT")
	assert request["raw_path"] == f"/api/messages/{SESSION}/34600000001%40s.whatsapp.net/read"
	assert client.mark_chat_read(connected, CONTACT_JID) == 0


@pytest.mark.parametrize("list_key", ["messages", "items", "data"])
@pytest.mark.parametrize("total_key", ["pagination", "total"])
@pytest.mark.parametrize("style", ["crm", "doc", "legacy"])
def test_chat_history_in_every_shape(hub, client, connected, list_key, total_key, style):
	incoming = hub.receive(connected, CONTACT, "Hola, ¿hay cita?")
	outgoing = client.send_text(connected, CONTACT, "Sí, a las 10").message_id
	hub.receive(connected, "34600000009", "other chat")
	hub.configure(history_list_key=list_key, history_total_key=total_key, message_item_style=style)

	page = client.get_chat_messages(connected, CONTACT_JID, limit=1)
	assert page.total == 2
	assert len(page) == 1
	newest = page[0]
	assert (newest.message_id, newest.from_me, newest.body) == (outgoing, True, "Sí, a las 10")
	assert newest.type == ("text" if style != "legacy" else "chat")

	older = client.get_chat_messages(connected, CONTACT_JID, limit=1, page=2)[0]
	assert (older.message_id, older.from_me, older.body) == (incoming, False, "Hola, ¿hay cita?")
	expected_chat = "34600000001@c.us" if style == "legacy" else CONTACT_JID
	assert older.chat_id == expected_chat
	query = hub.requests_to(f"/api/messages/{SESSION}/{CONTACT_JID}", "GET")[-1]["query"]
	assert query == {"limit": "1", "page": "2"}


def test_history_page_size_is_bounded(hub, client, connected):
	with pytest.raises(InvalidRequest):
		client.get_chat_messages(connected, CONTACT_JID, limit=101)
	assert hub.requests == []


def test_chat_message_normalisation_from_raw_items():
	item = chat_message(
		{
			"id": {
				"fromMe": True,
				"remote": "34600000001@c.us",
				"_serialized": "true_34600000001@c.us_3EB0FF_out",
			},
			"content": "x",
			"ack": 2,
		}
	)
	assert (item.message_id, item.from_me, item.body, item.chat_id, item.ack) == (
		"3EB0FF",
		True,
		"x",
		"34600000001@c.us",
		2,
	)
	plain = chat_message({"id": 7, "whatsappMessageId": "3EB0EE", "body": "y", "fromMe": False})
	assert (plain.message_id, plain.gateway_row_id, plain.from_me) == ("3EB0EE", "7", False)


@pytest.mark.parametrize(
	("value", "expected"),
	[
		("false_34600000001@c.us_3EB0250462D167CE4A3F0D_in", "3EB0250462D167CE4A3F0D"),
		({"id": "3EB0AB", "_serialized": "x"}, "3EB0AB"),
		("3EB0AB", "3EB0AB"),
		("msg_12345", "msg_12345"),
		(None, None),
	],
)
def test_short_message_id(value, expected):
	assert short_message_id(value) == expected

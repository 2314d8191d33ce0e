"""Reactions, in both message styles: the message they react to, who reacted, when, and the emoji."""

import pytest

from xappiens_whatsapp.core.inbox_hub_events import Ignored, ReactionEvent, parse
from xappiens_whatsapp.testing.payloads import compact

ANA = "34600000001@s.whatsapp.net"
BEA = "34600000003@s.whatsapp.net"
GROUP = "120363025555555555@g.us"
ID = "3EB0250462D167CE4A3F0D"


def event_of(data: dict, event: str = "message.received"):
	return parse(compact({"event": event, "sessionId": "crm_main", "data": data})).event


def reaction(**fields) -> dict:
	return {"key": {"id": ID}, "text": "👍", "senderTimestampMs": 1729444100123, **fields}


def test_a_reaction_in_a_message_is_a_reaction_event():
	data = {"chatId": ANA, "from": ANA, "reactionMessage": reaction()}
	assert event_of(data) == ReactionEvent("crm_main", ID, ANA, ANA, "👍", 1729444100123)


def test_a_reaction_may_sit_beside_the_message():
	body = {"event": "message.received", "data": {"sessionId": "crm_main", "message": {"chatId": ANA}}}
	body["data"]["reactionMessage"] = reaction()
	assert parse(compact(body)).event.target_message_id == ID


@pytest.mark.parametrize(
	"fields, sender",
	[
		({"fromMe": True, "author": BEA}, "me"),
		({"author": BEA, "from": GROUP}, BEA),
		({"from": "34600000003@c.us"}, BEA),
		({}, GROUP),
	],
)
def test_who_reacted(fields, sender):
	data = {"chatId": GROUP, "reactionMessage": reaction(), **fields}
	assert event_of(data).sender == sender


def test_a_reaction_without_its_own_time_takes_the_message_s():
	data = {"chatId": ANA, "timestamp": 1729444100, "reactionMessage": reaction(senderTimestampMs=None)}
	assert event_of(data).timestamp_ms == 1729444100000


def test_a_reaction_without_a_chat_is_ignored():
	assert event_of({"reactionMessage": reaction()}) == Ignored("reaction without the chat it was sent in")


# ---------------------------------------------------------------- Baileys


def baileys(key: dict | None = None, **content) -> dict:
	payload = {"key": {"remoteJid": "someone-else@g.us", "id": ID}, "text": "❤️", **content}
	return {
		"key": {"remoteJid": ANA, "id": "3EB0FF0462D167CE4A3F99", **(key or {})},
		"message": {"reactionMessage": payload},
		"messageTimestamp": 1729444300,
	}


def test_a_baileys_reaction_is_a_reaction_event_in_the_chat_it_came_in():
	assert event_of(baileys(senderTimestampMs="1729444100123")) == ReactionEvent(
		"crm_main", ID, ANA, ANA, "❤️", 1729444100123
	)


@pytest.mark.parametrize(
	"key, sender",
	[
		({"fromMe": True, "participant": BEA}, "me"),
		({"fromMe": "true"}, "me"),
		({"remoteJid": GROUP, "participant": "34600000003@c.us"}, BEA),
		({"remoteJid": GROUP}, GROUP),
		({}, ANA),
	],
)
def test_who_reacted_in_baileys(key, sender):
	assert event_of(baileys(key)).sender == sender


def test_a_reaction_sent_from_this_phone_is_mine_by_the_event():
	assert event_of(baileys(), "message.sent").sender == "me"


@pytest.mark.parametrize(
	"value, expected",
	[
		(1729444100123, 1729444100123),
		("1729444100123", 1729444100123),
		(0, 0),
		(4_102_444_800_000, 4_102_444_800_000),
		(4_102_444_800_001, 1729444300000),
		(-1, 1729444300000),
		("soon", 1729444300000),
		(None, 1729444300000),
	],
)
def test_the_reaction_s_time_or_else_the_message_s(value, expected):
	assert event_of(baileys(senderTimestampMs=value)).timestamp_ms == expected


def test_a_reaction_without_any_time_is_at_zero():
	data = baileys()
	del data["messageTimestamp"]
	assert event_of(data).timestamp_ms == 0


def test_a_baileys_reaction_without_a_time_may_take_the_envelope_data_s():
	body = {
		"event": "message.received",
		"data": {"sessionId": "crm_main", "timestamp": 1729444400, "message": baileys()},
	}
	del body["data"]["message"]["messageTimestamp"]
	assert parse(compact(body)).event.timestamp_ms == 1729444400000


@pytest.mark.parametrize(
	"text, emoji", [("👍", "👍"), ("", ""), (None, ""), ("<b>x</b>", "‹b>x‹/b>"), ("x" * 40, "x" * 32)]
)
def test_the_emoji_is_plain_text_of_at_most_32_characters_and_empty_removes(text, emoji):
	assert event_of(baileys(text=text)).emoji == emoji


@pytest.mark.parametrize("key", [{}, {"id": ""}, {"id": "not an id"}, None])
def test_a_reaction_without_the_id_it_reacts_to_is_ignored(key):
	data = baileys()
	data["message"]["reactionMessage"]["key"] = key
	assert event_of(data) == Ignored("reaction without the id of the message it reacts to")

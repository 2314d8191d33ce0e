"""Edits and deletions for everyone, in every shape a gateway may report them: the message they change, who
changed it, in which chat, the new text, and the deliveries that are the same change."""

import json

import pytest

from xappiens_whatsapp.core.inbox_hub_changes import edited_text, protocol_kind
from xappiens_whatsapp.core.inbox_hub_events import (
	Change,
	ChangeEvent,
	Ignored,
	MessageEvent,
	StatusEvent,
	parse,
)
from xappiens_whatsapp.core.inbox_hub_readers import BODY_LENGTH
from xappiens_whatsapp.testing.payloads import compact, inbox_hub

ANA = "34600000001@s.whatsapp.net"
BEA = "34600000003@s.whatsapp.net"
GROUP = "120363025555555555@g.us"
TARGET = "3EB0250462D167CE4A3F0D"
OWN = "3EB0DE0462D167CE4A3F22"  # the protocol message's own id
MARKUP = "<img src=x onerror=alert(1)>"


def parsed_of(data: dict, event: str = "message.received", **envelope):
	return parse(compact({"event": event, "sessionId": "crm_main", "data": data, **envelope}))


def event_of(data: dict, event: str = "message.received", **envelope):
	return parsed_of(data, event, **envelope).event


def protocol(type_=0, key: dict | None = None, **fields) -> dict:
	return {"type": type_, "key": {"remoteJid": "elsewhere@g.us", "id": TARGET, **(key or {})}, **fields}


def baileys(message: dict, key: dict | None = None, **fields) -> dict:
	return {
		"key": {"remoteJid": ANA, "id": OWN, "fromMe": False, **(key or {})},
		"message": message,
		"messageTimestamp": 1729443720,
		**fields,
	}


def change(kind=Change.DELETE, body=None, timestamp=1729443720.0, **fields) -> ChangeEvent:
	values = {"chat_jid": ANA, "from_me": False, "sender_jid": None, **fields}
	return ChangeEvent("crm_main", TARGET, kind=kind, body=body, timestamp=timestamp, **values)


# ---------------------------------------------------------------- the samples


@pytest.mark.parametrize(
	"sample, expected",
	[
		("baileys_revoke", change()),
		("baileys_edit", change(Change.EDIT, "Hola, ¿cómo estáis?", 1729443660.0)),
		("g_message_edited", change(Change.EDIT, "Hola, ¿cómo estáis?", 1729443660.0)),
		("g_message_revoked", change(timestamp=1760423520.0)),
	],
)
def test_every_sample_is_a_change_of_the_message_it_names(sample, expected):
	parsed = parse(compact(inbox_hub(sample)))
	assert parsed.event == expected
	assert parsed.reference_key == TARGET  # it waits for, and is applied under the lock of, that message


def test_one_deletion_reported_in_two_shapes_is_one_delivery_and_two_edits_are_two():
	keys = {parse(compact(inbox_hub(name))).dedup_key for name in ("baileys_revoke", "g_message_revoked")}
	assert len(keys) == 1
	first = parsed_of(baileys({"protocolMessage": protocol(14, editedMessage={"conversation": "a"})}))
	second = parsed_of(baileys({"protocolMessage": protocol(14, editedMessage={"conversation": "b"})}))
	assert first.dedup_key != second.dedup_key
	assert first.dedup_key != parse(compact(inbox_hub("baileys_revoke"))).dedup_key


# ---------------------------------------------------------------- Baileys protocol messages


@pytest.mark.parametrize(
	"value, kind",
	[
		(0, Change.DELETE),
		("0", Change.DELETE),
		("REVOKE", Change.DELETE),
		(" revoke ", Change.DELETE),
		(14, Change.EDIT),
		("14", Change.EDIT),
		("MESSAGE_EDIT", Change.EDIT),
		(3, None),
		("EPHEMERAL_SETTING", None),
		("HISTORY_SYNC_NOTIFICATION", None),
		(None, None),
		(False, None),
		(True, None),
		(14.0, None),
		("14.0", None),
		("+14", None),
		("-0", None),
		("0x0", None),
		(-1, None),
		(MARKUP, None),
		({"type": 0}, None),
	],
)
def test_the_protocol_message_type_by_number_or_name(value, kind):
	assert protocol_kind(value) == kind


@pytest.mark.parametrize("type_", [3, "EPHEMERAL_SETTING", None, "x"])
def test_other_protocol_messages_are_ignored_never_a_blank_message(type_):
	assert event_of(baileys({"protocolMessage": protocol(type_)})) == Ignored(
		"protocol message that changes no message"
	)


@pytest.mark.parametrize(
	"content, text",
	[
		({"conversation": "nuevo"}, "nuevo"),
		({"extendedTextMessage": {"text": "nuevo"}}, "nuevo"),
		({"imageMessage": {"caption": "pie"}}, "pie"),
		({"videoMessage": {"caption": "pie"}}, "pie"),
		({"documentMessage": {"caption": "pie"}}, "pie"),
		({"documentWithCaptionMessage": {"message": {"documentMessage": {"caption": "pie"}}}}, "pie"),
		({"message": {"conversation": "envuelto"}}, "envuelto"),
		({"conversation": "fuera", "message": {"conversation": "envuelto"}}, "fuera"),
		({"conversation": " ", "message": {"conversation": "envuelto"}}, "envuelto"),
		({"conversation": "a", "extendedTextMessage": {"text": "b"}}, "a"),
		({"extendedTextMessage": {"text": None}, "imageMessage": {"caption": "pie"}}, "pie"),
		({"message": {"message": {"conversation": "dos veces"}}}, None),
		({"conversation": "x" * (BODY_LENGTH + 9)}, "x" * BODY_LENGTH),
		({"conversation": MARKUP}, "‹img src=x onerror=alert(1)>"),
		({"conversation": "  "}, None),
		({"conversation": 12}, "12"),
		({"extendedTextMessage": "nuevo"}, None),
		({}, None),
		("nuevo", None),
		(None, None),
	],
)
def test_the_new_text_of_an_edit_is_plain_text(content, text):
	assert edited_text(content) == text


def test_an_edit_without_its_new_text_is_ignored():
	data = baileys({"protocolMessage": protocol(14, editedMessage={"imageMessage": {}})})
	assert event_of(data) == Ignored("edit without its new text")


def test_a_deletion_carries_no_text_even_when_its_protocol_message_does():
	data = baileys({"protocolMessage": protocol(0, editedMessage={"conversation": "nuevo"})})
	assert event_of(data) == change()


def test_the_edit_s_own_time_else_the_message_s():
	edit = protocol(14, editedMessage={"conversation": "x"}, timestampMs="1729443730500")
	assert event_of(baileys({"protocolMessage": edit})).timestamp == 1729443730.5
	edit["timestampMs"] = "soon"
	assert event_of(baileys({"protocolMessage": edit})).timestamp == 1729443720.0


@pytest.mark.parametrize(
	"target, expected",
	[
		("false_34600000001@c.us_3EB0250462D167CE4A3F0D_in", TARGET),
		({"id": TARGET}, TARGET),
		("not an id", None),
		(MARKUP, None),
		("", None),
		(None, None),
		(12.5, None),
	],
)
def test_the_changed_message_s_id_is_taken_exactly_or_the_change_is_ignored(target, expected):
	event = event_of(baileys({"protocolMessage": {"type": 0, "key": {"id": target}}}))
	if expected:
		assert event.target_message_id == expected
	else:
		assert event == Ignored("delete without the id of the message it changes")


@pytest.mark.parametrize(
	"outer, chat, from_me, sender",
	[
		({}, ANA, False, None),
		({"remoteJid": "34600000001:7@s.whatsapp.net"}, ANA, False, None),
		({"fromMe": True}, ANA, True, None),
		({"remoteJid": GROUP, "participant": "34600000003@c.us"}, GROUP, False, BEA),
		({"remoteJid": GROUP, "participant": BEA, "fromMe": True}, GROUP, True, None),
		({"remoteJid": GROUP}, GROUP, False, None),
	],
)
def test_chat_and_sender_are_the_change_s_own_never_those_written_inside_it(outer, chat, from_me, sender):
	inner = {"remoteJid": "34600000009@s.whatsapp.net", "fromMe": not from_me, "participant": ANA}
	event = event_of(baileys({"protocolMessage": protocol(0, inner)}, outer))
	assert (event.chat_jid, event.from_me, event.sender_jid) == (chat, from_me, sender)


def test_a_change_sent_from_this_phone_is_ours_by_the_event():
	data = baileys({"protocolMessage": protocol(0)}, {"fromMe": None})
	assert event_of(data, "message.sent").from_me is True


def test_a_status_broadcast_change_is_ignored():
	data = baileys({"protocolMessage": protocol(0)}, {"remoteJid": "status@broadcast"})
	assert event_of(data) == Ignored("status broadcast")
	story = {"id": {"id": TARGET, "remote": "status@broadcast"}, "from": "status@broadcast", "body": "x"}
	assert event_of(story, "message_revoke_everyone") == Ignored("status broadcast")
	update = {"key": {"remoteJid": "status@broadcast", "id": TARGET}, "update": {"messageStubType": 1}}
	assert not isinstance(event_of(update, "messages.update"), ChangeEvent)


def test_an_edited_message_wrapper_without_a_protocol_message_edits_its_own_key():
	data = baileys({"editedMessage": {"message": {"conversation": "otra vez"}}}, {"id": TARGET})
	assert event_of(data) == change(Change.EDIT, "otra vez")


# ---------------------------------------------------------------- the gateway's own message objects


def test_a_protocol_message_beside_a_gateway_style_message():
	data = {"sessionId": "crm_main", "message": {"whatsappMessageId": OWN, "chatId": ANA, "from": ANA}}
	data["message"]["protocolMessage"] = protocol(14, editedMessage={"conversation": "nuevo"})
	event = parse(compact({"event": "message.received", "data": data})).event
	assert (event.kind, event.target_message_id, event.body, event.chat_jid) == (
		Change.EDIT,
		TARGET,
		"nuevo",
		ANA,
	)


def test_a_whatsapp_web_message_of_type_revoked_deletes_itself():
	data = {"id": {"id": TARGET, "remote": "34600000001@c.us"}, "from": "34600000001@c.us", "type": "revoked"}
	assert event_of(data, timestamp=1729443800) == change(timestamp=1729443800.0)


def test_a_protocol_type_without_details_is_ignored_not_shown():
	data = {"id": {"id": OWN, "remote": "34600000001@c.us"}, "from": "34600000001@c.us", "type": "protocol"}
	assert event_of(data) == Ignored("protocol message that changes no message")


@pytest.mark.parametrize(
	"name, kind",
	[
		("message.edited", Change.EDIT),
		("message_edit", Change.EDIT),
		("message.edit", Change.EDIT),
		("message.revoked", Change.DELETE),
		("message_revoke_everyone", Change.DELETE),
		("message.deleted", Change.DELETE),
		("message_revoke", Change.DELETE),
	],
)
def test_the_event_names_of_edits_and_deletions(name, kind):
	data = {"id": {"id": TARGET, "remote": "34600000001@c.us"}, "from": "34600000001@c.us", "body": "nuevo"}
	event = event_of(data, name)
	assert (event.kind, event.target_message_id, event.chat_jid) == (kind, TARGET, ANA)
	assert event.body == ("nuevo" if kind == Change.EDIT else None)


def test_a_deletion_for_me_alone_changes_nothing_here():
	data = {"id": {"id": TARGET, "remote": "34600000001@c.us"}, "from": "34600000001@c.us"}
	assert event_of(data, "message_revoke_me") == Ignored("event 'message_revoke_me' is not handled")


def test_an_edit_event_names_the_original_by_any_field_and_takes_the_new_body_first():
	data = {
		"chatId": ANA,
		"from": ANA,
		"originalMessageId": TARGET,
		"id": OWN,
		"body": "viejo",
		"newBody": "nuevo",
	}
	event = event_of(data, "message.edited")
	assert (event.target_message_id, event.body) == (TARGET, "nuevo")


def test_an_edit_event_s_time_is_the_edit_s_never_the_message_s_own():
	data = {"chatId": ANA, "id": TARGET, "body": "x", "timestamp": 1729443600}
	assert event_of(data, "message.edited", timestamp="2025-10-14T06:31:00Z").timestamp == 1760423460.0
	assert (
		event_of({**data, "latestEditSenderTimestampMs": 1729443660000}, "message.edited").timestamp
		== 1729443660.0
	)
	assert event_of(data, "message.edited").timestamp is None  # the desk then uses the time it arrives


def test_an_edit_event_of_our_own_message_from_the_phone():
	data = {"id": {"id": TARGET, "fromMe": True, "remote": "34600000001@c.us"}, "to": "34600000001@c.us"}
	event = event_of({**data, "body": "corregido"}, "message_edit")
	assert (event.from_me, event.chat_jid, event.body) == (True, ANA, "corregido")


def test_an_edit_event_without_its_chat_or_text_is_ignored():
	assert event_of({"id": TARGET, "body": "x"}, "message.edited") == Ignored(
		"edit or deletion without the chat it was made in"
	)
	assert event_of({"id": TARGET, "chatId": ANA}, "message.edited") == Ignored("edit without its new text")


def test_a_hostile_new_text_stays_text():
	data = {"chatId": ANA, "id": TARGET, "newBody": MARKUP + "\ud800"}
	raw = json.dumps({"event": "message.edited", "sessionId": "crm_main", "data": data}).encode()
	assert parse(raw).event.body == "‹img src=x onerror=alert(1)>\ufffd"


# ---------------------------------------------------------------- Baileys messages.update


def update(**fields) -> dict:
	return {"key": {"remoteJid": ANA, "id": TARGET, "fromMe": False}, "update": fields}


def test_a_revoke_stub_in_messages_update_deletes_the_keyed_message():
	assert (
		event_of(update(message=None, messageStubType=1), "messages.update", timestamp=1729443720) == change()
	)


def test_an_edit_in_messages_update():
	data = update(
		message={
			"editedMessage": {
				"message": {"protocolMessage": protocol(14, editedMessage={"conversation": "n"})}
			}
		}
	)
	event = event_of(data, "messages.update", timestamp=1729443720)
	assert (event.kind, event.target_message_id, event.body) == (Change.EDIT, TARGET, "n")


def test_a_status_in_messages_update_is_still_a_status():
	assert isinstance(
		event_of({**update(status=3), "messageId": TARGET, "ack": 3}, "messages.update"), StatusEvent
	)


def test_a_plain_message_is_still_a_message():
	assert isinstance(event_of(baileys({"conversation": "hola"})), MessageEvent)

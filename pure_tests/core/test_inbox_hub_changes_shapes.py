"""Edits and deletions in each of the shapes a gateway reports them: where the id of the changed message, the new
text and the time of the change may be written, and who made the change (Baileys' `messages.update`, the
whatsapp-web.js events, a gateway's own message objects)."""

import pytest

from xappiens_whatsapp.core.inbox_hub_events import Change, ChangeEvent, Ignored, MessageEvent, parse
from xappiens_whatsapp.core.inbox_hub_readers import BODY_LENGTH
from xappiens_whatsapp.testing.payloads import compact

ANA = "34600000001@s.whatsapp.net"
BEA = "34600000003@s.whatsapp.net"
GROUP = "120363025555555555@g.us"
TARGET = "3EB0250462D167CE4A3F0D"
OWN = "3EB0DE0462D167CE4A3F22"  # the id of the message that reports the change
OTHER = "3EB0AA0462D167CE4A3F99"
SENT = 1729443720  # the delivery's own time
EDITED = 1729443660  # the edit's


def event_of(data: dict, event: str = "message.received", **envelope):
	return parse(compact({"event": event, "sessionId": "crm_main", "data": data, **envelope})).event


def change(kind=Change.DELETE, body=None, timestamp=float(SENT), **fields) -> ChangeEvent:
	values = {"chat_jid": ANA, "from_me": False, "sender_jid": None, **fields}
	return ChangeEvent("crm_main", TARGET, kind=kind, body=body, timestamp=timestamp, **values)


def protocol(type_=0, **fields) -> dict:
	return {"type": type_, "key": {"remoteJid": "elsewhere@g.us", "id": TARGET}, **fields}


# ---------------------------------------------------------------- Baileys messages.update


def update_of(update: dict, key: dict | None = None, **data) -> dict:
	return {"key": {"remoteJid": ANA, "id": TARGET, "fromMe": False, **(key or {})}, "update": update, **data}


@pytest.mark.parametrize(
	"update",
	[
		{"message": {"editedMessage": {"conversation": "nuevo"}}},
		{"message": {"editedMessage": {"message": {"conversation": "nuevo"}}}},
		{"message": {"editedMessage": {"message": {"extendedTextMessage": {"text": "nuevo"}}}}},
		{"editedMessage": {"conversation": "nuevo"}},
		{"editedMessage": {"message": {"imageMessage": {"caption": "nuevo"}}}},
		{"message": {}, "editedMessage": {"conversation": "nuevo"}},
		{"message": {"editedMessage": {"conversation": "nuevo"}}, "editedMessage": {"conversation": "viejo"}},
	],
)
def test_an_edit_in_messages_update_changes_the_keyed_message(update):
	assert event_of(update_of(update), "messages.update", timestamp=SENT) == change(Change.EDIT, "nuevo")


def test_an_edit_in_messages_update_without_its_new_text_is_ignored():
	data = update_of({"editedMessage": {"imageMessage": {}}})
	assert event_of(data, "messages.update", timestamp=SENT) == Ignored("edit without its new text")


@pytest.mark.parametrize("stub", [1, "1", " 1 ", 1.0, "REVOKE"])
def test_a_revoke_stub_by_number_or_name_deletes_the_keyed_message(stub):
	data = update_of({"messageStubType": stub})
	assert event_of(data, "messages.update", timestamp=SENT) == change()


@pytest.mark.parametrize("stub", [True, 2, "2", "DELETE", None])
def test_other_stubs_are_no_change(stub):
	data = {**update_of({"messageStubType": stub}), "ack": 3}
	assert not isinstance(event_of(data, "messages.update", timestamp=SENT), ChangeEvent)


@pytest.mark.parametrize(
	"update, key_id, expected",
	[
		({"message": {"protocolMessage": protocol(0)}}, OWN, change()),
		(
			{"message": {"protocolMessage": protocol(14, editedMessage={"conversation": "nuevo"})}},
			OWN,
			change(Change.EDIT, "nuevo"),
		),
		(
			{
				"message": {
					"protocolMessage": protocol(14, editedMessage={"conversation": "n"}, timestampMs=1)
				}
			},
			OWN,
			change(Change.EDIT, "n", timestamp=0.001),
		),
		(
			{"message": {"protocolMessage": protocol(0, editedMessage={"conversation": "nuevo"})}},
			OWN,
			change(),
		),
		(
			{"message": {"protocolMessage": protocol(3)}},
			OWN,
			Ignored("protocol message that changes no message"),
		),
	],
)
def test_a_protocol_message_in_messages_update_names_the_message_it_changes(update, key_id, expected):
	data = update_of(update, {"id": key_id})
	assert event_of(data, "messages.update", timestamp=SENT) == expected


UPDATE_SHAPES = {
	"deletion": ({"messageStubType": 1}, TARGET, Change.DELETE, None),
	"edit": ({"message": {"editedMessage": {"conversation": "nuevo"}}}, TARGET, Change.EDIT, "nuevo"),
	"protocol edit": (
		{"message": {"protocolMessage": protocol(14, editedMessage={"conversation": "nuevo"})}},
		OWN,
		Change.EDIT,
		"nuevo",
	),
	"protocol deletion": ({"message": {"protocolMessage": protocol(0)}}, OWN, Change.DELETE, None),
}


@pytest.mark.parametrize("shape", UPDATE_SHAPES)
@pytest.mark.parametrize(
	"key, chat, from_me, sender",
	[
		({}, ANA, False, None),
		({"fromMe": True}, ANA, True, None),
		({"fromMe": "true"}, ANA, True, None),
		({"fromMe": "True"}, ANA, True, None),
		({"fromMe": 1}, ANA, True, None),
		({"fromMe": "false"}, ANA, False, None),
		({"fromMe": None}, ANA, False, None),
		({"fromMe": "yes"}, ANA, False, None),
		({"participant": BEA}, ANA, False, None),
		({"remoteJid": GROUP, "participant": BEA}, GROUP, False, BEA),
		({"remoteJid": GROUP, "participant": "34600000003@c.us"}, GROUP, False, BEA),
		({"remoteJid": GROUP, "participant": BEA, "fromMe": True}, GROUP, True, None),
		({"remoteJid": GROUP, "participant": BEA, "fromMe": "TRUE"}, GROUP, True, None),
		({"remoteJid": GROUP}, GROUP, False, None),
	],
)
def test_who_made_a_change_in_messages_update_and_where(shape, key, chat, from_me, sender):
	update, key_id, kind, body = UPDATE_SHAPES[shape]
	event = event_of(update_of(update, {"id": key_id, **key}), "messages.update", timestamp=SENT)
	assert event == change(kind, body, chat_jid=chat, from_me=from_me, sender_jid=sender)


@pytest.mark.parametrize("shape", UPDATE_SHAPES)
def test_the_time_of_a_change_in_messages_update_is_the_data_s_else_the_delivery_s(shape):
	update, key_id, kind, body = UPDATE_SHAPES[shape]
	data = update_of(update, {"id": key_id})
	assert event_of({**data, "timestamp": EDITED}, "messages.update", timestamp=SENT) == change(
		kind, body, float(EDITED)
	)
	assert event_of(data, "messages.update", timestamp=SENT) == change(kind, body)
	assert event_of(data, "messages.update") == change(kind, body, None)


# ---------------------------------------------------------------- whatsapp-web.js edit and deletion events


def wrapped(msg: dict, **data) -> dict:
	"""A gateway's data: the message under `message`, the gateway's own fields beside it."""
	return {"message": {"chatId": ANA, **msg}, **data}


TARGET_FIELDS = [
	("data", "editedMessageId", TARGET),
	("data", "revokedMessageId", TARGET),
	("data", "originalMessageId", TARGET),
	("data", "protocolMessageKey", {"id": TARGET}),
	("data", "messageId", TARGET),
	("message", "editedMessageId", TARGET),
	("message", "revokedMessageId", TARGET),
	("message", "originalMessageId", TARGET),
	("message", "protocolMessageKey", {"id": TARGET}),
	("message", "whatsappMessageId", TARGET),
	("message", "id", TARGET),
	("message", "id", {"id": TARGET, "remote": "34600000001@c.us"}),
	("message", "id", f"false_34600000001@c.us_{TARGET}"),
	("message", "messageId", TARGET),
]


@pytest.mark.parametrize("where, field, value", TARGET_FIELDS)
@pytest.mark.parametrize(
	"name, kind", [("message.edited", Change.EDIT), ("message_revoke_everyone", Change.DELETE)]
)
def test_the_changed_message_s_id_may_be_in_any_of_its_fields(where, field, value, name, kind):
	given = {field: value}
	data = wrapped({"body": "nuevo", **given}) if where == "message" else wrapped({"body": "nuevo"}, **given)
	body = "nuevo" if kind == Change.EDIT else None
	assert event_of(data, name, timestamp=SENT) == change(kind, body)


@pytest.mark.parametrize("name", ["message.edited", "message.revoked"])
def test_without_the_changed_message_s_id_the_change_is_ignored(name):
	data = wrapped({"body": "nuevo", "protocolMessageKey": {"id": ""}, "revokedMessageId": None})
	kind = "edit" if name == "message.edited" else "delete"
	assert event_of(data, name) == Ignored(f"{kind} without the id of the message it changes")


@pytest.mark.parametrize(
	"data",
	[
		wrapped({"id": OWN, "originalMessageId": OTHER}, editedMessageId=TARGET, newBody="x"),
		wrapped({"id": OWN, "whatsappMessageId": OTHER, "revokedMessageId": TARGET}, newBody="x"),
		wrapped({"id": OWN, "protocolMessageKey": {"id": TARGET}}, newBody="x", messageId=OTHER),
		wrapped({"whatsappMessageId": TARGET, "id": OWN, "messageId": OTHER}, newBody="x"),
	],
)
def test_the_changed_message_s_id_is_taken_before_the_reporting_message_s_own(data):
	assert event_of(data, "message.edited").target_message_id == TARGET


@pytest.mark.parametrize(
	"msg, data",
	[
		({}, {"newBody": "nuevo"}),
		({"newBody": "nuevo"}, {}),
		({"body": "nuevo"}, {}),
		({"content": "nuevo"}, {}),
		({"editedMessage": {"conversation": "nuevo"}}, {}),
		({"editedMessage": {"message": {"extendedTextMessage": {"text": "nuevo"}}}}, {}),
		({"newBody": "viejo", "body": "viejo", "content": "viejo"}, {"newBody": "nuevo"}),
		({"newBody": "nuevo", "body": "viejo", "content": "viejo"}, {}),
		({"body": "nuevo", "content": "viejo", "editedMessage": {"conversation": "viejo"}}, {}),
		({"content": "nuevo", "editedMessage": {"conversation": "viejo"}}, {}),
		({"body": "", "editedMessage": {"conversation": "nuevo"}}, {"newBody": None}),
		({"body": 42}, {}),
	],
)
def test_the_new_text_of_an_edit_event_in_any_of_its_fields(msg, data):
	body = "42" if msg.get("body") == 42 else "nuevo"
	assert event_of(wrapped({"id": TARGET, **msg}, **data), "message.edited", timestamp=SENT) == change(
		Change.EDIT, body
	)


@pytest.mark.parametrize("field", ["newBody", "body", "content"])
def test_the_new_text_is_cut_to_what_a_body_holds(field):
	text = "é" * (BODY_LENGTH + 5)
	event = event_of(wrapped({"id": TARGET, field: text}), "message.edited")
	assert event.body == "é" * BODY_LENGTH


def test_a_deletion_event_has_no_text_whatever_its_message_says():
	data = wrapped({"id": TARGET, "body": "viejo", "editedMessage": {"conversation": "x"}}, newBody="y")
	assert event_of(data, "message.revoked", timestamp=SENT) == change()


@pytest.mark.parametrize(
	"msg, data, envelope, timestamp",
	[
		({"latestEditSenderTimestampMs": EDITED * 1000}, {}, SENT, EDITED),
		({"latestEditSenderTimestampMs": str(EDITED * 1000 + 250)}, {}, SENT, EDITED + 0.25),
		({}, {"latestEditSenderTimestampMs": EDITED * 1000}, SENT, EDITED),
		({"latestEditSenderTimestampMs": EDITED * 1000}, {"latestEditSenderTimestampMs": 1}, SENT, EDITED),
		({"latestEditSenderTimestampMs": EDITED * 1000, "editedAt": SENT - 1}, {}, SENT, EDITED),
		({"editedAt": EDITED}, {}, SENT, EDITED),
		({"editedAt": "2024-10-20T17:01:00Z"}, {}, SENT, EDITED),
		({"editedAt": EDITED * 1000}, {}, SENT, EDITED),
		({}, {"editedAt": EDITED}, SENT, EDITED),
		({"editedAt": EDITED}, {"editedAt": SENT - 1}, SENT, EDITED),
		({"latestEditSenderTimestampMs": 0, "editedAt": EDITED}, {}, SENT, EDITED),
		({"latestEditSenderTimestampMs": -5}, {}, SENT, SENT),
		({"latestEditSenderTimestampMs": "soon"}, {"editedAt": EDITED}, SENT, EDITED),
		({"latestEditSenderTimestampMs": 10**17}, {}, SENT, SENT),
		({"editedAt": "yesterday", "timestamp": EDITED}, {}, SENT, SENT),
		({}, {}, SENT, SENT),
		({}, {}, None, None),
	],
)
def test_the_time_of_an_edit_event(msg, data, envelope, timestamp):
	payload = wrapped({"id": TARGET, "body": "x", **msg}, **data)
	event = event_of(payload, "message.edited", **({"timestamp": envelope} if envelope else {}))
	assert event.timestamp == (None if timestamp is None else float(timestamp))


def test_a_deletion_event_s_time_is_read_as_an_edit_s():
	data = wrapped({"id": TARGET, "editedAt": EDITED})
	assert event_of(data, "message.revoked", timestamp=SENT) == change(timestamp=float(EDITED))


@pytest.mark.parametrize("name, body", [("message.edited", "nuevo"), ("message.revoked", None)])
@pytest.mark.parametrize(
	"msg, chat, from_me, sender",
	[
		({"chatId": GROUP, "author": "34600000003@c.us"}, GROUP, False, BEA),
		({"chatId": GROUP, "participant": BEA}, GROUP, False, BEA),
		({"chatId": GROUP, "author": BEA, "fromMe": True}, GROUP, True, None),
		({"chatId": GROUP}, GROUP, False, None),
		({"from": "34600000001@c.us", "author": ANA}, ANA, False, None),
		({"from": "34600000001@c.us", "author": BEA}, ANA, False, BEA),
		({"id": {"id": TARGET, "fromMe": True}, "to": "34600000001@c.us"}, ANA, True, None),
	],
)
def test_who_made_an_edit_or_deletion_event_and_where(name, body, msg, chat, from_me, sender):
	data = {"message": {"id": TARGET, "body": "nuevo", **msg}}
	kind = Change.EDIT if name == "message.edited" else Change.DELETE
	assert event_of(data, name, timestamp=SENT) == change(
		kind, body, chat_jid=chat, from_me=from_me, sender_jid=sender
	)


@pytest.mark.parametrize(
	"data",
	[
		{"before": {"id": TARGET, "from": "34600000001@c.us", "body": "viejo"}},
		{"after": None, "before": {"id": TARGET, "from": "34600000001@c.us"}},
		{
			"after": {"id": TARGET, "from": "34600000001@c.us", "type": "revoked"},
			"before": {"id": OTHER, "from": "34600000009@c.us"},
		},
		{"after": {"id": TARGET, "from": "34600000001@c.us"}, "id": OTHER, "from": "34600000009@c.us"},
	],
)
def test_a_revocation_names_the_message_as_it_now_is_else_as_it_was(data):
	assert event_of(data, "message_revoke_everyone", timestamp=SENT) == change()


# ---------------------------------------------------------------- Baileys messages under an edit or deletion event


@pytest.mark.parametrize(
	"name, message, kind, body",
	[
		("message_revoke_everyone", {"conversation": "hola"}, Change.DELETE, None),
		("message.deleted", {"editedMessage": {"conversation": "hola"}}, Change.DELETE, None),
		("message_edit", {"conversation": "nuevo"}, Change.EDIT, "nuevo"),
		("message.edited", {"extendedTextMessage": {"text": "nuevo"}}, Change.EDIT, "nuevo"),
		("message.received", {"editedMessage": {"conversation": "nuevo"}}, Change.EDIT, "nuevo"),
	],
)
@pytest.mark.parametrize(
	"key, chat, from_me, sender",
	[
		({}, ANA, False, None),
		({"fromMe": True}, ANA, True, None),
		({"remoteJid": GROUP, "participant": BEA}, GROUP, False, BEA),
		({"remoteJid": GROUP, "participant": BEA, "fromMe": True}, GROUP, True, None),
	],
)
def test_a_baileys_message_under_an_edit_or_deletion_event_changes_itself(
	name, message, kind, body, key, chat, from_me, sender
):
	data = {
		"key": {"remoteJid": ANA, "id": TARGET, "fromMe": False, **key},
		"message": message,
		"messageTimestamp": SENT,
	}
	assert event_of(data, name) == change(kind, body, chat_jid=chat, from_me=from_me, sender_jid=sender)


def test_a_baileys_message_under_a_plain_event_is_a_message():
	data = {"key": {"remoteJid": ANA, "id": TARGET, "fromMe": False}, "message": {"conversation": "hola"}}
	assert isinstance(event_of(data), MessageEvent)


# ---------------------------------------------------------------- protocol messages in a gateway's own message


def gateway(msg: dict | None = None, **data) -> dict:
	return {"message": {"whatsappMessageId": OWN, "chatId": ANA, **(msg or {})}, **data}


@pytest.mark.parametrize(
	"data",
	[
		gateway({"protocolMessage": protocol(0)}),
		gateway({"message": {"protocolMessage": protocol(0)}}),
		gateway({"message": {"editedMessage": {"message": {"protocolMessage": protocol(0)}}}}),
		gateway(protocolMessage=protocol(0)),
		gateway(editedMessage={"message": {"protocolMessage": protocol(0)}}),
	],
)
def test_a_protocol_message_wherever_the_gateway_put_it(data):
	assert event_of(data, timestamp=SENT) == change(timestamp=None)


@pytest.mark.parametrize(
	"msg, data, expected",
	[
		({"timestamp": EDITED}, {}, change(timestamp=float(EDITED))),
		({}, {"timestamp": EDITED}, change(timestamp=float(EDITED))),
		({"timestamp": EDITED}, {"timestamp": SENT}, change(timestamp=float(EDITED))),
		({"timestamp": "soon"}, {"timestamp": EDITED}, change(timestamp=float(EDITED))),
		({"chatId": GROUP, "author": BEA}, {}, change(chat_jid=GROUP, sender_jid=BEA, timestamp=None)),
		(
			{"chatId": GROUP, "author": BEA, "fromMe": True},
			{},
			change(chat_jid=GROUP, from_me=True, timestamp=None),
		),
		({"from": "34600000001@c.us", "author": ANA}, {}, change(timestamp=None)),
		({"fromMe": True}, {}, change(from_me=True, timestamp=None)),
		({"fromMe": "true"}, {}, change(from_me=True, timestamp=None)),
	],
)
def test_a_gateway_s_protocol_message_is_the_change_of_its_sender_in_its_chat(msg, data, expected):
	assert event_of(gateway({"protocolMessage": protocol(0), **msg}, **data)) == expected


@pytest.mark.parametrize("raw_type", ["protocol", "protocolMessage", "PROTOCOL"])
def test_a_protocol_type_without_a_protocol_message_changes_nothing(raw_type):
	assert event_of(gateway({"type": raw_type})) == Ignored("protocol message that changes no message")


@pytest.mark.parametrize(
	"msg, expected",
	[
		({"whatsappMessageId": TARGET, "id": OWN}, change()),
		({"whatsappMessageId": None, "id": TARGET}, change()),
		({"messageId": TARGET}, change()),
		({"id": {"id": TARGET, "fromMe": True}}, change(from_me=True)),
		({"messageId": TARGET, "chatId": GROUP, "author": BEA}, change(chat_jid=GROUP, sender_jid=BEA)),
		(
			{"messageId": TARGET, "chatId": GROUP, "author": BEA, "fromMe": True},
			change(chat_jid=GROUP, from_me=True),
		),
		({"messageId": "not an id"}, Ignored("delete without the id of the message it changes")),
		({}, Ignored("delete without the id of the message it changes")),
	],
)
def test_a_message_of_type_revoked_deletes_itself(msg, expected):
	data = {"message": {"chatId": ANA, "type": "revoked", "timestamp": EDITED, **msg}}
	assert event_of(data, timestamp=SENT) == expected

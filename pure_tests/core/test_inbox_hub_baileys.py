"""Baileys messages (`{key{remoteJid, fromMe, id, participant}, message{…}, messageTimestamp}`): ids, direction,
times, wrappers, content of every kind, and the values that are refused."""

import pytest

from xappiens_whatsapp.core.inbox_hub_events import Ignored, Media, MessageEvent, parse
from xappiens_whatsapp.testing.payloads import compact

ANA = "34600000001@s.whatsapp.net"
BEA = "34600000003@s.whatsapp.net"
GROUP = "120363025555555555@g.us"
LID = "118000000000001@lid"
ID = "3EB0FF0462D167CE4A3F17"


def baileys(key: dict | None = None, message: dict | None = None, **fields) -> dict:
	return {"key": {"remoteJid": ANA, "id": ID, **(key or {})}, "message": message, **fields}


def event_of(data: dict, event: str = "message.received", **kw):
	return parse(compact({"event": event, "sessionId": "crm_main", "data": data}), **kw).event


def test_every_field_of_a_group_message_is_read():
	data = baileys(
		{"remoteJid": GROUP, "participant": "34600000003@c.us", "fromMe": False},
		{
			"messageContextInfo": {"deviceListMetadata": {}},
			"extendedTextMessage": {
				"text": "Hola",
				"contextInfo": {"stanzaId": "3EB0250462D167CE4A3F0E", "isForwarded": True},
			},
		},
		messageTimestamp=1729444300,
		pushName="Bea",
		status=3,
	)
	assert event_of(data) == MessageEvent(
		session_id="crm_main",
		message_id=ID,
		chat_jid=GROUP,
		from_me=False,
		message_type="text",
		body="Hola",
		timestamp=1729444300.0,
		sender_jid=BEA,
		serialized_id=None,
		gateway_row_id=None,
		media=None,
		quoted_message_id="3EB0250462D167CE4A3F0E",
		is_forwarded=True,
		push_name="Bea",
		phone_jid=None,
		latitude=None,
		longitude=None,
		status=None,
		raw_ack=3,
	)


def test_a_baileys_message_inside_an_f_shape_body():
	body = {
		"event": "message.sent",
		"data": {"sessionId": "crm_main", "message": baileys(message={"conversation": "x"})},
	}
	event = parse(compact(body)).event
	assert (event.session_id, event.message_id, event.from_me, event.body) == ("crm_main", ID, True, "x")


def test_only_a_group_message_has_an_author():
	assert event_of(baileys({"participant": BEA}, {"conversation": "x"})).sender_jid is None


@pytest.mark.parametrize("value", [True, "true", "TRUE", 1])
def test_from_me_true(value):
	assert event_of(baileys({"fromMe": value}), "message.received").from_me is True


@pytest.mark.parametrize("value", [False, "false", "False", 0])
def test_from_me_false(value):
	assert event_of(baileys({"fromMe": value}), "message.sent").from_me is False


@pytest.mark.parametrize("value", [None, "maybe", 2, 0.0])
def test_an_unreadable_from_me_gives_the_direction_of_the_event(value):
	assert event_of(baileys({"fromMe": value}), "message.sent").from_me is True
	assert event_of(baileys({"fromMe": value}), "message.received").from_me is False


@pytest.mark.parametrize(
	"key, expected",
	[
		({"id": "3EB0FF0462D167CE4A3F17"}, "3EB0FF0462D167CE4A3F17"),
		({"id": f"false_{ANA}_3EB0AA_in"}, "3EB0AA"),
		({"id": 1234}, "1234"),
		({"id": {"id": "3EB0AA"}}, "3EB0AA"),
	],
)
def test_the_message_id(key, expected):
	assert event_of(baileys(key)).message_id == expected


@pytest.mark.parametrize(
	"key, reason",
	[
		({"id": ""}, "message without an id"),
		({"id": None}, "message without an id"),
		({"id": "not an id"}, "message id is not in a form WhatsApp uses"),
		({"id": ["3EB0AA"]}, "message id is not in a form WhatsApp uses"),
		({"remoteJid": None}, "message without a chat id"),
		({"remoteJid": "status@broadcast"}, "status broadcast"),
	],
)
def test_messages_that_cannot_be_stored_say_why(key, reason):
	assert event_of(baileys(key)) == Ignored(reason)


def test_a_key_without_an_id_is_not_read_as_baileys():
	data = {"key": {"remoteJid": ANA}, "message": None, "chatId": ANA, "id": "3EB0AA"}
	assert event_of(data).message_id == "3EB0AA"


def test_a_key_beside_a_text_message_is_not_read_as_baileys():
	data = {"key": {"remoteJid": ANA, "id": ID}, "message": "hola", "chatId": GROUP, "id": "3EB0AA"}
	assert (event_of(data).chat_jid, event_of(data).body) == (GROUP, "hola")


@pytest.mark.parametrize(
	"fields, expected",
	[
		({"messageTimestamp": 1729444300}, 1729444300.0),
		({"messageTimestamp": "1729444300"}, 1729444300.0),
		({"messageTimestamp": 1729444300000}, 1729444300.0),
		({"messageTimestamp": None, "timestamp": 1729444400}, 1729444400.0),
		({"messageTimestamp": 5, "timestamp": 1729444400}, 1729444400.0),
		({}, None),
	],
)
def test_message_times(fields, expected):
	assert event_of(baileys(**fields)).timestamp == expected


@pytest.mark.parametrize(
	"key, fields",
	[
		({"remoteJidAlt": "34600000001@c.us", "senderPn": "nope"}, {"senderPn": "nope"}),
		({"senderPn": "34600000001@s.whatsapp.net"}, {}),
		({}, {"senderPn": "34600000001"}),
		({"remoteJidAlt": LID, "senderPn": "34600000001"}, {}),
	],
)
def test_the_phone_behind_a_lid_chat_is_read_from_each_of_its_names(key, fields):
	assert event_of(baileys({"remoteJid": LID, **key}, **fields)).phone_jid == ANA


def test_a_phone_is_only_looked_for_behind_a_lid_chat():
	assert event_of(baileys({"remoteJidAlt": ANA}, senderPn=ANA)).phone_jid is None
	assert event_of(baileys({"remoteJid": LID})).phone_jid is None


# ---------------------------------------------------------------- content


@pytest.mark.parametrize(
	"wrapper", ["ephemeralMessage", "viewOnceMessage", "viewOnceMessageV2", "documentWithCaptionMessage"]
)
def test_wrappers_are_opened(wrapper):
	event = event_of(baileys(message={wrapper: {"message": {"imageMessage": {"caption": "foto"}}}}))
	assert (event.message_type, event.body) == ("image", "foto")


def test_wrappers_inside_wrappers_are_opened_three_deep():
	inner = {"imageMessage": {"caption": "foto"}}
	for wrapper in ("viewOnceMessage", "viewOnceMessageV2", "ephemeralMessage"):
		inner = {wrapper: {"message": inner}}
	assert event_of(baileys(message=inner)).message_type == "image"
	# a fourth is left closed: the innermost wrapper is then the content, of a kind the app does not know
	four_deep = {"documentWithCaptionMessage": {"message": inner}}
	assert event_of(baileys(message=four_deep)).message_type == "other"


def test_a_wrapper_without_a_message_is_content_of_its_own():
	assert event_of(baileys(message={"ephemeralMessage": {"text": "x"}})).message_type == "other"


@pytest.mark.parametrize(
	"message, kind, body",
	[
		({"messageContextInfo": {}, "conversation": "hola"}, "text", "hola"),
		({"extendedTextMessage": {"text": "hola"}}, "text", "hola"),
		({"imageMessage": {"caption": "foto"}}, "image", "foto"),
		({"contactMessage": {"displayName": "Ana"}}, "contact", "Ana"),
		({"locationMessage": {"name": "Sol"}}, "location", "Sol"),
		(
			{"extendedTextMessage": {"text": "a", "caption": "b", "name": "c", "displayName": "d"}},
			"text",
			"a",
		),
		({"extendedTextMessage": {"text": "", "caption": "b", "name": "c"}}, "text", "b"),
		({"extendedTextMessage": {"name": "c", "displayName": "d"}}, "text", "c"),
		({"conversation": "x" * 70_000}, "text", "x" * 65_000),
		({"pollUpdateMessage": {}}, "other", None),
		({"messageContextInfo": {}}, "text", None),
		({}, "text", None),
		(None, "text", None),
	],
)
def test_content_of_every_kind(message, kind, body):
	event = event_of(baileys(message=message))
	assert (event.message_type, event.body) == (kind, body)


@pytest.mark.parametrize(
	"kind, type_key",
	[
		("image", "imageMessage"),
		("video", "videoMessage"),
		("audio", "audioMessage"),
		("document", "documentMessage"),
		("sticker", "stickerMessage"),
	],
)
def test_media_of_every_kind(kind, type_key):
	content = {
		"url": "https://mmg.whatsapp.net/a",
		"mimetype": "a/b",
		"fileName": "f.bin",
		"fileLength": "20480",
	}
	event = event_of(baileys(message={type_key: content}))
	assert (event.message_type, event.media) == (
		kind,
		Media("https://mmg.whatsapp.net/a", "a/b", "f.bin", 20480),
	)


def test_other_kinds_have_no_media():
	assert event_of(baileys(message={"locationMessage": {"url": "https://x.example/a"}})).media is None


def test_a_plain_http_media_link_is_kept_only_from_a_trusted_origin():
	data = baileys(message={"imageMessage": {"url": "http://127.0.0.1:8084/m/a.jpg"}})
	assert event_of(data).media.url is None
	assert (
		event_of(data, trusted_origins=("http://127.0.0.1:8084",)).media.url
		== "http://127.0.0.1:8084/m/a.jpg"
	)


@pytest.mark.parametrize(
	"where, expected",
	[
		({"degreesLatitude": 40.4, "degreesLongitude": -3.7}, (40.4, -3.7)),
		({"degreesLatitude": 90, "degreesLongitude": 180}, (90, 180)),
		({"degreesLatitude": 90.5, "degreesLongitude": 180.5}, (None, None)),
	],
)
def test_locations_within_range(where, expected):
	event = event_of(baileys(message={"locationMessage": where}))
	assert (event.latitude, event.longitude) == expected


@pytest.mark.parametrize("value, forwarded", [(True, True), ("true", True), (False, False), (None, False)])
def test_forwarded(value, forwarded):
	message = {"extendedTextMessage": {"text": "x", "contextInfo": {"isForwarded": value}}}
	assert event_of(baileys(message=message)).is_forwarded is forwarded


@pytest.mark.parametrize("status, raw", [(2, 2), (-9, -9), (99, 99), (-10, None), (100, None), ("4", 4)])
def test_the_ack_a_message_carries_is_kept_within_range(status, raw):
	assert event_of(baileys(status=status)).raw_ack == raw

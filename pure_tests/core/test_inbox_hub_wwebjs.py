"""whatsapp-web.js style messages (shapes G, F and L): every field, each of the names it may come under, and the
values that are refused."""

import pytest

from xappiens_whatsapp.core.inbox_hub_events import Ignored, Media, MessageEvent, parse
from xappiens_whatsapp.core.message_state import MessageStatus
from xappiens_whatsapp.testing.payloads import compact

ANA = "34600000001@s.whatsapp.net"
BEA = "34600000003@s.whatsapp.net"
GROUP = "120363025555555555@g.us"
ID = "3EB0250462D167CE4A3F0D"


def event_of(data: dict, event: str = "message.received", **kw):
	return parse(compact({"event": event, "sessionId": "crm_main", "data": data}), **kw).event


def message(**fields) -> dict:
	return {"id": ID, "chatId": ANA, **fields}


def test_every_field_of_a_message_is_read():
	data = {
		"id": {"fromMe": False, "remote": GROUP, "id": ID, "_serialized": f"false_{GROUP}_{ID}_{BEA}"},
		"body": "Hola",
		"type": "image",
		"timestamp": 1729443600,
		"author": "34600000003@c.us",
		"hasMedia": True,
		"media": {"url": "https://mmg.whatsapp.net/d/f/a.enc", "mimetype": "Image/JPEG", "filename": "a.jpg"},
		"quotedMsgId": "3EB0250462D167CE4A3F0E",
		"isForwarded": True,
		"notifyName": "Bea",
		"senderPn": BEA,
		"location": {"latitude": 40.4168, "longitude": -3.7038},
		"ack": 1,
	}
	assert event_of(data) == MessageEvent(
		session_id="crm_main",
		message_id=ID,
		chat_jid=GROUP,
		from_me=False,
		message_type="image",
		body="Hola",
		timestamp=1729443600.0,
		sender_jid=BEA,
		serialized_id=f"false_{GROUP}_{ID}_{BEA}",
		gateway_row_id=None,
		media=Media("https://mmg.whatsapp.net/d/f/a.enc", "image/jpeg", "a.jpg", None),
		quoted_message_id="3EB0250462D167CE4A3F0E",
		is_forwarded=True,
		push_name="Bea",
		phone_jid=BEA,
		latitude=40.4168,
		longitude=-3.7038,
		status=None,
		raw_ack=1,
	)


@pytest.mark.parametrize("value", [True, "true", "TRUE", "True", 1])
def test_from_me_true_in_any_form_gateways_write(value):
	assert event_of(message(fromMe=value)).from_me is True
	assert event_of({"id": {"id": ID, "fromMe": value}, "chatId": ANA}).from_me is True


@pytest.mark.parametrize("value", [False, "false", "FALSE", 0])
def test_from_me_false_in_any_form_gateways_write(value):
	assert event_of(message(fromMe=value), "message.sent").from_me is False
	assert event_of({"id": {"id": ID, "fromMe": value}, "chatId": ANA}, "message.sent").from_me is False


@pytest.mark.parametrize("value", [None, "yes", "1", 2, -1, 0.0, 1.0, [], {}])
def test_an_unreadable_from_me_gives_the_direction_of_the_event(value):
	assert event_of(message(fromMe=value), "message.sent").from_me is True
	assert event_of(message(fromMe=value), "message.received").from_me is False


def test_the_message_s_own_from_me_wins_over_its_id_s():
	data = {"id": {"id": ID, "fromMe": True}, "chatId": ANA, "fromMe": False}
	assert event_of(data, "message.sent").from_me is False


@pytest.mark.parametrize(
	"fields, chat",
	[
		({"chatId": "34600000001@c.us"}, ANA),
		({"id": {"id": ID, "remote": "34600000001@c.us"}}, ANA),
		({"from": "34600000001@c.us", "to": "34600000002@c.us"}, ANA),
		({"chatId": GROUP, "id": {"id": ID, "remote": ANA}}, GROUP),
	],
)
def test_the_chat_is_read_from_each_of_its_names(fields, chat):
	assert event_of({"id": ID, **fields}).chat_jid == chat


def test_the_chat_of_a_sent_message_is_its_recipient():
	fields = {"id": ID, "from": "34600000002@c.us", "to": "34600000001@c.us"}
	assert event_of({**fields, "fromMe": True}).chat_jid == ANA
	assert event_of(fields, "message.sent").chat_jid == ANA


@pytest.mark.parametrize("name", ["author", "participant", "sender"])
def test_the_author_in_a_group_is_read_from_each_of_its_names(name):
	assert event_of(message(chatId=GROUP, **{name: "34600000003@c.us"})).sender_jid == BEA


def test_the_first_author_name_wins_and_the_chat_itself_is_no_author():
	data = message(chatId=GROUP, author=BEA, participant=ANA, sender=ANA)
	assert event_of(data).sender_jid == BEA
	assert event_of(message(author=ANA)).sender_jid is None


@pytest.mark.parametrize(
	"fields, expected",
	[
		({"whatsappMessageId": ID, "id": "OTHER1", "messageId": "OTHER2"}, ID),
		({"whatsappMessageId": "", "id": ID}, ID),
		({"messageId": ID}, ID),
		({"id": f"false_{ANA}_{ID}_in"}, ID),
		({"id": {"id": ID}}, ID),
		({"id": 1234}, "1234"),
	],
)
def test_the_message_id_is_read_from_each_of_its_names(fields, expected):
	assert event_of({"chatId": ANA, **fields}).message_id == expected


@pytest.mark.parametrize(
	"data, reason",
	[
		({"id": ID}, "message without a chat id"),
		({"id": ID, "chatId": "status@broadcast"}, "status broadcast"),
		({"chatId": ANA}, "message without an id"),
		({"chatId": ANA, "id": "", "messageId": ""}, "message without an id"),
		({"chatId": ANA, "id": "not an id"}, "message id is not in a form WhatsApp uses"),
	],
)
def test_messages_that_cannot_be_stored_say_why(data, reason):
	assert event_of(data) == Ignored(reason)


@pytest.mark.parametrize(
	"raw, expected", [("chat", "text"), ("PTT", "audio"), ("buttons_response", "other"), (None, "text")]
)
def test_message_types(raw, expected):
	assert event_of(message(type=raw)).message_type == expected


@pytest.mark.parametrize(
	"fields, body",
	[
		({"body": "a", "content": "b", "caption": "c"}, "a"),
		({"body": "", "content": "b", "caption": "c"}, "b"),
		({"caption": "c"}, "c"),
		({"message": "m"}, "m"),
		({"body": "a", "message": "m"}, "a"),
		({"body": "x" * 70_000}, "x" * 65_000),
		({"message": "x" * 70_000}, "x" * 65_000),
		({}, None),
	],
)
def test_the_body_is_read_from_each_of_its_names(fields, body):
	assert event_of(message(**fields)).body == body


@pytest.mark.parametrize(
	"fields",
	[
		{"media": {"mimetype": "image/png"}},
		{"mediaUrl": "https://mmg.whatsapp.net/a"},
		{"hasMedia": True},
		{"has_attachment": True},
	],
)
def test_any_sign_of_media_gives_a_media_part(fields):
	assert event_of(message(**fields)).media is not None


def test_no_sign_of_media_gives_none():
	assert event_of(message(hasMedia=False, has_attachment=False, mediaUrl="")).media is None


@pytest.mark.parametrize(
	"fields, media",
	[
		(
			{"media": {"url": "https://a.example/1", "media_url": "https://a.example/2"}},
			Media(url="https://a.example/1"),
		),
		(
			{"media": {"media_url": "https://a.example/2"}, "mediaUrl": "https://a.example/3"},
			Media(url="https://a.example/2"),
		),
		({"mediaUrl": "https://a.example/3"}, Media(url="https://a.example/3")),
		(
			{"hasMedia": True, "mimetype": "audio/ogg", "filename": "v.ogg"},
			Media(mimetype="audio/ogg", filename="v.ogg"),
		),
		(
			{"media": {"mimetype": "a/b", "filename": "f"}, "mimetype": "c/d", "filename": "g"},
			Media(None, "a/b", "f"),
		),
		({"media": {"filesize": 10, "size": 20}}, Media(size=10)),
		({"media": {"size": 20}}, Media(size=20)),
		({"media": {"size": 0}}, Media(size=0)),
		({"media": {"size": 2**31 - 1}}, Media(size=2**31 - 1)),
		({"media": {"size": 2**31}}, Media()),
		({"media": {"size": -1}}, Media()),
		({"media": {"mimetype": "not a type"}}, Media()),
	],
)
def test_media_fields_are_read_from_each_of_their_names(fields, media):
	assert event_of(message(**fields)).media == media


def test_a_plain_http_media_link_is_kept_only_from_a_trusted_origin():
	data = message(mediaUrl="http://127.0.0.1:8084/media/a.jpg")
	assert event_of(data).media.url is None
	trusted = event_of(data, trusted_origins=("http://127.0.0.1:8084",))
	assert trusted.media.url == "http://127.0.0.1:8084/media/a.jpg"


@pytest.mark.parametrize(
	"fields, expected",
	[
		({"timestamp": 1729443600}, 1729443600.0),
		({"timestamp": "1729443600000"}, 1729443600.0),
		({"timestamp": "2024-10-20T17:00:00Z"}, 1729443600.0),
		({"timestamp": "soon"}, None),
		({}, None),
	],
)
def test_message_times(fields, expected):
	assert event_of(message(**fields)).timestamp == expected


def test_an_f_shape_message_without_a_time_takes_the_data_s():
	body = {
		"event": "message.received",
		"data": {"sessionId": "crm_main", "timestamp": 1729443600, "message": message()},
	}
	assert parse(compact(body)).event.timestamp == 1729443600.0
	body["data"]["message"]["timestamp"] = 1729443700
	assert parse(compact(body)).event.timestamp == 1729443700.0


@pytest.mark.parametrize(
	"value, row_id",
	[(93, "93"), (0, "0"), (2**53, str(2**53)), (2**53 + 1, None), (-1, None), (True, None)],
)
def test_an_integer_id_is_the_gateway_s_row_id(value, row_id):
	data = {"whatsappMessageId": ID, "chatId": ANA, "id": value}
	assert event_of(data).gateway_row_id == row_id


def test_a_string_id_is_no_row_id():
	assert event_of(message()).gateway_row_id is None


@pytest.mark.parametrize(
	"fields, quoted",
	[
		({"quotedMsgId": "3EB0AA", "quotedMsg": {"id": "3EB0BB"}}, "3EB0AA"),
		({"quotedMsg": {"id": "3EB0BB"}}, "3EB0BB"),
		({"quotedMsgId": f"true_{ANA}_3EB0AA"}, "3EB0AA"),
		({}, None),
	],
)
def test_the_quoted_message_is_read_from_each_of_its_names(fields, quoted):
	assert event_of(message(**fields)).quoted_message_id == quoted


@pytest.mark.parametrize(
	"value, forwarded", [(True, True), ("true", True), (1, True), (False, False), ("x", False)]
)
def test_forwarded(value, forwarded):
	assert event_of(message(isForwarded=value)).is_forwarded is forwarded


@pytest.mark.parametrize(
	"fields, name",
	[
		({"notifyName": "A", "pushName": "B", "contact": {"name": "C"}}, "A"),
		({"pushName": "B", "contact": {"name": "C"}}, "B"),
		({"contact": {"name": "C"}}, "C"),
		({"pushName": "Ana\nGarcía " + "x" * 200}, ("Ana García " + "x" * 200)[:140]),
	],
)
def test_the_sender_s_name_is_read_from_each_of_its_names(fields, name):
	assert event_of(message(**fields)).push_name == name


@pytest.mark.parametrize(
	"fields",
	[
		{"remoteJidAlt": "34600000001@c.us", "senderPn": "nope", "contact": {"phone": "nope"}},
		{"senderPn": "34600000001@s.whatsapp.net"},
		{"contact": {"phone": "34600000001"}},
		{"remoteJidAlt": "118000000000001@lid", "senderPn": "34600000001"},
	],
)
def test_the_phone_behind_a_chat_is_read_from_each_of_its_names(fields):
	assert event_of(message(chatId="118000000000001@lid", **fields)).phone_jid == ANA


@pytest.mark.parametrize(
	"fields, where",
	[
		(
			{"location": {"latitude": 1.5, "lat": 2, "longitude": 3.5, "lng": 4}, "lat": 5, "lng": 6},
			(1.5, 3.5),
		),
		({"location": {"lat": 2, "lng": 4}, "lat": 5, "lng": 6}, (2, 4)),
		({"lat": "5", "lng": "6"}, (5, 6)),
		({"lat": 90, "lng": 180}, (90, 180)),
		({"lat": -90, "lng": -180}, (-90, -180)),
		({"lat": 90.5, "lng": 180.5}, (None, None)),
		({"lat": True, "lng": "east"}, (None, None)),
	],
)
def test_the_location_is_read_from_each_of_its_names_within_range(fields, where):
	event = event_of(message(**fields))
	assert (event.latitude, event.longitude) == where


@pytest.mark.parametrize(
	"ack, raw",
	[(3, 3), ("2", 2), (" 2 ", 2), ("2.0", 2), (-9, -9), (99, 99), (-10, None), (100, None), (True, None)],
)
def test_the_ack_a_message_carries_is_kept_within_range(ack, raw):
	assert event_of(message(ack=ack)).raw_ack == raw


def test_a_status_word_counts_only_on_our_own_messages():
	assert event_of(message(status="sent", fromMe=True)).status == MessageStatus.SENT
	assert event_of(message(status="sent")).status is None


@pytest.mark.parametrize(
	"value",
	[
		f"false_{ANA}_{ID}",
		f"true_{ANA}_{ID}_in",
		f"false_{ANA}_{ID}_" + "a" * (255 - len(f"false_{ANA}_{ID}_")),
	],
)
def test_well_formed_serialised_ids_are_kept(value):
	assert event_of({"id": {"id": ID, "_serialized": value}, "chatId": ANA}).serialized_id == value


@pytest.mark.parametrize(
	"value",
	[
		f"false_{ANA}_{ID}_" + "a" * (256 - len(f"false_{ANA}_{ID}_")),
		"false_34600000001",
		"x_34600000001_ABC",
		f"maybe_{ANA}_{ID}",
		f"false_{ANA}_{ID}_in x",
		f"false_@c.us_{ID}_in",
		ID,
	],
)
def test_other_serialised_ids_are_dropped(value):
	assert event_of({"id": {"id": ID, "_serialized": value}, "chatId": ANA}).serialized_id is None


def test_a_string_id_is_also_the_serialised_id():
	value = f"false_{ANA}_{ID}_in"
	assert event_of({"id": value, "chatId": ANA}).serialized_id == value

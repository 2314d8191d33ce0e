import json

import pytest

from xappiens_whatsapp.core.inbox_hub_events import (
	ConversationEvent,
	Ignored,
	MessageEvent,
	PayloadError,
	PingEvent,
	ReactionEvent,
	SessionEvent,
	StatusEvent,
	parse,
	short_id,
)
from xappiens_whatsapp.core.message_state import AckScale, MessageStatus
from xappiens_whatsapp.core.session_status import SessionState
from xappiens_whatsapp.testing.payloads import compact, inbox_hub, inbox_hub_names

C_JID = "34600000001@s.whatsapp.net"


def parsed(name, **kw):
	return parse(compact(inbox_hub(name)), **kw)


def test_every_fixture_parses_without_error_and_has_a_bounded_key():
	names = inbox_hub_names()
	assert len(names) >= 28
	for name in names:
		result = parsed(name)
		assert result.dedup_key and len(result.dedup_key) <= 190, name


def test_g_message_received():
	r = parsed("g_message_received")
	e = r.event
	assert isinstance(e, MessageEvent)
	assert (e.session_id, e.message_id, e.chat_jid, e.from_me) == (
		"crm_main",
		"3EB0250462D167CE4A3F0D",
		C_JID,
		False,
	)
	assert e.body == "Hola, ¿cómo estás?"
	assert e.message_type == "text"
	assert e.timestamp == 1729443600
	assert e.serialized_id == "false_34600000001@c.us_3EB0250462D167CE4A3F0D_in"
	assert r.envelope.shape == "G"
	assert r.dedup_key.startswith("ih:msg:") and len(r.dedup_key) == 71
	assert r.reference_key == "3EB0250462D167CE4A3F0D"


def test_g_message_sent_chat_is_the_recipient():
	e = parsed("g_message_sent").event
	assert e.from_me is True
	assert e.chat_jid == C_JID
	assert e.message_id == "3EB0250462D167CE4A3F0E"


def test_f_message_received_and_document():
	r = parsed("f_message_received")
	assert r.envelope.shape == "F"
	e = r.event
	assert (e.session_id, e.message_id, e.chat_jid, e.from_me, e.body) == (
		"crm_main",
		"3EB0DECC554F433B2DE158",
		C_JID,
		False,
		"Quiero información",
	)
	doc = parsed("f_message_document").event
	assert doc.message_type == "document"
	assert doc.media.filename == "presupuesto.pdf"
	assert doc.media.size == 48213
	assert doc.media.mimetype == "application/pdf"


def test_l_message_legacy_shape():
	r = parsed("l_message")
	assert r.envelope.shape == "L"
	assert r.envelope.event == "message.received"
	e = r.event
	assert (e.message_id, e.chat_jid, e.body, e.push_name) == (
		"msg_12345",
		C_JID,
		"Hola desde la integración antigua",
		"Ana García",
	)
	assert e.timestamp == 1760423400


def test_image_with_quote_group_and_location():
	img = parsed("g_message_received_image").event
	assert img.message_type == "image"
	assert img.media.url.startswith("https://mmg.whatsapp.net/")
	assert img.quoted_message_id == "3EB0250462D167CE4A3F0E"
	group = parsed("g_message_received_group").event
	assert group.chat_jid == "120363025555555555@g.us"
	assert group.sender_jid == "34600000003@s.whatsapp.net"
	loc = parsed("g_message_location").event
	assert (loc.message_type, loc.latitude, loc.longitude) == ("location", 40.4168, -3.7038)


def test_status_broadcast_and_unknown_events_are_ignored():
	assert isinstance(parsed("g_status_broadcast").event, Ignored)
	unknown = parsed("unknown_event")
	assert isinstance(unknown.event, Ignored)
	assert "presence.update" in unknown.event.reason
	assert isinstance(parsed("legacy_presence").event, Ignored)


def test_ack_on_both_scales():
	r = parsed("g_message_ack")
	assert isinstance(r.event, StatusEvent)
	assert (r.event.message_id, r.event.raw_ack, r.event.status) == (
		"3EB0250462D167CE4A3F0E",
		3,
		MessageStatus.READ,
	)
	assert r.dedup_key.startswith("ih:status:")
	baileys = parsed("g_message_ack", scale=AckScale.BAILEYS).event
	assert baileys.status == MessageStatus.DELIVERED


def test_rival_status_scheme_and_legacy_status():
	assert parsed("code_message_read").event.status == MessageStatus.READ
	failed = parsed("code_message_failed").event
	assert (failed.message_id, failed.status) == ("3EB0250462D167CE4A3F0F", MessageStatus.FAILED)
	delivered = parsed("code_message_delivered").event
	assert (delivered.message_id, delivered.status) == ("3EB0250462D167CE4A3F0E", MessageStatus.DELIVERED)
	# no time of its own: the envelope's time stands in
	assert delivered.timestamp == 1760423460
	legacy = parsed("l_message_status").event
	assert (legacy.message_id, legacy.status) == ("msg_12345", MessageStatus.DELIVERED)


def test_reactions_attach_to_their_target():
	r = parsed("f_reaction")
	e = r.event
	assert isinstance(e, ReactionEvent)
	assert (e.target_message_id, e.sender, e.emoji, e.timestamp_ms) == (
		"3EB0250462D167CE4A3F0E",
		C_JID,
		"👍",
		1729444100123,
	)
	assert r.reference_key == "3EB0250462D167CE4A3F0E"
	removed = parsed("f_reaction_removed").event
	assert removed.emoji == ""
	assert removed.timestamp_ms > e.timestamp_ms
	assert parsed("f_reaction_removed").dedup_key != r.dedup_key


def test_lid_keeps_opaque_id_and_records_phone_alt():
	e = parsed("baileys_lid_message").event
	assert e.chat_jid == "118000000000001@lid"
	assert e.phone_jid == C_JID
	assert e.quoted_message_id == "3EB0250462D167CE4A3F0E"
	assert e.push_name == "Ana"
	only = parsed("baileys_lid_only").event
	assert only.chat_jid == "118000000000002@lid"
	assert only.phone_jid is None


def test_baileys_device_suffix_dropped_and_media_read():
	e = parsed("baileys_image_device").event
	assert e.chat_jid == C_JID
	assert (e.message_type, e.body, e.media.size) == ("image", "foto", 20480)


def test_session_events():
	connected = parsed("g_session_connected").event
	assert isinstance(connected, SessionEvent)
	assert (connected.state, connected.phone) == (SessionState.CONNECTED, "34600000002")
	disconnected = parsed("g_session_disconnected").event
	assert (disconnected.state, disconnected.reason) == (SessionState.DISCONNECTED, "logout")
	qr = parsed("g_session_qr").event
	assert qr.state == SessionState.QR_REQUIRED
	assert qr.qr_base64.startswith("iVBORw0KGgo")
	assert qr.qr_expires_at == 1760423700
	legacy = parsed("l_session_status").event
	assert (legacy.state, legacy.phone) == (SessionState.CONNECTED, "34600000002")


def test_conversation_and_contact_metadata():
	created = parsed("conversation_created").event
	assert isinstance(created, ConversationEvent)
	assert (created.chat_jid, created.name, created.is_group) == (C_JID, "Ana García", False)
	lid = parsed("conversation_updated_lid").event
	assert (lid.chat_jid, lid.phone_jid) == ("118000000000001@lid", C_JID)
	contact = parsed("contact_updated").event
	assert (contact.chat_jid, contact.name) == (C_JID, "Ana García López")


def test_session_from_header_when_body_has_none():
	body = {"event": "message.ack", "data": {"messageId": "ABC123", "ack": 2}}
	r = parse(compact(body), session_id="from_header")
	assert r.event.session_id == "from_header"
	r = parse(
		compact({"data": {"messageId": "ABC123", "ack": 2}}), header_event="message.ack", session_id="s01"
	)
	assert r.envelope.event == "message.ack"


def test_aliases_map_to_dotted_names():
	body = {"event": "message_ack", "sessionId": "s01", "data": {"messageId": "ABC", "ack": 1}}
	assert parse(compact(body)).envelope.event == "message.ack"
	assert parse(compact(body)).event.status == MessageStatus.SENT


def test_test_event():
	r = parse(compact({"event": "webhook.test", "sessionId": "s01", "data": {"nonce": "n1"}}))
	assert isinstance(r.event, PingEvent)


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1,2]", b'"text"', b"12", b"\xff\xfe{", b"null"])
def test_non_objects_raise_payload_error(raw):
	with pytest.raises(PayloadError):
		parse(raw)


@pytest.mark.parametrize(
	"data",
	[
		{"id": 5, "body": ["x"], "from": {"a": 1}, "timestamp": "soon"},
		{"id": None},
		{"message": "plain"},
		{"message": {"key": "not a dict"}},
		{"message": {"key": {"id": None, "remoteJid": 7}}},
		{"id": {"remote": True, "id": []}, "fromMe": "maybe"},
	],
)
def test_wrong_types_never_raise(data):
	r = parse(compact({"event": "message.received", "sessionId": "s01", "data": data}))
	assert isinstance(r.event, MessageEvent | Ignored)


def test_identical_bodies_share_a_key_and_different_events_do_not():
	a = parsed("g_message_received").dedup_key
	assert parsed("g_message_received").dedup_key == a
	assert parsed("g_message_sent").dedup_key != a
	body = inbox_hub("g_message_ack")
	body["data"]["ack"] = 2
	assert parse(compact(body)).dedup_key != parsed("g_message_ack").dedup_key


def test_retried_delivery_with_new_envelope_time_keeps_its_key():
	body = inbox_hub("g_message_received")
	again = json.loads(json.dumps(body))
	again["timestamp"] = "2025-10-14T06:30:07.000Z"
	assert parse(compact(again)).dedup_key == parse(compact(body)).dedup_key


def test_short_id_forms():
	assert short_id({"id": "ABC", "_serialized": "x"}) == "ABC"
	assert short_id("false_34600000001@c.us_3EB0ABC_in") == "3EB0ABC"
	assert short_id("3EB0ABC") == "3EB0ABC"
	assert short_id("msg_12345") == "msg_12345"
	assert short_id(None) is None


def test_deep_nesting_is_a_payload_error_not_a_crash():
	with pytest.raises(PayloadError):
		parse(b"[" * 100_000 + b"]" * 100_000)
	deep = b'{"event":"message.received","sessionId":"s","data":' + b'{"a":' * 50_000 + b"1" + b"}" * 50_001
	with pytest.raises(PayloadError):
		parse(deep)


def test_session_events_in_the_same_second_with_different_states_are_two_events():
	connecting = inbox_hub("l_session_status")
	connecting["data"].update(status="connecting", isConnected=False)
	a, b = parse(compact(connecting)), parsed("l_session_status")
	assert a.event.state != b.event.state
	assert a.dedup_key != b.dedup_key
	assert parsed("l_session_status").dedup_key == b.dedup_key  # a retry is still one event


def test_a_session_event_key_is_made_of_signed_content_only():
	"""The header time is not signed: a captured body replayed with a fresh header is the same delivery."""
	body = inbox_hub("g_session_connected")
	del body["timestamp"], body["data"]["timestamp"]
	first = parse(compact(body))
	assert parse(compact(body), "session.connected").dedup_key == first.dedup_key
	later = inbox_hub("g_session_connected")
	later["data"]["timestamp"] = "2025-10-14T07:30:00.000Z"
	assert parse(compact(later)).dedup_key != parse(compact(inbox_hub("g_session_connected"))).dedup_key

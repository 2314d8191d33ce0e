"""Edits and deletions for everyone through the job: the message they change, in any arrival order, only in the
chat and direction they came in, once however often they arrive; and what the desk reads of them."""

import json

import frappe

from xappiens_whatsapp.api import conversations
from xappiens_whatsapp.bench_tests.base import XWTestCase, capture_realtime, event, run_worker
from xappiens_whatsapp.bench_tests.local_delivery import deliver
from xappiens_whatsapp.core import inbox_hub_events as ih
from xappiens_whatsapp.pipeline.times import from_epoch
from xappiens_whatsapp.pipeline.whatsapp import media_store, messages, reactions_out
from xappiens_whatsapp.testing.payloads import inbox_hub

ANA = "34600000001@s.whatsapp.net"
BEA = "34600000003@s.whatsapp.net"
GROUP = "120363025555555555@g.us"
ID = "3EB0250462D167CE4A3F0D"  # Ana's message in the samples, which the edit and revoke samples change
ORIGINAL = "Hola, ¿cómo estás?"
EDITED = "Hola, ¿cómo estáis?"
MARKUP = "<img src=x onerror=alert(1)>"


def baileys(chat: str, own_id: str, content: dict, *, from_me=False, participant=None, ts=1729443700) -> dict:
	key = {
		"remoteJid": chat,
		"fromMe": from_me,
		"id": own_id,
		**({"participant": participant} if participant else {}),
	}
	return {
		"event": "message.received",
		"data": {"sessionId": "x", "message": {"key": key, "message": content, "messageTimestamp": ts}},
	}


def text(chat: str, message_id: str, body: str, **kw) -> dict:
	return baileys(chat, message_id, {"conversation": body}, **kw)


def revoke(chat: str, target: str, own_id: str = "3EB0DE0000000000000001", **kw) -> dict:
	return baileys(chat, own_id, {"protocolMessage": {"type": 0, "key": {"id": target}}}, **kw)


def edit(chat: str, target: str, body: str, ts_ms: int, own_id: str = "3EB0ED0000000000000001", **kw) -> dict:
	change = {
		"type": 14,
		"key": {"id": target},
		"editedMessage": {"conversation": body},
		"timestampMs": ts_ms,
	}
	return baileys(chat, own_id, {"protocolMessage": change}, **kw)


class TestMessageEdits(XWTestCase):
	def setUp(self):
		self.cleanup()
		self.make_session()

	def rows(self, message_id: str = ID) -> list[dict]:
		return frappe.get_all(
			"WhatsApp Message",
			filters={"session": self.session_id, "message_id": message_id},
			fields=["*"],
			order_by="creation asc",
		)

	def message(self, message_id: str = ID, **filters) -> dict:
		return frappe.db.get_value(
			"WhatsApp Message",
			{"session": self.session_id, "message_id": message_id, **filters},
			["*"],
			as_dict=True,
		)

	def contact(self, jid: str = ANA) -> dict:
		return frappe.db.get_value(
			"WhatsApp Contact", {"session": self.session_id, "whatsapp_id": jid}, ["*"], as_dict=True
		)

	def row_of(self, name: str) -> dict:
		return frappe.db.get_value("Inbound Webhook", name, ["status", "note"], as_dict=True)

	# ---------------------------------------------------------------- edits

	def test_an_edit_changes_the_text_keeps_the_first_one_and_says_when(self):
		deliver(inbox_hub("g_message_received"), self.session_id)
		with capture_realtime() as capture:
			done = deliver(inbox_hub("baileys_edit"), self.session_id)
		self.assertEqual(self.row_of(done).status, "Processed")
		msg = self.message()
		self.assertEqual((msg.body, msg.original_body, msg.deleted), (EDITED, ORIGINAL, 0))
		self.assertEqual(msg.edited_at, from_epoch(1729443660))
		self.assertEqual(self.contact().last_message_preview, EDITED)
		self.assertEqual(len(self.rows()), 1, "an edit is not a message of its own")
		self.assertEqual(frappe.db.count("WhatsApp Message", {"session": self.session_id}), 1)
		changed = [e["message"] for e in capture.events("xw_message")]
		self.assertEqual(changed, [{"contact": msg.contact, "message": msg.name, "change": "edited"}])
		self.assertEqual(capture.rooms("xw_message"), {f"doc:WhatsApp Contact/{msg.contact}"})

	def test_edits_apply_in_the_order_they_were_made_and_the_first_text_stays_kept(self):
		deliver(text(ANA, ID, "uno"), self.session_id)
		deliver(edit(ANA, ID, "tres", 1729443900000, own_id="3EB0ED03"), self.session_id)
		deliver(edit(ANA, ID, "dos", 1729443800000, own_id="3EB0ED02"), self.session_id)  # made earlier
		msg = self.message()
		self.assertEqual(
			(msg.body, msg.original_body, msg.edited_at), ("tres", "uno", from_epoch(1729443900))
		)

	def test_the_preview_follows_an_edit_only_of_the_last_message(self):
		deliver(text(ANA, ID, "primero", ts=1729443700), self.session_id)
		deliver(text(ANA, "3EB0AB0000000000000002", "segundo", ts=1729443710), self.session_id)
		deliver(edit(ANA, ID, "primero, corregido", 1729443720000), self.session_id)
		self.assertEqual(self.contact().last_message_preview, "segundo")
		self.assertEqual(self.message().body, "primero, corregido")

	def test_our_own_message_edited_on_the_phone(self):
		deliver(text(ANA, ID, "Enviado", from_me=True), self.session_id)
		deliver(edit(ANA, ID, "Enviado, corregido", 1729443800000, from_me=True), self.session_id)
		msg = self.message()
		self.assertEqual((msg.from_me, msg.body, msg.original_body), (1, "Enviado, corregido", "Enviado"))

	def test_a_hostile_edit_is_stored_and_read_as_text(self):
		deliver(inbox_hub("g_message_received"), self.session_id)
		deliver(edit(ANA, ID, MARKUP, 1729443800000), self.session_id)
		msg = self.message()
		self.assertEqual(msg.body, "‹img src=x onerror=alert(1)>")
		self.assertEqual(self.contact().last_message_preview, "‹img src=x onerror=alert(1)>")
		self.assertEqual(conversations.get_message(msg.name)["body"], "‹img src=x onerror=alert(1)>")

	# ---------------------------------------------------------------- deletions

	def test_a_deletion_clears_text_reactions_media_and_the_preview(self):
		deliver(inbox_hub("g_message_received"), self.session_id)
		msg = self.message()
		frappe.db.set_value(
			"WhatsApp Message", msg.name, "reactions", json.dumps({ANA: {"emoji": "👍", "at": 1}})
		)
		file = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": "nota.txt",
				"content": b"not really a photo",
				"is_private": 1,
				"attached_to_doctype": "WhatsApp Message",
				"attached_to_name": msg.name,
			}
		).insert(ignore_permissions=True)
		frappe.db.set_value(
			"WhatsApp Message", msg.name, {"attachment": file.file_url, "media_status": "Stored"}
		)
		frappe.db.commit()
		with capture_realtime() as capture:
			deliver(inbox_hub("baileys_revoke"), self.session_id)
		msg = self.message()
		self.assertEqual((msg.deleted, msg.deleted_at), (1, from_epoch(1729443720)))
		cleared = ("body", "original_body", "reactions", "attachment", "media_status", "media_url")
		self.assertEqual({f: msg[f] for f in cleared}, dict.fromkeys(cleared))
		self.assertFalse(frappe.db.exists("File", file.name), "the deleted message's file is kept")
		contact = self.contact()
		self.assertEqual((contact.last_message_preview, contact.last_message_deleted), (None, 1))
		self.assertEqual([e["message"]["change"] for e in capture.events("xw_message")], ["deleted"])
		shaped = conversations.get_message(msg.name)
		self.assertEqual((shaped["deleted"], shaped["body"], shaped["reactions"]), (1, None, {}))
		# the next message is the conversation's last one again
		deliver(text(ANA, "3EB0AB0000000000000003", "otra cosa", ts=1729443800), self.session_id)
		contact = self.contact()
		self.assertEqual((contact.last_message_preview, contact.last_message_deleted), ("otra cosa", 0))

	def test_a_deletion_is_final(self):
		deliver(inbox_hub("g_message_received"), self.session_id)
		deliver(inbox_hub("baileys_revoke"), self.session_id)
		late_edit = deliver(inbox_hub("baileys_edit"), self.session_id)
		self.assertEqual(self.row_of(late_edit).status, "Processed")
		msg = self.message()
		self.assertEqual((msg.deleted, msg.body, msg.edited_at), (1, None, None))
		# the message reported again gets none of its content back
		again = ih.parse(
			json.dumps({**inbox_hub("g_message_received"), "sessionId": self.session_id}).encode()
		)
		messages.store_message(again.event)
		self.assertIsNone(self.message().body)
		# no reaction on it, and no download of its media
		with self.assertRaises(frappe.ValidationError):
			reactions_out.react(msg.name, "👍")
		self.assertIsNone(media_store.fetch(msg.name))

	# ---------------------------------------------------------------- order and repeats

	def test_a_change_before_its_message_waits_for_it_and_makes_no_bubble(self):
		early_edit = deliver(inbox_hub("baileys_edit"), self.session_id)
		self.assertEqual(self.row_of(early_edit).status, "Waiting")
		self.assertEqual(frappe.db.count("WhatsApp Message", {"session": self.session_id}), 0)
		deliver(inbox_hub("g_message_received"), self.session_id)
		self.assertEqual(self.row_of(early_edit).status, "Processed")
		msg = self.message()
		self.assertEqual((msg.body, msg.original_body), (EDITED, ORIGINAL))

		early_delete = deliver(revoke(ANA, "3EB0AB0000000000000004"), self.session_id)
		self.assertEqual(self.row_of(early_delete).status, "Waiting")
		deliver(text(ANA, "3EB0AB0000000000000004", "secreto", ts=1729443800), self.session_id)
		self.assertEqual(self.row_of(early_delete).status, "Processed")
		gone = self.message("3EB0AB0000000000000004")
		self.assertEqual((gone.deleted, gone.body), (1, None))
		self.assertEqual(self.contact().last_message_deleted, 1)

	def test_the_same_change_twice_in_any_shape_changes_nothing_more(self):
		deliver(inbox_hub("g_message_received"), self.session_id)
		first = deliver(inbox_hub("baileys_edit"), self.session_id)
		self.assertEqual(deliver(inbox_hub("g_message_edited"), self.session_id), first, "one delivery")
		modified = self.message().modified
		with capture_realtime() as capture:
			# the same edit once more, with another time: the text is what it was
			deliver(edit(ANA, ID, EDITED, 1729443670000), self.session_id)
			deliver(inbox_hub("baileys_revoke"), self.session_id)
			deliver(inbox_hub("g_message_revoked"), self.session_id)
			update = {"event": "messages.update", "data": {"key": {"remoteJid": ANA, "id": ID}}}
			update["data"]["update"] = {"message": None, "messageStubType": 1}
			deliver(update, self.session_id)
		self.assertEqual([e["message"]["change"] for e in capture.events("xw_message")], ["deleted"])
		self.assertGreater(self.message().modified, modified)
		self.assertEqual(len(self.rows()), 1)

	# ---------------------------------------------------------------- whose message

	def test_a_change_reaches_only_the_message_of_its_own_chat(self):
		deliver(text(ANA, ID, "de Ana"), self.session_id)
		deliver(text(BEA, ID, "de Bea"), self.session_id)
		deliver(revoke(BEA, ID), self.session_id)
		deliver(edit(BEA, ID, "Bea otra vez", 1729443800000), self.session_id)
		self.assertEqual(self.message(chat_jid=ANA).body, "de Ana")
		self.assertEqual((self.message(chat_jid=BEA).deleted, self.message(chat_jid=ANA).deleted), (1, 0))
		# an id Bea's chat does not have waits there, whatever chat holds a message with it
		other = "3EB0AB0000000000000005"
		deliver(text(ANA, other, "solo de Ana"), self.session_id)
		waiting = deliver(revoke(BEA, other, own_id="3EB0DE0000000000000005"), self.session_id)
		self.assertEqual(self.row_of(waiting).status, "Waiting")
		self.assertEqual((self.message(other).deleted, self.message(other).body), (0, "solo de Ana"))

	def test_a_customer_cannot_change_our_message_nor_we_theirs(self):
		deliver(text(ANA, ID, "Nuestro", from_me=True), self.session_id)
		refused = deliver(revoke(ANA, ID), self.session_id)
		self.assertEqual(self.row_of(refused).status, "Ignored")
		self.assertEqual(self.row_of(refused).note, "Only the sender of a message may edit or delete it")
		theirs = "3EB0AB0000000000000006"
		deliver(text(ANA, theirs, "Del cliente"), self.session_id)
		deliver(edit(ANA, theirs, "cambiado", 1729443800000, from_me=True), self.session_id)
		self.assertEqual((self.message(ID).deleted, self.message(ID).body), (0, "Nuestro"))
		self.assertEqual(self.message(theirs).body, "Del cliente")

	def test_in_a_group_only_the_author_changes_their_message(self):
		deliver(text(GROUP, ID, "de Bea", participant=BEA), self.session_id)
		refused = deliver(revoke(GROUP, ID, participant=ANA), self.session_id)
		self.assertEqual(self.row_of(refused).status, "Ignored")
		self.assertEqual(self.message().deleted, 0)
		deliver(revoke(GROUP, ID, own_id="3EB0DE0000000000000007", participant=BEA), self.session_id)
		self.assertEqual(self.message().deleted, 1)

	# ---------------------------------------------------------------- through the endpoint and a worker

	def test_an_edit_and_a_deletion_posted_to_the_endpoint_reach_the_thread(self):
		self.assertEqual(self.post_event(event("g_message_received", self.session_id)).status_code, 200)
		run_worker()
		self.assertEqual(self.post_event(event("g_message_edited", self.session_id)).status_code, 200)
		run_worker()
		frappe.db.commit()
		self.assertEqual(self.message().body, EDITED)
		self.assertEqual(self.post_event(event("g_message_revoked", self.session_id)).status_code, 200)
		run_worker()
		frappe.db.commit()
		rows = conversations.get_messages(self.contact().name)
		self.assertEqual([(r.deleted, r.body) for r in rows], [(1, None)])
		listed = conversations.list_conversations(session=self.session_id)
		self.assertEqual([(r.last_message_deleted, r.last_message_preview) for r in listed], [(1, None)])

"""Private notes: kept in the conversation for its readers, never sent; mentions notify only who may read it.
Reactions: sent by the message's key, and taken away the same way.
Replies: the gateway gets the quote the way it expects it, and only a message of the same conversation."""

import frappe

from xappiens_whatsapp.bench_tests.base import capture_realtime, run_worker
from xappiens_whatsapp.bench_tests.gateway_case import FakeGatewayMixin
from xappiens_whatsapp.bench_tests.ownership_fixtures import OwnershipTestCase

API_KEY = "fake-gateway-key-for-notes"


class TestNotesAndReplies(FakeGatewayMixin, OwnershipTestCase):
	gateway_key = API_KEY

	@classmethod
	def cleanup(cls):
		frappe.db.delete("WhatsApp Note", {"session": cls.session_id})
		super().cleanup()

	def setUp(self):
		super().setUp()
		self.connect_gateway(94)

	def test_a_note_is_never_sent_and_mentions_notify_readers_only(self):
		contact = self.write("34601000001")
		self.hub.reset()
		with capture_realtime() as capture:
			answer = self.api(
				self.a,
				"notes.add_note",
				contact=contact,
				text=f"@{self.b} y @xwt-own-outsider@example.com: <b>cliente VIP</b>, llamar mañana",
			)
		self.assertTrue(answer.ok, answer.text)
		note = answer.json()["message"]
		self.assertEqual(note["mentions"], [self.b])
		self.assertIn("‹b>", note["content"])  # stored as plain text
		run_worker()
		self.assertEqual(self.hub.requests, [])  # nothing reached the gateway
		self.assertFalse(frappe.db.exists("WhatsApp Message", {"contact": contact, "from_me": 1}))
		frappe.db.commit()
		notified = frappe.get_all(
			"Notification Log", filters={"document_name": contact, "type": "Mention"}, pluck="for_user"
		)
		self.assertEqual(notified, [self.b])
		self.assertEqual(capture.rooms("xw_note"), {f"doc:WhatsApp Contact/{contact}"})
		# the agents of the number read it in the thread; an agent of another number cannot
		notes = self.api(self.c, "notes.list_notes", http="GET", contact=contact).json()["message"]
		self.assertEqual([n["name"] for n in notes], [note["name"]])
		self.assertEqual(
			self.api(self.outsider, "notes.list_notes", http="GET", contact=contact).status_code, 403
		)
		self.assertEqual(
			self.api(self.outsider, "notes.add_note", contact=contact, text="hola").status_code, 403
		)

	def test_a_reply_quotes_a_message_of_its_conversation_through_the_gateway(self):
		contact = self.write("34601000002", "¿Tenéis cita el jueves?")
		quoted = frappe.db.get_value("WhatsApp Message", {"contact": contact, "from_me": 0}, "message_id")
		other = self.write("34601000003", "Otro chat")
		foreign = frappe.db.get_value("WhatsApp Message", {"contact": other, "from_me": 0}, "message_id")
		self.hub.reset()
		refused = self.api(
			self.a, "messages.send_message", contact=contact, text="No", quoted_message_id=foreign
		)
		self.assertFalse(refused.ok)
		answer = self.api(
			self.a, "messages.send_message", contact=contact, text="Sí, a las 10", quoted_message_id=quoted
		)
		self.assertTrue(answer.ok, answer.text)
		run_worker()
		sends = [r for r in self.hub.requests if r["method"] == "POST" and r["path"].endswith("/send")]
		self.assertEqual(len(sends), 1)
		self.assertEqual(sends[0]["json"]["quotedMessageId"], quoted)
		self.assertEqual(sends[0]["json"]["message"], "Sí, a las 10")

	def test_a_reaction_goes_to_the_gateway_by_the_messages_key_and_can_be_taken_away(self):
		contact = self.write("34601000004", "¿Abrís el sábado?")
		message = frappe.db.get_value(
			"WhatsApp Message", {"contact": contact, "from_me": 0}, ["name", "message_id"], as_dict=True
		)
		self.hub.reset()
		self.assertEqual(
			self.api(self.outsider, "reactions.react", message=message.name, emoji="👍").status_code, 403
		)
		self.assertFalse(self.api(self.a, "reactions.react", message=message.name, emoji="<b>hi</b>").ok)
		self.assertTrue(self.api(self.a, "reactions.react", message=message.name, emoji="👍").ok)
		run_worker()
		self.assertTrue(self.api(self.a, "reactions.react", message=message.name, emoji="").ok)
		run_worker()
		sends = [
			r["json"] for r in self.hub.requests if r["method"] == "POST" and r["path"].endswith("/send")
		]
		self.assertEqual([s["type"] for s in sends], ["reaction", "reaction"])
		self.assertEqual(sends[0]["message"]["react"]["key"]["id"], message.message_id)
		self.assertFalse(sends[0]["message"]["react"]["key"]["fromMe"])
		self.assertEqual([s["message"]["react"]["text"] for s in sends], ["👍", ""])
		shown = self.api(self.a, "conversations.get_message", http="GET", name=message.name).json()["message"]
		self.assertEqual(shown["reactions"], {})

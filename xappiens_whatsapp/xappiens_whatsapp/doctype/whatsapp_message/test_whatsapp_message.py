# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe

from xappiens_whatsapp.bench_tests.base import XWDoctypeTestCase, make_agent


class TestWhatsAppMessage(XWDoctypeTestCase):
	def setUp(self):
		for session in ("xwt_messages", "xwt_messages_other"):
			if not frappe.db.exists("WhatsApp Session", session):
				frappe.get_doc({"doctype": "WhatsApp Session", "session_id": session}).insert(
					ignore_permissions=True
				)

	def message(self, message_id, session="xwt_messages", contact=None, from_me=0):
		return frappe.get_doc(
			{
				"doctype": "WhatsApp Message",
				"session": session,
				"contact": contact,
				"from_me": from_me,
				"message_id": message_id,
				"body": "hola",
			}
		)

	def conversation(self, number: str, session="xwt_messages") -> str:
		jid = f"{number}@s.whatsapp.net"
		existing = frappe.db.get_value("WhatsApp Contact", {"session": session, "whatsapp_id": jid})
		return (
			existing
			or frappe.get_doc(
				{
					"doctype": "WhatsApp Contact",
					"session": session,
					"whatsapp_id": jid,
					"display_name": number,
				}
			)
			.insert(ignore_permissions=True)
			.name
		)

	def test_a_message_is_its_conversation_direction_and_id(self):
		first, second = self.conversation("34600000101"), self.conversation("34600000102")
		self.message("XWTMSG0001", contact=first).insert(ignore_permissions=True)
		self.assertRaises(
			frappe.UniqueValidationError,
			self.message("XWTMSG0001", contact=first).insert,
			ignore_permissions=True,
		)
		# The same id in another conversation, in the other direction or on another of our numbers is another
		# message: anyone can send a message carrying any id.
		self.message("XWTMSG0001", contact=second).insert(ignore_permissions=True)
		self.message("XWTMSG0001", contact=first, from_me=1).insert(ignore_permissions=True)
		other = self.conversation("34600000101", "xwt_messages_other")
		self.message("XWTMSG0001", "xwt_messages_other", contact=other).insert(ignore_permissions=True)

	def test_unsent_messages_have_no_id_yet_and_do_not_collide(self):
		a = self.message(None).insert(ignore_permissions=True)
		b = self.message(None).insert(ignore_permissions=True)
		self.assertIsNone(frappe.db.get_value("WhatsApp Message", a.name, "message_id"))
		self.assertIsNone(frappe.db.get_value("WhatsApp Message", b.name, "message_id"))

	def test_agents_read_messages_of_their_sessions_only(self):
		agent = make_agent("xwt-message-agent@example.com")
		session = frappe.get_doc("WhatsApp Session", "xwt_messages")
		session.append("allowed_users", {"user": agent})
		session.save(ignore_permissions=True)
		mine = self.message("XWTMSG0002").insert(ignore_permissions=True)
		theirs = self.message("XWTMSG0003", "xwt_messages_other").insert(ignore_permissions=True)
		frappe.set_user(agent)
		try:
			self.assertTrue(frappe.has_permission("WhatsApp Message", doc=mine.name))
			self.assertFalse(frappe.has_permission("WhatsApp Message", doc=theirs.name))
			names = frappe.get_list(
				"WhatsApp Message", filters={"name": ["in", [mine.name, theirs.name]]}, pluck="name"
			)
			self.assertEqual(names, [mine.name])
			# messages are written by the pipeline, never edited from the desk
			self.assertFalse(frappe.has_permission("WhatsApp Message", "write", doc=mine.name))
		finally:
			frappe.set_user("Administrator")

# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase

from xappiens_whatsapp.tests.base import make_agent


class TestWhatsAppMessage(FrappeTestCase):
	def setUp(self):
		for session in ("xwt_messages", "xwt_messages_other"):
			if not frappe.db.exists("WhatsApp Session", session):
				frappe.get_doc({"doctype": "WhatsApp Session", "session_id": session}).insert(
					ignore_permissions=True
				)

	def message(self, message_id, session="xwt_messages"):
		return frappe.get_doc(
			{"doctype": "WhatsApp Message", "session": session, "message_id": message_id, "body": "hola"}
		)

	def test_a_message_id_is_unique_per_session_only(self):
		self.message("XWTMSG0001").insert(ignore_permissions=True)
		self.assertRaises(
			frappe.UniqueValidationError, self.message("XWTMSG0001").insert, ignore_permissions=True
		)
		# the same WhatsApp id seen by another of our numbers is another row
		self.message("XWTMSG0001", "xwt_messages_other").insert(ignore_permissions=True)

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

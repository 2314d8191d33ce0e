# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe

from xappiens_whatsapp.bench_tests.base import XWDoctypeTestCase
from xappiens_whatsapp.pipeline.inbox.claim import insert_or_get


class TestWhatsAppContact(XWDoctypeTestCase):
	def setUp(self):
		if not frappe.db.exists("WhatsApp Session", "xwt_contacts"):
			frappe.get_doc({"doctype": "WhatsApp Session", "session_id": "xwt_contacts"}).insert(
				ignore_permissions=True
			)

	def contact(self, jid="34600000001@s.whatsapp.net", **values):
		return frappe.get_doc(
			{"doctype": "WhatsApp Contact", "session": "xwt_contacts", "whatsapp_id": jid, **values}
		)

	def test_one_conversation_per_chat_and_session_is_enforced_by_the_database(self):
		self.contact("34600000011@s.whatsapp.net").insert(ignore_permissions=True)
		duplicate = self.contact("34600000011@s.whatsapp.net")
		self.assertRaises(frappe.UniqueValidationError, duplicate.insert, ignore_permissions=True)

	def test_insert_or_get_returns_the_existing_row(self):
		values = {
			"doctype": "WhatsApp Contact",
			"session": "xwt_contacts",
			"whatsapp_id": "34600000002@s.whatsapp.net",
		}
		keys = {"session": "xwt_contacts", "whatsapp_id": "34600000002@s.whatsapp.net"}
		first, created = insert_or_get(values, keys)
		again, created_again = insert_or_get(values, keys)
		self.assertEqual((first, created, created_again), (again, True, False))

	def test_display_name_falls_back_to_phone_then_id(self):
		self.assertEqual(
			self.contact(phone="+34600000001").insert(ignore_permissions=True).display_name, "+34600000001"
		)
		group = self.contact("120363025555555555@g.us").insert(ignore_permissions=True)
		self.assertEqual(group.display_name, "120363025555555555@g.us")

	def test_one_conversation_per_lid_and_session_is_enforced_by_the_database(self):
		self.contact("118000000000091@lid", lid="118000000000091@lid").insert(ignore_permissions=True)
		twin = self.contact("34600000091@s.whatsapp.net", lid="118000000000091@lid")
		self.assertRaises(frappe.UniqueValidationError, twin.insert, ignore_permissions=True)
		# contacts without a lid are not caught by it
		self.contact("34600000092@s.whatsapp.net").insert(ignore_permissions=True)
		self.contact("34600000093@s.whatsapp.net").insert(ignore_permissions=True)

	def test_the_chat_a_conversation_belongs_to_cannot_be_edited(self):
		frappe.get_doc({"doctype": "WhatsApp Session", "session_id": "xwt_contacts_other"}).insert(
			ignore_permissions=True
		)
		doc = self.contact("34600000094@s.whatsapp.net", phone="+34600000094").insert(ignore_permissions=True)
		for field, value in (
			("session", "xwt_contacts_other"),
			("whatsapp_id", "34600000095@s.whatsapp.net"),
			("phone", "+34600000095"),
		):
			with self.subTest(field):
				doc.reload()
				doc.set(field, value)
				self.assertRaises(frappe.ValidationError, doc.save, ignore_permissions=True)
		doc.reload()
		doc.display_name = "Ana (cliente)"
		doc.save(ignore_permissions=True)  # what an agent may change

	def test_saving_a_form_opened_earlier_keeps_what_the_pipeline_wrote_since(self):
		from xappiens_whatsapp.pipeline.whatsapp.contacts import note_message

		doc = self.contact("34600000096@s.whatsapp.net", phone="+34600000096").insert(ignore_permissions=True)
		opened = frappe.get_doc("WhatsApp Contact", doc.name)  # the agent's form
		at = frappe.utils.now_datetime()
		note_message(doc.name, at, "¿Seguís abiertos?", from_me=False, unread=True)
		opened.display_name = "Marta"
		opened.save(ignore_permissions=True)
		row = frappe.db.get_value(
			"WhatsApp Contact",
			doc.name,
			["display_name", "unread_count", "last_message_preview", "last_message_at"],
			as_dict=True,
		)
		self.assertEqual(
			(row.display_name, row.unread_count, row.last_message_preview, row.last_message_at),
			("Marta", 1, "¿Seguís abiertos?", at),
		)

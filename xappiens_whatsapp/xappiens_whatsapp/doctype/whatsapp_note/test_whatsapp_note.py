# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe

from xappiens_whatsapp.bench_tests.base import XWDoctypeTestCase, make_agent


class TestWhatsAppNote(XWDoctypeTestCase):
	"""A note is read by who may read its conversation: the agents of its number."""

	def test_only_agents_of_the_number_read_its_notes(self):
		agent = make_agent("xwt-note-agent@example.com")
		outsider = make_agent("xwt-note-outsider@example.com")
		session = frappe.get_doc(
			{"doctype": "WhatsApp Session", "session_id": "xwt_notes", "allowed_users": [{"user": agent}]}
		).insert(ignore_permissions=True)
		contact = frappe.get_doc(
			{
				"doctype": "WhatsApp Contact",
				"session": session.name,
				"whatsapp_id": "34600000019@s.whatsapp.net",
			}
		).insert(ignore_permissions=True)
		note = frappe.get_doc(
			{"doctype": "WhatsApp Note", "contact": contact.name, "session": session.name, "content": "ojo"}
		).insert(ignore_permissions=True)
		self.assertTrue(frappe.has_permission("WhatsApp Note", "read", doc=note.name, user=agent))
		self.assertFalse(frappe.has_permission("WhatsApp Note", "read", doc=note.name, user=outsider))
		frappe.set_user(outsider)
		try:
			self.assertEqual(frappe.get_list("WhatsApp Note", filters={"contact": contact.name}), [])
		finally:
			frappe.set_user("Administrator")

# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe

from xappiens_whatsapp.bench_tests.base import XWDoctypeTestCase, make_agent


class TestWhatsAppSessionUser(XWDoctypeTestCase):
	"""Listing an agent on a session is what opens its conversations to them; removing them closes it."""

	def test_listing_grants_and_removing_revokes(self):
		agent = make_agent("xwt-listed-agent@example.com")
		session = frappe.get_doc({"doctype": "WhatsApp Session", "session_id": "xwt_listing"}).insert(
			ignore_permissions=True
		)
		contact = frappe.get_doc(
			{
				"doctype": "WhatsApp Contact",
				"session": session.name,
				"whatsapp_id": "34600000009@s.whatsapp.net",
			}
		).insert(ignore_permissions=True)

		def visible():
			frappe.set_user(agent)
			try:
				return frappe.get_list("WhatsApp Contact", filters={"session": session.name}, pluck="name")
			finally:
				frappe.set_user("Administrator")

		self.assertEqual(visible(), [])
		session.append("allowed_users", {"user": agent})
		session.save(ignore_permissions=True)
		self.assertEqual(visible(), [contact.name])
		session.allowed_users = []
		session.save(ignore_permissions=True)
		self.assertEqual(visible(), [])

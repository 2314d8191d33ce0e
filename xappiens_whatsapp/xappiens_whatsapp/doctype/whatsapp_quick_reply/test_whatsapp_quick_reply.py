# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase


class TestWhatsAppQuickReply(FrappeTestCase):
	"""A template that is more than known fields is refused with a clear error; the shortcut is normalised."""

	def test_bad_templates_are_refused_at_save(self):
		for text in ("{{ password }}", "{% for x in y %}", "Hola {{ first_name", "{{ 7*7 }}"):
			with self.assertRaises(frappe.ValidationError, msg=text):
				frappe.get_doc(
					{"doctype": "WhatsApp Quick Reply", "title": "Bad", "shortcut": "bad", "text": text}
				).insert(ignore_permissions=True)
		doc = frappe.get_doc(
			{
				"doctype": "WhatsApp Quick Reply",
				"title": "Hi",
				"shortcut": "/Hello There",
				"text": "Hola {{ first_name }}",
			}
		).insert(ignore_permissions=True)
		self.assertEqual(doc.shortcut, "hello-there")
		doc.delete(ignore_permissions=True)

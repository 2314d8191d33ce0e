# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase

from xappiens_whatsapp.pipeline.whatsapp import webhook_signers as signing


class TestWhatsAppSettings(FrappeTestCase):
	def test_base_url_is_kept_without_api(self):
		doc = frappe.get_single("WhatsApp Settings")
		for given in (
			"https://api.inbox-hub.com/api",
			"https://api.inbox-hub.com/api/",
			" https://api.inbox-hub.com/ ",
		):
			doc.base_url = given
			doc.save(ignore_permissions=True)
			self.assertEqual(doc.base_url, "https://api.inbox-hub.com")

	def test_short_secret_is_refused(self):
		doc = frappe.get_single("WhatsApp Settings")
		doc.default_webhook_secret = "short"
		self.assertRaises(frappe.ValidationError, doc.save, ignore_permissions=True)

	def test_secret_is_stored_encrypted_and_readable_by_the_pipeline_only(self):
		doc = frappe.get_single("WhatsApp Settings")
		doc.default_webhook_secret = "a-default-secret-of-enough-length"
		doc.save(ignore_permissions=True)
		stored = frappe.db.get_single_value("WhatsApp Settings", "default_webhook_secret")
		self.assertNotIn("a-default-secret", stored or "")
		self.assertEqual(signing.webhook_secrets(None), ["a-default-secret-of-enough-length"])
		raw = frappe.db.sql(
			"select password from `__Auth` where doctype='WhatsApp Settings' and fieldname='default_webhook_secret'"
		)[0][0]
		self.assertNotIn("a-default-secret", raw)

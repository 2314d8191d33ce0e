"""Without Frappe CRM nothing of it is required, read or written: calls and messages go on as ever, and the
CRM actions say CRM is not installed. Skipped on a site that has Frappe CRM (test_crm_* run there)."""

import unittest

import frappe

from xappiens_whatsapp.bench_tests.base import XWTestCase, make_user
from xappiens_whatsapp.pipeline import crm
from xappiens_whatsapp.pipeline.crm import call_logs

LEADS = "xappiens_whatsapp.api.crm_leads"


class TestWithoutCRM(XWTestCase):
	@classmethod
	def setUpClass(cls):
		if "crm" in frappe.get_installed_apps():
			raise unittest.SkipTest(f"Frappe CRM is installed on {frappe.local.site}")
		super().setUpClass()
		cls.manager = make_user("xwt-nocrm-manager@example.com", "WhatsApp Manager")

	def test_crm_parts_stay_quiet(self):
		self.assertFalse(crm.installed())
		self.assertIsNone(call_logs.sync("no-such-call"))
		self.assertFalse(frappe.db.exists("DocType", "CRM Call Log"))
		response = self.call_as(self.manager, f"{LEADS}.crm_record", http="GET", call="no-such-call")
		self.assertEqual((response.status_code, response.json().get("message")), (200, None))
		response = self.call_as(self.manager, f"{LEADS}.create_lead", call="no-such-call")
		self.assertEqual(response.status_code, 417)
		self.assertIn("not installed", response.text)

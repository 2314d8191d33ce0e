# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase

from xappiens_whatsapp.bench_tests.base import make_agent
from xappiens_whatsapp.pipeline.whatsapp import agents


class TestWhatsAppAgent(FrappeTestCase):
	"""An agent without a row is available and hears everything; the switch takes them out of the turn."""

	def test_available_until_switched_off(self):
		first = make_agent("xwt-agent-first@example.com")
		second = make_agent("xwt-agent-second@example.com")
		frappe.delete_doc_if_exists("WhatsApp Agent", first, force=True)
		frappe.delete_doc_if_exists("WhatsApp Agent", second, force=True)
		self.assertEqual(agents.available_among([first, second]), [first, second])
		self.assertEqual(agents.preferences(first)["mute_bell"], 0)
		agents.update_preferences(first, {"available": 0, "mute_bell": 1})
		self.assertEqual(agents.available_among([first, second]), [second])
		self.assertEqual(
			agents.preferences(first), {"available": 0, "mute_toasts": 0, "mute_tab_title": 0, "mute_bell": 1}
		)

	def test_an_agent_cannot_switch_another(self):
		first = make_agent("xwt-agent-first@example.com")
		second = make_agent("xwt-agent-second@example.com")
		agents.update_preferences(first, {"available": 1})
		frappe.set_user(second)
		try:
			doc = frappe.get_doc("WhatsApp Agent", first)
			doc.available = 0
			with self.assertRaises(frappe.PermissionError):
				doc.save()
		finally:
			frappe.set_user("Administrator")

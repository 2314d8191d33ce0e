# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase

from xappiens_whatsapp.pipeline import ingress
from xappiens_whatsapp.tests.base import make_agent


def accept(key: str, ignored: str | None = None):
	return ingress.accept(
		provider="Inbox Hub",
		dedup_key=key,
		event="message.received",
		raw_event="message.received",
		session_id="xwt_inbound",
		reference_key=None,
		payload=b'{"event":"x"}',
		headers={},
		remote_addr="127.0.0.1",
		ignored_reason=ignored,
	)


class TestInboundWebhook(FrappeTestCase):
	def tearDown(self):
		frappe.db.delete("Inbound Webhook", {"session_id": "xwt_inbound"})
		frappe.db.commit()

	def test_one_row_per_delivery_key(self):
		first = accept("xwt:key:1")
		again = accept("xwt:key:1")
		self.assertFalse(first.duplicate)
		self.assertTrue(again.duplicate)
		self.assertEqual(first.name, again.name)
		self.assertEqual(frappe.db.count("Inbound Webhook", {"dedup_key": "xwt:key:1"}), 1)

	def test_ignored_events_are_stored_but_not_queued(self):
		row = accept("xwt:key:2", ignored="event 'presence.update' is not handled")
		self.assertFalse(row.queued)
		self.assertEqual(frappe.db.get_value("Inbound Webhook", row.name, "status"), "Ignored")

	def test_reprocess_is_for_managers(self):
		row = accept("xwt:key:3")
		agent = make_agent("xwt-inbound-agent@example.com")
		doc = frappe.get_doc("Inbound Webhook", row.name)
		frappe.set_user(agent)
		try:
			self.assertFalse(frappe.has_permission("Inbound Webhook", doc=row.name))
			self.assertRaises(frappe.PermissionError, doc.reprocess)
		finally:
			frappe.set_user("Administrator")

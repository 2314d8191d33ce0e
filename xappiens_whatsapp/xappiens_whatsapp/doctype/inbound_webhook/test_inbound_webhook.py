# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase

from xappiens_whatsapp.bench_tests.base import make_agent
from xappiens_whatsapp.pipeline.inbox import ingress


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

	def test_a_row_is_stored_as_a_document_would_be(self):
		row = accept("xwt:key:4")
		doc = frappe.get_doc("Inbound Webhook", row.name)
		self.assertEqual(
			(doc.status, doc.attempts, doc.needs_attention, doc.docstatus), ("Received", 0, 0, 0)
		)
		self.assertEqual((doc.owner, doc.modified_by), (frappe.session.user, frappe.session.user))
		self.assertEqual(doc.creation, doc.received_at)
		self.assertEqual(doc.payload, '{"event":"x"}')

	def test_a_taken_name_is_not_taken_for_a_duplicate_delivery(self):
		"""A generated name that collides with another row's must not make a new delivery look like a retry."""
		first = accept("xwt:key:5")
		names = iter([first.name, frappe.generate_hash(length=10)])
		original = ingress.make_autoname
		ingress.make_autoname = lambda _key: next(names)
		try:
			second = accept("xwt:key:6")
		finally:
			ingress.make_autoname = original
		self.assertFalse(second.duplicate)
		self.assertNotEqual(second.name, first.name)
		self.assertEqual(frappe.db.get_value("Inbound Webhook", second.name, "dedup_key"), "xwt:key:6")

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


class TestInboundWebhookRetention(FrappeTestCase):
	"""The nightly purge deletes settled rows older than the retention setting, and nothing when it is 0."""

	def setUp(self):
		self.kept_days = frappe.db.get_single_value("WhatsApp Settings", "retention_days")

	def tearDown(self):
		frappe.db.set_single_value("WhatsApp Settings", "retention_days", self.kept_days)
		frappe.db.delete("Inbound Webhook", {"session_id": "xwt_inbound"})
		frappe.db.commit()

	def rows(self) -> dict[str, str]:
		"""Two settled rows (40 days and 1 day old) and one still waiting (40 days old)."""
		names = {}
		for key, days, ignored in (("old", 40, "test"), ("new", 1, "test"), ("waiting", 40, None)):
			name = accept(f"xwt:retention:{key}", ignored).name
			received = frappe.utils.add_days(frappe.utils.now_datetime(), -days)
			frappe.db.set_value("Inbound Webhook", name, "received_at", received, update_modified=False)
			names[key] = name
		frappe.db.commit()
		return names

	def purge(self, days: int) -> int:
		from xappiens_whatsapp.pipeline.inbox import sweep

		frappe.db.set_single_value("WhatsApp Settings", "retention_days", days)
		frappe.clear_document_cache("WhatsApp Settings", "WhatsApp Settings")
		return sweep.purge_old()

	def test_settled_rows_past_the_retention_go_and_the_rest_stay(self):
		names = self.rows()
		self.purge(30)
		left = set(frappe.get_all("Inbound Webhook", {"session_id": "xwt_inbound"}, pluck="name"))
		self.assertEqual(left, {names["new"], names["waiting"]})

	def test_a_retention_of_zero_keeps_everything(self):
		names = self.rows()
		self.assertEqual(self.purge(0), 0)
		left = set(frappe.get_all("Inbound Webhook", {"session_id": "xwt_inbound"}, pluck="name"))
		self.assertEqual(left, set(names.values()))

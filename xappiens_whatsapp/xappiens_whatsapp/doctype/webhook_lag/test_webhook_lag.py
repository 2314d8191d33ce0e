# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

from datetime import datetime

import frappe
from frappe.tests.utils import FrappeTestCase

from xappiens_whatsapp.pipeline import counts

DAY = datetime(2001, 2, 3, 10, 0)  # a day no other test writes


class TestWebhookLag(FrappeTestCase):
	def tearDown(self):
		frappe.db.delete("Webhook Lag", {"name": "2001-02-03"})
		frappe.db.commit()

	def test_the_days_average_is_taken_over_every_event_of_every_commit(self):
		for lag in (10, 20):
			counts.webhook_processed(DAY, lag)
		frappe.db.commit()
		counts.webhook_processed(DAY, 90)
		frappe.db.commit()
		row = frappe.get_doc("Webhook Lag", "2001-02-03")
		self.assertEqual((row.events, row.total_lag_ms, row.average_lag_ms), (3, 120, 40))

	def test_a_rollback_leaves_the_day_as_it_was(self):
		counts.webhook_processed(DAY, 10)
		frappe.db.commit()
		counts.webhook_processed(DAY, 1000)
		frappe.db.rollback()
		frappe.db.commit()
		self.assertEqual(
			frappe.db.get_value("Webhook Lag", "2001-02-03", ["events", "average_lag_ms"]), (1, 10)
		)

# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

from datetime import datetime

import frappe
from frappe.tests.utils import FrappeTestCase

from xappiens_whatsapp.pipeline import counts

RECEIVED = datetime(2001, 2, 3, 23, 59, 59)  # a day no other test writes


class TestStatusCount(FrappeTestCase):
	def tearDown(self):
		frappe.db.delete("Status Count", {"day": "2001-02-03"})
		frappe.db.commit()

	def count(self, status: str) -> int | None:
		return frappe.db.get_value("Status Count", f"Inbound Webhook|Netelip|2001-02-03|{status}", "count")

	def test_a_row_moved_twice_in_one_transaction_ends_in_its_last_bucket_only(self):
		counts.webhook_moved("Netelip", RECEIVED, None, "Received")
		counts.webhook_moved("Netelip", RECEIVED, "Received", "Waiting")
		counts.webhook_moved("Netelip", RECEIVED, "Waiting", "Processed")
		frappe.db.commit()
		self.assertEqual(
			(self.count("Received"), self.count("Waiting"), self.count("Processed")), (None, None, 1)
		)

	def test_moves_add_to_the_bucket_of_the_day_received(self):
		counts.webhook_moved("Netelip", RECEIVED, None, "Received")
		frappe.db.commit()
		counts.webhook_moved("Netelip", RECEIVED, "Received", "Failed")
		counts.webhook_moved("Netelip", RECEIVED, None, "Received")
		frappe.db.commit()
		row = frappe.get_doc("Status Count", "Inbound Webhook|Netelip|2001-02-03|Failed")
		self.assertEqual(
			(row.record_type, row.provider, str(row.day), row.status),
			counts.key(counts.WEBHOOK, "Netelip", "2001-02-03", "Failed"),
		)
		self.assertEqual((self.count("Received"), self.count("Failed")), (1, 1))

	def test_a_move_to_the_same_state_writes_nothing(self):
		counts.webhook_moved("Netelip", RECEIVED, "Processed", "Processed")
		frappe.db.commit()
		self.assertIsNone(self.count("Processed"))

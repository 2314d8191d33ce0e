# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from xappiens_whatsapp.bench_tests import own_rows
from xappiens_whatsapp.bench_tests.base import XWDoctypeTestCase, cleanup_test_data
from xappiens_whatsapp.pipeline.inbox import rejections
from xappiens_whatsapp.pipeline.inbox.ingress import count_rejection
from xappiens_whatsapp.xappiens_whatsapp.doctype.webhook_rejection.webhook_rejection import WebhookRejection


class TestWebhookRejection(XWDoctypeTestCase):
	def setUp(self):
		cleanup_test_data()

	def rows(self):
		"""This test's counters: those the site had before are left out (and put back by the clean-up)."""
		return {
			(r.provider, r.reason): r
			for r in frappe.get_all(
				"Webhook Rejection",
				filters={"name": ["in", own_rows.refusal_rows_since_restore() or [""]]},
				fields=["provider", "reason", "count", "last_remote_addr"],
			)
		}

	def test_counted_in_redis_and_folded_per_provider_reason_and_hour(self):
		for _ in range(3):
			count_rejection("Inbox Hub", "bad_signature", "203.0.113.7")
		count_rejection("Inbox Hub", "stale_timestamp", "203.0.113.8")
		count_rejection("Netelip", "bad_token", "198.51.100.1")
		self.assertEqual(self.rows(), {}, "nothing is written to the database per refusal")
		self.assertEqual(rejections.flush(), 5)
		rows = self.rows()
		self.assertEqual(len(rows), 3)
		self.assertEqual(rows[("Inbox Hub", "bad_signature")].count, 3)
		self.assertEqual(rows[("Inbox Hub", "bad_signature")].last_remote_addr, "203.0.113.7")
		self.assertEqual(rows[("Netelip", "bad_token")].count, 1)
		# folding again adds nothing; later refusals are added to the same hour's row
		self.assertEqual(rejections.flush(), 0)
		count_rejection("Inbox Hub", "bad_signature", "203.0.113.9")
		rejections.flush()
		rows = self.rows()
		self.assertEqual(rows[("Inbox Hub", "bad_signature")].count, 4)
		self.assertEqual(rows[("Inbox Hub", "bad_signature")].last_remote_addr, "203.0.113.9")

	def test_each_caller_has_its_own_count_for_the_minute(self):
		self.assertEqual(
			[count_rejection("Inbox Hub", "no_signature", "192.0.2.1") for _ in range(3)], [1, 2, 3]
		)
		self.assertEqual(count_rejection("Inbox Hub", "no_signature", "192.0.2.2"), 1)
		self.assertEqual(count_rejection("Netelip", "bad_token", "192.0.2.1"), 1)

	def test_old_counters_are_cleared(self):
		count_rejection("Inbox Hub", "bad_signature", None)
		rejections.flush()
		(old,) = own_rows.refusal_rows_since_restore()
		frappe.db.set_value(
			"Webhook Rejection", old, "hour", (now_datetime() - timedelta(days=100)).replace(minute=0)
		)
		count_rejection("Inbox Hub", "bad_signature", None)
		rejections.flush()
		WebhookRejection.clear_old_logs(days=90)
		self.assertFalse(frappe.db.exists("Webhook Rejection", old))
		self.assertEqual(len(own_rows.refusal_rows_since_restore()), 1)

# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from xappiens_whatsapp.bench_tests.base import XWDoctypeTestCase, cleanup_test_data
from xappiens_whatsapp.pipeline.inbox import rejections
from xappiens_whatsapp.pipeline.inbox.ingress import count_rejection
from xappiens_whatsapp.xappiens_whatsapp.doctype.webhook_rejection.webhook_rejection import WebhookRejection


class TestWebhookRejection(XWDoctypeTestCase):
	def setUp(self):
		cleanup_test_data()

	def rows(self):
		"""This test's counters (reasons of its own: the site's counters are left alone)."""
		return {
			(r.provider, r.reason): r
			for r in frappe.get_all(
				"Webhook Rejection",
				filters={"reason": ["like", "xwt %"]},
				fields=["provider", "reason", "count", "last_remote_addr"],
			)
		}

	def test_counted_in_redis_and_folded_per_provider_reason_and_hour(self):
		for _ in range(3):
			count_rejection("Inbox Hub", "xwt bad_signature", "203.0.113.7")
		count_rejection("Inbox Hub", "xwt stale_timestamp", "203.0.113.8")
		count_rejection("Netelip", "xwt bad_token", "198.51.100.1")
		self.assertEqual(self.rows(), {}, "nothing is written to the database per refusal")
		self.assertEqual(rejections.flush(), 5)
		rows = self.rows()
		self.assertEqual(len(rows), 3)
		self.assertEqual(rows[("Inbox Hub", "xwt bad_signature")].count, 3)
		self.assertEqual(rows[("Inbox Hub", "xwt bad_signature")].last_remote_addr, "203.0.113.7")
		self.assertEqual(rows[("Netelip", "xwt bad_token")].count, 1)
		# folding again adds nothing; later refusals are added to the same hour's row
		self.assertEqual(rejections.flush(), 0)
		count_rejection("Inbox Hub", "xwt bad_signature", "203.0.113.9")
		rejections.flush()
		rows = self.rows()
		self.assertEqual(rows[("Inbox Hub", "xwt bad_signature")].count, 4)
		self.assertEqual(rows[("Inbox Hub", "xwt bad_signature")].last_remote_addr, "203.0.113.9")

	def test_each_caller_has_its_own_count_for_the_minute(self):
		self.assertEqual(
			[count_rejection("Inbox Hub", "xwt no_signature", "192.0.2.1") for _ in range(3)], [1, 2, 3]
		)
		self.assertEqual(count_rejection("Inbox Hub", "xwt no_signature", "192.0.2.2"), 1)
		self.assertEqual(count_rejection("Netelip", "xwt bad_token", "192.0.2.1"), 1)

	def test_old_counters_are_cleared(self):
		count_rejection("Inbox Hub", "xwt old", None)
		rejections.flush()
		frappe.db.sql(
			"update `tabWebhook Rejection` set hour=%s where reason=%s",
			((now_datetime() - timedelta(days=100)).replace(minute=0), "xwt old"),
		)
		count_rejection("Inbox Hub", "xwt old", None)
		rejections.flush()
		WebhookRejection.clear_old_logs(days=90)
		self.assertEqual(frappe.db.count("Webhook Rejection", {"reason": "xwt old"}), 1)

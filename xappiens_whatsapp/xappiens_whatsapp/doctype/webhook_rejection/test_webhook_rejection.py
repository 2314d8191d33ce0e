# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

from datetime import timedelta

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import now_datetime

from xappiens_whatsapp.pipeline.ingress import count_rejection
from xappiens_whatsapp.xappiens_whatsapp.doctype.webhook_rejection.webhook_rejection import WebhookRejection


class TestWebhookRejection(FrappeTestCase):
	def setUp(self):
		frappe.db.delete("Webhook Rejection")

	def test_counted_per_provider_reason_and_hour(self):
		for _ in range(3):
			count_rejection("Inbox Hub", "bad_signature", "203.0.113.7")
		count_rejection("Inbox Hub", "stale_timestamp", "203.0.113.8")
		count_rejection("Netelip", "bad_token", "198.51.100.1")
		rows = frappe.get_all("Webhook Rejection", fields=["provider", "reason", "count", "last_remote_addr"])
		by_reason = {(r.provider, r.reason): r for r in rows}
		self.assertEqual(len(rows), 3)
		self.assertEqual(by_reason[("Inbox Hub", "bad_signature")].count, 3)
		self.assertEqual(by_reason[("Inbox Hub", "bad_signature")].last_remote_addr, "203.0.113.7")
		self.assertEqual(by_reason[("Netelip", "bad_token")].count, 1)

	def test_old_counters_are_cleared(self):
		count_rejection("Inbox Hub", "bad_signature", None)
		frappe.db.sql(
			"update `tabWebhook Rejection` set hour=%s",
			(now_datetime() - timedelta(days=100)).replace(minute=0),
		)
		count_rejection("Inbox Hub", "bad_signature", None)
		WebhookRejection.clear_old_logs(days=90)
		self.assertEqual(frappe.db.count("Webhook Rejection"), 1)

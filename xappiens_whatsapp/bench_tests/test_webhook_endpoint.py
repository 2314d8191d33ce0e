"""The Inbox Hub endpoint over real HTTP: authentication, limits, storage and answers."""

import json
import time
from datetime import timedelta

import frappe
import requests
from frappe.utils import now_datetime

from xappiens_whatsapp.bench_tests import own_rows
from xappiens_whatsapp.bench_tests.base import (
	DEFAULT_SECRET,
	WEBHOOK_PATH,
	XWTestCase,
	configure_settings,
	event,
	lose_queued_jobs,
	rejections,
	run_worker,
)
from xappiens_whatsapp.core import inbox_hub_events as ih
from xappiens_whatsapp.core.signatures import sign
from xappiens_whatsapp.testing.payloads import compact

LOOPBACK = "127.0.0.1"


class TestWebhookEndpoint(XWTestCase):
	def setUp(self):
		self.cleanup()
		configure_settings()
		self.make_session()

	def rejections(self, reason: str) -> int:
		return rejections(reason)

	def test_valid_event_is_stored_once_and_answered_at_once(self):
		payload = event("g_message_received", self.session_id)
		response = self.post_event(payload)
		self.assertEqual(response.status_code, 200, response.text)
		body = response.json()
		self.assertTrue(body["success"])
		self.assertFalse(body["duplicate"])
		rows = self.inbound(session_id=self.session_id)
		self.assertEqual(len(rows), 1)
		self.assertEqual(rows[0].status, "Received")
		self.assertEqual(rows[0].event, "message.received")
		self.assertEqual(rows[0].dedup_key, ih.parse(compact(payload)).dedup_key)
		self.assertEqual(json.loads(rows[0].payload), payload)

		run_worker()
		rows = self.inbound(session_id=self.session_id)
		self.assertEqual(rows[0].status, "Processed", rows[0].last_error)
		self.assertEqual(frappe.db.count("WhatsApp Message", {"session": self.session_id}), 1)

	def test_retried_delivery_makes_no_new_row_or_job(self):
		from frappe.utils.background_jobs import get_queue

		from xappiens_whatsapp.pipeline.inbox import jobs

		drain_id = jobs.job_id("drain-")
		drains = lambda: [j for j in get_queue(jobs.QUEUE).get_jobs() if drain_id in (j.id or "")]  # noqa: E731
		lose_queued_jobs()
		payload = event("g_message_received", self.session_id)
		first = self.post_event(payload)
		self.assertEqual(len(drains()), 1, "the event woke a drain")
		jobs.woken()  # as when that drain starts: a new event would wake another
		# the gateway's retry: same body, a later delivery time in the header
		again = self.post_event(payload, timestamp_ms=int(time.time() * 1000) + 2000)
		self.assertEqual(again.status_code, 200)
		self.assertTrue(again.json()["duplicate"])
		self.assertEqual(again.json()["id"], first.json()["id"])
		self.assertEqual(len(self.inbound(session_id=self.session_id)), 1)
		self.assertEqual(len(drains()), 1, "the retry woke nothing")
		run_worker()
		frappe.db.commit()  # a fresh snapshot, to see what the worker wrote
		self.assertEqual(frappe.db.count("WhatsApp Message", {"session": self.session_id}), 1)

	def test_bad_missing_or_foreign_signature_is_401_without_detail(self):
		payload = event("g_message_received", self.session_id)
		raw = compact(payload)
		cases = {
			"wrong secret": sign(raw, "another-secret-0123456789"),
			"tampered": sign(raw + b" ", self.session_secret),
			"missing": "",
			"default secret while the session has its own": sign(raw, DEFAULT_SECRET),
		}
		for label, signature in cases.items():
			with self.subTest(label):
				response = self.post_event(
					raw, signature=signature, headers={"X-Webhook-Session": self.session_id}
				)
				self.assertEqual(response.status_code, 401)
				self.assertEqual(response.json(), {"success": False, "error": "Unauthorized"})
		self.assertEqual(self.inbound(session_id=self.session_id), [])
		self.assertEqual(self.rejections("bad_signature"), 3)
		self.assertEqual(self.rejections("no_signature"), 1)  # refused before any query

	def test_x_signature_alias_and_bare_hex(self):
		raw = compact(event("g_message_received", self.session_id))
		bare = sign(raw, self.session_secret).removeprefix("sha256=")
		response = self.post_event(
			raw, signature="", headers={"X-Signature": bare, "X-Webhook-Session": self.session_id}
		)
		self.assertEqual(response.status_code, 200, response.text)

	def test_no_secret_anywhere_fails_closed(self):
		self.make_session(secret="")
		configure_settings(default_webhook_secret="")
		frappe.db.delete("__Auth", {"doctype": "WhatsApp Settings", "fieldname": "default_webhook_secret"})
		frappe.db.commit()
		frappe.clear_document_cache("WhatsApp Settings", "WhatsApp Settings")
		response = self.post_event(event("g_message_received", self.session_id), secret="anything-at-all-123")
		self.assertEqual(response.status_code, 401)
		self.assertEqual(self.rejections("no_secret"), 1)

	def test_default_secret_signs_sessions_without_their_own(self):
		self.make_session(secret="")
		response = self.post_event(event("g_message_received", self.session_id), secret=DEFAULT_SECRET)
		self.assertEqual(response.status_code, 200, response.text)
		# an unknown session is signed with the default secret too, and appears for managers
		other = self.session_id + "_new"
		response = self.post_event(event("g_session_connected", other), secret=DEFAULT_SECRET)
		self.assertEqual(response.status_code, 200, response.text)
		run_worker()
		frappe.db.commit()
		self.assertEqual(frappe.db.get_value("WhatsApp Session", other, "status"), "Connected")

	def test_rotation_accepts_the_previous_secret_until_it_expires(self):
		session = frappe.get_doc("WhatsApp Session", self.session_id)
		session.previous_webhook_secret = self.session_secret
		session.webhook_secret = "rotated-secret-0123456789abcdef"
		session.previous_secret_valid_until = now_datetime() + timedelta(hours=1)
		session.save(ignore_permissions=True)
		frappe.db.commit()
		old = self.post_event(event("g_message_received", self.session_id), secret=self.session_secret)
		new = self.post_event(
			event("g_message_sent", self.session_id), secret="rotated-secret-0123456789abcdef"
		)
		self.assertEqual((old.status_code, new.status_code), (200, 200))

		frappe.db.set_value(
			"WhatsApp Session", self.session_id, "previous_secret_valid_until", now_datetime()
		)
		frappe.db.commit()
		expired = self.post_event(event("g_message_ack", self.session_id), secret=self.session_secret)
		self.assertEqual(expired.status_code, 401)

	def test_stale_or_future_timestamps_are_rejected(self):
		now_ms = int(time.time() * 1000)
		payload = event("g_message_received", self.session_id)
		for offset in (-301_000, 301_000, -86_400_000):
			with self.subTest(offset=offset):
				response = self.post_event(payload, timestamp_ms=now_ms + offset)
				self.assertEqual(response.status_code, 401)
		# a fresh header on an old signed envelope: a replay with a rewritten header
		old = event("g_message_received", self.session_id)
		old["timestamp"] = "2025-10-14T06:30:00.000Z"
		self.assertEqual(self.post_event(old).status_code, 401)
		self.assertEqual(self.rejections("stale_timestamp"), 4)
		# the message's own time may be old: only the envelope and header are checked
		within = self.post_event(payload, timestamp_ms=now_ms - 200_000)
		self.assertEqual(within.status_code, 200, within.text)

	def test_oversized_body_is_413(self):
		payload = event("g_message_received", self.session_id, body="x" * 70 * 1024)
		response = self.post_event(payload)
		self.assertEqual(response.status_code, 413)
		self.assertEqual(self.inbound(session_id=self.session_id), [])
		self.assertEqual(self.rejections("too_large"), 1)

	def test_malformed_json_with_valid_signature_is_400_and_kept(self):
		raw = b'{"event":"message.received","sessionId":"' + self.session_id.encode() + b'","data":{'
		response = self.post_event(raw, headers={"X-Webhook-Session": self.session_id})
		self.assertEqual(response.status_code, 400, response.text)
		rows = self.inbound(session_id=self.session_id)
		self.assertEqual(len(rows), 1)
		self.assertEqual(rows[0].status, "Ignored")
		self.assertEqual(rows[0].payload, raw.decode())
		# the same bytes again: still one row
		self.assertEqual(
			self.post_event(raw, headers={"X-Webhook-Session": self.session_id}).status_code, 400
		)
		self.assertEqual(len(self.inbound(session_id=self.session_id)), 1)

	def test_malformed_json_with_bad_signature_is_401(self):
		raw = b'{"event": broken'
		response = self.post_event(
			raw, signature="sha256=" + "0" * 64, headers={"X-Webhook-Session": self.session_id}
		)
		self.assertEqual(response.status_code, 401)
		self.assertEqual(self.inbound(session_id=self.session_id), [])

	def test_json_that_is_not_an_object_is_400(self):
		for raw in (b"[1,2,3]", b'"text"', b"42"):
			with self.subTest(raw=raw):
				response = self.post_event(raw, headers={"X-Webhook-Session": self.session_id})
				self.assertEqual(response.status_code, 400, response.text)

	def test_unknown_and_legacy_events_are_200_and_ignored_aliases_are_mapped(self):
		unknown = self.post_event(event("unknown_event", self.session_id))
		legacy = self.post_event(event("legacy_presence", self.session_id))
		alias = event("g_message_ack", self.session_id)
		alias["event"] = "message_ack"
		mapped = self.post_event(alias)
		self.assertEqual([r.status_code for r in (unknown, legacy, mapped)], [200, 200, 200])
		by_event = {r.raw_event: r for r in self.inbound(session_id=self.session_id)}
		self.assertEqual(by_event["presence.update"].status, "Ignored")
		self.assertEqual(by_event["presence_update"].status, "Ignored")
		self.assertEqual(by_event["message_ack"].event, "message.ack")
		self.assertEqual(by_event["message_ack"].status, "Received")

	def test_session_named_twice_must_agree(self):
		payload = event("g_message_received", self.session_id)
		response = self.post_event(payload, headers={"X-Webhook-Session": "xwt_someone_else"})
		self.assertEqual(response.status_code, 401)
		self.assertEqual(self.rejections("session_mismatch"), 1)

	def test_only_post(self):
		response = requests.get(self.server.url + WEBHOOK_PATH, headers=self.server.headers, timeout=10)
		self.assertEqual(response.status_code, 403)

	def test_a_forged_x_forwarded_for_neither_dodges_nor_spends_a_callers_quota(self):
		key = frappe.cache.make_key(f"rl:xappiens_whatsapp.api.webhook.handle_webhook:{LOOPBACK}")
		frappe.cache.delete(key)
		self.addCleanup(frappe.cache.delete, key)
		self.addCleanup(configure_settings)
		configure_settings(webhook_rate_limit=3)
		statuses = [
			self.post_event(
				b"{}", signature="sha256=00", headers={"X-Forwarded-For": f"203.0.113.{i}"}
			).status_code
			for i in range(4)
		]
		# counted against the real peer, whatever the header says
		self.assertEqual(statuses, [401, 401, 401, 429])

	def test_behind_a_trusted_proxy_the_caller_is_the_forwarded_address(self):
		configure_settings(trusted_proxies="127.0.0.1/32")
		self.post_event(
			b"{}", signature="sha256=00", headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}
		)
		seen = [row.last_remote_addr for row in own_rows.changed_refusals("bad_signature")]
		self.assertEqual(seen, ["203.0.113.9"])  # the right-most hop the proxy saw, not the first claim

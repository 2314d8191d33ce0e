"""The webhook's fast path: a session's last good secret is remembered per process, and the insert it lets
through checks in SQL that the secret is still the one in force. These tests run the endpoint's code in this
process (so its memory is the one under test) against the real database, and count how often the secrets
are read: a rotation, a revocation or a change of which secret applies must be refused at once, warm or not.
"""

import time
from datetime import timedelta
from unittest import mock

import frappe
from frappe.utils import now_datetime
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from xappiens_whatsapp.api import webhook
from xappiens_whatsapp.bench_tests.base import (
	DEFAULT_SECRET,
	XWTestCase,
	configure_settings,
	event,
	lose_queued_jobs,
	rejections,
)
from xappiens_whatsapp.core.signatures import sign
from xappiens_whatsapp.pipeline.inbox import ingress, jobs
from xappiens_whatsapp.pipeline.whatsapp import webhook_signers as signing
from xappiens_whatsapp.testing.payloads import compact

NEW_SECRET = "a-replacement-secret-0123456789"


class TestRememberedSigner(XWTestCase):
	def setUp(self):
		self.cleanup()
		configure_settings()
		self.make_session()
		signing._REMEMBERED.clear()
		self.sent = 0

	def tearDown(self):
		frappe.local.request = None
		lose_queued_jobs(jobs.QUEUE)

	def deliver(
		self, secret: str, *, timestamp_ms: int | None = None, again: bool = False
	) -> tuple[int, int]:
		"""One signed message.received through the endpoint's code, committed as a request would be.
		Returns the status and how many times the stored secrets were read."""
		if not again:
			self.sent += 1
		payload = event("g_message_received", self.session_id)
		payload["data"]["id"]["id"] = f"3EB0REMEMBERED{self.sent:08d}"
		raw = compact(payload)
		headers = {
			"Content-Type": "application/json",
			"X-Webhook-Signature": sign(raw, secret),
			"X-Webhook-Timestamp": str(timestamp_ms or int(time.time() * 1000)),
			"X-Webhook-Event": "message.received",
			"X-Webhook-Session": self.session_id,
		}
		environ = EnvironBuilder(
			method="POST", data=raw, headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}
		).get_environ()
		frappe.local.request = Request(environ)
		with mock.patch.object(signing, "webhook_signers", wraps=signing.webhook_signers) as reads:
			response = webhook.receive()
		frappe.db.commit()
		return response.status_code, reads.call_count

	def stored(self) -> int:
		frappe.db.commit()
		return frappe.db.count("Inbound Webhook", {"session_id": self.session_id})

	def rejections(self, reason: str) -> int:
		return rejections(reason)

	def set_own_secret(self, secret: str, previous_valid_for: timedelta | None = None) -> None:
		session = frappe.get_doc("WhatsApp Session", self.session_id)
		if previous_valid_for:
			session.previous_webhook_secret = self.session_secret
			session.previous_secret_valid_until = now_datetime() + previous_valid_for
		session.webhook_secret = secret
		session.save(ignore_permissions=True)
		frappe.db.commit()

	def test_a_verified_session_is_stored_without_reading_its_secrets_again(self):
		self.assertEqual(self.deliver(self.session_secret), (200, 1))
		self.assertEqual(self.deliver(self.session_secret), (200, 0))
		self.assertEqual(self.deliver(self.session_secret, again=True), (200, 0), "a retry is a duplicate")
		self.assertEqual(self.stored(), 2)
		# a wrong secret or a stale time never takes the fast path's word for it
		self.assertEqual(self.deliver("not-the-secret-0123456789"), (401, 1))
		stale = int((time.time() - 3600) * 1000)
		self.assertEqual(self.deliver(self.session_secret, timestamp_ms=stale), (401, 1))
		self.assertEqual((self.rejections("bad_signature"), self.rejections("stale_timestamp")), (1, 1))
		self.assertEqual(self.stored(), 2)

	def test_a_replaced_secret_is_refused_at_once_though_remembered(self):
		self.deliver(self.session_secret)
		self.assertEqual(self.deliver(self.session_secret), (200, 0))
		self.set_own_secret(NEW_SECRET)
		self.assertEqual(self.deliver(self.session_secret), (401, 1))
		self.assertEqual(self.deliver(self.session_secret), (401, 1))
		self.assertEqual(self.deliver(NEW_SECRET), (200, 1))
		self.assertEqual(self.deliver(NEW_SECRET), (200, 0))
		self.assertEqual(self.stored(), 4)
		self.assertEqual(self.rejections("bad_signature"), 2)

	def test_a_cleared_secret_falls_back_to_the_default_at_once(self):
		self.deliver(self.session_secret)
		self.set_own_secret("")
		self.assertEqual(self.deliver(self.session_secret), (401, 1))
		self.assertEqual(self.deliver(DEFAULT_SECRET), (200, 1))
		self.assertEqual(self.deliver(DEFAULT_SECRET), (200, 0))

	def test_a_session_given_its_own_secret_stops_taking_the_default_at_once(self):
		self.make_session(secret="")
		self.deliver(DEFAULT_SECRET)
		self.assertEqual(self.deliver(DEFAULT_SECRET), (200, 0))
		self.set_own_secret(NEW_SECRET)
		self.assertEqual(self.deliver(DEFAULT_SECRET), (401, 1))
		self.assertEqual(self.deliver(NEW_SECRET), (200, 1))

	def test_a_replaced_default_secret_is_refused_at_once(self):
		self.make_session(secret="")
		self.deliver(DEFAULT_SECRET)
		configure_settings(default_webhook_secret=NEW_SECRET)
		self.assertEqual(self.deliver(DEFAULT_SECRET), (401, 1))
		self.assertEqual(self.deliver(NEW_SECRET), (200, 1))
		self.assertEqual(self.deliver(NEW_SECRET), (200, 0))

	def test_a_deleted_session_is_signed_by_the_default_again(self):
		self.deliver(self.session_secret)
		frappe.delete_doc("WhatsApp Session", self.session_id, force=True, ignore_permissions=True)
		frappe.db.commit()
		self.assertEqual(self.deliver(self.session_secret), (401, 1))
		self.assertEqual(self.deliver(DEFAULT_SECRET), (200, 1))

	def test_the_previous_secret_of_a_rotation_works_but_is_never_remembered(self):
		self.deliver(self.session_secret)
		self.set_own_secret(NEW_SECRET, previous_valid_for=timedelta(hours=1))
		self.assertEqual(self.deliver(self.session_secret), (200, 1))
		self.assertEqual(self.deliver(self.session_secret), (200, 1))
		self.assertEqual(self.deliver(NEW_SECRET), (200, 1))
		self.assertEqual(self.deliver(NEW_SECRET), (200, 0))
		self.assertEqual(self.stored(), 5)

	def test_the_guard_holds_for_the_secret_in_force_only(self):
		"""The SQL condition itself, one level down: for the site default with no session id or an unknown
		one, for a session's own secret, and after each change that retires one of them."""
		default = signing.webhook_signers(None)[0]
		self.assertIsNotNone(default.guard)
		self.assertTrue(self.accept(None, "guard-1", default))
		unknown = self.session_id + "_unknown"
		self.assertTrue(self.accept(unknown, "guard-2", signing.webhook_signers(unknown)[0]))
		self.set_own_secret("")
		session_default = signing.webhook_signers(self.session_id)[0]
		self.assertTrue(self.accept(self.session_id, "guard-3", session_default))
		self.set_own_secret(self.session_secret)
		self.assertIsNone(self.accept(self.session_id, "guard-4", session_default), "it has its own now")
		own = signing.webhook_signers(self.session_id)[0]
		self.assertTrue(self.accept(self.session_id, "guard-8", own))
		self.set_own_secret(NEW_SECRET, previous_valid_for=timedelta(hours=1))
		current, previous = signing.webhook_signers(self.session_id)
		self.assertIsNone(previous.guard)
		self.assertIsNone(self.accept(self.session_id, "guard-5", own))
		self.assertTrue(self.accept(self.session_id, "guard-6", current))
		configure_settings(default_webhook_secret=NEW_SECRET + "-default")
		self.assertIsNone(self.accept(None, "guard-7", default))
		frappe.db.commit()
		keys = frappe.get_all("Inbound Webhook", {"dedup_key": ["like", "xwt-guard-%"]}, pluck="dedup_key")
		self.assertEqual(
			sorted(keys), ["xwt-guard-1", "xwt-guard-2", "xwt-guard-3", "xwt-guard-6", "xwt-guard-8"]
		)

	def accept(self, session_id: str | None, key: str, signer: signing.Signer) -> ingress.Accepted | None:
		return ingress.accept(
			provider="Inbox Hub",
			dedup_key="xwt-" + key,
			event="message.received",
			raw_event="message.received",
			session_id=session_id,
			reference_key=None,
			payload=b"{}",
			headers={},
			remote_addr="127.0.0.1",
			guard=(signer.guard, signer.params) if signer.guard else None,
		)

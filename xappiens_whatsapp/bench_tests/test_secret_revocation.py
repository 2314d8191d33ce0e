"""A rotation's previous secret can be revoked at once: from the next webhook on, one signed with it is refused by
the endpoint, over real HTTP, in web workers that had verified (and so remembered) it before the rotation,
while the current secret goes on taking the remembered fast path."""

import frappe

from xappiens_whatsapp.bench_tests.base import (
	DEFAULT_SECRET,
	XWTestCase,
	configure_settings,
	event,
	make_user,
)

ROUNDS = 6  # enough deliveries for each of the test server's two workers to verify and remember a secret
NEW_DEFAULT = "the-next-default-secret-0123456789"


class TestSecretRevocation(XWTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.manager = make_user("xwt-revoke-manager@example.com", "WhatsApp Manager")
		cls.agent = make_user("xwt-revoke-agent@example.com", "WhatsApp Agent")

	def setUp(self):
		frappe.db.commit()
		self.cleanup()
		configure_settings()
		self.sent = 0

	def tearDown(self):
		frappe.db.commit()
		configure_settings(previous_webhook_secret="", previous_secret_valid_until=None)

	def deliver(self, secret: str, times: int = ROUNDS) -> list[int]:
		statuses = []
		for _ in range(times):
			self.sent += 1
			payload = event("g_message_received", self.session_id)
			payload["data"]["id"]["id"] = f"3EB0REVOKE{self.sent:010d}"
			statuses.append(self.post_event(payload, secret).status_code)
		return statuses

	def secrets(self) -> tuple:
		frappe.db.commit()
		doc = frappe.get_doc("WhatsApp Session", self.session_id)
		return (
			doc.get_password("webhook_secret", raise_exception=False),
			doc.get_password("previous_webhook_secret", raise_exception=False),
			doc.previous_secret_valid_until,
		)

	def test_a_session_s_previous_secret_is_refused_from_the_moment_it_is_revoked(self):
		self.make_session()
		old = self.session_secret
		self.assertEqual(self.deliver(old), [200] * ROUNDS, "the workers now remember the old secret")
		rotated = self.call_as(
			self.manager, "xappiens_whatsapp.api.sessions.rotate_secret", session=self.session_id
		)
		self.assertEqual(rotated.status_code, 200, rotated.text)
		new, previous, valid_until = self.secrets()
		self.assertEqual((previous, bool(valid_until)), (old, True))
		self.assertEqual(self.deliver(new), [200] * ROUNDS)
		self.assertEqual(self.deliver(old), [200] * ROUNDS, "within the grace period")

		refused = self.call_as(
			self.agent, "xappiens_whatsapp.api.sessions.end_previous_secret", session=self.session_id
		)
		self.assertEqual(refused.status_code, 403)
		self.assertEqual(self.deliver(old, 1), [200], "an agent cannot end it")

		ended = self.call_as(
			self.manager, "xappiens_whatsapp.api.sessions.end_previous_secret", session=self.session_id
		)
		self.assertEqual((ended.status_code, ended.json()["message"]), (200, {"ended": True}))
		self.assertEqual(self.secrets(), (new, None, None))
		self.assertEqual(self.deliver(old), [401] * ROUNDS)
		self.assertEqual(self.deliver(new), [200] * ROUNDS)
		again = self.call_as(
			self.manager, "xappiens_whatsapp.api.sessions.end_previous_secret", session=self.session_id
		)
		self.assertEqual(again.json()["message"], {"ended": False})
		frappe.db.commit()
		self.assertEqual(frappe.db.count("Inbound Webhook", {"session_id": self.session_id}), 4 * ROUNDS + 1)

	def test_the_previous_default_secret_is_refused_from_the_moment_it_is_revoked(self):
		self.make_session(secret="")  # signed with the site's default secret
		self.assertEqual(self.deliver(DEFAULT_SECRET), [200] * ROUNDS)
		configure_settings(
			default_webhook_secret=NEW_DEFAULT,
			previous_webhook_secret=DEFAULT_SECRET,
			previous_secret_valid_until=frappe.utils.add_to_date(None, hours=24),
		)
		self.assertEqual(self.deliver(NEW_DEFAULT), [200] * ROUNDS)
		self.assertEqual(self.deliver(DEFAULT_SECRET), [200] * ROUNDS, "within the grace period")

		method = "xappiens_whatsapp.api.default_secret.end_previous_secret"
		self.assertEqual(self.call_as(self.agent, method).status_code, 403)
		ended = self.call_as(self.manager, method)
		self.assertEqual((ended.status_code, ended.json()["message"]), (200, {"ended": True}))
		frappe.db.commit()
		settings = frappe.get_single("WhatsApp Settings")
		self.assertIsNone(settings.get_password("previous_webhook_secret", raise_exception=False))
		self.assertIsNone(settings.previous_secret_valid_until)
		self.assertEqual(settings.get_password("default_webhook_secret"), NEW_DEFAULT)
		self.assertEqual(self.deliver(DEFAULT_SECRET), [401] * ROUNDS)
		self.assertEqual(self.deliver(NEW_DEFAULT), [200] * ROUNDS)

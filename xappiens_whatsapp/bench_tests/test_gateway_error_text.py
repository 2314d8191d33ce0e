"""What the gateway says reaches a manager as text: its error messages in the desk's message dialog (which
renders HTML), and what the session actions store from its answers."""

import json

import frappe

from xappiens_whatsapp.bench_tests.base import make_user
from xappiens_whatsapp.bench_tests.test_outbound import OutboundCase

SESSIONS = "xappiens_whatsapp.api.sessions"
MARKUP = '<img src=x onerror="window.__xw_pwned=1"><script>window.__xw_pwned=2</script>'


def server_messages(response) -> list[str]:
	return [json.loads(m)["message"] for m in json.loads(response.json().get("_server_messages") or "[]")]


class TestGatewayErrorText(OutboundCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.manager = make_user("xwt-error-text-manager@example.com", "WhatsApp Manager")

	def setUp(self):
		super().setUp()
		self.hub.sessions.pop(self.session_id, None)
		frappe.db.set_value("WhatsApp Session", self.session_id, {"status": "Disconnected", "gateway_id": 0})
		frappe.db.commit()

	def act(self, action: str):
		return self.call_as(self.manager, f"{SESSIONS}.{action}", session=self.session_id)

	def assert_shown_as_text(self, response, case: str):
		self.assertEqual(response.status_code, 417, f"{case}: {response.text}")
		messages = server_messages(response)
		self.assertTrue(messages, case)
		for message in messages:
			self.assertNotIn("<img", message, case)
			self.assertNotIn("<script", message, case)
			self.assertIn("img src=x onerror=", message, f"{case}: the gateway's words are still there")

	def test_gateway_error_texts_are_shown_as_text(self):
		self.hub.fail("/api/sessions", 422, error=MARKUP)
		self.assert_shown_as_text(self.act("create_on_gateway"), "create refused")
		self.hub.clear_faults()
		self.hub.fail("/api/sessions/*/connect", 400, error=MARKUP)
		self.assert_shown_as_text(self.act("create_on_gateway"), "created, connecting refused")
		cases = {
			"connect": ("/api/sessions/*/connect", 400, {"error": MARKUP}),
			"disconnect": ("/api/sessions/*/disconnect", 409, {"error": MARKUP}),
			"restart": ("/api/sessions/*/restart", 400, {"body": {"success": False, "message": MARKUP}}),
			"refresh_status": ("/api/sessions/*/status", 403, {"error": MARKUP}),
			"rotate_secret": ("/api/sessions/*/webhook", 400, {"body": MARKUP}),  # not JSON: shown as it came
		}
		for action, (path, status, spec) in cases.items():
			with self.subTest(action=action):
				self.hub.fail(path, status, **spec)
				self.assert_shown_as_text(self.act(action), action)
				self.hub.clear_faults()
		frappe.db.set_value(
			"WhatsApp Session", self.session_id, {"status": "QR Code Required", "qr_code": None}
		)
		frappe.db.commit()
		self.hub.fail("/api/sessions/*/qr", 400, error=MARKUP)
		self.assert_shown_as_text(self.act("get_qr"), "get_qr")

	def test_what_the_actions_store_from_the_gateway_is_text(self):
		self.assertEqual(self.act("create_on_gateway").status_code, 200)
		self.hub.update_session(
			self.session_id, status=MARKUP, isConnected=None, phoneNumber="34600<b>000002</b>", qrCode=MARKUP
		)
		self.assertEqual(self.act("refresh_status").status_code, 200)
		frappe.db.commit()
		row = frappe.db.get_value(
			"WhatsApp Session", self.session_id, ["status_reason", "phone_number", "qr_code"], as_dict=True
		)
		self.assertNotIn("<img", row.status_reason)
		self.assertIn("img src=x", row.status_reason)
		self.assertNotIn("<", row.phone_number or "")
		self.assertIsNone(row.qr_code)

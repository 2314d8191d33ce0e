"""Tests that send through the gateway: a fake Inbox Hub for the class, and the test's number connected on it."""

import frappe

from xappiens_whatsapp.bench_tests.base import WEBHOOK_PATH, configure_settings
from xappiens_whatsapp.testing.fake_inbox_hub import FakeInboxHub


class FakeGatewayMixin:
	"""Put before XWTestCase (or a subclass) in the bases; `gateway_key` is the API key the fake expects."""

	gateway_key = "fake-gateway-key-for-tests"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.hub = FakeInboxHub(api_key=cls.gateway_key).start()

	@classmethod
	def tearDownClass(cls):
		cls.hub.stop()
		super().tearDownClass()

	def connect_gateway(self, gateway_id: int, **settings) -> None:
		"""Point the app at the fake (with `settings`) and connect this test's number on both sides."""
		configure_settings(base_url=self.hub.url, api_key=self.gateway_key, **settings)
		frappe.db.set_value(
			"WhatsApp Session", self.session_id, {"status": "Connected", "gateway_id": gateway_id}
		)
		frappe.db.commit()
		self.hub.add_session(
			self.session_id,
			webhook_url=self.server.url + WEBHOOK_PATH,
			webhook_secret=self.session_secret,
			connected=True,
		)

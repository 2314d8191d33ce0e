"""The addresses that receive the gateway's API key, Netelip's token or the gateway's webhooks: https only (plain
http only to this machine), changed by a System Manager only, and refused at use even when stored otherwise."""

import frappe

from xappiens_whatsapp.bench_tests.base import configure_settings, make_user
from xappiens_whatsapp.bench_tests.test_outbound import OutboundCase

WHATSAPP, NETELIP = "WhatsApp Settings", "Netelip Settings"
ENDPOINTS = {WHATSAPP: ("base_url", "public_site_url"), NETELIP: ("api_base_url",)}
ELSEWHERE = "https://collector.example.net"


class TestSettingsEndpoints(OutboundCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.manager = make_user("xwt-settings-manager@example.com", "WhatsApp Manager")
		cls.admin = make_user("xwt-settings-admin@example.com", "System Manager")
		cls.netelip_before = frappe.db.get_single_value(NETELIP, "api_base_url")

	@classmethod
	def tearDownClass(cls):
		frappe.db.set_single_value(NETELIP, "api_base_url", cls.netelip_before)
		frappe.db.commit()
		super().tearDownClass()

	def setUp(self):
		frappe.db.commit()  # a fresh snapshot: the web server saved the settings on its own connection
		super().setUp()
		frappe.db.set_single_value(NETELIP, "api_base_url", "https://api.netelip.com/v1")
		frappe.db.commit()

	def stored(self) -> dict:
		frappe.db.commit()
		return {
			(doctype, field): frappe.db.get_single_value(doctype, field, cache=False)
			for doctype, fields in ENDPOINTS.items()
			for field in fields
		}

	def set_value(self, user: str, doctype: str, field: str, value):
		return self.call_as(
			user, "frappe.client.set_value", doctype=doctype, name=doctype, fieldname=field, value=value
		)

	def test_a_whatsapp_manager_cannot_redirect_the_credentials(self):
		before = self.stored()
		for doctype, fields in ENDPOINTS.items():
			for field in fields:
				with self.subTest(field=field):
					self.set_value(self.manager, doctype, field, ELSEWHERE)
					frappe.db.commit()
					doc = frappe.get_doc(doctype).as_dict()
					doc[field] = ELSEWHERE
					self.call_as(
						self.manager, "frappe.desk.form.save.savedocs", doc=frappe.as_json(doc), action="Save"
					)
		self.assertEqual(self.stored(), before)
		# The rest of the settings are still theirs, and they still see the addresses.
		self.assertEqual(self.set_value(self.manager, WHATSAPP, "timestamp_tolerance", 240).status_code, 200)
		frappe.db.commit()
		self.assertEqual(frappe.db.get_single_value(WHATSAPP, "timestamp_tolerance", cache=False), 240)
		seen = self.call_as(
			self.manager, "frappe.desk.form.load.getdoc", "GET", doctype=WHATSAPP, name=WHATSAPP
		)
		self.assertEqual(seen.json()["docs"][0]["base_url"], self.hub.url)

	def test_no_path_that_saves_the_settings_lets_anyone_else_change_them(self):
		for doctype, fields in ENDPOINTS.items():
			for field in fields:
				with self.subTest(field=field):
					frappe.db.commit()
					frappe.set_user(self.manager)
					try:
						doc = frappe.get_doc(doctype)
						doc.set(field, ELSEWHERE)
						with self.assertRaises(frappe.PermissionError):
							doc.save(ignore_permissions=True)
					finally:
						frappe.set_user("Administrator")
					frappe.db.rollback()

	def test_a_system_manager_sets_https_or_this_machine_only(self):
		before = self.stored()
		for value in (
			"http://gateway.example.com",
			"http://10.1.2.3:8000",
			"https://user:secret@gateway.example.com",
			"https://gateway.example.com/?to=elsewhere",
			"javascript:alert(1)",
		):
			for doctype, fields in ENDPOINTS.items():
				for field in fields:
					with self.subTest(value=value, field=field):
						response = self.set_value(self.admin, doctype, field, value)
						self.assertEqual(response.status_code, 417, response.text)
						self.assertIn("Address refused", response.text)
		self.assertEqual(self.stored(), before)
		for value in ("https://gateway.example.com", "http://127.0.0.1:9999", "http://localhost:9999"):
			for doctype, fields in ENDPOINTS.items():
				for field in fields:
					with self.subTest(value=value, field=field):
						self.assertEqual(self.set_value(self.admin, doctype, field, value).status_code, 200)
						self.assertEqual(self.stored()[(doctype, field)], value)

	def test_an_address_stored_before_the_rule_is_refused_at_use(self):
		def secrets() -> tuple:
			frappe.db.commit()
			doc = frappe.get_doc("WhatsApp Session", self.session_id)
			return (
				doc.get_password("webhook_secret", raise_exception=False),
				doc.get_password("previous_webhook_secret", raise_exception=False),
			)

		before = secrets()
		refusals = {
			"base_url": ("http://gateway.example.com", "must use https", ("connect", "create_on_gateway")),
			"public_site_url": (
				"http://crm.example.com",
				"Public site URL",
				("create_on_gateway", "send_test_event"),
			),
		}
		for field, (value, said, actions) in refusals.items():
			configure_settings(base_url=self.hub.url)
			frappe.db.set_single_value(WHATSAPP, field, value)  # as a site upgraded with it already there
			frappe.db.commit()
			for action in (*actions, "rotate_secret"):
				with self.subTest(field=field, action=action):
					response = self.call_as(
						self.manager, f"xappiens_whatsapp.api.sessions.{action}", session=self.session_id
					)
					self.assertEqual(response.status_code, 417, response.text)
					self.assertIn(said, response.text)
		self.assertEqual(secrets(), before, "a refused switch leaves the secrets as they were")
		self.assertEqual(self.hub.requests, [], "nothing reached the gateway")

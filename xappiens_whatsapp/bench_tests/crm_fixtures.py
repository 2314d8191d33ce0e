"""Ground for the tests of Frappe CRM beside this app. They run on a site where CRM is installed (dev/test makes
one when the CRM source is at hand, see dev/crm-site) and are skipped, saying why, on a site without it."""

import unittest

import frappe

from xappiens_whatsapp.bench_tests.base import (
	XWTestCase,
	make_user,
	run_worker,
)
from xappiens_whatsapp.bench_tests.gateway_case import FakeGatewayMixin

API_KEY = "fake-gateway-key-for-crm-tests"
LEAD_TAG = "xwt-crm"  # every Lead these tests make has this last name; their Deals and Contacts follow it


def require_crm() -> None:
	if "crm" not in frappe.get_installed_apps():
		raise unittest.SkipTest(
			f"Frappe CRM is not installed on {frappe.local.site}: these tests need a site with it "
			"(dev/crm-site makes one from the CRM source)"
		)


def cleanup_crm_records() -> None:
	frappe.db.commit()
	leads = frappe.get_all("CRM Lead", filters={"last_name": LEAD_TAG}, pluck="name")
	deals = frappe.get_all("CRM Deal", filters={"lead": ["in", leads or [""]]}, pluck="name")
	contacts = frappe.get_all("Contact", filters={"last_name": LEAD_TAG}, pluck="name")
	for doctype, names in (("CRM Deal", deals), ("CRM Lead", leads)):
		for name in names:
			frappe.db.delete("CRM Call Log", {"reference_docname": name})
			frappe.db.delete("CRM Contacts", {"parent": name})
			frappe.db.delete("Comment", {"reference_doctype": doctype, "reference_name": name})
			frappe.db.delete(doctype, {"name": name})
	for name in contacts:
		frappe.db.delete("Contact Phone", {"parent": name})
		frappe.db.delete("Contact Email", {"parent": name})
		frappe.db.delete("Dynamic Link", {"parent": name})
		frappe.db.delete("Contact", {"name": name})
	frappe.db.delete("CRM Call Log", {"name": ["like", "netelip-%"]})
	frappe.db.commit()


def make_lead(mobile_no: str, first_name: str = "Ana", **values) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "CRM Lead",
			"first_name": first_name,
			"last_name": LEAD_TAG,
			"mobile_no": mobile_no,
			**values,
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	return doc.name


class CRMCase(FakeGatewayMixin, XWTestCase):
	"""A connected number on the fake gateway, an agent on it who works Leads (CRM's Sales User), an agent of
	another number, and a CRM Sales User who is no WhatsApp agent at all."""

	gateway_key = API_KEY

	@classmethod
	def setUpClass(cls):
		require_crm()
		super().setUpClass()
		cls.agent = make_user("xwt-crm-agent@example.com", "WhatsApp Agent", "Sales User")
		cls.other_agent = make_user("xwt-crm-other@example.com", "WhatsApp Agent", "Sales User")
		cls.sales_only = make_user("xwt-crm-sales@example.com", "Sales User")

	@classmethod
	def tearDownClass(cls):
		cleanup_crm_records()
		super().tearDownClass()

	def setUp(self):
		self.cleanup()
		cleanup_crm_records()
		self.hub.reset()
		self.make_session(users=[self.agent])
		self.connect_gateway(94, send_rate_per_minute=100, request_timeout=3)

	def settle(self, rounds: int = 2) -> None:
		for _ in range(rounds):
			run_worker()
			self.hub.wait_for_webhooks(timeout=5)
		run_worker()
		frappe.db.commit()

	def customer_writes(self, phone_digits: str, text: str) -> str:
		message_id = self.hub.receive(self.session_id, phone_digits, text)
		self.settle()
		return message_id

	def conversation(self, e164: str) -> str:
		frappe.db.commit()
		return frappe.db.get_value("WhatsApp Contact", {"session": self.session_id, "phone": e164}, "name")

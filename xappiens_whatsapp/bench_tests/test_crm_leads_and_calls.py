"""Calls on the Lead or Deal as Frappe CRM's own call logs, and *Create Lead* from a missed call or an unknown
conversation. Skipped on a site without Frappe CRM (see test_crm_absent for that site)."""

import frappe

from xappiens_whatsapp.bench_tests.base import run_worker
from xappiens_whatsapp.bench_tests.crm_fixtures import CRMCase, make_lead
from xappiens_whatsapp.bench_tests.test_netelip import (
	APP,
	CONTROL,
	TOKEN,
	call_id,
	cleanup_calls,
	configure_netelip,
	madrid,
)
from xappiens_whatsapp.testing.fake_netelip import FakeNetelip

LEADS = "xappiens_whatsapp.api.crm_leads"
AGENT_LINE = "+34910000011"


class TestCallsAndLeads(CRMCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.netelip = FakeNetelip(token="netelip-api-token-for-tests", application=APP).start()

	@classmethod
	def tearDownClass(cls):
		cls.netelip.stop()
		cleanup_calls()
		super().tearDownClass()

	def setUp(self):
		super().setUp()
		cleanup_calls()
		self.netelip.reset()
		configure_netelip(self.netelip.url, agents=[{"user": self.agent, "number": AGENT_LINE}])

	def inbound_call(self, src: str, *statuses: str) -> str:
		cid = call_id()
		fields = {"ID": cid, "api": APP, "src": src, "dst": AGENT_LINE.lstrip("+"), "startcall": madrid()}
		self.post(CONTROL + f"?token={TOKEN}", data=fields)
		for status in statuses:
			self.post(CONTROL + f"?token={TOKEN}", data={**fields, "statuscall": status, "status": "OK"})
		run_worker()
		frappe.db.commit()
		return frappe.db.get_value("Netelip Call", {"call_id": cid}, "name")

	def test_a_call_shows_on_the_lead_as_a_crm_call_log(self):
		lead = make_lead("+34 600 000 021")
		call = self.inbound_call("600000021", "ANSWER", "HANGUP")
		log = frappe.db.get_value("CRM Call Log", f"netelip-{call}", ["*"], as_dict=True)
		self.assertTrue(log)
		self.assertEqual(
			(log.type, log.reference_doctype, log.reference_docname, log["from"], log.receiver),
			("Incoming", "CRM Lead", lead, "+34600000021", self.agent),
		)
		self.assertEqual(
			log.status, frappe.db.get_value("Netelip Call", call, "status").replace("Answered", "In Progress")
		)
		from crm.api.activities import get_activities

		frappe.set_user(self.agent)
		try:
			_activities, calls, *_rest = get_activities(lead)
		finally:
			frappe.set_user("Administrator")
		self.assertEqual([c["name"] for c in calls], [f"netelip-{call}"])

	def test_a_missed_call_from_an_unknown_number_becomes_a_lead_that_keeps_the_call(self):
		call = self.inbound_call("600000022", "BUSY")
		self.assertFalse(frappe.db.get_value("CRM Call Log", f"netelip-{call}", "reference_docname"))
		response = self.call_as(self.agent, f"{LEADS}.create_lead", call=call)
		self.assertEqual(response.status_code, 200, response.text)
		created = response.json()["message"]
		self.assertEqual((created["doctype"], created["created"]), ("CRM Lead", True))
		self.assertEqual(created["url"], f"/crm/leads/{created['name']}")
		frappe.db.commit()
		lead = frappe.get_doc("CRM Lead", created["name"])
		self.assertEqual(lead.mobile_no, "+34600000022")
		frappe.db.set_value("CRM Lead", lead.name, "last_name", "xwt-crm")  # cleaned up with the others
		frappe.db.commit()
		self.assertEqual(
			frappe.db.get_value("CRM Call Log", f"netelip-{call}", "reference_docname"), created["name"]
		)
		again = self.call_as(self.agent, f"{LEADS}.create_lead", call=call).json()["message"]
		self.assertEqual((again["name"], again["created"]), (created["name"], False))

	def test_an_unknown_conversation_becomes_a_lead_once(self):
		self.customer_writes("34600000023", "¿Me llamáis?")
		conversation = self.conversation("+34600000023")
		first = self.call_as(self.agent, f"{LEADS}.create_lead", whatsapp_contact=conversation).json()[
			"message"
		]
		frappe.db.set_value("CRM Lead", first["name"], "last_name", "xwt-crm")
		frappe.db.commit()
		self.assertTrue(first["created"])
		again = self.call_as(self.agent, f"{LEADS}.crm_record", http="GET", whatsapp_contact=conversation)
		self.assertEqual(again.json()["message"]["name"], first["name"])
		# an agent of another number cannot read the conversation, so cannot make a Lead of it
		refused = self.call_as(self.other_agent, f"{LEADS}.create_lead", whatsapp_contact=conversation)
		self.assertEqual(refused.status_code, 403, refused.text)

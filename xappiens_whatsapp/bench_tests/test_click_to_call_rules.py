"""Click-to-call cannot be turned into toll fraud: only numbers someone other than the agent vouched for, only
ordinary lines in the allowed countries, and only so many calls per agent and hour."""

import json
import time

import frappe

from xappiens_whatsapp.bench_tests.base import event, make_user, run_worker
from xappiens_whatsapp.bench_tests.test_netelip import NetelipCase, configure_netelip, own_calls
from xappiens_whatsapp.pipeline.netelip import call_rate

CONTACT_LAST_NAME = "xwt-netelip"  # cleaned by NetelipCase
BOSS = "xwt-call-boss@example.com"
PORTAL_USER = "xwt-portal-customer@example.com"


class TestClickToCallRules(NetelipCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.boss = make_user(BOSS, "WhatsApp Manager")
		cls.portal_user = make_user(PORTAL_USER)  # no desk role: a website user

	def contact_as(self, user: str, phone: str) -> str:
		"""A Contact with this phone, inserted through the API as `user` would."""
		doc = {
			"doctype": "Contact",
			"first_name": "Eva",
			"last_name": CONTACT_LAST_NAME,
			"phone_nos": [{"phone": phone, "is_primary_mobile_no": 1}],
		}
		response = self.call_as(user, "frappe.client.insert", doc=json.dumps(doc))
		self.assertEqual(response.status_code, 200, response.text)
		return response.json()["message"]["name"]

	def contact_in_process_as(self, user: str, phone: str) -> str:
		"""What a web form or a portal page does: the Contact is written by that (non-desk) user."""
		frappe.set_user(user)
		try:
			doc = frappe.get_doc(
				{
					"doctype": "Contact",
					"first_name": "Leo",
					"last_name": CONTACT_LAST_NAME,
					"phone_nos": [{"phone": phone, "is_primary_mobile_no": 1}],
				}
			).insert(ignore_permissions=True)
		finally:
			frappe.set_user("Administrator")
		frappe.db.commit()
		return doc.name

	def save_as(self, user: str, name: str, change) -> None:
		doc = self.call_as(user, "frappe.client.get", "GET", doctype="Contact", name=name).json()["message"]
		change(doc)
		response = self.call_as(user, "frappe.client.save", doc=json.dumps(doc))
		self.assertEqual(response.status_code, 200, response.text)

	def assert_refused(self, response, words: str) -> None:
		self.assertEqual(response.status_code, 417, response.text)
		self.assertIn(words, response.text)

	def calls(self) -> int:
		frappe.db.commit()
		return len(own_calls())

	# ---- who vouches for a number

	def test_a_contact_an_agent_created_does_not_make_its_number_callable(self):
		mine = self.contact_as(self.agent, "600 00 00 11")
		self.assert_refused(self.click(number="600000011"), "not registered")
		self.assert_refused(self.click(contact=mine), "not registered")
		self.assertEqual(self.calls(), 0)

	def test_a_contact_a_manager_or_the_customer_created_makes_its_number_callable(self):
		self.contact_as(self.boss, "600 00 00 12")
		self.contact_in_process_as("Guest", "600 00 00 13")
		self.contact_in_process_as(self.portal_user, "600 00 00 14")
		for number in ("600000012", "600000013", "600000014"):
			with self.subTest(number=number):
				self.assertEqual(self.click(number=number).status_code, 200)

	def test_an_agent_changing_a_number_on_a_managers_contact_does_not_make_it_callable(self):
		name = self.contact_as(self.boss, "600 00 00 15")

		def rename(doc):
			doc["first_name"] = "Eva María"

		self.save_as(self.agent, name, rename)  # an edit that leaves the numbers alone changes nothing
		self.assertEqual(self.click(number="600000015").status_code, 200)

		def swap_number(doc):
			doc["phone_nos"][0]["phone"] = "600 00 00 16"

		self.save_as(self.agent, name, swap_number)
		self.assert_refused(self.click(number="600000016"), "not registered")

		def add_number_claiming_the_managers_name(doc):
			doc["phone_nos"].append(
				{
					"phone": "600 00 00 17",
					"owner": BOSS,
					"doctype": "Contact Phone",
					"is_primary_mobile_no": 0,
				}
			)

		self.save_as(self.agent, name, add_number_claiming_the_managers_name)
		self.assert_refused(self.click(number="600000017"), "not registered")
		# a manager who saves the number vouches for it
		self.save_as(self.boss, name, lambda doc: doc["phone_nos"].pop())
		self.save_as(
			self.boss,
			name,
			lambda doc: doc["phone_nos"].append({"phone": "600 00 00 17", "is_primary_mobile_no": 0}),
		)
		self.assertEqual(self.click(number="600000017").status_code, 200)

	def test_a_conversation_counts_only_when_the_customer_wrote_first(self):
		self.make_session(users=[self.agent])
		frappe.db.set_value("WhatsApp Session", self.session_id, "status", "Connected")
		frappe.db.commit()
		# the agent writes to a number first: that starts a conversation nobody vouched for
		sent = self.call_as(
			self.agent,
			"xappiens_whatsapp.api.messages.send_message",
			text="Hola",
			phone="600 00 00 18",
			session=self.session_id,
		)
		self.assertEqual(sent.status_code, 200, sent.text)
		self.assert_refused(self.click(number="600000018"), "not registered")
		self.customer_writes("34600000018", "XWTREPLY0018")
		self.assert_refused(self.click(number="600000018"), "not registered")
		# a customer who writes first
		self.customer_writes("34600000019", "XWTFIRST0019")
		self.assertEqual(self.click(number="600000019").status_code, 200)
		conversation = frappe.db.get_value("WhatsApp Contact", {"phone": "+34600000019"}, "name")
		self.assertEqual(
			self.row(self.click(whatsapp_contact=conversation).json()["message"]["call"]).status, "Initiated"
		)

	def customer_writes(self, digits: str, message_id: str) -> None:
		jid = f"{digits}@c.us"
		payload = event(
			"g_message_received",
			self.session_id,
			id={
				"fromMe": False,
				"remote": jid,
				"id": message_id,
				"_serialized": f"false_{jid}_{message_id}_in",
			},
			**{"from": jid, "timestamp": int(time.time()) + 5, "body": "Hola"},
		)
		self.assertEqual(self.post_event(payload).status_code, 200)
		run_worker()

	# ---- which numbers may be dialled at all

	def test_premium_shared_cost_and_personal_numbers_are_refused_even_when_listed(self):
		numbers = {"+34806123456": "premium-rate", "+34901123456": "shared-cost", "+34700123456": "personal"}
		configure_netelip(self.netelip.url, allowed_numbers=[{"number": n} for n in numbers])
		self.contact_as(self.boss, "806 12 34 56")
		for number, kind in numbers.items():
			with self.subTest(number=number):
				self.assert_refused(self.click(number=number), f"is a {kind} number")
		self.assertEqual(self.calls(), 0)

	def test_other_countries_only_when_allowed(self):
		numbers = ("+33612345678", "+18762345678", "+442079460958")
		configure_netelip(self.netelip.url, allowed_numbers=[{"number": n} for n in numbers])
		for number, country in zip(numbers, ("FR", "JM", "GB"), strict=True):
			with self.subTest(number=number):
				self.assert_refused(self.click(number=number), f"its country ({country})")
		configure_netelip(
			self.netelip.url, allowed_numbers=[{"number": n} for n in numbers], allowed_countries="es, FR\nUS"
		)
		self.assertEqual(self.click(number="+33612345678").status_code, 200)
		self.assert_refused(self.click(number="+18762345678"), "its country (JM)")  # +1, but not the US
		self.assertEqual(self.click(number="600000001").status_code, 417)  # still registered numbers only
		self.assertEqual(self.calls(), 1)

	def test_calls_per_agent_per_hour_are_limited(self):
		configure_netelip(
			self.netelip.url,
			calls_per_agent_per_hour=2,
			allowed_numbers=[{"number": "699999999"}],
			agents=[
				{"user": self.agent, "extension": "101"},
				{"user": self.other_agent, "extension": "102"},
			],
		)
		codes = [self.click(number="699999999").status_code for _ in range(3)]
		self.assertEqual(codes, [200, 200, 429])
		self.assertIn("Too many calls", self.click(number="699999999").text)
		self.assertEqual(self.click(self.other_agent, number="699999999").status_code, 200)
		self.assertEqual(self.calls(), 3)
		call_rate.forget(self.agent)  # an hour later
		self.assertEqual(self.click(number="699999999").status_code, 200)

	def test_settings_refuse_unknown_countries_and_take_the_default_for_no_limit(self):
		doc = frappe.get_single("Netelip Settings")
		doc.allowed_countries = "ES, XX"
		self.assertRaises(frappe.ValidationError, doc.save, ignore_permissions=True)
		configure_netelip(self.netelip.url, calls_per_agent_per_hour=0)
		self.assertEqual(frappe.db.get_single_value("Netelip Settings", "calls_per_agent_per_hour"), 20)

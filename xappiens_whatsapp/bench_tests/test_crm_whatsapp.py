"""Frappe CRM's WhatsApp tab on a Lead or Deal, served by this app: the conversation of the record's number in
any stored format, kept when the Lead becomes a Deal; sending and replying through this app's queue and
permissions; CRM's own hooks on our doctype doing no harm. Skipped on a site without Frappe CRM."""

import frappe

from xappiens_whatsapp.bench_tests.base import capture_realtime
from xappiens_whatsapp.bench_tests.crm_fixtures import CRMCase, make_lead

CRM = "crm.api.whatsapp"
CUSTOMER = "34600000011"
E164 = "+34600000011"
STORED_FORMATS = ["+34 600 00 00 11", "600000011", "0034600000011", "(+34) 600-000-011", "34 600.000.011"]


class TestCRMWhatsAppTab(CRMCase):
	def messages(self, doctype, name, user=None):
		response = self.call_as(
			user or self.agent,
			f"{CRM}.get_whatsapp_messages",
			http="GET",
			reference_doctype=doctype,
			reference_name=name,
		)
		return response

	def test_a_lead_shows_its_conversation_whatever_format_its_number_was_stored_in(self):
		self.customer_writes(CUSTOMER, "Hola, quiero un presupuesto")
		for stored in STORED_FORMATS:
			with self.subTest(stored=stored):
				lead = make_lead(stored)
				response = self.messages("CRM Lead", lead)
				self.assertEqual(response.status_code, 200, response.text)
				[message] = response.json()["message"]
				self.assertEqual(
					(message["type"], message["content_type"], message["message"], message["from"]),
					("Incoming", "text", "Hola, quiero un presupuesto", E164),
				)
				frappe.delete_doc("CRM Lead", lead, force=True, ignore_permissions=True)
				frappe.db.commit()

	def test_the_conversation_stays_when_the_lead_becomes_a_deal(self):
		from crm.fcrm.doctype.crm_lead.crm_lead import convert_to_deal

		self.customer_writes(CUSTOMER, "Sigo interesado")
		lead = make_lead("600 000 011", email="ana.xwt@example.com")
		deal = convert_to_deal(lead)
		frappe.db.set_value("CRM Deal", deal, {"mobile_no": None, "phone": None})  # only the Lead has it now
		frappe.db.commit()
		[message] = self.messages("CRM Deal", deal).json()["message"]
		self.assertEqual(message["message"], "Sigo interesado")

	def test_text_from_the_customer_reaches_crm_escaped(self):
		self.customer_writes(CUSTOMER, 'precio? <b onmouseover="x()">ya</b> & "más"')
		lead = make_lead(E164)
		[message] = self.messages("CRM Lead", lead).json()["message"]
		self.assertNotIn("<", message["message"])
		self.assertIn("&amp;", message["message"])

	def test_agents_of_other_numbers_and_users_without_a_number_see_nothing_of_it(self):
		self.customer_writes(CUSTOMER, "solo para mi agente")
		lead = make_lead(E164)
		self.assertEqual(self.messages("CRM Lead", lead, self.other_agent).json()["message"], [])
		self.assertEqual(self.messages("CRM Lead", lead, self.sales_only).json()["message"], [])
		enabled = self.call_as(self.sales_only, f"{CRM}.is_whatsapp_enabled", http="GET").json()["message"]
		self.assertFalse(enabled)
		self.assertTrue(self.call_as(self.agent, f"{CRM}.is_whatsapp_enabled", http="GET").json()["message"])

	def test_sending_and_replying_from_the_lead_go_through_the_send_queue(self):
		incoming_id = self.customer_writes(CUSTOMER, "¿Tenéis stock?")
		lead = make_lead("600-000-011")
		[incoming] = self.messages("CRM Lead", lead).json()["message"]
		sent = self.call_as(
			self.agent,
			f"{CRM}.create_whatsapp_message",
			reference_doctype="CRM Lead",
			reference_name=lead,
			message="Sí, te lo mando hoy",
			to="600-000-011",
			attach="",
			reply_to=incoming["name"],
			content_type="text",
		)
		self.assertEqual(sent.status_code, 200, sent.text)
		self.settle()
		[out] = self.hub.sent_messages(self.session_id)
		self.assertEqual(out["body"], "Sí, te lo mando hoy")
		row = frappe.db.get_value("WhatsApp Message", sent.json()["message"], ["*"], as_dict=True)
		self.assertEqual((row.from_me, row.sent_by, row.quoted_message_id), (1, self.agent, incoming_id))
		thread = self.messages("CRM Lead", lead).json()["message"]
		self.assertEqual([m["type"] for m in thread], ["Incoming", "Outgoing"])
		self.assertEqual((thread[1]["is_reply"], thread[1]["reply_to"]), (1, incoming["name"]))
		self.assertIn(thread[1]["status"], ("sent", "delivered", "read"))

	def test_a_user_who_may_not_send_from_the_number_cannot_send_from_the_lead(self):
		self.customer_writes(CUSTOMER, "hola")
		lead = make_lead(E164)
		response = self.call_as(
			self.other_agent,
			f"{CRM}.create_whatsapp_message",
			reference_doctype="CRM Lead",
			reference_name=lead,
			message="no debería salir",
			to=E164,
		)
		self.assertEqual(response.status_code, 403, response.text)
		self.settle(1)
		self.assertEqual(self.hub.sent_messages(self.session_id), [])

	def test_crm_hooks_on_our_messages_do_no_harm_and_nothing_is_published_site_wide(self):
		lead = make_lead(E164)
		with capture_realtime() as realtime:
			self.customer_writes(CUSTOMER, "mensaje nuevo")
		frappe.db.commit()
		row = frappe.db.get_value(
			"WhatsApp Message", {"session": self.session_id, "body": "mensaje nuevo"}, ["name"], as_dict=True
		)
		self.assertTrue(row, [w.last_error for w in self.inbound(session_id=self.session_id) if w.last_error])
		self.assertEqual([w.status for w in self.inbound(session_id=self.session_id)], ["Processed"])
		events = realtime.events("whatsapp_message")
		self.assertTrue(events)
		rooms = {e["room"] for e in events}
		self.assertIn(f"user:{self.agent}", rooms)
		self.assertTrue(all(room.startswith("user:") for room in rooms), rooms)  # never "all"
		self.assertIn(
			{"reference_doctype": "CRM Lead", "reference_name": lead}, [e["message"] for e in events]
		)
		self.assertNotIn(f"user:{self.other_agent}", {e["room"] for e in events})

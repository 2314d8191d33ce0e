"""Quick replies in a conversation: who may use which, and the text they expand to."""

import frappe

from xappiens_whatsapp.bench_tests.ownership_fixtures import OwnershipTestCase


class TestQuickReplies(OwnershipTestCase):
	def setUp(self):
		super().setUp()
		frappe.db.delete("WhatsApp Quick Reply", {"title": ["like", "xwt %"]})
		frappe.db.set_value("User", self.a, {"first_name": "Ana", "last_name": "Agente"})
		frappe.db.commit()

	def tearDown(self):
		frappe.db.delete("WhatsApp Quick Reply", {"title": ["like", "xwt %"]})
		frappe.db.commit()

	def reply(self, owner: str, shortcut: str, text: str, **values) -> str:
		frappe.set_user(owner)
		try:
			doc = frappe.get_doc(
				{
					"doctype": "WhatsApp Quick Reply",
					"title": f"xwt {shortcut}",
					"shortcut": shortcut,
					"text": text,
					**values,
				}
			).insert()
		finally:
			frappe.set_user("Administrator")
		frappe.db.commit()
		return doc.name

	def test_fields_are_filled_missing_ones_empty_and_hostile_names_stay_text(self):
		contact = self.write("34600900001")
		reply = self.reply(
			self.a, "hola", "Hola {{ first_name }}[{{ last_name }}], soy {{ agent_first_name }}."
		)

		def expanded(display_name):
			frappe.db.set_value("WhatsApp Contact", contact, "display_name", display_name)
			frappe.db.commit()
			answer = self.api(self.a, "quick_replies.expand", http="GET", name=reply, contact=contact)
			return answer.json()["message"]["text"]

		self.assertEqual(expanded("Pepe"), "Hola Pepe[], soy Ana.")
		# a name that looks like a template or markup is inserted once, as it is: the composer shows it as text
		hostile = "{{agent_email}} <img src=x onerror=alert(1)>"
		self.assertEqual(expanded(hostile), "Hola {{agent_email}}[<img src=x onerror=alert(1)>], soy Ana.")

	def test_personal_replies_and_other_numbers_replies_stay_out_of_sight(self):
		contact = self.write("34600900002")
		shared = self.reply(self.a, "precio", "5 €")
		personal = self.reply(self.b, "mio", "Sólo mío", visibility="Only Me")
		self.make_session("xwt_other", users=[self.outsider])
		elsewhere = self.reply("Administrator", "fuera", "Otro número", session="xwt_other")

		def found(user):
			rows = self.api(user, "quick_replies.search", http="GET", contact=contact).json()["message"]
			return {r["name"] for r in rows}

		self.assertEqual(found(self.a), {shared})
		self.assertEqual(found(self.b), {shared, personal})
		self.assertEqual(
			self.api(self.a, "quick_replies.expand", http="GET", name=personal, contact=contact).status_code,
			403,
		)
		self.assertEqual(
			self.api(self.a, "quick_replies.expand", http="GET", name=elsewhere, contact=contact).status_code,
			403,
		)
		# an agent of another number cannot use them in this conversation
		self.assertEqual(
			self.api(self.outsider, "quick_replies.search", http="GET", contact=contact).status_code, 403
		)
		# nor can they put a reply into this number's composer
		with self.assertRaises(frappe.PermissionError):
			self.reply(self.outsider, "intruso", "Llame a este otro número", session=self.session_id)
		self.assertFalse(frappe.db.exists("WhatsApp Quick Reply", {"shortcut": "intruso"}))
		# only its author edits a shared reply
		frappe.set_user(self.c)
		try:
			doc = frappe.get_doc("WhatsApp Quick Reply", shared)
			doc.text = "gratis"
			with self.assertRaises(frappe.PermissionError):
				doc.save()
		finally:
			frappe.set_user("Administrator")

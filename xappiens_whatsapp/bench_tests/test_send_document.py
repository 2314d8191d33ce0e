"""*Send via WhatsApp* from a printable form: the PDF reaches the gateway through the send queue, the File is
private and attached to the message, the document's timeline says it, and only a user who can read the document
and send from the number may do it. Runs on any site (a ToDo is the printable document)."""

import base64

import frappe

from xappiens_whatsapp.bench_tests.base import (
	XWTestCase,
	make_agent,
	make_user,
	run_worker,
)
from xappiens_whatsapp.bench_tests.gateway_case import FakeGatewayMixin

API_KEY = "fake-gateway-key-for-document-tests"
SEND = "xappiens_whatsapp.api.send_document.send_document"
CUSTOMER = "+34600000031"


class TestSendDocument(FakeGatewayMixin, XWTestCase):
	gateway_key = API_KEY

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.agent = make_agent("xwt-doc-agent@example.com")
		cls.other_agent = make_agent("xwt-doc-other@example.com")
		cls.reader = make_user("xwt-doc-reader@example.com")  # reads the ToDo, no WhatsApp number

	@classmethod
	def tearDownClass(cls):
		cls.remove_todos()
		super().tearDownClass()

	@classmethod
	def remove_todos(cls):
		todos = frappe.get_all("ToDo", filters={"description": ["like", "xwt-doc%"]}, pluck="name")
		frappe.db.delete("Comment", {"reference_doctype": "ToDo", "reference_name": ["in", todos or [""]]})
		frappe.db.delete("ToDo", {"name": ["in", todos or [""]]})
		frappe.db.commit()

	@classmethod
	def cleanup(cls):
		messages = frappe.get_all("WhatsApp Message", filters={"session": cls.session_id}, pluck="name")
		files = frappe.get_all(
			"File",
			filters={"attached_to_doctype": "WhatsApp Message", "attached_to_name": ["in", messages or [""]]},
			pluck="name",
		)
		for name in files:
			frappe.delete_doc("File", name, force=True, ignore_permissions=True)
		super().cleanup()

	def setUp(self):
		self.cleanup()
		self.remove_todos()
		self.hub.reset()
		self.make_session(users=[self.agent])
		self.connect_gateway(95, send_rate_per_minute=100, request_timeout=3)
		# A ToDo the reader gave the agent: both may read it.
		self.todo = self.make_todo(self.agent)

	def make_todo(self, allocated_to):
		todo = frappe.get_doc(
			{
				"doctype": "ToDo",
				"description": "xwt-doc Presupuesto <b>nº 7</b>",
				"allocated_to": allocated_to,
				"assigned_by": self.reader,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		return todo

	def send(self, user, todo=None, **data):
		return self.call_as(
			user,
			SEND,
			doctype="ToDo",
			name=(todo or self.todo).name,
			phone=CUSTOMER,
			session=self.session_id,
			**data,
		)

	def test_the_pdf_reaches_the_gateway_and_shows_in_the_conversation_and_the_timeline(self):
		response = self.send(self.agent, caption="Tu presupuesto", client_ref="doc-1")
		self.assertEqual(response.status_code, 200, response.text)
		name = response.json()["message"]["name"]
		run_worker()
		self.hub.wait_for_webhooks(timeout=5)
		run_worker()
		frappe.db.commit()
		[request] = self.hub.requests_to(f"/api/messages/{self.session_id}/send", "POST")
		body = request["json"]
		self.assertEqual(body["type"], "document")
		document = body["message"]["document"]
		self.assertEqual(base64.b64decode(document["base64"])[:5], b"%PDF-")
		self.assertEqual(document["fileName"], f"ToDo-{self.todo.name}.pdf")
		self.assertEqual(body["message"]["caption"], "Tu presupuesto")

		row = frappe.db.get_value("WhatsApp Message", name, ["*"], as_dict=True)
		self.assertEqual((row.from_me, row.message_type, row.sent_by), (1, "document", self.agent))
		self.assertIn(row.status, ("Sent", "Delivered", "Read"))
		file = frappe.get_doc("File", {"file_url": row.attachment})
		self.assertEqual(
			(file.is_private, file.attached_to_doctype, file.attached_to_name), (1, "WhatsApp Message", name)
		)
		[comment] = frappe.get_all(
			"Comment",
			filters={"reference_doctype": "ToDo", "reference_name": self.todo.name, "comment_type": "Info"},
			pluck="content",
		)
		self.assertIn("Sent via WhatsApp", comment)
		self.assertIn(CUSTOMER, comment)

		# the same click again (a double click, a retry) sends nothing more
		again = self.send(self.agent, caption="Tu presupuesto", client_ref="doc-1")
		self.assertEqual(again.json()["message"]["name"], name)
		run_worker()
		self.assertEqual(len(self.hub.requests_to(f"/api/messages/{self.session_id}/send", "POST")), 1)

	def test_who_cannot_read_the_document_or_send_from_the_number_is_refused(self):
		# reads the ToDo, but is on no WhatsApp number
		self.assertEqual(self.send(self.reader).status_code, 403)
		# may send from another number only, and cannot read this ToDo either
		self.assertEqual(self.send(self.other_agent).status_code, 403)
		# reads a ToDo of their own, but is still not on the number
		self.assertEqual(self.send(self.other_agent, todo=self.make_todo(self.other_agent)).status_code, 403)
		run_worker()
		self.assertEqual(self.hub.requests_to(f"/api/messages/{self.session_id}/send", "POST"), [])
		self.assertFalse(frappe.get_all("WhatsApp Message", filters={"session": self.session_id}))

	def test_a_print_format_of_another_doctype_is_refused(self):
		other = frappe.get_all("Print Format", filters={"doc_type": ["!=", "ToDo"]}, pluck="name", limit=1)
		if not other:
			self.skipTest("no print format of another doctype on this site")
		response = self.send(self.agent, print_format=other[0])
		self.assertEqual(response.status_code, 417, response.text)

"""Agents send from the desk, end to end: agent endpoint → row → worker → fake gateway → acks back → Read.

The gateway is the loopback fake (a real HTTP server); the app's worker is a real RQ worker process; the
acks come back as signed webhooks over HTTP to the test web server.
"""

import json
from datetime import timedelta

import frappe
import requests
from frappe.utils import now_datetime

from xappiens_whatsapp.bench_tests.base import (
	XWTestCase,
	api_token,
	configure_settings,
	make_agent,
	run_worker,
)
from xappiens_whatsapp.bench_tests.gateway_case import FakeGatewayMixin
from xappiens_whatsapp.pipeline.whatsapp import outbound

API_KEY = "fake-gateway-key-for-tests"
CUSTOMER = "34600000001"
MSG = "xappiens_whatsapp.api.messages"


class OutboundCase(FakeGatewayMixin, XWTestCase):
	gateway_key = API_KEY

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.agent = make_agent("xwt-sender@example.com")
		cls.outsider = make_agent("xwt-not-allowed@example.com")

	def setUp(self):
		self.cleanup()
		self.hub.reset()
		self.make_session(users=[self.agent])
		self.connect_gateway(93, send_rate_per_minute=10, request_timeout=3)

	def send(self, user=None, **data):
		return self.call_as(user or self.agent, f"{MSG}.send_message", **data)

	def upload(self, file_name: str, content: bytes):
		"""A private file the agent uploaded, as the desk's attach dialog does."""
		frappe.set_user(self.agent)
		try:
			file = frappe.get_doc(
				{"doctype": "File", "file_name": file_name, "content": content, "is_private": 1}
			).insert()
		finally:
			frappe.set_user("Administrator")
		frappe.db.commit()
		return file

	def requests(self) -> list[dict]:
		return self.hub.requests_to(f"/api/messages/{self.session_id}/send", "POST")

	def row(self, name):
		frappe.db.commit()
		return frappe.db.get_value("WhatsApp Message", name, ["*"], as_dict=True)

	def settle(self, rounds: int = 3):
		"""Let jobs run and the fake's webhooks arrive, a few times over."""
		for _ in range(rounds):
			run_worker()
			self.hub.wait_for_webhooks(timeout=5)
		run_worker()


class TestSending(OutboundCase):
	def test_text_goes_out_once_and_its_ticks_follow_the_acks(self):
		self.hub.configure(auto_ack=True, send_response_shape="B")
		response = self.send(
			text="Hola, te escribo desde el CRM", phone="+34 600 00 00 01", client_ref="ref-1"
		)
		self.assertEqual(response.status_code, 200, response.text)
		name = response.json()["message"]["name"]
		row = self.row(name)
		self.assertEqual(
			(row.status, row.from_me, row.sent_by, row.source), ("Pending", 1, self.agent, "Desk")
		)

		self.settle()
		sent = self.hub.sent_messages(self.session_id)
		self.assertEqual(len(sent), 1)
		self.assertEqual(self.requests()[0]["json"]["to"], CUSTOMER)
		self.assertEqual(sent[0]["body"], "Hola, te escribo desde el CRM")
		row = self.row(name)
		self.assertEqual(row.message_id, sent[0]["whatsappMessageId"])
		self.assertEqual(row.status, "Read")
		self.assertIsNotNone(row.sent_at)
		self.assertIsNotNone(row.delivered_at)
		self.assertEqual(frappe.db.count("WhatsApp Message", {"session": self.session_id}), 1)

	def make_due(self, name: str) -> None:
		frappe.db.set_value(
			"WhatsApp Message", name, "next_attempt_at", now_datetime() - timedelta(seconds=1)
		)
		frappe.db.commit()
		outbound.send_due()
		self.settle(1)

	def test_an_unreadable_history_never_leads_to_a_second_send(self):
		self.hub.accept_then_timeout("/api/messages/*/send", seconds=6)
		name = self.send(text="sin duplicados", phone=CUSTOMER).json()["message"]["name"]
		self.settle(1)
		self.hub.fail(f"/api/messages/{self.session_id}/*", 500, method="GET", times=None)
		self.make_due(name)
		row = self.row(name)
		self.assertEqual((row.status, row.outcome_uncertain), ("Pending", 1))
		self.assertGreater(row.next_attempt_at, now_datetime())  # looked, could not see: later, not again
		self.assertEqual(len(self.hub.sent_messages(self.session_id)), 1)
		self.hub.clear_faults()
		self.make_due(name)
		row = self.row(name)
		self.assertEqual(len(self.hub.sent_messages(self.session_id)), 1)
		self.assertEqual(
			(row.status, row.message_id),
			("Sent", self.hub.sent_messages(self.session_id)[0]["whatsappMessageId"]),
		)

	def test_a_lost_answer_whose_message_came_back_by_webhook_is_adopted_not_resent(self):
		# The gateway sent it and told us by message.sent, but the answer to our call never came.
		self.hub.configure(emit_message_sent=True)
		self.hub.accept_then_timeout("/api/messages/*/send", seconds=6)
		name = self.send(text="una y no más", phone=CUSTOMER).json()["message"]["name"]
		self.settle(1)
		self.make_due(name)
		self.assertEqual(len(self.requests()), 1)
		sent = self.hub.sent_messages(self.session_id)
		self.assertEqual(len(sent), 1)
		rows = frappe.get_all(
			"WhatsApp Message", filters={"session": self.session_id}, fields=["name", "message_id", "status"]
		)
		self.assertEqual([(r.name, r.message_id) for r in rows], [(name, sent[0]["whatsappMessageId"])])
		self.assertEqual(rows[0].status, "Sent")

	def test_a_500_after_the_message_went_out_does_not_send_it_again(self):
		self.hub.accept_then_fail("/api/messages/*/send", 500, error="WhatsApp error", code="WHATSAPP_ERROR")
		name = self.send(text="una vez", phone=CUSTOMER).json()["message"]["name"]
		self.settle(1)
		self.assertEqual(len(self.requests()), 1)  # not re-posted by the client
		self.assertEqual(self.row(name).outcome_uncertain, 1)
		self.make_due(name)
		self.assertEqual(len(self.requests()), 1)
		self.assertEqual(len(self.hub.sent_messages(self.session_id)), 1)
		self.assertEqual(self.row(name).status, "Sent")

	def test_an_accepted_send_without_an_id_is_found_in_the_history(self):
		self.hub.accept_then_fail(
			"/api/messages/*/send", 200, body={"success": True, "data": {"status": "sent"}}
		)
		name = self.send(text="sin id", phone=CUSTOMER).json()["message"]["name"]
		self.settle(1)
		self.assertEqual(self.row(name).outcome_uncertain, 1)
		self.make_due(name)
		self.assertEqual(len(self.requests()), 1)
		row = self.row(name)
		self.assertEqual(
			(row.status, row.message_id),
			("Sent", self.hub.sent_messages(self.session_id)[0]["whatsappMessageId"]),
		)

	def test_a_send_lost_before_the_gateway_took_it_goes_out_exactly_once(self):
		self.hub.drop("/api/messages/*/send")  # the connection breaks and the message was never stored
		name = self.send(text="exactamente una", phone=CUSTOMER).json()["message"]["name"]
		self.settle(1)
		self.assertEqual(len(self.hub.sent_messages(self.session_id)), 0)
		self.make_due(name)
		self.assertEqual(len(self.hub.sent_messages(self.session_id)), 1)
		self.assertEqual(self.row(name).status, "Sent")

	def test_a_message_whose_job_was_lost_is_sent_by_the_sweep(self):
		name = self.send(text="perdido", phone=CUSTOMER).json()["message"]["name"]
		from frappe.utils.background_jobs import get_queue

		queue = get_queue(outbound.QUEUE)
		queue.empty()  # as if Redis had lost it
		frappe.db.sql(
			"update `tabWhatsApp Message` set modified = %s where name = %s",
			(now_datetime() - timedelta(minutes=5), name),
		)
		frappe.db.commit()
		outbound.send_due()
		self.assertIn(name, {job.kwargs.get("kwargs", {}).get("name") for job in queue.get_jobs()})
		self.settle(1)
		self.assertEqual(self.row(name).status, "Sent")
		self.assertEqual(len(self.hub.sent_messages(self.session_id)), 1)

	def test_sharing_a_conversation_does_not_let_an_outsider_send_from_its_number(self):
		self.send(text="hola", phone=CUSTOMER)
		frappe.db.commit()
		contact = frappe.db.get_value("WhatsApp Contact", {"session": self.session_id}, "name")
		frappe.share.add_docshare(
			"WhatsApp Contact", contact, self.outsider, read=1, flags={"ignore_share_permission": 1}
		)
		frappe.db.commit()
		self.assertEqual(self.send(user=self.outsider, text="hola", contact=contact).status_code, 403)
		mark = self.call_as(self.outsider, "xappiens_whatsapp.api.conversations.mark_read", contact=contact)
		self.assertEqual(mark.status_code, 403)

	def test_a_long_text_is_measured_as_the_gateway_measures_it(self):
		response = self.send(text="😀" * 2049, phone=CUSTOMER)  # 2049 characters, 4098 UTF-16 units
		self.assertEqual(response.status_code, 417)
		self.assertIn("4096", response.text)

	def test_two_submits_in_flight_with_one_client_ref_answer_with_one_message(self):
		from concurrent.futures import ThreadPoolExecutor

		# prepared here: the threads have no Frappe context of their own
		url = f"{self.server.url}/api/method/{MSG}.send_message"
		headers = {
			**self.server.headers,
			"Authorization": api_token(self.agent),
			"Accept": "application/json",
		}
		data = {"text": "doble clic", "phone": CUSTOMER, "client_ref": "ref-race"}
		with ThreadPoolExecutor(2) as pool:
			answers = list(
				pool.map(lambda _: requests.post(url, data=data, headers=headers, timeout=60), range(2))
			)
		self.assertEqual([a.status_code for a in answers], [200, 200], [a.text[:300] for a in answers])
		names = {a.json()["message"]["name"] for a in answers}
		self.assertEqual(len(names), 1)
		self.assertEqual(frappe.db.count("WhatsApp Message", {"client_ref": "ref-race"}), 1)

	def test_client_refs_belong_to_their_sender(self):
		mine = self.send(text="uno", phone=CUSTOMER, client_ref="ref-shared").json()["message"]["name"]
		other_agent = make_agent("xwt-second-sender@example.com")
		frappe.get_doc("WhatsApp Session", self.session_id).append(
			"allowed_users", {"user": other_agent}
		).save(ignore_permissions=True)
		frappe.db.commit()
		theirs = self.send(user=other_agent, text="dos", phone=CUSTOMER, client_ref="ref-shared")
		self.assertEqual(theirs.status_code, 200, theirs.text)
		self.assertNotEqual(theirs.json()["message"]["name"], mine)

	def test_message_sent_webhook_racing_the_send_response_stays_one_row(self):
		# The gateway posts message.sent (and acks) for our own send; whichever lands first, one row remains.
		self.hub.configure(emit_message_sent=True, auto_ack=True)
		name = self.send(text="una sola fila", phone=CUSTOMER).json()["message"]["name"]
		self.settle()
		message_id = self.hub.sent_messages(self.session_id)[0]["whatsappMessageId"]
		frappe.db.commit()
		rows = frappe.get_all(
			"WhatsApp Message", filters={"session": self.session_id}, fields=["name", "message_id"]
		)
		self.assertEqual(rows, [{"name": name, "message_id": message_id}])
		self.assertEqual(self.row(name).status, "Read")

	def test_the_same_client_ref_twice_is_one_message(self):
		first = self.send(text="uno", phone=CUSTOMER, client_ref="ref-double")
		second = self.send(text="uno", phone=CUSTOMER, client_ref="ref-double")
		self.assertEqual(first.json()["message"]["name"], second.json()["message"]["name"])
		self.settle(1)
		self.assertEqual(len(self.hub.sent_messages(self.session_id)), 1)

	def test_reply_to_a_conversation_and_send_a_file(self):
		self.send(text="primero", phone=CUSTOMER)
		self.settle(1)
		frappe.db.commit()
		contact = frappe.db.get_value("WhatsApp Contact", {"session": self.session_id}, "name")
		file = self.upload("presupuesto.pdf", b"%PDF-1.4 presupuesto")
		response = self.call_as(
			self.agent, f"{MSG}.send_file", file_url=file.file_url, contact=contact, caption="Aquí lo tienes"
		)
		self.assertEqual(response.status_code, 200, response.text)
		self.settle(1)
		media = self.requests()[-1]["json"]
		self.assertEqual(media["type"], "document")
		self.assertEqual(media["message"]["document"]["fileName"], "presupuesto.pdf")
		self.assertEqual(media["message"]["caption"], "Aquí lo tienes")
		self.assertTrue(media["message"]["document"]["base64"])

	def test_clear_errors_before_anything_is_queued(self):
		cases = {
			"not a number": dict(text="x", phone="12"),
			"empty": dict(text="   ", phone=CUSTOMER),
		}
		for label, data in cases.items():
			with self.subTest(label):
				self.assertEqual(self.send(**data).status_code, 417)
		frappe.db.set_value("WhatsApp Session", self.session_id, "status", "Disconnected")
		frappe.db.commit()
		response = self.send(text="hola", phone=CUSTOMER)
		self.assertEqual(response.status_code, 417)
		self.assertIn("not connected", response.text)
		self.assertEqual(frappe.db.count("WhatsApp Message", {"session": self.session_id}), 0)

	def test_file_too_large(self):
		configure_settings(base_url=self.hub.url, api_key=API_KEY, max_file_mb=1)
		file = self.upload("big.bin", b"0" * (1024 * 1024 + 10))
		response = self.call_as(self.agent, f"{MSG}.send_file", file_url=file.file_url, phone=CUSTOMER)
		self.assertEqual(response.status_code, 417)
		self.assertIn("MB", response.text)

	def test_agents_send_only_from_their_sessions(self):
		response = self.send(user=self.outsider, text="hola", phone=CUSTOMER, session=self.session_id)
		self.assertEqual(response.status_code, 403)
		self.send(text="hola", phone=CUSTOMER)
		frappe.db.commit()
		contact = frappe.db.get_value("WhatsApp Contact", {"session": self.session_id}, "name")
		self.assertEqual(self.send(user=self.outsider, text="hola", contact=contact).status_code, 403)

	def test_a_rejected_send_fails_with_the_reason_and_can_be_retried(self):
		self.hub.fail("/api/messages/*/send", 422, error="Invalid recipient", code="VALIDATION_ERROR")
		name = self.send(text="hola", phone=CUSTOMER).json()["message"]["name"]
		self.settle(1)
		row = self.row(name)
		self.assertEqual(row.status, "Failed")
		self.assertIn("Invalid recipient", row.failure_reason)
		response = self.call_as(self.agent, f"{MSG}.retry_message", message=name)
		self.assertEqual(response.status_code, 200, response.text)
		self.settle(1)
		row = self.row(name)
		self.assertEqual(row.status, "Sent")
		self.assertIsNone(row.failure_reason)

	def test_a_timeout_after_the_gateway_accepted_does_not_send_twice(self):
		self.hub.accept_then_timeout("/api/messages/*/send", seconds=6)
		name = self.send(text="solo una vez", phone=CUSTOMER).json()["message"]["name"]
		self.settle(1)
		row = self.row(name)
		self.assertEqual((row.status, row.outcome_uncertain), ("Pending", 1))
		self.assertIsNotNone(row.next_attempt_at)
		# the retry is due: it must find the message in the gateway's history instead of sending again
		frappe.db.set_value(
			"WhatsApp Message", name, "next_attempt_at", now_datetime() - timedelta(seconds=1)
		)
		frappe.db.commit()
		self.assertEqual(outbound.send_due(), 1)
		self.settle(1)
		self.assertEqual(len(self.hub.sent_messages(self.session_id)), 1)
		row = self.row(name)
		self.assertEqual((row.status, row.outcome_uncertain), ("Sent", 0))
		self.assertEqual(row.message_id, self.hub.sent_messages(self.session_id)[0]["whatsappMessageId"])

	def test_the_session_rate_queues_instead_of_dropping(self):
		configure_settings(base_url=self.hub.url, api_key=API_KEY, send_rate_per_minute=2)
		names = [self.send(text=f"mensaje {i}", phone=CUSTOMER).json()["message"]["name"] for i in range(3)]
		self.settle(1)
		self.assertEqual(len(self.hub.sent_messages(self.session_id)), 2)
		waiting = self.row(names[2])
		self.assertEqual(waiting.status, "Pending")
		self.assertIsNotNone(waiting.next_attempt_at)
		# a minute later the slot is free again
		frappe.db.sql(
			"update `tabWhatsApp Message` set last_attempt_at = last_attempt_at - interval 2 minute where session=%s",
			self.session_id,
		)
		frappe.db.set_value("WhatsApp Message", names[2], "next_attempt_at", now_datetime())
		frappe.db.commit()
		outbound.send_due()
		self.settle(1)
		bodies = [m["body"] for m in self.hub.sent_messages(self.session_id)]
		self.assertEqual(bodies, [f"mensaje {i}" for i in range(3)])

	def test_gateway_rate_limit_reschedules(self):
		self.hub.fail(
			"/api/messages/*/send", 429, retry_after=120, error="Too many", code="MESSAGE_RATE_LIMIT_EXCEEDED"
		)
		name = self.send(text="despacio", phone=CUSTOMER).json()["message"]["name"]
		self.settle(1)
		row = self.row(name)
		self.assertEqual((row.status, row.send_attempts), ("Pending", 0))
		self.assertGreater(row.next_attempt_at, now_datetime() + timedelta(seconds=60))

	def test_opening_a_conversation_reads_it_here_and_on_the_phone(self):
		self.hub.receive(self.session_id, CUSTOMER, "¿Hay alguien?")
		self.hub.receive(self.session_id, CUSTOMER, "Hola")
		self.settle(1)
		frappe.db.commit()
		contact = frappe.db.get_value(
			"WhatsApp Contact", {"session": self.session_id}, ["name", "unread_count"], as_dict=True
		)
		self.assertEqual(contact.unread_count, 2)
		response = self.call_as(
			self.agent, "xappiens_whatsapp.api.conversations.mark_read", contact=contact.name
		)
		self.assertEqual(response.status_code, 200, response.text)
		self.settle(1)
		frappe.db.commit()
		self.assertEqual(frappe.db.get_value("WhatsApp Contact", contact.name, "unread_count"), 0)
		self.assertEqual(
			set(frappe.get_all("WhatsApp Message", filters={"contact": contact.name}, pluck="status")),
			{"Read"},
		)
		self.assertEqual(len(self.hub.requests_to(f"/api/messages/{self.session_id}/*/read", "PUT")), 1)

	def test_conversation_pages_for_agents(self):
		for i in range(5):
			self.hub.receive(self.session_id, CUSTOMER, f"m{i}")
		self.settle(1)
		frappe.db.commit()
		contact = frappe.db.get_value("WhatsApp Contact", {"session": self.session_id}, "name")
		get = "xappiens_whatsapp.api.conversations.get_messages"
		page = self.call_as(self.agent, get, "GET", contact=contact, limit=3).json()["message"]
		self.assertEqual([m["body"] for m in page], ["m2", "m3", "m4"])
		older = self.call_as(self.agent, get, "GET", contact=contact, limit=3, before=page[0]["name"]).json()[
			"message"
		]
		self.assertEqual([m["body"] for m in older], ["m0", "m1"])
		self.assertEqual(self.call_as(self.outsider, get, "GET", contact=contact).status_code, 403)
		listed = self.call_as(
			self.outsider, "xappiens_whatsapp.api.conversations.list_conversations", "GET"
		).json()
		self.assertNotIn(contact, json.dumps(listed))

	def test_a_local_error_is_retried_then_fails_instead_of_looping(self):
		file = self.upload("gone.pdf", b"%PDF-1.4 will vanish")
		contact = self.send(text="hola", phone=CUSTOMER).json()["message"]["contact"]
		self.settle(1)
		name = self.call_as(self.agent, f"{MSG}.send_file", file_url=file.file_url, contact=contact).json()[
			"message"
		]["name"]
		import os

		os.remove(file.get_full_path())
		for _ in range(3):
			self.settle(1)
			frappe.db.set_value(
				"WhatsApp Message", name, "next_attempt_at", now_datetime() - timedelta(seconds=1)
			)
			frappe.db.commit()
			outbound.send_due()
		row = self.row(name)
		self.assertEqual(row.status, "Failed")
		self.assertIn("FileNotFoundError", row.failure_reason)
		self.assertEqual(row.send_attempts, 3)
		self.assertEqual(len(self.hub.sent_messages(self.session_id)), 1)  # only the text went out

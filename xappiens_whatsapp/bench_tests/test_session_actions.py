"""Managers link a number from the desk: create on the gateway → QR by webhook → scan → Connected, and the rest
of the session actions, against the fake gateway over real HTTP."""

import threading
import time

import frappe
import requests

from xappiens_whatsapp.bench_tests.base import (
	WEBHOOK_PATH,
	api_token,
	capture_realtime,
	make_agent,
	make_user,
	run_worker,
)
from xappiens_whatsapp.bench_tests.test_outbound import API_KEY, OutboundCase
from xappiens_whatsapp.pipeline.realtime import managers as realtime_managers

SESSIONS = "xappiens_whatsapp.api.sessions"


class TestSessionActions(OutboundCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.manager = make_user("xwt-manager@example.com", "WhatsApp Manager")

	def setUp(self):
		super().setUp()
		self.hub.sessions.pop(self.session_id, None)  # this session starts unknown to the gateway
		frappe.db.set_value("WhatsApp Session", self.session_id, {"status": "Disconnected", "gateway_id": 0})
		frappe.db.commit()

	def act(self, action: str, user=None, http="POST", **data):
		return self.call_as(
			user or self.manager, f"{SESSIONS}.{action}", http, session=self.session_id, **data
		)

	def session(self):
		frappe.db.commit()
		return frappe.get_doc("WhatsApp Session", self.session_id)

	def test_link_a_phone_from_create_to_connected(self):
		response = self.act("create_on_gateway")
		self.assertEqual(response.status_code, 200, response.text)
		on_gateway = self.hub.session(self.session_id)
		self.assertEqual(on_gateway["webhookUrl"], self.server.url + WEBHOOK_PATH)
		self.assertEqual(on_gateway["webhookSecret"], self.session().get_password("webhook_secret"))
		self.assertIn("message.ack", on_gateway["webhookEvents"])
		self.assertEqual(self.session().gateway_id, on_gateway["id"])

		# connecting makes the gateway post session.qr, signed with the secret it was given
		self.settle(1)
		session = self.session()
		self.assertEqual(session.status, "QR Code Required")
		qr = self.act("get_qr").json()["message"]
		self.assertTrue(qr["qr"])
		self.assertIsNotNone(qr["expires_at"])

		self.hub.scan(self.session_id, "34600000002")
		self.settle(1)
		session = self.session()
		self.assertEqual(
			(session.status, session.phone_number, session.qr_code), ("Connected", "+34600000002", None)
		)
		self.assertIsNone(self.act("get_qr").json()["message"]["qr"])

	def test_actions_follow_the_gateway(self):
		self.act("create_on_gateway")
		self.hub.scan(self.session_id)
		self.settle(1)
		self.assertEqual(self.act("disconnect").json()["message"]["status"], "Disconnected")
		self.assertEqual(self.session().status, "Disconnected")
		self.assertIn(self.act("restart").status_code, (200,))
		self.hub.update_session(self.session_id, status="connected", isConnected=False)
		self.assertEqual(self.act("refresh_status").json()["message"]["status"], "Disconnected")
		self.hub.update_session(self.session_id, status="connected", isConnected=True)
		self.assertEqual(self.act("refresh_status").json()["message"]["status"], "Connected")

	def test_rotation_keeps_events_flowing(self):
		self.act("create_on_gateway")
		old = self.session().get_password("webhook_secret")
		response = self.act("rotate_secret")
		self.assertEqual(response.status_code, 200, response.text)
		session = self.session()
		new = session.get_password("webhook_secret")
		self.assertNotEqual(new, old)
		self.assertEqual(session.get_password("previous_webhook_secret"), old)
		self.assertEqual(self.hub.session(self.session_id)["webhookSecret"], new)
		# an event signed with either secret still lands
		self.assertEqual(
			self.post_event(
				{"event": "webhook.test", "sessionId": self.session_id, "data": {"nonce": "a"}}, old
			).status_code,
			200,
		)
		self.assertEqual(
			self.post_event(
				{"event": "webhook.test", "sessionId": self.session_id, "data": {"nonce": "b"}}, new
			).status_code,
			200,
		)

	def test_a_rotation_the_gateway_refuses_changes_nothing(self):
		self.act("create_on_gateway")
		before = self.session().get_password("webhook_secret")
		self.hub.fail("/api/sessions/*/webhook", 400, error="Invalid webhook", times=None)
		self.assertEqual(self.act("rotate_secret").status_code, 417)
		session = self.session()
		self.assertEqual(session.get_password("webhook_secret"), before)
		self.assertEqual(self.hub.session(self.session_id)["webhookSecret"], before)

	def test_the_new_secret_is_stored_before_the_gateway_signs_with_it(self):
		# The gateway's answer to the switch is lost: it may sign with either secret now, and both are accepted.
		self.act("create_on_gateway")
		old = self.session().get_password("webhook_secret")
		self.hub.accept_then_timeout("/api/sessions/*/webhook", seconds=6, method="PUT", times=None)
		self.assertEqual(self.act("rotate_secret").status_code, 417)
		new = self.hub.session(self.session_id)["webhookSecret"]
		self.assertNotEqual(new, old)
		for secret, nonce in ((old, "before"), (new, "after")):
			with self.subTest(secret="old" if secret == old else "new"):
				event = {"event": "webhook.test", "sessionId": self.session_id, "data": {"nonce": nonce}}
				self.assertEqual(self.post_event(event, secret).status_code, 200)

	def test_an_answer_overtaken_by_a_webhook_does_not_undo_it(self):
		self.act("create_on_gateway")
		self.settle(1)
		secret = self.session().get_password("webhook_secret")
		late = self.hub.slow("/api/sessions/*/connect", 3.0)  # the answer ("connecting") comes late
		url = f"{self.server.url}/api/method/{SESSIONS}.connect"
		headers = {
			**self.server.headers,
			"Authorization": api_token(self.manager),
			"Accept": "application/json",
		}
		answer = {}
		caller = threading.Thread(
			target=lambda: answer.update(
				response=requests.post(url, data={"session": self.session_id}, headers=headers, timeout=60)
			)
		)
		caller.start()
		# Once the request has asked the gateway (and waits for its answer), the phone links.
		deadline = time.monotonic() + 20
		while not late.hits and time.monotonic() < deadline:
			time.sleep(0.02)
		self.assertEqual(late.hits, 1)
		connected = {
			"event": "session.connected",
			"sessionId": self.session_id,
			"data": {"phoneNumber": "34600000002"},
			"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
		}
		self.assertEqual(self.post_event(connected, secret).status_code, 200)
		run_worker()
		caller.join(30)
		self.assertEqual(answer["response"].status_code, 200)
		self.assertEqual(self.session().status, "Connected")

	def test_send_test_event_goes_through_the_real_path(self):
		with capture_realtime() as realtime:
			nonce = self.act("send_test_event").json()["message"]["nonce"]
			run_worker()  # the job posts the signed event to this site's public URL
			run_worker()  # and the event's own job applies it
		status = self.act("test_event_status", http="GET", nonce=nonce).json()["message"]
		self.assertEqual(
			(status["posted"], status["http_status"], status["status"]), (True, 200, "Processed")
		)
		# The form follows it live: posted, then processed, told to managers only.
		stages = [
			m["message"] for m in realtime.events("xw_test_event") if m["room"] == f"user:{self.manager}"
		]
		self.assertEqual(
			[(m["stage"], m["nonce"], m["session"]) for m in stages],
			[("posted", nonce, self.session_id), ("processed", nonce, self.session_id)],
		)
		self.assertEqual(stages[0]["http_status"], 200)
		agents = {f"user:{u}" for u in frappe.get_all("Has Role", {"role": "WhatsApp Agent"}, pluck="parent")}
		managers = {f"user:{u}" for u in realtime_managers()}
		self.assertFalse(realtime.rooms("xw_test_event") & (agents - managers))
		self.assertTrue(realtime.rooms("xw_test_event") <= managers)

	def test_create_is_safe_to_press_again_after_a_lost_answer(self):
		# The gateway makes the session but its answer never comes: pressing once more must adopt it.
		self.hub.accept_then_timeout("/api/sessions", seconds=6, method="POST")
		response = self.act("create_on_gateway")
		self.assertEqual(response.status_code, 200, response.text)
		self.assertEqual(len(self.hub.requests_to("/api/sessions", "POST")), 1)  # adopted, not made twice
		on_gateway = self.hub.session(self.session_id)
		session = self.session()
		self.assertEqual(session.gateway_id, on_gateway["id"])
		self.assertEqual(on_gateway["webhookSecret"], session.get_password("webhook_secret"))
		self.assertEqual(on_gateway["webhookUrl"], self.server.url + WEBHOOK_PATH)

	def test_a_session_the_gateway_already_has_is_adopted_with_a_fresh_secret(self):
		before = self.session().get_password("webhook_secret")
		self.hub.add_session(
			self.session_id, webhook_url="https://elsewhere.example/hook", webhook_secret="x" * 24
		)
		response = self.act("create_on_gateway")
		self.assertEqual(response.status_code, 200, response.text)
		on_gateway, session = self.hub.session(self.session_id), self.session()
		secret = session.get_password("webhook_secret")
		self.assertNotIn(secret, (before, "x" * 24))
		self.assertEqual(on_gateway["webhookSecret"], secret)
		self.assertEqual(on_gateway["webhookUrl"], self.server.url + WEBHOOK_PATH)
		self.assertEqual(session.gateway_id, on_gateway["id"])

	def test_a_failed_connect_keeps_the_session_usable(self):
		self.hub.fail("/api/sessions/*/connect", 400, error="Cannot connect now", times=1)
		response = self.act("create_on_gateway")
		self.assertEqual(response.status_code, 417)
		self.assertIn("Cannot connect now", response.text)
		on_gateway, session = self.hub.session(self.session_id), self.session()
		# what the gateway now signs with, and the id to act on, were kept despite the error
		self.assertEqual(session.gateway_id, on_gateway["id"])
		self.assertEqual(on_gateway["webhookSecret"], session.get_password("webhook_secret"))
		self.assertEqual(self.act("connect").status_code, 200)
		self.settle(1)
		self.assertEqual(self.session().status, "QR Code Required")

	def test_an_answer_without_a_status_leaves_the_status_alone(self):
		self.act("create_on_gateway")
		self.hub.scan(self.session_id)
		self.settle(1)
		self.assertEqual(self.session().status, "Connected")
		self.hub.fail("/api/sessions/*/restart", 200, body={"success": True, "message": "Restarting"})
		response = self.act("restart")
		self.assertEqual(response.json()["message"]["status"], "Connected")
		self.assertEqual(self.session().status, "Connected")

	def test_the_qr_is_fetched_from_the_gateway_and_kept(self):
		self.act("create_on_gateway")
		frappe.db.set_value("WhatsApp Session", self.session_id, {"qr_code": None, "qr_expires_at": None})
		frappe.db.commit()
		qr = self.act("get_qr").json()["message"]
		self.assertTrue(qr["qr"])
		self.assertEqual(self.session().qr_code, qr["qr"])  # kept: the next call does not ask again
		asked = len(self.hub.requests_to("/api/sessions/*/qr", "GET"))
		self.act("get_qr")
		self.assertEqual(len(self.hub.requests_to("/api/sessions/*/qr", "GET")), asked)
		self.assertEqual(self.act("get_qr", http="GET").status_code, 403)  # it writes: POST only

	def test_only_managers_manage_sessions(self):
		agent = make_agent("xwt-sender@example.com")
		for action in ("create_on_gateway", "connect", "disconnect", "rotate_secret", "send_test_event"):
			with self.subTest(action):
				self.assertEqual(self.act(action, user=agent).status_code, 403)
		self.assertEqual(self.act("get_qr", user=agent).status_code, 403)

	def test_gateway_errors_are_shown_clearly(self):
		# a 409 for a session the gateway cannot then list, with the request's key echoed back
		self.hub.fail(
			"/api/sessions", 409, error=f"Session already exists (key {API_KEY})", code="SESSION_EXISTS"
		)
		response = self.act("create_on_gateway")
		self.assertEqual(response.status_code, 417)
		self.assertIn("Session already exists", response.text)
		self.assertNotIn(API_KEY, response.text)
		self.assertIn("***", response.text)

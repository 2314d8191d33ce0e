"""What a holder of one secret, a customer or an outsider can do to WhatsApp traffic, over real HTTP and a real
worker: take over another session, replay a captured delivery, exhaust the limits, reach another chat's messages,
or get a secret written to a log."""

import json
import time

import frappe
import requests
from frappe.utils import now_datetime
from frappe.utils.background_jobs import get_queue

from xappiens_whatsapp.bench_tests.base import (
	DEFAULT_SECRET,
	XWTestCase,
	configure_settings,
	event,
	rejections,
	run_worker,
)
from xappiens_whatsapp.bench_tests.test_faults import side_server
from xappiens_whatsapp.core.signatures import sign
from xappiens_whatsapp.testing.payloads import compact, inbox_hub

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg"
API_KEY = "xwt-inbox-hub-api-key-0123456789"
CUSTOMER_B = "34600000002@c.us"
CUSTOMER_C = "34600000003@c.us"


def received(message_id: str, chat: str, body: str = "hola", **data) -> dict:
	payload = inbox_hub("g_message_received")
	payload["data"].update(
		id={
			"fromMe": False,
			"remote": chat,
			"id": message_id,
			"_serialized": f"false_{chat}_{message_id}_in",
		},
		body=body,
		**{"from": chat},
		**data,
	)
	return payload


def sent(message_id: str, chat: str, body: str = "su presupuesto") -> dict:
	payload = inbox_hub("g_message_sent")
	payload["data"].update(
		id={"fromMe": True, "remote": chat, "id": message_id, "_serialized": f"true_{chat}_{message_id}_out"},
		body=body,
		to=chat,
	)
	return payload


class TestHostileSenders(XWTestCase):
	session_id = "xwt_target"

	def setUp(self):
		from frappe.deferred_insert import save_to_db

		self.cleanup()
		configure_settings()
		self.make_session()
		save_to_db()  # errors Frappe filed earlier are stored before this test's time starts
		frappe.db.commit()
		self.since = now_datetime()

	def deliver(self, payload: dict, secret: str | None = None, **kw) -> requests.Response:
		payload = {**payload, "sessionId": self.session_id}
		if "timestamp" in payload:
			payload["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
		return self.post_event(payload, secret, **kw)

	def stored_counts(self) -> tuple:
		"""What a refusal could write: inbox rows, rejection counters, error rows."""
		frappe.db.commit()
		return (
			frappe.db.count("Inbound Webhook"),
			frappe.db.sql("select count(*), coalesce(sum(`count`), 0) from `tabWebhook Rejection`")[0],
			frappe.db.count("Error Log"),
		)

	def messages(self, **filters) -> list[dict]:
		frappe.db.commit()
		return frappe.get_all(
			"WhatsApp Message",
			filters={"session": self.session_id, **filters},
			fields=[
				"name",
				"contact",
				"chat_jid",
				"from_me",
				"message_id",
				"body",
				"message_type",
				"media_url",
				"status",
				"reactions",
			],
			order_by="creation asc",
		)

	# ---------------------------------------------------------------- item 1: exact session identity

	def test_a_padded_or_malformed_session_id_is_refused_before_any_query(self):
		"""A holder of the default secret names the session that has a secret of its own, padded or decorated so
		that no stored session matches it: refused before anything reads the database, nothing stored."""
		padded = self.session_id + " " * 200 + "x"
		for label, claim in {
			"padded past the column": padded,
			"trailing space": self.session_id + " ",
			"too long": "x" * 101,
			"too short": "ab",
			"lone surrogate": "\ud800abc",
			"markup": "<img src=x>",
		}.items():
			with self.subTest(label):
				body = compact(event("g_session_qr", self.session_id)).replace(
					json.dumps(self.session_id).encode(), json.dumps(claim).encode(), 1
				)
				in_header = self.post_event(
					body, DEFAULT_SECRET, headers={"X-Webhook-Session": self.session_id}
				)
				self.assertEqual(in_header.status_code, 401, in_header.text)
		self.assertEqual(rejections("bad_session_id"), 6)
		self.assertEqual(self.inbound(session_id=self.session_id), [])
		self.assertIsNone(frappe.db.get_value("WhatsApp Session", self.session_id, "qr_code"))

		# in process, with Frappe's cached settings warm: not a single query before the refusal
		from werkzeug.test import EnvironBuilder
		from werkzeug.wrappers import Request

		from xappiens_whatsapp.api import webhook

		raw = compact(event("g_session_qr", self.session_id))
		headers = {"X-Webhook-Session": padded, "X-Webhook-Signature": sign(raw, DEFAULT_SECRET)}
		frappe.local.request = Request(EnvironBuilder(method="POST", data=raw, headers=headers).get_environ())
		self.addCleanup(setattr, frappe.local, "request", None)
		webhook.receive()  # warms the settings cache
		with self.assertQueryCount(0):
			self.assertEqual(webhook.receive().status_code, 401)

	def test_the_default_secret_cannot_act_as_a_session_with_its_own_or_a_case_variant_of_it(self):
		"""Signed with the default secret: the session's own id, and the same id in other letter case (which the
		database would match), are both refused; no QR reaches the session, no session is made."""
		qr = event("g_session_qr", self.session_id, qrCode="data:image/png;base64," + PNG)
		self.assertEqual(self.deliver(qr, DEFAULT_SECRET).status_code, 401)
		variant = self.session_id.upper()
		as_variant = event("g_session_qr", variant, qrCode="data:image/png;base64," + PNG)
		response = self.post_event(as_variant, DEFAULT_SECRET, headers={"X-Webhook-Session": variant})
		self.assertEqual(response.status_code, 401, response.text)
		self.assertEqual(rejections("no_secret"), 1)
		run_worker()
		frappe.db.commit()
		self.assertIsNone(frappe.db.get_value("WhatsApp Session", self.session_id, "qr_code"))
		self.assertEqual(
			frappe.get_all("WhatsApp Session", filters={"name": variant}, pluck="name"), [self.session_id]
		)
		# The session's own secret still works, for the id exactly as stored.
		self.assertEqual(self.deliver(qr).status_code, 200)

	def test_the_worker_applies_an_event_to_its_exact_session_only(self):
		"""A row stored for an unknown session id, whose case variant a manager then creates: the worker does not
		apply it to that other session."""
		self.make_session(secret="")
		ghost = "xwt_ghost"
		response = self.post_event(
			event("g_session_connected", ghost), DEFAULT_SECRET, headers={"X-Webhook-Session": ghost}
		)
		self.assertEqual(response.status_code, 200, response.text)
		self.make_session(ghost.upper())
		run_worker()
		row = self.inbound(session_id=ghost)[0]
		self.assertEqual(
			(row.status, row.note),
			("Ignored", "Another session's id differs from this one only in letter case"),
		)
		self.assertEqual(frappe.db.get_value("WhatsApp Session", ghost.upper(), "status"), "Disconnected")

	# ---------------------------------------------------------------- item 5: replays need a signed time

	def test_a_captured_session_event_replayed_with_a_fresh_header_is_one_delivery(self):
		"""A body without any time of its own: the unsigned header time must not make a replay a new event."""
		body = event("g_session_disconnected", self.session_id)
		del body["timestamp"], body["data"]["timestamp"]
		raw = compact(body)
		first = self.post_event(raw, headers={"X-Webhook-Session": self.session_id})
		replay = self.post_event(
			raw, headers={"X-Webhook-Session": self.session_id}, timestamp_ms=int(time.time() * 1000) + 60_000
		)
		self.assertEqual((first.status_code, replay.status_code), (200, 200))
		self.assertTrue(replay.json()["duplicate"])
		self.assertEqual(len(self.inbound(session_id=self.session_id)), 1)
		# A body that does carry its time is refused once that time is past the tolerance, whatever the header.
		old = event("g_session_connected", self.session_id)
		old["timestamp"] = "2025-10-14T06:30:00.000Z"
		self.assertEqual(self.post_event(old).status_code, 401)

	# ---------------------------------------------------------------- item 7: limits that do not drop real traffic

	def test_a_verified_burst_is_never_limited_and_a_flood_of_refusals_is_without_database_writes(self):
		configure_settings(webhook_rate_limit=20)
		self.addCleanup(configure_settings)
		burst = []
		for i in range(60):  # three times the limit, from one address
			payload = event("g_message_ack", self.session_id, messageId=f"3EB0BURST{i:013d}", ack=2)
			burst.append(self.post_event(payload).status_code)
		self.assertEqual(burst, [200] * 60)
		self.assertEqual(len(self.inbound(session_id=self.session_id)), 60)

		stored = self.stored_counts()
		raw = compact(event("g_message_ack", self.session_id))
		flood = [
			self.post_event(
				raw, signature="sha256=" + "0" * 64, headers={"X-Webhook-Session": self.session_id}
			).status_code
			for _ in range(40)
		]
		self.assertEqual(flood, [401] * 20 + [429] * 20)
		self.assertEqual(self.stored_counts(), stored, "a refused request writes nothing to the database")
		# Past the limit, the provider's own deliveries still get through.
		self.assertEqual(
			self.post_event(event("g_message_ack", self.session_id, messageId="3EB0AFTERFLOOD")).status_code,
			200,
		)
		# An unreadable body from the same caller is refused the same way (Frappe answers it before our endpoint).
		self.assertEqual(
			self.post_event(
				b'{"event": ', signature="sha256=00", headers={"X-Webhook-Session": self.session_id}
			).status_code,
			429,
		)
		self.assertEqual(rejections("bad_signature"), 41)

	# ---------------------------------------------------------------- item 8: one chat cannot reach another

	def test_a_customer_cannot_touch_another_chats_message_by_its_id(self):
		"""The business replies to C; customer B then sends messages and a reaction carrying that reply's id: each
		is B's own, and C's reply is unchanged."""
		reply_id = "3EB0REPLYTOC0000000001"
		self.assertEqual(self.deliver(sent(reply_id, CUSTOMER_C)).status_code, 200)
		run_worker()
		(reply,) = self.messages(message_id=reply_id)
		attacks = [
			received(
				reply_id,
				CUSTOMER_B,
				"gotcha",
				type="image",
				hasMedia=True,
				mediaUrl="https://evil.example/x.jpg",
			),
			received(reply_id.lower(), CUSTOMER_B, "gotcha again"),
			{
				"event": "message.received",
				"data": {
					"key": {
						"remoteJid": "34600000002@s.whatsapp.net",
						"fromMe": False,
						"id": "3EB0REACTB000000001",
					},
					"message": {
						"reactionMessage": {
							"key": {
								"remoteJid": "34600000003@s.whatsapp.net",
								"fromMe": True,
								"id": reply_id,
							},
							"text": "💩",
							"senderTimestampMs": str(int(time.time() * 1000)),
						}
					},
				},
				"timestamp": "now",
			},
			received("3EB0QUOTEB0000000001", CUSTOMER_B, "quoting", quotedMsgId=reply_id),
		]
		for payload in attacks:
			self.assertEqual(self.deliver(payload).status_code, 200)
		# an ack with that id can only be about our own message
		self.assertEqual(
			self.deliver(event("g_message_ack", self.session_id, messageId=reply_id, ack=3)).status_code, 200
		)
		run_worker()

		after = {m.name: m for m in self.messages()}
		ours = after[reply.name]
		self.assertEqual(
			(ours.body, ours.message_type, ours.media_url, ours.contact),
			("su presupuesto", "text", None, reply.contact),
		)
		self.assertIn(ours.reactions, (None, "", "{}"))
		self.assertEqual(ours.status, "Read")  # the ack did reach our message
		b_messages = [m for m in after.values() if m.contact != reply.contact]
		self.assertEqual(sorted(m.body for m in b_messages), ["gotcha", "quoting"])
		# the same id in other letter case, in B's own conversation, is refused rather than merged into "gotcha"
		again = [r for r in self.inbound(session_id=self.session_id) if "gotcha again" in (r.payload or "")]
		self.assertEqual(
			(again[0].status, again[0].note),
			("Ignored", "A message of this conversation has the same id in another letter case"),
		)
		self.assertTrue(all(not m.from_me for m in b_messages))
		# B's reaction and quote reach B's own message with that id, never C's
		gotcha = next(m for m in b_messages if m.body == "gotcha")
		self.assertIn("💩", gotcha.reactions or "")
		from xappiens_whatsapp.api.conversations import get_messages

		quoting = next(m for m in get_messages(gotcha.contact) if m.body == "quoting")
		self.assertEqual(quoting["quoted"].body, "gotcha")

	# ---------------------------------------------------------------- item 4: secrets never reach a log

	def webhook_via(self, url: str, payload: dict) -> requests.Response:
		raw = compact(payload)
		return requests.post(
			url + "/api/method/xappiens_whatsapp.api.webhook.handle_webhook",
			data=raw,
			headers={
				"Content-Type": "application/json",
				"X-Webhook-Session": self.session_id,
				"X-Webhook-Timestamp": str(int(time.time() * 1000)),
				"X-Webhook-Signature": sign(raw, self.session_secret),
			},
			timeout=30,
		)

	def error_logs(self) -> list[dict]:
		from frappe.deferred_insert import save_to_db

		save_to_db()  # Frappe files a web request's errors a moment later
		frappe.db.commit()
		return frappe.get_all(
			"Error Log", filters={"creation": [">=", self.since]}, fields=["error", "method"]
		)

	def test_errors_while_verifying_or_storing_leave_no_secret_in_any_log(self):
		payload = event("g_message_received", self.session_id)
		with side_server(XW_FAULT="verify") as url:
			self.assertEqual(self.webhook_via(url, payload).status_code, 503)
		self.assertEqual(self.error_logs(), [], "an unverified request leaves no Error Log row")

		with side_server(XW_FAULT="store") as url:
			self.assertEqual(self.webhook_via(url, payload).status_code, 503)
		logged = self.error_logs()
		self.assertTrue(any("storing a verified delivery broke" in row.error for row in logged), logged)

		# a job that fails while holding the gateway client and the session's signers
		configure_settings(base_url="http://127.0.0.1:9", api_key=API_KEY)
		self.addCleanup(configure_settings)
		frappe.enqueue(FAILING_JOB, queue="short", session=self.session_id)
		frappe.db.commit()
		run_worker()
		queue = get_queue("short")
		ours = [queue.fetch_job(job_id) for job_id in queue.failed_job_registry.get_job_ids()]
		ours = [job for job in ours if job and job.kwargs.get("method") == FAILING_JOB]
		self.addCleanup(lambda: [queue.failed_job_registry.remove(job, delete_job=True) for job in ours])
		recorded = [f"{job.exc_info} {job.args!r} {job.kwargs!r}" for job in ours]
		self.assertTrue(any("failed holding secrets" in text for text in recorded), recorded)
		logged = self.error_logs()
		self.assertTrue(any("failed holding secrets" in row.error for row in logged))
		for text in [*(row.error for row in logged), *recorded]:
			for secret in (self.session_secret, DEFAULT_SECRET, API_KEY):
				self.assertNotIn(secret, text)


FAILING_JOB = "xappiens_whatsapp.bench_tests.test_hostile_senders.fail_holding_secrets"


def fail_holding_secrets(session: str) -> None:
	"""A job that breaks with the gateway client and the session's signers in its frames."""
	from xappiens_whatsapp.pipeline.whatsapp import webhook_signers as signing
	from xappiens_whatsapp.pipeline.whatsapp.gateway import inbox_hub

	client = inbox_hub()
	signers = signing.webhook_signers(session)
	assert client and signers
	raise RuntimeError("failed holding secrets")

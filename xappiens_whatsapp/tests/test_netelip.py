"""Netelip end to end over real HTTP: hostile and good callbacks, inbound calls, click-to-call, timeouts, alerts."""

import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import frappe

from xappiens_whatsapp.pipeline import netelip_timeouts
from xappiens_whatsapp.testing.fake_netelip import FakeNetelip
from xappiens_whatsapp.tests.base import (
	XWTestCase,
	capture_realtime,
	configure_settings,
	make_agent,
	make_user,
	run_worker,
)

TOKEN = "netelip-callback-token-0123456789"
API_TOKEN = "netelip-api-token-for-tests"
APP = "API xwt"
CONTROL = "/api/method/xappiens_whatsapp.api.netelip.control"
REPORT = "/api/method/xappiens_whatsapp.api.netelip.report"
CUSTOMER = "+34600000001"
AGENT_NUMBER = "+34910000001"


def madrid(moment: datetime | None = None) -> str:
	return (moment or datetime.now(UTC)).astimezone(ZoneInfo("Europe/Madrid")).strftime("%Y-%m-%d %H:%M:%S")


def call_id() -> str:
	return f"{int(time.time())}.{time.perf_counter_ns() % 10000:04d}"


class NetelipCase(XWTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.netelip = FakeNetelip(token=API_TOKEN, application=APP).start()
		# a CRM agent: WhatsApp and calls, plus Frappe's own role for reading contacts
		cls.agent = make_user("xwt-caller@example.com", "WhatsApp Agent", "Sales User")
		cls.other_agent = make_agent("xwt-other-caller@example.com")

	@classmethod
	def tearDownClass(cls):
		cls.netelip.stop()
		cleanup_calls()
		super().tearDownClass()

	def setUp(self):
		cleanup_calls()
		self.netelip.reset()
		configure_settings()
		configure_netelip(self.netelip.url)

	def control(self, fields: dict, token: str | None = TOKEN, headers: dict | None = None, **kw):
		query = f"?token={token}" if token is not None else ""
		return self.post(CONTROL + query, data=fields, headers=headers, **kw)

	def report(self, calls: list[dict], token: str = TOKEN):
		return self.post(REPORT + f"?token={token}", files={"calls": (None, json.dumps(calls))})

	def inbound_fields(self, cid: str, **extra) -> dict:
		return {
			"ID": cid,
			"api": APP,
			"src": "600000001",
			"dst": AGENT_NUMBER.lstrip("+"),
			"startcall": madrid(),
			"typesrc": "did",
			"usersrc": "600000001",
			**extra,
		}

	def call(self, cid: str) -> dict:
		frappe.db.commit()
		return frappe.db.get_value("Netelip Call", {"call_id": cid}, ["*"], as_dict=True)

	def rejections(self, reason: str) -> int:
		frappe.db.commit()
		return sum(
			frappe.get_all(
				"Webhook Rejection", filters={"provider": "Netelip", "reason": reason}, pluck="count"
			)
		)


def configure_netelip(base_url: str, **overrides) -> None:
	doc = frappe.get_single("Netelip Settings")
	values = {
		"api_base_url": base_url + "/v1",
		"api_token": API_TOKEN,
		"api_application": APP,
		"caller_id": "34910000000",
		"webhook_token": TOKEN,
		"allowed_sources": "",
		"trusted_proxies": "",
		"no_answer_timeout": 30,
		"only_registered_numbers": 1,
		"alert_on_failed": 1,
		"alert_on_no_answer": 1,
		"create_callback_todo": 0,
		"whatsapp_followup": 0,
		"followup_session": None,
		"inbound_extension": "",
		"agents": [{"user": "xwt-caller@example.com", "extension": "101", "number": AGENT_NUMBER}],
		"allowed_numbers": [],
		**overrides,
	}
	for field in ("agents", "allowed_numbers"):
		doc.set(field, values.pop(field))
	doc.update(values)
	doc.save(ignore_permissions=True)
	frappe.db.commit()


def cleanup_calls() -> None:
	calls = frappe.get_all("Netelip Call", pluck="name")
	frappe.db.delete("ToDo", {"reference_type": "Netelip Call"})
	frappe.db.delete("Notification Log", {"document_type": "Netelip Call"})
	frappe.db.delete("Netelip Call", {"name": ["in", calls or [""]]})
	frappe.db.delete("Inbound Webhook", {"provider": "Netelip"})
	frappe.db.delete("Webhook Rejection", {"provider": "Netelip"})
	frappe.db.delete("Contact", {"last_name": "xwt-netelip"})
	frappe.db.commit()


class TestNetelipOrigin(NetelipCase):
	def test_missing_or_wrong_token_is_401_and_counted(self):
		fields = self.inbound_fields(call_id())
		for token in (None, "", "wrong-token-0123456789", TOKEN + "x"):
			with self.subTest(token=token):
				response = self.control(fields, token=token)
				self.assertEqual(response.status_code, 401)
				self.assertEqual(response.json(), {"success": False, "error": "Unauthorized"})
		self.assertEqual(self.rejections("bad_token"), 4)
		self.assertEqual(self.inbound(provider="Netelip"), [])

	def test_token_in_a_header_is_accepted(self):
		response = self.control(
			self.inbound_fields(call_id()), token=None, headers={"X-Netelip-Token": TOKEN}
		)
		self.assertEqual(response.status_code, 200, response.text)

	def test_address_allowlist_believes_forwarded_for_only_from_trusted_proxies(self):
		configure_netelip(self.netelip.url, allowed_sources="203.0.113.0/24")
		fields = self.inbound_fields(call_id())
		spoofed = self.control(fields, headers={"X-Forwarded-For": "203.0.113.5"})
		self.assertEqual(spoofed.status_code, 403)
		configure_netelip(self.netelip.url, allowed_sources="203.0.113.0/24", trusted_proxies="127.0.0.1")
		via_proxy = self.control(fields, headers={"X-Forwarded-For": "198.51.100.9, 203.0.113.5"})
		self.assertEqual(via_proxy.status_code, 200, via_proxy.text)
		outsider = self.control(
			self.inbound_fields(call_id()), headers={"X-Forwarded-For": "203.0.113.5, 198.51.100.9"}
		)
		self.assertEqual(outsider.status_code, 403)
		self.assertEqual(self.rejections("bad_origin"), 2)

	def test_foreign_application_and_bad_ids(self):
		self.assertEqual(self.control(self.inbound_fields(call_id(), api="Another app")).status_code, 403)
		for bad in ("", "abc", "12", "1.2.3", "1e10"):
			with self.subTest(id=bad):
				self.assertEqual(self.control(self.inbound_fields(bad)).status_code, 400)

	def test_json_multipart_and_form_bodies_all_work(self):
		fields = self.inbound_fields(call_id())
		as_json = self.post(
			CONTROL + f"?token={TOKEN}", data=json.dumps(fields), headers={"Content-Type": "application/json"}
		)
		self.assertEqual(as_json.status_code, 200, as_json.text)
		fields = self.inbound_fields(call_id())
		multipart = self.post(CONTROL + f"?token={TOKEN}", files={k: (None, v) for k, v in fields.items()})
		self.assertEqual(multipart.status_code, 200, multipart.text)
		self.assertEqual(len(self.inbound(provider="Netelip")), 2)

	def test_hostile_bodies_get_4xx_never_500(self):
		bodies = {
			"malformed json": (b'{"ID": "1.2", ', {"Content-Type": "application/json"}),
			"json scalar": (b"42", {"Content-Type": "application/json"}),
			"huge": (b"x=" + b"a" * (600 * 1024), {"Content-Type": "application/x-www-form-urlencoded"}),
			"deep": (b"[" * 50_000 + b"]" * 50_000, {"Content-Type": "application/json"}),
			"binary": (b"\xff\xfe\x00\x01garbage", {"Content-Type": "application/octet-stream"}),
		}
		for label, (body, headers) in bodies.items():
			with self.subTest(label):
				response = self.post(CONTROL + f"?token={TOKEN}", data=body, headers=headers)
				self.assertIn(response.status_code, (400, 413), response.text[:200])
				bad_token = self.post(CONTROL + "?token=nope-nope-nope-nope", data=body, headers=headers)
				self.assertIn(bad_token.status_code, (401, 413))
		self.assertEqual(frappe.db.count("Netelip Call"), 0)

	def test_retried_callbacks_store_nothing_new(self):
		fields = self.inbound_fields(call_id())
		first, again = self.control(fields), self.control(fields)
		self.assertEqual((first.status_code, again.status_code), (200, 200))
		self.assertEqual(first.json(), again.json())
		self.assertEqual(len(self.inbound(provider="Netelip")), 1)


class TestNetelipCalls(NetelipCase):
	def test_inbound_call_rings_its_agent_and_ends_completed(self):
		cid = call_id()
		with capture_realtime() as capture:
			answer = self.control(self.inbound_fields(cid)).json()
			self.assertEqual(answer, {"command": "dial", "options": "extension,101,30,calling,7200"})
			run_worker()
		call = self.call(cid)
		self.assertEqual((call.direction, call.status, call.agent), ("Inbound", "Ringing", self.agent))
		self.assertEqual(call.customer_number, CUSTOMER)
		popups = capture.events("xw_call_popup")
		self.assertEqual({e["room"] for e in popups}, {f"user:{self.agent}"})
		self.assertNotIn(f"user:{self.other_agent}", {e["room"] for e in capture.messages})

		answered = self.control(self.inbound_fields(cid, statuscall="ANSWER", command="dial", status="OK"))
		self.assertEqual(answered.json(), {"command": "hangup"})
		run_worker()
		self.assertEqual(self.call(cid).status, "Answered")

		cdr = {
			**self.inbound_fields(cid),
			"statuscall": "ANSWER",
			"durationcall": "75",
			"durationcallanswered": "61",
		}
		self.assertEqual(self.report([cdr]).json()["accepted"], 1)
		self.assertEqual(self.report([cdr]).json()["duplicates"], 1)
		run_worker()
		call = self.call(cid)
		self.assertEqual(
			(call.status, call.duration, call.talk_time, call.raw_status), ("Completed", 75, 61, "ANSWER")
		)
		self.assertIsNotNone(call.answered_at)
		self.assertEqual(frappe.db.count("Netelip Call", {"call_id": cid}), 1)

	def test_click_to_call_round_trip(self):
		crm = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Ana",
				"last_name": "xwt-netelip",
				"phone_nos": [{"phone": "600 00 00 01", "is_primary_mobile_no": 1}],
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		response = self.call_as(self.agent, "xappiens_whatsapp.api.calls.click_to_call", contact=crm.name)
		self.assertEqual(response.status_code, 200, response.text)
		name = response.json()["message"]["call"]
		row = frappe.db.get_value("Netelip Call", name, ["*"], as_dict=True)
		self.assertEqual(
			(row.direction, row.status, row.agent, row.customer_number),
			("Outbound", "Initiated", self.agent, CUSTOMER),
		)
		self.assertEqual(row.contact, crm.name)

		run_worker()  # the launch
		launch = self.netelip.launches[-1]
		sent = self.netelip.requests_to("/v1/voice", "POST")[-1]["form"]
		self.assertEqual(
			{k: sent[k] for k in ("token", "api", "dst", "typedst", "userdata", "duration")},
			{
				"token": API_TOKEN,
				"api": APP,
				"dst": "101",
				"typedst": "extension",
				"userdata": row.userdata,
				"duration": "7200",
			},
		)
		cid = launch["ID"]
		frappe.db.commit()  # see what the worker wrote
		self.assertEqual(frappe.db.get_value("Netelip Call", name, "call_id"), cid)

		# the agent picks up: Netelip asks what to do, and we dial the customer
		status, answer = self.netelip.callback_control(
			self.server.url + CONTROL + f"?token={TOKEN}", self.netelip.call_fields()
		)
		self.assertEqual(status, 200)
		self.assertEqual(answer["command"], "dial")
		self.assertEqual(answer["options"], "pstn,0034600000001,30,calling,7200")
		run_worker()
		self.assertEqual(self.call(cid).status, "Ringing")
		self.netelip.callback_control(
			self.server.url + CONTROL + f"?token={TOKEN}",
			self.netelip.call_fields(statuscall="ANSWER", status="OK"),
		)
		self.netelip.post_report(
			self.server.url + REPORT + f"?token={TOKEN}",
			[self.netelip.call_fields(statuscall="ANSWER", durationcall="40", durationcallanswered="33")],
		)
		run_worker()
		call = self.call(cid)
		self.assertEqual((call.name, call.status, call.talk_time), (name, "Completed", 33))

	def test_click_to_call_refuses_unknown_numbers_and_agents_without_a_line(self):
		refused = self.call_as(self.agent, "xappiens_whatsapp.api.calls.click_to_call", number="+34699999999")
		self.assertEqual(refused.status_code, 417)
		self.assertIn("not registered", refused.text)
		configure_netelip(self.netelip.url, allowed_numbers=[{"number": "699999999"}])
		allowed = self.call_as(self.agent, "xappiens_whatsapp.api.calls.click_to_call", number="699 99 99 99")
		self.assertEqual(allowed.status_code, 200, allowed.text)
		invalid = self.call_as(self.agent, "xappiens_whatsapp.api.calls.click_to_call", number="12")
		self.assertEqual(invalid.status_code, 417)
		no_line = self.call_as(
			self.other_agent, "xappiens_whatsapp.api.calls.click_to_call", number="+34699999999"
		)
		self.assertEqual(no_line.status_code, 417)
		self.assertIn("extension", no_line.text)

	def test_a_failed_launch_fails_the_call_and_alerts_the_agent(self):
		configure_netelip(
			self.netelip.url, api_token="not-the-right-token", allowed_numbers=[{"number": "699999999"}]
		)
		name = self.call_as(
			self.agent, "xappiens_whatsapp.api.calls.click_to_call", number="699999999"
		).json()["message"]["call"]
		run_worker()
		frappe.db.commit()
		row = frappe.db.get_value("Netelip Call", name, ["status", "launch_error", "alerted"], as_dict=True)
		self.assertEqual((row.status, row.alerted), ("Failed", 1))
		self.assertTrue(row.launch_error)
		self.assertNotIn("not-the-right-token", row.launch_error)
		self.assertEqual(
			frappe.db.count("Notification Log", {"document_name": name, "for_user": self.agent}), 1
		)

	def test_unanswered_call_times_out_alerts_once_and_yields_to_a_late_real_event(self):
		configure_netelip(self.netelip.url, create_callback_todo=1)
		cid = call_id()
		self.control(self.inbound_fields(cid, startcall=madrid(datetime.now(UTC) - timedelta(minutes=2))))
		run_worker()
		with capture_realtime() as capture:
			self.assertEqual(netelip_timeouts.run(), 1)
			self.assertEqual(netelip_timeouts.run(), 0)
		call = self.call(cid)
		self.assertEqual((call.status, call.status_inferred, call.alerted), ("No Answer", 1, 1))
		self.assertEqual({e["room"] for e in capture.events("xw_call_popup")}, {f"user:{self.agent}"})
		frappe.db.commit()
		self.assertEqual(
			frappe.db.count("Notification Log", {"document_name": call.name, "for_user": self.agent}), 1
		)
		todo = frappe.db.get_value(
			"ToDo", call.callback_todo, ["allocated_to", "reference_name"], as_dict=True
		)
		self.assertEqual((todo.allocated_to, todo.reference_name), (self.agent, call.name))

		# Netelip's answer arrives late: the real event wins over our guess
		self.control(self.inbound_fields(cid, statuscall="ANSWER", status="OK"))
		run_worker()
		call = self.call(cid)
		self.assertEqual((call.status, call.status_inferred), ("Answered", 0))
		self.assertEqual(frappe.db.count("Notification Log", {"document_name": call.name}), 1)

	def test_missed_call_can_send_a_whatsapp_text(self):
		self.make_session()
		frappe.db.set_value("WhatsApp Session", self.session_id, "status", "Connected")
		frappe.db.commit()
		configure_netelip(
			self.netelip.url,
			whatsapp_followup=1,
			followup_session=self.session_id,
			followup_text="Te llamamos enseguida",
		)
		cid = call_id()
		self.control(self.inbound_fields(cid))
		self.report(
			[
				{
					**self.inbound_fields(cid),
					"statuscall": "NOANSWER",
					"durationcall": "30",
					"durationcallanswered": "0",
				}
			]
		)
		run_worker("short")  # the events only; the follow-up send job waits in its queue
		call = self.call(cid)
		self.assertEqual(call.status, "No Answer")
		message = frappe.db.get_value(
			"WhatsApp Message", call.followup_message, ["body", "from_me", "client_ref"], as_dict=True
		)
		self.assertEqual(
			(message.body, message.from_me, message.client_ref),
			("Te llamamos enseguida", 1, f"missed-call-{call.name}"),
		)
		self.assertEqual(
			frappe.db.get_value("WhatsApp Contact", {"session": self.session_id}, "phone"), CUSTOMER
		)

	def test_agents_see_their_calls_and_unassigned_ones_only(self):
		mine, nobodys = call_id(), call_id()
		self.control(self.inbound_fields(mine))
		self.control(self.inbound_fields(nobodys, dst="34910000099"))
		other = frappe.get_doc(
			{
				"doctype": "Netelip Call",
				"direction": "Inbound",
				"call_id": call_id(),
				"agent": "Administrator",
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		run_worker()
		listed = self.call_as(
			self.agent, "frappe.client.get_list", "GET", doctype="Netelip Call", fields='["call_id"]'
		)
		seen = {r["call_id"] for r in listed.json()["message"]}
		self.assertEqual(seen, {mine, nobodys})
		self.assertEqual(
			self.call_as(
				self.agent, "xappiens_whatsapp.api.calls.get_call", "GET", call=other.name
			).status_code,
			403,
		)

	def test_report_with_a_bad_record_keeps_the_good_ones(self):
		good = {**self.inbound_fields(call_id()), "statuscall": "BUSY", "durationcall": "5"}
		response = self.report([good, {"ID": "not-an-id"}, {"nothing": 1}])
		self.assertEqual(response.status_code, 200, response.text)
		self.assertEqual((response.json()["accepted"], response.json()["rejected"]), (1, 2))
		run_worker()
		self.assertEqual(self.call(good["ID"]).status, "Busy")
		ignored = self.inbound(provider="Netelip", status="Ignored")
		self.assertEqual(len(ignored), 1)
		self.assertIn("record 1", ignored[0].note)

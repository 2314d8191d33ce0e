"""Netelip end to end over real HTTP: hostile and good callbacks, inbound calls, click-to-call, timeouts, alerts."""

import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import frappe

from xappiens_whatsapp.bench_tests import own_rows
from xappiens_whatsapp.bench_tests.base import (
	XWTestCase,
	capture_realtime,
	configure_settings,
	make_agent,
	make_user,
	rejections,
	run_worker,
)
from xappiens_whatsapp.core.call_state import FINAL_RECORD_GRACE_S, RING_GRACE_S
from xappiens_whatsapp.pipeline.netelip import call_rate, click_to_call, missed_call_texts, timeouts
from xappiens_whatsapp.testing.fake_netelip import FakeNetelip
from xappiens_whatsapp.testing.references import remove_references

TOKEN = "netelip-callback-token-0123456789"
API_TOKEN = "netelip-api-token-for-tests"
APP = "API xwt"
CONTROL = "/api/method/xappiens_whatsapp.api.netelip.control"
REPORT = "/api/method/xappiens_whatsapp.api.netelip.report"
CLICK = "xappiens_whatsapp.api.calls.click_to_call"
CUSTOMER = "+34600000001"
AGENT_NUMBER = "+34910000001"
MANAGER = "xwt-call-manager@example.com"
RING = 30  # no_answer_timeout in these tests, hence the ring time of every dial


def madrid(moment: datetime | None = None) -> str:
	return (moment or datetime.now(UTC)).astimezone(ZoneInfo("Europe/Madrid")).strftime("%Y-%m-%d %H:%M:%S")


def call_id() -> str:
	return f"{int(time.time())}.{time.perf_counter_ns() % 10000:04d}"


def later(seconds: float) -> datetime:
	return datetime.now(UTC) + timedelta(seconds=seconds)


class NetelipCase(XWTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.netelip = FakeNetelip(token=API_TOKEN, application=APP).start()
		# a CRM agent: WhatsApp and calls, plus Frappe's own role for reading contacts
		cls.agent = make_user("xwt-caller@example.com", "WhatsApp Agent", "Sales User")
		cls.other_agent = make_agent("xwt-other-caller@example.com")
		cls.manager = make_user(MANAGER)

	@classmethod
	def tearDownClass(cls):
		cls.netelip.stop()
		cleanup_calls()
		super().tearDownClass()

	def setUp(self):
		cleanup_calls()
		for user in (self.agent, self.other_agent):
			call_rate.forget(user)  # each test starts with a fresh hourly allowance of calls
		missed_call_texts.forget([CUSTOMER])  # and as if no missed-call text had been sent today
		self.netelip.reset()
		configure_settings()
		configure_netelip(self.netelip.url)

	def control(self, fields: dict, token: str | None = TOKEN, headers: dict | None = None, **kw):
		query = f"?token={token}" if token is not None else ""
		return self.post(CONTROL + query, data=fields, headers=headers, **kw)

	def report(self, calls: list[dict], token: str = TOKEN, api: str | None = None):
		parts = {"calls": (None, json.dumps(calls))}
		if api is not None:
			parts["api"] = (None, api)
		return self.post(REPORT + f"?token={token}", files=parts)

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

	def row(self, name: str) -> dict:
		frappe.db.commit()
		return frappe.db.get_value("Netelip Call", name, ["*"], as_dict=True)

	def rejections(self, reason: str) -> int:
		return rejections(reason, "Netelip")

	def alerts_for(self, name: str, user: str) -> list[dict]:
		frappe.db.commit()
		return frappe.get_all(
			"Notification Log", filters={"document_name": name, "for_user": user}, fields=["subject", "read"]
		)

	# ---- click-to-call helpers

	def crm_contact(self, phone: str = "600 00 00 01") -> str:
		doc = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Ana",
				"last_name": "xwt-netelip",
				"phone_nos": [{"phone": phone, "is_primary_mobile_no": 1}],
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		return doc.name

	def forget_whatsapp_contact(self, whatsapp_id: str) -> None:
		names = frappe.get_all(
			"WhatsApp Contact", filters={"session": self.session_id, "whatsapp_id": whatsapp_id}, pluck="name"
		)
		frappe.db.delete("WhatsApp Message", {"contact": ["in", names or [""]]})
		frappe.db.delete("WhatsApp Contact", {"name": ["in", names or [""]]})
		frappe.db.commit()

	def click(self, user: str | None = None, **args):
		return self.call_as(user or self.agent, CLICK, **args)

	def launched_call(self, **args) -> tuple[str, str]:
		"""Click, let the worker launch it: (our row, Netelip's call ID)."""
		response = self.click(**(args or {"contact": self.crm_contact()}))
		self.assertEqual(response.status_code, 200, response.text)
		name = response.json()["message"]["call"]
		run_worker()
		return name, self.netelip.launches[-1]["ID"]

	def netelip_posts(self, fields: dict | None = None, **overrides) -> tuple[int, dict]:
		"""Netelip calling our control URL about the call it launched last (or with exactly `fields`)."""
		return self.netelip.callback_control(
			self.server.url + CONTROL + f"?token={TOKEN}", fields or self.netelip.call_fields(**overrides)
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
		"no_answer_timeout": RING,
		"max_call_seconds": 7200,
		"alert_on_failed": 1,
		"alert_on_no_answer": 1,
		"create_callback_todo": 0,
		"whatsapp_followup": 0,
		"followup_session": None,
		"inbound_extension": "",
		"agents": [{"user": "xwt-caller@example.com", "extension": "101", "number": AGENT_NUMBER}],
		"allowed_numbers": [],
		"allowed_countries": "",
		"calls_per_agent_per_hour": 20,
		"followups_per_hour": 30,
		"alert_recipients": [],
		**overrides,
	}
	for field in ("agents", "allowed_numbers", "alert_recipients"):
		doc.set(field, values.pop(field))
	doc.update(values)
	doc.save(ignore_permissions=True)
	frappe.db.commit()


def cleanup_calls() -> None:
	"""Remove the calls, inbox rows and refusal counts made since the previous clean-up, and nothing older."""
	previous = own_rows.sweep("netelip")
	calls = own_rows.made_since("Netelip Call", previous)
	remove_references("Netelip Call", calls)
	frappe.db.delete("Netelip Call", {"name": ["in", calls or [""]]})
	own_rows.forget_deleted("Netelip Call", previous)
	deliveries = own_rows.made_since("Inbound Webhook", previous, provider="Netelip")
	remove_references("Inbound Webhook", deliveries)
	frappe.db.delete("Inbound Webhook", {"name": ["in", deliveries or [""]]})
	own_rows.restore_counters()
	# The phone rows too: a later Contact of the same name would find them as its own.
	frappe.db.delete("Contact Phone", {"parenttype": "Contact", "parent": ["like", "%xwt-netelip%"]})
	frappe.db.delete("Contact", {"last_name": "xwt-netelip"})
	frappe.db.commit()


def own_calls(**filters) -> list[dict]:
	"""The calls made since the last clean-up (this test's), with `fields`."""
	fields = filters.pop("fields", ["name"])
	frappe.db.commit()
	return frappe.get_all(
		"Netelip Call",
		filters={**filters, "creation": (">=", own_rows.since("netelip"))},
		fields=fields,
	)


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

	def test_no_callback_token_configured_lets_nobody_in(self):
		configure_netelip(self.netelip.url, webhook_token="")
		for token in (TOKEN, "", None):
			with self.subTest(token=token):
				self.assertEqual(self.control(self.inbound_fields(call_id()), token=token).status_code, 401)
		self.assertEqual(self.report([self.inbound_fields(call_id())], token="").status_code, 401)
		self.assertEqual(self.rejections("bad_token"), 4)
		self.assertEqual(self.inbound(provider="Netelip"), [])

	def test_no_application_configured_lets_nobody_in(self):
		configure_netelip(self.netelip.url, api_application="")
		fields = self.inbound_fields(call_id())
		self.assertEqual(self.control(fields).status_code, 403)
		self.assertEqual(self.control({**fields, "api": ""}).status_code, 403)
		self.assertEqual(self.report([fields]).status_code, 403)
		self.assertEqual(self.rejections("no_application"), 3)
		self.assertEqual(self.inbound(provider="Netelip"), [])

	def test_token_in_a_header_is_accepted(self):
		response = self.control(
			self.inbound_fields(call_id()), token=None, headers={"X-Netelip-Token": TOKEN}
		)
		self.assertEqual(response.status_code, 200, response.text)

	def test_only_the_documented_header_carries_the_token(self):
		response = self.control(
			self.inbound_fields(call_id()), token=None, headers={"X-Webhook-Token": TOKEN}
		)
		self.assertEqual(response.status_code, 401)
		self.assertEqual(self.rejections("bad_token"), 1)

	def test_outside_the_allowlist_the_answer_is_the_same_whatever_the_token(self):
		configure_netelip(self.netelip.url, allowed_sources="203.0.113.0/24")
		fields = self.inbound_fields(call_id())
		answers = [
			self.control(fields, token=TOKEN),
			self.control(fields, token="wrong-token-0123456789"),
			self.control(fields, token=None),
			self.report([fields], token="wrong-token-0123456789"),
		]
		self.assertEqual([a.status_code for a in answers], [403] * 4)
		self.assertEqual({a.text for a in answers}, {answers[0].text})
		self.assertEqual((self.rejections("bad_origin"), self.rejections("bad_token")), (4, 0))
		self.assertEqual(self.inbound(provider="Netelip"), [])

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

	def test_forged_forwarded_for_neither_dodges_nor_spends_anothers_quota(self):
		"""Refusals are counted against the real peer, whatever X-Forwarded-For claims; Netelip's own callbacks
		are never limited, even from a caller past its limit."""
		from frappe.utils import now_datetime

		from xappiens_whatsapp.pipeline.inbox.rejections import _caller_key

		minute = now_datetime().strftime("%Y%m%d%H%M")
		keys = {ip: _caller_key("Netelip", ip, minute) for ip in ("127.0.0.1", "203.0.113.7", "203.0.113.8")}
		frappe.cache.delete(*keys.values())  # this minute's earlier refusals, from other tests
		self.addCleanup(configure_settings)
		configure_settings(webhook_rate_limit=3)
		codes = [
			self.control(
				self.inbound_fields(call_id()),
				token="forged-token-0123456789",
				headers={"X-Forwarded-For": f"203.0.113.{7 + i % 2}"},
			).status_code
			for i in range(4)
		]
		self.assertEqual(codes, [401, 401, 401, 429])
		self.assertEqual(int(frappe.cache.get(keys["127.0.0.1"])), 4)
		self.assertIsNone(frappe.cache.get(keys["203.0.113.7"]))
		self.assertIsNone(frappe.cache.get(keys["203.0.113.8"]))
		self.assertEqual(self.control(self.inbound_fields(call_id())).status_code, 200)

	def test_foreign_application_and_bad_ids(self):
		self.assertEqual(self.control(self.inbound_fields(call_id(), api="Another app")).status_code, 403)
		self.assertEqual(self.rejections("bad_application"), 1)
		without = self.inbound_fields(call_id())
		without.pop("api")
		self.assertEqual(self.control(without).status_code, 403)
		self.assertEqual(self.rejections("missing_application"), 1)
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
		self.assertEqual(len(own_calls()), 0)

	def test_retried_callbacks_store_nothing_new(self):
		fields = self.inbound_fields(call_id())
		first, again = self.control(fields), self.control(fields)
		self.assertEqual((first.status_code, again.status_code), (200, 200))
		self.assertEqual(first.json(), again.json())
		self.assertEqual(len(self.inbound(provider="Netelip")), 1)


class TestNetelipReports(NetelipCase):
	def test_records_without_api_take_the_deliverys_own_or_are_refused(self):
		cid = call_id()
		self.control(self.inbound_fields(cid))
		record = {**self.inbound_fields(cid), "statuscall": "BUSY", "durationcall": "5"}
		record.pop("api")
		status, body = self.netelip.post_report(self.server.url + REPORT + f"?token={TOKEN}", [record])
		self.assertEqual(status, 403, body)
		self.assertEqual(self.rejections("missing_application"), 1)
		status, body = self.netelip.post_report(
			self.server.url + REPORT + f"?token={TOKEN}", [record], api="Another app"
		)
		self.assertEqual(status, 403, body)
		self.assertEqual(self.rejections("bad_application"), 1)
		self.assertEqual(len(self.inbound(provider="Netelip")), 1)  # only the control POST

		status, body = self.netelip.post_report(
			self.server.url + REPORT + f"?token={TOKEN}", [record], api=APP
		)
		self.assertEqual((status, json.loads(body)["accepted"]), (200, 1), body)
		run_worker()
		self.assertEqual(self.call(cid).status, "Busy")

	def test_a_report_mixing_ours_and_others_keeps_ours_and_counts_the_rest(self):
		ours = {**self.inbound_fields(call_id()), "statuscall": "BUSY"}
		no_api = {k: v for k, v in self.inbound_fields(call_id()).items() if k != "api"}
		foreign = self.inbound_fields(call_id(), api="Another app")
		response = self.report([ours, no_api, foreign])
		self.assertEqual(response.status_code, 200, response.text)
		self.assertEqual((response.json()["accepted"], response.json()["rejected"]), (1, 2))
		self.assertEqual((self.rejections("missing_application"), self.rejections("bad_application")), (1, 1))

	def test_report_with_a_bad_record_keeps_the_good_ones(self):
		good = {**self.inbound_fields(call_id()), "statuscall": "BUSY", "durationcall": "5"}
		response = self.report([good, {"ID": "not-an-id", "api": APP}, {"nothing": 1}])
		self.assertEqual(response.status_code, 200, response.text)
		self.assertEqual((response.json()["accepted"], response.json()["rejected"]), (1, 2))
		run_worker()
		self.assertEqual(self.call(good["ID"]).status, "Busy")
		ignored = self.inbound(provider="Netelip", status="Ignored")
		self.assertEqual(len(ignored), 1)
		self.assertIn("record 1", ignored[0].note)

	def test_an_unknown_final_status_is_flagged_and_never_alerts(self):
		cid = call_id()
		self.control(self.inbound_fields(cid))
		run_worker()
		cdr = {**self.inbound_fields(cid), "statuscall": "EXPLODED", "durationcall": "40"}
		self.assertEqual(self.report([cdr]).json()["accepted"], 1)
		run_worker()
		call = self.call(cid)
		self.assertEqual(
			(call.status, call.unknown_status, call.needs_review, call.final_record, call.alerted),
			("Ringing", "EXPLODED", 1, 1, 0),
		)
		self.assertEqual(timeouts.run(later(600)), 0)
		self.assertEqual(self.alerts_for(call.name, self.agent), [])


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
			"hangupcause": "16",
		}
		self.assertEqual(self.report([cdr]).json()["accepted"], 1)
		self.assertEqual(self.report([cdr]).json()["duplicates"], 1)
		run_worker()
		call = self.call(cid)
		self.assertEqual(
			(call.status, call.duration, call.talk_time, call.raw_status, call.status_source),
			("Completed", 75, 61, "ANSWER", "report"),
		)
		self.assertEqual((call.hangup_cause, call.final_record), ("16", 1))
		self.assertIsNotNone(call.answered_at)
		self.assertEqual(frappe.db.count("Netelip Call", {"call_id": cid}), 1)

	def test_an_agent_with_a_number_only_is_reached_on_the_public_network(self):
		configure_netelip(self.netelip.url, agents=[{"user": self.agent, "number": "910 00 00 01"}])
		answer = self.control(self.inbound_fields(call_id())).json()
		self.assertEqual(answer, {"command": "dial", "options": "pstn,0034910000001,30,calling,7200"})

		name, _cid = self.launched_call(contact=self.crm_contact())
		sent = self.netelip.requests_to("/v1/voice", "POST")[-1]["form"]
		self.assertEqual((sent["dst"], sent["typedst"]), ("0034910000001", "pstn"))
		self.assertEqual(self.row(name).agent_line, AGENT_NUMBER)

	def test_click_to_call_round_trip(self):
		crm = self.crm_contact()
		response = self.click(contact=crm)
		self.assertEqual(response.status_code, 200, response.text)
		name = response.json()["message"]["call"]
		row = self.row(name)
		self.assertEqual(
			(row.direction, row.status, row.agent, row.customer_number),
			("Outbound", "Initiated", self.agent, CUSTOMER),
		)
		self.assertEqual(row.contact, crm)

		run_worker()  # the launch
		launch = self.netelip.launches[-1]
		sent = self.netelip.requests_to("/v1/voice", "POST")[-1]["form"]
		self.assertEqual(
			{k: sent[k] for k in ("token", "api", "src", "dst", "typedst", "userdata", "duration")},
			{
				"token": API_TOKEN,
				"api": APP,
				"src": "34910000000",
				"dst": "101",
				"typedst": "extension",
				"userdata": row.userdata,
				"duration": "7200",
			},
		)
		cid = launch["ID"]
		row = self.row(name)
		self.assertEqual((row.call_id, row.launch_unconfirmed), (cid, 0))
		self.assertIsNotNone(row.launched_at)

		# the agent picks up: Netelip asks what to do, and we dial the customer
		status, answer = self.netelip_posts()
		self.assertEqual(status, 200)
		self.assertEqual(answer["command"], "dial")
		self.assertEqual(answer["options"], "pstn,0034600000001,30,calling,7200")
		run_worker()
		self.assertEqual(self.call(cid).status, "Ringing")
		self.assertIsNotNone(self.call(cid).customer_dialled_at)
		# the customer answered, talked and hung up: the dial is over
		status, answer = self.netelip_posts(statuscall="ANSWER", status="OK", command="dial")
		self.assertEqual(answer, {"command": "hangup"})
		self.netelip.post_report(
			self.server.url + REPORT + f"?token={TOKEN}",
			[self.netelip.call_fields(statuscall="ANSWER", durationcall="40", durationcallanswered="33")],
		)
		run_worker()
		call = self.call(cid)
		self.assertEqual((call.name, call.status, call.talk_time), (name, "Completed", 33))
		self.assertEqual(len(own_calls()), 1)
		self.assertEqual(len(self.netelip.launches), 1)

	def test_the_first_control_post_saying_answer_still_dials_the_customer(self):
		name, cid = self.launched_call()
		# the agent's leg was answered: Netelip may say so in that very first POST
		pickup = self.netelip.call_fields(statuscall="ANSWER", description="ANSWER")
		status, answer = self.netelip_posts(pickup)
		self.assertEqual((status, answer["command"]), (200, "dial"), answer)
		self.assertTrue(answer["options"].startswith("pstn,0034600000001,"))
		self.assertEqual(self.netelip_posts(pickup)[1], answer)  # a retry gets the same answer
		run_worker()
		row = self.row(name)
		# the agent answering is not the customer answering: the customer's phone rings now
		self.assertEqual((row.status, row.call_id), ("Ringing", cid))
		self.assertIsNotNone(row.customer_dialled_at)
		# the next POST is the dial's result: nothing more to do
		result = self.netelip_posts(statuscall="ANSWER", durationcall="50", durationcallanswered="20")
		self.assertEqual(result[1], {"command": "hangup"})
		run_worker()
		self.assertEqual(self.row(name).status, "Answered")
		self.assertEqual(len(self.inbound(provider="Netelip")), 2)  # the retry stored nothing new

	def test_a_callback_for_another_leg_joins_the_launched_call(self):
		name, cid = self.launched_call()
		self.netelip_posts()  # the customer is dialled
		leg = call_id()
		status, answer = self.netelip_posts(ID=leg, statuscall="BUSY", durationcall="4")
		self.assertEqual((status, answer), (200, {"command": "hangup"}))
		run_worker()
		self.assertEqual(len(own_calls()), 1)
		row = self.row(name)
		self.assertEqual((row.call_id, row.other_call_ids, row.status), (cid, leg, "Busy"))

	def test_click_to_call_refuses_unknown_numbers_and_agents_without_a_line(self):
		refused = self.click(number="+34699999999")
		self.assertEqual(refused.status_code, 417)
		self.assertIn("not registered", refused.text)
		configure_netelip(self.netelip.url, allowed_numbers=[{"number": "699999999"}])
		allowed = self.click(number="699 99 99 99")
		self.assertEqual(allowed.status_code, 200, allowed.text)
		invalid = self.click(number="12")
		self.assertEqual(invalid.status_code, 417)
		no_line = self.click(self.other_agent, number="+34699999999")
		self.assertEqual(no_line.status_code, 417)
		self.assertIn("extension", no_line.text)

	def test_a_bare_number_is_registered_only_through_records_the_caller_may_read(self):
		self.crm_contact("600 00 00 01")  # readable by Sales Users: the agent, not the other agent
		self.make_session()
		self.addCleanup(self.forget_whatsapp_contact, "34600000002@s.whatsapp.net")
		conversation = frappe.get_doc(
			{
				"doctype": "WhatsApp Contact",
				"session": self.session_id,
				"whatsapp_id": "34600000002@s.whatsapp.net",
				"phone": "+34600000002",
			}
		).insert(ignore_permissions=True)
		frappe.get_doc(  # the customer wrote first
			{
				"doctype": "WhatsApp Message",
				"session": self.session_id,
				"contact": conversation.name,
				"from_me": 0,
				"message_id": "XWTFIRST0001",
				"message_timestamp": frappe.utils.now_datetime(),
				"body": "Hola",
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		# the other agent has no line: "extension" means the number passed, "not registered" that it did not
		for number in ("600 00 00 01", "600 00 00 02"):
			with self.subTest(number=number):
				hidden = self.click(self.other_agent, number=number)
				self.assertEqual(hidden.status_code, 417)
				self.assertIn("not registered", hidden.text)
		session = frappe.get_doc("WhatsApp Session", self.session_id)
		session.append("allowed_users", {"user": self.other_agent})  # now allowed on the conversation
		session.save(ignore_permissions=True)
		frappe.db.commit()
		allowed = self.click(self.other_agent, number="600 00 00 02")
		self.assertEqual(allowed.status_code, 417)
		self.assertIn("extension", allowed.text)
		seen = self.click(number="600 00 00 01")
		self.assertEqual(seen.status_code, 200, seen.text)

	def test_a_number_given_with_a_contact_must_be_that_contacts_and_readable(self):
		crm = self.crm_contact()
		configure_netelip(self.netelip.url, allowed_numbers=[{"number": "699999999"}])
		foreign = self.click(contact=crm, number="+34699999999")
		self.assertEqual(foreign.status_code, 417)
		self.assertIn("not a number of this contact", foreign.text)
		own = self.click(contact=crm, number="600 00 00 01")
		self.assertEqual(own.status_code, 200, own.text)
		self.assertEqual(self.row(own.json()["message"]["call"]).contact, crm)
		# someone who may not read the contact may not call it, with or without a number
		for args in ({"contact": crm}, {"contact": crm, "number": "600000001"}):
			with self.subTest(args=args):
				self.assertEqual(self.click(self.other_agent, **args).status_code, 403)
		self.assertEqual(len(own_calls()), 1)

	def test_missing_configuration_is_refused_before_any_row(self):
		crm = self.crm_contact()
		for missing in ({"api_token": ""}, {"api_application": "", "webhook_token": ""}):
			with self.subTest(missing=missing):
				configure_netelip(self.netelip.url, **missing)
				refused = self.click(contact=crm)
				self.assertEqual(refused.status_code, 417)
				self.assertIn("Netelip Settings", refused.text)
		self.assertEqual(len(own_calls()), 0)

	def test_a_launch_the_job_cannot_make_fails_the_call_with_the_reason(self):
		name = self.click(contact=self.crm_contact()).json()["message"]["call"]
		configure_netelip(self.netelip.url, api_token="")  # gone before the worker runs
		run_worker()
		row = self.row(name)
		self.assertEqual((row.status, row.status_inferred, row.alerted), ("Failed", 0, 1))
		self.assertIn("not launched", row.launch_error)
		self.assertEqual(self.netelip.requests_to("/v1/voice"), [])
		self.assertEqual(len(self.alerts_for(name, self.agent)), 1)

	def test_a_failed_launch_fails_the_call_and_alerts_the_agent(self):
		configure_netelip(
			self.netelip.url, api_token="not-the-right-token", allowed_numbers=[{"number": "699999999"}]
		)
		name = self.click(number="699999999").json()["message"]["call"]
		run_worker()
		row = self.row(name)
		self.assertEqual((row.status, row.alerted, row.raw_status), ("Failed", 1, "401"))
		self.assertTrue(row.launch_error)
		self.assertNotIn("not-the-right-token", row.launch_error)
		self.assertEqual(len(self.alerts_for(name, self.agent)), 1)

	def test_a_launch_answered_500_is_never_sent_again_and_may_still_ring(self):
		self.netelip.fail("/v1/voice", 500)
		name = self.click(contact=self.crm_contact()).json()["message"]["call"]
		run_worker()
		row = self.row(name)
		self.assertEqual((row.status, row.launch_unconfirmed, row.alerted), ("Initiated", 1, 0))
		self.assertIn("may still ring", row.launch_error)
		# whatever runs the launch again, Netelip is not asked twice
		click_to_call.launch(name)
		frappe.enqueue("xappiens_whatsapp.pipeline.netelip.click_to_call.launch", queue="short", name=name)
		frappe.db.commit()
		run_worker()
		self.assertEqual(len(self.netelip.requests_to("/v1/voice", "POST")), 1)
		# it did ring after all: Netelip's callback with our reference finds the call
		cid = call_id()
		status, answer = self.netelip.callback_control(
			self.server.url + CONTROL + f"?token={TOKEN}",
			{**self.inbound_fields(cid, src="101", dst="101", typesrc="ext"), "userdata": row.userdata},
		)
		self.assertEqual((status, answer["command"]), (200, "dial"))
		run_worker()
		self.assertEqual((self.row(name).call_id, self.row(name).status), (cid, "Ringing"))

	def test_a_launch_answered_200_without_a_success_fails_the_call(self):
		self.netelip.fail("/v1/voice", 200, body={"unexpected": "shape"})
		name = self.click(contact=self.crm_contact()).json()["message"]["call"]
		run_worker()
		row = self.row(name)
		self.assertEqual((row.status, row.alerted), ("Failed", 1))

	def test_a_final_record_of_a_further_leg_without_our_reference_joins_the_launched_call(self):
		name, _cid = self.launched_call()
		self.netelip_posts()  # the customer is dialled
		leg = call_id()
		self.netelip_posts(ID=leg, statuscall="ANSWER", durationcall="30", durationcallanswered="25")
		run_worker()
		record = {**self.netelip.call_fields(ID=leg, statuscall="ANSWER", durationcallanswered="25")}
		record.pop("userdata", None)  # the CDR of the leg carries no reference of ours
		self.assertEqual(self.report([record]).status_code, 200)
		run_worker()
		self.assertEqual(len(own_calls()), 1)
		self.assertEqual(self.row(name).status, "Completed")


class TestNetelipTimeoutsAndAlerts(NetelipCase):
	def test_a_click_to_call_not_launched_yet_is_not_timed_out_and_fails_if_never_launched(self):
		# the queue is far behind: the agent clicked, the launch job has not run
		name = self.click(contact=self.crm_contact()).json()["message"]["call"]
		self.assertEqual(timeouts.run(later(RING + RING_GRACE_S + 5)), 0)
		row = self.row(name)
		self.assertEqual((row.status, row.alerted), ("Initiated", 0))
		# minutes later it never ran: the call is failed and said to be, and its late job rings nobody
		self.assertEqual(timeouts.run(later(timeouts.NEVER_LAUNCHED_AFTER_S + 5)), 1)
		row = self.row(name)
		self.assertEqual((row.status, row.alerted, row.status_inferred), ("Failed", 1, 0))
		self.assertIn("never launched", row.launch_error)
		run_worker()
		self.assertEqual(self.netelip.launches, [])

	def test_any_dial_result_hangs_up_an_inbound_leg(self):
		cid = call_id()
		self.assertEqual(self.control(self.inbound_fields(cid)).json()["command"], "dial")
		for result in ("INVALIDARGS", ""):
			with self.subTest(statuscall=result):
				response = self.control(self.inbound_fields(cid, statuscall=result, status="OK"))
				self.assertEqual(response.json(), {"command": "hangup"})  # never the agent rung again

	def test_an_inbound_call_to_a_busy_agent_is_a_missed_call(self):
		cid = call_id()
		self.control(self.inbound_fields(cid))
		self.control(self.inbound_fields(cid, statuscall="BUSY", status="OK"))
		run_worker()
		call = self.call(cid)
		self.assertEqual((call.status, call.alerted), ("Busy", 1))
		[alert] = self.alerts_for(call.name, self.agent)
		self.assertIn("Missed call", alert.subject)

	def test_a_click_to_call_whose_agent_never_picked_up_does_not_blame_the_customer(self):
		name, _cid = self.launched_call()
		self.netelip_posts(statuscall="NOANSWER", status="OK")  # the agent's own phone was not answered
		run_worker()
		self.assertEqual(self.row(name).status, "No Answer")
		[alert] = self.alerts_for(name, self.agent)
		self.assertIn("Your phone did not answer", alert.subject)

	def test_an_answered_call_whose_record_never_comes_ends_inferred_and_yields_to_the_late_record(self):
		cid = call_id()
		self.control(self.inbound_fields(cid))
		self.control(self.inbound_fields(cid, statuscall="ANSWER", status="OK"))
		run_worker()
		self.assertEqual(self.call(cid).status, "Answered")
		longest = 7200  # the configured longest call
		self.assertEqual(timeouts.run(later(longest)), 0)  # they may still be talking
		ended_by = longest + FINAL_RECORD_GRACE_S
		self.assertEqual(timeouts.run(later(ended_by + 5)), 1)
		self.assertEqual(timeouts.run(later(ended_by + 65)), 0)
		call = self.call(cid)
		self.assertEqual((call.status, call.status_inferred, call.alerted), ("Completed", 1, 0))
		self.assertEqual(self.alerts_for(call.name, self.agent), [])
		# the record comes after all: Netelip's word, with its durations, replaces the guess
		self.report(
			[
				{
					**self.inbound_fields(cid),
					"statuscall": "ANSWER",
					"durationcall": "95",
					"durationcallanswered": "80",
				}
			]
		)
		run_worker()
		call = self.call(cid)
		self.assertEqual(
			(call.status, call.status_inferred, call.talk_time, call.final_record), ("Completed", 0, 80, 1)
		)

	def test_unanswered_inbound_call_times_out_alerts_once_and_yields_to_a_late_real_event(self):
		configure_netelip(self.netelip.url, create_callback_todo=1)
		cid = call_id()
		self.control(self.inbound_fields(cid, startcall=madrid(datetime.now(UTC) - timedelta(minutes=2))))
		run_worker()
		# our dial to the agent still has its ring time, although the call started two minutes ago
		self.assertEqual(timeouts.run(later(RING - 5)), 0)
		with capture_realtime() as capture:
			self.assertEqual(timeouts.run(later(RING + RING_GRACE_S + 2)), 1)
			self.assertEqual(timeouts.run(later(RING + RING_GRACE_S + 60)), 0)
		call = self.call(cid)
		self.assertEqual((call.status, call.status_inferred, call.alerted), ("No Answer", 1, 1))
		self.assertEqual({e["room"] for e in capture.events("xw_call_popup")}, {f"user:{self.agent}"})
		self.assertEqual(len(self.alerts_for(call.name, self.agent)), 1)
		todo = frappe.db.get_value(
			"ToDo", call.callback_todo, ["allocated_to", "reference_name", "status"], as_dict=True
		)
		self.assertEqual(
			(todo.allocated_to, todo.reference_name, todo.status), (self.agent, call.name, "Open")
		)

		# Netelip's answer arrives late: the real event wins over our guess, and the alert is withdrawn
		self.control(self.inbound_fields(cid, statuscall="ANSWER", status="OK"))
		run_worker()
		call = self.call(cid)
		self.assertEqual(
			(call.status, call.status_inferred, call.alerted, call.alert_withdrawn), ("Answered", 0, 0, 1)
		)
		self.assertEqual(frappe.db.get_value("ToDo", call.callback_todo, "status"), "Cancelled")
		self.assertEqual([a.read for a in self.alerts_for(call.name, self.agent)], [1])

	def test_click_to_call_counts_from_the_dial_to_the_customer_and_alerts_managers(self):
		configure_netelip(self.netelip.url, create_callback_todo=1, alert_recipients=[{"user": self.manager}])
		frappe.db.set_value("User", self.manager, "language", "es")  # each reads the alert in their language
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.db.set_value, "User", self.manager, "language", None)
		name, _cid = self.launched_call()
		self.netelip_posts()  # the agent picked up; the customer rings from now
		run_worker()
		# past the timeout after the start, but the customer's phone may still be ringing
		self.assertEqual(timeouts.run(later(RING)), 0)
		self.assertEqual(self.row(name).status, "Ringing")
		self.assertEqual(timeouts.run(later(RING + RING_GRACE_S + 2)), 1)
		row = self.row(name)
		self.assertEqual((row.status, row.status_inferred), ("No Answer", 1))
		for user, words in ((self.agent, "did not answer"), (self.manager, "no contestó")):
			with self.subTest(user=user):
				[alert] = self.alerts_for(name, user)
				self.assertIn(words, alert.subject)
		self.assertEqual(frappe.db.get_value("ToDo", row.callback_todo, "allocated_to"), self.agent)

		# the customer did answer: the dial's result comes late, the guess and its to-do go
		self.netelip_posts(statuscall="ANSWER", durationcall="70", durationcallanswered="45")
		run_worker()
		row = self.row(name)
		self.assertEqual((row.status, row.alerted, row.alert_withdrawn), ("Answered", 0, 1))
		self.assertEqual(frappe.db.get_value("ToDo", row.callback_todo, "status"), "Cancelled")
		self.assertEqual({a.read for a in self.alerts_for(name, self.manager)}, {1})

	def test_click_to_call_nobody_picks_up_times_out_from_the_launch(self):
		name, _cid = self.launched_call()
		self.assertEqual(timeouts.run(later(RING + 2)), 0)  # the agent's phone still rings
		self.assertEqual(timeouts.run(later(RING + RING_GRACE_S + 2)), 1)
		self.assertEqual((self.row(name).status, self.row(name).alerted), ("No Answer", 1))

	def test_events_waiting_in_the_inbox_hold_the_timeout(self):
		name, _cid = self.launched_call()
		self.netelip_posts()  # stored, not applied yet: no worker runs
		self.assertEqual(timeouts.run(later(600)), 0)
		self.assertEqual(self.row(name).status, "Initiated")
		run_worker()
		self.assertEqual(self.row(name).status, "Ringing")  # (a fresh read: the worker wrote on its own)
		self.assertEqual(timeouts.run(later(600)), 1)

	def test_a_missed_step_then_a_final_record_with_talk_time_corrects_the_call_and_its_alert(self):
		configure_netelip(self.netelip.url, create_callback_todo=1)
		cid = call_id()
		self.control(self.inbound_fields(cid))
		self.control(self.inbound_fields(cid, statuscall="NOANSWER", durationcall="30"))
		run_worker()
		call = self.call(cid)
		self.assertEqual((call.status, call.alerted), ("No Answer", 1))
		cdr = {
			**self.inbound_fields(cid),
			"statuscall": "ANSWER",
			"durationcall": "95",
			"durationcallanswered": "60",
		}
		self.report([cdr])
		run_worker()
		call = self.call(cid)
		self.assertEqual(
			(call.status, call.needs_review, call.alerted, call.alert_withdrawn), ("Completed", 1, 0, 1)
		)
		self.assertEqual(frappe.db.get_value("ToDo", call.callback_todo, "status"), "Cancelled")

	def test_a_busy_step_is_not_replaced_by_a_weaker_later_step(self):
		cid = call_id()
		self.control(self.inbound_fields(cid, statuscall="BUSY", durationcall="3"))
		run_worker()
		self.control(self.inbound_fields(cid, statuscall="CHANUNAVAIL", durationcall="9"))
		run_worker()
		call = self.call(cid)
		# a busy line on an inbound call is a missed call: alerted once, and not withdrawn by the later step
		self.assertEqual(
			(call.status, call.raw_status, call.needs_review, call.alerted), ("Busy", "BUSY", 1, 1)
		)

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

	def test_no_whatsapp_text_on_a_timeout_guess(self):
		self.make_session()
		frappe.db.set_value("WhatsApp Session", self.session_id, "status", "Connected")
		frappe.db.commit()
		configure_netelip(
			self.netelip.url, whatsapp_followup=1, followup_session=self.session_id, followup_text="Hola"
		)
		cid = call_id()
		self.control(self.inbound_fields(cid))
		run_worker("short")
		self.assertEqual(timeouts.run(later(600)), 1)
		call = self.call(cid)
		self.assertEqual((call.status, call.status_inferred, call.followup_message), ("No Answer", 1, None))

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


class TestNetelipSettings(NetelipCase):
	def test_durations_are_validated(self):
		for field, value in (
			("no_answer_timeout", 4),
			("no_answer_timeout", 61),
			("no_answer_timeout", 0),
			("max_call_seconds", 0),
		):
			with self.subTest(field=field, value=value):
				doc = frappe.get_single("Netelip Settings")
				doc.set(field, value)
				self.assertRaises(frappe.ValidationError, doc.save, ignore_permissions=True)
		doc = frappe.get_single("Netelip Settings")
		doc.no_answer_timeout = 5
		doc.save(ignore_permissions=True)
		self.assertEqual(frappe.db.get_single_value("Netelip Settings", "no_answer_timeout"), 5)

"""No Netelip payload makes the callbacks answer 5xx, fails the job that applies it, writes an Error Log row or
stores markup: numbers out of range, lone surrogates, absurd dates, markup and huge texts in every field."""

import json

import frappe
from frappe.deferred_insert import save_to_db

from xappiens_whatsapp.bench_tests.base import run_worker
from xappiens_whatsapp.bench_tests.test_netelip import (
	APP,
	CONTROL,
	REPORT,
	TOKEN,
	NetelipCase,
	call_id,
	configure_netelip,
	own_calls,
)
from xappiens_whatsapp.core.text import has_markup

MAX_SECONDS = 7 * 24 * 3600  # a duration is clamped to a week
MARKUP = '<img src=x onerror="window.__xw_pwned=1">'
TEXT_FIELDS = (
	"customer_number",
	"from_number",
	"to_number",
	"raw_src",
	"raw_dst",
	"raw_status",
	"unknown_status",
	"hangup_cause",
	"recording_url",
	"launch_error",
)


def json_body(cid: str, fields: str) -> bytes:
	"""A JSON object written by hand: Python's json cannot write 1e400, NaN as a number, or lone surrogates."""
	return f'{{"ID": "{cid}", "api": "{APP}", {fields}}}'.encode()


class TestNetelipHostileValues(NetelipCase):
	def setUp(self):
		super().setUp()
		self.since = frappe.utils.add_to_date(frappe.utils.now_datetime(), seconds=-1)

	def post_json(self, body: bytes, path: str = CONTROL):
		return self.post(path + f"?token={TOKEN}", data=body, headers={"Content-Type": "application/json"})

	def assert_all_handled(self, answers: dict) -> None:
		"""Every answer 200 or 400, every stored event applied or ignored, nothing logged as an error."""
		for label, response in answers.items():
			self.assertIn(response.status_code, (200, 400), f"{label}: {response.text[:300]}")
		run_worker()
		rows = self.inbound(provider="Netelip")
		self.assertTrue(rows)
		for row in rows:
			self.assertIn(row.status, ("Processed", "Ignored"), f"{row.raw_event}: {row.last_error}")
		save_to_db()
		frappe.db.commit()
		self.assertEqual(
			frappe.get_all("Error Log", filters={"creation": [">=", self.since]}, pluck="method"), []
		)
		for call in own_calls(fields=["*"]):
			for field in TEXT_FIELDS:
				self.assertFalse(has_markup(call[field]), f"{field}: {call[field]!r}")
			for field in ("duration", "talk_time"):
				self.assertLessEqual(call[field] or 0, MAX_SECONDS)

	def test_numbers_out_of_range(self):
		answers = {
			"1e400": self.post_json(json_body(call_id(), '"durationcall": 1e400, "statuscall": "BUSY"')),
			"huge": self.post_json(
				json_body(call_id(), '"durationcall": 99999999999999999999, "statuscall": "ANSWER"')
			),
			"huge talk": self.post_json(
				json_body(call_id(), '"durationcallanswered": "1e308", "statuscall": "CANCEL"'), REPORT
			),
			"NaN": self.post_json(json_body(call_id(), '"durationcall": NaN, "startcall": Infinity')),
			"5000 digits": self.post_json(json_body(call_id(), '"durationcall": ' + "9" * 5000)),
		}
		self.assert_all_handled(answers)
		self.assertEqual(frappe.db.get_value("Netelip Call", {"status": "Answered"}, "duration"), MAX_SECONDS)

	def test_lone_surrogates_in_every_field(self):
		fields = ", ".join(
			f'"{name}": "\\ud800{name}\\udfff"'
			for name in (
				"src",
				"dst",
				"startcall",
				"statuscall",
				"hangupcause",
				"userdata",
				"typesrc",
				"dtmf",
			)
		)
		cid = call_id()
		answers = {
			"control": self.post_json(json_body(cid, fields)),
			"report": self.post_json(
				f'{{"api": "{APP}", "calls": [{json_body(cid, fields).decode()}]}}'.encode(), REPORT
			),
			"key": self.post_json(json_body(call_id(), '"\\udc00": "x", "src": "600000001"')),
			"id": self.post_json(f'{{"ID": "\\ud800", "api": "{APP}"}}'.encode()),
		}
		self.assert_all_handled(answers)
		self.assertEqual(answers["id"].status_code, 400)
		call = self.call(cid)
		self.assertEqual(
			(call.hangup_cause, call.unknown_status), ("\ufffdhangupcause\ufffd", "\ufffdstatuscall\ufffd")
		)

	def test_absurd_dates(self):
		answers = {
			date: self.control(self.inbound_fields(call_id(), startcall=date))
			for date in (
				"0001-01-01T00:00:00+23:59",
				"9999-12-31T23:59:59-23:59",
				"0001-01-01 00:00:00",
				"99999999999",
				"2999-01-01 00:00:00",
				"1e400",
			)
		}
		self.assert_all_handled(answers)
		for call in own_calls(fields=["started_at"]):
			self.assertLess(abs((call.started_at - frappe.utils.now_datetime()).total_seconds()), 3600)

	def test_markup_and_huge_texts_in_every_field(self):
		names = ("src", "dst", "statuscall", "hangupcause", "description", "recording", "typesrc", "dtmf")
		marked = {name: MARKUP for name in names}
		huge = {name: "9" * 10_000 for name in names}
		recording = {"recording": "/<svg/onload=alert(1)>", "statuscall": "NOANSWER"}
		answers = {
			"markup control": self.control({**self.inbound_fields(call_id()), **marked}),
			"huge control": self.control({**self.inbound_fields(call_id()), **huge}),
			"markup report": self.report([{**self.inbound_fields(call_id()), **marked}]),
			"huge report": self.report([{**self.inbound_fields(call_id()), **huge}]),
			"recording path": self.report([{**self.inbound_fields(call_id()), **recording}]),
		}
		self.assert_all_handled(answers)
		self.assertEqual(own_calls(recording_url=["is", "set"]), [])

	def test_one_bad_record_does_not_fail_the_others(self):
		good = [{**self.inbound_fields(call_id()), "statuscall": "BUSY"} for _ in range(2)]
		bad = [
			{
				**self.inbound_fields(call_id()),
				"durationcall": "1" * 40,
				"startcall": "0001-01-01T00:00:00+23:59",
			},
			{**self.inbound_fields(call_id()), "hangupcause": MARKUP, "src": "\ud800"},
			{"ID": "not-an-id", "api": APP},
			"not a record",
			[1, 2],
			{"nothing": 1},
		]
		response = self.report([good[0], *bad, good[1]])
		self.assertEqual(response.status_code, 200, response.text)
		self.assertEqual((response.json()["accepted"], response.json()["rejected"]), (4, 4))
		self.assert_all_handled({"report": response})
		for record in good:
			self.assertEqual(self.call(record["ID"]).status, "Busy")

	def test_a_report_of_thousands_of_bad_records_is_answered_and_summarised(self):
		response = self.post(
			REPORT + f"?token={TOKEN}", files={"calls": (None, "[" + ",".join(["{}"] * 30_000) + "]")}
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		self.assertEqual(response.json()["rejected"], 30_000)
		[row] = self.inbound(provider="Netelip", status="Ignored")
		self.assertLess(len(row.note), 2000)
		self.assertIn("and 29980 more", row.note)
		self.assert_all_handled({"report": response})

	def test_a_json_body_of_lone_surrogates_only_is_answered_400(self):
		for body in (b'"\\ud800"', b'["\\ud800"]', b'{"\\ud800": "\\udfff"}'):
			with self.subTest(body=body):
				self.assertEqual(self.post_json(body).status_code, 400)
				# a report whose every record is unreadable is answered with their count
				self.assertIn(self.post_json(body, REPORT).status_code, (200, 400))
		self.assertEqual(len(own_calls()), 0)
		save_to_db()
		frappe.db.commit()
		self.assertEqual(frappe.get_all("Error Log", filters={"creation": [">=", self.since]}), [])
		self.assertTrue(all(json.loads(r.payload) is not None for r in self.inbound(provider="Netelip")))

	def test_netelip_error_texts_are_stored_as_plain_text(self):
		configure_netelip(self.netelip.url, allowed_numbers=[{"number": "699999999"}])
		self.netelip.fail("/v1/voice", 200, body={"response": "4" * 300, "message": MARKUP})
		refused = self.click(number="699999999").json()["message"]["call"]
		self.netelip.fail("/v1/voice", 500, body={"message": MARKUP})
		unconfirmed = self.click(number="699999999").json()["message"]["call"]
		run_worker()
		row = self.row(refused)
		self.assertEqual(row.status, "Failed")
		self.assertLessEqual(len(row.raw_status), 140)
		self.assertIn("img src=x", row.launch_error)
		self.assertFalse(has_markup(row.launch_error), row.launch_error)
		row = self.row(unconfirmed)
		self.assertEqual(row.launch_unconfirmed, 1)
		self.assertFalse(has_markup(row.launch_error), row.launch_error)

	def test_a_number_an_agent_typed_is_escaped_in_the_refusal(self):
		refused = self.click(number=MARKUP)
		self.assertEqual(refused.status_code, 417)
		self.assertNotIn("<img", refused.text)
		self.assertIn("&lt;img", refused.text)

"""Authentic deliveries carrying hostile values (testing/hostile_values) over real HTTP, applied by a real worker:
never a 5xx, never an Error Log row, never a failed event, and nothing stored that a desk view would take for
markup, read back the way the desk reads it (Link search, report view) as an agent."""

import json
import time
from collections import Counter

import frappe
from frappe.utils import add_to_date, now_datetime

from xappiens_whatsapp.bench_tests.base import XWTestCase, configure_settings, make_user, run_worker
from xappiens_whatsapp.bench_tests.test_netelip import APP, TOKEN, configure_netelip
from xappiens_whatsapp.core.text import has_markup
from xappiens_whatsapp.testing import hostile_values
from xappiens_whatsapp.testing.hostile_requests import post_hostile

AGENT = "xwt-hostile-agent@example.com"
STORED = ("WhatsApp Contact", "WhatsApp Message", "WhatsApp Session", "Inbound Webhook")
TEXT_TYPES = ("Data", "Small Text", "Long Text", "JSON", "Code")
RAW = {"payload", "headers"}  # the delivery as received, shown only as code, never as a page's text


def text_columns(doctype: str) -> list[str]:
	"""Every text column of `doctype` but the raw delivery: whatever writes them, none may hold markup."""
	return [
		f.fieldname
		for f in frappe.get_meta(doctype).fields
		if f.fieldtype in TEXT_TYPES and f.fieldname not in RAW
	]


def live_markup(value) -> list[str]:
	"""Every string inside `value` (rows, lists, dicts) that a page would parse as markup."""
	found = []
	if isinstance(value, str):
		if has_markup(value):
			found.append(value)
	elif isinstance(value, dict):
		for inner in value.values():
			found += live_markup(inner)
	elif isinstance(value, list | tuple):
		for inner in value:
			found += live_markup(inner)
	return found


class TestHostileCorpus(XWTestCase):
	session_id = "xwt_hostile"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_user(AGENT, "WhatsApp Agent")

	def setUp(self):
		self.cleanup()
		configure_settings()
		configure_netelip("http://127.0.0.1:9")  # no call is launched: only callbacks are received
		self.make_session(users=[AGENT])
		self.since = add_to_date(now_datetime(), seconds=-1)
		self.now = time.time()
		self.addCleanup(self.forget_calls)

	def forget_calls(self):
		prefix = f"{int(self.now)}."
		frappe.db.delete("Netelip Call", {"call_id": ["like", prefix + "%"]})
		frappe.db.delete(
			"Inbound Webhook",
			{"provider": "Netelip", "received_at": [">=", self.since], "payload": ["like", f"%{prefix}%"]},
		)
		frappe.db.commit()

	def error_logs(self) -> int:
		frappe.db.commit()
		return frappe.db.count("Error Log", {"creation": [">=", self.since]})

	def test_hostile_values_in_every_field_never_fail_the_endpoints_or_show_as_markup(self):
		cases = hostile_values.inbox_hub_cases(self.session_id, self.session_secret, now=self.now, seed=20)
		cases += hostile_values.netelip_cases(TOKEN, APP, now=self.now, seed=20)
		statuses = {case.label: post_hostile(self.server.url, case) for case in cases}
		run_worker()
		frappe.db.commit()
		rows = frappe.get_all(
			"Inbound Webhook",
			filters={"received_at": [">=", self.since]},
			fields=["name", "provider", "status", "last_error"],
		)
		answers = Counter(statuses.values())
		counts = {
			"sent": len(statuses),
			"accepted": sum(n for s, n in answers.items() if s and 200 <= s < 300),
			"rejected": sum(n for s, n in answers.items() if s and 400 <= s < 500),
			"5xx": sum(n for s, n in answers.items() if s is None or s >= 500),
			"stored": len(rows),
			"stored_netelip": sum(1 for r in rows if r.provider == "Netelip"),
			"failed": sum(1 for r in rows if r.status == "Failed"),
			"error_log": self.error_logs(),
		}
		print("\n[signed hostile corpus] " + " ".join(f"{k}={v}" for k, v in counts.items()))
		self.assertGreaterEqual(counts["sent"], 200)
		for label, status in statuses.items():
			with self.subTest(label):
				# The application name is part of a Netelip callback's credentials: a control step naming another is
				# refused; in a report, only that record is.
				expected = (403,) if label.startswith("netelip control: api = ") else (200, 400)
				self.assertIn(status, expected, label)
		failures = [r.last_error[-1500:] for r in rows if r.status == "Failed"]
		self.assertEqual(
			(counts["5xx"], counts["failed"], counts["error_log"]), (0, 0, 0), (counts, failures)
		)
		self.assertEqual({r.status for r in rows} - {"Processed", "Ignored", "Waiting"}, set(), rows)

		# One bad record in a Netelip report does not keep the others out.
		for case in cases:
			if case.label.startswith("netelip report"):
				for call_id in hostile_values.good_report_ids(case):
					with self.subTest(case.label, call=call_id):
						self.assertTrue(frappe.db.exists("Netelip Call", {"call_id": call_id}), call_id)

		# Nothing stored shows as markup, whichever path wrote it.
		for doctype in STORED:
			filters = {"session_id": self.session_id} if doctype == "Inbound Webhook" else {}
			if doctype in ("WhatsApp Contact", "WhatsApp Message"):
				filters = {"session": self.session_id}
			if doctype == "WhatsApp Session":
				filters = {"name": self.session_id}
			stored = frappe.get_all(doctype, filters=filters, fields=text_columns(doctype))
			with self.subTest(doctype):
				self.assertTrue(stored)
				self.assertEqual(live_markup(stored), [])
		# As the desk receives it: Link autocomplete and the report view, as an agent of this number.
		from frappe.desk.reportview import get as report_view
		from frappe.desk.search import search_link

		frappe.set_user(AGENT)
		self.addCleanup(frappe.set_user, "Administrator")
		for doctype in ("WhatsApp Contact", "WhatsApp Message"):
			with self.subTest("search_link", doctype=doctype):
				frappe.response["results"] = None
				found = search_link(doctype, "", page_length=200)
				found = found if found is not None else frappe.response.get("results")
				self.assertTrue(found, doctype)
				self.assertEqual(live_markup(found), [])
			with self.subTest("report view", doctype=doctype):
				frappe.local.form_dict = frappe._dict(
					doctype=doctype,
					fields=json.dumps([f"`tab{doctype}`.`{f}`" for f in ["name", *text_columns(doctype)]]),
					filters=json.dumps([[doctype, "session", "=", self.session_id]]),
					page_length=500,
				)
				view = report_view()
				self.assertTrue(view["values"], doctype)
				self.assertEqual(live_markup(view), [])

		# Netelip calls, read as a manager would.
		frappe.set_user("Administrator")
		calls = frappe.get_all(
			"Netelip Call", filters={"call_id": ["like", f"{int(self.now)}.%"]}, fields=["*"]
		)
		self.assertTrue(calls)
		self.assertEqual(live_markup(calls), [])

"""The reports' numbers on conversations and calls whose answers are known, as a manager and as an agent."""

from datetime import datetime, timedelta

import frappe
from frappe.desk.query_report import run

from xappiens_whatsapp.bench_tests.base import XWTestCase, make_agent, make_user

DAY = datetime(2020, 3, 2)
CALL_PREFIX = "xwt-report-"


def at(day: int, hour: int, minute: int = 0) -> datetime:
	return DAY + timedelta(days=day, hours=hour, minutes=minute)


class TestReports(XWTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.agent = make_agent("xwt-report-agent@example.com")
		cls.other = make_agent("xwt-report-other@example.com")
		cls.manager = make_user("xwt-report-manager@example.com", "WhatsApp Manager")

	@classmethod
	def cleanup(cls):
		super().cleanup()
		frappe.db.delete("Netelip Call", {"call_id": ["like", CALL_PREFIX + "%"]})

	def setUp(self):
		self.cleanup()
		self.a = self.make_session(users=[self.agent])
		self.b = self.make_session(self.session_id + "_b", users=[self.other])
		c1, c2 = self.conversation(self.a, "34600000201"), self.conversation(self.a, "34600000202")
		self.c1, self.c2 = c1, c2
		c3 = self.conversation(self.b, "34600000203")
		self.message(c1, self.a, at(0, 9), False)
		self.message(c1, self.a, at(0, 9, 2), False)  # the same turn
		self.message(c1, self.a, at(0, 9, 5), True, self.agent)
		self.message(c1, self.a, at(0, 9, 10), False)
		self.message(c1, self.a, at(0, 9, 40), True, self.manager)
		self.message(c2, self.a, at(0, 10), False)
		self.message(c2, self.a, at(0, 10, 2), True)  # answered from the phone
		self.message(c3, self.b, at(1, 11), False)  # never answered
		self.message(c3, self.b, at(1, 10), True, self.other)  # we wrote first: the answer opens nothing
		self.call("Inbound", "No Answer", at(0, 9), "+34600000101")
		self.call("Outbound", "No Answer", at(0, 8), "+34600000101")  # before the missed call: no call-back
		self.call("Outbound", "Completed", at(0, 9, 12), "+34600000101", self.agent, duration=60, talk=50)
		self.call("Inbound", "Busy", at(0, 10), "+34600000102")
		self.call("Inbound", "Completed", at(0, 11), "+34600000103", self.agent, duration=120, talk=100)
		frappe.db.commit()

	def conversation(self, session: str, phone: str) -> str:
		return (
			frappe.get_doc(
				{
					"doctype": "WhatsApp Contact",
					"session": session,
					"whatsapp_id": f"{phone}@s.whatsapp.net",
					"phone": "+" + phone,
				}
			)
			.insert(ignore_permissions=True)
			.name
		)

	def message(self, contact, session, when, from_me, sent_by=None):
		frappe.get_doc(
			{
				"doctype": "WhatsApp Message",
				"session": session,
				"contact": contact,
				"from_me": int(from_me),
				"message_timestamp": when,
				"sent_by": sent_by,
				"message_id": frappe.generate_hash(length=16).upper(),
				"status": "Sent" if from_me else "Delivered",
			}
		).insert(ignore_permissions=True)

	def call(self, direction, status, when, number, agent=None, duration=0, talk=0):
		frappe.get_doc(
			{
				"doctype": "Netelip Call",
				"call_id": CALL_PREFIX + frappe.generate_hash(length=8),
				"direction": direction,
				"status": status,
				"started_at": when,
				"customer_number": number,
				"agent": agent,
				"duration": duration,
				"talk_time": talk,
			}
		).insert(ignore_permissions=True)

	def report(self, name: str, user: str = "Administrator", **filters) -> dict:
		frappe.set_user(user)
		try:
			return run(name, {"from_date": "2020-03-02", "to_date": "2020-03-03", **filters})
		finally:
			frappe.set_user("Administrator")

	def rows(self, result: dict, key: str) -> dict:
		return {row[key]: row for row in result["result"]}

	def test_response_times_per_agent(self):
		result = self.report("WhatsApp Response Times", group_by="Agent")
		rows = self.rows(result, "group")
		self.assertEqual(set(rows), {self.agent, self.manager, "(from the phone)", "(not answered)"})
		agent, manager, phone, waiting = (
			rows[self.agent],
			rows[self.manager],
			rows["(from the phone)"],
			rows["(not answered)"],
		)
		self.assertEqual((agent["opened"], agent["first_response_avg"], agent["response_avg"]), (1, 5.0, 5.0))
		self.assertEqual((manager["opened"], manager["answered"], manager["response_avg"]), (0, 1, 30.0))
		self.assertEqual((phone["opened"], phone["first_response_avg"]), (1, 2.0))
		self.assertEqual((waiting["opened"], waiting["unanswered"], waiting["response_avg"]), (0, 1, None))
		self.assertEqual(result["chart"]["type"], "bar")
		self.assertNotIn("(not answered)", result["chart"]["data"]["labels"])

	def test_response_times_per_number_and_only_the_agents_numbers(self):
		rows = self.rows(self.report("WhatsApp Response Times", group_by="Number"), "group")
		a, b = rows[self.a], rows[self.b]
		self.assertEqual((a["opened"], a["first_response_avg"], a["first_response_median"]), (2, 3.5, 3.5))
		self.assertEqual((a["answered"], a["response_avg"], a["response_median"]), (3, 12.3, 5.0))
		self.assertEqual((b["opened"], b["answered"], b["unanswered"]), (0, 0, 1))
		mine = self.rows(self.report("WhatsApp Response Times", self.agent, group_by="Number"), "group")
		self.assertEqual(set(mine), {self.a})

	def test_conversations_opened_and_resolved_per_day(self):
		for contact, when in ((self.c1, at(0, 9, 50)), (self.c2, at(1, 8))):
			frappe.db.set_value("WhatsApp Contact", contact, "resolved_at", when, update_modified=False)
		result = self.report("WhatsApp Conversations per Day")
		got = [(str(r["day"]), r["opened"], r["resolved"]) for r in result["result"]]
		self.assertEqual(got, [("2020-03-02", 2, 1), ("2020-03-03", 0, 1)])
		self.assertEqual([d["values"] for d in result["chart"]["data"]["datasets"]], [[2, 0], [1, 1]])
		mine = self.report("WhatsApp Conversations per Day", self.other)
		self.assertEqual([r["resolved"] for r in mine["result"]], [])  # the other number's agent sees neither

	def test_missed_calls_and_the_time_to_call_back(self):
		result = self.report("Missed Calls and Call-backs")
		rows = self.rows(result, "customer_number")
		self.assertEqual(set(rows), {"+34600000101", "+34600000102"})
		back = rows["+34600000101"]
		self.assertEqual(
			(back["minutes_to_call_back"], back["called_back_by"], back["callback_answered"]),
			(12.0, self.agent, 1),
		)
		self.assertIsNone(rows["+34600000102"]["called_back_at"])
		summary = {s["label"]: s["value"] for s in result["report_summary"]}
		self.assertEqual(list(summary.values()), [2, 1, 12.0])

	def test_calls_by_outcome(self):
		result = self.report("Calls by Outcome", group_by="Status")
		got = [
			(r["outcome"], r["direction"], r["calls"], r["talk_minutes"], r["average_duration"])
			for r in result["result"]
		]
		self.assertEqual(
			got,
			[
				("Busy", "Inbound", 1, 0.0, 0.0),
				("Completed", "Inbound", 1, 1.7, 120.0),
				("Completed", "Outbound", 1, 0.8, 60.0),
				("No Answer", "Inbound", 1, 0.0, 0.0),
				("No Answer", "Outbound", 1, 0.0, 0.0),
			],
		)
		self.assertEqual(result["chart"]["data"]["labels"], ["Busy", "Completed", "No Answer"])
		self.assertEqual(result["chart"]["data"]["datasets"][0]["values"], [1, 2, 2])
		inbound = self.report("Calls by Outcome", group_by="Status", direction="Inbound")
		self.assertEqual(sum(r["calls"] for r in inbound["result"]), 3)

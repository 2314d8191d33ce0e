"""Calls by outcome and missed calls, kept as calls change state: Netelip's callbacks over real HTTP, applied by a
real worker, move a call's count from state to state once, whatever is repeated or arrives late; the Missed flag
follows; the Missed shortcut and list count only what each user may see."""

import json
from collections import Counter
from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from xappiens_whatsapp.bench_tests.base import make_user, run_worker
from xappiens_whatsapp.bench_tests.test_health_counts import buckets, delta
from xappiens_whatsapp.bench_tests.test_netelip import NetelipCase, call_id
from xappiens_whatsapp.pipeline import counts

COUNT = "frappe.desk.reportview.get_count"


def outcomes() -> Counter:
	return Counter({key[2]: n for key, n in buckets(counts.CALL).items()})


class TestCallCounts(NetelipCase):
	def step(self, cid: str, **fields) -> dict:
		self.assertEqual(self.control(self.inbound_fields(cid, **fields)).status_code, 200)
		run_worker()
		return self.call(cid)

	def test_a_call_moves_from_state_to_state_once_whatever_is_repeated_or_late(self):
		before = outcomes()
		cid = call_id()
		# made Initiated, then Ringing as the answer dials the agent: counted once, as Ringing
		call = self.step(cid)
		self.assertEqual(call.status, "Ringing")
		self.assertEqual(delta(outcomes(), before), {"Ringing": 1})
		call = self.step(cid, statuscall="RINGING", status="OK")
		self.assertEqual(call.status, "Ringing")
		self.assertEqual(delta(outcomes(), before), {"Ringing": 1})
		call = self.step(cid, statuscall="NOANSWER", status="OK")
		self.assertEqual((call.status, call.missed), ("No Answer", 1))
		self.assertEqual(delta(outcomes(), before), {"No Answer": 1})
		# Netelip's retry of the last callback, then a late RINGING: the call stays where it is, and its count too
		self.step(cid, statuscall="NOANSWER", status="OK")
		call = self.step(cid, statuscall="RINGING", status="OK")
		self.assertEqual((call.status, call.missed), ("No Answer", 1))
		self.assertEqual(delta(outcomes(), before), {"No Answer": 1})

	def test_an_answered_call_is_not_missed_and_a_deleted_call_leaves_its_count(self):
		before = outcomes()
		cid = call_id()
		self.step(cid)
		call = self.step(cid, statuscall="ANSWER", status="OK")
		self.assertEqual((call.status, call.missed), ("Answered", 0))
		self.assertEqual(delta(outcomes(), before), {"Answered": 1})
		frappe.delete_doc("Netelip Call", call.name, ignore_permissions=True, force=True)
		frappe.db.commit()
		self.assertEqual(delta(outcomes(), before), {})

	def _calls(self) -> dict:
		"""Missed inbound calls today (two of the agent's, one of another agent's, one nobody's), one yesterday,
		and calls that are not missed: answered, and an outbound one nobody picked up."""
		now = now_datetime()
		made = {}
		for label, agent, status, direction, started in (
			("mine", self.agent, "No Answer", "Inbound", now),
			("mine too", self.agent, "Busy", "Inbound", now),
			("theirs", self.other_agent, "No Answer", "Inbound", now),
			("nobody's", None, "Failed", "Inbound", now),
			("mine yesterday", self.agent, "No Answer", "Inbound", now - timedelta(days=1)),
			("answered", self.agent, "Completed", "Inbound", now),
			("outbound", self.agent, "No Answer", "Outbound", now),
		):
			doc = frappe.get_doc(
				{
					"doctype": "Netelip Call",
					"call_id": call_id() + label,
					"direction": direction,
					"status": status,
					"agent": agent,
					"customer_number": "+34600000009",
					"started_at": started,
				}
			).insert(ignore_permissions=True)
			made[label] = doc
		frappe.db.commit()
		return made

	def test_the_missed_shortcut_and_list_count_only_what_each_user_may_see(self):
		made = self._calls()
		self.assertEqual(
			{label for label, doc in made.items() if doc.missed},
			{"mine", "mine too", "theirs", "nobody's", "mine yesterday"},
		)
		workspace = frappe.get_doc("Workspace", "Xappiens WhatsApp")
		(shortcut,) = [s for s in workspace.shortcuts if s.label == "Missed Calls"]
		today = json.loads(shortcut.stats_filter)
		listed = [["Netelip Call", "missed", "=", 1]]  # the list's Missed button (netelip_call_list.js)
		manager = make_user("xwt-count-manager@example.com", "WhatsApp Manager")

		def count(user: str, filters: list, **limit) -> int:
			response = self.call_as(
				user, COUNT, http="GET", doctype="Netelip Call", filters=json.dumps(filters), **limit
			)
			self.assertEqual(response.status_code, 200, response.text)
			return response.json()["message"]

		self.assertEqual(count(self.agent, today), 3)  # theirs is another agent's
		self.assertEqual(count(self.agent, listed, limit=1001), 4)
		self.assertEqual(count(manager, today), 4)
		self.assertEqual(count(manager, listed), 5)
		self.assertEqual(count(self.other_agent, today), 2)

"""A customer's new message reaches the agents it is for, and nobody else; the inbox's queues and counts."""

import json

import frappe

from xappiens_whatsapp.bench_tests.base import capture_realtime
from xappiens_whatsapp.bench_tests.ownership_fixtures import OwnershipTestCase
from xappiens_whatsapp.pipeline.whatsapp import agents


class TestAttention(OwnershipTestCase):
	def bells(self, user: str, contact: str) -> int:
		frappe.db.commit()
		return frappe.db.count(
			"Notification Log",
			{
				"for_user": user,
				"document_type": "WhatsApp Contact",
				"document_name": contact,
				"type": "Alert",
			},
		)

	def test_the_owner_hears_of_a_new_message_and_nobody_else(self):
		contact = self.write("34600700001")  # goes to A in turn
		with capture_realtime() as capture:
			self.write("34600700001", "<b>secreto</b>")
		self.assertEqual(capture.rooms("xw_attention"), {f"user:{self.a}"})
		for event in capture.messages:
			self.assertNotEqual(event["room"], "all")
			self.assertNotIn("secreto", json.dumps(event["message"]))
		self.assertEqual(capture.events("xw_attention")[0]["message"]["contact"], contact)

	def test_unassigned_conversations_reach_the_agents_of_their_number(self):
		frappe.db.set_value("WhatsApp Session", self.session_id, "assignment_mode", "Manual")
		frappe.db.commit()
		with capture_realtime() as capture:
			self.write("34600700002")
		self.assertEqual(capture.rooms("xw_attention"), {f"user:{u}" for u in (self.a, self.b, self.c)})

	def test_one_bell_per_conversation_and_burst_only_when_away(self):
		contact = self.write("34600700003", "<img src=x onerror=alert(1)>")  # A, away from the desk
		self.write("34600700003", "¿Estás?")
		self.assertEqual(self.bells(self.a, contact), 1)
		self.assertEqual(self.bells(self.b, contact), 0)
		subject = frappe.db.get_value(
			"Notification Log", {"for_user": self.a, "document_name": contact}, "subject"
		)
		self.assertNotIn("<", subject)
		# reading ends the burst: the next message rings again
		self.assertTrue(self.api(self.a, "conversations.mark_read", contact=contact).ok)
		self.write("34600700003", "Otra")
		self.assertEqual(self.bells(self.a, contact), 2)
		# in the desk: the toast says it, no bell
		self.assertTrue(self.api(self.a, "conversations.mark_read", contact=contact).ok)
		self.assertTrue(self.api(self.a, "agent.heartbeat").ok)
		self.write("34600700003", "Y otra")
		self.assertEqual(self.bells(self.a, contact), 2)
		# away again, with the bell muted
		self.assertTrue(self.api(self.a, "agent.set_preferences", mute_bell=1).ok)
		self.assertTrue(self.api(self.a, "agent.heartbeat", leaving=1).ok)
		self.write("34600700003", "Y otra más")
		self.assertEqual(self.bells(self.a, contact), 2)

	def test_unread_summary_counts_what_is_the_agents_to_answer(self):
		mine = self.write("34600700004")  # A
		self.write("34600700004", "dos")
		self.write("34600700005")  # B
		summary = self.api(self.a, "agent.get_status", http="GET").json()["message"]
		self.assertEqual(summary["unread"], {"conversations": 1, "messages": 2})
		self.assertEqual(summary["preferences"]["available"], 1)
		self.assertTrue(self.api(self.a, "conversations.mark_read", contact=mine).ok)
		summary = self.api(self.a, "agent.get_status", http="GET").json()["message"]
		self.assertEqual(summary["unread"]["conversations"], 0)

	def test_queues_and_their_counts(self):
		mine = self.write("34600800001")  # A
		theirs = self.write("34600800002")  # B
		frappe.db.set_value("WhatsApp Session", self.session_id, "assignment_mode", "Manual")
		frappe.db.commit()
		nobodys = self.write("34600800003")
		self.assertTrue(self.api(self.a, "ownership.set_state", contact=mine, state="Resolved").ok)

		def listed(user, **args):
			rows = self.api(
				user, "conversations.list_conversations", http="GET", session=self.session_id, **args
			)
			return [r["name"] for r in rows.json()["message"]]

		self.assertEqual(listed(self.a, queue="mine"), [mine])
		self.assertEqual(listed(self.a, queue="mine", state="Open"), [])
		self.assertEqual(listed(self.a, queue="unassigned"), [nobodys])
		self.assertEqual(set(listed(self.a, queue="all")), {mine, theirs, nobodys})
		self.assertEqual(listed(self.outsider, queue="all"), [])
		# oldest waiting first: conversations whose customer wrote last, the longest waiting on top
		waiting = listed(self.a, queue="all", state="Open", sort="waiting")
		self.assertEqual(set(waiting), {theirs, nobodys})
		# two customers may write within one second: the order is checked on their times
		times = [
			frappe.db.get_value("WhatsApp Contact", name, "last_customer_message_at") for name in waiting
		]
		self.assertEqual(times, sorted(times))
		counts = self.api(self.a, "queues.queue_counts", http="GET", session=self.session_id).json()[
			"message"
		]
		self.assertEqual(counts["mine"], {"Open": 0, "Pending": 0, "Snoozed": 0, "Resolved": 1})
		self.assertEqual(counts["unassigned"]["Open"], 1)
		self.assertEqual(counts["all"]["Open"], 2)
		outsider = self.api(self.outsider, "queues.queue_counts", http="GET").json()["message"]
		self.assertEqual(outsider["all"]["Open"], 0)

	def test_agents_switch_only_their_own_availability(self):
		self.assertTrue(self.api(self.b, "agent.set_preferences", available=0).ok)
		self.assertFalse(agents.is_available(self.b))
		self.assertTrue(agents.is_available(self.a))

"""Every conversation has an owner: round robin among available agents, reopening, who may assign whom."""

import frappe
from frappe.utils import add_to_date, now_datetime

from xappiens_whatsapp import hooks
from xappiens_whatsapp.bench_tests.base import capture_realtime
from xappiens_whatsapp.bench_tests.ownership_fixtures import OwnershipTestCase
from xappiens_whatsapp.pipeline.whatsapp import agents, ownership


class TestOwnership(OwnershipTestCase):
	def test_round_robin_skips_unavailable_agents(self):
		agents.update_preferences(self.b, {"available": 0})
		owners = [self.row(self.write(f"3460010000{i}"))["assigned_to"] for i in range(4)]
		self.assertEqual(owners, [self.a, self.c, self.a, self.c])
		# Frappe's own assignment: one open ToDo for the owner, and the timeline says who got it
		contact = self.write("34600100000")  # an existing conversation keeps its owner
		self.assertEqual(self.todos(contact), [self.a])
		comments = frappe.get_all(
			"Comment",
			filters={
				"reference_doctype": "WhatsApp Contact",
				"reference_name": contact,
				"comment_type": "Assigned",
			},
			pluck="content",
		)
		self.assertEqual(len(comments), 1)

	def test_nobody_available_or_manual_numbers_leave_conversations_unassigned(self):
		for user in (self.a, self.b, self.c):
			agents.update_preferences(user, {"available": 0})
		self.assertIsNone(self.row(self.write("34600200001"))["assigned_to"])
		agents.update_preferences(self.b, {"available": 1})
		frappe.db.set_value("WhatsApp Session", self.session_id, "assignment_mode", "Manual")
		frappe.db.commit()
		self.assertIsNone(self.row(self.write("34600200002"))["assigned_to"])
		frappe.db.set_value("WhatsApp Session", self.session_id, "assignment_mode", "Automatic")
		frappe.db.commit()
		self.assertEqual(self.row(self.write("34600200003"))["assigned_to"], self.b)

	def test_a_customer_reopens_a_resolved_or_snoozed_conversation(self):
		contact = self.write("34600300001")
		self.assertEqual(self.row(contact)["assigned_to"], self.a)
		self.assertTrue(self.api(self.a, "ownership.set_state", contact=contact, state="Resolved").ok)
		self.assertEqual(self.row(contact)["conversation_state"], "Resolved")
		self.assertIsNotNone(frappe.db.get_value("WhatsApp Contact", contact, "resolved_at"))
		self.write("34600300001", "Otra pregunta")
		self.assertEqual(
			self.row(contact), {"assigned_to": self.a, "conversation_state": "Open", "snoozed_until": None}
		)
		self.assertTrue(
			self.api(self.a, "ownership.set_state", contact=contact, state="Snoozed", snooze_minutes=60).ok
		)
		self.assertEqual(self.row(contact)["conversation_state"], "Snoozed")
		self.write("34600300001", "¿Hola?")
		self.assertEqual(self.row(contact)["conversation_state"], "Open")

	def test_a_late_older_message_does_not_reopen(self):
		contact = self.write("34600300002")
		ownership.set_state(contact, "Resolved")
		frappe.db.commit()
		self.write("34600300002", "old", ts=1_600_000_000)
		self.assertEqual(self.row(contact)["conversation_state"], "Resolved")

	def test_reopened_while_the_owner_is_away_goes_to_the_next_available_agent(self):
		contact = self.write("34600400001")
		self.assertEqual(self.row(contact)["assigned_to"], self.a)
		ownership.set_state(contact, "Resolved")
		agents.update_preferences(self.a, {"available": 0})
		frappe.db.commit()
		self.write("34600400001", "Sigo esperando")
		self.assertEqual(self.row(contact)["assigned_to"], self.b)
		self.assertEqual(self.todos(contact), [self.b])
		# nobody available: the conversation waits unassigned rather than with someone away
		ownership.set_state(contact, "Resolved")
		for user in (self.b, self.c):
			agents.update_preferences(user, {"available": 0})
		frappe.db.commit()
		self.write("34600400001", "¿Alguien?")
		self.assertEqual(
			self.row(contact), {"assigned_to": None, "conversation_state": "Open", "snoozed_until": None}
		)
		self.assertEqual(self.todos(contact), [])

	def test_snoozes_end_by_themselves(self):
		self.assertIn(
			"xappiens_whatsapp.pipeline.whatsapp.ownership.end_snoozes",
			hooks.scheduler_events["cron"]["* * * * *"],
		)
		contact = self.write("34600500001")
		later = self.write("34600500002")
		ownership.set_state(contact, "Snoozed", add_to_date(now_datetime(), minutes=5))
		ownership.set_state(later, "Snoozed", add_to_date(now_datetime(), hours=5))
		frappe.db.set_value(
			"WhatsApp Contact", contact, "snoozed_until", add_to_date(now_datetime(), minutes=-1)
		)
		frappe.db.commit()
		ownership.end_snoozes()
		self.assertEqual(self.row(contact)["conversation_state"], "Open")
		self.assertEqual(self.row(later)["conversation_state"], "Snoozed")

	def test_who_may_assign_whom(self):
		frappe.db.set_value("WhatsApp Session", self.session_id, "assignment_mode", "Manual")
		frappe.db.commit()
		contact = self.write("34600600001")
		# an agent of another number can neither take it nor hand it on
		self.assertEqual(self.api(self.outsider, "ownership.assign_to_me", contact=contact).status_code, 403)
		self.assertEqual(
			self.api(self.outsider, "ownership.reassign", contact=contact, user=self.outsider).status_code,
			403,
		)
		self.assertEqual(
			self.api(self.outsider, "ownership.set_state", contact=contact, state="Resolved").status_code, 403
		)
		# an agent of the number takes it; the others cannot take it from them
		self.assertTrue(self.api(self.b, "ownership.assign_to_me", contact=contact).ok)
		self.assertEqual(self.row(contact)["assigned_to"], self.b)
		self.assertEqual(self.api(self.c, "ownership.assign_to_me", contact=contact).status_code, 403)
		self.assertEqual(
			self.api(self.c, "ownership.reassign", contact=contact, user=self.c).status_code, 403
		)
		self.assertEqual(
			self.api(self.c, "ownership.set_state", contact=contact, state="Resolved").status_code, 403
		)
		# the owner hands it on, only to an agent of the number
		refused = self.api(self.b, "ownership.reassign", contact=contact, user=self.outsider)
		self.assertFalse(refused.ok)
		self.assertEqual(self.row(contact)["assigned_to"], self.b)
		with capture_realtime() as capture:
			self.assertTrue(self.api(self.b, "ownership.reassign", contact=contact, user=self.c).ok)
		self.assertEqual(self.row(contact)["assigned_to"], self.c)
		self.assertEqual(self.todos(contact), [self.c])
		self.assertEqual(capture.rooms("xw_assignment"), {f"user:{self.b}", f"user:{self.c}"})
		self.assertNotIn(f"user:{self.outsider}", capture.rooms("xw_conversation"))
		# the timeline tells who had it and who has it
		kinds = frappe.get_all(
			"Comment",
			filters={"reference_doctype": "WhatsApp Contact", "reference_name": contact},
			pluck="comment_type",
		)
		self.assertEqual(sorted(kinds), ["Assigned", "Assigned", "Assignment Completed"])
		# a manager reassigns anyone's; the desk's own Assigned To refuses a user of another number
		self.assertTrue(self.api("Administrator", "ownership.reassign", contact=contact, user=self.a).ok)
		self.assertEqual(self.row(contact)["assigned_to"], self.a)
		from frappe.desk.form import assign_to

		with self.assertRaises(frappe.PermissionError):
			assign_to.add({"assign_to": [self.outsider], "doctype": "WhatsApp Contact", "name": contact})
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("DocShare", {"share_name": contact, "user": self.outsider}))

	def test_a_todo_allocated_to_nobody_is_a_reminder_not_an_owner(self):
		contact = self.write("34600600002")
		owner = self.row(contact)["assigned_to"]
		with capture_realtime() as capture:
			frappe.get_doc(
				{
					"doctype": "ToDo",
					"description": "call back on Monday",
					"reference_type": "WhatsApp Contact",
					"reference_name": contact,
				}
			).insert(ignore_permissions=True)
		self.assertEqual(self.row(contact)["assigned_to"], owner)
		self.assertEqual(ownership.current_owners(contact), [owner])
		# nobody's desk, and certainly not every desk, hears of an assignment
		self.assertEqual(capture.rooms("xw_assignment"), set())
		frappe.db.rollback()

	def test_concurrent_new_conversations_take_turns(self):
		"""Two workers taking the turn at once give two different agents (the session row is read locked)."""
		from xappiens_whatsapp.bench_tests.base import second_connection

		first = ownership.next_agent(self.session_id)  # holds the turn until this transaction ends
		with second_connection() as other:
			other.sql("set session innodb_lock_wait_timeout = 1")
			with self.assertRaises(Exception):
				other.sql(
					"select last_assigned_to from `tabWhatsApp Session` where name=%s for update",
					(self.session_id,),
				)
		frappe.db.commit()
		second = ownership.next_agent(self.session_id)
		frappe.db.commit()
		self.assertEqual((first, second), (self.a, self.b))

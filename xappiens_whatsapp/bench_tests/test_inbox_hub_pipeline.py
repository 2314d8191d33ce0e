"""Inbox Hub events through the job: the rows they leave, in every shape and arrival order.

Events are stored the way the endpoint stores them (webhook.accept_parsed) and applied by the job function
itself, in this process, so each case can check the database right after; the HTTP tests cover the real worker.
"""

import itertools
import json
import random
from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from xappiens_whatsapp.bench_tests.base import (
	XWTestCase,
	capture_realtime,
	configure_settings,
	lose_queued_jobs,
	make_user,
	run_worker,
	second_connection,
)
from xappiens_whatsapp.bench_tests.local_delivery import broken_messages, deliver
from xappiens_whatsapp.pipeline.inbox import sweep
from xappiens_whatsapp.pipeline.inbox.drain import process
from xappiens_whatsapp.testing.payloads import inbox_hub
from xappiens_whatsapp.testing.references import remove_references

C_JID = "34600000001@s.whatsapp.net"


def job_row(job) -> str | None:
	"""The inbox row a queued job is for; None for a drain."""
	return job.kwargs.get("kwargs", {}).get("name")


def ack(message_id: str, value: int, ts: int = 1729443650) -> dict:
	return {"event": "message.ack", "data": {"messageId": message_id, "ack": value, "timestamp": ts}}


def sent(message_id: str, ts: int = 1729443610) -> dict:
	payload = inbox_hub("g_message_sent")
	payload["data"]["id"]["id"] = message_id
	payload["data"]["id"]["_serialized"] = f"true_34600000001@c.us_{message_id}_out"
	payload["data"]["timestamp"] = ts
	return payload


class TestInboxHubPipeline(XWTestCase):
	def setUp(self):
		self.cleanup()
		configure_settings()
		self.make_session()

	def message(self, message_id: str) -> dict:
		return frappe.db.get_value(
			"WhatsApp Message", {"session": self.session_id, "message_id": message_id}, ["*"], as_dict=True
		)

	def contact(self, whatsapp_id: str = C_JID) -> dict:
		return frappe.db.get_value(
			"WhatsApp Contact", {"session": self.session_id, "whatsapp_id": whatsapp_id}, ["*"], as_dict=True
		)

	def test_received_in_every_shape_lands_once_with_contact_and_unread(self):
		names = ["g_message_received", "f_message_received", "l_message", "g_message_received_image"]
		for name in names:
			deliver(inbox_hub(name), self.session_id)
		contact = self.contact()
		self.assertEqual(contact.phone, "+34600000001")
		self.assertEqual(contact.unread_count, 4)
		self.assertEqual(frappe.db.count("WhatsApp Contact", {"session": self.session_id}), 1)
		self.assertEqual(frappe.db.count("WhatsApp Message", {"session": self.session_id}), 4)
		msg = self.message("3EB0250462D167CE4A3F0D")
		self.assertEqual((msg.from_me, msg.status, msg.body), (0, "Delivered", "Hola, ¿cómo estás?"))
		self.assertEqual(msg.contact, contact.name)
		image = self.message("3EB0AA0462D167CE4A3F11")
		self.assertEqual((image.message_type, image.quoted_message_id), ("image", "3EB0250462D167CE4A3F0E"))
		# the same message again (a second event about it) changes nothing
		deliver(inbox_hub("g_message_received") | {"timestamp": "2025-10-14T06:30:09.000Z"}, self.session_id)
		self.assertEqual(self.contact().unread_count, 4)

	def test_contact_links_to_the_crm_contact_with_that_number(self):
		crm = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Ana",
				"last_name": "xwt",
				"phone_nos": [{"phone": "+34 600 00 00 01", "is_primary_phone": 1}],
			}
		).insert(ignore_permissions=True)
		self.addCleanup(frappe.delete_doc, "Contact", crm.name, force=True)
		deliver(inbox_hub("g_message_received"), self.session_id)
		self.assertEqual(self.contact().contact, crm.name)

	def test_a_jid_is_read_with_its_country_code_never_as_a_national_number(self):
		# 687 751234 is New Caledonia, though "687751234" would also be a valid Spanish mobile number.
		payload = inbox_hub("g_message_received")
		payload["data"]["from"] = payload["data"]["id"]["remote"] = "687751234@c.us"
		deliver(payload, self.session_id)
		self.assertEqual(self.contact("687751234@s.whatsapp.net").phone, "+687751234")

	def test_group_broadcast_and_location(self):
		deliver(inbox_hub("g_message_received_group"), self.session_id)
		group = self.contact("120363025555555555@g.us")
		self.assertEqual((group.is_group, group.phone), (1, None))
		self.assertEqual(self.message("3EB0BB0462D167CE4A3F12").sender_jid, "34600000003@s.whatsapp.net")
		name = deliver(inbox_hub("g_status_broadcast"), self.session_id)
		self.assertEqual(frappe.db.get_value("Inbound Webhook", name, "status"), "Ignored")
		deliver(inbox_hub("g_message_location"), self.session_id)
		loc = self.message("3EB0DD0462D167CE4A3F14")
		self.assertEqual((loc.latitude, loc.longitude), (40.4168, -3.7038))

	def test_every_arrival_order_of_sent_and_acks_ends_in_the_same_row(self):
		finals = set()
		for index, order in enumerate(itertools.permutations(["sent", 1, 2, 3])):
			message_id = f"3EB0PERM{index:04d}AAAAAAAAAA"
			for step in order:
				payload = (
					sent(message_id) if step == "sent" else ack(message_id, step, 1729443600 + step * 10)
				)
				deliver(payload, self.session_id)
			row = self.message(message_id)
			self.assertIsNotNone(row, order)
			finals.add(
				(row.status, row.raw_ack, str(row.sent_at), str(row.delivered_at), str(row.read_at), row.body)
			)
			waiting = frappe.db.count("Inbound Webhook", {"reference_key": message_id, "status": "Waiting"})
			self.assertEqual(waiting, 0, order)
		self.assertEqual(len(finals), 1, finals)
		status, raw_ack, *_ = finals.pop()
		self.assertEqual((status, raw_ack), ("Read", "3"))

	def test_sent_received_and_status_events_in_any_order_end_in_the_same_row(self):
		# message.received (fromMe) and message.sent both describe our own message; the acks and the status
		# words of the other envelope feed the same machine. A fixed sample of the 5040 orders.
		rng = random.Random(20261201)
		steps = ["sent", "received", 1, 2, 3, "delivered", "read"]
		finals = set()
		for index in range(24):
			order = rng.sample(steps, len(steps))
			message_id = f"3EB0MIX{index:04d}AAAAAAAAAAA"
			for step in order:
				deliver(self.mixed_step(step, message_id), self.session_id)
			row = self.message(message_id)
			finals.add(
				(
					row.status,
					row.raw_ack,
					row.message_type,
					str(row.message_timestamp),
					str(row.read_at),
					row.body,
				)
			)
			self.assertEqual(
				frappe.db.count("WhatsApp Message", {"session": self.session_id, "message_id": message_id}), 1
			)
		self.assertEqual(len(finals), 1, finals)
		status, raw_ack, message_type, *_ = finals.pop()
		self.assertEqual((status, raw_ack, message_type), ("Read", "3", "image"))

	def mixed_step(self, step, message_id: str) -> dict:
		if step == "sent":
			return sent(message_id, ts=1729443611)
		if step == "received":
			payload = inbox_hub("g_message_received_image")
			data = payload["data"]
			data["id"] = {"fromMe": True, "remote": "34600000001@c.us", "id": message_id}
			data.update(fromMe=True, timestamp=1729443610, body="Respuesta automática")
			return payload
		if step in ("delivered", "read"):
			payload = inbox_hub(f"code_message_{step}")
			payload["data"]["messageId"] = message_id
			return payload
		return ack(message_id, step, 1729443600 + step * 10)

	def test_an_ack_parked_while_the_message_job_waits_is_still_applied(self):
		# The message's job began its transaction (its snapshot) before the ack's job parked the ack: the
		# message job must still see and apply it. The other job is played by a second connection.
		message_id = "3EB0SNAP000000000000001"
		message = deliver(sent(message_id), self.session_id, run=False)
		early = deliver(ack(message_id, 3), self.session_id, run=False)
		frappe.db.commit()
		frappe.db.sql("select count(*) from `tabInbound Webhook`")  # the snapshot starts here
		with second_connection() as other:
			other.sql("update `tabInbound Webhook` set status = 'Waiting' where name = %s", early)
			other.commit()
		process(message)
		self.assertEqual(self.message(message_id).status, "Read")
		self.assertEqual(frappe.db.get_value("Inbound Webhook", early, "status"), "Processed")

	def test_a_lock_held_elsewhere_ends_as_a_kept_failure_not_a_silent_retry(self):
		from xappiens_whatsapp.pipeline.inbox import drain as process_module
		from xappiens_whatsapp.pipeline.inbox import locks

		self.addCleanup(setattr, locks, "LOCK_WAIT_SECONDS", locks.LOCK_WAIT_SECONDS)
		locks.LOCK_WAIT_SECONDS = 1
		name = deliver(inbox_hub("g_message_received"), self.session_id, run=False)
		frappe.db.commit()
		row = frappe.db.get_value("Inbound Webhook", name, process_module.ROW_FIELDS, as_dict=True)
		with second_connection() as other:
			other.sql("select get_lock(%s, 5)", locks.lock_name(process_module.lock_key(row)))
			process(name)
		row = frappe.get_doc("Inbound Webhook", name)
		self.assertEqual((row.status, row.attempts), ("Failed", 1))
		self.assertIn("LockTimeout", row.last_error)
		self.assertIsNotNone(row.next_retry_at)
		process(name)  # the lock is free again
		self.assertEqual(frappe.db.get_value("Inbound Webhook", name, "status"), "Processed")

	def test_ack_before_its_message_waits_then_applies(self):
		early = deliver(ack("3EB0250462D167CE4A3F0E", 3), self.session_id)
		self.assertEqual(frappe.db.get_value("Inbound Webhook", early, "status"), "Waiting")
		deliver(sent("3EB0250462D167CE4A3F0E"), self.session_id)
		self.assertEqual(frappe.db.get_value("Inbound Webhook", early, "status"), "Processed")
		self.assertEqual(self.message("3EB0250462D167CE4A3F0E").status, "Read")

	def test_rival_status_events_feed_the_same_machine_and_never_go_back(self):
		deliver(sent("3EB0250462D167CE4A3F0E"), self.session_id)
		deliver(inbox_hub("code_message_read"), self.session_id)
		deliver(inbox_hub("code_message_delivered"), self.session_id)
		row = self.message("3EB0250462D167CE4A3F0E")
		self.assertEqual(row.status, "Read")
		self.assertIsNotNone(row.delivered_at)

	def test_failed_is_terminal(self):
		deliver(sent("3EB0250462D167CE4A3F0F"), self.session_id)
		deliver(inbox_hub("code_message_failed"), self.session_id)
		deliver(ack("3EB0250462D167CE4A3F0F", 3), self.session_id)
		self.assertEqual(self.message("3EB0250462D167CE4A3F0F").status, "Failed")

	def test_baileys_scale_is_a_setting(self):
		configure_settings(ack_scale="Baileys (0 to 5)")
		deliver(sent("3EB0SCALE0000000000001"), self.session_id)
		deliver(ack("3EB0SCALE0000000000001", 3), self.session_id)
		self.assertEqual(self.message("3EB0SCALE0000000000001").status, "Delivered")

	def test_a_long_drain_sees_settings_changed_while_it_runs(self):
		"""A drain runs for many seconds; a manager's change of the ack scale meanwhile counts within
		LOCAL_STATE_SECONDS, although this process read the settings (and keeps them in memory) before."""
		from xappiens_whatsapp.pipeline import settings
		from xappiens_whatsapp.pipeline.inbox import drain as process_module

		message_id = "3EB0LONGDRAIN000000001"
		deliver(sent(message_id), self.session_id)  # reads the settings: whatsapp-web.js, ack 3 = read
		with second_connection() as manager:
			manager.sql(
				"update `tabSingles` set value = %s where doctype = 'WhatsApp Settings' and field = 'ack_scale'",
				"Baileys (0 to 5)",
			)
			manager.commit()
		# as the manager's save does in its own process: the shared cache only, not this process's memory
		key = frappe.get_document_cache_key("WhatsApp Settings", "WhatsApp Settings")
		frappe.cache.delete(frappe.cache.make_key(key))
		self.assertEqual(settings.whatsapp().ack_scale, "whatsapp-web.js (-1 to 4)", "still in memory")

		deliver(ack(message_id, 3), self.session_id, run=False)
		self.addCleanup(setattr, process_module, "LOCAL_STATE_SECONDS", process_module.LOCAL_STATE_SECONDS)
		process_module.LOCAL_STATE_SECONDS = 0
		self.assertEqual(process_module.drain(linger=0), 1)
		self.assertEqual(self.message(message_id).status, "Delivered", "ack 3 on the Baileys scale")

	def test_reactions_attach_even_before_their_message(self):
		early = deliver(inbox_hub("f_reaction"), self.session_id)
		self.assertEqual(frappe.db.get_value("Inbound Webhook", early, "status"), "Waiting")
		deliver(sent("3EB0250462D167CE4A3F0E"), self.session_id)
		reactions = json.loads(self.message("3EB0250462D167CE4A3F0E").reactions)
		self.assertEqual(reactions[C_JID]["emoji"], "👍")
		deliver(inbox_hub("f_reaction_removed"), self.session_id)
		reactions = json.loads(self.message("3EB0250462D167CE4A3F0E").reactions)
		self.assertEqual(reactions[C_JID]["emoji"], "")
		# a reaction is not a message of its own
		self.assertEqual(frappe.db.count("WhatsApp Message", {"session": self.session_id}), 1)

	def test_lid_and_phone_stay_one_contact(self):
		deliver(inbox_hub("baileys_lid_only"), self.session_id)
		deliver(inbox_hub("g_message_received"), self.session_id)
		deliver(inbox_hub("baileys_lid_message"), self.session_id)
		contact = self.contact()
		self.assertEqual(contact.lid, "118000000000001@lid")
		lid_message = self.message("3EB0FF0462D167CE4A3F17")
		self.assertEqual(lid_message.contact, contact.name)
		# the lid without a known number stays its own, opaque, conversation with no phone
		opaque = self.contact("118000000000002@lid")
		self.assertIsNone(opaque.phone)
		self.assertEqual(frappe.db.count("WhatsApp Contact", {"session": self.session_id}), 2)

	def test_a_bare_lid_contact_is_folded_into_the_phone_contact_when_the_number_shows_up(self):
		lid_first = inbox_hub("baileys_lid_message")
		lid_first["data"]["message"]["key"].pop("remoteJidAlt")
		deliver(lid_first, self.session_id)
		deliver(inbox_hub("g_message_received"), self.session_id)
		self.assertEqual(frappe.db.count("WhatsApp Contact", {"session": self.session_id}), 2)
		deliver(inbox_hub("conversation_updated_lid"), self.session_id)
		self.assertEqual(frappe.db.count("WhatsApp Contact", {"session": self.session_id}), 1)
		contact = self.contact()
		self.assertEqual(contact.lid, "118000000000001@lid")
		self.assertEqual(contact.unread_count, 2)
		self.assertEqual(frappe.db.count("WhatsApp Message", {"contact": contact.name}), 2)

	def test_conversation_and_contact_metadata(self):
		deliver(inbox_hub("g_message_received"), self.session_id)
		self.assertEqual(self.contact().display_name, "+34600000001")
		deliver(inbox_hub("conversation_created"), self.session_id)
		deliver(inbox_hub("contact_updated"), self.session_id)
		contact = self.contact()
		self.assertEqual(contact.display_name, "Ana García López")
		self.assertEqual(contact.profile_picture_url, "https://pps.whatsapp.net/v/def.jpg")
		# a name an agent typed is kept
		frappe.db.set_value("WhatsApp Contact", contact.name, "display_name", "Ana (cliente VIP)")
		deliver(
			inbox_hub("conversation_created") | {"timestamp": "2025-10-14T07:00:00.000Z"}, self.session_id
		)
		self.assertEqual(self.contact().display_name, "Ana (cliente VIP)")

	def test_session_life_cycle(self):
		deliver(inbox_hub("g_session_qr"), self.session_id)
		row = frappe.get_doc("WhatsApp Session", self.session_id)
		self.assertEqual(row.status, "QR Code Required")
		self.assertTrue(row.qr_code.startswith("iVBORw0KGgo"))
		self.assertIsNotNone(row.qr_expires_at)
		deliver(inbox_hub("g_session_connected"), self.session_id)
		row.reload()
		self.assertEqual((row.status, row.phone_number, row.qr_code), ("Connected", "+34600000002", None))
		deliver(inbox_hub("g_session_disconnected"), self.session_id)
		row.reload()
		self.assertEqual((row.status, row.status_reason), ("Disconnected", "logout"))
		# an older event arriving late does not undo the newer state
		late = inbox_hub("g_session_connected")
		late["data"]["timestamp"] = "2025-10-14T06:40:00.000Z"
		late["timestamp"] = "2025-10-14T06:40:00.000Z"
		deliver(late, self.session_id)
		row.reload()
		self.assertEqual(row.status, "Disconnected")

	def test_realtime_goes_to_the_records_rooms_and_the_sessions_users_only(self):
		agent = make_user("xwt-agent@example.com", "WhatsApp Agent")
		make_user("xwt-outsider@example.com", "WhatsApp Agent")
		self.make_session(users=[agent])
		with capture_realtime() as capture:
			deliver(inbox_hub("g_message_received"), self.session_id)
			deliver(inbox_hub("g_session_qr"), self.session_id)
		contact = self.contact().name
		self.assertEqual(capture.rooms("xw_message"), {f"doc:WhatsApp Contact/{contact}"})
		conversation_rooms = capture.rooms("xw_conversation")
		self.assertIn(f"user:{agent}", conversation_rooms)
		self.assertIn("user:Administrator", conversation_rooms)
		self.assertNotIn("user:xwt-outsider@example.com", conversation_rooms)
		session_rooms = capture.rooms("xw_session")
		self.assertIn("user:Administrator", session_rooms)
		self.assertNotIn(f"user:{agent}", session_rooms)
		for event in capture.messages:
			self.assertNotEqual(event["room"], "all")
			text = json.dumps(event["message"])
			self.assertNotIn("Hola", text)
			self.assertNotIn("iVBORw0KGgo", text)
		# an agent added to the session hears of its conversations at once (the users are cached, not stale)
		newcomer = make_user("xwt-newcomer@example.com", "WhatsApp Agent")
		frappe.get_doc("WhatsApp Session", self.session_id).append("allowed_users", {"user": newcomer}).save(
			ignore_permissions=True
		)
		with capture_realtime() as capture:
			deliver(inbox_hub("f_message_received"), self.session_id)
		self.assertIn(f"user:{newcomer}", capture.rooms("xw_conversation"))

	def test_a_failing_event_keeps_its_error_is_retried_then_flagged(self):
		configure_settings(max_attempts=2)
		name = deliver(inbox_hub("g_message_received"), self.session_id, run=False)
		frappe.db.commit()
		with broken_messages():
			process(name)
			row = frappe.get_doc("Inbound Webhook", name)
			self.assertEqual((row.status, row.attempts, row.needs_attention), ("Failed", 1, 0))
			self.assertIn("the store is broken", row.last_error)
			self.assertIsNotNone(row.next_retry_at)
			process(name)
		row.reload()
		self.assertEqual((row.status, row.attempts, row.needs_attention), ("Failed", 2, 1))
		self.assertIsNone(row.next_retry_at)
		frappe.db.commit()
		remove_references("Inbound Webhook", [name])  # its alerts too
		frappe.db.delete("Inbound Webhook", {"name": name})
		frappe.db.commit()

	def test_sweep_requeues_stuck_and_due_rows(self):
		stuck = deliver(inbox_hub("g_message_received"), self.session_id, run=False)
		frappe.db.set_value("Inbound Webhook", stuck, "received_at", now_datetime() - timedelta(minutes=5))
		fresh = deliver(inbox_hub("f_message_received"), self.session_id, run=False)
		frappe.db.commit()
		from frappe.utils.background_jobs import get_queue

		lose_queued_jobs()
		result = sweep.run()
		self.assertEqual((result["stuck"], result["requeued"]), (1, 1))
		# one drain is woken for the stuck row (it takes every Received one), no job of a row's own
		self.assertEqual([job_row(job) for job in get_queue("short").get_jobs()], [None])
		run_worker()
		statuses = [frappe.db.get_value("Inbound Webhook", name, "status") for name in (stuck, fresh)]
		self.assertEqual(statuses, ["Processed", "Processed"])

	def test_sweep_retries_failed_after_their_backoff_rechecks_waiting_and_expires_old_waiting(self):
		from frappe.utils.background_jobs import get_queue

		past = now_datetime() - timedelta(seconds=5)
		due = deliver(inbox_hub("g_message_received"), self.session_id, run=False)
		later = deliver(inbox_hub("f_message_received"), self.session_id, run=False)
		flagged = deliver(inbox_hub("l_message"), self.session_id, run=False)
		frappe.db.set_value("Inbound Webhook", due, {"status": "Failed", "next_retry_at": past})
		frappe.db.set_value(
			"Inbound Webhook",
			later,
			{"status": "Failed", "next_retry_at": now_datetime() + timedelta(hours=1)},
		)
		frappe.db.set_value(
			"Inbound Webhook", flagged, {"status": "Failed", "next_retry_at": None, "needs_attention": 1}
		)
		waiting = deliver(ack("3EB0SWEEP0000000000001", 3), self.session_id)
		self.assertEqual(frappe.db.get_value("Inbound Webhook", waiting, "status"), "Waiting")
		frappe.db.set_value("Inbound Webhook", waiting, "next_retry_at", past)
		old = deliver(ack("3EB0SWEEP0000000000002", 3), self.session_id)
		frappe.db.set_value("Inbound Webhook", old, "received_at", now_datetime() - timedelta(days=2))
		frappe.db.commit()

		lose_queued_jobs()
		result = sweep.run()
		queued = {job_row(job) for job in get_queue("short").get_jobs()}
		self.assertEqual(queued & {due, later, flagged, waiting}, {due, waiting})
		self.assertEqual(result["expired"], 1)
		self.assertEqual(frappe.db.get_value("Inbound Webhook", old, "status"), "Ignored")

		# a waiting ack whose message arrived without waking it is applied when the sweep's job runs
		frappe.db.sql(
			"""insert into `tabWhatsApp Message` (name, session, message_id, from_me, status, creation, modified)
			values ('xwt-sweep-msg', %s, '3EB0SWEEP0000000000001', 1, 'Sent', now(), now())""",
			self.session_id,
		)
		process(waiting)
		self.assertEqual(frappe.db.get_value("WhatsApp Message", "xwt-sweep-msg", "status"), "Read")

	def test_reprocess_action(self):
		name = deliver(inbox_hub("g_message_received"), self.session_id, run=False)
		frappe.db.set_value("Inbound Webhook", name, "status", "Failed")
		frappe.db.commit()
		self.assertEqual(frappe.get_doc("Inbound Webhook", name).reprocess(), "Processed")
		self.assertIsNotNone(self.message("3EB0250462D167CE4A3F0D"))

	def test_a_webhook_row_made_before_the_send_answer_folds_into_the_agents_row(self):
		from xappiens_whatsapp.pipeline.whatsapp.messages import attach_gateway_id

		deliver(sent("3EB0RACE00000000000001"), self.session_id)
		deliver(ack("3EB0RACE00000000000001", 2), self.session_id)
		early = self.message("3EB0RACE00000000000001")
		ours = frappe.get_doc(
			{
				"doctype": "WhatsApp Message",
				"session": self.session_id,
				"contact": early.contact,
				"from_me": 1,
				"source": "Desk",
				"body": "Respuesta automática",
				"status": "Pending",
				"client_ref": "xwt-race",
			}
		).insert(ignore_permissions=True)
		attach_gateway_id(ours.name, self.session_id, "3EB0RACE00000000000001", "10999")
		rows = frappe.get_all(
			"WhatsApp Message",
			filters={"session": self.session_id},
			fields=["name", "message_id", "status", "client_ref", "gateway_row_id"],
		)
		self.assertEqual(len(rows), 1)
		self.assertEqual(
			(rows[0].name, rows[0].message_id, rows[0].status, rows[0].client_ref, rows[0].gateway_row_id),
			(ours.name, "3EB0RACE00000000000001", "Delivered", "xwt-race", "10999"),
		)
		# and a later ack finds the agent's row
		deliver(ack("3EB0RACE00000000000001", 3), self.session_id)
		self.assertEqual(frappe.db.get_value("WhatsApp Message", ours.name, "status"), "Read")

	def test_an_alert_speaks_each_readers_language(self):
		from xappiens_whatsapp.pipeline.alerts import notify_in_their_language

		spanish = make_user("xwt-es-manager@example.com", "WhatsApp Manager")
		english = make_user("xwt-en-manager@example.com", "WhatsApp Manager")
		frappe.db.set_value("User", spanish, "language", "es")
		frappe.db.set_value("User", english, "language", "en")
		name = deliver(inbox_hub("g_message_received"), self.session_id)
		frappe.db.delete("Notification Log", {"document_name": name})
		frappe.db.commit()
		notify_in_their_language(
			[spanish, english],
			lambda lang: frappe._("{0} event {1} keeps failing and needs attention", lang=lang).format(
				"Inbox Hub", "message.received"
			),
			"Inbound Webhook",
			name,
		)
		frappe.db.commit()
		run_worker()
		subjects = dict(
			frappe.get_all(
				"Notification Log",
				filters={"document_name": name},
				fields=["for_user", "subject"],
				as_list=True,
			)
		)
		self.assertEqual(
			subjects[english], "Inbox Hub event message.received keeps failing and needs attention"
		)
		self.assertEqual(
			subjects[spanish], "El evento message.received de Inbox Hub sigue fallando y necesita atención"
		)

	def test_a_drain_that_stops_with_work_left_keeps_a_drain_queued(self):
		"""A backlog larger than what one drain gets to (it yields to other jobs here) is carried on by
		another drain, not left for the sweep a minute later; a drain that finished everything queues none."""
		from frappe.utils.background_jobs import get_queue

		from xappiens_whatsapp.pipeline.inbox import drain as process_module
		from xappiens_whatsapp.pipeline.inbox import jobs

		queue = get_queue(jobs.QUEUE)
		names = []
		for i in range(5):
			payload = inbox_hub("g_message_received")
			payload["data"]["id"]["id"] = f"3EB0BACKLOG{i:012d}"
			names.append(deliver(payload, self.session_id, run=False))
		status = lambda: [frappe.db.get_value("Inbound Webhook", n, "status") for n in names]  # noqa: E731
		batch, yields = process_module.DRAIN_BATCH, process_module._other_work_waiting
		process_module.DRAIN_BATCH = 2
		process_module._other_work_waiting = lambda: True  # a send is waiting: yield after one batch
		try:
			lose_queued_jobs()
			process_module.job()
			self.assertEqual(status(), ["Processed"] * 2 + ["Received"] * 3)
			self.assertEqual([job_row(job) for job in queue.get_jobs()], [None], "a drain carries on")

			process_module.DRAIN_BATCH = 10
			lose_queued_jobs()
			process_module.job()
			self.assertEqual(status(), ["Processed"] * 5)
			self.assertEqual(queue.get_jobs(), [], "nothing left, nothing queued")
		finally:
			process_module.DRAIN_BATCH, process_module._other_work_waiting = batch, yields

	def test_a_drain_gives_way_to_another_sites_drain_but_not_to_its_own_sites(self):
		"""The bench's queues are shared by its sites: a drain goes on past this site's own inbox jobs (it does
		their work), and stops after its batch for another site's, which would otherwise wait for it."""
		from frappe.utils.background_jobs import get_queue

		from xappiens_whatsapp.pipeline.inbox import drain as process_module
		from xappiens_whatsapp.pipeline.inbox import jobs

		queue = get_queue(jobs.QUEUE)
		lose_queued_jobs()
		self.addCleanup(lose_queued_jobs)
		names = []
		for i in range(5):
			payload = inbox_hub("g_message_received")
			payload["data"]["id"]["id"] = f"3EB0SHARED{i:013d}"
			names.append(deliver(payload, self.session_id, run=False))
		# Only this site's inbox jobs in the queues (jobs earlier tests had queued after their commits would
		# rightly make the drain give way): a drain, and a row's own job as after a retry.
		lose_queued_jobs()
		get_queue("default").empty()
		jobs.wake()
		jobs.enqueue(names[0])
		self.assertEqual(len(queue.get_job_ids()), 2)
		self.assertFalse(process_module._other_work_waiting(), "this site's inbox jobs are the drain's own")
		other_site = f"other-site.localhost::{jobs.JOB_PREFIX}drain-0123456789"
		queue.enqueue_call("frappe.ping", job_id=other_site)
		self.assertTrue(process_module._other_work_waiting(), "another site's drain waits behind this one")

		status = lambda: [frappe.db.get_value("Inbound Webhook", n, "status") for n in names]  # noqa: E731
		self.addCleanup(setattr, process_module, "DRAIN_BATCH", process_module.DRAIN_BATCH)
		process_module.DRAIN_BATCH = 2
		process_module.job()
		self.assertEqual(status(), ["Processed"] * 2 + ["Received"] * 3, "one batch, then it gave way")

	def test_one_drain_applies_every_waiting_event_and_queues_a_job_for_the_one_it_skipped(self):
		from frappe.utils.background_jobs import get_queue

		from xappiens_whatsapp.pipeline.inbox import drain as process_module
		from xappiens_whatsapp.pipeline.inbox import jobs, locks

		queue = get_queue(jobs.QUEUE)
		lose_queued_jobs()
		names = []
		for i in range(5):
			payload = inbox_hub("g_message_received")
			payload["data"]["id"]["id"] = f"3EB0DRAIN{i:014d}"
			names.append(deliver(payload, self.session_id, run=False))
		queued = lambda: [job_row(job) for job in queue.get_jobs()]  # noqa: E731
		self.assertEqual(queued(), [None], "five events, one drain woken")
		busy = frappe.db.get_value("Inbound Webhook", names[3], process_module.ROW_FIELDS, as_dict=True)
		with second_connection() as other:
			# another worker is on one of them: it is left alone, neither waited for nor failed
			other.sql("select get_lock(%s, 5)", locks.lock_name(process_module.lock_key(busy)))
			process_module.job()
		statuses = dict(
			frappe.get_all(
				"Inbound Webhook", filters={"name": ["in", names]}, fields=["name", "status"], as_list=True
			)
		)
		self.assertEqual(statuses, {name: "Received" if name == names[3] else "Processed" for name in names})
		# the skipped row has a job of its own, which will wait its turn (the drain that ran was called here,
		# so the one queued for it is still there)
		self.assertEqual(queued(), [None, names[3]])
		# a drain that started cleared the flag: the next event wakes another
		payload = inbox_hub("g_message_received")
		payload["data"]["id"]["id"] = "3EB0DRAIN99999999999999"
		deliver(payload, self.session_id, run=False)
		self.assertEqual(queued(), [None, names[3], None])

	def _group(self, tag: str, jids: list[str]) -> list:
		"""One message.received per chat id, stored and not applied; their rows as a drain reads them."""
		from xappiens_whatsapp.pipeline.inbox import drain as process_module

		names = []
		for i, jid in enumerate(jids):
			payload = inbox_hub("g_message_received")
			payload["data"]["id"]["id"] = f"3EB0{tag}{i:016d}"
			chat = jid.replace("@s.whatsapp.net", "@c.us")
			payload["data"]["from"] = payload["data"]["id"]["remote"] = chat
			payload["data"]["id"]["_serialized"] = f"false_{chat}_{payload['data']['id']['id']}_in"
			names.append(deliver(payload, self.session_id, run=False))
		rows = frappe.get_all(
			"Inbound Webhook",
			filters={"name": ["in", names]},
			fields=process_module.ROW_FIELDS,
			order_by="received_at",
		)
		self.assertEqual([row.name for row in rows], names)
		return rows

	def _statuses(self, rows) -> list[str]:
		return [frappe.db.get_value("Inbound Webhook", row.name, "status") for row in rows]

	def _short_lock_waits(self):
		before = frappe.db.sql("select @@session.innodb_lock_wait_timeout")[0][0]
		frappe.db.sql("set session innodb_lock_wait_timeout = 1")
		self.addCleanup(frappe.db.sql, f"set session innodb_lock_wait_timeout = {int(before)}")

	def test_a_group_wakes_what_waits_for_its_messages_from_one_read(self):
		"""Events parked before the group (an ack and a reaction) and inside it (an ack that comes before its
		message in the same group) are applied by their messages; every row is settled with its own
		bookkeeping; the group took its locks in one statement and read its parked events once, however many
		messages it holds, and left no lock behind."""
		from unittest.mock import patch

		from xappiens_whatsapp.pipeline.inbox import drain as process_module
		from xappiens_whatsapp.pipeline.inbox import locks

		before, inside, plain = "3EB0250462D167CE4A3F0E", "3EB0PARKINSIDE000000001", "3EB0PARKPLAIN0000000001"
		parked_before = [
			deliver(inbox_hub("f_reaction"), self.session_id),  # reacts to `before`
			deliver(ack(before, 3), self.session_id, run=False),  # parked below, by another worker
		]
		events = [sent(before), ack(inside, 3), sent(inside), sent(plain), ack(plain, 3)]
		names = [deliver(payload, self.session_id, run=False) for payload in events]
		rows = frappe.get_all(  # this transaction's snapshot starts here
			"Inbound Webhook",
			filters={"name": ["in", names]},
			fields=process_module.ROW_FIELDS,
			order_by="received_at",
		)
		self.assertEqual([row.name for row in rows], names)
		with second_connection() as other:
			# parked after this snapshot began: a plain read would not see it, the group's read must
			other.sql("update `tabInbound Webhook` set status = 'Waiting' where name = %s", parked_before[1])
			other.commit()

		statements = []
		real_sql = frappe.db.sql

		def counting(query, *args, **kwargs):
			statements.append(" ".join(str(query).split()))
			return real_sql(query, *args, **kwargs)

		with patch.object(frappe.db, "sql", counting):
			self.assertEqual(process_module.apply_group(rows), names)

		self.assertEqual(self._statuses_of(parked_before + names), ["Processed"] * 7)
		for message_id in (before, inside, plain):
			self.assertEqual(self.message(message_id).status, "Read", message_id)
		self.assertEqual(json.loads(self.message(before).reactions)[C_JID]["emoji"], "👍")
		for name, message_id in zip(names, [before, inside, inside, plain, plain], strict=True):
			row = frappe.db.get_value("Inbound Webhook", name, ["*"], as_dict=True)
			self.assertEqual(
				row.attempts, 2 if name == names[1] else 1
			)  # the parked one: parked, then applied
			self.assertEqual(
				(row.reference_doctype, row.reference_name),
				("WhatsApp Message", self.message(message_id).name),
			)
			self.assertIsNotNone(row.processed_at)
			self.assertIsNotNone(row.processing_ms)
			self.assertIsNotNone(row.lag_ms)
			self.assertIsNone(row.next_retry_at)
		self.assertEqual(sum("get_lock(" in q for q in statements), 1, "the group's locks in one statement")
		self.assertEqual(sum("status = 'Waiting'" in q for q in statements), 1, "parked events read once")
		for row in rows:
			lock = locks.lock_name(process_module.lock_key(row))
			self.assertIsNone(frappe.db.sql("select is_used_lock(%s)", lock)[0][0], "every lock released")

	def test_a_group_does_not_hold_up_webhooks_that_arrive_meanwhile(self):
		"""While a drain's group is open, the endpoint stores a new event for one of its messages at once: the
		group locks no gap that new inbox rows go into (else each webhook would wait for a group's commit)."""
		from unittest.mock import patch

		from xappiens_whatsapp.pipeline.inbox import drain as process_module

		message_id = "3EB0NOHOLD0000000000001"
		name = deliver(sent(message_id), self.session_id, run=False)
		rows = frappe.get_all("Inbound Webhook", filters={"name": name}, fields=process_module.ROW_FIELDS)
		real_handler, arrived = process_module._handler, []

		def handler(provider):
			apply = real_handler(provider)

			def apply_then_receive(row, raw, headers):
				outcome = apply(row, raw, headers)
				ours = frappe.local.db
				with second_connection() as endpoint:
					endpoint.sql("set session innodb_lock_wait_timeout = 1")  # a wait fails the test
					frappe.local.db = endpoint  # the endpoint's insert, on a connection of its own
					try:
						arrived.append(deliver(ack(message_id, 3), self.session_id, run=False))
					finally:
						frappe.local.db = ours
				return outcome

			return apply_then_receive

		with patch.object(process_module, "_handler", handler):
			self.assertEqual(process_module.apply_group(rows), [name])
		self.assertEqual(len(arrived), 1)
		process(arrived[0])
		self.assertEqual(self.message(message_id).status, "Read")

	def test_update_rows_gives_each_row_its_own_values(self):
		from xappiens_whatsapp.pipeline.inbox.rows import update_rows

		names = [deliver(ack(f"3EB0ROWS{i:015d}", 3), self.session_id, run=False) for i in range(4)]
		update_rows(
			"Inbound Webhook",
			[
				(names[0], {"note": "first", "attempts": 2}),
				(names[1], {"lag_ms": 7.5}),
				(names[2], {"note": None, "attempts": 5}),
			],
		)
		fields = ["note", "attempts", "lag_ms", "status"]
		got = [frappe.db.get_value("Inbound Webhook", name, fields, as_dict=True) for name in names]
		self.assertEqual(
			[(row.note, row.attempts, row.lag_ms, row.status) for row in got],
			[
				("first", 2, 0, "Received"),
				(None, 0, 7.5, "Received"),
				(None, 5, 0, "Received"),
				(None, 0, 0, "Received"),
			],
		)

	def _statuses_of(self, names) -> list[str]:
		return [frappe.db.get_value("Inbound Webhook", name, "status") for name in names]

	def test_a_group_is_undone_whole_when_another_worker_holds_what_it_needs(self):
		"""A drain applies its events in one transaction: a conflict on the last one leaves none applied (all
		still Received, for the next look), and the next look applies each once."""
		from xappiens_whatsapp.pipeline.inbox.drain import apply_group

		other_jid = "34600000003@s.whatsapp.net"
		first = self._group("GRPWARM", [other_jid, C_JID])
		self.assertEqual(apply_group(first), [row.name for row in first])  # both conversations exist
		rows = self._group("GRPUNDO", [C_JID, C_JID, other_jid])
		self._short_lock_waits()
		with second_connection() as other:
			# another worker is updating the last event's conversation and has not committed yet
			busy = self.contact(other_jid)["name"]
			other.sql("select name from `tabWhatsApp Contact` where name = %s for update", busy)
			self.assertEqual(apply_group(rows), [])
			self.assertEqual(self._statuses(rows), ["Received"] * 3)
			ids = [f"3EB0GRPUNDO{i:016d}" for i in range(3)]
			self.assertEqual(frappe.db.count("WhatsApp Message", {"message_id": ["in", ids]}), 0)
		self.assertEqual(apply_group(rows), [row.name for row in rows])
		self.assertEqual(self._statuses(rows), ["Processed"] * 3)
		self.assertEqual(frappe.db.count("WhatsApp Message", {"message_id": ["in", ids]}), 3)
		self.assertEqual(self.contact()["unread_count"], 3)

	def test_an_error_in_a_group_stays_on_its_own_row(self):
		"""One broken event among good ones: the group is undone and applied one row at a time, so the good
		ones are applied and the error is kept on the broken one only."""
		from xappiens_whatsapp.pipeline.inbox.drain import apply_group

		rows = self._group("GRPFAIL", [C_JID, C_JID, C_JID])
		with broken_messages("3EB0GRPFAIL0000000000000001"):
			self.assertEqual(apply_group(rows), [row.name for row in rows])
		self.assertEqual(self._statuses(rows), ["Processed", "Failed", "Processed"])
		failed = frappe.get_doc("Inbound Webhook", rows[1].name)
		self.assertEqual(failed.attempts, 1)
		self.assertIn("the store is broken", failed.last_error)
		self.assertIsNone(self.message("3EB0GRPFAIL0000000000000001"))
		self.assertEqual(self.contact()["unread_count"], 2)

	def test_a_row_another_worker_has_claimed_is_skipped_not_waited_for(self):
		from xappiens_whatsapp.pipeline.inbox.drain import apply_group

		rows = self._group("GRPSKIP", [C_JID, C_JID, C_JID])
		self._short_lock_waits()  # waiting for the claimed row would end in a lock wait timeout
		with second_connection() as other:
			other.sql("select name from `tabInbound Webhook` where name = %s for update", rows[1].name)
			self.assertEqual(apply_group(rows), [rows[0].name, rows[2].name])
		self.assertEqual(self._statuses(rows), ["Processed", "Received", "Processed"])
		self.assertEqual(apply_group(rows), [rows[1].name])
		self.assertEqual(apply_group(rows), [], "applied once")
		self.assertEqual(self.contact()["unread_count"], 3)

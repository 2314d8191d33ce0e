"""The health charts' summary rows (pipeline/counts.py): moved by the pipeline as rows change state, exact under two
workers, undone with a rollback, rebuilt by the patch to what a GROUP BY over the rows says, and what Frappe's
chart API shows."""

import threading
from collections import Counter

import frappe
from frappe.desk.doctype.dashboard_chart.dashboard_chart import get as chart_data
from frappe.utils import getdate, now_datetime

from xappiens_whatsapp.bench_tests.base import XWTestCase, event, run_worker
from xappiens_whatsapp.bench_tests.local_delivery import broken_messages, deliver
from xappiens_whatsapp.pipeline import counts
from xappiens_whatsapp.pipeline.inbox.drain import process
from xappiens_whatsapp.testing.payloads import inbox_hub


def buckets(record_type: str = counts.WEBHOOK) -> Counter:
	"""(provider, day, status) → count, as the summary rows say."""
	frappe.db.commit()  # a fresh snapshot: workers and the server wrote on their own connections
	rows = frappe.get_all(
		counts.COUNTS, filters={"record_type": record_type}, fields=["provider", "day", "status", "count"]
	)
	return Counter({(r.provider or "", str(r.day or ""), r.status): r.count for r in rows})


def lag_events() -> Counter:
	frappe.db.commit()
	return Counter(dict(frappe.get_all(counts.LAG, fields=["day", "events"], as_list=True)))


def grouped_webhooks() -> Counter:
	"""The same buckets counted from the inbox rows themselves."""
	rows = frappe.db.sql(
		"""select ifnull(provider, ''), ifnull(cast(date(received_at) as char), ''), status, count(*)
		from `tabInbound Webhook` group by 1, 2, 3"""
	)
	return Counter({(p, d, s): n for p, d, s, n in rows})


def delta(after: Counter, before: Counter) -> dict:
	keys = set(after) | set(before)
	return {k: after[k] - before[k] for k in keys if after[k] != before[k]}


class TestHealthCounts(XWTestCase):
	def setUp(self):
		self.cleanup()
		self.make_session()
		self.today = str(getdate())

	def key(self, status: str, provider: str = "Inbox Hub") -> tuple:
		return (provider, self.today, status)

	def test_webhooks_over_http_count_as_received_then_processed_by_a_real_worker(self):
		before, lag_before = buckets(), lag_events()
		for i in range(5):
			payload = event("g_message_received", self.session_id)
			payload["data"]["id"]["id"] = f"3EB0COUNT{i:013d}"
			self.assertEqual(self.post_event(payload).status_code, 200)
		self.assertEqual(delta(buckets(), before), {self.key("Received"): 5})
		run_worker()
		self.assertEqual([r.status for r in self.inbound()], ["Processed"] * 5)
		self.assertEqual(delta(buckets(), before), {self.key("Processed"): 5})
		self.assertEqual(delta(lag_events(), lag_before), {getdate(): 5})

	def test_a_failure_moves_the_row_to_failed_and_a_retry_to_processed(self):
		before = buckets()
		name = deliver(inbox_hub("g_message_received"), self.session_id, run=False)
		with broken_messages():
			process(name)
		self.assertEqual(frappe.db.get_value("Inbound Webhook", name, "status"), "Failed")
		self.assertEqual(delta(buckets(), before), {self.key("Failed"): 1})
		process(name)
		self.assertEqual(delta(buckets(), before), {self.key("Processed"): 1})

	def test_a_parked_event_and_a_duplicate_delivery_count_once(self):
		before = buckets()
		ack = {"event": "message.ack", "data": {"messageId": "3EB0COUNTWAIT000000001", "ack": 3}}
		waiting = deliver(ack, self.session_id)
		again = deliver(dict(ack), self.session_id)  # the provider's retry: the same row, nothing new
		self.assertEqual(waiting, again)
		self.assertEqual(frappe.db.get_value("Inbound Webhook", waiting, "status"), "Waiting")
		self.assertEqual(delta(buckets(), before), {self.key("Waiting"): 1})

	def test_the_sweep_expiring_a_parked_event_and_a_managers_reprocess_move_it(self):
		from datetime import timedelta

		from xappiens_whatsapp.pipeline.inbox import sweep

		before = buckets()
		ack = {"event": "message.ack", "data": {"messageId": "3EB0COUNTWAIT000000002", "ack": 3}}
		waiting = deliver(ack, self.session_id)
		# received two days ago, so its bucket is that day's
		received = now_datetime() - timedelta(days=2)
		frappe.db.set_value("Inbound Webhook", waiting, "received_at", received)
		frappe.db.sql(
			"update `tabStatus Count` set `count` = `count` - 1 where name = %s",
			f"Inbound Webhook|Inbox Hub|{self.today}|Waiting",
		)
		counts.webhook_moved("Inbox Hub", received, None, "Waiting")
		frappe.db.commit()
		sweep.run()
		self.assertEqual(frappe.db.get_value("Inbound Webhook", waiting, "status"), "Ignored")
		self.assertEqual(delta(buckets(), before), {("Inbox Hub", str(received.date()), "Ignored"): 1})

		failed = deliver(inbox_hub("g_message_received"), self.session_id, run=False)
		with broken_messages():
			process(failed)
		self.assertEqual(frappe.get_doc("Inbound Webhook", failed).reprocess(), "Processed")
		self.assertEqual(
			delta(buckets(), before),
			{("Inbox Hub", str(received.date()), "Ignored"): 1, self.key("Processed"): 1},
		)

	def test_a_rollback_takes_its_moves_with_it(self):
		before = buckets()
		deliver(inbox_hub("g_message_received"), self.session_id, run=False)
		frappe.db.commit()
		counts.webhook_moved("Inbox Hub", now_datetime(), "Received", "Processed")
		frappe.db.rollback()
		frappe.db.commit()
		self.assertEqual(delta(buckets(), before), {self.key("Received"): 1})

	def test_two_workers_moving_the_same_buckets_add_up_exactly(self):
		"""Two connections, 40 transactions each moving the same two buckets at once: no move lost or doubled."""
		before = buckets()
		site, errors = frappe.local.site, []

		def worker():
			frappe.init(site=site)
			frappe.connect()
			try:
				for _ in range(40):
					counts.webhook_moved("Inbox Hub", now_datetime(), None, "Received")
					counts.webhook_moved("Inbox Hub", now_datetime(), "Received", "Processed")
					counts.webhook_moved("Inbox Hub", now_datetime(), None, "Received")
					frappe.db.commit()
			except Exception as exc:
				errors.append(exc)
			finally:
				frappe.destroy()

		threads = [threading.Thread(target=worker) for _ in range(2)]
		for thread in threads:
			thread.start()
		for thread in threads:
			thread.join(120)
		self.assertEqual(errors, [])
		self.assertEqual(delta(buckets(), before), {self.key("Received"): 80, self.key("Processed"): 80})

	def test_two_rq_workers_draining_one_backlog_count_every_row_once(self):
		import subprocess
		import sys

		from xappiens_whatsapp.bench_tests.base import bench_path

		before = buckets()
		names = []
		# more than one drain's batch: the first drain queues a second, for the other worker
		for i in range(120):
			payload = inbox_hub("g_message_received")
			payload["data"]["id"]["id"] = f"3EB0TWOWK{i:013d}"
			names.append(deliver(payload, self.session_id, run=False))
		frappe.db.commit()
		command = [
			sys.executable,
			*("-m", "frappe.utils.bench_helper", "frappe", "--site", frappe.local.site),
			*("worker", "--queue", "short,default", "--burst"),
		]
		workers = [
			subprocess.Popen(
				command, cwd=bench_path() / "sites", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
			)
			for _ in range(2)
		]
		for worker in workers:
			worker.wait(180)
		run_worker()  # anything either left queued
		statuses = Counter(r.status for r in self.inbound())
		self.assertEqual(statuses, Counter({"Processed": len(names)}))
		self.assertEqual(delta(buckets(), before), {self.key("Processed"): len(names)})

	def test_the_patch_rebuilds_what_a_group_by_says_and_again_the_same(self):
		deliver(inbox_hub("g_message_received"), self.session_id, run=False)
		deliver(inbox_hub("f_message_received"), self.session_id)
		from xappiens_whatsapp.patches.v1_1 import health_counts_and_missed_calls

		health_counts_and_missed_calls.execute()
		first = buckets()
		self.assertEqual(first, grouped_webhooks())
		calls = frappe.db.sql("select status, count(*) from `tabNetelip Call` group by status")
		self.assertEqual(
			{k[2]: n for k, n in buckets(counts.CALL).items() if n}, {s: n for s, n in calls if n}
		)
		lag = frappe.db.sql(
			"""select date(processed_at), count(*), avg(lag_ms) from `tabInbound Webhook`
			where status = 'Processed' and lag_ms is not null group by 1"""
		)
		kept = {r.day: (r.events, r.average_lag_ms) for r in frappe.get_all(counts.LAG, fields=["*"])}
		self.assertEqual(
			{d: (n, round(a, 3)) for d, n, a in lag}, {d: (n, round(a, 3)) for d, (n, a) in kept.items()}
		)
		health_counts_and_missed_calls.execute()
		self.assertEqual(buckets(), first)

	def test_the_charts_show_what_a_group_by_over_the_rows_says(self):
		deliver(inbox_hub("g_message_received"), self.session_id, run=False)
		deliver(inbox_hub("f_message_received"), self.session_id)
		counts.rebuild()
		frappe.db.commit()

		def shown(name: str) -> dict:
			data = chart_data(chart_name=name, refresh=1)
			if data is None:  # Frappe's answer for a chart by group with nothing to show
				return {}
			return dict(zip(data["labels"], data["datasets"][0]["values"], strict=True))

		for chart, provider in (
			("WhatsApp Events by Status", "Inbox Hub"),
			("Netelip Events by Status", "Netelip"),
		):
			rows = frappe.db.sql(
				"select status, count(*) from `tabInbound Webhook` where provider = %s group by status",
				provider,
			)
			self.assertEqual(shown(chart), {s: n for s, n in rows}, chart)
		calls = frappe.db.sql("select status, count(*) from `tabNetelip Call` group by status")
		self.assertEqual(shown("Calls by Outcome"), {s: n for s, n in calls})
		per_day = shown("Webhook Events per Day")
		today = frappe.db.sql(
			"select count(*) from `tabInbound Webhook` where date(received_at) = current_date()"
		)[0][0]
		self.assertGreater(today, 0)
		self.assertEqual(list(per_day.values())[-1], today)
		lag = shown("Webhook Processing Lag")
		expected = frappe.db.sql(
			"""select avg(lag_ms) from `tabInbound Webhook`
			where status = 'Processed' and date(processed_at) = current_date()"""
		)[0][0]
		# Frappe's chart takes the whole milliseconds of the day's average (cint)
		self.assertEqual(list(lag.values())[-1], int(expected))

"""Faults and hostile input over real HTTP, real workers and real Redis: nothing lost, nothing twice.

Each test prints one counts line (sent, accepted, rejected, stored, processed, duplicated, lost…) and asserts
on counts and final states only. The simulator (testing/simulator.py) plays both providers.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import frappe
import requests

from xappiens_whatsapp.pipeline import sweep
from xappiens_whatsapp.testing import sim_check
from xappiens_whatsapp.testing import simulator as sim
from xappiens_whatsapp.tests.base import TEST_PREFIX, XWTestCase, _free_port, bench_path, configure_settings

PREFIX = TEST_PREFIX + "sim_"
NETELIP_TOKEN = "fault-tests-netelip-token-0123456789"
WSGI = "xappiens_whatsapp.tests.wsgi:application"
DEAD = "127.0.0.1:9"  # the discard port: nothing listens there


def worker_args(burst: bool) -> list[str]:
	args = [
		sys.executable,
		"-m",
		"frappe.utils.bench_helper",
		"frappe",
		"--site",
		frappe.local.site,
		"worker",
	]
	return args + ["--queue", "short,default"] + (["--burst"] if burst else [])


def start_worker(burst: bool = True) -> subprocess.Popen:
	# A session of its own, so a kill reaches the worker and the work-horse it forks for each job.
	return subprocess.Popen(
		worker_args(burst),
		cwd=bench_path() / "sites",
		stdout=subprocess.DEVNULL,
		stderr=subprocess.DEVNULL,
		start_new_session=True,
	)


def run_workers(count: int, timeout: int = 180) -> None:
	"""`count` burst workers at once, until the queues are empty."""
	procs = [start_worker() for _ in range(count)]
	for proc in procs:
		proc.wait(timeout)


@contextmanager
def side_server(**env):
	"""A one-worker gunicorn for the test site whose environment breaks something (e.g. a dead Redis)."""
	port = _free_port()
	log = open(bench_path() / "logs" / "xw-test-faults-web.log", "ab")
	proc = subprocess.Popen(
		[sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", "-t", "60", WSGI],
		cwd=bench_path() / "sites",
		env={**os.environ, "XW_SITE": frappe.local.site, **env},
		stdout=log,
		stderr=log,
		start_new_session=True,
	)
	url = f"http://127.0.0.1:{port}"
	try:
		deadline = time.time() + 60
		while time.time() < deadline:
			try:
				requests.get(url + "/api/method/ping", timeout=30)  # any answer, even a 500, means it is up
				break
			except requests.RequestException:
				time.sleep(0.3)
		yield url
	finally:
		os.killpg(proc.pid, signal.SIGTERM)
		proc.wait(20)


class TestFaults(XWTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		netelip = frappe.get_single("Netelip Settings")
		netelip.update({"webhook_token": NETELIP_TOKEN, "allowed_sources": "", "api_application": ""})
		netelip.save(ignore_permissions=True)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		sim_check.cleanup(PREFIX)
		super().tearDownClass()

	def setUp(self):
		sim_check.cleanup(PREFIX)
		configure_settings(stuck_after_seconds=1)

	def scenario(self, seed: int, **options) -> sim.Scenario:
		config = sim.Config(session_prefix=PREFIX, seed=seed, **options)
		secrets = sim_check.ensure_sessions(sim.session_ids(config))
		return sim.build(config, secrets=secrets, netelip_token=NETELIP_TOKEN)

	def report(self, label: str, tally: sim_check.Tally) -> None:
		print(f"\n[{label}] {tally.line()}")

	def settle(self, scenario: sim.Scenario) -> None:
		# Frappe's queues are shared by every site of the bench: another site's worker may still be running one
		# of these jobs after our burst worker exits.
		sim_check.wait_settled(scenario, 60)

	def assert_exactly_once(self, scenario: sim.Scenario, tally: sim_check.Tally) -> None:
		left = {
			k: v
			for k, v in sim_check.inbox_statuses(list(scenario.dedup_keys)).items()
			if v not in ("Processed", "Ignored")
		}
		self.assertEqual(left, {}, tally.line())
		self.assertEqual(tally.stored, len(scenario.deliveries), tally.line())
		self.assertEqual(tally.processed, tally.stored, tally.line())
		self.assertEqual(
			(tally.duplicated, tally.lost, tally.wrong_state, tally.pending), (0, 0, 0, 0), tally.line()
		)

	def test_duplicates_reordering_and_late_acks_at_load_with_two_web_and_two_rq_workers(self):
		"""Retried, shuffled and late deliveries, sent 8 at a time to two web workers and applied by two RQ
		workers at once, end with exactly one row per message and call, each in its right final state: no
		in-process state, no duplicate, no lost update."""
		s = self.scenario(
			11,
			sessions=2,
			conversations=12,
			messages=2,
			replies=2,
			calls=8,
			duplicates=0.3,
			reorder=True,
			late_acks=True,
		)
		result = sim.send(s.stream, self.server.url, concurrency=8, max_duration=120)
		self.assertEqual((result.failed, result.rejected, result.unsent), (0, 0, 0), result.line())
		self.assertGreater(result.duplicate_answers, 0)
		run_workers(2)
		self.settle(s)
		tally = sim_check.tally(s, result)
		self.report("duplicates+reorder+late acks, 2 web + 2 RQ workers", tally)
		self.assert_exactly_once(s, tally)

	def test_worker_killed_in_the_middle_of_jobs(self):
		"""A worker killed with SIGKILL while it works loses nothing: its unfinished events stay Received and
		are queued again by the sweep, and a new worker applies every event exactly once."""
		s = self.scenario(12, conversations=15, messages=3, replies=1, calls=3)
		result = sim.send(s.stream, self.server.url, concurrency=4)
		self.assertEqual(result.accepted, len(s.stream), result.line())
		worker = start_worker(burst=False)
		deadline = time.time() + 60
		while time.time() < deadline and sim_check.tally(s).processed < 5:
			time.sleep(0.05)
		os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work-horse, mid-job
		worker.wait(10)
		killed = sim_check.tally(s, result)
		self.assertGreater(killed.pending, 0, "the worker finished before it could be killed")

		# The killed job stays "started" in RQ until its heartbeat expires (~90 s): move the registry's clock
		# instead of waiting, then let the sweep do what it does every minute.
		time.sleep(1.5)  # past stuck_after_seconds
		sweep.release_abandoned_jobs(time.time() + 200)
		swept = sweep.run()
		self.assertGreater(swept["requeued"], 0, swept)
		run_workers(1)
		sweep.run()  # events that failed on a lock the dead worker held are retried too
		frappe.db.sql(
			"update `tabInbound Webhook` set next_retry_at = now() where status = 'Failed' and session_id like %s",
			PREFIX + "%",
		)
		sweep.run()
		run_workers(1)
		self.settle(s)
		tally = sim_check.tally(s, result)
		self.report(f"worker killed after {killed.processed} of {killed.stored}", tally)
		self.assert_exactly_once(s, tally)

	def test_queue_redis_down_answers_200_only_for_stored_events(self):
		"""With the queue's Redis unreachable, an accepted event is already committed (200) and the sweep queues
		it once Redis is back; none is lost."""
		s = self.scenario(13, conversations=4, messages=2, replies=1, calls=2)
		with side_server(FRAPPE_REDIS_QUEUE=f"redis://{DEAD}") as url:
			result = sim.send(s.stream, url, concurrency=2, timeout=60, max_duration=300)
		stored = sim_check.tally(s, result)
		self.assertEqual(result.accepted, len(s.stream), result.line())
		self.assertEqual(stored.stored, len(s.deliveries))  # every 200 is a committed row
		time.sleep(1.5)
		self.assertGreaterEqual(sweep.run()["requeued"], len(s.deliveries))
		run_workers(1)
		self.settle(s)
		tally = sim_check.tally(s, result)
		self.report("queue Redis down during ingress", tally)
		self.assert_exactly_once(s, tally)

	def test_cache_redis_down_answers_503_and_the_retry_gets_through(self):
		"""With the cache's Redis unreachable (Frappe's rate limiter needs it before our endpoint runs), every
		delivery is refused with 503 and nothing half-stored; the provider's retry, once Redis is back, is
		accepted and applied."""
		s = self.scenario(14, conversations=3, messages=1, replies=1, calls=2)
		with side_server(FRAPPE_REDIS_CACHE=f"redis://{DEAD}") as url:
			down = sim.send(s.stream, url, concurrency=2, timeout=60)
		self.assertEqual(dict(down.statuses), {503: len(s.stream)}, down.line())
		self.assertEqual(sim_check.tally(s).stored, 0)
		retry = sim.send(s.stream, self.server.url, concurrency=2)
		run_workers(1)
		self.settle(s)
		tally = sim_check.tally(s, retry)
		self.report("cache Redis down, then the provider's retries", tally)
		self.assert_exactly_once(s, tally)

	def test_database_down_is_never_a_200(self):
		"""With MariaDB unreachable, no delivery is acknowledged. Frappe fails before any app code (connecting,
		then its own rollback), so the answer is its 500 rather than our 503: still a retryable 5xx."""
		s = self.scenario(15, conversations=3, messages=1, replies=0, calls=2)
		with side_server(FRAPPE_DB_PORT=DEAD.split(":")[1]) as url:
			result = sim.send(s.stream, url, concurrency=2, timeout=60)
		self.report("database down", sim_check.tally(s, result, complete=False))
		self.assertEqual(result.accepted, 0, result.line())
		self.assertTrue(set(result.statuses) <= {500, 502, 503}, result.statuses)

	def test_hostile_requests_get_4xx_and_nothing_is_processed(self):
		"""Malformed, truncated, mistyped, deep, huge, non-UTF-8, header-injected, replayed, wrongly signed and
		forged requests: each gets a 4xx (never a 500), and nothing reaches the CRM. The few authentic but
		unreadable ones are kept once as Ignored rows for inspection."""
		[session] = sim_check.ensure_sessions([PREFIX + "hostile"]).items()
		cases = sim.hostile_requests(session[0], session[1], NETELIP_TOKEN, seed=16)
		statuses = {}
		for case in cases:
			statuses[case.label] = sim.post_hostile(self.server.url, case)
		odd = sim.authentic_oddities(session[0], session[1])
		odd_statuses = {case.label: sim.post_hostile(self.server.url, case) for case in odd}
		run_workers(1)
		frappe.db.commit()
		rows = frappe.get_all(
			"Inbound Webhook",
			filters={"session_id": session[0]},
			fields=["status", "event"],
		)
		netelip_rows = frappe.get_all(
			"Inbound Webhook",
			filters={
				"provider": "Netelip",
				"remote_addr": "127.0.0.1",
				"received_at": [">", frappe.utils.add_to_date(None, minutes=-5)],
			},
			fields=["status", "reference_key"],
		)
		rejected = sum(1 for s in statuses.values() if s is not None and 400 <= s < 500)
		print(
			f"\n[hostile corpus] sent={len(cases) + len(odd)} rejected={rejected} "
			f"accepted={sum(1 for s in odd_statuses.values() if s == 200)} stored={len(rows)} "
			f"processed={sum(1 for r in rows if r.status == 'Processed')} duplicated=0 lost=0"
		)
		for label, status in statuses.items():
			with self.subTest(label):
				self.assertIsNotNone(status, "no answer at all")
				self.assertTrue(400 <= status < 500, f"{label}: {status}")
		for label, status in odd_statuses.items():
			with self.subTest(label):
				self.assertIn(status, (200, 400), f"{label}: {status}")
		self.assertTrue(all(r.status == "Ignored" for r in rows), rows)
		self.assertTrue(all(r.status == "Ignored" for r in netelip_rows if not r.reference_key), netelip_rows)
		self.assertEqual(frappe.db.count("WhatsApp Message", {"session": session[0]}), 0)
		self.assertEqual(
			frappe.db.count("Netelip Call", {"raw_dst": "910000001", "call_id": ["like", "%.0001"]}), 0
		)

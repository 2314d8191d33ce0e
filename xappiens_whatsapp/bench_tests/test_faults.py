"""Faults and hostile input over real HTTP, real workers and real Redis: nothing lost, nothing twice.

Each test prints one counts line (sent, accepted, rejected, stored, processed, duplicated, lost…), every number
measured from the answers received and the rows found, and asserts on counts and final states only (never on
timings). The simulator (testing/simulator.py) plays both providers.
"""

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from urllib.parse import urlsplit

import frappe
import requests

from xappiens_whatsapp.bench_tests.base import (
	TEST_PREFIX,
	XWTestCase,
	_free_port,
	bench_path,
	configure_settings,
	second_connection,
)
from xappiens_whatsapp.core import inbox_hub_events as ih
from xappiens_whatsapp.pipeline.inbox import sweep
from xappiens_whatsapp.testing import hostile_requests as hostile
from xappiens_whatsapp.testing import sim_check
from xappiens_whatsapp.testing import simulator as sim
from xappiens_whatsapp.testing.references import remove_references

PREFIX = TEST_PREFIX + "sim_"
WSGI = "xappiens_whatsapp.bench_tests.wsgi:application"
DEAD = "127.0.0.1:9"  # the discard port: nothing listens there
NETELIP_FIELDS = ("webhook_token", "allowed_sources", "api_application", "trusted_proxies")
NETELIP_APPLICATION = "API xw fault tests"


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


class DatabaseProxy:
	"""A TCP relay to MariaDB that can be cut and restored. Whatever connects through it loses the database
	as when MariaDB goes away (connections broken, new ones refused), while the server itself, which others
	use, keeps running."""

	def __init__(self, host: str, port: int):
		self.target = (host, port)
		self.port = _free_port()
		self._lock = threading.Lock()
		self._open: set[socket.socket] = set()
		self._listener: socket.socket | None = None
		self.restore()

	def restore(self) -> None:
		listener = socket.socket()
		listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		listener.bind(("127.0.0.1", self.port))
		listener.listen(64)
		self._listener = listener
		threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

	def cut(self) -> None:
		"""Refuse new connections and break every open one."""
		with self._lock:
			doomed = [self._listener, *self._open] if self._listener else list(self._open)
			self._listener = None
			self._open.clear()
		for sock in doomed:
			_shut(sock)

	close = cut

	def _accept(self, listener: socket.socket) -> None:
		while True:
			try:
				client, _ = listener.accept()
			except OSError:
				return
			try:
				upstream = socket.create_connection(self.target, timeout=10)
				upstream.settimeout(None)
			except OSError:
				_shut(client)
				continue
			with self._lock:
				if self._listener is not listener:  # cut meanwhile
					_shut(client)
					_shut(upstream)
					return
				self._open.update((client, upstream))
			for source, sink in ((client, upstream), (upstream, client)):
				threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

	def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
		try:
			while data := source.recv(65536):
				sink.sendall(data)
		except OSError:
			pass
		finally:
			with self._lock:
				self._open.discard(source)
				self._open.discard(sink)
			_shut(source)
			_shut(sink)


def _shut(sock: socket.socket) -> None:
	try:
		sock.shutdown(socket.SHUT_RDWR)  # also wakes a thread blocked in accept() or recv() on it
	except OSError:
		pass
	sock.close()


class Answers:
	"""Every status each delivery got, from the sending threads."""

	def __init__(self):
		self._lock = threading.Lock()
		self.by_delivery: dict[sim.Delivery, list] = defaultdict(list)

	def __call__(self, delivery: sim.Delivery, status: int | None, took: float) -> None:
		with self._lock:
			self.by_delivery[delivery].append(status)

	def accepted(self) -> list[sim.Delivery]:
		return [d for d, statuses in self.by_delivery.items() if any(s and 200 <= s < 300 for s in statuses)]


def unread_key(case: hostile.Hostile) -> str:
	"""The inbox key the app gives an authentic but unreadable body (kept once, as Ignored)."""
	digest = hashlib.sha256(case.body).hexdigest()
	if case.path.startswith(sim.WEBHOOK_PATH):
		return "ih:bad:" + digest
	source = "report" if urlsplit(case.path).path == sim.REPORT_PATH else "control"
	return f"netelip:bad:{source}:{digest}"


class TestFaults(XWTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		from frappe.utils.password import get_decrypted_password

		netelip = frappe.get_single("Netelip Settings")
		cls.netelip_before = {f: netelip.get(f) for f in NETELIP_FIELDS}
		cls.netelip_before["webhook_token"] = get_decrypted_password(
			"Netelip Settings", "Netelip Settings", "webhook_token", raise_exception=False
		)
		cls.netelip_token = frappe.generate_hash(length=32)  # this run's only
		netelip.update(
			{
				"webhook_token": cls.netelip_token,
				"allowed_sources": "",
				"api_application": NETELIP_APPLICATION,
				"trusted_proxies": "",  # the test server is reached directly: no X-Forwarded-For is believed
			}
		)
		netelip.save(ignore_permissions=True)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		sim_check.cleanup(PREFIX)
		netelip = frappe.get_single("Netelip Settings")
		netelip.update({k: v or "" for k, v in cls.netelip_before.items()})
		netelip.save(ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def setUp(self):
		sim_check.cleanup(PREFIX)
		configure_settings(stuck_after_seconds=1)

	def scenario(self, seed: int, **options) -> sim.Scenario:
		config = sim.Config(session_prefix=PREFIX, seed=seed, **options)
		secrets = sim_check.ensure_sessions(sim.session_ids(config))
		return sim.build(
			config, secrets=secrets, netelip_token=self.netelip_token, netelip_application=NETELIP_APPLICATION
		)

	def report(self, label: str, tally: sim_check.Tally, **extra) -> None:
		more = "".join(f" {k}={v}" for k, v in extra.items())
		print(f"\n[{label}] {tally.line()}{more}")

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
			edits=True,
		)
		result = sim.send(s.stream, self.server.url, concurrency=8, max_duration=120)
		self.assertEqual((result.failed, result.rejected, result.unsent), (0, 0, 0), result.line())
		run_workers(2)
		self.settle(s)
		tally = sim_check.tally(s, result)
		self.report("duplicates+reorder+late acks+edits, 2 web + 2 RQ workers", tally)
		self.assert_exactly_once(s, tally)
		# Each customer edited their first message and deleted their last one, whatever came first.
		received = frappe.get_all(
			"WhatsApp Message",
			filters={"session": ["in", s.sessions], "from_me": 0},
			fields=["body", "original_body", "edited_at", "deleted"],
		)
		edited = [r for r in received if r.edited_at and r.body == f"{r.original_body} (editado)"]
		deleted = [r for r in received if r.deleted and r.body is None]
		self.assertEqual((len(received), len(edited), len(deleted)), (24, 12, 12))
		# Every retried delivery went out again and changed nothing (above). Inbox Hub and Netelip report
		# answers also say "already had it"; control answers are dial instructions and carry no such flag.
		self.assertEqual(tally.resent, s.retries, tally.line())
		self.assertGreater(tally.absorbed, 0, tally.line())
		self.assertLessEqual(tally.absorbed, tally.resent, tally.line())

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
			"update `tabInbound Webhook` set next_retry_at = now() where status = 'Failed' and dedup_key in %s",
			(tuple(s.dedup_keys),),
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

	def test_cache_redis_down_still_takes_every_delivery_and_refuses_forgeries(self):
		"""With the cache's Redis unreachable (settings are then read from the database), every delivery is
		still verified, stored once and applied, and a forged one is still refused; the provider's retries once
		Redis is back change nothing."""
		s = self.scenario(14, conversations=3, messages=1, replies=1, calls=2)
		with side_server(FRAPPE_REDIS_CACHE=f"redis://{DEAD}") as url:
			down = sim.send(s.stream, url, concurrency=2, timeout=60)
			cases = hostile.hostile_requests(PREFIX + "14_1", "forged-secret-0123456789", "x")
			forged = hostile.post_hostile(url, next(c for c in cases if c.label == "wrong secret"))
		self.assertEqual(dict(down.statuses), {200: len(s.stream)}, down.line())
		self.assertEqual(forged, 401)
		retry = sim.send(s.stream, self.server.url, concurrency=2)
		run_workers(1)
		self.settle(s)
		tally = sim_check.tally(s, retry)
		self.report("cache Redis down, then the provider's retries", tally)
		self.assert_exactly_once(s, tally)

	def test_database_down_answers_503_and_nothing_accepted_is_lost(self):
		"""MariaDB goes away while the web server keeps running (a relay in front of it is cut): every delivery
		to the Inbox Hub endpoint and to both Netelip endpoints is answered exactly 503, never 200, and nothing
		is half-stored. A request already inside the endpoint when the connection breaks gets 503 too. Once the
		database is back, the provider's retries are accepted, and no delivery that ever got a 200 is missing."""
		s = self.scenario(15, conversations=6, messages=1, replies=1, calls=3)
		head, rest = s.stream[: len(s.stream) // 3], s.stream[len(s.stream) // 3 :]
		paths = Counter(urlsplit(d.path).path for d in rest)
		self.assertEqual(set(paths), {sim.WEBHOOK_PATH, sim.CONTROL_PATH, sim.REPORT_PATH}, paths)
		answers = Answers()
		proxy = DatabaseProxy(frappe.conf.db_host or "127.0.0.1", int(frappe.conf.db_port or 3306))
		# Frappe needs the database, or the cache Redis, to know which apps a site has before any app hook can
		# run: keep that cache warm, as it is on a server that has been answering.
		requests.get(self.server.url + "/api/method/ping", headers=self.server.headers, timeout=30)
		try:
			with side_server(FRAPPE_DB_HOST="127.0.0.1", FRAPPE_DB_PORT=str(proxy.port)) as url:
				up = sim.send(head, url, concurrency=2, timeout=60, on_answer=answers)
				proxy.cut()
				down = sim.send(rest, url, concurrency=2, timeout=60, on_answer=answers)
				down_by_path = Counter(
					(urlsplit(d.path).path, status) for d in rest for status in answers.by_delivery[d][-1:]
				)
				stored_while_down = len(sim_check.inbox_statuses([k for d in rest for k in d.dedup_keys]))
				proxy.restore()
				inside = next(d for d in rest if d.provider == "Inbox Hub")
				mid = self.cut_mid_request(url, proxy, inside, answers)
				retry = sim.send(rest, url, concurrency=2, timeout=60, on_answer=answers)
		finally:
			proxy.close()
		run_workers(1)
		self.settle(s)
		tally = sim_check.tally(s, retry)
		found = sim_check.inbox_statuses(list(s.dedup_keys))
		accepted = answers.accepted()
		lost = sum(1 for d in accepted if not all(k in found for k in d.dedup_keys))
		phases = (up, down, mid, retry)
		tally.sent = sum(r.sent for r in phases)
		tally.accepted = sum(r.accepted for r in phases)
		tally.rejected = sum(r.rejected for r in phases)
		tally.resent = sum(len(v) for v in answers.by_delivery.values()) - len(answers.by_delivery)
		tally.absorbed = sum(r.duplicate_answers for r in phases)
		self.report(
			"database down",
			tally,
			down_sent=down.sent,
			down_503=down.statuses[503],
			down_other=down.sent - down.statuses[503],
			mid_request=dict(mid.statuses),
			stored_while_down=stored_while_down,
			accepted_then_missing=lost,
		)
		self.assertEqual(dict(up.statuses), {200: len(head)}, up.line())
		self.assertEqual(dict(down.statuses), {503: len(rest)}, down.line())
		self.assertEqual(
			dict(down_by_path), {(path, 503): n for path, n in paths.items()}, "each endpoint answers 503"
		)
		self.assertEqual(stored_while_down, 0)
		self.assertEqual(dict(mid.statuses), {503: 1}, mid.line())
		self.assertEqual(dict(retry.statuses), {200: len(rest)}, retry.line())
		self.assertEqual(lost, 0)
		self.assert_exactly_once(s, tally)

	def cut_mid_request(
		self, url: str, proxy: DatabaseProxy, delivery: sim.Delivery, answers: Answers
	) -> sim.Result:
		"""Post `delivery` while another connection holds its inbox key, so that the endpoint waits inside its
		INSERT; break the database connection there; the answer."""
		with second_connection() as holder:
			try:
				holder.sql(
					"insert into `tabInbound Webhook` (name, provider, status, dedup_key) values (%s, 'Inbox Hub', 'Received', %s)",
					(frappe.generate_hash(length=10), delivery.dedup_keys[0]),
				)
				box = {}
				sender = threading.Thread(
					target=lambda: box.update(result=sim.send([delivery], url, timeout=60, on_answer=answers))
				)
				sender.start()
				deadline = time.monotonic() + 30
				while time.monotonic() < deadline:
					waiting = holder.sql(
						"""select count(*) from information_schema.processlist where id != connection_id()
						and lower(info) like 'insert into `tabinbound webhook`%%'"""
					)[0][0]
					if waiting:
						break
					time.sleep(0.05)
				self.assertTrue(waiting, "the endpoint never reached its INSERT")
				proxy.cut()
				sender.join(60)
			finally:
				holder.rollback()
				proxy.restore()
		return box["result"]

	def test_hostile_requests_get_4xx_and_nothing_is_processed(self):
		"""Malformed, truncated, mistyped, deep, huge, non-UTF-8, header-injected, replayed, wrongly signed and
		forged requests (Netelip callbacks with a forged token, or from outside its address allowlist with a
		forged X-Forwarded-For) to both providers' endpoints, all sent twice: each gets a 4xx (never a 500), nothing
		reaches the CRM, and nothing is stored but the authentic-yet-unreadable bodies and the authentic oddities
		(wrong types, unknown events), each kept exactly once as Ignored. Counts cover every case of both
		providers, from the answers and the rows found."""
		session, secret = next(iter(sim_check.ensure_sessions([PREFIX + "hostile"]).items()))
		cases = hostile.hostile_requests(
			session, secret, self.netelip_token, seed=16, netelip_application=NETELIP_APPLICATION
		)
		odd = hostile.authentic_oddities(session, secret)
		expected = {unread_key(c) for c in cases if c.stores}
		for case in odd:
			headers = case.headers
			expected.add(ih.parse(case.body, headers.get("X-Webhook-Event"), session).dedup_key)

		def forget():  # rows with these keys, from a previous run or this one, and their alerts
			rows = frappe.get_all("Inbound Webhook", {"dedup_key": ["in", list(expected)]}, pluck="name")
			remove_references("Inbound Webhook", rows)
			frappe.db.delete("Inbound Webhook", {"name": ["in", rows or [""]]})
			frappe.db.commit()

		forget()
		self.addCleanup(forget)
		since = frappe.utils.add_to_date(frappe.utils.now_datetime(), seconds=-1)

		def stored_rows():
			"""Every inbox row stored since the corpus started, whatever its provider or session (this site's
			tests run one at a time)."""
			frappe.db.commit()
			return frappe.get_all(
				"Inbound Webhook",
				filters={"received_at": [">=", since]},
				fields=["name", "dedup_key", "status", "provider"],
			)

		forged = hostile.forged_netelip_origins(self.netelip_token, netelip_application=NETELIP_APPLICATION)

		def post_forged() -> dict:
			netelip = frappe.get_single("Netelip Settings")
			netelip.allowed_sources = hostile.ALLOWLIST_WITHOUT_US
			netelip.save(ignore_permissions=True)
			frappe.db.commit()
			try:
				return {c.label: hostile.post_hostile(self.server.url, c) for c in forged}
			finally:
				netelip = frappe.get_single("Netelip Settings")
				netelip.allowed_sources = ""
				netelip.save(ignore_permissions=True)
				frappe.db.commit()

		passes = []
		for _ in range(2):  # the second pass replays every request as it was
			statuses = {c.label: hostile.post_hostile(self.server.url, c) for c in cases}
			statuses.update(post_forged())
			odd_statuses = {c.label: hostile.post_hostile(self.server.url, c) for c in odd}
			passes.append((statuses, odd_statuses, len(stored_rows())))
		run_workers(1)
		rows = stored_rows()
		answers = [
			s for statuses, odd_statuses, _ in passes for s in (*statuses.values(), *odd_statuses.values())
		]
		keys = Counter(r.dedup_key for r in rows)
		counts = {
			"sent": len(answers),
			"accepted": sum(1 for s in answers if s is not None and 200 <= s < 300),
			"rejected": sum(1 for s in answers if s is not None and 400 <= s < 500),
			"failed": sum(1 for s in answers if s is None or s >= 500),
			"stored": len(rows),
			"stored_netelip": sum(1 for r in rows if r.provider == "Netelip"),
			"processed": sum(1 for r in rows if r.status == "Processed"),
			"ignored": sum(1 for r in rows if r.status == "Ignored"),
			"duplicated": (passes[1][2] - passes[0][2]) + sum(n - 1 for n in keys.values()),
			"lost": len(expected - set(keys)),
			"unexpected": sum(1 for k in keys if k not in expected),
		}
		print("\n[hostile corpus] " + " ".join(f"{k}={v}" for k, v in counts.items()))
		for statuses, odd_statuses, _ in passes:
			for label, status in statuses.items():
				with self.subTest(label):
					self.assertIsNotNone(status, "no answer at all")
					self.assertTrue(400 <= status < 500, f"{label}: {status}")
			for label, status in odd_statuses.items():
				with self.subTest(label):
					self.assertIn(status, (200, 400), f"{label}: {status}")
		self.assertEqual((counts["failed"], counts["processed"]), (0, 0), counts)
		unexpected = [r for r in rows if r.dedup_key not in expected][:5]
		missing = sorted(expected - set(keys))[:5]
		self.assertEqual(
			(counts["duplicated"], counts["lost"], counts["unexpected"]),
			(0, 0, 0),
			(counts, unexpected, missing),
		)
		self.assertEqual(counts["ignored"], counts["stored"], rows)
		self.assertEqual(frappe.db.count("WhatsApp Message", {"session": session}), 0)
		self.assertEqual(
			frappe.db.count("Netelip Call", {"raw_dst": "910000001", "call_id": ["like", "%.0001"]}), 0
		)

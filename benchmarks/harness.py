"""What every benchmark and fault script needs: a private Redis, gunicorn and RQ workers pinned to one site,
the site configured for the run, and a load generator in its own process.

Run the scripts with the bench's Python from the bench directory, as the bench's owner, e.g.
	cd ~/frappe-bench && env/bin/python apps/xappiens_whatsapp/benchmarks/ingress.py --site perf.localhost

Use a site of its own (the scripts write thousands of rows and remove them afterwards). Jobs go to a Redis
started here on a free port, so workers of other sites and benches never see them (Frappe's queues are shared
by every site of a bench) and nothing is left queued afterwards.

The site is changed only for the run and only where the load needs it (`configured_site`: a higher webhook rate
limit, a timestamp tolerance that covers prebuilt requests); the previous values come back at the end, also
after a failure or Ctrl-C. Simulated sessions get a fresh secret of their own each run; no shared secret or
Netelip token is set. Cleanup removes only what the simulator created (`sim_check.cleanup`).
"""

from __future__ import annotations

import argparse
import atexit
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from xappiens_whatsapp.bench_tests.pinned_server import gunicorn_command

HERE = Path(__file__).resolve().parent
APP_ROOT = HERE.parent
if str(APP_ROOT) not in sys.path:
	sys.path.insert(0, str(APP_ROOT))

PREFIX = "bench_"
# What the load needs from WhatsApp Settings during a run: thousands of requests a minute from one address, and
# requests signed when they were prebuilt, some while before they are sent.
RUN_SETTINGS = {"webhook_rate_limit": 10_000_000, "timestamp_tolerance": 900}
_children: list[subprocess.Popen] = []


def _find_bench() -> Path:
	"""The bench this Python belongs to (env/bin/python, symlinks not followed), else the working directory."""
	for candidate in (Path(sys.executable).parent.parent.parent, Path.cwd(), *Path.cwd().parents):
		if (candidate / "sites").is_dir() and (candidate / "apps").is_dir():
			return candidate.absolute()
	raise SystemExit("run this with the bench's Python (env/bin/python) from the bench directory")


_BENCH = _find_bench()


def bench_path() -> Path:
	return _BENCH


def free_port() -> int:
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


def machine() -> str:
	model = "unknown CPU"
	try:
		for line in Path("/proc/cpuinfo").read_text().splitlines():
			if line.startswith("model name"):
				model = line.split(":", 1)[1].strip()
				break
	except OSError:
		pass
	memory = ""
	try:
		kb = int(Path("/proc/meminfo").read_text().split()[1])
		memory = f", {kb / 1024 / 1024:.0f} GiB"
	except (OSError, ValueError, IndexError):
		pass
	return f"{model}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def parser(description: str) -> argparse.ArgumentParser:
	p = argparse.ArgumentParser(description=description)
	p.add_argument("--site", required=True, help="a site of its own, with xappiens_whatsapp installed")
	p.add_argument("--web-workers", type=int, default=4, help="gunicorn sync workers")
	return p


def _spawn(args: list[str], env: dict, log_name: str, cwd: Path) -> subprocess.Popen:
	log = open(bench_path() / "logs" / log_name, "ab")
	proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=log, stderr=log, start_new_session=True)
	_children.append(proc)
	return proc


def stop(proc: subprocess.Popen | None, sig=signal.SIGTERM) -> None:
	if proc is None or proc.poll() is not None:
		return
	try:
		os.killpg(proc.pid, sig)
	except ProcessLookupError:
		return
	try:
		proc.wait(15)
	except subprocess.TimeoutExpired:
		os.killpg(proc.pid, signal.SIGKILL)
		proc.wait(5)


@atexit.register
def _stop_children() -> None:
	for proc in reversed(_children):
		stop(proc)


def _terminate(signum, frame):
	raise SystemExit(128 + signum)  # run the `finally` blocks and atexit: stop what was started


signal.signal(signal.SIGTERM, _terminate)


class Stack:
	"""A private Redis for jobs and realtime, web servers and workers for one site, all on loopback."""

	def __init__(self, site: str):
		self.site = site
		self.bench = bench_path()
		self.redis_port = free_port()
		self.redis_url = f"redis://127.0.0.1:{self.redis_port}"
		self.redis = _spawn(
			[
				"redis-server",
				"--port",
				str(self.redis_port),
				"--bind",
				"127.0.0.1",
				"--save",
				"",
				"--appendonly",
				"no",
			],
			dict(os.environ),
			"xw-bench-redis.log",
			self.bench,
		)
		os.environ["FRAPPE_REDIS_QUEUE"] = self.redis_url  # this process too: its enqueues and the sweep
		self._wait_redis()
		self.webs: list[subprocess.Popen] = []
		self.workers: list[subprocess.Popen] = []

	def _wait_redis(self) -> None:
		deadline = time.time() + 10
		while time.time() < deadline:
			try:
				socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.5).close()
				return
			except OSError:
				time.sleep(0.1)
		raise RuntimeError("private redis-server did not start (is it installed?)")

	def env(self, **overrides: str) -> dict:
		env = {**os.environ, "FRAPPE_REDIS_QUEUE": self.redis_url, "XW_SITE": self.site, **overrides}
		env.pop("CI", None)  # CI makes Frappe's job runner behave as in tests
		return env

	def web(self, workers: int = 4, **env: str) -> str:
		"""Start gunicorn pinned to the site; its base URL once it answers."""
		port = free_port()
		proc = _spawn(
			gunicorn_command(port, workers),
			self.env(**env),
			"xw-bench-web.log",
			self.bench / "sites",
		)
		self.webs.append(proc)
		url = f"http://127.0.0.1:{port}"
		deadline = time.time() + 60
		while time.time() < deadline:
			if proc.poll() is not None:
				raise RuntimeError("gunicorn exited; see logs/xw-bench-web.log")
			try:
				requests.get(url + "/api/method/ping", timeout=2)
				return url
			except requests.RequestException:
				time.sleep(0.3)
		raise RuntimeError("gunicorn did not answer; see logs/xw-bench-web.log")

	def worker(self, queues: str = "short,default", burst: bool = False, **env: str) -> subprocess.Popen:
		args = [sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "--site", self.site, "worker"]
		args += ["--queue", queues] + (["--burst"] if burst else [])
		proc = _spawn(args, self.env(**env), "xw-bench-worker.log", self.bench / "sites")
		self.workers.append(proc)
		return proc

	def stop_workers(self, sig=signal.SIGTERM) -> None:
		for proc in self.workers:
			stop(proc, sig)
		self.workers = []

	def close(self) -> None:
		self.stop_workers()
		for proc in self.webs:
			stop(proc)
		stop(self.redis)


def connect(site: str) -> None:
	"""Connect this process to the site (the scripts configure it and read results directly)."""
	import frappe

	os.chdir(bench_path() / "sites")
	frappe.init(site=site, sites_path=".")
	frappe.connect()


@contextmanager
def configured_site():
	"""WhatsApp Settings as the run needs them (`RUN_SETTINGS`), and what it left in the site's logs; the
	previous values are restored on the way out, whatever happened."""
	import frappe

	started = frappe.utils.now_datetime()
	settings = frappe.get_single("WhatsApp Settings")
	before = {field: settings.get(field) for field in RUN_SETTINGS}
	settings.update(RUN_SETTINGS)
	settings.save(ignore_permissions=True)
	frappe.db.commit()
	rejections = _rejections()
	try:
		yield
	finally:
		frappe.db.rollback()
		settings = frappe.get_single("WhatsApp Settings")
		settings.update(before)
		settings.save(ignore_permissions=True)
		frappe.db.commit()
		errors = frappe.db.count("Error Log", {"creation": [">=", started]})
		print(
			f"  site: settings restored ({', '.join(f'{k}={v}' for k, v in before.items())}); during the run "
			f"{_rejections() - rejections} webhook rejection(s), {errors} Error Log row(s) (kept)",
			flush=True,
		)


def _rejections() -> int:
	import frappe

	return int(frappe.db.sql("select coalesce(sum(`count`), 0) from `tabWebhook Rejection`")[0][0])


def cleanup_site() -> dict:
	"""Remove what the simulator created for the benchmarks (sessions with PREFIX, their rows)."""
	from xappiens_whatsapp.testing import sim_check

	return sim_check.cleanup(PREFIX)


def warn_if_scheduler_runs(site: str) -> None:
	"""The site's scheduler, if a bench runs one, queues stuck rows on the bench's own Redis: other workers
	would then apply this run's events."""
	from frappe.utils.scheduler import is_scheduler_inactive

	if not is_scheduler_inactive(verbose=False):
		print(
			f"  warning: the scheduler is enabled for {site}; pause it for the run (bench --site {site} "
			"scheduler pause), or its sweep may hand events to workers outside the run",
			flush=True,
		)


def main(doc: str, options: dict[str, tuple], run) -> None:
	"""The script's command line (--site, --web-workers and its own `options`: flag → (type, default, help)),
	then `run` on the site."""
	p = parser(doc.splitlines()[0])
	for flag, (kind, default, text) in options.items():
		p.add_argument(flag, type=kind, default=default, help=text)
	run_on_site(p.parse_args(), run)


def run_on_site(args, run) -> None:
	"""`run(stack, args)` on `args.site`: settings changed for the run only, what the run made removed after."""
	print(f"machine: {machine()}")
	stack = Stack(args.site)
	try:
		connect(args.site)
		warn_if_scheduler_runs(args.site)
		cleanup_site()
		with configured_site():
			run(stack, args)
	finally:
		try:
			cleanup_site()
		finally:
			stack.close()


def with_answers(tally, outcome):
	"""The tally with the load generator's own counts of what it sent and how it was answered."""
	tally.sent = outcome.count
	tally.accepted = sum(n for status, n in outcome.statuses.items() if 200 <= status < 300)
	tally.rejected = sum(n for status, n in outcome.statuses.items() if 300 <= status < 500)
	return tally


def queue_length(queues=("short", "default")) -> int:
	from frappe.utils.background_jobs import get_queue

	return sum(get_queue(q).count for q in queues)


@contextmanager
def timed(label: str):
	started = time.perf_counter()
	yield
	print(f"  {label}: {time.perf_counter() - started:.1f}s", flush=True)


def verdict(ok: bool) -> str:
	return "PASS" if ok else "FAIL"

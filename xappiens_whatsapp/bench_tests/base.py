"""Shared ground for the bench tier: a real web server, a real RQ worker, realtime read back from Redis.

Requests to the server and jobs in the worker use their own database connections, so whatever a test makes
them write is committed for real; every test class cleans up by its own session id and call numbers.
"""

import atexit
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import frappe
import requests
from frappe.tests.utils import FrappeTestCase

from xappiens_whatsapp.bench_tests import own_rows
from xappiens_whatsapp.bench_tests.pinned_server import gunicorn_command
from xappiens_whatsapp.core.signatures import sign
from xappiens_whatsapp.testing.payloads import compact, inbox_hub
from xappiens_whatsapp.testing.references import remove_references, remove_sessions

WEBHOOK_PATH = "/api/method/xappiens_whatsapp.api.webhook.handle_webhook"
DEFAULT_SECRET = "default-secret-for-tests-0123456789"
TEST_PREFIX = "xwt_"


def bench_path() -> Path:
	return Path(frappe.utils.get_bench_path())


def _free_port() -> int:
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


class WebServer:
	"""gunicorn serving this bench's sites on a free loopback port, started once per test process."""

	_instance = None

	def __init__(self, workers: int = 2):
		self.port = _free_port()
		self.url = f"http://127.0.0.1:{self.port}"
		log = open(bench_path() / "logs" / "xw-test-web.log", "ab")
		self.proc = subprocess.Popen(
			gunicorn_command(self.port, workers),
			cwd=bench_path() / "sites",
			env={**os.environ, "XW_SITE": frappe.local.site},
			stdout=log,
			stderr=log,
		)
		atexit.register(self.stop)
		deadline = time.time() + 60
		while time.time() < deadline:
			try:
				if requests.get(self.url + "/api/method/ping", headers=self.headers, timeout=2).ok:
					return
			except requests.RequestException:
				time.sleep(0.3)
		raise RuntimeError("test web server did not start; see logs/xw-test-web.log")

	@property
	def headers(self) -> dict:
		return {"Host": frappe.local.site}

	def stop(self):
		if self.proc.poll() is None:
			self.proc.terminate()
			try:
				self.proc.wait(10)
			except subprocess.TimeoutExpired:
				self.proc.kill()

	@classmethod
	def get(cls) -> "WebServer":
		if cls._instance is None or cls._instance.proc.poll() is not None:
			cls._instance = WebServer()
		return cls._instance


def run_worker(queues: str = "short,default", timeout: int = 120) -> None:
	"""Drain the queues with a real RQ worker process (burst mode: it exits when they are empty)."""
	subprocess.run(
		[
			sys.executable,
			"-m",
			"frappe.utils.bench_helper",
			"frappe",
			"--site",
			frappe.local.site,
			"worker",
			"--queue",
			queues,
			"--burst",
		],
		cwd=bench_path() / "sites",
		check=True,
		timeout=timeout,
		stdout=subprocess.DEVNULL,
		stderr=subprocess.DEVNULL,
	)


def lose_queued_jobs(queue: str = "short") -> None:
	"""As if Redis had lost the queue's jobs: the jobs, and the flag that says a drain is on its way."""
	from frappe.utils.background_jobs import get_queue

	from xappiens_whatsapp.pipeline.inbox import jobs

	get_queue(queue).empty()
	jobs.woken()


class RealtimeCapture:
	"""Everything published on Frappe's realtime channel while active, as the socket.io server sees it."""

	def __init__(self):
		from frappe.utils.background_jobs import get_redis_connection_without_auth

		self.messages: list[dict] = []
		self.site = frappe.local.site  # the listening thread has no Frappe context of its own
		self._pubsub = get_redis_connection_without_auth().pubsub()
		self._pubsub.subscribe("events")
		self._stop = threading.Event()
		self._end_mark: dict | None = None
		self._thread = threading.Thread(target=self._listen, daemon=True)

	def _listen(self):
		while not self._stop.is_set():
			message = self._pubsub.get_message(timeout=0.1)
			if message and message["type"] == "message":
				event = json.loads(message["data"])
				if event.get("namespace") == self.site:
					self.messages.append(event)
				elif event == self._end_mark:
					self._stop.set()

	def __enter__(self):
		self._thread.start()
		return self

	def __exit__(self, *exc):
		# Whatever was published before now reaches the channel before this mark: once the mark is heard,
		# an event that is missing was never sent (no fixed wait needed to say "nothing for B").
		from frappe.utils.background_jobs import get_redis_connection_without_auth

		self._end_mark = {"namespace": "xw-capture-end", "event": frappe.generate_hash()}
		get_redis_connection_without_auth().publish("events", json.dumps(self._end_mark))
		self._thread.join(10)
		heard = self._stop.is_set()
		self._stop.set()
		self._thread.join(2)
		self._pubsub.close()
		if not heard and not exc[0]:
			raise AssertionError("the realtime channel did not deliver the capture's end mark within 10 s")

	def events(self, name: str) -> list[dict]:
		return [m for m in self.messages if m["event"] == name]

	def rooms(self, name: str) -> set[str]:
		return {m["room"] for m in self.events(name)}


class XWDoctypeTestCase(FrappeTestCase):
	"""A doctype's own tests: Frappe rolls their work back, but fixtures such as make_agent commit it along, so
	what they made under the test prefix is removed at the end."""

	@classmethod
	def tearDownClass(cls):
		cleanup_test_data()
		frappe.db.commit()
		super().tearDownClass()


class XWTestCase(FrappeTestCase):
	"""Base for tests that talk to the endpoint or run jobs."""

	session_id = TEST_PREFIX + "main"
	session_secret = "session-secret-for-tests-012345"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.server = WebServer.get()
		configure_settings()
		cls.cleanup()
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		cls.cleanup()
		frappe.db.commit()
		super().tearDownClass()

	@classmethod
	def cleanup(cls):
		cleanup_test_data()

	def make_session(self, session_id: str | None = None, secret: str | None = None, users=()) -> str:
		session_id = session_id or self.session_id
		if frappe.db.exists("WhatsApp Session", session_id):
			frappe.delete_doc("WhatsApp Session", session_id, force=True, ignore_permissions=True)
		doc = frappe.get_doc(
			{
				"doctype": "WhatsApp Session",
				"session_id": session_id,
				"session_name": session_id,
				"webhook_secret": secret if secret is not None else self.session_secret,
				"allowed_users": [{"user": u} for u in users],
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		return doc.name

	def post(self, path: str, data=None, headers=None, **kw) -> requests.Response:
		all_headers = {**self.server.headers, **(headers or {})}
		return requests.post(self.server.url + path, data=data, headers=all_headers, timeout=30, **kw)

	def post_event(
		self,
		payload: dict | bytes,
		secret: str | None = None,
		*,
		timestamp_ms: int | None = None,
		headers: dict | None = None,
		signature: str | None = None,
	) -> requests.Response:
		raw = payload if isinstance(payload, bytes) else compact(payload)
		secret = secret if secret is not None else self.session_secret
		all_headers = {
			"Content-Type": "application/json",
			"X-Webhook-Signature": signature if signature is not None else sign(raw, secret),
			"X-Webhook-Timestamp": str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)),
		}
		if isinstance(payload, dict):
			all_headers["X-Webhook-Event"] = str(payload.get("event", ""))
			all_headers["X-Webhook-Session"] = str(payload.get("sessionId") or self.session_id)
		all_headers.update(headers or {})
		return self.post(WEBHOOK_PATH, data=raw, headers=all_headers)

	def call_as(self, user: str, method: str, http: str = "POST", **data) -> requests.Response:
		"""Call a whitelisted method over HTTP as `user` (token auth, the way scripts and apps do)."""
		headers = {**self.server.headers, "Authorization": api_token(user), "Accept": "application/json"}
		url = f"{self.server.url}/api/method/{method}"
		if http == "GET":
			return requests.get(url, params=data, headers=headers, timeout=60)
		return requests.post(url, data=data, headers=headers, timeout=60)

	def inbound(self, **filters) -> list[dict]:
		frappe.db.commit()  # start a fresh snapshot: the server and worker wrote on other connections
		return frappe.get_all("Inbound Webhook", filters=filters, fields=["*"], order_by="creation asc")


def event(name: str, session_id: str, **data_overrides) -> dict:
	"""A fixture event for this session, stamped now (the envelope's time is checked for freshness)."""
	payload = inbox_hub(name)
	if "sessionId" in payload:
		payload["sessionId"] = session_id
	else:
		payload["data"]["sessionId"] = session_id
	if "timestamp" in payload:
		payload["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
	payload["data"].update(data_overrides)
	return payload


def configure_settings(**overrides) -> None:
	settings = frappe.get_single("WhatsApp Settings")
	settings.update(
		{
			"public_site_url": WebServer.get().url,
			"default_webhook_secret": DEFAULT_SECRET,
			"timestamp_tolerance": 300,
			"max_body_kb": 64,
			"ack_scale": "whatsapp-web.js (-1 to 4)",
			"webhook_rate_limit": 100000,
			"trusted_proxies": "",
			**overrides,
		}
	)
	settings.save(ignore_permissions=True)
	frappe.db.commit()


def cleanup_test_data() -> None:
	frappe.db.commit()  # a fresh snapshot: the server and the workers wrote on their own connections
	sessions = frappe.get_all("WhatsApp Session", filters={"name": ["like", TEST_PREFIX + "%"]}, pluck="name")
	if frappe.db.get_single_value("Netelip Settings", "followup_session") in sessions:
		frappe.db.set_single_value("Netelip Settings", "followup_session", None)  # a link to what goes
	remove_sessions(sessions)
	deliveries = frappe.get_all(
		"Inbound Webhook", filters={"session_id": ["like", TEST_PREFIX + "%"]}, pluck="name"
	)
	previous = own_rows.sweep("inbox-hub")
	# Deliveries refused a session id (hostile ones): only those the tests sent since the last clean-up.
	deliveries += own_rows.made_since(
		"Inbound Webhook", previous, provider="Inbox Hub", session_id=["is", "not set"]
	)
	remove_references("Inbound Webhook", deliveries)
	frappe.db.delete("Inbound Webhook", {"name": ["in", deliveries or [""]]})
	for doctype in ("WhatsApp Session", "WhatsApp Contact", "WhatsApp Message", "Inbound Webhook"):
		own_rows.forget_deleted(doctype, previous)
	own_rows.restore_counters()
	frappe.cache.delete_keys("xw:refused:")


def rejections(reason: str, provider: str | None = None) -> int:
	"""Refusals counted for `reason` since the test class (or test) last cleaned up."""
	return own_rows.refusals_since_restore(reason, provider)


@contextmanager
def second_connection():
	"""Another connection to the site's database, as another worker or request would have."""
	from frappe.database import get_db

	conf = frappe.local.conf
	db = get_db(
		host=conf.db_host,
		port=conf.db_port,
		user=conf.db_name,
		password=conf.db_password,
		cur_db_name=conf.db_name,
	)
	db.connect()
	try:
		yield db
	finally:
		db.close()


@contextmanager
def capture_realtime():
	with RealtimeCapture() as capture:
		yield capture


def make_user(email: str, *roles: str) -> str:
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
		).insert(ignore_permissions=True)
	if roles:
		frappe.get_doc("User", email).add_roles(*roles)
	frappe.db.commit()
	return email


_tokens: dict[str, str] = {}


def api_token(user: str) -> str:
	"""An API key pair for the user, made once per test process (saving a User clears Frappe's cache)."""
	if user not in _tokens:
		doc = frappe.get_doc("User", user)
		secret = frappe.generate_hash(length=24)
		doc.api_key = doc.api_key or frappe.generate_hash(length=15)
		doc.api_secret = secret
		doc.save(ignore_permissions=True)
		frappe.db.commit()
		_tokens[user] = f"token {doc.api_key}:{secret}"
	return _tokens[user]


def make_agent(email: str) -> str:
	return make_user(email, "WhatsApp Agent")


def env_flag(name: str) -> bool:
	return os.environ.get(name, "").lower() in ("1", "true", "yes")

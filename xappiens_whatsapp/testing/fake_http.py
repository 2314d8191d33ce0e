"""What the provider fakes share: a real loopback HTTP server, a request log, scripted faults, and the
`/__fake__/*` control endpoints that let another process (a bench test, a browser test) drive the fake.

Control endpoints (never recorded, no API key):
  GET  /__fake__/health    → {"ok": true, "name": ...}
  GET  /__fake__/requests  → {"requests": [recorded request, ...]}
  GET  /__fake__/state     → provider state (see the subclass)
  POST /__fake__/reset     → forget requests, faults and state; settings back to their start values
  POST /__fake__/script    → {"config": {...}, "clear_faults": true, "faults": [fault, ...], ...}
"""

from __future__ import annotations

import argparse
import copy
import fnmatch
import json
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

FAULT_ACTIONS = ("respond", "delay", "drop", "accept_then_timeout", "accept_then_respond")
DEFAULT_HANG_SECONDS = 35.0  # longer than any client read timeout in use (30 s)


@dataclass
class Fault:
	"""A scripted misbehaviour for requests whose decoded path matches the glob `path`.

	action: `respond` (answer `status` with `body`, or the provider's error body built from `error`/`code`),
	`delay` (wait `delay` s, then answer normally), `drop` (close the socket without answering),
	`accept_then_timeout` (do the work, e.g. record the send, then hang `delay` s before answering),
	`accept_then_respond` (do the work, then answer as `respond` would: a 500 after the message went out).
	`times` is how many requests it hits (None: all of them).
	"""

	path: str = "*"
	method: str | None = None
	action: str = "respond"
	times: int | None = 1
	status: int = 500
	body: Any = None
	error: str | None = None
	code: str | None = None
	retry_after: str | float | None = None
	delay: float | None = None
	headers: dict[str, str] = field(default_factory=dict)
	content_type: str | None = None
	hits: int = 0

	def __post_init__(self) -> None:
		if self.action not in FAULT_ACTIONS:
			raise ValueError(f"unknown fault action {self.action!r}; use one of {FAULT_ACTIONS}")
		if self.times is not None and self.times < 1:
			raise ValueError("times must be at least 1 (or None for always)")

	@classmethod
	def from_dict(cls, data: dict) -> Fault:
		known = {f for f in cls.__dataclass_fields__ if f != "hits"}
		unknown = set(data) - known
		if unknown:
			raise ValueError(f"unknown fault fields: {sorted(unknown)}")
		return cls(**data)

	def matches(self, method: str, path: str) -> bool:
		if self.method and self.method.upper() != method:
			return False
		return fnmatch.fnmatchcase(path, self.path)

	@property
	def exhausted(self) -> bool:
		return self.times is not None and self.hits >= self.times


@dataclass
class Request:
	method: str
	raw_path: str  # as sent, percent-encoding kept, without the query
	path: str  # decoded
	query: dict[str, str]
	headers: dict[str, str]
	body: bytes
	json: Any = None
	json_error: bool = False
	form: dict[str, str] | None = None

	def header(self, name: str) -> str | None:
		lowered = name.lower()
		return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

	def record(self) -> dict:
		return {
			"method": self.method,
			"path": self.path,
			"raw_path": self.raw_path,
			"query": self.query,
			"headers": self.headers,
			"json": self.json,
			"form": self.form,
			"body": self.body.decode("utf-8", "replace"),
			"time": time.time(),
		}


@dataclass
class Response:
	status: int = 200
	body: Any = None
	headers: dict[str, str] = field(default_factory=dict)
	content_type: str | None = None

	def encode(self) -> tuple[bytes, str]:
		if isinstance(self.body, bytes):
			return self.body, self.content_type or "application/octet-stream"
		if isinstance(self.body, str):
			return self.body.encode(), self.content_type or "text/plain; charset=utf-8"
		if self.body is None and self.status == 204:
			return b"", self.content_type or "application/json"
		return json.dumps(self.body).encode(), self.content_type or "application/json"


DROP = object()


def parse_form(content_type: str, body: bytes) -> dict[str, str] | None:
	"""Form fields from an urlencoded or multipart body; None for other content types."""
	kind = (content_type or "").split(";", 1)[0].strip().lower()
	if kind == "application/x-www-form-urlencoded":
		parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
		return {k: v[-1] for k, v in parsed.items()}
	if kind == "multipart/form-data":
		message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
		fields: dict[str, str] = {}
		for part in message.iter_parts():
			name = part.get_param("name", header="content-disposition")
			if name:
				payload = part.get_payload(decode=True) or b""
				fields[str(name)] = payload.decode("utf-8", "replace")
		return fields
	return None


class FakeServer:
	"""Base class: subclasses implement `route`, `default_error_body`, `reset_state` and `state`."""

	name = "fake"
	# Attributes `/__fake__/script` {"config": {...}} may set.
	config_keys: frozenset[str] = frozenset()

	def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
		self.host = host
		self.port = port
		self.requests: list[dict] = []
		self.faults: list[Fault] = []
		self._lock = threading.RLock()
		self._stopping = threading.Event()
		self._server: ThreadingHTTPServer | None = None
		self._thread: threading.Thread | None = None
		self._initial_config: dict[str, Any] | None = None

	# ---- life cycle ---------------------------------------------------------------------------------

	@property
	def url(self) -> str:
		return f"http://{self.host}:{self.port}"

	def start(self) -> FakeServer:
		if self._initial_config is None:
			# What `reset` returns to: the settings as they were when the fake started.
			self._initial_config = {key: copy.deepcopy(getattr(self, key)) for key in self.config_keys}
		handler = type("Handler", (_Handler,), {"fake": self})
		self._server = ThreadingHTTPServer((self.host, self.port), handler)
		self._server.daemon_threads = True
		self.port = self._server.server_address[1]
		self._stopping.clear()
		self._thread = threading.Thread(
			target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
		)
		self._thread.start()
		return self

	def stop(self) -> None:
		self._stopping.set()  # wakes handlers that are hanging on purpose
		if self._server:
			self._server.shutdown()
			self._server.server_close()
			self._server = None
		if self._thread:
			self._thread.join(timeout=5)
			self._thread = None

	def __enter__(self):
		return self.start()

	def __exit__(self, *exc_info: object) -> None:
		self.stop()

	def pause(self, seconds: float) -> None:
		"""Sleep that ends early when the server stops."""
		self._stopping.wait(seconds)

	# ---- control -----------------------------------------------------------------------------------

	def add_fault(self, fault: Fault | None = None, **spec: Any) -> Fault:
		fault = fault or Fault(**spec)
		with self._lock:
			self.faults.append(fault)
		return fault

	def fail(self, path: str, status: int, *, times: int | None = 1, **spec: Any) -> Fault:
		"""Answer `status` (with the provider's error body, or `body=`) to the next `times` matches."""
		return self.add_fault(path=path, status=status, times=times, **spec)

	def slow(self, path: str, seconds: float, *, times: int | None = 1, **spec: Any) -> Fault:
		return self.add_fault(path=path, action="delay", delay=seconds, times=times, **spec)

	def drop(self, path: str, *, times: int | None = 1, **spec: Any) -> Fault:
		return self.add_fault(path=path, action="drop", times=times, **spec)

	def accept_then_timeout(
		self, path: str, seconds: float = DEFAULT_HANG_SECONDS, *, times: int | None = 1, **spec: Any
	) -> Fault:
		return self.add_fault(path=path, action="accept_then_timeout", delay=seconds, times=times, **spec)

	def accept_then_fail(self, path: str, status: int, *, times: int | None = 1, **spec: Any) -> Fault:
		"""Do the work, then answer `status` as `fail` would."""
		return self.add_fault(path=path, action="accept_then_respond", status=status, times=times, **spec)

	def clear_faults(self) -> None:
		with self._lock:
			self.faults.clear()

	def reset(self) -> None:
		with self._lock:
			self.requests.clear()
			self.faults.clear()
			for key, value in (self._initial_config or {}).items():
				setattr(self, key, copy.deepcopy(value))
			self.reset_state()

	def configure(self, **settings: Any) -> None:
		unknown = set(settings) - self.config_keys
		if unknown:
			raise ValueError(f"unknown settings: {sorted(unknown)}; known: {sorted(self.config_keys)}")
		with self._lock:
			for key, value in settings.items():
				setattr(self, key, value)

	def script(self, program: dict) -> dict:
		"""Apply a control program (the body of POST /__fake__/script); return the resulting state."""
		if not isinstance(program, dict):
			raise ValueError("script must be a JSON object")
		if program.get("clear_faults"):
			self.clear_faults()
		if program.get("config"):
			self.configure(**program["config"])
		for spec in program.get("faults") or ():
			self.add_fault(Fault.from_dict(spec))
		self.run_script(program)
		return self.state()

	def requests_to(self, path_glob: str = "*", method: str | None = None) -> list[dict]:
		with self._lock:
			return [
				r
				for r in self.requests
				if fnmatch.fnmatchcase(r["path"], path_glob)
				and (method is None or r["method"] == method.upper())
			]

	# ---- subclass hooks ----------------------------------------------------------------------------

	def route(self, request: Request) -> Response:
		raise NotImplementedError

	def default_error_body(self, fault: Fault) -> Any:
		return {"error": fault.error or "Scripted failure", "code": fault.code}

	def reset_state(self) -> None:
		pass

	def state(self) -> dict:
		return {}

	def run_script(self, program: dict) -> None:
		"""Handle provider-specific script keys."""

	# ---- dispatch ----------------------------------------------------------------------------------

	def dispatch(self, request: Request) -> Response | object:
		if request.path.startswith("/__fake__/"):
			return self._control(request)
		with self._lock:
			entry = request.record()
			fault = next(
				(f for f in self.faults if not f.exhausted and f.matches(request.method, request.path)), None
			)
			if fault:
				fault.hits += 1
				entry["fault"] = fault.action
			self.requests.append(entry)
		if fault is None:
			return self.route(request)
		if fault.action == "drop":
			return DROP
		if fault.action == "delay":
			self.pause(fault.delay or 0.0)
			return self.route(request)
		if fault.action == "accept_then_timeout":
			response = self.route(request)
			self.pause(DEFAULT_HANG_SECONDS if fault.delay is None else fault.delay)
			return response
		if fault.action == "accept_then_respond":
			self.route(request)
		headers = dict(fault.headers)
		if fault.retry_after is not None:
			headers["Retry-After"] = str(fault.retry_after)
		body = fault.body if fault.body is not None else self.default_error_body(fault)
		return Response(fault.status, body, headers, fault.content_type)

	def _control(self, request: Request) -> Response:
		action = request.path[len("/__fake__/") :].strip("/")
		try:
			if request.method == "GET" and action == "health":
				return Response(200, {"ok": True, "name": self.name})
			if request.method == "GET" and action == "requests":
				with self._lock:
					return Response(200, {"requests": list(self.requests)})
			if request.method == "GET" and action == "state":
				return Response(200, self.state())
			if request.method == "POST" and action == "reset":
				self.reset()
				return Response(200, {"ok": True})
			if request.method == "POST" and action == "script":
				if request.json_error:
					return Response(400, {"ok": False, "error": "body is not JSON"})
				return Response(200, {"ok": True, "state": self.script(request.json or {})})
		except (ValueError, TypeError, KeyError) as exc:
			return Response(400, {"ok": False, "error": str(exc)})
		return Response(
			404, {"ok": False, "error": f"unknown control endpoint {request.method} {request.path}"}
		)

	# ---- command line ------------------------------------------------------------------------------

	def serve_until_signalled(self) -> None:
		"""Run in the foreground until SIGINT/SIGTERM (for tests that start the fake as a process)."""
		done = threading.Event()
		for sig in (signal.SIGINT, signal.SIGTERM):
			signal.signal(sig, lambda *_: done.set())
		self.start()
		print(f"{self.name} listening on {self.url}", flush=True)
		try:
			while not done.wait(0.5):
				pass
		finally:
			self.stop()


def cli_parser(description: str, default_port: int) -> argparse.ArgumentParser:
	parser = argparse.ArgumentParser(description=description)
	parser.add_argument("--host", default="127.0.0.1")
	parser.add_argument("--port", type=int, default=default_port, help="0 picks a free port")
	return parser


def run_cli(
	build: Callable[[argparse.Namespace], FakeServer],
	parser: argparse.ArgumentParser,
	argv: Sequence[str] | None,
) -> None:
	build(parser.parse_args(argv)).serve_until_signalled()


def fault_dicts(faults: list[Fault]) -> list[dict]:
	return [asdict(f) for f in faults]


class _Handler(BaseHTTPRequestHandler):
	fake: FakeServer
	protocol_version = "HTTP/1.1"
	server_version = "FakeProvider/1.0"

	def do_GET(self) -> None:
		self._handle()

	do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

	def log_message(self, format: str, *args: Any) -> None:
		pass  # quiet: test output stays readable

	def _handle(self) -> None:
		length = int(self.headers.get("Content-Length") or 0)
		body = self.rfile.read(length) if length > 0 else b""
		parts = urlsplit(self.path)
		headers = dict(self.headers.items())
		content_type = self.headers.get("Content-Type", "")
		request = Request(
			method=self.command.upper(),
			raw_path=parts.path,
			path=unquote(parts.path),
			query={k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
			headers=headers,
			body=body,
		)
		if body and "json" in content_type.lower():
			try:
				request.json = json.loads(body)
			except ValueError:
				request.json_error = True
		request.form = parse_form(content_type, body)
		result = self.fake.dispatch(request)
		if result is DROP:
			self._drop()
			return
		assert isinstance(result, Response)
		payload, content_type = result.encode()
		try:
			self.send_response(result.status)
			self.send_header("Content-Type", content_type)
			self.send_header("Content-Length", str(len(payload)))
			for key, value in result.headers.items():
				self.send_header(key, value)
			self.end_headers()
			if payload and self.command != "HEAD":
				self.wfile.write(payload)
		except OSError:
			# The client gave up (timeout) before we answered: expected in fault scenarios.
			self.close_connection = True

	def _drop(self) -> None:
		self.close_connection = True
		try:
			self.connection.shutdown(socket.SHUT_RDWR)
		except OSError:
			pass

	def handle_one_request(self) -> None:
		try:
			super().handle_one_request()
		except (ConnectionError, TimeoutError):
			self.close_connection = True

"""A small HTTP load generator: prebuilt requests written to plain sockets by a few threads, in a process of
its own so the measuring process's own work never slows it.

Closed loop (`connections` requests in flight, as fast as the server answers) or open loop (`rate` requests per
second on a fixed schedule; latency then counts from the scheduled time, so a slow server cannot hide its
queueing). Each request is sent on a new connection when the server closes after answering (gunicorn's sync
workers always do), and on the open one otherwise.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Request:
	method: str
	path: str
	body: bytes = b""
	headers: dict[str, str] = field(default_factory=dict)
	tag: str = ""  # returned with the answer (e.g. a message id)

	def encode(self, host: str) -> bytes:
		lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
		lines += [f"{k}: {v}" for k, v in self.headers.items()]
		if self.method != "GET" or self.body:
			lines.append(f"Content-Length: {len(self.body)}")
		return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class Outcome:
	count: int
	elapsed: float
	statuses: dict
	latencies_ms: list[float]
	cpu_seconds: float  # the generator's own CPU time: it must stay well below `elapsed`
	answers: list[tuple[str, float, int]]  # (tag, time the answer arrived (epoch), status) when asked

	@property
	def throughput(self) -> float:
		return self.count / self.elapsed if self.elapsed else 0.0


def _read_response(conn: socket.socket, buffer: bytes) -> tuple[int, bool, bytes]:
	"""(status, server keeps the connection open, bytes left over)."""
	while b"\r\n\r\n" not in buffer:
		chunk = conn.recv(65536)
		if not chunk:
			raise ConnectionError("closed before the headers")
		buffer += chunk
	head, rest = buffer.split(b"\r\n\r\n", 1)
	lines = head.split(b"\r\n")
	status = int(lines[0].split(b" ", 2)[1])
	headers = {}
	for line in lines[1:]:
		name, _, value = line.partition(b":")
		headers[name.strip().lower()] = value.strip()
	keep = headers.get(b"connection", b"").lower() != b"close"
	if b"content-length" in headers:
		length = int(headers[b"content-length"])
		while len(rest) < length:
			chunk = conn.recv(65536)
			if not chunk:
				break
			rest += chunk
		return status, keep, rest[length:]
	if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
		while not rest.endswith(b"0\r\n\r\n"):
			chunk = conn.recv(65536)
			if not chunk:
				break
			rest += chunk
		return status, keep, b""
	while True:  # read to the end
		chunk = conn.recv(65536)
		if not chunk:
			return status, False, b""


def _run(host, port, requests_, connections, duration, rate, keep_answers, queue):
	encoded = [r.encode(f"{host}:{port}") for r in requests_]
	tags = [r.tag for r in requests_]
	lock = threading.Lock()
	state = {"next": 0}
	latencies: list[float] = []
	statuses: dict = {}
	answers: list = []
	started = time.perf_counter()
	wall_start = time.time()
	deadline = started + duration

	def claim():
		with lock:
			index = state["next"]
			if index >= len(encoded):
				return None
			slot = started + index / rate if rate else None
			if (slot or time.perf_counter()) >= deadline:
				return None
			state["next"] = index + 1
			return index, slot

	def worker():
		conn, buffer = None, b""
		while True:
			claimed = claim()
			if claimed is None:
				break
			index, slot = claimed
			if slot is not None:
				wait = slot - time.perf_counter()
				if wait > 0:
					time.sleep(wait)
			t0 = slot if slot is not None else time.perf_counter()
			status = 0
			for _ in range(2):  # once more on a fresh connection if a kept one was closed meanwhile
				try:
					if conn is None:
						conn = socket.create_connection((host, port), timeout=60)
						buffer = b""
					conn.sendall(encoded[index])
					status, keep, buffer = _read_response(conn, buffer)
					if not keep:
						conn.close()
						conn = None
					break
				except (OSError, ValueError):
					if conn is not None:
						conn.close()
					conn = None
			done = time.perf_counter()
			with lock:
				latencies.append((done - t0) * 1000)
				statuses[status] = statuses.get(status, 0) + 1
				if keep_answers:
					answers.append((tags[index], wall_start + (done - started), status))
		if conn is not None:
			conn.close()

	threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
	for t in threads:
		t.start()
	for t in threads:
		t.join()
	elapsed = time.perf_counter() - started
	usage = resource.getrusage(resource.RUSAGE_SELF)
	queue.put(
		Outcome(
			count=len(latencies),
			elapsed=elapsed,
			statuses=statuses,
			latencies_ms=latencies,
			cpu_seconds=usage.ru_utime + usage.ru_stime,
			answers=answers,
		)
	)


def run(
	url: str,
	requests_: list[Request],
	*,
	connections: int = 8,
	duration: float = 20.0,
	rate: float | None = None,
	keep_answers: bool = False,
) -> Outcome:
	"""Send `requests_` in order (each at most once) for at most `duration` seconds."""
	host, port = url.split("//", 1)[1].split(":")
	ctx = mp.get_context("spawn")
	queue = ctx.Queue()
	proc = ctx.Process(
		target=_run, args=(host, int(port), requests_, connections, duration, rate, keep_answers, queue)
	)
	proc.start()
	outcome = queue.get(timeout=duration + 180)
	proc.join(30)
	return outcome

"""How the simulator posts its stream: to this machine only (every address the host resolves to must be loopback;
requests go to that address, never through a proxy, and redirects are not followed), at a target rate, bounded in
count and time, retrying 5xx answers as Inbox Hub does (see simulator.py)."""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from xappiens_whatsapp.testing.sim_delivery import Delivery, NotLoopback
from xappiens_whatsapp.testing.sim_limits import (
	MAX_CONCURRENCY,
	MAX_COUNT,
	MAX_DURATION,
	MAX_PROVIDER_RETRIES,
	MAX_RATE,
)


def _loopback_address(host: str, port: int) -> str:
	"""The address to connect to for `host`: every address it resolves to must be loopback (a name such as
	`site.localhost` is only trusted for where it actually resolves)."""
	try:
		literal = ipaddress.ip_address(host)
	except ValueError:
		literal = None
	if literal is not None:
		if not literal.is_loopback:
			raise NotLoopback(f"{host} is not a loopback address")
		return str(literal)
	try:
		infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
	except (OSError, UnicodeError) as exc:
		raise NotLoopback(f"{host} does not resolve ({exc})") from None
	addresses = [info[4][0].split("%", 1)[0] for info in infos]
	if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
		raise NotLoopback(
			f"{host} resolves to {', '.join(sorted(set(addresses))) or 'nothing'}: not loopback only"
		)
	return addresses[0]


def pin(url: str) -> tuple[str, str]:
	"""(base URL naming the loopback address itself, Host header). Posting to the address checked, not to the
	name again, leaves no second resolution that could point somewhere else."""
	try:
		parts = urlsplit(url)
		host, port = parts.hostname, parts.port
	except ValueError as exc:
		raise NotLoopback(f"{url!r} is not a URL ({exc})") from None
	if parts.scheme not in ("http", "https") or not host:
		raise NotLoopback(f"{url!r} is not an http(s) URL")
	port = port or (443 if parts.scheme == "https" else 80)
	address = _loopback_address(host, port)
	shown = f"[{address}]" if ":" in address else address
	return f"{parts.scheme}://{shown}:{port}{parts.path.rstrip('/')}", parts.netloc


def is_loopback(url: str) -> bool:
	"""True when every address the URL's host resolves to is on this machine."""
	try:
		pin(url)
	except NotLoopback:
		return False
	return True


def http_session() -> requests.Session:
	http = requests.Session()
	http.trust_env = False  # no proxy from the environment: the request goes to the address checked
	return http


@dataclass
class Result:
	sent: int = 0  # HTTP requests made (retries included)
	accepted: int = 0  # answered 2xx
	rejected: int = 0  # answered 3xx or 4xx (redirects are not followed)
	failed: int = 0  # answered 5xx or no answer at all
	duplicate_answers: int = 0  # 2xx answers that said "already had it"
	provider_retries: int = 0  # resent after a 5xx / no answer, as providers do
	resent: int = 0  # requests carrying a delivery posted before (stream duplicates and provider retries)
	unsent: int = 0  # stream entries left when a bound stopped the run
	statuses: Counter = field(default_factory=Counter)
	latencies_ms: list[float] = field(default_factory=list)
	elapsed: float = 0.0
	stopped_by: str = "done"

	def percentile(self, p: float) -> float:
		return percentile(self.latencies_ms, p)

	def line(self) -> str:
		rate = self.sent / self.elapsed if self.elapsed else 0.0
		return (
			f"sent={self.sent} accepted={self.accepted} rejected={self.rejected} failed={self.failed} "
			f"resent={self.resent} duplicate_answers={self.duplicate_answers} "
			f"provider_retries={self.provider_retries} "
			f"unsent={self.unsent} elapsed={self.elapsed:.1f}s rate={rate:.1f}/s "
			f"p50={self.percentile(50):.1f}ms p99={self.percentile(99):.1f}ms stopped_by={self.stopped_by}"
		)


def percentile(values: list[float], p: float) -> float:
	if not values:
		return 0.0
	ordered = sorted(values)
	rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
	return ordered[rank]


def _is_duplicate_answer(text: str) -> bool:
	try:
		answer = json.loads(text)
	except ValueError:
		return False
	if not isinstance(answer, dict):
		return False
	return answer.get("duplicate") is True or (answer.get("duplicates", 0) > 0 and not answer.get("accepted"))


def send(
	stream: list[Delivery],
	base_url: str,
	*,
	rate: float | None = None,
	max_count: int = 10_000,
	max_duration: float = 60.0,
	concurrency: int = 4,
	provider_retries: int = 0,
	retry_delay: float = 0.5,
	site: str | None = None,
	timeout: float = 10.0,
	on_answer=None,
) -> Result:
	"""Post the stream. `rate`: deliveries per second (None: as fast as `concurrency` allows). Stops after
	`max_count` requests or `max_duration` seconds, whichever comes first. `site` goes in
	X-Frappe-Site-Name for servers that host several sites. `on_answer(delivery, status, seconds)` is called
	from the sending threads. Raises NotLoopback unless every address of the URL's host is loopback."""
	target, host_header = pin(base_url)
	if rate is not None and not 0 < rate <= MAX_RATE:
		raise ValueError(f"rate must be between 0 and {MAX_RATE:g} per second")
	max_count = max(0, min(int(max_count), MAX_COUNT))
	max_duration = max(0.0, min(float(max_duration), MAX_DURATION))
	concurrency = max(1, min(int(concurrency), MAX_CONCURRENCY))
	provider_retries = max(0, min(int(provider_retries), MAX_PROVIDER_RETRIES))
	timeout = max(0.1, min(float(timeout), 120.0))

	result = Result()
	lock = threading.Lock()
	position = {"next": 0}
	posted: set[int] = set()  # id() of every delivery posted at least once
	started = time.monotonic()
	deadline = started + max_duration

	def claim() -> tuple[int, Delivery] | None:
		with lock:
			index = position["next"]
			if index >= len(stream):
				return None
			if result.sent >= max_count:
				result.stopped_by = "count"
				return None
			slot = started + index / rate if rate else time.monotonic()
			if max(slot, time.monotonic()) >= deadline:
				result.stopped_by = "duration"
				return None
			position["next"] = index + 1
			result.sent += 1  # reserved now, so the count bound holds across threads
			return index, stream[index]

	def attempt(http: requests.Session, delivery: Delivery) -> tuple[int | None, str]:
		now = time.time()
		body = delivery.render(now)
		headers = {**delivery.headers(body, now), "Host": host_header}
		if site:
			headers["X-Frappe-Site-Name"] = site
		with lock:
			if id(delivery) in posted:
				result.resent += 1
			posted.add(id(delivery))
		t0 = time.perf_counter()
		try:
			response = http.post(
				target + delivery.path, data=body, headers=headers, timeout=timeout, allow_redirects=False
			)
			status, text = response.status_code, response.text
		except requests.RequestException:
			status, text = None, ""
		took = time.perf_counter() - t0
		with lock:
			result.latencies_ms.append(took * 1000)
			result.statuses[status or "error"] += 1
		if on_answer:
			on_answer(delivery, status, took)
		return status, text

	def worker():
		http = http_session()
		try:
			while True:
				claimed = claim()
				if claimed is None:
					return
				index, delivery = claimed
				if rate:
					wait = started + index / rate - time.monotonic()
					if wait > 0:
						time.sleep(wait)
				status, text = attempt(http, delivery)
				tries = 0
				while (status is None or status >= 500 or status == 429) and tries < provider_retries:
					if time.monotonic() + retry_delay * (tries + 1) >= deadline:
						break
					with lock:
						if result.sent >= max_count:
							break
						result.sent += 1
						result.provider_retries += 1
					tries += 1
					time.sleep(retry_delay * tries)
					status, text = attempt(http, delivery)
				with lock:
					if status is None or status >= 500:
						result.failed += 1
					elif 200 <= status < 300:
						result.accepted += 1
						result.duplicate_answers += _is_duplicate_answer(text)
					else:
						result.rejected += 1
		finally:
			http.close()

	threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
	for thread in threads:
		thread.start()
	for thread in threads:
		thread.join(max_duration + timeout * (provider_retries + 2) + 5)
	result.elapsed = time.monotonic() - started
	result.unsent = len(stream) - position["next"]
	return result

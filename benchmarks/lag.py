"""End-to-end lag at a sustained rate: webhook accepted → row visible → realtime published.

For each event: accepted = the inbox row's `received_at` (set inside the request, before the 200), row visible =
its `processed_at` (set in the job's transaction just before its commit), realtime = when the `xw_message` event
for the new WhatsApp Message arrived on Redis's `events` channel (what the socket.io server relays to the agents'
screens). All three come from this machine's clock.

Baseline, measured first in the same run on the same stack: single events sent one at a time on the idle system
(the next one only once the previous one's realtime event arrived), i.e. the lag with no queueing at all. Then
message.received events are posted at a fixed rate (open loop) while the RQ workers run, and the ratios p50 / p99
against the baseline are printed for both lags.

The lag must also stay flat: a rate the workers cannot sustain shows as a lag growing through the run. Two checks,
both on the accepted → visible lag: the least-squares slope of the per-second medians over the run must stay at
most `MAX_SLOPE` ms per second, and the last third's median may exceed the first third's by at most half of it or
the baseline p99, whichever is larger.

	cd ~/frappe-bench && env/bin/python apps/xappiens_whatsapp/benchmarks/lag.py --site perf.localhost --rate 20
"""

from __future__ import annotations

import json
import threading
import time
from zoneinfo import ZoneInfo

import harness
import loadgen
import redis
from harness import verdict

from xappiens_whatsapp.testing import sim_check
from xappiens_whatsapp.testing import simulator as sim
from xappiens_whatsapp.testing.sim_sending import percentile

MAX_SLOPE = 10.0  # ms of extra lag per second of run: a backlog growing by 1 % of the rate
INBOX = "Inbound Webhook"


class Realtime:
	"""First arrival time of each `xw_message` for a message name, from the private Redis."""

	def __init__(self, url: str, site: str):
		self.site = site
		self.seen: dict[str, float] = {}
		self._pubsub = redis.Redis.from_url(url).pubsub()
		self._pubsub.subscribe("events")
		self._stop = threading.Event()
		self._thread = threading.Thread(target=self._listen, daemon=True)
		self._thread.start()

	def _listen(self):
		while not self._stop.is_set():
			message = self._pubsub.get_message(timeout=0.1)
			if not message or message["type"] != "message":
				continue
			now = time.time()
			event = json.loads(message["data"])
			if event.get("namespace") == self.site and event.get("event") == "xw_message":
				self.seen.setdefault(event["message"]["message"], now)

	def close(self):
		time.sleep(0.5)
		self._stop.set()
		self._thread.join(2)
		self._pubsub.close()


OPTIONS = {
	"--rate": (float, 20.0, "webhooks per second"),
	"--duration": (float, 30.0, "seconds of load"),
	"--workers": (int, 2, "RQ workers"),
	"--per-conversation": (int, 5, "messages per conversation"),
	"--baseline": (int, 20, "events sent one at a time first"),
}


def stats(values: list[float]) -> str:
	if not values:
		return "no data"
	p = percentile
	return (
		f"p50 {p(values, 50):7.1f} ms  p95 {p(values, 95):7.1f} ms  p99 {p(values, 99):7.1f} ms"
		f"  max {max(values):7.1f} ms  n={len(values)}"
	)


def ratio(value: float, base: float) -> str:
	return f"{value / base:.2f}" if base > 0 else "n/a"


def scenario_for(events: int, per_conversation: int, seed: int) -> sim.Scenario:
	config = sim.Config(
		conversations=max(1, events // per_conversation),
		messages=min(per_conversation, events),
		replies=0,
		session_events=False,
		seed=seed,
		session_prefix=harness.PREFIX,
	)
	return sim.build(config, secrets=sim_check.ensure_sessions(sim.session_ids(config)))


def lags(scenario: sim.Scenario, realtime: Realtime) -> tuple[list[tuple[float, float]], list[float], int]:
	"""([(accepted epoch, accepted → visible ms)], [accepted → realtime ms], rows without a realtime event)."""
	import frappe

	tz = ZoneInfo(frappe.utils.get_system_timezone())

	def epoch(value) -> float:
		return frappe.utils.get_datetime(value).replace(tzinfo=tz).timestamp()

	frappe.db.commit()
	keys = sorted(scenario.dedup_keys)
	rows = []
	for i in range(0, len(keys), 1000):
		rows += frappe.get_all(
			INBOX,
			filters={"dedup_key": ["in", keys[i : i + 1000]], "status": "Processed"},
			fields=["reference_name", "received_at", "processed_at"],
		)
	visible, published, silent = [], [], 0
	for row in rows:
		accepted = epoch(row.received_at)
		visible.append((accepted, (epoch(row.processed_at) - accepted) * 1000))
		if row.reference_name in realtime.seen:
			published.append((realtime.seen[row.reference_name] - accepted) * 1000)
		else:
			silent += 1
	visible.sort()
	return visible, published, silent


def baseline(url: str, realtime: Realtime, count: int, seed: int) -> sim.Scenario:
	"""Send `count` events one at a time, each once the previous one has been published."""
	import frappe

	scenario = scenario_for(count, 1, seed)
	for delivery in scenario.stream:
		result = sim.send([delivery], url, concurrency=1, timeout=30)
		if result.accepted != 1:
			raise SystemExit(f"baseline event refused: {result.line()}")
		deadline = time.monotonic() + 30
		while time.monotonic() < deadline:
			frappe.db.commit()  # a fresh snapshot each poll
			row = frappe.db.get_value(
				INBOX, {"dedup_key": delivery.dedup_keys[0]}, ["status", "reference_name"], as_dict=True
			)
			if row and row.status == "Processed" and row.reference_name in realtime.seen:
				break
			time.sleep(0.005)
		time.sleep(0.05)  # idle again before the next one
	return scenario


def slope(points: list[tuple[float, float]]) -> float:
	"""Least-squares slope (ms per second) of the per-second medians of (time, lag) points."""
	bins: dict[int, list[float]] = {}
	start = points[0][0] if points else 0.0
	for at, lag in points:
		bins.setdefault(int(at - start), []).append(lag)
	xs = sorted(bins)
	if len(xs) < 3:
		return 0.0
	ys = [percentile(bins[x], 50) for x in xs]
	mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
	spread = sum((x - mean_x) ** 2 for x in xs)
	return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread if spread else 0.0


def run(stack: harness.Stack, args) -> None:
	url = stack.web(args.web_workers)
	for _ in range(args.workers):
		stack.worker("short")
	seed = int(time.time()) % 100_000
	realtime = Realtime(stack.redis_url, args.site)
	try:
		sim.send(scenario_for(5, 1, seed + 1).stream, url)  # warm the web and RQ workers
		base = baseline(url, realtime, args.baseline, seed + 2)
		base_visible, base_published, base_silent = lags(base, realtime)
		print(
			f"site {args.site}: baseline {len(base.deliveries)} events one at a time, then {args.rate:g} "
			f"webhooks/s for {args.duration:g}s; gunicorn {args.web_workers} workers, {args.workers} RQ worker(s)"
		)

		scenario = scenario_for(int(args.rate * args.duration), args.per_conversation, seed)
		now = time.time()
		reqs = []
		for delivery in scenario.stream:
			body = delivery.render(now)
			reqs.append(loadgen.Request("POST", delivery.path, body, delivery.headers(body, now)))
		outcome = loadgen.run(url, reqs, connections=16, rate=args.rate, duration=args.duration + 5)
		settled = sim_check.wait_settled(scenario, 300, poll=1.0)
		time.sleep(1)  # the last realtime events
		order, published, silent = lags(scenario, realtime)
	finally:
		realtime.close()
	tally = harness.with_answers(sim_check.tally(scenario), outcome)
	p = percentile
	visible = [v for _, v in order]
	base_lags = [v for _, v in base_visible]

	print("\nresults")
	print(f"  baseline accepted → row visible  {stats(base_lags)}")
	print(f"  baseline accepted → realtime     {stats(base_published)}  (missing {base_silent})")
	print(
		f"  sent {outcome.count} at {outcome.throughput:.1f}/s, answers {outcome.statuses}, "
		f"ingress {stats(outcome.latencies_ms)}"
	)
	print(f"  accepted → row visible      {stats(visible)}")
	print(f"  accepted → realtime         {stats(published)}  (missing {silent})")
	for label, run_values, base_values in (
		("row visible", visible, base_lags),
		("realtime   ", published, base_published),
	):
		print(
			f"  {label} vs baseline: p50 ratio {ratio(p(run_values, 50), p(base_values, 50))}, "
			f"p99 ratio {ratio(p(run_values, 99), p(base_values, 99))}"
		)

	third = max(1, len(order) // 3)
	first_p50 = p([v for _, v in order[:third]], 50)
	last_p50 = p([v for _, v in order[-third:]], 50)
	allowed = max(0.5 * first_p50, p(base_lags, 99))
	growth = slope(order)
	flat = growth <= MAX_SLOPE and last_p50 - first_p50 <= allowed
	print(
		f"  trend: slope {growth:+.1f} ms/s (at most {MAX_SLOPE:g}); row-visible p50 first third "
		f"{first_p50:.1f} ms, last third {last_p50:.1f} ms (at most {allowed:.1f} ms more) {verdict(flat)}"
	)
	every_answer = outcome.statuses == {200: len(reqs)} and outcome.count == len(reqs)
	applied = settled and tally.clean and tally.processed == len(scenario.deliveries) and not silent
	print(f"  {tally.line()}")
	print(
		f"  every event answered 200, applied once and published: {'yes' if every_answer and applied else 'NO'}"
	)
	print(
		f"  sustained at {args.rate:g}/s (lag flat, nothing lost) {verdict(flat and every_answer and applied)}"
	)


if __name__ == "__main__":
	harness.main(__doc__, OPTIONS, run)

"""End-to-end lag at a sustained rate: webhook accepted → row visible → realtime published.

message.received events are posted at a fixed rate (open loop) while RQ workers run. For each event:
accepted = the inbox row's `received_at` (set inside the request, before the 200), row visible = its
`processed_at` (set in the job's transaction just before its commit), realtime = when the `xw_message` event for the
new WhatsApp Message arrived on Redis's `events` channel (what the socket.io server relays to the agents'
screens). All three come from this machine's clock. The lag must stay flat: a rate the workers cannot sustain
shows as a lag growing through the run.

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

from xappiens_whatsapp.testing import sim_check
from xappiens_whatsapp.testing import simulator as sim


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


def stats(values: list[float]) -> str:
	if not values:
		return "no data"
	p = loadgen.percentile
	return (
		f"p50 {p(values, 50):7.1f} ms  p95 {p(values, 95):7.1f} ms  p99 {p(values, 99):7.1f} ms"
		f"  max {max(values):7.1f} ms  n={len(values)}"
	)


def main():
	p = harness.parser(__doc__.split("\n")[0])
	p.add_argument("--rate", type=float, default=20.0, help="webhooks per second")
	p.add_argument("--duration", type=float, default=30.0)
	p.add_argument("--workers", type=int, default=2, help="RQ workers")
	p.add_argument("--per-conversation", type=int, default=5)
	args = p.parse_args()

	import frappe

	print(f"machine: {harness.machine()}")
	stack = harness.Stack(args.site)
	try:
		harness.connect(args.site)
		harness.configure_site()
		harness.cleanup_site()
		url = stack.web(args.web_workers)
		for _ in range(args.workers):
			stack.worker("short")
		n = int(args.rate * args.duration)
		config = sim.Config(
			conversations=max(1, n // args.per_conversation),
			messages=args.per_conversation,
			replies=0,
			session_events=False,
			seed=int(time.time()) % 100_000,
			session_prefix=harness.PREFIX,
		)
		scenario = sim.build(config, secrets=sim_check.ensure_sessions(sim.session_ids(config)))
		now = time.time()
		reqs = []
		for delivery in scenario.stream:
			body = delivery.render(now)
			reqs.append(loadgen.Request("POST", delivery.path, body, delivery.headers(body, now)))
		print(
			f"site {args.site}: {args.rate:g} webhooks/s for {args.duration:g}s, gunicorn {args.web_workers} "
			f"workers, {args.workers} RQ worker(s)"
		)
		realtime = Realtime(stack.redis_url, args.site)
		outcome = loadgen.run(url, reqs, connections=16, rate=args.rate, duration=args.duration + 5)
		settled = sim_check.wait_settled(scenario, 300, poll=1.0)
		realtime.close()

		tz = ZoneInfo(frappe.utils.get_system_timezone())

		def epoch(value) -> float:
			return frappe.utils.get_datetime(value).replace(tzinfo=tz).timestamp()

		rows = frappe.get_all(
			"Inbound Webhook",
			filters={"session_id": ["in", scenario.sessions], "status": "Processed"},
			fields=["reference_name", "received_at", "processed_at"],
		)
		visible, published, order = [], [], []
		for row in rows:
			accepted = epoch(row.received_at)
			visible.append((epoch(row.processed_at) - accepted) * 1000)
			if row.reference_name in realtime.seen:
				published.append((realtime.seen[row.reference_name] - accepted) * 1000)
			order.append((accepted, visible[-1]))
		order.sort()
		third = max(1, len(order) // 3)
		first_p50 = loadgen.percentile([v for _, v in order[:third]], 50)
		last_p50 = loadgen.percentile([v for _, v in order[-third:]], 50)
		tally = sim_check.tally(scenario)

		print("\nresults")
		print(
			f"  sent {outcome.count} at {outcome.throughput:.1f}/s, answers {outcome.statuses}, "
			f"ingress {stats(outcome.latencies_ms)}"
		)
		print(f"  accepted → row visible      {stats(visible)}")
		print(f"  accepted → realtime         {stats(published)}")
		print(f"  row-visible p50, first third of the run {first_p50:.1f} ms, last third {last_p50:.1f} ms")
		sustained = settled and last_p50 < max(3 * first_p50, first_p50 + 1000)
		print(f"  sustained (lag flat, everything applied): {'yes' if sustained else 'NO'}")
		print(f"  {tally.line()}")
	finally:
		try:
			harness.cleanup_site()
		finally:
			stack.close()


if __name__ == "__main__":
	main()

"""Ingress: how fast the Inbox Hub webhook endpoint takes events, against `/api/method/ping` on the same server.

Every webhook request is a distinct, correctly signed message.received (no duplicates), so each one verifies
the signature, inserts and commits one Inbound Webhook row and queues one job. No worker runs meanwhile: the
endpoint is measured alone (the queue absorbs the jobs). Ping and webhook rounds alternate on one gunicorn, with
the same load generator, connections and duration, so the ratios compare like with like.

Targets: webhook throughput >= 0.6 x ping throughput; webhook p99 <= 3 x ping p99.

	cd ~/frappe-bench && env/bin/python apps/xappiens_whatsapp/benchmarks/ingress.py --site perf.localhost
"""

from __future__ import annotations

import statistics
import time

import harness
import loadgen
from harness import verdict

from xappiens_whatsapp.testing import sim_check
from xappiens_whatsapp.testing import simulator as sim


def ping_requests(n: int) -> list[loadgen.Request]:
	return [loadgen.Request("GET", "/api/method/ping")] * n


def webhook_requests(n: int, seed: int) -> list[loadgen.Request]:
	config = sim.Config(
		conversations=n,
		messages=1,
		replies=0,
		session_events=False,
		seed=seed,
		session_prefix=harness.PREFIX,
	)
	secrets = sim_check.ensure_sessions(sim.session_ids(config))
	scenario = sim.build(config, secrets=secrets)
	now = time.time()
	requests_ = []
	for delivery in scenario.stream:
		body = delivery.render(now)
		requests_.append(loadgen.Request("POST", delivery.path, body, delivery.headers(body, now)))
	return requests_


def describe(label: str, outcome: loadgen.Outcome) -> str:
	return (
		f"  {label:<8} {outcome.throughput:8.1f} req/s  p50 {loadgen.percentile(outcome.latencies_ms, 50):6.1f} ms"
		f"  p99 {loadgen.percentile(outcome.latencies_ms, 99):6.1f} ms  n={outcome.count}"
		f"  statuses={outcome.statuses}  generator CPU {outcome.cpu_seconds / outcome.elapsed:.0%} of a core"
	)


def main():
	p = harness.parser(__doc__.split("\n")[0])
	p.add_argument("--connections", type=int, default=8)
	p.add_argument("--duration", type=float, default=20.0, help="seconds per round")
	p.add_argument("--rounds", type=int, default=2, help="ping and webhook rounds, alternated")
	args = p.parse_args()

	print(f"machine: {harness.machine()}")
	stack = harness.Stack(args.site)
	try:
		harness.connect(args.site)
		harness.configure_site()
		harness.cleanup_site()
		url = stack.web(args.web_workers)
		print(
			f"site {args.site}: gunicorn {args.web_workers} sync workers, {args.connections} connections, "
			f"{args.duration:g}s rounds, no RQ worker"
		)
		# Warm every gunicorn worker on both paths (imports, caches, database connections).
		loadgen.run(url, ping_requests(2000), connections=args.connections, duration=3)
		loadgen.run(url, webhook_requests(500, seed=900), connections=args.connections, duration=3)

		pings, hooks = [], []
		for round_ in range(args.rounds):
			pings.append(
				loadgen.run(url, ping_requests(400_000), connections=args.connections, duration=args.duration)
			)
			print(describe("ping", pings[-1]), flush=True)
			# more requests than the round can send, each one distinct
			hooks.append(
				loadgen.run(
					url,
					webhook_requests(
						int(pings[-1].throughput * args.duration * 1.2) + 500, seed=1000 + round_
					),
					connections=args.connections,
					duration=args.duration,
				)
			)
			print(describe("webhook", hooks[-1]), flush=True)

		ping_tp = statistics.mean(o.throughput for o in pings)
		hook_tp = statistics.mean(o.throughput for o in hooks)
		ping_p99 = loadgen.percentile([x for o in pings for x in o.latencies_ms], 99)
		hook_p99 = loadgen.percentile([x for o in hooks for x in o.latencies_ms], 99)
		ping_p50 = loadgen.percentile([x for o in pings for x in o.latencies_ms], 50)
		hook_p50 = loadgen.percentile([x for o in hooks for x in o.latencies_ms], 50)
		accepted = sum(o.statuses.get(200, 0) for o in hooks)
		harness_rows = sim_check.frappe.db.count(
			"Inbound Webhook", {"session_id": ["like", harness.PREFIX + "%"]}
		)

		print("\nresults")
		print(f"  ping     {ping_tp:8.1f} req/s  p50 {ping_p50:6.1f} ms  p99 {ping_p99:6.1f} ms")
		print(f"  webhook  {hook_tp:8.1f} req/s  p50 {hook_p50:6.1f} ms  p99 {hook_p99:6.1f} ms")
		print(f"  webhook answers 200: {accepted}; inbox rows stored (warm-up included): {harness_rows}")
		tp_ratio, p99_ratio = hook_tp / ping_tp, hook_p99 / ping_p99
		print(f"  throughput ratio {tp_ratio:.2f} (target >= 0.60) {verdict(tp_ratio >= 0.6)}")
		print(f"  p99 ratio        {p99_ratio:.2f} (target <= 3.00) {verdict(p99_ratio <= 3.0)}")
	finally:
		try:
			harness.cleanup_site()
		finally:
			stack.close()


if __name__ == "__main__":
	main()

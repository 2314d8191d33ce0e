"""Ingress: how fast the Inbox Hub webhook endpoint takes events, against `/api/method/ping` on the same server.

Every webhook request is a distinct, correctly signed message.received (no duplicates), so each one verifies
the signature, inserts and commits one Inbound Webhook row and queues one job. No worker runs meanwhile: the
endpoint is measured alone (the queue absorbs the jobs). Ping and webhook rounds alternate on one gunicorn, with
the same load generator, connections and duration, so the ratios compare like with like.

Targets: webhook throughput >= 0.6 x ping throughput; webhook p99 <= 3 x ping p99. Either counts only when every
webhook (and ping) was answered 200 and every 200 left its inbox row: a fast 401 or 500 passes nothing.

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
from xappiens_whatsapp.testing.sim_sending import percentile

OPTIONS = {
	"--connections": (int, 8, "concurrent connections"),
	# short rounds, many of them: a shared machine's speed drifts from one minute to the next
	"--duration": (float, 10.0, "seconds per round"),
	"--rounds": (int, 6, "ping and webhook rounds, alternated"),
}


def ping_requests(n: int) -> list[loadgen.Request]:
	return [loadgen.Request("GET", "/api/method/ping")] * n


def webhook_requests(n: int, seed: int) -> list[loadgen.Request]:
	"""`n` distinct signed message.received, each tagged with its inbox key (scenarios of at most
	MAX_DELIVERIES each, on seeds of their own so that no id repeats)."""
	requests_ = []
	now = time.time()
	for part, start in enumerate(range(0, n, sim.MAX_DELIVERIES)):
		config = sim.Config(
			conversations=min(sim.MAX_DELIVERIES, n - start),
			messages=1,
			replies=0,
			session_events=False,
			seed=seed * 100 + part,
			session_prefix=harness.PREFIX,
		)
		secrets = sim_check.ensure_sessions(sim.session_ids(config))
		for delivery in sim.build(config, secrets=secrets, start=now).stream:
			body = delivery.render(now)
			headers = delivery.headers(body, now)
			requests_.append(
				loadgen.Request("POST", delivery.path, body, headers, tag=delivery.dedup_keys[0])
			)
	return requests_


def stored(reqs: list[loadgen.Request], outcome: loadgen.Outcome) -> int:
	"""Inbox rows for the requests the round sent (the load generator sends them in order)."""
	return len(sim_check.inbox_statuses([r.tag for r in reqs[: outcome.count]]))


def non_200(outcomes: list[loadgen.Outcome]) -> int:
	return sum(n for o in outcomes for status, n in o.statuses.items() if status != 200)


def describe(label: str, outcome: loadgen.Outcome) -> str:
	return (
		f"  {label:<8} {outcome.throughput:8.1f} req/s  p50 {percentile(outcome.latencies_ms, 50):6.1f} ms"
		f"  p99 {percentile(outcome.latencies_ms, 99):6.1f} ms  n={outcome.count}"
		f"  statuses={outcome.statuses}  generator CPU {outcome.cpu_seconds / outcome.elapsed:.0%} of a core"
	)


def run(stack: harness.Stack, args) -> None:
	url = stack.web(args.web_workers)
	print(
		f"site {args.site}: gunicorn {args.web_workers} sync workers, {args.connections} connections, "
		f"{args.duration:g}s rounds, no RQ worker"
	)
	# Warm every gunicorn worker on both paths (imports, caches, database connections).
	warm_pings = loadgen.run(url, ping_requests(2000), connections=args.connections, duration=3)
	warm_hooks = loadgen.run(url, webhook_requests(500, seed=900), connections=args.connections, duration=3)

	pings, hooks, rows = [], [], 0
	for round_ in range(args.rounds):
		pings.append(
			loadgen.run(url, ping_requests(400_000), connections=args.connections, duration=args.duration)
		)
		print(describe("ping", pings[-1]), flush=True)
		# more requests than the round can send, each one distinct
		reqs = webhook_requests(int(pings[-1].throughput * args.duration * 1.2) + 500, seed=1000 + round_)
		hooks.append(loadgen.run(url, reqs, connections=args.connections, duration=args.duration))
		print(describe("webhook", hooks[-1]), flush=True)
		rows += stored(reqs, hooks[-1])

	ping_tp = statistics.mean(o.throughput for o in pings)
	hook_tp = statistics.mean(o.throughput for o in hooks)
	ping_p99 = percentile([x for o in pings for x in o.latencies_ms], 99)
	hook_p99 = percentile([x for o in hooks for x in o.latencies_ms], 99)
	ping_p50 = percentile([x for o in pings for x in o.latencies_ms], 50)
	hook_p50 = percentile([x for o in hooks for x in o.latencies_ms], 50)
	sent = sum(o.count for o in hooks)
	accepted = sum(o.statuses.get(200, 0) for o in hooks)
	bad_hooks, bad_pings = non_200([*hooks, warm_hooks]), non_200([*pings, warm_pings])

	print("\nresults")
	print(f"  ping     {ping_tp:8.1f} req/s  p50 {ping_p50:6.1f} ms  p99 {ping_p99:6.1f} ms")
	print(f"  webhook  {hook_tp:8.1f} req/s  p50 {hook_p50:6.1f} ms  p99 {hook_p99:6.1f} ms")
	print(
		f"  webhook requests {sent}, answered 200: {accepted}, inbox rows stored for them: {rows}; "
		f"answers other than 200: webhook {bad_hooks} (warm-up included), ping {bad_pings}"
	)
	answers_ok = bad_hooks == 0 and bad_pings == 0 and accepted == sent == rows
	tp_ratio, p99_ratio = hook_tp / ping_tp, hook_p99 / ping_p99
	print(f"  p50 ratio        {hook_p50 / ping_p50:.2f}")
	print(f"  every webhook answered 200 and stored {verdict(answers_ok)}")
	print(f"  throughput ratio {tp_ratio:.2f} (target >= 0.60) {verdict(answers_ok and tp_ratio >= 0.6)}")
	print(f"  p99 ratio        {p99_ratio:.2f} (target <= 3.00) {verdict(answers_ok and p99_ratio <= 3.0)}")


if __name__ == "__main__":
	harness.main(__doc__, OPTIONS, run)

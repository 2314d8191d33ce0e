"""Processing: events applied per second by one RQ worker and by two, against a bare insert loop.

Baseline: this process inserts WhatsApp Message rows with `frappe.get_doc(...).insert()` and a commit each,
as fast as it can (the least any event that creates a message must do), right before and right after each
drain; the drain's ratio is to the mean of those two. App: the queue is filled first
(message.received events posted to the real endpoint, several per conversation, no worker running), then one
worker (later two) drains it; the rate is taken between the first and the last `processed_at`, so worker start-up
is not counted. Each processed event has made a WhatsApp Message (and its contact), updated the conversation,
and published realtime.

Target: one worker >= 0.5 x the bare insert loop, counted only when every event was applied exactly once and
ended in its expected state (a fast run that lost events proves nothing).

	cd ~/frappe-bench && env/bin/python apps/xappiens_whatsapp/benchmarks/processing.py --site perf.localhost
"""

from __future__ import annotations

import statistics
import time

import harness
import loadgen
from harness import verdict

from xappiens_whatsapp.testing import sim_check
from xappiens_whatsapp.testing import simulator as sim

OPTIONS = {
	"--events": (int, 2000, "events per measurement"),
	"--baseline": (int, 1000, "rows in the bare insert loop"),
	"--per-conversation": (int, 5, "messages per conversation"),
}


def bare_insert_loop(n: int) -> float:
	import frappe

	session = sim_check.ensure_sessions([harness.PREFIX + "baseline"])
	session_name = next(iter(session))
	jid = "34600999999@s.whatsapp.net"
	contact = frappe.db.get_value("WhatsApp Contact", {"session": session_name, "whatsapp_id": jid})
	if not contact:
		contact = (
			frappe.get_doc(
				{
					"doctype": "WhatsApp Contact",
					"session": session_name,
					"whatsapp_id": jid,
					"display_name": "Baseline",
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		frappe.db.commit()
	started = time.perf_counter()
	for i in range(n):
		frappe.get_doc(
			{
				"doctype": "WhatsApp Message",
				"session": session_name,
				"contact": contact,
				"message_id": f"BASELINE{i:08d}{time.time_ns()}",
				"from_me": 0,
				"source": "Webhook",
				"body": f"baseline {i}",
				"message_type": "text",
				"chat_jid": "34600999999@s.whatsapp.net",
				"status": "Delivered",
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
	return n / (time.perf_counter() - started)


def fill_queue(url: str, n: int, seed: int, per_conversation: int) -> tuple[sim.Scenario, loadgen.Outcome]:
	import frappe

	config = sim.Config(
		conversations=max(1, n // per_conversation),
		messages=per_conversation,
		replies=0,
		session_events=False,
		seed=seed,
		session_prefix=harness.PREFIX,
	)
	secrets = sim_check.ensure_sessions(sim.session_ids(config))
	scenario = sim.build(config, secrets=secrets)
	now = time.time()
	reqs = []
	for delivery in scenario.stream:
		body = delivery.render(now)
		reqs.append(loadgen.Request("POST", delivery.path, body, delivery.headers(body, now)))
	outcome = loadgen.run(url, reqs, connections=8, duration=300)
	if outcome.statuses != {200: len(reqs)}:
		raise SystemExit(f"filling the queue: {len(reqs)} requests answered {outcome.statuses}")
	frappe.db.commit()
	return scenario, outcome


def drain(
	stack: harness.Stack, scenario: sim.Scenario, outcome: loadgen.Outcome, workers: int, timeout: float
) -> tuple[float, sim_check.Tally, bool]:
	"""(events applied per second, what became of them, whether all were applied in time)."""
	import frappe

	for _ in range(workers):
		stack.worker("short")
	settled = sim_check.wait_settled(scenario, timeout, poll=1.0)
	stack.stop_workers()
	if not settled:
		print("  not everything was processed in time")
	rows = []
	keys = sorted(scenario.dedup_keys)
	for i in range(0, len(keys), 1000):
		rows += frappe.get_all(
			"Inbound Webhook",
			filters={"dedup_key": ["in", keys[i : i + 1000]], "status": "Processed"},
			pluck="processed_at",
		)
	times = sorted(frappe.utils.get_datetime(t).timestamp() for t in rows)
	rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
	return rate, harness.with_answers(sim_check.tally(scenario), outcome), settled


def run(stack: harness.Stack, args) -> None:
	url = stack.web(args.web_workers)

	bare_insert_loop(100)  # warm caches
	# A shared machine's speed drifts from one minute to the next: each drain is compared with the loop run
	# right before and right after it.
	baselines = [bare_insert_loop(args.baseline)]
	print(
		f"  bare insert loop: {baselines[-1]:.1f} rows/s ({args.baseline} WhatsApp Message inserts + commits)"
	)

	results, clean, ratios = {}, {}, {}
	for workers, seed in ((1, 2001), (2, 2002)):
		scenario, outcome = fill_queue(url, args.events, seed, args.per_conversation)
		print(f"  queued {len(scenario.stream)} message.received events ({harness.queue_length()} jobs)")
		rate, tally, settled = drain(stack, scenario, outcome, workers, timeout=600)
		baselines.append(bare_insert_loop(args.baseline))
		print(f"  bare insert loop: {baselines[-1]:.1f} rows/s")
		results[workers] = rate
		ratios[workers] = rate / statistics.mean(baselines[-2:])
		# a fast run that lost events or left them in a wrong state proves nothing
		clean[workers] = settled and tally.clean and tally.processed == len(scenario.deliveries)
		print(f"  {workers} worker(s): {rate:.1f} events/s   {tally.line()}", flush=True)

	print("\nresults")
	print(
		f"  bare insert loop   {statistics.mean(baselines):7.1f} rows/s  (runs: {', '.join(f'{b:.0f}' for b in baselines)})"
	)
	for workers, rate in results.items():
		print(
			f"  {workers} worker(s)        {rate:7.1f} events/s  ratio {ratios[workers]:.2f} (to the loops around it)  "
			f"everything applied once, in its final state: {'yes' if clean[workers] else 'NO'}"
		)
	ratio = ratios[1]
	print(f"  1 worker vs bare insert loop {ratio:.2f} (target >= 0.50) {verdict(clean[1] and ratio >= 0.5)}")
	scaling = results[2] / results[1] if results[1] else 0.0
	print(
		f"  2 workers vs 1 worker        {scaling:.2f} (scaling on {harness.os.cpu_count()} cores) "
		f"{verdict(clean[2])}"
	)


if __name__ == "__main__":
	harness.main(__doc__, OPTIONS, run)

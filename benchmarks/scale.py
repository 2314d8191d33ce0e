"""Growth: does every desk read cost the same on a site with 2 million messages as on one with ten thousand?

Fills a site of its own with the same shape of traffic at two sizes (scale_fill.py), and at each size times every
read the desk makes (scale_reads.py) over HTTP against gunicorn on loopback, as Administrator and as an agent listed
on one of the three numbers. Prints per read p50 / p95 at each size, the growth ratio (p50 at the large size over
p50 at the small one, each divided by that size's getdoc p50: the sizes are measured minutes apart on a machine
whose speed drifts; the raw ratio is printed too), and at the large size the EXPLAIN of the read's slowest query (run
in this process as that user, with the queries recorded). Targets: growth ≤ 2 for every read; at the large size
every p95 ≤ 3 × the p95 of getdoc of one WhatsApp Contact; no read fails or takes more than the timeout.

	cd ~/frappe-bench && env/bin/python apps/xappiens_whatsapp/benchmarks/scale.py --site scale-bench.localhost
	... --full     2,000,000 messages at the large size (10 minutes of filling on two cores, more to delete)
	... --quick    1,000 and 20,000 messages, fewer rounds: a check that it runs

The rows it writes are named `xws…` (sessions `bench_scale_…`) and deleted at the end, also after a failure; the
agent user it makes is deleted too, and Administrator's API key is put back as it was.
"""

from __future__ import annotations

import time

import harness
import requests
import scale_fill
import scale_reads

AGENT = "xw-scale-agent@example.com"
COLLEAGUE = "xw-scale-colleague@example.com"
TIMEOUT = 30


def _token(user: str, keep: dict) -> str:
	import frappe

	doc = frappe.get_doc("User", user)
	keep.setdefault(user, (doc.api_key, bool(doc.api_secret)))
	secret = frappe.generate_hash(length=24)
	doc.api_key = doc.api_key or frappe.generate_hash(length=15)
	doc.api_secret = secret
	doc.save(ignore_permissions=True)
	frappe.db.commit()
	return f"token {doc.api_key}:{secret}"


def _users() -> None:
	import frappe

	if not frappe.db.exists("User", AGENT):
		frappe.get_doc(
			{"doctype": "User", "email": AGENT, "first_name": "Scale agent", "send_welcome_email": 0}
		).insert(ignore_permissions=True)
	roles = ["WhatsApp Agent"] + (["Sales User"] if frappe.db.exists("Role", "Sales User") else [])
	frappe.get_doc("User", AGENT).add_roles(*roles)
	frappe.db.commit()


def _restore_users(keep: dict) -> None:
	import frappe

	frappe.db.rollback()
	if frappe.db.exists("User", AGENT):
		frappe.delete_doc("User", AGENT, ignore_permissions=True, force=True, ignore_on_trash=True)
	for user, (api_key, had_secret) in keep.items():
		if user != AGENT and not api_key:
			frappe.db.set_value("User", user, "api_key", None)
			if not had_secret:
				frappe.db.sql(
					"delete from `__Auth` where doctype='User' and name=%s and fieldname='api_secret'", user
				)
	frappe.db.commit()


def _call(
	http: requests.Session, url: str, headers: dict, method: str, args: dict
) -> tuple[float, str | None]:
	started = time.perf_counter()
	try:
		r = http.get(f"{url}/api/method/{method}", params=args, headers=headers, timeout=TIMEOUT)
		failure = None if r.ok else f"HTTP {r.status_code}"
	except requests.RequestException as e:
		failure = type(e).__name__
	return (time.perf_counter() - started) * 1000, failure


def _p(samples: list[float], q: float) -> float:
	ordered = sorted(samples)
	return ordered[min(round(q * (len(ordered) - 1)), len(ordered) - 1)] if ordered else float("nan")


def _explain(user: str, method: str, args: dict) -> list[str]:
	"""Run the read in this process as `user`, recording its queries; EXPLAIN the slowest SELECT."""
	import frappe
	import frappe.handler

	recorded: list[tuple[float, str]] = []
	original = frappe.db.sql

	def recording(query, *a, **k):
		started = time.perf_counter()
		result = original(query, *a, **k)
		if str(query).lstrip().lower().startswith("select"):
			recorded.append((time.perf_counter() - started, frappe.db.last_query or str(query)))
		return result

	frappe.utils.set_request(method="GET", path=f"/api/method/{method}")
	frappe.set_user(user)
	frappe.local.form_dict = frappe._dict(args, cmd=method)
	frappe.db.sql = recording
	try:
		frappe.handler.execute_cmd(method)
	except Exception as e:
		return [f"      (could not run in process: {type(e).__name__})"]
	finally:
		frappe.db.sql = original
		frappe.set_user("Administrator")
		frappe.db.rollback()
	if not recorded:
		return ["      (no query)"]
	elapsed, query = max(recorded)
	lines = [f"      slowest query {elapsed * 1000:.1f} ms: {' '.join(str(query).split())[:300]}"]
	for row in frappe.db.sql(f"explain {query}", as_dict=True):
		lines.append(
			f"      table={row.table} type={row.type} key={row.key} rows={row.rows} extra={row.Extra or ''}"
		)
	return lines


def measure(stack: harness.Stack, url: str, size: int, rounds: int, keep: dict, explain: bool) -> dict:
	"""Every read `rounds` times (after two warm-up rounds), round-robin: a busy moment of the machine falls on
	all reads alike rather than on one."""
	import frappe

	print(f"\n== {size:,} messages", flush=True)
	with harness.timed("removed earlier rows"):
		scale_fill.remove()
	with harness.timed("filled"):
		counts = scale_fill.fill(size, AGENT, COLLEAGUE)
	print(f"  {counts}", flush=True)
	frappe.clear_cache()
	tokens = {"admin": _token("Administrator", keep), "agent": _token(AGENT, keep)}
	users = {"admin": "Administrator", "agent": AGENT}
	reads = [
		(label, role, method, args)
		for label, who, method, args in scale_reads.catalogue(AGENT)
		for role in ("admin", "agent")
		if who in ("both", role)
	]
	results = {(label, role): ([], None) for label, role, _, _ in reads}
	with requests.Session() as http, harness.timed(f"{rounds} rounds of {len(reads)} reads"):
		for i in range(rounds + 2):
			for label, role, method, args in reads:
				samples, failure = results[(label, role)]
				if failure:
					continue
				headers = {"Host": stack.site, "Authorization": tokens[role], "Accept": "application/json"}
				elapsed, failure = _call(http, url, headers, method, args)
				if i >= 2 or failure:
					results[(label, role)] = (samples + ([] if failure else [elapsed]), failure)
	for label, role, method, args in reads:
		samples, failure = results[(label, role)]
		line = (
			f"FAILED ({failure})"
			if failure
			else f"p50 {_p(samples, 0.5):7.1f} ms  p95 {_p(samples, 0.95):7.1f} ms"
		)
		print(f"  {label:38} {role:5} {line}", flush=True)
		if explain:
			for text in _explain(users[role], method, args):
				print(text, flush=True)
	return results


def report(small: int, large: int, before: dict, after: dict) -> bool:
	"""Growth is the p50 at the large size over the p50 at the small one, each first divided by that size's
	getdoc p50 (the machine's speed at that moment: the two sizes are measured minutes apart on a shared machine);
	the raw ratio is printed beside it."""
	baseline = ("getdoc WhatsApp Contact (baseline)", "admin")
	base_small, base_large = before[baseline][0], after[baseline][0]
	limit = 3 * _p(base_large, 0.95)
	print(
		f"\n== growth {small:,} → {large:,} messages; getdoc p50 {_p(base_small, 0.5):.1f} → "
		f"{_p(base_large, 0.5):.1f} ms, p95 at {large:,}: {_p(base_large, 0.95):.1f} ms (3× = {limit:.1f} ms)"
	)
	print(
		f"| read | user | p50 / p95 at {small:,} (ms) | p50 / p95 at {large:,} (ms) | growth | raw growth | p95 / getdoc p95 |"
	)
	print("|---|---|---|---|---|---|---|")
	ok = True
	for (label, role), (samples, failure) in after.items():
		small_samples, small_failure = before.get((label, role), ([], "not run"))
		if failure or small_failure:
			ok = False
			print(f"| {label} | {role} | {small_failure or '…'} | {failure or '…'} | FAIL | | |")
			continue
		raw = _p(samples, 0.5) / _p(small_samples, 0.5)
		growth = raw / (_p(base_large, 0.5) / _p(base_small, 0.5))
		share = _p(samples, 0.95) / _p(base_large, 0.95)
		passed = growth <= 2 and share <= 3
		ok &= passed
		print(
			f"| {label} | {role} | {_p(small_samples, 0.5):.1f} / {_p(small_samples, 0.95):.1f} | "
			f"{_p(samples, 0.5):.1f} / {_p(samples, 0.95):.1f} | {growth:.2f} | {raw:.2f} | {share:.2f}"
			f"{'' if passed else ' FAIL'} |"
		)
	print(
		f"\n{harness.verdict(ok)}: growth ≤ 2 and p95 ≤ 3 × getdoc p95 for every read, nothing failed",
		flush=True,
	)
	return ok


def main() -> None:
	p = harness.parser(__doc__.splitlines()[0])
	p.add_argument("--full", action="store_true", help="2,000,000 messages at the large size")
	p.add_argument("--quick", action="store_true", help="1,000 and 20,000 messages, 5 rounds")
	p.add_argument("--sizes", help="small,large message counts (default 10000,200000)")
	p.add_argument("--rounds", type=int, default=0, help="timed calls per read (default 15, --quick 5)")
	args = p.parse_args()
	small, large = (1000, 20000) if args.quick else (10000, 2_000_000 if args.full else 200_000)
	if args.sizes:
		small, large = (int(x) for x in args.sizes.split(","))
	rounds = args.rounds or (5 if args.quick else 15)

	def run(stack, _args):
		_users()
		keep: dict = {}
		try:
			url = stack.web(workers=2)
			before = measure(stack, url, small, rounds, keep, explain=False)
			after = measure(stack, url, large, rounds, keep, explain=True)
			report(small, large, before, after)
		finally:
			with harness.timed("removed the rows, the agent and the keys"):
				scale_fill.remove()
				_restore_users(keep)

	harness.run_on_site(args, run)


if __name__ == "__main__":
	main()

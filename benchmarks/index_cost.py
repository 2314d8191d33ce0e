"""What the read indexes cost the pipeline: ingress.py and processing.py without them and with them, in one run.

Drops the indexes that the read paths added (see patches/v1_1/indexes_for_reads_at_scale.py) and puts back the two
they replaced, runs both benchmarks, then restores the current indexes and runs them again; `--rounds` alternates
that. Prints each run's result lines and the ratios after/before. The indexes are always left as the app defines
them, also after a failure or Ctrl-C.

	cd ~/frappe-bench && env/bin/python apps/xappiens_whatsapp/benchmarks/index_cost.py --site perf.localhost
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import harness

HERE = Path(__file__).resolve().parent
ADDED = {
	"WhatsApp Message": ["contact_message_timestamp_creation_index", "message_timestamp_index"],
	"WhatsApp Contact": ["last_message_at_index", "display_name_index", "whatsapp_id_index"],
	"Netelip Call": [
		"started_at_index",
		"customer_number_started_at_index",
		"whatsapp_contact_started_at_index",
		"contact_started_at_index",
		"missed_started_at_agent_index",
	],
	"Inbound Webhook": ["provider_status_received_at_docstatus_index", "received_at_docstatus_index"],
}
REPLACED = {"WhatsApp Message": ("contact_message_timestamp_index", "contact, message_timestamp")}
REPLACED_CALL = {"Netelip Call": ("customer_number_index", "customer_number")}
FIGURES = {
	"ingress throughput": r"webhook\s+([\d.]+) req/s",
	"ingress throughput ratio": r"throughput ratio\s+([\d.]+)",
	"ingress p99 ratio": r"p99 ratio\s+([\d.]+)",
	"processing 1 worker events/s": r"1 worker\(s\): ([\d.]+) events/s",
	"processing 1 worker ratio": r"1 worker vs bare insert loop ([\d.]+)",
}


def _without() -> None:
	import frappe

	for doctype, indexes in ADDED.items():
		for index in indexes:
			if frappe.db.has_index(f"tab{doctype}", index):
				frappe.db.sql_ddl(f"alter table `tab{doctype}` drop index `{index}`")
	for doctype, (index, columns) in {**REPLACED, **REPLACED_CALL}.items():
		if not frappe.db.has_index(f"tab{doctype}", index):
			frappe.db.sql_ddl(f"alter table `tab{doctype}` add index `{index}` ({columns})")


def _with() -> None:
	from xappiens_whatsapp.patches.v1_1 import indexes_for_reads_at_scale

	indexes_for_reads_at_scale.execute()


def _run(script: str, site: str) -> dict:
	out = subprocess.run(
		[sys.executable, str(HERE / script), "--site", site], capture_output=True, text=True, check=False
	).stdout
	print("".join(f"    {line}\n" for line in out.splitlines() if "ratio" in line or "/s" in line), end="")
	# The last match: a figure's summary line comes after the per-round lines.
	return {k: float(found[-1]) for k, pattern in FIGURES.items() if (found := re.findall(pattern, out))}


def main() -> None:
	p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	p.add_argument("--site", required=True)
	p.add_argument("--rounds", type=int, default=1)
	args = p.parse_args()
	harness.connect(args.site)
	print(f"machine: {harness.machine()}")
	figures: dict[str, list[dict]] = {"before": [], "after": []}
	try:
		for _ in range(args.rounds):
			for state, apply in (("before", _without), ("after", _with)):
				apply()
				print(f"  indexes {state}:", flush=True)
				figures[state].append({**_run("ingress.py", args.site), **_run("processing.py", args.site)})
	finally:
		_with()
	print("\nresults (mean of rounds; after / before)")
	for key in FIGURES:
		values = {s: [f[key] for f in figures[s] if key in f] for s in figures}
		if values["before"] and values["after"]:
			before = sum(values["before"]) / len(values["before"])
			after = sum(values["after"]) / len(values["after"])
			print(f"  {key:32} before {before:8.2f}  after {after:8.2f}  after/before {after / before:.3f}")


if __name__ == "__main__":
	main()

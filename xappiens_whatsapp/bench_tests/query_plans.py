"""What a read asks MariaDB, and how MariaDB answers it: the SELECTs a call runs (recorded in process) and their
EXPLAIN rows, to hold every desk read to the index it is written for."""

from contextlib import contextmanager

import frappe
import frappe.handler


@contextmanager
def recorded_selects():
	"""Yields the list that receives, in order, every SELECT the database connection runs meanwhile."""
	queries: list[str] = []
	original = frappe.db.sql

	def recording(query, *args, **kwargs):
		result = original(query, *args, **kwargs)
		if str(query).lstrip().lower().startswith("select"):
			queries.append(frappe.db.last_query)
		return result

	frappe.db.sql = recording
	try:
		yield queries
	finally:
		frappe.db.sql = original


def selects_of(user: str, method: str, **args) -> list[str]:
	"""The SELECTs of a whitelisted call as `user` (the way a request runs it, overrides included)."""
	frappe.utils.set_request(method="GET", path=f"/api/method/{method}")
	frappe.set_user(user)
	frappe.local.form_dict = frappe._dict(args, cmd=method)
	try:
		with recorded_selects() as queries:
			frappe.handler.execute_cmd(method)
	finally:
		frappe.set_user("Administrator")
	return queries


def on_table(queries: list[str], table: str, *containing: str) -> list[str]:
	"""The queries that read `tab<table>` and contain every one of `containing`."""
	return [
		q for q in queries if f"`tab{table}`" in q and all(part.lower() in q.lower() for part in containing)
	]


def plan(query: str) -> list[dict]:
	return frappe.db.sql(f"explain {query}", as_dict=True)


def plan_of_table(query: str, table: str) -> dict:
	rows = [r for r in plan(query) if r.table in (f"tab{table}", table)]
	assert rows, f"no plan row for {table}: {plan(query)}"
	return rows[0]

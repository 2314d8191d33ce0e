"""The health charts' summary rows (Status Count, Webhook Lag) counted from the rows a site already has; from then
on the pipeline keeps them. All in SQL (GROUP BY inserts), so memory does not grow with the tables; running it again
gives the same result. The index the lag chart read before goes: every new inbox row paid for it."""

import frappe

from xappiens_whatsapp.pipeline import counts

UNUSED = {"tabInbound Webhook": "status_processed_at_lag_ms_docstatus_index"}


def execute():
	for table, index in UNUSED.items():
		if frappe.db.has_index(table, index):
			frappe.db.sql_ddl(f"alter table `{table}` drop index `{index}`")
	counts.rebuild()
	frappe.db.commit()

"""The health charts' summary rows (Status Count, Webhook Lag) counted from the rows a site already has, and the
Missed flag set on its calls; from then on the pipeline keeps both. All in SQL (GROUP BY inserts, one UPDATE), so
memory does not grow with the tables; running it again gives the same result. The two indexes the charts read
before go: every new inbox row and call paid for them."""

import frappe

from xappiens_whatsapp.pipeline import counts
from xappiens_whatsapp.pipeline.netelip.missed import MISSED_SQL
from xappiens_whatsapp.xappiens_whatsapp.doctype.netelip_call import netelip_call

UNUSED = {
	"tabInbound Webhook": "status_processed_at_lag_ms_docstatus_index",
	"tabNetelip Call": "status_direction_agent_docstatus_index",
}


def execute():
	netelip_call.on_doctype_update()
	for table, index in UNUSED.items():
		if frappe.db.has_index(table, index):
			frappe.db.sql_ddl(f"alter table `{table}` drop index `{index}`")
	counts.rebuild()
	frappe.db.sql(f"update `tabNetelip Call` set `missed` = {MISSED_SQL} where `missed` != {MISSED_SQL}")
	frappe.db.commit()

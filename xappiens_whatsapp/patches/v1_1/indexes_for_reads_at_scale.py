"""The indexes every desk read walks (see each doctype's on_doctype_update), on sites installed before them.

Messages without a time get their arrival time first: threads are paged by (time, creation, name) and the page
conditions are written on the bare column, which never matches NULL. Two indexes are replaced by wider ones that
start with the same columns and serve the same lookups."""

import frappe

from xappiens_whatsapp.xappiens_whatsapp.doctype.inbound_webhook import inbound_webhook
from xappiens_whatsapp.xappiens_whatsapp.doctype.netelip_call import netelip_call
from xappiens_whatsapp.xappiens_whatsapp.doctype.whatsapp_contact import whatsapp_contact
from xappiens_whatsapp.xappiens_whatsapp.doctype.whatsapp_message import whatsapp_message

REPLACED = {
	"tabWhatsApp Message": "contact_message_timestamp_index",
	"tabNetelip Call": "customer_number_index",
}


def execute():
	for module in (whatsapp_message, whatsapp_contact, netelip_call, inbound_webhook):
		module.on_doctype_update()  # the new indexes first: the old ones go once their lookups are served
	frappe.db.sql(
		"update `tabWhatsApp Message` set `message_timestamp` = `creation` where `message_timestamp` is null"
	)
	for table, index in REPLACED.items():
		if frappe.db.has_index(table, index):
			frappe.db.sql_ddl(f"alter table `{table}` drop index `{index}`")

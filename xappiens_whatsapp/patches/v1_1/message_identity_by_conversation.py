"""A message is identified by its conversation, direction and id (see WhatsApp Message's on_doctype_update), no
longer by its session and id alone: the old unique key would still merge another chat's message with the same id.
The new key is finer than the old one, so existing rows always satisfy it."""

import frappe

from xappiens_whatsapp.xappiens_whatsapp.doctype.whatsapp_message.whatsapp_message import on_doctype_update


def execute():
	on_doctype_update()  # the new key first: the table is never without one
	if frappe.db.has_index("tabWhatsApp Message", "unique_session_message"):
		frappe.db.sql_ddl("alter table `tabWhatsApp Message` drop index `unique_session_message`")

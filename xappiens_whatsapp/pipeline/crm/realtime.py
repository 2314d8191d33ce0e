"""Frappe CRM's WhatsApp tab reloads on a `whatsapp_message` event naming its record. It is sent to each user
of the conversation's number who may read that record, never site-wide, and carries only the record's name."""

import frappe

from xappiens_whatsapp.pipeline.crm import records

EVENT = "whatsapp_message"
MOST_RECORDS = 10  # a number shared by more Leads and Deals than this is not one person's


def message_changed(contact: str, users: list[str]) -> None:
	phone = frappe.db.get_value("WhatsApp Contact", contact, "phone")
	for doctype, name in records.records_for_phone(phone)[:MOST_RECORDS]:
		for user in users:
			if frappe.has_permission(doctype, "read", doc=name, user=user):
				frappe.publish_realtime(
					EVENT,
					{"reference_doctype": doctype, "reference_name": name},
					user=user,
					after_commit=True,
				)

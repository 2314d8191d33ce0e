"""Frappe CRM's WhatsApp tab reloads on a `whatsapp_message` event naming its record. It is sent to each user
of the conversation's number who may read that record, never site-wide, and carries only the record's name."""

import frappe

from xappiens_whatsapp.pipeline.crm import records

EVENT = "whatsapp_message"
MOST_RECORDS = 10  # a number shared by more Leads and Deals than this is not one person's
# Finding a number's records scans the Lead and Deal tables: remembered briefly, as every tick of a message
# asks again; forgotten whenever a Lead or Deal is saved.
REMEMBER_SECONDS = 30


def _records(phone: str | None) -> list:
	if not phone:
		return []
	key = f"xw:crm_records:{phone}"
	found = frappe.cache.get_value(key, expires=True)
	if found is None:
		found = [list(r) for r in records.records_for_phone(phone)[:MOST_RECORDS]]
		frappe.cache.set_value(key, found, expires_in_sec=REMEMBER_SECONDS)
	return found


def forget(doc=None, method=None) -> None:
	"""A Lead or Deal was saved (a number may have come or gone): find the records afresh."""
	frappe.cache.delete_keys("xw:crm_records:")


def message_changed(contact: str, users: list[str]) -> None:
	phone = frappe.db.get_value("WhatsApp Contact", contact, "phone")
	for doctype, name in _records(phone):
		if not frappe.db.exists(doctype, name):
			continue  # removed since it was remembered
		for user in users:
			if frappe.has_permission(doctype, "read", doc=name, user=user):
				frappe.publish_realtime(
					EVENT,
					{"reference_doctype": doctype, "reference_name": name},
					user=user,
					after_commit=True,
				)

"""Each Netelip call as a Frappe CRM call log ("netelip-<call>"), on the Lead or Deal with the customer's number,
so the call shows in the record's activity as CRM's own calls do (fields of CRM Call Log in CRM v1.35.0)."""

import frappe

from xappiens_whatsapp.core.text import plain
from xappiens_whatsapp.pipeline import crm
from xappiens_whatsapp.pipeline.crm import records

DOCTYPE = "CRM Call Log"
STATUSES = {
	"Initiated": "Initiated",
	"Ringing": "Ringing",
	"Answered": "In Progress",
	"Completed": "Completed",
	"Failed": "Failed",
	"Busy": "Busy",
	"No Answer": "No Answer",
}
CALL_FIELDS = [
	"name",
	"direction",
	"status",
	"customer_number",
	"from_number",
	"to_number",
	"agent",
	"started_at",
	"ended_at",
	"duration",
	"talk_time",
	"recording_url",
]


def log_id(call: str) -> str:
	return f"netelip-{call}"


def values_for(call) -> dict:
	outbound = call.direction == "Outbound"
	values = {
		"type": "Outgoing" if outbound else "Incoming",
		"status": STATUSES.get(call.status, "Initiated"),
		"from": call.from_number or (None if outbound else call.customer_number),
		"to": call.to_number or (call.customer_number if outbound else None),
		"start_time": call.started_at,
		"end_time": call.ended_at,
		"duration": call.talk_time or 0,
		"recording_url": plain(call.recording_url, 500),
		"medium": "Netelip",
		"caller": call.agent if outbound else None,
		"receiver": None if outbound else call.agent,
	}
	return values


def sync(call_name: str) -> str | None:
	"""Create or update the call's CRM log. Nothing when Frappe CRM is not installed."""
	if not crm.installed():
		return None
	call = frappe.db.get_value("Netelip Call", call_name, CALL_FIELDS, as_dict=True)
	if not call:
		return None
	name = log_id(call.name)
	values = values_for(call)
	existing = frappe.db.get_value(DOCTYPE, name, ["reference_doctype", "reference_docname"], as_dict=True)
	if not (existing and existing.reference_docname):
		doctype, record = records.record_for_phone(call.customer_number)
		values.update(reference_doctype=doctype, reference_docname=record)
	if existing:
		frappe.db.set_value(DOCTYPE, name, values)
	else:
		frappe.get_doc({"doctype": DOCTYPE, "id": name, **values}).insert(
			ignore_permissions=True, ignore_links=True
		)
	return name


def link_unlinked(e164: str, doctype: str, record: str) -> None:
	"""A new Lead for a number takes with it the earlier calls from that number that no record had."""
	for call in frappe.get_all("Netelip Call", filters={"customer_number": e164}, pluck="name"):
		name = log_id(call)
		if not frappe.db.exists(DOCTYPE, name):
			sync(call)
		elif not frappe.db.get_value(DOCTYPE, name, "reference_docname"):
			frappe.db.set_value(DOCTYPE, name, {"reference_doctype": doctype, "reference_docname": record})

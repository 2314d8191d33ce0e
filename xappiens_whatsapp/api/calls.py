"""Agents call customers with one click, and read the calls they may see."""

import frappe
from frappe import _

from xappiens_whatsapp.core.phones import to_e164
from xappiens_whatsapp.pipeline import calls, crm_links, settings

CALL_FIELDS = [
	"name",
	"direction",
	"status",
	"status_inferred",
	"customer_number",
	"contact",
	"whatsapp_contact",
	"agent",
	"started_at",
	"answered_at",
	"ended_at",
	"duration",
	"talk_time",
	"launch_error",
	"recording_url",
]


def _number_of(contact: str | None, whatsapp_contact: str | None, number: str | None) -> str:
	if whatsapp_contact:
		if not frappe.has_permission("WhatsApp Contact", "read", doc=whatsapp_contact):
			raise frappe.PermissionError
		number = number or frappe.db.get_value("WhatsApp Contact", whatsapp_contact, "phone")
	if contact and not number:
		if not frappe.has_permission("Contact", "read", doc=contact):
			raise frappe.PermissionError
		phones = crm_links.contact_phones(contact, settings.default_region())
		primary = frappe.db.get_value("Contact", contact, ["mobile_no", "phone"], as_dict=True)
		preferred = [to_e164(p, settings.default_region()) for p in (primary.mobile_no, primary.phone) if p]
		number = next((p for p in preferred if p), None) or (sorted(phones)[0] if phones else None)
	if not number:
		frappe.throw(_("There is no phone number to call"))
	e164 = to_e164(number, settings.default_region())
	if not e164:
		frappe.throw(_("{0} is not a valid phone number").format(frappe.bold(number)))
	return e164


@frappe.whitelist(methods=["POST"])
def click_to_call(
	number: str | None = None, contact: str | None = None, whatsapp_contact: str | None = None
) -> dict:
	if not frappe.has_permission("Netelip Call", "read"):
		raise frappe.PermissionError(_("You are not allowed to make calls"))
	e164 = _number_of(contact, whatsapp_contact, number)
	if not calls.is_registered(e164):
		frappe.throw(
			_("{0} is not registered in the CRM. Only numbers of contacts can be called.").format(
				frappe.bold(e164)
			),
			title=_("Number not allowed"),
		)
	name = calls.start_click_to_call(e164, contact, whatsapp_contact)
	return {"call": name, "status": frappe.db.get_value("Netelip Call", name, "status")}


@frappe.whitelist()
def get_call(call: str) -> dict:
	if not frappe.has_permission("Netelip Call", "read", doc=call):
		raise frappe.PermissionError
	row = frappe.db.get_value("Netelip Call", call, CALL_FIELDS, as_dict=True)
	row["contact_name"] = row.contact and frappe.db.get_value("Contact", row.contact, "full_name")
	row["whatsapp_name"] = row.whatsapp_contact and frappe.db.get_value(
		"WhatsApp Contact", row.whatsapp_contact, "display_name"
	)
	return row

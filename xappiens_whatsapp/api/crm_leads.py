"""*Create Lead* in Frappe CRM from a missed call or an unknown conversation. A number that already has a Lead or
a Deal opens that record instead of making a second one."""

import frappe
from frappe import _

from xappiens_whatsapp.core.text import one_line
from xappiens_whatsapp.pipeline import crm
from xappiens_whatsapp.pipeline.crm import DEAL, LEAD, call_logs, records

ROUTES = {LEAD: "leads", DEAL: "deals"}


def _require_read(doctype: str, name: str) -> None:
	if not frappe.has_permission(doctype, "read", doc=name):
		raise frappe.PermissionError(_("Not permitted"))


def _answer(doctype: str, name: str, created: bool) -> dict:
	return {"doctype": doctype, "name": name, "created": created, "url": f"/crm/{ROUTES[doctype]}/{name}"}


def _source(call: str | None, whatsapp_contact: str | None) -> tuple[str | None, str]:
	"""(the customer's number in E.164, a first name for the Lead) from what the agent may read."""
	if call:
		_require_read("Netelip Call", call)
		number = frappe.db.get_value("Netelip Call", call, "customer_number")
		return number, _("Call from {0}").format(number)
	if whatsapp_contact:
		_require_read("WhatsApp Contact", whatsapp_contact)
		row = frappe.db.get_value(
			"WhatsApp Contact", whatsapp_contact, ["phone", "display_name", "is_group"], as_dict=True
		)
		if row.is_group:
			frappe.throw(_("A group conversation cannot become a Lead"))
		return row.phone, row.display_name or _("WhatsApp {0}").format(row.phone)
	frappe.throw(_("Say which call or conversation the Lead is for"))


@frappe.whitelist()
def crm_record(call: str | None = None, whatsapp_contact: str | None = None) -> dict | None:
	"""The Lead or Deal for this call's or conversation's number, if Frappe CRM has one the user may read."""
	if not crm.installed():
		return None
	number, _name = _source(call, whatsapp_contact)
	for doctype, name in records.records_for_phone(number):
		if frappe.has_permission(doctype, "read", doc=name):
			return _answer(doctype, name, False)
	return None


@frappe.whitelist(methods=["POST"])
def create_lead(call: str | None = None, whatsapp_contact: str | None = None) -> dict:
	if not crm.installed():
		frappe.throw(_("Frappe CRM is not installed on this site"))
	number, first_name = _source(call, whatsapp_contact)
	if not number:
		frappe.throw(_("This caller's number is unknown: there is nothing to make a Lead of"))
	existing = crm_record(call, whatsapp_contact)
	if existing:
		return existing
	if records.records_for_phone(number):
		frappe.throw(_("Frappe CRM already has a record with this number, which you are not allowed to open"))
	if not frappe.has_permission(LEAD, "create"):
		raise frappe.PermissionError(_("You are not allowed to create Leads"))
	lead = frappe.get_doc(
		{
			"doctype": LEAD,
			"first_name": one_line(first_name, 140) or number,
			"mobile_no": number,
			"lead_owner": frappe.session.user,
		}
	).insert()
	call_logs.link_unlinked(number, LEAD, lead.name)
	return _answer(LEAD, lead.name, True)

"""Agents call customers with one click, and read the calls they may see."""

import frappe
from frappe import _
from frappe.utils import escape_html

from xappiens_whatsapp.core.phones import to_e164
from xappiens_whatsapp.pipeline import crm_links, settings
from xappiens_whatsapp.pipeline.netelip import callable_numbers
from xappiens_whatsapp.pipeline.netelip import click_to_call as launching

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
	"launch_unconfirmed",
	"recording_url",
]


def _require_read(doctype: str, name: str) -> None:
	if not frappe.has_permission(doctype, "read", doc=name):
		raise frappe.PermissionError(_("You are not allowed to read {0} {1}").format(_(doctype), name))


def _whatsapp_numbers(whatsapp_contact: str | None, region: str) -> list[str] | None:
	if not whatsapp_contact:
		return None
	_require_read("WhatsApp Contact", whatsapp_contact)
	phone = to_e164(frappe.db.get_value("WhatsApp Contact", whatsapp_contact, "phone"), region)
	return [phone] if phone else []


def _contact_numbers(contact: str | None, region: str) -> list[str] | None:
	"""A Contact's numbers, its primary mobile and phone first."""
	if not contact:
		return None
	_require_read("Contact", contact)
	primary = frappe.db.get_value("Contact", contact, ["mobile_no", "phone"], as_dict=True) or {}
	preferred = [to_e164(primary.get(f), region) for f in ("mobile_no", "phone") if primary.get(f)]
	numbers = [p for p in preferred if p]
	return numbers + sorted(crm_links.contact_phones(contact, region) - set(numbers))


def _number_of(contact: str | None, whatsapp_contact: str | None, number: str | None) -> str:
	"""The number to call. With a record, it must be one of that record's numbers (the call is linked to it)."""
	region = settings.default_region()
	requested = to_e164(number, region) if number else None
	if number and not requested:
		frappe.throw(_("{0} is not a valid phone number").format(frappe.bold(escape_html(number))))
	owned = [
		numbers
		for numbers in (_whatsapp_numbers(whatsapp_contact, region), _contact_numbers(contact, region))
		if numbers is not None
	]
	if not owned:
		if not requested:
			frappe.throw(_("There is no phone number to call"))
		return requested
	shared = [n for n in owned[0] if all(n in numbers for numbers in owned[1:])]
	if requested and requested not in shared:
		frappe.throw(
			_("{0} is not a number of this contact").format(frappe.bold(requested)),
			title=_("Number not allowed"),
		)
	if not (requested or shared):
		frappe.throw(_("There is no phone number to call"))
	return requested or shared[0]


@frappe.whitelist(methods=["POST"])
def click_to_call(
	number: str | None = None, contact: str | None = None, whatsapp_contact: str | None = None
) -> dict:
	if not frappe.has_permission("Netelip Call", "read"):
		raise frappe.PermissionError(_("You are not allowed to make calls"))
	launching.check_ready()
	e164 = _number_of(contact, whatsapp_contact, number)
	if not callable_numbers.is_registered(e164):
		frappe.throw(
			_("{0} is not registered in the CRM. Only numbers of contacts can be called.").format(
				frappe.bold(e164)
			),
			title=_("Number not allowed"),
		)
	callable_numbers.check_destination(e164)
	name = launching.start_click_to_call(e164, contact, whatsapp_contact)
	return {"call": name, "status": frappe.db.get_value("Netelip Call", name, "status")}


@frappe.whitelist()
def get_call(call: str) -> dict:
	if not frappe.has_permission("Netelip Call", "read", doc=call):
		raise frappe.PermissionError
	row = frappe.db.get_value("Netelip Call", call, CALL_FIELDS, as_dict=True)

	# Seeing a call does not mean seeing the person behind it: names (and links) only from records the
	# user may read, otherwise the number alone.
	def readable(field: str, doctype: str, name_field: str) -> str | None:
		name = row[field]
		if name and not (
			frappe.db.exists(doctype, name) and frappe.has_permission(doctype, "read", doc=name)
		):
			row[field] = name = None
		return name and frappe.db.get_value(doctype, name, name_field)

	row["contact_name"] = readable("contact", "Contact", "full_name")
	row["whatsapp_name"] = readable("whatsapp_contact", "WhatsApp Contact", "display_name")
	return row

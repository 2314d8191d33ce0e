"""Leads and Deals by phone number. CRM stores numbers as people type them ("600 00 00 01", "+34 600-000-001",
"0034600000001"): every comparison is made in E.164, as the rest of the app does."""

import frappe

from xappiens_whatsapp.core.phones import to_e164
from xappiens_whatsapp.pipeline import crm_links, settings
from xappiens_whatsapp.pipeline.crm import DEAL, LEAD

PHONE_FIELDS = ("mobile_no", "phone")


def _tail(e164: str) -> str:
	# The last 9 digits survive every way a number is written; the exact match is made in Python.
	return "".join(ch for ch in e164 if ch.isdigit())[-9:]


def _phones_of(row, region: str) -> set[str]:
	return {p for p in (to_e164(row.get(f), region) for f in PHONE_FIELDS if row.get(f)) if p}


def _by_phone_fields(doctype: str, e164: str, region: str, extra: str = "") -> list:
	tail = f"%{_tail(e164)}"
	rows = frappe.db.sql(
		f"""select name, mobile_no, phone {extra} from `tab{doctype}`
		where regexp_replace(ifnull(mobile_no, ''), '[^0-9]', '') like %(tail)s
		or regexp_replace(ifnull(phone, ''), '[^0-9]', '') like %(tail)s
		order by creation desc""",
		{"tail": tail},
		as_dict=True,
	)
	return [row for row in rows if e164 in _phones_of(row, region)]


def records_for_phone(e164: str | None) -> list[tuple[str, str]]:
	"""(doctype, name) of the Deals, then the Leads, that have this number, newest first; Leads already
	converted to a Deal come last."""
	if not e164:
		return []
	region = settings.default_region()
	deals = [row.name for row in _by_phone_fields(DEAL, e164, region)]
	contacts = crm_links.find_contacts(e164, region)
	if contacts:
		deals += frappe.get_all(
			"CRM Contacts",
			filters={"parenttype": DEAL, "contact": ["in", contacts]},
			pluck="parent",
			order_by="creation desc",
			ignore_permissions=True,
		)
	leads = _by_phone_fields(LEAD, e164, region, extra=", converted")
	leads.sort(key=lambda row: bool(row.converted))  # stable: newest first within each group
	found = [(DEAL, name) for name in deals] + [(LEAD, row.name) for row in leads]
	return list(dict.fromkeys(found))


def record_for_phone(e164: str | None) -> tuple[str, str] | tuple[None, None]:
	found = records_for_phone(e164)
	return found[0] if found else (None, None)


def record_phones(doctype: str, name: str) -> list[str]:
	"""The record's numbers in E.164, its mobile first. A Deal also has its Lead's and its contacts' numbers,
	so a conversation found for a Lead stays on the Deal it became."""
	region = settings.default_region()
	row = frappe.db.get_value(
		doctype, name, ["mobile_no", "phone", *(["lead"] if doctype == DEAL else [])], as_dict=True
	)
	if not row:
		return []
	ordered = [to_e164(row.get(f), region) for f in PHONE_FIELDS if row.get(f)]
	if doctype == DEAL:
		if row.lead:
			lead = frappe.db.get_value(LEAD, row.lead, list(PHONE_FIELDS), as_dict=True) or {}
			ordered += [to_e164(lead.get(f), region) for f in PHONE_FIELDS if lead.get(f)]
		for contact in frappe.get_all(
			"CRM Contacts",
			filters={"parenttype": DEAL, "parent": name},
			pluck="contact",
			ignore_permissions=True,
		):
			if contact:
				ordered += sorted(crm_links.contact_phones(contact, region))
	return list(dict.fromkeys(p for p in ordered if p))


def conversations_for(doctype: str, name: str) -> list[dict]:
	"""The conversations with the record's numbers that the current user may read, most recent first."""
	if not frappe.has_permission("WhatsApp Contact", "read"):
		return []  # a CRM user who is no WhatsApp agent: the tab is simply empty
	phones = record_phones(doctype, name)
	if not phones:
		return []
	return frappe.get_list(
		"WhatsApp Contact",
		filters={"phone": ["in", phones], "is_group": 0},
		fields=["name", "session", "phone", "display_name", "last_message_at"],
		order_by="last_message_at desc",
	)

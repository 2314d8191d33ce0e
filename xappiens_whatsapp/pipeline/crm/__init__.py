"""Frappe CRM (frappe/crm) beside this app: its Leads and Deals find their conversations and calls by phone.

Everything here runs only when Frappe CRM is installed on the site; without it nothing is read or written."""

import frappe

LEAD = "CRM Lead"
DEAL = "CRM Deal"
RECORD_DOCTYPES = (LEAD, DEAL)


def installed() -> bool:
	"""Frappe CRM is installed on this site (asked once per request or job)."""
	cached = getattr(frappe.local, "xw_crm_installed", None)
	if cached is None:
		cached = frappe.local.xw_crm_installed = "crm" in frappe.get_installed_apps()
	return cached

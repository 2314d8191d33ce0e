"""Browser fixtures for sending documents and for Frappe CRM's Lead page: a printable document agent A may read,
and, where Frappe CRM is installed, a Lead with the seeded conversation's number (typed another way) that agent A
works on as a CRM Sales User."""

import frappe

TODO_MARK = "xwb printable"
OUTCOMES = "Venta\nVolver a llamar\nNo interesado"
WRAPUP_CALLER = "+34600000051"  # a finished call from a number no record has
LEAD_TAG = "xwb-crm"
CRM_ROLE = "Sales User"


def setup(agent_a: str, seeded_phone: str) -> dict:
	todo = frappe.get_doc(
		{"doctype": "ToDo", "description": f"{TODO_MARK}: presupuesto 1042", "allocated_to": agent_a}
	).insert(ignore_permissions=True)
	out = {"printable_todo": todo.name, "crm_lead": None, "finished_call": _finished_call(agent_a)}
	if "crm" in frappe.get_installed_apps():
		frappe.get_doc("User", agent_a).add_roles(CRM_ROLE)
		digits = seeded_phone.lstrip("+")
		lead = frappe.get_doc(
			{
				"doctype": "CRM Lead",
				"first_name": "Carmen",
				"last_name": LEAD_TAG,
				# as people type it: national number with spaces
				"mobile_no": f"{digits[2:5]} {digits[5:7]} {digits[7:9]} {digits[9:]}",
				"lead_owner": agent_a,
			}
		).insert(ignore_permissions=True)
		out["crm_lead"] = lead.name
	return out


def _finished_call(agent_a: str) -> str:
	frappe.db.set_single_value("Netelip Settings", "call_dispositions", OUTCOMES)
	call = frappe.get_doc(
		{
			"doctype": "Netelip Call",
			"direction": "Inbound",
			"status": "No Answer",
			"customer_number": WRAPUP_CALLER,
			"from_number": WRAPUP_CALLER,
			"agent": agent_a,
			"call_id": "xwb-wrapup-1",
			"started_at": frappe.utils.now_datetime(),
		}
	).insert(ignore_permissions=True)
	return call.name


def teardown(agent_a: str, session_prefix: str) -> None:
	crm = "crm" in frappe.get_installed_apps()
	for call in frappe.get_all("Netelip Call", filters={"customer_number": WRAPUP_CALLER}, pluck="name"):
		if crm:
			frappe.db.delete("CRM Call Log", {"name": f"netelip-{call}"})
		frappe.db.delete("Netelip Call", {"name": call})
	# the PDFs sent (files attached to the fixture sessions' messages), with their files on disk
	sent = frappe.get_all(
		"WhatsApp Message", filters={"session": ["like", session_prefix + "%"]}, pluck="name"
	)
	for file in frappe.get_all(
		"File",
		filters={"attached_to_doctype": "WhatsApp Message", "attached_to_name": ["in", sent or [""]]},
		pluck="name",
	):
		frappe.delete_doc("File", file, force=True, ignore_permissions=True)
	todos = frappe.get_all("ToDo", filters={"description": ["like", f"{TODO_MARK}%"]}, pluck="name")
	frappe.db.delete("Comment", {"reference_doctype": "ToDo", "reference_name": ["in", todos or [""]]})
	frappe.db.delete("ToDo", {"name": ["in", todos or [""]]})
	if crm:
		made = frappe.get_all(
			"CRM Lead", filters={"mobile_no": WRAPUP_CALLER}, pluck="name"
		)  # by Create Lead
		for lead in frappe.get_all("CRM Lead", filters={"last_name": LEAD_TAG}, pluck="name") + made:
			frappe.db.delete("Comment", {"reference_doctype": "CRM Lead", "reference_name": lead})
			frappe.delete_doc("CRM Lead", lead, force=True, ignore_permissions=True)
		if frappe.db.exists("User", agent_a):
			frappe.get_doc("User", agent_a).remove_roles(CRM_ROLE)

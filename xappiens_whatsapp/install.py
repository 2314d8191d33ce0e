"""Install and uninstall. Uninstalling leaves nothing behind: roles, scheduled jobs, stored secrets and
notifications about our documents go with the doctypes that Frappe removes itself."""

import frappe

ROLES = ("WhatsApp Agent", "WhatsApp Manager")
DOCTYPES = (
	"WhatsApp Settings",
	"WhatsApp Session",
	"WhatsApp Session User",
	"WhatsApp Contact",
	"WhatsApp Message",
	"WhatsApp Agent",
	"WhatsApp Quick Reply",
	"WhatsApp Note",
	"Inbound Webhook",
	"Webhook Rejection",
	"Status Count",
	"Webhook Lag",
	"Netelip Settings",
	"Netelip Agent",
	"Netelip Allowed Number",
	"Netelip Alert Recipient",
	"Netelip Call",
)


def after_install():
	ensure_roles()
	frappe.db.commit()


def after_migrate():
	ensure_roles()


def ensure_roles():
	for role in ROLES:
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert(
				ignore_permissions=True
			)


def before_uninstall():
	# Secrets first, while the doctypes still exist to name them.
	frappe.db.delete("__Auth", {"doctype": ["in", DOCTYPES]})
	# Through the File controller, so the files leave the disk too (first: it comments on their documents).
	for name in frappe.get_all("File", filters={"attached_to_doctype": ["in", DOCTYPES]}, pluck="name"):
		frappe.delete_doc("File", name, ignore_permissions=True, force=True, delete_permanently=True)
	frappe.db.delete("Notification Log", {"document_type": ["in", DOCTYPES]})
	frappe.db.delete("ToDo", {"reference_type": ["in", DOCTYPES]})
	for doctype, field in (
		("Comment", "reference_doctype"),
		("Version", "ref_doctype"),
		("Communication", "reference_doctype"),
		("Error Log", "reference_doctype"),
		("DocShare", "share_doctype"),
		("User Permission", "allow"),
		("List Filter", "reference_doctype"),
	):
		frappe.db.delete(doctype, {field: ["in", DOCTYPES]})
	frappe.db.delete("__UserSettings", {"doctype": ["in", DOCTYPES]})
	frappe.cache.delete_keys("xw:")  # this site's counters and memos in Redis


def scheduled_methods() -> list[str]:
	from xappiens_whatsapp import hooks

	events = hooks.scheduler_events
	methods = [m for key, value in events.items() if key != "cron" for m in value]
	return methods + [m for value in events.get("cron", {}).values() for m in value]


def after_uninstall():
	jobs = frappe.get_all("Scheduled Job Type", filters={"method": ["in", scheduled_methods()]}, pluck="name")
	if jobs:
		frappe.db.delete("Scheduled Job Log", {"scheduled_job_type": ["in", jobs]})
		frappe.db.delete("Scheduled Job Type", {"name": ["in", jobs]})
	for role in ROLES:
		frappe.db.delete("Has Role", {"role": role})
		frappe.db.delete("Custom DocPerm", {"role": role})
		frappe.db.delete("DocPerm", {"role": role})
		frappe.db.delete("Role", {"name": role})
	frappe.db.delete("Singles", {"doctype": ["in", DOCTYPES]})
	frappe.db.delete("DefaultValue", {"parent": ["in", DOCTYPES]})
	frappe.db.commit()
	frappe.clear_cache()

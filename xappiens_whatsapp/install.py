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
	"Inbound Webhook",
	"Webhook Rejection",
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
	for doctype in ("Notification Log",):
		frappe.db.delete(doctype, {"document_type": ["in", DOCTYPES]})
	frappe.db.delete("ToDo", {"reference_type": ["in", DOCTYPES]})
	for doctype in ("Comment", "Version", "Communication", "File"):
		field = "attached_to_doctype" if doctype == "File" else "reference_doctype"
		if doctype == "Version":
			field = "ref_doctype"
		frappe.db.delete(doctype, {field: ["in", DOCTYPES]})
	frappe.db.delete("Error Log", {"reference_doctype": ["in", DOCTYPES]})


def after_uninstall():
	frappe.db.delete("Scheduled Job Type", {"method": ["like", "xappiens_whatsapp.%"]})
	for role in ROLES:
		frappe.db.delete("Has Role", {"role": role})
		frappe.db.delete("Custom DocPerm", {"role": role})
		frappe.db.delete("DocPerm", {"role": role})
		frappe.db.delete("Role", {"name": role})
	frappe.db.delete("Singles", {"doctype": ["in", DOCTYPES]})
	frappe.db.delete("DefaultValue", {"parent": ["in", DOCTYPES]})
	frappe.db.commit()
	frappe.clear_cache()

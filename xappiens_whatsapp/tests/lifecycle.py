"""Install / uninstall check, run by CI on a throwaway site with `bench execute`:

	bench --site S execute xappiens_whatsapp.tests.lifecycle.seed
	bench --site S uninstall-app xappiens_whatsapp --yes --no-backup
	bench --site S execute xappiens_whatsapp.tests.lifecycle.assert_nothing_left

Not a test_*.py module, so `run-tests` does not pick it up (it would uninstall the app under the suite).
"""

import frappe

from xappiens_whatsapp.install import DOCTYPES, ROLES


def seed() -> None:
	"""Leave one of everything the app can create, secrets included."""
	settings = frappe.get_single("WhatsApp Settings")
	settings.default_webhook_secret = "lifecycle-default-secret-0123"
	settings.api_key = "lifecycle-api-key"
	settings.save(ignore_permissions=True)
	netelip = frappe.get_single("Netelip Settings")
	netelip.api_token = "lifecycle-netelip-token"
	netelip.webhook_token = "lifecycle-webhook-token-0123"
	netelip.save(ignore_permissions=True)
	session = frappe.get_doc(
		{
			"doctype": "WhatsApp Session",
			"session_id": "lifecycle_session",
			"webhook_secret": "lifecycle-session-secret-0123",
			"allowed_users": [{"user": "Administrator"}],
		}
	).insert(ignore_permissions=True)
	contact = frappe.get_doc(
		{
			"doctype": "WhatsApp Contact",
			"session": session.name,
			"whatsapp_id": "34600000001@s.whatsapp.net",
			"phone": "+34600000001",
		}
	).insert(ignore_permissions=True)
	message = frappe.get_doc(
		{
			"doctype": "WhatsApp Message",
			"session": session.name,
			"contact": contact.name,
			"message_id": "LIFECYCLE0001",
			"body": "hola",
		}
	).insert(ignore_permissions=True)
	frappe.get_doc(
		{
			"doctype": "Netelip Call",
			"direction": "Inbound",
			"call_id": "1700000000.1",
			"customer_number": "+34600000001",
		}
	).insert(ignore_permissions=True)
	frappe.get_doc(
		{
			"doctype": "Notification Log",
			"subject": "lifecycle",
			"for_user": "Administrator",
			"type": "Alert",
			"document_type": "WhatsApp Message",
			"document_name": message.name,
		}
	).insert(ignore_permissions=True)
	frappe.get_doc(
		{
			"doctype": "ToDo",
			"description": "lifecycle call back",
			"reference_type": "WhatsApp Contact",
			"reference_name": contact.name,
		}
	).insert(ignore_permissions=True)
	frappe.get_doc("User", "Administrator").add_roles(*ROLES)
	frappe.db.commit()
	print("seeded")


def leftovers() -> dict[str, int]:
	like = "xappiens_whatsapp.%"
	checks = {
		"DocType": {"name": ["in", DOCTYPES]},
		"Module Def": {"app_name": "xappiens_whatsapp"},
		"Role": {"name": ["in", ROLES]},
		"Has Role": {"role": ["in", ROLES]},
		"Custom DocPerm": {"role": ["in", ROLES]},
		"Scheduled Job Type": {"method": ["like", like]},
		"Notification Log": {"document_type": ["in", DOCTYPES]},
		"ToDo": {"reference_type": ["in", DOCTYPES]},
		"Version": {"ref_doctype": ["in", DOCTYPES]},
		"Comment": {"reference_doctype": ["in", DOCTYPES]},
		"Workspace": {"module": "Xappiens WhatsApp"},
		"Number Card": {"module": "Xappiens WhatsApp"},
		"Dashboard Chart": {"module": "Xappiens WhatsApp"},
		"Custom Field": {"dt": ["in", DOCTYPES]},
		"Property Setter": {"doc_type": ["in", DOCTYPES]},
	}
	found = {doctype: frappe.db.count(doctype, filters) for doctype, filters in checks.items()}
	found["__Auth"] = frappe.db.sql("select count(*) from `__Auth` where doctype in %s", [DOCTYPES])[0][0]
	found["Singles"] = frappe.db.sql("select count(*) from `tabSingles` where doctype in %s", [DOCTYPES])[0][
		0
	]
	tables = frappe.db.sql(
		"select table_name from information_schema.tables where table_schema = database() and table_name in %s",
		[tuple("tab" + d for d in DOCTYPES)],
	)
	found["tables"] = len(tables)
	return {name: count for name, count in found.items() if count}


def assert_nothing_left() -> None:
	left = leftovers()
	if left:
		raise AssertionError(f"uninstall left these behind: {left}")
	print("nothing left behind")

"""Install / uninstall check, run by CI on a throwaway site:

	bench --site S execute xappiens_whatsapp.bench_tests.lifecycle.seed
	bench --site S uninstall-app xappiens_whatsapp --yes --no-backup
	cd sites && ../env/bin/python -m xappiens_whatsapp.bench_tests.lifecycle S

(`bench execute` refuses the functions of an app the site no longer has, hence the last line.)
Not a test_*.py module, so `run-tests` does not pick it up (it would uninstall the app under the suite).
"""

import os
import sys

import frappe

from xappiens_whatsapp.install import DOCTYPES, ROLES, scheduled_methods

FILE_MARKER = "xw_lifecycle_file"


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
	attachment = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": "lifecycle.txt",
			"content": b"lifecycle attachment",
			"attached_to_doctype": "WhatsApp Message",
			"attached_to_name": message.name,
			"is_private": 1,
		}
	).insert(ignore_permissions=True)
	# Remembered outside the app's tables (and not in the cache, which the install steps clear).
	frappe.db.set_global(FILE_MARKER, os.path.abspath(attachment.get_full_path()))
	frappe.share.add_docshare(
		"WhatsApp Contact", contact.name, "Guest", read=1, flags={"ignore_share_permission": 1}
	)
	frappe.get_doc(
		{
			"doctype": "User Permission",
			"user": "Guest",
			"allow": "WhatsApp Session",
			"for_value": session.name,
		}
	).insert(ignore_permissions=True)
	contact_doc = frappe.get_doc("WhatsApp Contact", contact.name)
	contact_doc.add_comment("Comment", "lifecycle note")
	frappe.get_doc(
		{"doctype": "Version", "ref_doctype": "WhatsApp Contact", "docname": contact.name, "data": "{}"}
	).insert(ignore_permissions=True)
	frappe.get_doc(
		{
			"doctype": "Custom DocPerm",
			"parent": "WhatsApp Contact",
			"parenttype": "DocType",
			"parentfield": "permissions",
			"role": ROLES[0],
			"read": 1,
		}
	).insert(ignore_permissions=True)
	frappe.get_doc(
		{"doctype": "List Filter", "reference_doctype": "WhatsApp Contact", "filter_name": "lifecycle"}
	).insert(ignore_permissions=True)
	frappe.log_error("lifecycle", reference_doctype="WhatsApp Contact", reference_name=contact.name)
	frappe.db.sql(
		"insert into `__UserSettings` (`user`, `doctype`, `data`) values ('Administrator', 'WhatsApp Contact', '{}')"
	)
	# Each run of a scheduled job leaves a Scheduled Job Log row.
	job = frappe.db.get_value("Scheduled Job Type", {"method": "xappiens_whatsapp.pipeline.inbox.sweep.run"})
	frappe.get_doc({"doctype": "Scheduled Job Log", "scheduled_job_type": job, "status": "Complete"}).insert(
		ignore_permissions=True
	)
	frappe.get_doc("User", "Administrator").add_roles(*ROLES)
	frappe.db.commit()
	print("seeded")


def scheduled_job_names() -> list[str]:
	"""Frappe names a Scheduled Job Type after the last two parts of its method."""
	return [".".join(method.split(".")[-2:]) for method in scheduled_methods()]


def leftovers() -> dict[str, int]:
	checks = {
		"DocType": {"name": ["in", DOCTYPES]},
		"Module Def": {"app_name": "xappiens_whatsapp"},
		"Role": {"name": ["in", ROLES]},
		"Has Role": {"role": ["in", ROLES]},
		"Custom DocPerm": {"role": ["in", ROLES]},
		"Scheduled Job Type": {"method": ["in", scheduled_methods()]},
		"Notification Log": {"document_type": ["in", DOCTYPES]},
		"ToDo": {"reference_type": ["in", DOCTYPES]},
		"Version": {"ref_doctype": ["in", DOCTYPES]},
		"Comment": {"reference_doctype": ["in", DOCTYPES]},
		"Workspace": {"module": "Xappiens WhatsApp"},
		"Number Card": {"module": "Xappiens WhatsApp"},
		"Dashboard Chart": {"module": "Xappiens WhatsApp"},
		"Custom Field": {"dt": ["in", DOCTYPES]},
		"Property Setter": {"doc_type": ["in", DOCTYPES]},
		"Error Log": {"reference_doctype": ["in", DOCTYPES]},
		"List Filter": {"reference_doctype": ["in", DOCTYPES]},
	}
	found = {doctype: frappe.db.count(doctype, filters) for doctype, filters in checks.items()}
	found["Scheduled Job Log"] = frappe.db.count(
		"Scheduled Job Log", {"scheduled_job_type": ["in", scheduled_job_names()]}
	)
	found["DocShare"] = frappe.db.count("DocShare", {"share_doctype": ["in", DOCTYPES]})
	found["User Permission"] = frappe.db.count("User Permission", {"allow": ["in", DOCTYPES]})
	found["File"] = frappe.db.count("File", {"attached_to_doctype": ["in", DOCTYPES]})
	found["__UserSettings"] = frappe.db.sql(
		"select count(*) from `__UserSettings` where doctype in %s", [DOCTYPES]
	)[0][0]
	path = frappe.db.get_global(FILE_MARKER)
	found["files on disk"] = int(bool(path) and os.path.exists(path))
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


SEEDED = (
	"DocType",
	"Module Def",
	"Role",
	"Has Role",
	"Custom DocPerm",
	"Comment",
	"Version",
	"Error Log",
	"List Filter",
	"__UserSettings",
	"Scheduled Job Type",
	"Scheduled Job Log",
	"Notification Log",
	"ToDo",
	"Workspace",
	"Number Card",
	"Dashboard Chart",
	"DocShare",
	"User Permission",
	"File",
	"files on disk",
	"__Auth",
	"Singles",
	"tables",
)


def assert_seeded() -> None:
	"""Before uninstalling: the check sees every kind of thing it will then require to be gone."""
	missing = sorted(set(SEEDED) - set(leftovers()))
	if missing:
		raise AssertionError(f"the leftover check cannot see: {missing}")
	print("the leftover check sees all", len(SEEDED), "kinds")


def assert_nothing_left() -> None:
	left = leftovers()
	frappe.db.set_global(FILE_MARKER, None)
	frappe.db.commit()
	if left:
		raise AssertionError(f"uninstall left these behind: {left}")
	print("nothing left behind")


if __name__ == "__main__":
	frappe.init(site=sys.argv[1], sites_path=".")
	frappe.connect()
	try:
		assert_seeded() if sys.argv[2:] == ["--seeded"] else assert_nothing_left()
	finally:
		frappe.destroy()

"""What refers to rows a clean-up removes: their attachments (files on disk too), assignments (ToDo), timeline
comments and notifications. Removed first, so that no agent keeps a ToDo or a bell for a conversation gone."""

import frappe

REFERRING = (
	("ToDo", "reference_type", "reference_name"),
	("Comment", "reference_doctype", "reference_name"),
	("Notification Log", "document_type", "document_name"),
)


def remove_references(doctype: str, names: list[str]) -> None:
	if not names:
		return
	for file in frappe.get_all(
		"File", filters={"attached_to_doctype": doctype, "attached_to_name": ["in", names]}, pluck="name"
	):
		frappe.delete_doc("File", file, force=True, ignore_permissions=True, delete_permanently=True)
	for referring, type_field, name_field in REFERRING:
		frappe.db.delete(referring, {type_field: doctype, name_field: ["in", names]})


# What belongs to a WhatsApp number, by the field that names it.
SESSION_ROWS = (
	("WhatsApp Message", "session"),
	("WhatsApp Contact", "session"),
	("WhatsApp Note", "session"),
	("Inbound Webhook", "session_id"),
	("WhatsApp Session User", "parent"),
)


def remove_sessions(sessions: list[str]) -> None:
	"""Remove these WhatsApp numbers with their conversations, messages, notes and inbox rows, and what refers
	to any of them. A rows' delete, not a document's: no hooks, no Deleted Documents."""
	if not sessions:
		return
	for doctype, field in SESSION_ROWS:
		remove_references(doctype, frappe.get_all(doctype, filters={field: ["in", sessions]}, pluck="name"))
	remove_references("WhatsApp Session", sessions)
	for doctype, field in SESSION_ROWS:
		frappe.db.delete(doctype, {field: ["in", sessions]})
	frappe.db.delete("__Auth", {"doctype": "WhatsApp Session", "name": ["in", sessions]})
	frappe.db.delete("WhatsApp Session", {"name": ["in", sessions]})

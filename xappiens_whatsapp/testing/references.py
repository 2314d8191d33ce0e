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

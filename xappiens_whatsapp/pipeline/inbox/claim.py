"""Insert-or-find by a unique key, safe when two workers insert the same thing at once."""

import frappe

from xappiens_whatsapp.pipeline.inbox.rows import get_field

DUPLICATE_ERRORS = (frappe.UniqueValidationError, frappe.DuplicateEntryError)


def insert_or_get(values: dict, unique_filters: dict) -> tuple[str, bool]:
	"""Return (name, created). The database's unique index decides who wins; the loser re-reads with a
	locking read, which sees the winner's committed row even inside an older snapshot.

	The first look is a plain read: a locking read of a row that does not exist locks the gap where it would
	go, and two transactions holding that gap and then inserting into it deadlock each other."""
	doctype = values["doctype"]
	existing = get_field(doctype, unique_filters, "name")
	if existing:
		return existing, False
	savepoint = "xw_claim"
	frappe.db.savepoint(savepoint)
	try:
		# Links here were found with locking reads (they may be another worker's fresh rows, which Frappe's
		# snapshot-read link check cannot see yet).
		doc = frappe.get_doc(values).insert(ignore_permissions=True, ignore_links=True)
	except DUPLICATE_ERRORS:
		frappe.db.rollback(save_point=savepoint)
		frappe.local.message_log = []
		return get_field(doctype, unique_filters, "name", for_update=True), False
	return doc.name, True

"""Frappe's generic read endpoints, held to the app's row-level rules.

In Frappe 15 three whitelisted reads skip the rules that `permissions.py` adds to every list query, so an agent
could read rows of sessions they are not on:

- `frappe.desk.search.search_link` / `search_widget` with `ignore_user_permissions=1` run the search with every
  permission ignored once the user may read the doctype at all. A standard query (hook `standard_queries`)
  replaces Frappe's own search for these doctypes and always applies them.
- `frappe.client.get_count` counts without any permission check (filters make it an oracle for any field).
- `frappe.desk.search.get_link_title` returns a record's title to anyone who names it.

The last two are overridden (hook `override_whitelisted_methods`); for any other doctype they call Frappe's own.
"""

import json

import frappe
from frappe.client import get_count as frappe_get_count
from frappe.desk.search import get_link_title as frappe_get_link_title
from frappe.desk.search import get_std_fields_list, relevance_sorter, sanitize_searchfield
from frappe.model.db_query import get_order_by
from frappe.utils import cint
from frappe.utils.data import make_filter_tuple

# Doctypes whose rows are scoped per session or agent, and the parent a child table is read through.
SCOPED = {
	"WhatsApp Session": None,
	"WhatsApp Contact": None,
	"WhatsApp Message": None,
	"Netelip Call": None,
	"WhatsApp Session User": "WhatsApp Session",
}
_SEARCHED_TYPES = {"Data", "Text", "Small Text", "Long Text", "Link", "Select", "Read Only", "Text Editor"}


@frappe.whitelist()
def search(
	doctype: str,
	txt: str | None = None,
	searchfield: str | None = None,
	start: int = 0,
	page_length: int = 10,
	filters: str | dict | list | None = None,
	as_dict: bool = False,
	reference_doctype: str | None = None,
):
	"""Frappe's link search (`search_widget` without a custom query), with the row-level rules always on."""
	if doctype not in SCOPED:
		raise frappe.PermissionError
	sanitize_searchfield(searchfield)
	searchfield = searchfield or "name"
	txt = (txt or "").strip()
	meta = frappe.get_meta(doctype)
	if isinstance(filters, str):
		filters = json.loads(filters)
	if isinstance(filters, dict):
		filters = [make_filter_tuple(doctype, key, value) for key, value in filters.items()]
	filters = list(filters or [])

	or_filters = []
	if txt:
		fields = ["name", *([meta.title_field] if meta.title_field else []), *meta.get_search_fields()]
		for fieldname in dict.fromkeys(f.strip() for f in fields):
			df = meta.get_field(fieldname)
			if fieldname == "name" or (df and df.fieldtype in _SEARCHED_TYPES):
				or_filters.append([doctype, fieldname, "like", f"%{txt}%"])

	formatted = [f"`tab{doctype}`.`{f.strip()}`" for f in get_std_fields_list(meta, searchfield)]
	if meta.show_title_field_in_link and meta.title_field:
		formatted.insert(1, f"`tab{doctype}`.{meta.title_field} as `label`")
	values = frappe.get_list(
		doctype,
		filters=filters,
		fields=formatted,
		or_filters=or_filters,
		limit_start=cint(start),
		limit_page_length=cint(page_length),
		order_by=f"`tab{doctype}`.idx desc, {get_order_by(doctype, meta)}",
		reference_doctype=reference_doctype,
		parent_doctype=SCOPED[doctype],
		as_list=not as_dict,
		strict=False,
	)
	return sorted(values, key=lambda row: relevance_sorter(row, txt, as_dict))


@frappe.whitelist()
def get_count(doctype: str, filters=None, debug=False, cache=False) -> int:
	if doctype not in SCOPED:
		return frappe_get_count(doctype, filters=filters, debug=debug, cache=cache)
	rows = frappe.get_list(
		doctype,
		filters=frappe.parse_json(filters) if isinstance(filters, str) else filters,
		fields=[f"count(`tab{doctype}`.`name`) as total"],
		parent_doctype=SCOPED[doctype],
		order_by=None,
	)
	return rows[0].total if rows else 0


@frappe.whitelist()
def get_link_title(doctype: str, docname: str):
	if doctype in SCOPED:
		try:
			allowed = frappe.has_permission(doctype, "read", docname)
		except frappe.DoesNotExistError:
			frappe.clear_last_message()
			return None  # what Frappe answers for a name that does not exist
		if not allowed:
			return docname
	return frappe_get_link_title(doctype, docname)

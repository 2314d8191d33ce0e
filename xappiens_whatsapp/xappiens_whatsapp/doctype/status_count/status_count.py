# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class StatusCount(Document):
	"""How many inbox rows (per provider, day received and status) or calls (per status) there are; kept by the
	pipeline (pipeline/counts.py) so the health charts never count the tables themselves."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		count: DF.Int
		day: DF.Date | None
		provider: DF.Literal["", "Inbox Hub", "Netelip"]
		record_type: DF.Literal["Inbound Webhook", "Netelip Call"]
		status: DF.Data | None

	# end: auto-generated types
	pass


def on_doctype_update():
	# The charts by status (Group By, summing count) and per day, each read from one of these alone (Frappe's
	# charts filter on docstatus too).
	frappe.db.add_index("Status Count", ["record_type", "provider", "status", "count", "docstatus"])
	frappe.db.add_index("Status Count", ["record_type", "day", "count", "docstatus"])

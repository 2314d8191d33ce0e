# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class WebhookLag(Document):
	"""One row per day: how many inbox rows were processed that day and their average lag from being received; kept
	by the pipeline (pipeline/counts.py). Named by the day, so the upsert's key is the primary key."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		average_lag_ms: DF.Float
		day: DF.Date | None
		events: DF.Int
		total_lag_ms: DF.Float

	# end: auto-generated types
	pass


def on_doctype_update():
	# The lag chart's days, read from the index alone.
	frappe.db.add_index("Webhook Lag", ["day", "average_lag_ms", "docstatus"])

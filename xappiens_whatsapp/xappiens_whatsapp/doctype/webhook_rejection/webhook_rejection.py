# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class WebhookRejection(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		count: DF.Int
		hour: DF.Datetime | None
		last_remote_addr: DF.Data | None
		last_seen_at: DF.Datetime | None
		provider: DF.Literal["Inbox Hub", "Netelip"]
		reason: DF.Data | None

	# end: auto-generated types
	@staticmethod
	def clear_old_logs(days=90):
		from frappe.query_builder import Interval
		from frappe.query_builder.functions import Now

		table = frappe.qb.DocType("Webhook Rejection")
		frappe.db.delete(table, filters=(table.hour < (Now() - Interval(days=days))))


def on_doctype_update():
	# Rejections are counted per provider, reason and hour with an upsert on this key.
	frappe.db.add_unique(
		"Webhook Rejection", ["provider", "reason", "hour"], constraint_name="unique_hour_reason"
	)

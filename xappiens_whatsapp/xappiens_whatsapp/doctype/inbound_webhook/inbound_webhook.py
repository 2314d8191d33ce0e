# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class InboundWebhook(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		answer_command: DF.Data | None
		answer_line: DF.Data | None
		answer_ring_seconds: DF.Int
		attempts: DF.Int
		dedup_key: DF.Data | None
		event: DF.Data | None
		headers: DF.Code | None
		lag_ms: DF.Float
		last_error: DF.Code | None
		needs_attention: DF.Check
		next_retry_at: DF.Datetime | None
		note: DF.SmallText | None
		payload: DF.Code | None
		processed_at: DF.Datetime | None
		processing_ms: DF.Float
		provider: DF.Literal["Inbox Hub", "Netelip"]
		raw_event: DF.Data | None
		received_at: DF.Datetime | None
		reference_doctype: DF.Link | None
		reference_key: DF.Data | None
		reference_name: DF.DynamicLink | None
		remote_addr: DF.Data | None
		session_id: DF.Data | None
		status: DF.Literal["Received", "Waiting", "Processed", "Ignored", "Failed"]

	# end: auto-generated types
	@frappe.whitelist()
	def reprocess(self):
		"""Run the event again now (managers, from the form)."""
		from xappiens_whatsapp.permissions import is_manager
		from xappiens_whatsapp.pipeline.inbox.drain import process

		if not is_manager():
			raise frappe.PermissionError
		if self.status == "Processed":
			frappe.throw(_("This event was processed already"))
		frappe.db.set_value(
			self.doctype, self.name, {"status": "Received", "needs_attention": 0}, update_modified=False
		)
		process(self.name)
		return frappe.db.get_value(self.doctype, self.name, "status")


def on_doctype_update():
	frappe.db.add_index("Inbound Webhook", ["status", "received_at"])
	frappe.db.add_index("Inbound Webhook", ["status", "next_retry_at"])
	frappe.db.add_index("Inbound Webhook", ["session_id", "reference_key"])
	# The health workspace: counts per provider and status (today's too), events per day, the processing lag. Each
	# holds every column its chart or card reads, docstatus included (Frappe's charts filter on it), so they are
	# read from the index alone.
	frappe.db.add_index("Inbound Webhook", ["provider", "status", "received_at", "docstatus"])
	frappe.db.add_index("Inbound Webhook", ["received_at", "docstatus"])
	frappe.db.add_index("Inbound Webhook", ["status", "processed_at", "lag_ms", "docstatus"])

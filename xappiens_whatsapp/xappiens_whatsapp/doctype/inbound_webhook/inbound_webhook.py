# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from xappiens_whatsapp.pipeline import counts


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
	# The pipeline writes its rows in SQL and counts them itself; these count rows made or changed as documents.
	def after_insert(self):
		counts.webhook_moved(self.provider, self.received_at, None, self.status)

	def on_update(self):
		before = self.get_doc_before_save()
		if before and before.status != self.status:
			counts.webhook_moved(self.provider, self.received_at, before.status, self.status)

	@frappe.whitelist()
	def reprocess(self):
		"""Run the event again now (managers, from the form)."""
		from xappiens_whatsapp.permissions import is_manager
		from xappiens_whatsapp.pipeline.inbox.drain import process

		if not is_manager():
			raise frappe.PermissionError
		status = frappe.db.get_value(self.doctype, self.name, "status", for_update=True)
		if status == "Processed":
			frappe.throw(_("This event was processed already"))
		frappe.db.set_value(
			self.doctype, self.name, {"status": "Received", "needs_attention": 0}, update_modified=False
		)
		counts.webhook_moved(self.provider, self.received_at, status, "Received")
		process(self.name)
		return frappe.db.get_value(self.doctype, self.name, "status")


def on_doctype_update():
	frappe.db.add_index("Inbound Webhook", ["status", "received_at"])
	frappe.db.add_index("Inbound Webhook", ["status", "next_retry_at"])
	frappe.db.add_index("Inbound Webhook", ["session_id", "reference_key"])
	# The health workspace's number cards: counts per provider and status, and today's. Each holds every column its
	# card reads, docstatus included (Frappe's cards filter on it), so they are read from the index alone. Its
	# charts read summary rows instead (Status Count, Webhook Lag).
	frappe.db.add_index("Inbound Webhook", ["provider", "status", "received_at", "docstatus"])
	frappe.db.add_index("Inbound Webhook", ["received_at", "docstatus"])

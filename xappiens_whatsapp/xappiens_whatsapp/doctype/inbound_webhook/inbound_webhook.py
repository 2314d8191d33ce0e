# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class InboundWebhook(Document):
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

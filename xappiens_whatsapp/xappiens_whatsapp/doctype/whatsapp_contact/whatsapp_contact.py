# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class WhatsAppContact(Document):
	def validate(self):
		self.display_name = (self.display_name or "").strip() or self.phone or self.whatsapp_id


def on_doctype_update():
	# One conversation per chat and session, enforced by the database (two workers may race to create it).
	frappe.db.add_unique(
		"WhatsApp Contact", ["session", "whatsapp_id"], constraint_name="unique_session_chat"
	)
	# One person behind a privacy @lid id is one conversation too.
	frappe.db.add_unique("WhatsApp Contact", ["session", "lid"], constraint_name="unique_session_lid")
	frappe.db.add_index("WhatsApp Contact", ["session", "last_message_at"])
	frappe.db.add_index("WhatsApp Contact", ["phone"])
	frappe.db.add_index("WhatsApp Contact", ["contact"])

# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class WhatsAppMessage(Document):
	pass


def on_doctype_update():
	# The canonical key of a message is (session, short WhatsApp id); outbound rows have no id until sent,
	# and NULLs do not collide in a unique index.
	frappe.db.add_unique(
		"WhatsApp Message", ["session", "message_id"], constraint_name="unique_session_message"
	)
	# A double click or a network retry from the desk sends the same reference twice: one message per sender.
	frappe.db.add_unique("WhatsApp Message", ["sent_by", "client_ref"], constraint_name="unique_sender_ref")
	frappe.db.add_index("WhatsApp Message", ["contact", "message_timestamp"])
	frappe.db.add_index("WhatsApp Message", ["status", "next_attempt_at"])

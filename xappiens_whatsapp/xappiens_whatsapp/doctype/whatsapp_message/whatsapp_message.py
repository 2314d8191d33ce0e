# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class WhatsAppMessage(Document):
	pass


def on_doctype_update():
	# A message is its conversation, its direction and its WhatsApp id, as WhatsApp's own serialised id is: anyone
	# can send a message carrying the id of another chat's message, and it must stay another message. Outbound rows
	# have no id until sent, and NULLs do not collide in a unique index.
	frappe.db.add_unique(
		"WhatsApp Message",
		["session", "contact", "from_me", "message_id"],
		constraint_name="unique_chat_message",
	)
	# A double click or a network retry from the desk sends the same reference twice: one message per sender.
	frappe.db.add_unique("WhatsApp Message", ["sent_by", "client_ref"], constraint_name="unique_sender_ref")
	frappe.db.add_index("WhatsApp Message", ["contact", "message_timestamp"])
	frappe.db.add_index("WhatsApp Message", ["status", "next_attempt_at"])

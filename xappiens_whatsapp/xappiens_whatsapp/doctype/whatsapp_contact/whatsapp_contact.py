# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document

# Kept current by the pipeline with atomic updates that leave `modified` alone (so they never make an open form
# stale): a save from a form opened earlier must not write its old copies of them back.
LIVE_FIELDS = (
	"unread_count",
	"last_message_at",
	"last_message_preview",
	"last_message_from_me",
	"last_read_at",
	"lid",
	"push_name",
	"profile_picture_url",
	# owner and state: changed through assignment and the state endpoints, never by a form's old copy
	"assigned_to",
	"conversation_state",
	"snoozed_until",
	"last_customer_message_at",
	"state_changed_at",
	"resolved_at",
)


class WhatsAppContact(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		assigned_to: DF.Link | None
		contact: DF.Link | None
		conversation_state: DF.Literal["Open", "Pending", "Snoozed", "Resolved"]
		display_name: DF.Data | None
		is_group: DF.Check
		last_customer_message_at: DF.Datetime | None
		last_message_at: DF.Datetime | None
		last_message_deleted: DF.Check
		last_message_from_me: DF.Check
		last_message_preview: DF.Data | None
		last_read_at: DF.Datetime | None
		lid: DF.Data | None
		phone: DF.Data | None
		profile_picture_url: DF.SmallText | None
		push_name: DF.Data | None
		resolved_at: DF.Datetime | None
		session: DF.Link
		snoozed_until: DF.Datetime | None
		state_changed_at: DF.Datetime | None
		unread_count: DF.Int
		whatsapp_id: DF.Data

	# end: auto-generated types
	def validate(self):
		self.display_name = (self.display_name or "").strip() or self.phone or self.whatsapp_id
		if not self.is_new():
			# A locking read: a message being applied right now waits for this save, not the other way round.
			current = frappe.db.get_value(self.doctype, self.name, LIVE_FIELDS, as_dict=True, for_update=True)
			if current:
				self.update(current)


def on_doctype_update():
	# One conversation per chat and session, enforced by the database (two workers may race to create it).
	frappe.db.add_unique(
		"WhatsApp Contact", ["session", "whatsapp_id"], constraint_name="unique_session_chat"
	)
	# One person behind a privacy @lid id is one conversation too.
	frappe.db.add_unique("WhatsApp Contact", ["session", "lid"], constraint_name="unique_session_lid")
	frappe.db.add_index("WhatsApp Contact", ["session", "last_message_at"])
	frappe.db.add_index("WhatsApp Contact", ["phone"])
	# The inbox and the desk list of every conversation, most recent first; search by the start of a name or id.
	frappe.db.add_index("WhatsApp Contact", ["last_message_at"])
	frappe.db.add_index("WhatsApp Contact", ["display_name"])
	frappe.db.add_index("WhatsApp Contact", ["whatsapp_id"])
	frappe.db.add_index("WhatsApp Contact", ["contact"])
	# The inbox's queues: Mine (owner, state), Unassigned and All (number, state), each sorted by the customer's
	# last message; and the scheduler's look for snoozes that ended.
	frappe.db.add_index("WhatsApp Contact", ["assigned_to", "conversation_state", "last_customer_message_at"])
	frappe.db.add_index("WhatsApp Contact", ["session", "conversation_state", "last_customer_message_at"])
	frappe.db.add_index("WhatsApp Contact", ["conversation_state", "snoozed_until"])

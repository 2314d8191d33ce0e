# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class WhatsAppMessage(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		attachment: DF.Attach | None
		body: DF.LongText | None
		chat_jid: DF.Data | None
		client_ref: DF.Data | None
		contact: DF.Link | None
		deleted: DF.Check
		deleted_at: DF.Datetime | None
		delivered_at: DF.Datetime | None
		edited_at: DF.Datetime | None
		failed_at: DF.Datetime | None
		failure_reason: DF.SmallText | None
		from_me: DF.Check
		gateway_row_id: DF.Data | None
		is_forwarded: DF.Check
		last_attempt_at: DF.Datetime | None
		latitude: DF.Float
		longitude: DF.Float
		media_attempts: DF.Int
		media_error: DF.SmallText | None
		media_filename: DF.Data | None
		media_mimetype: DF.Data | None
		media_next_attempt_at: DF.Datetime | None
		media_size: DF.Int
		media_status: DF.Literal["", "Queued", "Stored", "Retrying", "Failed", "Expired"]
		media_url: DF.SmallText | None
		message_id: DF.Data | None
		message_timestamp: DF.Datetime | None
		message_type: DF.Literal[
			"text",
			"image",
			"video",
			"audio",
			"document",
			"sticker",
			"location",
			"contact",
			"poll",
			"reaction",
			"other",
		]
		next_attempt_at: DF.Datetime | None
		original_body: DF.LongText | None
		outcome_uncertain: DF.Check
		played_at: DF.Datetime | None
		quoted_message_id: DF.Data | None
		raw_ack: DF.Data | None
		reactions: DF.JSON | None
		read_at: DF.Datetime | None
		send_attempts: DF.Int
		sender_jid: DF.Data | None
		sent_at: DF.Datetime | None
		sent_by: DF.Link | None
		serialized_id: DF.Data | None
		session: DF.Link
		source: DF.Literal["Webhook", "Desk", "Sync"]
		status: DF.Literal["Pending", "Sent", "Delivered", "Read", "Played", "Failed"]
		voice_note: DF.Check
	# end: auto-generated types

	def before_insert(self):
		# Threads are ordered and paged by time: a message whose event carried none is placed at its arrival.
		if not self.message_timestamp:
			self.message_timestamp = frappe.utils.now_datetime()

	def run_method(self, method, *args, **kwargs):
		without_foreign_hooks()
		return super().run_method(method, *args, **kwargs)


# Frappe CRM hooks `validate` and `on_update` of a "WhatsApp Message" written for another app with this doctype's
# name: they fail on our rows and publish every message to the whole site. Ours are left out of them; the CRM's
# WhatsApp tab is served by api/crm_whatsapp.py and told of new messages per user (pipeline/crm/realtime.py).
FOREIGN_HOOK_PREFIXES = ("crm.",)


def without_foreign_hooks() -> None:
	hooks = frappe.get_doc_hooks()  # built once per request or job, in frappe.local
	ours = hooks.get("WhatsApp Message")
	if not ours or getattr(frappe.local, "xw_message_hooks_filtered", None) is ours:
		return
	ours = {
		event: [h for h in handlers if not str(h).startswith(FOREIGN_HOOK_PREFIXES)]
		for event, handlers in ours.items()
	}
	hooks["WhatsApp Message"] = frappe.local.xw_message_hooks_filtered = ours


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
	# A thread in its order (time, then arrival; the name ends every index entry): its pages are index ranges.
	frappe.db.add_index("WhatsApp Message", ["contact", "message_timestamp", "creation"])
	# The desk list of messages, newest first.
	frappe.db.add_index("WhatsApp Message", ["message_timestamp"])
	frappe.db.add_index("WhatsApp Message", ["status", "next_attempt_at"])
	frappe.db.add_index("WhatsApp Message", ["media_status", "media_next_attempt_at"])

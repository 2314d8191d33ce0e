# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document

from xappiens_whatsapp.pipeline import counts
from xappiens_whatsapp.pipeline.netelip.missed import is_missed


class NetelipCall(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		agent: DF.Link | None
		agent_line: DF.Data | None
		alert_withdrawn: DF.Check
		alerted: DF.Check
		answered_at: DF.Datetime | None
		call_id: DF.Data | None
		callback_todo: DF.Link | None
		contact: DF.Link | None
		customer_dialled_at: DF.Datetime | None
		customer_number: DF.Data | None
		dial_claim: DF.Data | None
		direction: DF.Literal["Inbound", "Outbound"]
		disposition: DF.Data | None
		duration: DF.Int
		ended_at: DF.Datetime | None
		final_record: DF.Check
		followup_message: DF.Link | None
		from_number: DF.Data | None
		hangup_cause: DF.Data | None
		launch_error: DF.SmallText | None
		launch_unconfirmed: DF.Check
		launched_at: DF.Datetime | None
		missed: DF.Check
		merge_weights: DF.SmallText | None
		needs_review: DF.Check
		other_call_ids: DF.SmallText | None
		raw_dst: DF.Data | None
		raw_src: DF.Data | None
		raw_status: DF.Data | None
		recording_url: DF.SmallText | None
		ring_deadline: DF.Datetime | None
		started_at: DF.Datetime | None
		status: DF.Literal["Initiated", "Ringing", "Answered", "Completed", "Failed", "Busy", "No Answer"]
		status_inferred: DF.Check
		status_source: DF.Data | None
		talk_time: DF.Int
		to_number: DF.Data | None
		unknown_status: DF.Data | None
		userdata: DF.Data | None
		whatsapp_contact: DF.Link | None
		wrapped_up_at: DF.Datetime | None
		wrapped_up_by: DF.Link | None
		wrapup_notes: DF.SmallText | None

	# end: auto-generated types
	# The pipeline changes a call's state in SQL (pipeline/netelip/calls.write) and keeps these itself; these keep
	# them for calls made or changed as documents.
	def validate(self):
		self.missed = is_missed(self.direction, self.status)

	def after_insert(self):
		counts.call_moved(None, self.status)

	def on_update(self):
		before = self.get_doc_before_save()
		if before and before.status != self.status:
			counts.call_moved(before.status, self.status)

	def on_trash(self):
		counts.call_moved(self.status, None)


def on_doctype_update():
	frappe.db.add_index("Netelip Call", ["status", "started_at"])
	frappe.db.add_index("Netelip Call", ["agent", "started_at"])
	# The call list, newest first, and a person's calls by each of the three ways a call is linked to them.
	frappe.db.add_index("Netelip Call", ["started_at"])
	frappe.db.add_index("Netelip Call", ["customer_number", "started_at"])
	frappe.db.add_index("Netelip Call", ["whatsapp_contact", "started_at"])
	frappe.db.add_index("Netelip Call", ["contact", "started_at"])
	# Missed calls, newest first (the list), counted up to 1,001 (its count) or today's (the workspace shortcut):
	# one range of this index each, the agent's permission condition checked on the index entry.
	frappe.db.add_index("Netelip Call", ["missed", "started_at", "agent"])

# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import re

import frappe
from frappe import _
from frappe.model.document import Document

from xappiens_whatsapp.xappiens_whatsapp.doctype.whatsapp_settings.whatsapp_settings import (
	check_secret_length,
)

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{3,100}$")


class WhatsAppSession(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from xappiens_whatsapp.xappiens_whatsapp.doctype.whatsapp_session_user.whatsapp_session_user import (
			WhatsAppSessionUser,
		)

		allowed_users: DF.Table[WhatsAppSessionUser]
		assignment_mode: DF.Literal["Automatic", "Manual"]
		gateway_id: DF.Int
		is_default: DF.Check
		last_assigned_to: DF.Link | None
		last_event_at: DF.Datetime | None
		last_test_result: DF.SmallText | None
		phone_number: DF.Data | None
		previous_secret_valid_until: DF.Datetime | None
		previous_webhook_secret: DF.Password | None
		qr_code: DF.LongText | None
		qr_expires_at: DF.Datetime | None
		session_id: DF.Data
		session_name: DF.Data | None
		status: DF.Literal["Disconnected", "QR Code Required", "Connecting", "Connected", "Error"]
		status_reason: DF.Data | None
		webhook_secret: DF.Password | None
		webhook_url: DF.Data | None

	# end: auto-generated types
	def validate(self):
		if not SESSION_ID.match(self.session_id or ""):
			frappe.throw(_("Session ID must be 3 to 100 letters, digits, hyphens or underscores"))
		self.session_name = self.session_name or self.session_id
		for field in ("webhook_secret", "previous_webhook_secret"):
			check_secret_length(self, field)
		seen = set()
		for row in self.allowed_users:
			if row.user in seen:
				frappe.throw(_("{0} is listed twice").format(row.user))
			seen.add(row.user)

	def on_update(self):
		from xappiens_whatsapp.pipeline.realtime import forget_session_users

		forget_session_users(self.name)
		# and once committed: a worker reading in between would cache the old list again
		frappe.db.after_commit.add(lambda: forget_session_users(self.name))
		if self.is_default:
			# Only one default session: the one used when an agent writes to a new number.
			frappe.db.sql(
				"update `tabWhatsApp Session` set is_default = 0 where name != %s and is_default = 1",
				self.name,
			)

	def on_trash(self):
		from xappiens_whatsapp.pipeline.realtime import forget_session_users

		forget_session_users(self.name)

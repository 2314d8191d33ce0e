# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from xappiens_whatsapp.core.signatures import MIN_SECRET_LENGTH


class WhatsAppSettings(Document):
	def validate(self):
		self.base_url = normalise_base_url(self.base_url)
		for field in ("default_webhook_secret", "previous_webhook_secret"):
			check_secret_length(self, field)
		if self.public_site_url:
			self.public_site_url = self.public_site_url.strip().rstrip("/")


def normalise_base_url(url: str | None) -> str | None:
	"""Paths carry /api themselves, so the base is the host root."""
	if not url:
		return url
	url = url.strip().rstrip("/")
	return url[: -len("/api")] if url.endswith("/api") else url


def check_secret_length(doc: Document, field: str) -> None:
	value = doc.get(field)
	# An unchanged Password field reads back as asterisks; only a newly typed value is checked.
	if value and not set(value) <= {"*"} and len(value) < MIN_SECRET_LENGTH:
		frappe.throw(
			_("{0} must be at least {1} characters long").format(doc.meta.get_label(field), MIN_SECRET_LENGTH)
		)

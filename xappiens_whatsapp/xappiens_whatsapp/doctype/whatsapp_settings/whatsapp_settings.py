# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from xappiens_whatsapp.clients.inbox_hub import MAX_MEDIA_BYTES
from xappiens_whatsapp.core.origin import parse_networks
from xappiens_whatsapp.core.signatures import MIN_SECRET_LENGTH
from xappiens_whatsapp.core.urls import endpoint_problem

# The addresses our API key goes to, or the gateway's webhooks (signed, with customers' messages) come to.
ENDPOINT_FIELDS = ("base_url", "public_site_url")


class WhatsAppSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		ack_scale: DF.Literal["whatsapp-web.js (-1 to 4)", "Baileys (0 to 5)"]
		api_key: DF.Password | None
		base_url: DF.Data | None
		default_region: DF.Data | None
		default_webhook_secret: DF.Password | None
		max_attempts: DF.Int
		max_body_kb: DF.Int
		max_file_mb: DF.Int
		max_media_mb: DF.Int
		media_mimetypes: DF.SmallText | None
		media_retention_days: DF.Int
		media_timeout: DF.Int
		notify_managers: DF.Check
		previous_secret_valid_until: DF.Datetime | None
		previous_webhook_secret: DF.Password | None
		public_site_url: DF.Data | None
		request_timeout: DF.Int
		retention_days: DF.Int
		send_attempts: DF.Int
		send_rate_per_minute: DF.Int
		stuck_after_seconds: DF.Int
		timestamp_tolerance: DF.Int
		trusted_proxies: DF.SmallText | None
		waiting_ttl_hours: DF.Int
		webhook_rate_limit: DF.Int

	# end: auto-generated types
	def validate(self):
		self.base_url = normalise_base_url(self.base_url)
		for field in ("default_webhook_secret", "previous_webhook_secret"):
			check_secret_length(self, field)
		if self.public_site_url:
			self.public_site_url = self.public_site_url.strip().rstrip("/")
		check_endpoints(self, ENDPOINT_FIELDS)
		if self.max_file_mb and self.max_file_mb > MAX_MEDIA_BYTES // 2**20:
			frappe.throw(_("WhatsApp files can be at most {0} MB").format(MAX_MEDIA_BYTES // 2**20))
		if self.trusted_proxies:
			try:
				parse_networks(self.trusted_proxies)
			except ValueError as exc:
				frappe.throw(_("Trusted proxies: {0}").format(exc))


def normalise_base_url(url: str | None) -> str | None:
	"""Paths carry /api themselves, so the base is the host root."""
	if not url:
		return url
	url = url.strip().rstrip("/")
	return url[: -len("/api")] if url.endswith("/api") else url


def check_endpoints(doc: Document, fields: tuple[str, ...]) -> None:
	"""Addresses that receive a credential must be https (plain http only to this machine), and only a System
	Manager may change them: the fields' permission level keeps them from anyone else's form and API save;
	this holds for any other path that saves the document."""
	for field in fields:
		value = doc.get(field)
		problem = endpoint_problem(value) if value else None
		if problem:
			frappe.throw(
				_("{0}: {1}").format(doc.meta.get_label(field), _(problem)), title=_("Address refused")
			)
		if _changed(doc, field) and not may_set_endpoints():
			frappe.throw(
				_("Only a System Manager can change {0}").format(doc.meta.get_label(field)),
				frappe.PermissionError,
			)


def _changed(doc: Document, field: str) -> bool:
	before = doc.get_doc_before_save()
	return ((before.get(field) if before else None) or None) != (doc.get(field) or None)


def may_set_endpoints() -> bool:
	return frappe.session.user == "Administrator" or "System Manager" in frappe.get_roles()


def check_secret_length(doc: Document, field: str) -> None:
	value = doc.get(field)
	# An unchanged Password field reads back as asterisks; only a newly typed value is checked.
	if value and not set(value) <= {"*"} and len(value) < MIN_SECRET_LENGTH:
		frappe.throw(
			_("{0} must be at least {1} characters long").format(doc.meta.get_label(field), MIN_SECRET_LENGTH)
		)

"""The configured Inbox Hub client. The API key is read per use and never leaves the client's headers."""

import frappe
from frappe import _
from frappe.utils.password import get_decrypted_password

from xappiens_whatsapp.clients.inbox_hub import InboxHubClient
from xappiens_whatsapp.pipeline import settings


def inbox_hub(**options) -> InboxHubClient:
	conf = settings.whatsapp()
	api_key = get_decrypted_password(
		"WhatsApp Settings", "WhatsApp Settings", "api_key", raise_exception=False
	)
	if not conf.base_url or not api_key:
		frappe.throw(_("Set the gateway URL and API key in WhatsApp Settings first"))
	return InboxHubClient(
		conf.base_url,
		api_key,
		timeout=settings.int_setting(conf, "request_timeout", 30, minimum=1),
		**options,
	)

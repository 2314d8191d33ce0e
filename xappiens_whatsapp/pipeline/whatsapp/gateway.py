"""The configured Inbox Hub client. The API key is read per use and never leaves the client's headers."""

import frappe
from frappe import _
from frappe.utils.password import get_decrypted_password

from xappiens_whatsapp.clients.inbox_hub import InboxHubClient
from xappiens_whatsapp.core.urls import endpoint_problem
from xappiens_whatsapp.pipeline import settings


def inbox_hub(**options) -> InboxHubClient:
	conf = settings.whatsapp()
	api_key = get_decrypted_password(
		"WhatsApp Settings", "WhatsApp Settings", "api_key", raise_exception=False
	)
	if not conf.base_url or not api_key:
		frappe.throw(_("Set the gateway URL and API key in WhatsApp Settings first"))
	problem = endpoint_problem(conf.base_url)  # also for an address stored before it was checked
	if problem:
		frappe.throw(_("The gateway URL in WhatsApp Settings is refused: {0}").format(_(problem)))
	return InboxHubClient(
		conf.base_url,
		api_key,
		timeout=settings.int_setting(conf, "request_timeout", 30, minimum=1),
		**options,
	)

"""The site-wide default webhook secret (WhatsApp Settings), for sessions without one of their own."""

import frappe
from frappe import _

from xappiens_whatsapp.permissions import is_manager
from xappiens_whatsapp.pipeline.whatsapp import webhook_signers as signing


@frappe.whitelist(methods=["POST"])
def end_previous_secret() -> dict:
	"""End the default secret's rotation grace period now: webhooks signed with the previous default secret are
	refused from the next one on."""
	if not is_manager():
		raise frappe.PermissionError(_("Only WhatsApp managers can manage webhook secrets"))
	return {"ended": signing.end_previous_secret("WhatsApp Settings", "WhatsApp Settings")}

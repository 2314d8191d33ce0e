"""Bell notifications (Notification Log) for the people who must act."""

import frappe
from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification

from xappiens_whatsapp.pipeline import realtime, settings


def notify(users: list[str], subject: str, doctype: str, name: str, message: str | None = None) -> None:
	users = sorted({u for u in users if u and u != "Guest"})
	if not users:
		return
	enqueue_create_notification(
		users,
		{
			"type": "Alert",
			"subject": subject,
			"email_content": message or subject,
			"document_type": doctype,
			"document_name": name,
			"from_user": "Administrator",
		},
	)


def event_needs_attention(name: str, provider: str, event: str | None, error: str) -> None:
	if not settings.whatsapp().notify_managers:
		return
	subject = frappe._("{0} event {1} keeps failing and needs attention").format(provider, event or name)
	notify(realtime.managers(), subject, "Inbound Webhook", name, error[:500])

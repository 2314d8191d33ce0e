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


def notify_in_their_language(
	users: list[str], template: str, args: tuple, doctype: str, name: str, message: str | None = None
) -> None:
	"""`notify`, with the subject translated for each recipient: jobs run in the system's language, and the
	bell should speak the reader's."""
	default = frappe.db.get_default("lang") or "en"
	by_lang: dict[str, list[str]] = {}
	for user in frappe.get_all(
		"User", filters={"name": ["in", users or [""]]}, fields=["name", "language"], ignore_permissions=True
	):
		by_lang.setdefault(user.language or default, []).append(user.name)
	for lang, group in by_lang.items():
		notify(group, frappe._(template, lang=lang).format(*args), doctype, name, message)


def event_needs_attention(name: str, provider: str, event: str | None, error: str) -> None:
	if not settings.whatsapp().notify_managers:
		return
	notify_in_their_language(
		realtime.managers(),
		"{0} event {1} keeps failing and needs attention",
		(provider, event or name),
		"Inbound Webhook",
		name,
		error[:500],
	)

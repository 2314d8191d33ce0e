"""Bell notifications (Notification Log) for the people who must act."""

from collections.abc import Callable

import frappe
from frappe import _

from xappiens_whatsapp.pipeline import realtime, settings


def notify(users: list[str], subject: str, doctype: str, name: str, message: str | None = None) -> None:
	users = sorted({u for u in users if u and u != "Guest"})
	if not users:
		return
	# Frappe's enqueue_create_notification, but queued only once the alert's transaction commits: an alert
	# whose job then rolled back (and is retried) must not ring the bell twice.
	frappe.enqueue(
		"frappe.desk.doctype.notification_log.notification_log.make_notification_logs",
		doc=frappe._dict(
			type="Alert",
			subject=subject,
			email_content=message or subject,
			document_type=doctype,
			document_name=name,
			from_user="Administrator",
		),
		users=users,
		enqueue_after_commit=True,
		now=frappe.flags.in_test,
	)


def notify_in_their_language(
	users: list[str], subject_for: Callable[[str], str], doctype: str, name: str, message: str | None = None
) -> None:
	"""`notify`, with the subject worded for each recipient (`subject_for(lang)`): jobs run in the system's
	language, and the bell should speak the reader's."""
	for lang, group in by_language(users).items():
		notify(group, subject_for(lang), doctype, name, message)


def by_language(users: list[str]) -> dict[str, list[str]]:
	default = frappe.db.get_default("lang") or "en"
	groups: dict[str, list[str]] = {}
	for user in frappe.get_all(
		"User", filters={"name": ["in", users or [""]]}, fields=["name", "language"], ignore_permissions=True
	):
		groups.setdefault(user.language or default, []).append(user.name)
	return groups


def event_needs_attention(name: str, provider: str, event: str | None, error: str) -> None:
	if not settings.whatsapp().notify_managers:
		return
	notify_in_their_language(
		realtime.managers(),
		lambda lang: _("{0} event {1} keeps failing and needs attention", lang=lang).format(
			provider, event or name
		),
		"Inbound Webhook",
		name,
		error[:500],
	)

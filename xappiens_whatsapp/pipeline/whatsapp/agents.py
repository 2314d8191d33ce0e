"""Agents as the inbox sees them: whether they take new conversations (available), whether they are in the desk
right now (online), and which notifications they muted. One WhatsApp Agent row per user, made on first change;
without one an agent is available and hears everything."""

import frappe

DOCTYPE = "WhatsApp Agent"
PREFERENCES = ("available", "mute_toasts", "mute_tab_title", "mute_bell")
DEFAULTS = {"available": 1, "mute_toasts": 0, "mute_tab_title": 0, "mute_bell": 0}
# The desk says it is there every 45 s; a user not heard of for longer is away from the desk.
ONLINE_SECONDS = 100


def preferences(user: str) -> dict:
	row = frappe.db.get_value(DOCTYPE, user, list(PREFERENCES), as_dict=True)
	return {key: int((row or DEFAULTS).get(key) or 0) for key in PREFERENCES}


def available_among(users: list[str]) -> list[str]:
	"""The users of `users` who take new conversations: enabled, and not switched to unavailable."""
	if not users:
		return []
	enabled = set(
		frappe.get_all(
			"User", filters={"name": ["in", users], "enabled": 1}, pluck="name", ignore_permissions=True
		)
	)
	away = set(
		frappe.get_all(
			DOCTYPE, filters={"name": ["in", users], "available": 0}, pluck="name", ignore_permissions=True
		)
	)
	return [user for user in users if user in enabled and user not in away]


def is_available(user: str | None) -> bool:
	return bool(user) and bool(available_among([user]))


def update_preferences(user: str, values: dict) -> dict:
	changes = {
		key: 1 if frappe.utils.sbool(value) else 0 for key, value in values.items() if key in PREFERENCES
	}
	if frappe.db.exists(DOCTYPE, user):
		doc = frappe.get_doc(DOCTYPE, user)
		doc.update(changes)
		doc.save(ignore_permissions=True)
	else:
		frappe.get_doc({"doctype": DOCTYPE, "user": user, **DEFAULTS, **changes}).insert(
			ignore_permissions=True
		)
	return preferences(user)


def _online_key(user: str) -> str:
	return f"xw:online:{user}"


def mark_online(user: str) -> None:
	frappe.cache.set_value(_online_key(user), 1, expires_in_sec=ONLINE_SECONDS)


def mark_offline(user: str) -> None:
	frappe.cache.delete_value(_online_key(user))


def is_online(user: str) -> bool:
	return bool(frappe.cache.get_value(_online_key(user), expires=True))

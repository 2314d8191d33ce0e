"""Settings and secrets as the pipeline needs them. Secrets are decrypted per use and never cached."""

import frappe
from frappe.utils import get_datetime, now_datetime
from frappe.utils.password import get_decrypted_password

from xappiens_whatsapp.core.message_state import AckScale
from xappiens_whatsapp.pipeline.rows import get_row


def whatsapp():
	return frappe.get_cached_doc("WhatsApp Settings")


def netelip():
	return frappe.get_cached_doc("Netelip Settings")


def int_setting(doc, field: str, default: int, minimum: int | None = None) -> int:
	"""An Int setting. A cleared Int field reads back as 0, so where 0 makes no sense pass `minimum`:
	anything below it means "not set" and gives the default."""
	value = doc.get(field)
	if value in (None, ""):
		return default
	value = int(value)
	return default if minimum is not None and value < minimum else value


def default_region() -> str:
	return (whatsapp().default_region or "ES").strip().upper()


def ack_scale() -> AckScale:
	try:
		return AckScale(whatsapp().ack_scale)
	except ValueError:
		return AckScale.WWEBJS


def _password(doctype: str, name: str, field: str) -> str | None:
	return get_decrypted_password(doctype, name, field, raise_exception=False) or None


def _rotation_pair(doctype: str, name: str, current: str, previous: str, valid_until) -> list[str]:
	secrets = [s for s in [_password(doctype, name, current)] if s]
	if valid_until and get_datetime(valid_until) > now_datetime():
		old = _password(doctype, name, previous)
		if old:
			secrets.append(old)
	return secrets


def webhook_secrets(session_id: str | None) -> list[str]:
	"""The secrets that may sign an event of this session: its own (current and, during a rotation, the
	previous one), else the site-wide default pair."""
	session = session_id and get_row("WhatsApp Session", session_id, ["name", "previous_secret_valid_until"])
	if session:
		own = _rotation_pair(
			"WhatsApp Session",
			session.name,
			"webhook_secret",
			"previous_webhook_secret",
			session.previous_secret_valid_until,
		)
		if own:
			return own
	return _rotation_pair(
		"WhatsApp Settings",
		"WhatsApp Settings",
		"default_webhook_secret",
		"previous_webhook_secret",
		whatsapp().previous_secret_valid_until,
	)


def site_url() -> str:
	return (whatsapp().public_site_url or frappe.utils.get_url()).rstrip("/")

"""Settings as the pipeline reads them (cached documents), and the few values derived from them."""

import frappe

from xappiens_whatsapp.core.message_state import AckScale


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


def site_url() -> str:
	return (whatsapp().public_site_url or frappe.utils.get_url()).rstrip("/")


def retention_cutoff(field: str, default: int):
	"""The time before which what a WhatsApp Settings retention field (in days) covers goes; None keeps all."""
	days = int_setting(whatsapp(), field, default)
	return frappe.utils.add_days(frappe.utils.now_datetime(), -days) if days > 0 else None

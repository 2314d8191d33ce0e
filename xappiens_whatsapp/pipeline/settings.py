"""Settings and secrets as the pipeline needs them.

Secrets are read from the database on every use, so a rotation or a revocation takes effect at once; only the
decryption of a stored ciphertext is remembered per process (a pure function of it: a new secret is a new
ciphertext, and Fernet never makes the same one twice).
"""

import functools

import frappe
from frappe.utils import get_datetime, now_datetime
from frappe.utils.password import decrypt

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


# Every webhook reads its signing secrets: one query for the session and both of its secrets, instead of one for
# the session and one (built with the query builder) per secret.
_SESSION_SECRETS = """select s.name, s.previous_secret_valid_until, a.fieldname, a.password
	from `tabWhatsApp Session` s
	left join `__Auth` a on a.doctype = 'WhatsApp Session' and a.name = s.name and a.encrypted = 1
		and a.fieldname in ('webhook_secret', 'previous_webhook_secret')
	where s.name = %s"""
_DEFAULT_SECRETS = """select fieldname, password from `__Auth`
	where doctype = 'WhatsApp Settings' and name = 'WhatsApp Settings' and encrypted = 1
		and fieldname in ('default_webhook_secret', 'previous_webhook_secret')"""


@functools.lru_cache(maxsize=256)
def _decrypted(ciphertext: str, encryption_key: str | None, label: str) -> str:
	# The site's key is part of the cache key (one process serves every site of the bench), and it is the key
	# used, so the result depends only on the arguments.
	return decrypt(ciphertext, encryption_key, key=label)


def _rotation_pair(doctype: str, name: str, stored: dict, current: str, valid_until) -> list[str]:
	"""The current secret, and the previous one while its rotation window is open (decrypted only then)."""
	fields = [current]
	if valid_until and get_datetime(valid_until) > now_datetime():
		fields.append("previous_webhook_secret")
	secrets = []
	for field in fields:
		if stored.get(field):
			secret = _decrypted(stored[field], frappe.local.conf.encryption_key, f"{doctype}.{name}.{field}")
			if secret:
				secrets.append(secret)
	return secrets


def webhook_secrets(session_id: str | None) -> list[str]:
	"""The secrets that may sign an event of this session: its own (current and, during a rotation, the
	previous one), else the site-wide default pair."""
	rows = frappe.db.sql(_SESSION_SECRETS, (session_id,), as_dict=True) if session_id else []
	if rows:
		stored = {row.fieldname: row.password for row in rows if row.fieldname}
		own = _rotation_pair(
			"WhatsApp Session", rows[0].name, stored, "webhook_secret", rows[0].previous_secret_valid_until
		)
		if own:
			return own
	stored = dict(frappe.db.sql(_DEFAULT_SECRETS))
	return _rotation_pair(
		"WhatsApp Settings",
		"WhatsApp Settings",
		stored,
		"default_webhook_secret",
		whatsapp().previous_secret_valid_until,
	)


def site_url() -> str:
	return (whatsapp().public_site_url or frappe.utils.get_url()).rstrip("/")

"""The secrets that may sign a session's webhooks, and the one that verified its last webhook.

A rotation or a revocation takes effect at once: secrets are read from the database, or, for a session whose
last webhook verified, the row is inserted only if the database still holds the ciphertext that secret came
from (a condition of the INSERT itself). What is remembered per process is only the decryption of a stored
ciphertext (a pure function of it: a new secret is a new ciphertext, and Fernet never makes the same one twice)
and which one verified a session last.
"""

import functools
from dataclasses import dataclass, field

import frappe
from frappe.utils import get_datetime, now_datetime
from frappe.utils.password import decrypt

from xappiens_whatsapp.pipeline import settings

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


@dataclass(frozen=True)
class Signer:
	"""A secret that may sign a session's webhooks. A current secret carries `guard`: an SQL condition that holds
	while its stored ciphertext is still the one in force for the session (a previous secret carries none).
	Neither the secret nor its ciphertext is part of its repr, which tracebacks print."""

	secret: str = field(repr=False)
	guard: str | None = None
	params: dict = field(default_factory=dict, repr=False)


# The session's own current secret is unchanged, or the default one is and the session still has none of its
# own. Only `__Auth` is read: Frappe deletes and renames a document's passwords with it, and a save writes them
# before the document's row, so the shared locks this read takes cannot cross a save's in the other order.
_OWN_GUARD = """exists (select 1 from `__Auth` where doctype = 'WhatsApp Session' and name = %(guard_session)s
	and fieldname = 'webhook_secret' and encrypted = 1 and password = %(guard_cipher)s)"""
_DEFAULT_GUARD = """exists (select 1 from `__Auth` where doctype = 'WhatsApp Settings'
		and name = 'WhatsApp Settings' and fieldname = 'default_webhook_secret' and encrypted = 1
		and password = %(guard_cipher)s)
	and not exists (select 1 from `__Auth` where doctype = 'WhatsApp Session' and name = %(guard_session)s
		and fieldname in ('webhook_secret', 'previous_webhook_secret') and encrypted = 1)"""


@functools.lru_cache(maxsize=256)
def _decrypted(ciphertext: str, encryption_key: str | None, label: str) -> str:
	# The site's key is part of the cache key (one process serves every site of the bench), and it is the key
	# used, so the result depends only on the arguments.
	return decrypt(ciphertext, encryption_key, key=label)


def _rotation_pair(
	doctype: str, name: str, stored: dict, current: str, valid_until, guard: str, session_id: str | None
) -> list[Signer]:
	"""The current secret, and the previous one while its rotation window is open (decrypted only then)."""
	fields = [current]
	if valid_until and get_datetime(valid_until) > now_datetime():
		fields.append("previous_webhook_secret")
	signers = []
	for field_name in fields:
		if stored.get(field_name):
			secret = _decrypted(
				stored[field_name], frappe.local.conf.encryption_key, f"{doctype}.{name}.{field_name}"
			)
			if not secret:
				continue
			if field_name == current:
				params = {"guard_session": session_id, "guard_cipher": stored[field_name]}
				signers.append(Signer(secret, guard, params))
			else:
				signers.append(Signer(secret))
	return signers


def webhook_signers(session_id: str | None) -> list[Signer]:
	"""The secrets that may sign an event of this session, the current one first: its own (current and,
	during a rotation, the previous one), else the site-wide default pair."""
	rows = frappe.db.sql(_SESSION_SECRETS, (session_id,), as_dict=True) if session_id else []
	if rows and rows[0].name != session_id:
		# The database matched another session's id, differing in letter case: nothing may sign for it (the
		# default secret least of all, or its holder could write into that session).
		return []
	if rows:
		stored = {row.fieldname: row.password for row in rows if row.fieldname}
		own = _rotation_pair(
			"WhatsApp Session",
			rows[0].name,
			stored,
			"webhook_secret",
			rows[0].previous_secret_valid_until,
			_OWN_GUARD,
			session_id,
		)
		if own:
			return own
	stored = dict(frappe.db.sql(_DEFAULT_SECRETS))
	return _rotation_pair(
		"WhatsApp Settings",
		"WhatsApp Settings",
		stored,
		"default_webhook_secret",
		settings.whatsapp().previous_secret_valid_until,
		_DEFAULT_GUARD,
		session_id,
	)


def webhook_secrets(session_id: str | None) -> list[str]:
	return [signer.secret for signer in webhook_signers(session_id)]


# The current signer that last verified each session's webhooks, per process. Only a hint: the insert it lets
# through is guarded in SQL by the ciphertext it came from, so a stale entry costs a fallback to reading the
# secrets, never a wrong answer. Keyed by site and site key too: one process serves every site of a bench.
_REMEMBERED: dict[tuple, Signer] = {}
_REMEMBERED_MAX = 1024


def _remembered_key(session_id: str | None) -> tuple:
	return (frappe.local.site, frappe.local.conf.encryption_key, session_id)


def remembered_signer(session_id: str | None) -> Signer | None:
	return _REMEMBERED.get(_remembered_key(session_id))


def remember_signer(session_id: str | None, signer: Signer) -> None:
	if signer.guard is None:
		return
	if len(_REMEMBERED) >= _REMEMBERED_MAX:
		_REMEMBERED.clear()  # a flood of session ids cannot grow it; the next webhooks refill it
	_REMEMBERED[_remembered_key(session_id)] = signer


def forget_signer(session_id: str | None) -> None:
	_REMEMBERED.pop(_remembered_key(session_id), None)


def end_previous_secret(doctype: str, name: str) -> bool:
	"""End a rotation's grace period now: the previous secret is deleted, so the next webhook signed with it is
	refused. No process remembers it (only a current secret is remembered, and guarded in SQL). True when
	there was one."""
	frappe.db.sql(
		"""delete from `__Auth` where doctype = %s and name = %s and fieldname = 'previous_webhook_secret'""",
		(doctype, name),
	)
	ended = frappe.db._cursor.rowcount > 0
	if doctype == name:
		frappe.db.set_single_value(doctype, "previous_secret_valid_until", None)
	else:
		frappe.db.set_value(doctype, name, "previous_secret_valid_until", None)
	return ended

"""Netelip's secrets never stay in an Error Log row, whatever path logged the error.

The callback token is taken out of every request at once (api/netelip_token.py) and the API token lives in
variables Frappe's traceback printer masks; this is the net under both: any form of either token (as is,
percent-encoded, JSON-escaped) in a row's traceback or title is masked before the row is written.
"""

from frappe.utils.password import get_decrypted_password

from xappiens_whatsapp.clients.errors import redact

SETTINGS = "Netelip Settings"
SECRET_FIELDS = ("webhook_token", "api_token")
# Masking a very short value would mask ordinary text all over the row (the callback token has 16+).
SHORTEST = 8


def secrets() -> list[str]:
	values = (
		get_decrypted_password(SETTINGS, SETTINGS, field, raise_exception=False) for field in SECRET_FIELDS
	)
	return [value for value in values if value and len(value) >= SHORTEST]


def redact_error_log(doc, method=None) -> None:
	"""`before_insert` of Error Log (deferred snapshots are inserted through the document too)."""
	try:
		known = secrets()
	except Exception:
		return  # better the row than no row: the request and job paths keep the tokens out already
	for field in ("error", "method"):
		if doc.get(field):
			doc.set(field, redact(doc.get(field), known))

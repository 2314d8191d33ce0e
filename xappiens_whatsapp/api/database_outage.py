"""A provider's webhook finds the database down: it is answered 503 (retry later), never a bare 500.

With MariaDB unreachable, Frappe's request handler fails twice (the query, then its own rollback in `finally`)
and the exception escapes it, so gunicorn answers a bare 500 and no `after_request` hook runs. For our guest
endpoints the connection is opened in `before_request`, and a guard on the transaction's rollback covers a
connection lost before the first commit. Either answers 503 by raising a werkzeug HTTPException, which werkzeug's
own request wrapper turns into the response, after dropping the dead connection so that nothing tries to roll it
back again.
"""

import json

import frappe
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.wrappers import Response

from xappiens_whatsapp.api.guest_endpoints import receiver_of

RETRY_AFTER_SECONDS = 30
# MariaDB errors that mean "no usable connection", not "this query is wrong": every client-side error
# (2000-2999: cannot connect, server gone, connection lost…), too many connections, shutdown in progress,
# connection killed, idle connection closed by the server.
_UNREACHABLE_SERVER_CODES = {1040, 1053, 1927, 4031}


def before_request():
	if not receiver_of(frappe.local.request):
		return
	try:
		if getattr(frappe.db, "_conn", None) is None:
			frappe.db.connect()
		else:
			frappe.db.sql("select 1")
	except Exception as exc:
		if not _unreachable(exc):
			raise
		_unavailable()
	frappe.db.before_rollback.add(_guard_rollback)


def _guard_rollback():
	"""Runs when the request's transaction is rolled back before its first commit (a commit drops it): only
	steps in when the connection is what failed."""
	try:
		frappe.db.sql("select 1")
	except Exception as exc:
		if _unreachable(exc):
			_unavailable()
		raise


def _unreachable(exc: BaseException) -> bool:
	import pymysql

	if isinstance(exc, pymysql.err.InterfaceError):
		return True
	if isinstance(exc, pymysql.err.OperationalError):
		code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
		return code is not None and (2000 <= code < 3000 or code in _UNREACHABLE_SERVER_CODES)
	return False


def _unavailable():
	frappe.logger("xappiens_whatsapp").warning(
		f"database unreachable: answered 503 to {frappe.local.request.path}", exc_info=True
	)
	frappe.local.db = None  # nothing to roll back or close on a dead connection
	body = json.dumps({"success": False, "error": "Temporarily unavailable"})
	answer = Response(body, status=503, mimetype="application/json")
	answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
	raise ServiceUnavailable(response=answer)

"""Request hooks that keep our guest endpoints' answers honest when Frappe itself fails around them.

`after_request`: Frappe decodes a JSON body itself before calling any endpoint; when that fails it answers 500
(or 417 for JSON that is not an object) and our endpoint never runs. For our guest endpoints this hook runs the
same checks on the raw body afterwards and answers as the endpoint would have: 401 for a bad signature or token,
400 (with the body kept) for an authenticated but unreadable one. It never turns an error into a 200.

`before_request`: with MariaDB unreachable, Frappe's request handler fails twice (the query, then its own
rollback in `finally`) and the exception escapes it, so gunicorn answers a bare 500 and no `after_request` hook
runs. A provider must see 503 (retry later), so for our endpoints the connection is opened here, and a guard on
the transaction's rollback covers a connection lost before the first commit. Either answers 503 by raising a
werkzeug HTTPException, which werkzeug's own request wrapper turns into the response, after dropping the dead
connection so that nothing tries to roll it back again.
"""

import json

import frappe
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.wrappers import Response

ENDPOINTS = {
	"/api/method/xappiens_whatsapp.api.webhook.handle_webhook": "xappiens_whatsapp.api.webhook.receive",
	"/api/method/xappiens_whatsapp.api.netelip.control": "xappiens_whatsapp.api.netelip.receive_control",
	"/api/method/xappiens_whatsapp.api.netelip.report": "xappiens_whatsapp.api.netelip.receive_report",
}
RETRY_AFTER_SECONDS = 30
# MariaDB errors that mean "no usable connection", not "this query is wrong": every client-side error
# (2000-2999: cannot connect, server gone, connection lost…), too many connections, shutdown in progress,
# connection killed, idle connection closed by the server.
_UNREACHABLE_SERVER_CODES = {1040, 1053, 1927, 4031}


def before_request():
	request = frappe.local.request
	if request.method != "POST" or request.path.rstrip("/") not in ENDPOINTS:
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


def after_request(response=None, request=None):
	if response is None or request is None or response.status_code not in (417, 500):
		return
	handler = ENDPOINTS.get(request.path.rstrip("/"))
	if not handler or request.method != "POST":
		return
	frappe.local.message_log = []
	undecodable = _undecodable(request)
	if undecodable:
		_withdraw_decoding_error(request)
	if frappe.local.flags.get("xw_endpoint_ran") or not undecodable:
		# Our endpoint failed, or something before it did with a body Frappe could read (the rate limiter
		# when the cache Redis is down): nothing was acknowledged, ask for a retry.
		_answer(response, 503, {"success": False, "error": "Temporarily unavailable"})
		return
	try:
		answer = frappe.get_attr(handler)()
		frappe.db.commit()  # the request's own commit is behind us: keep what the endpoint stored
	except Exception:
		frappe.logger("xappiens_whatsapp").error("could not check an undecodable request", exc_info=True)
		_answer(response, 503, {"success": False, "error": "Temporarily unavailable"})
		return
	if answer.status_code == 200:
		# Frappe could not decode the body, so it cannot be a valid event either.
		_answer(response, 400, {"success": False, "error": "Unreadable body"})
	else:
		response.status_code = answer.status_code
		response.set_data(answer.get_data())
		response.headers["Content-Type"] = "application/json"


def _withdraw_decoding_error(request) -> None:
	"""Frappe files an Error Log entry for a body it cannot decode (deferred: queued in Redis for its scheduler)
	before any app code runs. On our guest endpoints that is anyone's request, authenticated or not, and a flood
	of them must not grow the table: the entry queued for it is taken back. Whether the body was authentic is
	answered below, as for any other."""
	queue = "insert_queue_for_Error Log"
	try:
		for raw in frappe.cache.lrange(queue, -20, -1):
			try:
				record = json.loads(raw)
			except ValueError:
				continue
			error = record.get("error") if isinstance(record, dict) else None
			if isinstance(error, str) and "make_form_dict" in error and request.path in error:
				frappe.cache.lrem(frappe.cache.make_key(queue), 1, raw)
	except Exception:
		frappe.logger("xappiens_whatsapp").warning("could not withdraw a decoding error", exc_info=True)


def _undecodable(request) -> bool:
	"""True when Frappe's own JSON decoding of the body (`make_form_dict`) is what failed."""
	data = request.get_data(as_text=True)
	if not (data and request.is_json):
		return False
	try:
		return not isinstance(json.loads(data), dict | list)
	except (ValueError, RecursionError):
		return True


def _answer(response, status: int, body: dict) -> None:
	response.status_code = status
	response.set_data(json.dumps(body).encode())
	response.headers["Content-Type"] = "application/json"

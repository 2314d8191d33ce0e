"""A body Frappe itself cannot decode, sent to one of our guest endpoints, is answered as the endpoint would.

Frappe decodes a JSON body before calling any endpoint; when that fails it answers 500 (or 417 for JSON that is
not an object) and our endpoint never runs. For our guest endpoints this `after_request` hook runs the same checks
on the raw body and answers as the endpoint would have: 401 for a bad signature or token, 400 (with the body kept)
for an authenticated but unreadable one, 429 past the refusal limit. It never turns an error into a 200.
"""

import json

import frappe

from xappiens_whatsapp.api import error_snapshots
from xappiens_whatsapp.api.guest_endpoints import receiver_of


def after_request(response=None, request=None):
	if response is None or request is None or response.status_code not in (417, 500):
		return
	handler = receiver_of(request)
	if not handler:
		return
	frappe.local.message_log = []
	if frappe.local.flags.get("xw_endpoint_ran") or not _undecodable(request):
		# Our endpoint failed, or something before it did with a body Frappe could read (the rate limiter
		# when the cache Redis is down): nothing was acknowledged, ask for a retry.
		_answer(response, 503, {"success": False, "error": "Temporarily unavailable"})
		return
	error_snapshots.withdraw(request)  # a bad request, answered 4xx below: not an error to log
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

"""Frappe decodes a JSON body itself before calling any endpoint; when that fails it answers 500 (or 417 for
JSON that is not an object) and our endpoint never runs. For our guest endpoints this hook runs the same
checks on the raw body afterwards and answers as the endpoint would have: 401 for a bad signature or token,
400 (with the body kept) for an authenticated but unreadable one. It never turns an error into a 200.
"""

import json

import frappe

ENDPOINTS = {
	"/api/method/xappiens_whatsapp.api.webhook.handle_webhook": "xappiens_whatsapp.api.webhook.receive",
	"/api/method/xappiens_whatsapp.api.netelip.control": "xappiens_whatsapp.api.netelip.receive_control",
	"/api/method/xappiens_whatsapp.api.netelip.report": "xappiens_whatsapp.api.netelip.receive_report",
}


def after_request(response=None, request=None):
	if response is None or request is None or response.status_code not in (417, 500):
		return
	handler = ENDPOINTS.get(request.path.rstrip("/"))
	if not handler or request.method != "POST":
		return
	frappe.local.message_log = []
	if frappe.local.flags.get("xw_endpoint_ran") or not _undecodable(request):
		# Our endpoint failed, or something before it did with a body Frappe could read (the rate limiter
		# when the cache Redis is down): nothing was acknowledged, ask for a retry.
		_answer(response, 503, {"success": False, "error": "Temporarily unavailable"})
		return
	try:
		answer = frappe.get_attr(handler)()
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

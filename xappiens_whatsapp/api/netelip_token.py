"""Netelip's callback token leaves the request as soon as the request reaches the app.

Netelip sends it as `?token=` in the URL, and Frappe writes the local variables of every frame of a traceback
into the Error Log: the werkzeug Request among them, whose repr is the full URL, and the form dict. So before
anything else of ours runs (a `before_request` hook), the token is taken out of the query string, the cached
URL and arguments and the form dict, and kept where no traceback prints it. A request Frappe failed before the
hooks (a body it could not decode) is scrubbed when the endpoint reads the token.
"""

import re
from urllib.parse import unquote_plus

import frappe

TOKEN_HEADER = "X-Netelip-Token"  # the one documented header form
TOKEN_PARAM = "token"
METHODS = frozenset({"xappiens_whatsapp.api.netelip.control", "xappiens_whatsapp.api.netelip.report"})
_METHOD_PATH = re.compile(r"/api/(?:v[12]/)?method/([\w.]+)/?")
# Werkzeug caches these from the query string; dropped so they are computed again without the token.
_CACHED = ("args", "values", "url", "full_path")
_STASH = "xw_netelip_token"


def for_netelip(request) -> bool:
	"""The request calls one of Netelip's callbacks (by path, whichever API version, or by `cmd`)."""
	found = _METHOD_PATH.fullmatch(request.path)
	if found:
		return found.group(1) in METHODS
	return (getattr(frappe.local, "form_dict", None) or {}).get("cmd") in METHODS


def scrub() -> None:
	"""`before_request` hook."""
	request = frappe.local.request
	if request is not None and for_netelip(request):
		_take(request)


def given() -> str | None:
	"""The token the caller sent: from the URL (taken out of the request now if it was not yet), else the
	X-Netelip-Token header."""
	if not hasattr(frappe.local, _STASH):
		_take(frappe.request)
	header = frappe.get_request_header(TOKEN_HEADER)
	return getattr(frappe.local, _STASH) or (header.strip() if header and header.strip() else None)


def _take(request) -> None:
	query = request.query_string.decode("latin-1")
	kept, found = [], None
	for part in query.split("&"):
		name = unquote_plus(part.split("=", 1)[0], encoding="latin-1")
		if name == TOKEN_PARAM:
			if found is None:
				found = unquote_plus(part.partition("=")[2])
			continue
		if part:
			kept.append(part)
	setattr(frappe.local, _STASH, found.strip() if found and found.strip() else None)
	form_dict = getattr(frappe.local, "form_dict", None) or {}
	if found is None and TOKEN_PARAM not in form_dict:
		return
	clean = "&".join(kept)
	request.query_string = clean.encode("latin-1")
	environ = request.environ
	environ["QUERY_STRING"] = clean
	for key in ("RAW_URI", "REQUEST_URI"):
		if key in environ:
			environ[key] = environ[key].split("?", 1)[0] + (f"?{clean}" if clean else "")
	for name in _CACHED:
		request.__dict__.pop(name, None)
	form_dict.pop(TOKEN_PARAM, None)

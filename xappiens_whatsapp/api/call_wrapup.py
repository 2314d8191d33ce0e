"""After a call: the agent records its outcome (from the list in Netelip Settings) and notes; the call's
recording plays in the form, fetched by the server from Netelip's hosts only, for users who may read the call."""

import frappe
from frappe import _
from frappe.utils import now_datetime
from werkzeug.wrappers import Response

from xappiens_whatsapp.clients.recordings import RecordingUnavailable, fetch
from xappiens_whatsapp.core.text import one_line, plain
from xappiens_whatsapp.core.urls import on_hosts
from xappiens_whatsapp.pipeline import settings
from xappiens_whatsapp.pipeline.crm import call_logs

DOCTYPE = "Netelip Call"
MAX_NOTES = 4000


def _require_read(call: str) -> None:
	if not frappe.db.exists(DOCTYPE, call) or not frappe.has_permission(DOCTYPE, "read", doc=call):
		raise frappe.PermissionError(_("Not permitted"))


def dispositions() -> list[str]:
	lines = (settings.netelip().get("call_dispositions") or "").splitlines()
	return list(dict.fromkeys(d for d in (one_line(x, 140) for x in lines) if d))


@frappe.whitelist()
def get_dispositions() -> list[str]:
	return dispositions()


@frappe.whitelist(methods=["POST"])
def save_wrapup(call: str, disposition: str, notes: str | None = None) -> dict:
	"""Who may read the call (its agent, a manager, anyone for a call nobody took) may wrap it up."""
	_require_read(call)
	if disposition not in dispositions():
		frappe.throw(_("Choose one of the call outcomes in Netelip Settings"))
	values = {
		"disposition": disposition,
		"wrapup_notes": plain(notes, MAX_NOTES),
		"wrapped_up_by": frappe.session.user,
		"wrapped_up_at": now_datetime(),
	}
	frappe.db.set_value(DOCTYPE, call, values)
	frappe.publish_realtime("xw_call", {"call": call, "status": "wrapped up"}, doctype=DOCTYPE, docname=call)
	call_logs.sync(call)
	return values


def recording_hosts() -> list[str]:
	return [h.strip() for h in (settings.netelip().get("recording_hosts") or "").splitlines() if h.strip()]


@frappe.whitelist()
def recording(call: str) -> Response:
	_require_read(call)
	url = frappe.db.get_value(DOCTYPE, call, "recording_url")
	if not url:
		raise frappe.DoesNotExistError(_("This call has no recording"))
	if not on_hosts(url, recording_hosts(), (settings.netelip().api_base_url,)):
		frappe.throw(_("The recording is not on one of Netelip's hosts (Netelip Settings → Recording hosts)"))
	try:
		found = fetch(url, timeout=settings.int_setting(settings.netelip(), "request_timeout", 15, minimum=1))
	except RecordingUnavailable as exc:
		frappe.throw(_("The recording is not available: {0}").format(str(exc)))
	response = Response(found.content, status=200, content_type=found.content_type)
	response.headers["Cache-Control"] = "private, max-age=300"
	response.headers["X-Content-Type-Options"] = "nosniff"
	response.headers["Content-Disposition"] = f'inline; filename="call-{call}.mp3"'
	return response

"""Click-to-call: ring the agent's own line first; when the agent picks up, Netelip asks the control URL what to
do and we answer `dial` to the customer, once (see control). `userdata` carries our own reference so every
callback finds the row this site created before the launch, whatever call ID Netelip gives that leg."""

import secrets
from datetime import UTC, datetime

import frappe
from frappe import _
from frappe.utils import now_datetime
from frappe.utils.password import get_decrypted_password

from xappiens_whatsapp.clients.errors import ProviderError
from xappiens_whatsapp.clients.netelip import DEFAULT_BASE_URL, NetelipClient
from xappiens_whatsapp.core import call_state as cs
from xappiens_whatsapp.core.phones import digits
from xappiens_whatsapp.core.text import one_line, plain
from xappiens_whatsapp.pipeline import crm_links, realtime, settings
from xappiens_whatsapp.pipeline.background import once_after_commit
from xappiens_whatsapp.pipeline.crm import call_logs
from xappiens_whatsapp.pipeline.inbox.locks import event_key, named_lock
from xappiens_whatsapp.pipeline.netelip import call_rate
from xappiens_whatsapp.pipeline.netelip.calls import (
	DOCTYPE,
	attach_leg,
	line_of,
	ring_seconds,
	route,
	snapshot_of,
	whatsapp_contact_for,
	write,
)


def _api_token() -> str | None:
	return get_decrypted_password("Netelip Settings", "Netelip Settings", "api_token", raise_exception=False)


def check_ready() -> None:
	"""Refuse a click-to-call that cannot be launched, before any call row exists."""
	if not _api_token() or not (settings.netelip().api_application or "").strip():
		frappe.throw(
			_(
				"Calls cannot be made yet: a manager must set the API token and application in Netelip Settings."
			),
			title=_("Netelip is not set up"),
		)


def start_click_to_call(e164: str, contact: str | None, whatsapp_contact: str | None) -> str:
	user = frappe.session.user
	line = line_of(user)
	if not line:
		frappe.throw(
			_("You have no Netelip extension yet. Ask a manager to add you under Netelip Settings > Agents.")
		)
	check_ready()
	call_rate.spend(user)  # last: only a call that is about to be made counts
	doc = frappe.get_doc(
		{
			"doctype": DOCTYPE,
			"direction": "Outbound",
			"status": str(cs.CallState.INITIATED),
			"status_source": "launch",
			"customer_number": e164,
			"to_number": e164,
			"from_number": settings.netelip().caller_id,
			"agent": user,
			"agent_line": line,
			"contact": contact or crm_links.find_contact(e164, settings.default_region()),
			"whatsapp_contact": whatsapp_contact or whatsapp_contact_for(e164),
			"userdata": secrets.token_hex(12),
			"started_at": now_datetime(),
		}
	).insert(ignore_permissions=True)
	once_after_commit(
		"xappiens_whatsapp.pipeline.netelip.click_to_call.launch", f"xw-launch-{doc.name}", name=doc.name
	)
	call_logs.sync(doc.name)
	realtime.call_changed(doc.name, user, doc.status, doc.direction, popup=True)
	return doc.name


def client() -> NetelipClient:
	conf = settings.netelip()
	token = _api_token()
	if not token or not (conf.api_application or "").strip():
		frappe.throw(_("Set the Netelip API token and application in Netelip Settings first"))
	return NetelipClient(
		token=token,
		application=conf.api_application.strip(),
		base_url=conf.api_base_url or DEFAULT_BASE_URL,
		timeout=settings.int_setting(conf, "request_timeout", 15, minimum=1),
	)


def launch(name: str) -> None:
	"""Ask Netelip to ring the agent, at most once: a lost answer may mean a phone is already ringing, so the
	launch is claimed (committed) before it is sent and never repeated."""
	# Claimed in one statement: of two jobs for the same call, only one sees its update take.
	frappe.db.sql(
		f"""update `tab{DOCTYPE}` set launched_at = %s
		where name = %s and launched_at is null and call_id is null and status = %s""",
		(now_datetime(), name, str(cs.CallState.INITIATED)),
	)
	claimed = frappe.db._cursor.rowcount == 1
	frappe.db.commit()
	if not claimed:
		return
	row = frappe.db.get_value(DOCTYPE, name, ["name", "agent_line", "userdata"], as_dict=True)
	try:
		call_id = _send_launch(row)
	except ProviderError as exc:
		launch_failed(name, exc)
		return
	except Exception as exc:
		# Whatever stopped it, the call did not start: say so now rather than let the timeout guess.
		frappe.db.rollback()
		if not isinstance(exc, frappe.ValidationError):
			frappe.log_error(
				title="Netelip click-to-call launch", reference_doctype=DOCTYPE, reference_name=name
			)
		fail_launch(name, None, _("The call was not launched: {0}").format(str(exc) or type(exc).__name__))
		return
	launched(name, call_id)


def _send_launch(row) -> str:
	conf = settings.netelip()
	kind, target = route(row.agent_line)
	with client() as netelip:
		return netelip.launch_call(
			src=conf.caller_id or (digits(row.agent_line) if kind == "pstn" else target),
			dst=target,
			typedst=kind,
			duration=settings.int_setting(conf, "max_call_seconds", 7200, minimum=1),
			userdata=row.userdata,
		)


def launched(name: str, call_id: str) -> None:
	"""Netelip took the launch: keep its call ID and give the agent's phone its ring time."""
	ring_until = cs.ring_deadline(datetime.now(UTC), ring_seconds())
	with named_lock(event_key("Netelip", None, call_id)):
		attach_leg(name, call_id)
		row = frappe.db.get_value(DOCTYPE, name, ["*"], as_dict=True, for_update=True)
		before = snapshot_of(row)
		write(name, before, cs.apply(before, cs.launch_update("200", ring_until=ring_until)))
		frappe.db.commit()


def launch_failed(name: str, exc: ProviderError) -> None:
	if not exc.outcome_unknown:
		# Netelip's own code, never the HTTP status: a 200 whose body was not a success is still a failure.
		code = one_line(exc.code, 140)
		fail_launch(name, code if code and code != "200" else "error", exc.message)
		return
	# Netelip may have acted: not a failure, and never a second launch. The timeout or a callback decides.
	message = _("Netelip did not confirm the call ({0}); the phone may still ring.").format(exc.message)
	frappe.db.set_value(DOCTYPE, name, {"launch_unconfirmed": 1, "launch_error": plain(message, 500)})
	row = frappe.db.get_value(DOCTYPE, name, ["agent", "status", "direction"], as_dict=True)
	realtime.call_changed(name, row.agent, row.status, row.direction, popup=True)
	frappe.db.commit()


def fail_launch(name: str, code, message: str) -> None:
	"""End a call that never started as Failed, with the reason for the agent."""
	from xappiens_whatsapp.pipeline.netelip.call_alerts import after_change

	row = frappe.db.get_value(DOCTYPE, name, ["*"], as_dict=True, for_update=True)
	before = snapshot_of(row)
	after = cs.apply(before, cs.launch_update(code))
	write(name, before, after)
	# Netelip's (or an exception's) own words: plain text, since the form shows this field as HTML.
	frappe.db.set_value(DOCTYPE, name, "launch_error", plain(message, 500))
	after_change(name, before, after)
	frappe.db.commit()

"""Managers link WhatsApp numbers from the WhatsApp Session form: create on the gateway, scan the QR, watch the
status. Every action is a whitelisted, manager-only call; QR images never travel in realtime events."""

import json
import secrets
import time
from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import add_to_date, escape_html, now_datetime

from xappiens_whatsapp.clients.errors import ProviderError, ProviderNotFound
from xappiens_whatsapp.clients.inbox_hub import ALL_EVENTS
from xappiens_whatsapp.core.inbox_hub_events import test_event_key
from xappiens_whatsapp.core.session_status import SessionState, map_session_status
from xappiens_whatsapp.core.signatures import to_epoch_seconds
from xappiens_whatsapp.core.text import one_line
from xappiens_whatsapp.core.urls import endpoint_problem
from xappiens_whatsapp.permissions import is_manager
from xappiens_whatsapp.pipeline import realtime, settings
from xappiens_whatsapp.pipeline.times import from_epoch
from xappiens_whatsapp.pipeline.whatsapp import webhook_signers as signing
from xappiens_whatsapp.pipeline.whatsapp.gateway import inbox_hub

WEBHOOK_PATH = "/api/method/xappiens_whatsapp.api.webhook.handle_webhook"
ROTATION_GRACE_HOURS = 24
QR_SECONDS = 60  # a QR whose expiry the gateway did not say; WhatsApp renews them about every minute


def _manager_session(session: str):
	if not is_manager():
		raise frappe.PermissionError(_("Only WhatsApp managers can manage sessions"))
	return frappe.get_doc("WhatsApp Session", session)


def _said(exc: ProviderError) -> str:
	"""The gateway's own words, as text: frappe.throw shows its message as HTML."""
	return escape_html(one_line(exc.message, 500) or exc.__class__.__name__)


def _gateway_error(exc: ProviderError):
	frappe.throw(_("The gateway refused: {0}").format(_said(exc)), title=_("WhatsApp gateway"))


def _require_gateway_id(doc) -> int:
	if not doc.gateway_id:
		frappe.throw(_("Create this session on the gateway first"))
	return doc.gateway_id


def _overtaken(doc, asked_at) -> bool:
	"""A webhook about the session was applied after this request asked the gateway: it is the newer word.
	(Gateways stamp events to the second: one of the same second counts as newer.)"""
	last = frappe.db.get_value("WhatsApp Session", doc.name, "last_event_at", for_update=True)
	return bool(asked_at and last and frappe.utils.get_datetime(last) >= asked_at - timedelta(seconds=1))


def _apply_info(doc, info, asked_at=None) -> str:
	"""Record what the gateway said about the session (a poll, or an action's answer, asked at `asked_at`).
	An answer without a status (some actions only say "ok") changes nothing but what it does carry, and one
	overtaken by a webhook leaves the webhook's state alone."""
	changes = {}
	if (info.status is not None or info.is_connected is not None) and not _overtaken(doc, asked_at):
		state, known = map_session_status(info.status, info.is_connected)
		# last_event_at stays the gateway's own event time: this answer's moment, on our clock, cannot be
		# ordered against it (a session.qr made during a connect call would look older and be dropped).
		reason = None if known else f"Unknown status: {one_line(info.status, 100)}"
		changes.update(status=str(state), status_reason=reason)
		if info.qr_code and state == SessionState.QR_REQUIRED:
			changes.update(qr_code=info.qr_code, qr_expires_at=add_to_date(None, seconds=QR_SECONDS))
		if state in (SessionState.CONNECTED, SessionState.DISCONNECTED):
			changes.update(qr_code=None, qr_expires_at=None)
	if info.id:
		changes["gateway_id"] = info.id
	if info.phone_number:
		changes["phone_number"] = "+" + str(info.phone_number).lstrip("+")
	if changes:
		frappe.db.set_value("WhatsApp Session", doc.name, changes)
	status = changes.get("status") or frappe.db.get_value("WhatsApp Session", doc.name, "status")
	realtime.session_changed(doc.name, status)
	return status


def webhook_url() -> str:
	"""Where the gateway posts this site's webhooks: signed, with customers' messages, so https (plain http
	only to this machine)."""
	url = settings.site_url() + WEBHOOK_PATH
	problem = endpoint_problem(url)
	if problem:
		frappe.throw(
			_(
				"This site's address for the gateway is refused: {0}. Set an https Public site URL in WhatsApp Settings."
			).format(_(problem))
		)
	return url


@frappe.whitelist(methods=["POST"])
def create_on_gateway(session: str) -> dict:
	"""Register the session with this site's endpoint, a fresh secret and every event, then start linking.

	Safe to press again: a session the gateway already has (an earlier attempt whose answer was lost, or one
	made elsewhere) is adopted and given this site's webhook and the new secret."""
	doc = _manager_session(session)
	# Before the switch: a refusal (no API key, an address refused) must leave the secrets as they are.
	url = webhook_url()
	gateway = inbox_hub()

	def register(secret: str):
		with gateway as client:
			return _create_or_adopt(client, doc, url, secret)

	info = _with_new_secret(doc, register)
	if not info.id:
		frappe.throw(
			_("The gateway created the session but did not say its id; press Create on gateway again")
		)
	# Kept before connecting: if connecting fails, the session is still the gateway's, signing with our secret.
	doc.db_set({"gateway_id": info.id, "webhook_url": url})
	frappe.db.commit()
	asked_at = now_datetime()
	try:
		with inbox_hub() as client:
			info = client.connect(info.id)
	except ProviderError as exc:
		frappe.throw(
			_(
				"The session is on the gateway, but connecting failed: {0}. Press Connect to try again."
			).format(_said(exc)),
			title=_("WhatsApp gateway"),
		)
	return {"status": _apply_info(doc, info, asked_at), "gateway_id": info.id or doc.gateway_id}


def _create_or_adopt(client, doc, url: str, secret: str):
	try:
		info = client.create_session(
			doc.session_id, doc.session_name or doc.session_id, url, secret, events=ALL_EVENTS
		)
	except ProviderError as exc:
		# 409 "already exists", or no answer to a create that may have worked: look for it.
		if not (exc.outcome_unknown or exc.status == 409):
			raise
		info = _find_on_gateway(client, doc.session_id)
		if not info:
			raise
		client.set_webhook(info.id, url, secret, events=ALL_EVENTS)
		return info
	return info if info.id else (_find_on_gateway(client, doc.session_id) or info)


def _find_on_gateway(client, session_id: str):
	"""The gateway's record of `session_id`, from its session list (bounded: 50 pages)."""
	seen = 0
	for page in range(1, 51):
		found = client.list_sessions(page=page, limit=100)
		seen += len(found)
		match = next((s for s in found if s.session_id == session_id and s.id), None)
		if match or not found or (found.total is not None and seen >= found.total):
			return match
	return None


def _with_new_secret(doc, give_to_gateway):
	"""Switch the session to a fresh webhook secret: stored and committed (the old one still valid for a day)
	before the gateway signs with it, so no event is refused on either side of the switch. If the gateway
	refused it, everything is put back; if its answer was lost, both stay valid."""
	from frappe.utils.password import set_encrypted_password

	def store(current, previous, valid_until):
		for field, value in (("webhook_secret", current), ("previous_webhook_secret", previous)):
			if value:
				set_encrypted_password("WhatsApp Session", doc.name, value, field)
			else:
				frappe.db.delete(
					"__Auth", {"doctype": "WhatsApp Session", "name": doc.name, "fieldname": field}
				)
		doc.db_set("previous_secret_valid_until", valid_until)
		frappe.db.commit()

	old = doc.get_password("webhook_secret", raise_exception=False)
	before = (
		old,
		doc.get_password("previous_webhook_secret", raise_exception=False),
		doc.previous_secret_valid_until,
	)
	new = secrets.token_urlsafe(32)
	store(new, old, add_to_date(None, hours=ROTATION_GRACE_HOURS) if old else None)
	try:
		return give_to_gateway(new)
	except ProviderError as exc:
		if not exc.outcome_unknown:
			store(*before)
		_gateway_error(exc)


def _action(session: str, action: str) -> dict:
	doc = _manager_session(session)
	gateway_id = _require_gateway_id(doc)
	asked_at = now_datetime()
	try:
		with inbox_hub() as client:
			info = getattr(client, action)(gateway_id)
	except ProviderError as exc:
		_gateway_error(exc)
	return {"status": _apply_info(doc, info, asked_at)}


@frappe.whitelist(methods=["POST"])
def connect(session: str) -> dict:
	return _action(session, "connect")


@frappe.whitelist(methods=["POST"])
def disconnect(session: str) -> dict:
	return _action(session, "disconnect")


@frappe.whitelist(methods=["POST"])
def restart(session: str) -> dict:
	return _action(session, "restart")


@frappe.whitelist(methods=["POST"])
def refresh_status(session: str) -> dict:
	return _action(session, "get_status")


@frappe.whitelist(methods=["POST"])
def get_qr(session: str) -> dict:
	"""The current QR for linking a phone: the one a session.qr event brought, or a fresh one from the gateway
	(kept on the session, hence POST)."""
	doc = _manager_session(session)
	fresh = (
		doc.qr_code and doc.qr_expires_at and frappe.utils.get_datetime(doc.qr_expires_at) > now_datetime()
	)
	if not fresh and doc.gateway_id and doc.status not in ("Connected",):
		asked_at = now_datetime()
		try:
			with inbox_hub() as client:
				qr = client.get_qr(doc.gateway_id)
		except ProviderNotFound:
			qr = None  # not generated yet: a session.qr event will bring it
		except ProviderError as exc:
			_gateway_error(exc)
		if qr and not _overtaken(doc, asked_at):
			expires = (
				from_epoch(to_epoch_seconds(qr.expires_at))
				if qr.expires_at
				else add_to_date(None, seconds=QR_SECONDS)
			)
			frappe.db.set_value(
				"WhatsApp Session",
				doc.name,
				{
					"qr_code": qr.image_base64,
					"qr_expires_at": expires,
					"status": str(SessionState.QR_REQUIRED),
				},
			)
		doc.reload()
	return {
		"status": doc.status,
		"qr": doc.qr_code if doc.status != "Connected" else None,
		"expires_at": doc.qr_expires_at,
		"server_time": now_datetime(),
	}


@frappe.whitelist(methods=["POST"])
def rotate_secret(session: str) -> dict:
	"""A new webhook secret; the old one stays valid for a day so no event in flight is lost."""
	doc = _manager_session(session)
	# Before the switch: a refusal (no API key, an address refused) must leave the secrets as they are.
	url = webhook_url()
	gateway = inbox_hub() if doc.gateway_id else None

	def tell_gateway(secret: str) -> None:
		if gateway:
			with gateway as client:
				client.set_webhook(doc.gateway_id, url, secret)

	_with_new_secret(doc, tell_gateway)
	return {"previous_valid_until": doc.previous_secret_valid_until}


@frappe.whitelist(methods=["POST"])
def end_previous_secret(session: str) -> dict:
	"""End a rotation's grace period now (the old secret leaked, or the gateway already signs with the new
	one): webhooks signed with the previous secret are refused from the next one on."""
	doc = _manager_session(session)
	return {"ended": signing.end_previous_secret("WhatsApp Session", doc.name)}


@frappe.whitelist(methods=["POST"])
def send_test_event(session: str) -> dict:
	"""Sign a harmless event with the session's secret and post it to this site's public endpoint, from a
	background job, exactly as the gateway would. The desk follows it through `xw_test_event` realtime events
	(posted, then processed) and reads the outcome with `test_event_status`."""
	doc = _manager_session(session)
	if not signing.webhook_secrets(doc.name):
		frappe.throw(_("This session has no webhook secret, and there is no default one"))
	webhook_url()  # refused here, to the manager, rather than in the job
	nonce = secrets.token_hex(8)
	frappe.enqueue(
		"xappiens_whatsapp.api.sessions.post_test_event",
		queue="short",
		enqueue_after_commit=True,
		session=doc.name,
		nonce=nonce,
	)
	return {"nonce": nonce}


def post_test_event(session: str, nonce: str) -> None:
	import requests

	from xappiens_whatsapp.core.signatures import serialise, sign

	payload = {
		"event": "webhook.test",
		"sessionId": session,
		"data": {"nonce": nonce},
		"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
	}
	raw = serialise(payload)
	headers = {
		# names the site even when the public URL's host is a proxy's
		"X-Frappe-Site-Name": frappe.local.site,
		"Content-Type": "application/json",
		"X-Webhook-Signature": sign(raw, signing.webhook_secrets(session)[0]),
		"X-Webhook-Event": "webhook.test",
		"X-Webhook-Session": session,
		"X-Webhook-Timestamp": str(int(time.time() * 1000)),
	}
	try:
		response = requests.post(webhook_url(), data=raw, headers=headers, timeout=15)
		outcome = {"http_status": response.status_code}
	except requests.RequestException as exc:
		outcome = {"http_status": None, "error": type(exc).__name__}
	# On the session row, not in the cache: any user's save clears Frappe's cache.
	frappe.db.set_value(
		"WhatsApp Session",
		session,
		"last_test_result",
		json.dumps({"nonce": nonce, **outcome}),
		update_modified=False,
	)
	realtime.test_event(session, nonce, "posted", outcome["http_status"])
	frappe.db.commit()


@frappe.whitelist()
def test_event_status(session: str, nonce: str) -> dict:
	_manager_session(session)
	last = json.loads(frappe.db.get_value("WhatsApp Session", session, "last_test_result") or "{}")
	outcome = last if last.get("nonce") == nonce else {}
	row = frappe.db.get_value(
		"Inbound Webhook", {"dedup_key": test_event_key(session, nonce)}, ["name", "status"], as_dict=True
	)
	return {
		"posted": bool(outcome),
		"http_status": outcome.get("http_status"),
		"error": outcome.get("error"),
		"inbound": row.name if row else None,
		"status": row.status if row else None,
	}

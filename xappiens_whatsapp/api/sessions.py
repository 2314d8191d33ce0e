"""Managers link WhatsApp numbers from the WhatsApp Session form: create on the gateway, scan the QR, watch the
status. Every action is a whitelisted, manager-only call; QR images never travel in realtime events."""

import json
import secrets
import time

import frappe
from frappe import _
from frappe.utils import add_to_date, now_datetime

from xappiens_whatsapp.clients.errors import ProviderError, ProviderNotFound
from xappiens_whatsapp.clients.inbox_hub import ALL_EVENTS
from xappiens_whatsapp.core.session_status import SessionState, map_session_status
from xappiens_whatsapp.core.signatures import to_epoch_seconds
from xappiens_whatsapp.permissions import is_manager
from xappiens_whatsapp.pipeline import realtime, settings
from xappiens_whatsapp.pipeline.gateway import inbox_hub
from xappiens_whatsapp.pipeline.times import from_epoch

WEBHOOK_PATH = "/api/method/xappiens_whatsapp.api.webhook.handle_webhook"
ROTATION_GRACE_HOURS = 24


def _manager_session(session: str):
	if not is_manager():
		raise frappe.PermissionError(_("Only WhatsApp managers can manage sessions"))
	return frappe.get_doc("WhatsApp Session", session)


def _gateway_error(exc: ProviderError):
	frappe.throw(_("The gateway refused: {0}").format(exc.message), title=_("WhatsApp gateway"))


def _require_gateway_id(doc) -> int:
	if not doc.gateway_id:
		frappe.throw(_("Create this session on the gateway first"))
	return doc.gateway_id


def _apply_info(doc, info) -> str:
	"""Record what the gateway said about the session (a poll, or an action's answer)."""
	state, known = map_session_status(info.status, info.is_connected)
	changes = {"status": str(state), "status_reason": None if known else f"Unknown status: {info.status}"}
	if info.id:
		changes["gateway_id"] = info.id
	if info.phone_number:
		changes["phone_number"] = "+" + str(info.phone_number).lstrip("+")
	if info.qr_code and state == SessionState.QR_REQUIRED:
		changes["qr_code"] = info.qr_code
	if state in (SessionState.CONNECTED, SessionState.DISCONNECTED):
		changes.update(qr_code=None, qr_expires_at=None)
	frappe.db.set_value("WhatsApp Session", doc.name, changes)
	realtime.session_changed(doc.name, changes["status"])
	return changes["status"]


def webhook_url() -> str:
	return settings.site_url() + WEBHOOK_PATH


@frappe.whitelist(methods=["POST"])
def create_on_gateway(session: str) -> dict:
	"""Register the session with this site's endpoint, a fresh secret and every event, then start linking."""
	doc = _manager_session(session)
	secret = doc.get_password("webhook_secret", raise_exception=False) or secrets.token_urlsafe(32)
	url = webhook_url()
	try:
		with inbox_hub() as client:
			info = client.create_session(
				doc.session_id, doc.session_name or doc.session_id, url, secret, events=ALL_EVENTS
			)
			doc.db_set({"gateway_id": info.id, "webhook_url": url})
			_store_secret(doc, secret)
			info = client.connect(info.id) if info.id else info
	except ProviderError as exc:
		_gateway_error(exc)
	return {"status": _apply_info(doc, info), "gateway_id": doc.gateway_id}


def _store_secret(doc, secret: str) -> None:
	from frappe.utils.password import set_encrypted_password

	set_encrypted_password("WhatsApp Session", doc.name, secret, "webhook_secret")


def _action(session: str, action: str) -> dict:
	doc = _manager_session(session)
	gateway_id = _require_gateway_id(doc)
	try:
		with inbox_hub() as client:
			info = getattr(client, action)(gateway_id)
	except ProviderError as exc:
		_gateway_error(exc)
	return {"status": _apply_info(doc, info)}


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


@frappe.whitelist()
def get_qr(session: str) -> dict:
	"""The current QR for linking a phone: the one a session.qr event brought, or a fresh one from the gateway."""
	doc = _manager_session(session)
	fresh = (
		doc.qr_code and doc.qr_expires_at and frappe.utils.get_datetime(doc.qr_expires_at) > now_datetime()
	)
	if not fresh and doc.gateway_id and doc.status not in ("Connected",):
		try:
			with inbox_hub() as client:
				qr = client.get_qr(doc.gateway_id)
		except ProviderNotFound:
			qr = None  # not generated yet: a session.qr event will bring it
		except ProviderError as exc:
			_gateway_error(exc)
		if qr:
			expires = (
				from_epoch(to_epoch_seconds(qr.expires_at)) if qr.expires_at else add_to_date(None, minutes=5)
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
	old = doc.get_password("webhook_secret", raise_exception=False)
	new = secrets.token_urlsafe(32)
	if doc.gateway_id:
		try:
			with inbox_hub() as client:
				client.set_webhook(doc.gateway_id, webhook_url(), new)
		except ProviderError as exc:
			_gateway_error(exc)
	from frappe.utils.password import set_encrypted_password

	if old:
		set_encrypted_password("WhatsApp Session", doc.name, old, "previous_webhook_secret")
		doc.db_set("previous_secret_valid_until", add_to_date(None, hours=ROTATION_GRACE_HOURS))
	set_encrypted_password("WhatsApp Session", doc.name, new, "webhook_secret")
	return {"previous_valid_until": doc.previous_secret_valid_until}


@frappe.whitelist(methods=["POST"])
def send_test_event(session: str) -> dict:
	"""Sign a harmless event with the session's secret and post it to this site's public endpoint, from a
	background job, exactly as the gateway would. The desk then follows it with `test_event_status`."""
	doc = _manager_session(session)
	if not settings.webhook_secrets(doc.name):
		frappe.throw(_("This session has no webhook secret, and there is no default one"))
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
		"X-Webhook-Signature": sign(raw, settings.webhook_secrets(session)[0]),
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
	frappe.db.commit()


@frappe.whitelist()
def test_event_status(session: str, nonce: str) -> dict:
	_manager_session(session)
	last = json.loads(frappe.db.get_value("WhatsApp Session", session, "last_test_result") or "{}")
	outcome = last if last.get("nonce") == nonce else {}
	row = frappe.db.get_value(
		"Inbound Webhook", {"dedup_key": f"ih:test:{session}:{nonce}"}, ["name", "status"], as_dict=True
	)
	return {
		"posted": bool(outcome),
		"http_status": outcome.get("http_status"),
		"error": outcome.get("error"),
		"inbound": row.name if row else None,
		"status": row.status if row else None,
	}

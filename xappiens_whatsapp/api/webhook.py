"""Inbox Hub's webhook endpoint. Its path is part of the gateway's configuration: do not move it.

Verify, store, queue, answer: the work happens in a background job, so the gateway gets its 200 in a few
milliseconds and a retried delivery is recognised by its key and changes nothing.
"""

import hashlib
import time

import frappe
from frappe.rate_limiter import rate_limit

from xappiens_whatsapp.api.request import (
	BodyTooLarge,
	counted_per_peer,
	header,
	peer_address,
	raw_body,
	selected_headers,
	webhook_rate_limit,
)
from xappiens_whatsapp.core import inbox_hub_events as ih
from xappiens_whatsapp.core.signatures import is_fresh, matching_secret, signature_matches
from xappiens_whatsapp.pipeline import ingress, settings

PROVIDER = "Inbox Hub"
KEPT_HEADERS = ("X-Webhook-Event", "X-Webhook-Session", "X-Webhook-Timestamp", "Content-Type", "User-Agent")


def _trusted_proxies() -> str | None:
	return settings.whatsapp().trusted_proxies


# xss_safe: the body is read raw and verified, never through form_dict, so Frappe's HTML sanitising of every
# guest form field (an HTML parse each) would only cost time.
@frappe.whitelist(allow_guest=True, xss_safe=True, methods=["POST"])
@counted_per_peer(_trusted_proxies)
@rate_limit(limit=webhook_rate_limit, seconds=60)
def handle_webhook():
	frappe.local.flags.xw_endpoint_ran = True
	return receive()


def receive():
	conf = settings.whatsapp()
	remote = peer_address(conf.trusted_proxies)
	try:
		raw = raw_body(settings.int_setting(conf, "max_body_kb", 1024, minimum=1) * 1024)
	except BodyTooLarge:
		return ingress.reject(PROVIDER, "too_large", remote, status=413)

	try:
		body = ih.load_body(raw)
	except ih.PayloadError:
		body = None

	header_session = header("X-Webhook-Session")
	body_session = ih.read_envelope(body).session_id if body else None
	if header_session and body_session and header_session != body_session:
		return ingress.reject(PROVIDER, "session_mismatch", remote)
	session_id = body_session or header_session

	signature = header("X-Webhook-Signature") or header("X-Signature")
	header_time = header("X-Webhook-Timestamp")

	# The secret that verified this session's last webhook is tried first, from memory: the insert itself then
	# checks that it is still the one in force. Anything short of a stored row takes the full path below.
	remembered = settings.remembered_signer(session_id)
	if (
		remembered
		and body is not None
		and signature_matches(raw, signature, [remembered.secret])
		and not _stale(conf, header_time, body)
	):
		accepted = _store(raw, body, session_id, header_time, remote, guard=remembered)
		if accepted:
			return _received(accepted)
		settings.forget_signer(session_id)

	signers = settings.webhook_signers(session_id)
	if not signers:
		return ingress.reject(PROVIDER, "no_secret", remote)
	matched = matching_secret(raw, signature, [signer.secret for signer in signers])
	if matched is None:
		return ingress.reject(PROVIDER, "bad_signature", remote)
	if _stale(conf, header_time, body):
		return ingress.reject(PROVIDER, "stale_timestamp", remote)
	if body is None:
		store_unreadable(raw, session_id, selected_headers(KEPT_HEADERS), remote)
		return ingress.json_response(400, {"success": False, "error": "Body is not a JSON object"})
	settings.remember_signer(session_id, signers[matched])
	return _received(_store(raw, body, session_id, header_time, remote))


def _stale(conf, header_time: str | None, body: dict | None) -> bool:
	# The header is not signed, so the envelope's own (signed) time is checked too where it has one;
	# a replay of an identical body is caught by the delivery key.
	now, tolerance = time.time(), settings.int_setting(conf, "timestamp_tolerance", 300, minimum=1)
	if header_time is not None and not is_fresh(header_time, now, tolerance):
		return True
	return bool(
		body and body.get("timestamp") is not None and not is_fresh(body["timestamp"], now, tolerance)
	)


def _store(
	raw: bytes,
	body: dict,
	session_id: str | None,
	header_time: str | None,
	remote: str | None,
	guard: settings.Signer | None = None,
) -> ingress.Accepted | None:
	parsed = ih.parse(
		raw,
		header("X-Webhook-Event"),
		session_id,
		settings.ack_scale(),
		body=body,
		header_timestamp=header_time,
	)
	ignored = parsed.event.reason if isinstance(parsed.event, ih.Ignored) else None
	return ingress.accept(
		provider=PROVIDER,
		dedup_key=parsed.dedup_key,
		event=parsed.envelope.event or parsed.envelope.raw_event,
		raw_event=parsed.envelope.raw_event,
		session_id=session_id,
		reference_key=parsed.reference_key,
		payload=raw,
		headers=selected_headers(KEPT_HEADERS),
		remote_addr=remote,
		ignored_reason=ignored,
		guard=guard,
	)


def _received(accepted: ingress.Accepted):
	return ingress.json_response(
		200, {"success": True, "received": True, "id": accepted.name, "duplicate": accepted.duplicate}
	)


def store_unreadable(raw: bytes, session_id: str | None, kept: dict, remote: str | None) -> None:
	"""A signed body we cannot read is kept for inspection, once."""
	ingress.accept(
		provider=PROVIDER,
		dedup_key="ih:bad:" + hashlib.sha256(raw).hexdigest(),
		event="unreadable",
		raw_event=header("X-Webhook-Event"),
		session_id=session_id,
		reference_key=None,
		payload=raw,
		headers=kept,
		remote_addr=remote,
		ignored_reason="The body is not a JSON object",
	)

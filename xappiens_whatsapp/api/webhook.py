"""Inbox Hub's webhook endpoint. Its path is part of the gateway's configuration: do not move it.

Verify, store, queue, answer: the work happens in a background job, so the gateway gets its 200 in a few
milliseconds and a retried delivery is recognised by its key and changes nothing.

The session a delivery names is checked before anything else, without a query: every id it carries (header and
body) must be a well-formed session id, and all the same one. It is verified against the secrets of exactly that
session and stored under exactly that id.
"""

import hashlib
import time

import frappe

from xappiens_whatsapp.api.request import BodyTooLarge, header, peer_address, raw_body, selected_headers
from xappiens_whatsapp.core import inbox_hub_events as ih
from xappiens_whatsapp.core.inbox_hub_ids import is_session_id
from xappiens_whatsapp.core.signatures import matching_secret, signature_matches, to_epoch_seconds
from xappiens_whatsapp.pipeline import settings
from xappiens_whatsapp.pipeline.inbox import ingress
from xappiens_whatsapp.pipeline.whatsapp import webhook_signers as signing

PROVIDER = "Inbox Hub"
KEPT_HEADERS = ("X-Webhook-Event", "X-Webhook-Session", "X-Webhook-Timestamp", "Content-Type", "User-Agent")


class Unreadable(Exception):
	"""A verified body that cannot be made into an event: kept for inspection and answered 400."""


# xss_safe: the body is read raw and verified, never through form_dict, so Frappe's HTML sanitising of every
# guest form field (an HTML parse each) would only cost time. Not rate limited as such: refusals are counted per
# caller (ingress.reject), so a provider's verified bursts are never turned away.
@frappe.whitelist(allow_guest=True, xss_safe=True, methods=["POST"])
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

	session_id, problem = claimed_session(body)
	if problem:
		return ingress.reject(PROVIDER, problem, remote)
	signature = header("X-Webhook-Signature") or header("X-Signature")
	if not signature:
		return ingress.reject(PROVIDER, "no_signature", remote)

	verified = []
	try:
		return _verify_and_store(conf, raw, body, session_id, signature, remote, verified)
	except Exception:
		if verified:
			raise  # the provider's own delivery failed: Frappe's error log may have it (no secret is in scope)
		# Nothing of an unverified request reaches Frappe's error log, whose tracebacks hold every frame's
		# variables: a line in the app's log, and a 503 so that a real provider tries again.
		frappe.logger("xappiens_whatsapp").error("could not verify an Inbox Hub webhook", exc_info=True)
		return ingress.json_response(503, {"success": False, "error": "Temporarily unavailable"})


def claimed_session(body: dict | None) -> tuple[str | None, str | None]:
	"""(the one session id the delivery names, exactly as sent, or None; the reason to refuse it, or None)."""
	claims = []
	given = frappe.get_request_header("X-Webhook-Session")
	if given not in (None, ""):
		claims.append(given)
	if body is not None:
		claims += ih.session_ids_in(body)
	if any(not is_session_id(claim) for claim in claims):
		return None, "bad_session_id"
	if len(set(claims)) > 1:
		return None, "session_mismatch"
	return (claims[0] if claims else None), None


def _verify_and_store(conf, raw: bytes, body, session_id, signature: str, remote, verified: list):
	header_time = header("X-Webhook-Timestamp")
	# The secret that verified this session's last webhook is tried first, from memory: the insert itself then
	# checks that it is still the one in force. Anything short of a stored row takes the full path below.
	remembered = signing.remembered_signer(session_id)
	if (
		remembered
		and body is not None
		and signature_matches(raw, signature, [remembered.secret])
		and time_problem(conf, header_time, body) is None
	):
		verified.append(True)
		accepted = _store(raw, body, session_id, remote, guard=(remembered.guard, remembered.params))
		if accepted:
			return _received(accepted)
		verified.clear()
		signing.forget_signer(session_id)

	signers = signing.webhook_signers(session_id)
	if not signers:
		return ingress.reject(PROVIDER, "no_secret", remote)
	matched = matching_secret(raw, signature, [signer.secret for signer in signers])
	if matched is None:
		return ingress.reject(PROVIDER, "bad_signature", remote)
	problem = time_problem(conf, header_time, body)
	if problem:
		return ingress.reject(PROVIDER, problem, remote, status=400 if problem == "bad_timestamp" else 401)
	verified.append(True)
	if body is None:
		return _unreadable(raw, session_id, remote, "The body is not a JSON object")
	signing.remember_signer(session_id, signers[matched])
	try:
		return _received(_store(raw, body, session_id, remote))
	except Unreadable as exc:
		return _unreadable(raw, session_id, remote, str(exc))


def time_problem(conf, header_time: str | None, body: dict | None) -> str | None:
	"""Why the delivery's times refuse it, or None. The envelope's `timestamp` is signed, so a captured body
	cannot be replayed once it is older than the tolerance; the header's is not signed, but is checked too."""
	now, tolerance = time.time(), settings.int_setting(conf, "timestamp_tolerance", 300, minimum=1)
	for value in (header_time, body.get("timestamp") if body else None):
		if value is None:
			continue
		seconds = to_epoch_seconds(value)
		if seconds is None:
			return "bad_timestamp"
		if abs(now - seconds) > tolerance:
			return "stale_timestamp"
	return None


def _store(
	raw: bytes,
	body: dict,
	session_id: str | None,
	remote: str | None,
	guard: tuple[str, dict] | None = None,
) -> ingress.Accepted | None:
	try:
		parsed = ih.parse(raw, header("X-Webhook-Event"), session_id, settings.ack_scale(), body=body)
	except Exception as exc:
		# Parsing never raises for a JSON object (its tests feed it every hostile value); should it, the delivery
		# is kept and answered as unreadable rather than failing the provider's request.
		frappe.logger("xappiens_whatsapp").error("could not parse an Inbox Hub webhook", exc_info=True)
		raise Unreadable(f"The body could not be read ({type(exc).__name__})") from None
	return accept_parsed(parsed, raw, session_id, selected_headers(KEPT_HEADERS), remote, guard)


def accept_parsed(
	parsed: ih.Parsed,
	raw: bytes,
	session_id: str | None,
	headers: dict,
	remote: str | None,
	guard: tuple[str, dict] | None = None,
) -> ingress.Accepted:
	"""Keep a parsed delivery in the inbox (once per dedup key); its job applies it."""
	ignored = parsed.event.reason if isinstance(parsed.event, ih.Ignored) else None
	return ingress.accept(
		provider=PROVIDER,
		dedup_key=parsed.dedup_key,
		event=parsed.envelope.event or parsed.envelope.raw_event,
		raw_event=parsed.envelope.raw_event,
		session_id=session_id,
		reference_key=parsed.reference_key,
		payload=raw,
		headers=headers,
		remote_addr=remote,
		ignored_reason=ignored,
		guard=guard,
	)


def _received(accepted: ingress.Accepted):
	return ingress.json_response(
		200, {"success": True, "received": True, "id": accepted.name, "duplicate": accepted.duplicate}
	)


def _unreadable(raw: bytes, session_id: str | None, remote: str | None, reason: str):
	store_unreadable(raw, session_id, selected_headers(KEPT_HEADERS), remote, reason)
	return ingress.json_response(400, {"success": False, "error": reason})


def store_unreadable(
	raw: bytes,
	session_id: str | None,
	kept: dict,
	remote: str | None,
	reason: str = "The body is not a JSON object",
) -> None:
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
		ignored_reason=reason,
	)

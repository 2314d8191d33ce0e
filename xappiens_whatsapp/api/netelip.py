"""Netelip's callbacks: the control URL (asks what to do next, synchronously) and the report URL (final CDRs).

Netelip signs nothing and publishes no addresses, so the origin is checked in depth, every layer failing
closed: an optional address allowlist that believes X-Forwarded-For only from trusted proxies (checked first),
a secret token in the URL (or the X-Netelip-Token header) compared in constant time, the API application's
name (required: with none configured nothing passes) and the call ID's shape.
Accepted events take the same durable path as WhatsApp's: one Inbound Webhook row each, then a job.
"""

import hashlib
import json

import frappe

from xappiens_whatsapp.api import netelip_token
from xappiens_whatsapp.api.request import BodyTooLarge, peer_address, raw_body
from xappiens_whatsapp.core import netelip_events as ne
from xappiens_whatsapp.core.netelip_answers import ControlAnswer
from xappiens_whatsapp.core.origin import application_reason, cached_networks, ip_allowed, token_matches
from xappiens_whatsapp.pipeline import settings
from xappiens_whatsapp.pipeline.inbox import ingress
from xappiens_whatsapp.pipeline.netelip import control as answers

PROVIDER = "Netelip"
MAX_BODY = 512 * 1024


# xss_safe: the body is read raw and verified, never through form_dict, so Frappe's HTML sanitising of every
# guest form field (an HTML parse each) would only cost time.
# Not rate limited as such: refusals are counted per caller (ingress.reject), never Netelip's own callbacks.
@frappe.whitelist(allow_guest=True, xss_safe=True, methods=["POST"])
def control():
	frappe.local.flags.xw_endpoint_ran = True
	return receive_control()


@frappe.whitelist(allow_guest=True, xss_safe=True, methods=["POST"])
def report():
	frappe.local.flags.xw_endpoint_ran = True
	return receive_report()


def _webhook_token() -> str | None:
	from frappe.utils.password import get_decrypted_password

	return get_decrypted_password(
		"Netelip Settings", "Netelip Settings", "webhook_token", raise_exception=False
	)


def check_origin(conf) -> tuple[str | None, str | None, int]:
	"""(rejection reason or None, caller address, status to answer).

	The address comes first: a caller outside the allowlist is refused the same way whatever token it sends,
	so the answer never tells it whether a token is right."""
	remote = peer_address(conf.trusted_proxies)
	if conf.allowed_sources:
		try:
			allowed = cached_networks(conf.allowed_sources)
		except ValueError:
			return "bad_allowlist", remote, 403
		if not ip_allowed(remote, allowed):
			return "bad_origin", remote, 403
	if not token_matches(netelip_token.given(), _webhook_token()):
		return "bad_token", remote, 401
	if not (conf.api_application or "").strip():
		return "no_application", remote, 403
	return None, remote, 200


def read_fields(raw: bytes) -> object:
	"""The posted fields, whatever the encoding: JSON (object or list), form-encoded or multipart."""
	if frappe.request.mimetype in ("application/json", "text/json") or raw.lstrip()[:1] in (b"{", b"["):
		return ne.load_json(raw)
	fields = frappe.request.form.to_dict(flat=True)
	for key, value in frappe.request.args.items():
		fields.setdefault(key, value)
	fields.pop("token", None)
	return fields


def _kept_fields(fields: dict) -> str:
	return json.dumps(
		{k: v for k, v in fields.items() if k.lower() != "token"}, ensure_ascii=False, default=str
	)


def _reject(reason: str, remote: str | None, status: int):
	return ingress.reject(PROVIDER, reason, remote, status=status)


def _store(
	event: ne.CallEvent, fields: dict, source: str, remote: str | None, answer: ControlAnswer | None = None
) -> ingress.Accepted:
	return ingress.accept(
		provider=PROVIDER,
		dedup_key=ne.dedup_key(event),
		event=f"call.{source}",
		raw_event=event.raw_status or source,
		session_id=None,
		reference_key=event.call_id,
		payload=_kept_fields(fields),
		headers={"source": source},
		remote_addr=remote,
		extra=answer.stored() if answer else None,
	)


def _store_unreadable(raw: bytes, reason: str, remote: str | None, source: str) -> None:
	ingress.accept(
		provider=PROVIDER,
		dedup_key=f"netelip:bad:{source}:" + hashlib.sha256(raw).hexdigest(),
		event=f"call.{source}",
		raw_event="unreadable",
		session_id=None,
		reference_key=None,
		payload=raw,
		headers={"source": source},
		remote_addr=remote,
		ignored_reason=reason,
	)


def _guarded(conf):
	"""(refusal, caller address, body). A refusal is the response to give a request that may not pass."""
	reason, remote, status = check_origin(conf)
	if reason:
		return _reject(reason, remote, status), remote, b""
	try:
		return None, remote, raw_body(MAX_BODY)
	except BodyTooLarge:
		return _reject("too_large", remote, 413), remote, b""


def receive_control():
	conf = settings.netelip()
	refusal, remote, raw = _guarded(conf)
	if refusal:
		return refusal
	try:
		fields = read_fields(raw)
		if not isinstance(fields, dict):
			raise ne.ParseError("control fields are not an object")
		event = ne.parse_control(fields, settings.default_region())
	except ne.ParseError as exc:
		_store_unreadable(raw, str(exc), remote, "control")
		return ingress.json_response(400, {"success": False, "error": "Unreadable call event"})
	refused = application_reason(event.application, conf.api_application)
	if refused:
		return _reject(refused, remote, 403)
	# Answering is a small read (and, once per click-to-call, a claim on its row); the event itself is
	# applied by the job, like every other.
	answer = answers.control_answer(event, ne.dedup_key(event))
	# The claim is committed before the inbox row is touched: holding the call's row while locking the inbox
	# row would be the reverse of a job's order, a deadlock for a retried POST. A retry finds its own claim.
	frappe.db.commit()
	_store(event, fields, "control", remote, answer)
	return ingress.json_response(200, answer.to_netelip())


def receive_report():
	conf = settings.netelip()
	refusal, remote, raw = _guarded(conf)
	if refusal:
		return refusal
	try:
		result = ne.read_report(read_fields(raw), settings.default_region())
	except ne.ParseError as exc:
		_store_unreadable(raw, str(exc), remote, "report")
		return ingress.json_response(400, {"success": False, "error": "Unreadable report"})
	ours, refused = _by_application(result.events, conf.api_application)
	for reason in sorted(set(refused)):
		ingress.count_rejection(PROVIDER, reason, remote)
	if refused and not ours:
		# Nothing in it is for this application: refused like a control POST, never a silent 200.
		return ingress.json_response(403, {"success": False, "error": "Forbidden"})
	stored = [_store(event, event.raw, "report", remote) for event in ours]
	if result.rejected:
		_store_unreadable(raw, _rejected_summary(result.rejected), remote, "report")
	duplicates = sum(s.duplicate for s in stored)
	return ingress.json_response(
		200,
		{
			"success": True,
			"accepted": len(stored) - duplicates,
			"duplicates": duplicates,
			"rejected": len(result.rejected) + len(refused),
		},
	)


def _rejected_summary(rejected: list[tuple[int, str]], shown: int = 20) -> str:
	"""Why records were refused, the first few in full: a report of thousands of bad records still fits."""
	parts = [f"record {i}: {why}" for i, why in rejected[:shown]]
	if len(rejected) > shown:
		parts.append(f"and {len(rejected) - shown} more")
	return "; ".join(parts)


def _by_application(events: list[ne.CallEvent], expected: str | None) -> tuple[list[ne.CallEvent], list[str]]:
	"""(the records of our application, the refusal reason of each other one)."""
	ours, refused = [], []
	for event in events:
		reason = application_reason(event.application, expected)
		if reason:
			refused.append(reason)
		else:
			ours.append(event)
	return ours, refused

"""Requests no provider would make, against both providers' endpoints: each must be refused (4xx), and only the
authentic-yet-unreadable ones are kept, once, as Ignored rows. Loopback only, like the simulator."""

from __future__ import annotations

import json
import random
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import requests

from xappiens_whatsapp.core.signatures import serialise, sign
from xappiens_whatsapp.testing.sim_calls import madrid_time
from xappiens_whatsapp.testing.sim_delivery import iso
from xappiens_whatsapp.testing.sim_limits import CONTROL_PATH, REPORT_PATH, WEBHOOK_PATH
from xappiens_whatsapp.testing.sim_sending import http_session, pin
from xappiens_whatsapp.testing.simulator import new_message_id


@dataclass(frozen=True)
class Hostile:
	"""A request no provider would make: it must get a 4xx and store nothing that gets processed.

	`stores` is True for the few that are authentic but unreadable: the app keeps those once as Ignored rows
	for inspection (never processed)."""

	label: str
	path: str = field(repr=False)  # a Netelip path carries the callback token
	body: bytes = field(repr=False)
	headers: dict[str, str] = field(repr=False)  # signatures
	stores: bool = False
	raw_head: str | None = None  # header lines written as they are, over a plain socket


# Far past any JSON parser's recursion limit, yet small enough (20 KB) to pass a 64 KB body cap and reach it.
DEPTH = 10_000


def _raw(label: str, body: bytes, head: str) -> Hostile:
	return Hostile(label, WEBHOOK_PATH, body, {}, raw_head=head)


def post_hostile(base_url: str, case: Hostile, site: str | None = None, timeout: float = 30.0) -> int | None:
	"""Send one hostile request; the HTTP status, or None when the server closed without answering. Loopback
	only, like `send`."""
	target, host_header = pin(base_url)
	if case.raw_head is None:
		headers = {**case.headers, "Host": host_header, **({"X-Frappe-Site-Name": site} if site else {})}
		try:
			with http_session() as http:
				return http.post(
					target + case.path,
					data=case.body,
					headers=headers,
					timeout=timeout,
					allow_redirects=False,
				).status_code
		except requests.RequestException:
			return None
	parts = urlsplit(target)
	head = (
		f"POST {case.path} HTTP/1.1\r\nHost: {host_header}\r\nContent-Type: application/json\r\n"
		f"Connection: close\r\n{case.raw_head}\r\n"
	)
	if "Content-Length" not in case.raw_head:
		head += f"Content-Length: {len(case.body)}\r\n"
	if site:
		head += f"X-Frappe-Site-Name: {site}\r\n"
	with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as conn:
		conn.sendall(head.encode("latin-1") + b"\r\n" + case.body)
		answer = b""
		while b"\r\n" not in answer:
			chunk = conn.recv(4096)
			if not chunk:
				break
			answer += chunk
	try:
		return int(answer.split(b" ", 2)[1])
	except (IndexError, ValueError):
		return None


def hostile_requests(
	session_id: str,
	secret: str,
	netelip_token: str,
	*,
	now: float | None = None,
	seed: int = 0,
	netelip_application: str | None = None,
) -> list[Hostile]:
	"""Malformed, truncated, mistyped, deeply nested, huge, non-UTF-8, header-injected, replayed, wrongly
	signed and forged requests against both providers' endpoints."""
	now = time.time() if now is None else now
	rng = random.Random(seed)
	message_id = new_message_id(rng)
	good = {
		"event": "message.received",
		"sessionId": session_id,
		"data": {
			"id": {"fromMe": False, "remote": "34699000001@c.us", "id": message_id},
			"body": "hostile",
			"type": "chat",
			"timestamp": int(now),
			"from": "34699000001@c.us",
			"fromMe": False,
		},
		"timestamp": iso(now),
	}

	def signed(label: str, body: bytes, *, key: str = secret, stamp: float = now, stores=False, **extra):
		headers = {
			"Content-Type": "application/json",
			"X-Webhook-Event": "message.received",
			"X-Webhook-Session": session_id,
			"X-Webhook-Timestamp": str(int(stamp * 1000)),
			"X-Webhook-Signature": sign(body, key),
			**extra,
		}
		return Hostile(label, WEBHOOK_PATH, body, headers, stores)

	raw = serialise(good)
	old = {**good, "timestamp": iso(now - 3600)}
	deep = b'{"event":"message.received","sessionId":"' + session_id.encode() + b'","data":'
	deep += b"[" * DEPTH + b"]" * DEPTH + b"}"
	huge = serialise({**good, "data": {**good["data"], "body": "x" * (2 * 1024 * 1024)}})
	cases = [
		signed("truncated json", raw[: len(raw) // 2], stores=True),
		signed("malformed json", b'{"event": "message.received", "sessionId": ', stores=True),
		signed("json array", b"[1,2,3]", stores=True),
		signed("json scalar", b"42", stores=True),
		signed("invalid utf-8", b'{"event":"message.received","data":{"body":"\xff\xfe\xfd"}}', stores=True),
		signed("deep nesting", deep, stores=True),
		signed("huge body", huge),
		signed("wrong secret", raw, key="not-the-secret-0123456789"),
		signed("replayed signature, old header timestamp", raw, stamp=now - 3600),
		signed("replayed signature, future timestamp", raw, stamp=now + 3600),
		signed("old envelope with a fresh header", serialise(old)),
		Hostile(
			"no signature",
			WEBHOOK_PATH,
			raw,
			{"Content-Type": "application/json", "X-Webhook-Session": session_id},
		),
		Hostile(
			"garbage signature",
			WEBHOOK_PATH,
			raw,
			{"Content-Type": "application/json", "X-Webhook-Signature": "sha256=" + "z" * 64},
		),
		signed("session in header differs from body", raw, **{"X-Webhook-Session": session_id + "_other"}),
		signed(
			"encoded CRLF and unicode in the session header",
			raw,
			**{
				"X-Webhook-Session": session_id + "%0d%0aX-Injected:%201",
				"X-Forwarded-For": "1.2.3.4, 5.6.7.8",
			},
		),
		_raw(
			"bare LF inside a header value",
			raw,
			f"X-Webhook-Event: message.received\nX-Webhook-Signature: sha256={'0' * 64}",
		),
		_raw(
			"NUL byte in a header",
			raw,
			f"X-Webhook-Session: {session_id}\x00\r\nX-Webhook-Signature: sha256=00",
		),
		_raw("conflicting Content-Length", raw, "Content-Length: 3\r\nX-Webhook-Signature: sha256=00"),
		_raw(
			"CRLF smuggling a second request",
			raw,
			"X-Webhook-Signature: x\r\n\r\nGET /api/method/ping HTTP/1.1\r\nX-A: b",
		),
		signed(
			"wrong content type, signed with another secret",
			raw,
			key="x" * 32,
			**{"Content-Type": "text/plain"},
		),
	]
	# The well-typed-but-wrong payloads are authentic, so they are answered 200 and stored as Ignored (see
	# `authentic_oddities`); here only what must be refused.
	bad_netelip_token = "?" + urlencode({"token": "forged-token-0123456789"})
	real = "?" + urlencode({"token": netelip_token})
	fields = _hostile_call_fields(now, 1, netelip_application)
	form = "application/x-www-form-urlencoded"
	cases += [
		Hostile("netelip: no token", CONTROL_PATH, urlencode(fields).encode(), {"Content-Type": form}),
		Hostile(
			"netelip: forged token",
			CONTROL_PATH + bad_netelip_token,
			urlencode(fields).encode(),
			{"Content-Type": form},
		),
		Hostile(
			"netelip: token in X-Forwarded-For only",
			CONTROL_PATH,
			urlencode(fields).encode(),
			{"Content-Type": form, "X-Forwarded-For": netelip_token},
		),
		Hostile(
			"netelip report: forged token",
			REPORT_PATH + bad_netelip_token,
			json.dumps({"calls": [fields]}).encode(),
			{"Content-Type": "application/json"},
		),
		Hostile(
			"netelip: malformed json",
			CONTROL_PATH + real,
			b'{"ID": "1.2", ',
			{"Content-Type": "application/json"},
			stores=True,
		),
		Hostile(
			"netelip: bad call id",
			CONTROL_PATH + real,
			urlencode({**fields, "ID": "1e10; drop table"}).encode(),
			{"Content-Type": form},
			stores=True,
		),
		Hostile(
			"netelip: huge body",
			CONTROL_PATH + real,
			b"ID=" + b"1" * (700 * 1024),
			{"Content-Type": form},
		),
		Hostile(
			"netelip: invalid utf-8",
			CONTROL_PATH + real,
			b"ID=\xff\xfe&api=\xc3\x28",
			{"Content-Type": form},
			stores=True,
		),
		Hostile(
			"netelip: deep nesting",
			REPORT_PATH + real,
			b"[" * DEPTH + b"]" * DEPTH,
			{"Content-Type": "application/json"},
			stores=True,
		),
	]
	return cases


ALLOWLIST_WITHOUT_US = "203.0.113.0/24"  # a documentation range: never this machine


def _hostile_call_fields(now: float, seq: int, application: str | None) -> dict:
	"""A well-formed inbound control step (call `<now>.000<seq>` from 60000000<seq>), for the hostile cases."""
	return {
		"ID": f"{int(now)}.{seq:04d}",
		"api": application or "API sim",
		"src": f"60000000{seq}",
		"dst": "910000001",
		"startcall": madrid_time(now),
	}


def forged_netelip_origins(
	netelip_token: str, *, netelip_application: str | None = None, now: float | None = None
) -> list[Hostile]:
	"""Correct token and application, sent from this machine while Netelip's address allowlist is
	`ALLOWLIST_WITHOUT_US`, claiming in X-Forwarded-For to come from an allowed address: each must get 403."""
	now = time.time() if now is None else now
	real = "?" + urlencode({"token": netelip_token})
	fields = _hostile_call_fields(now, 2, netelip_application)
	form = "application/x-www-form-urlencoded"
	cdr = {**fields, "statuscall": "ANSWER", "durationcall": "10", "durationcallanswered": "5"}
	return [
		Hostile(
			"netelip: outside the allowlist",
			CONTROL_PATH + real,
			urlencode(fields).encode(),
			{"Content-Type": form},
		),
		Hostile(
			"netelip: allowed address forged in X-Forwarded-For",
			CONTROL_PATH + real,
			urlencode(fields).encode(),
			{"Content-Type": form, "X-Forwarded-For": "203.0.113.5"},
		),
		Hostile(
			"netelip report: allowed address forged in X-Forwarded-For",
			REPORT_PATH + real,
			json.dumps({"calls": [cdr]}).encode(),
			{"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.5, 203.0.113.6"},
		),
	]


def authentic_oddities(session_id: str, secret: str, *, now: float | None = None) -> list[Hostile]:
	"""Correctly signed bodies with wrong types or unknown events: answered 200, stored once as Ignored or
	applied harmlessly, never a 500."""
	now = time.time() if now is None else now
	bodies = {
		"wrong types everywhere": {"event": "message.received", "sessionId": session_id, "data": "text"},
		"wrong types inside data": {
			"event": "message.received",
			"sessionId": session_id,
			"data": {"id": 5, "body": {"x": 1}, "fromMe": "maybe", "timestamp": "soon", "from": []},
		},
		"unknown event": {"event": "presence.update", "sessionId": session_id, "data": {"x": [1, 2]}},
		"ack with no message id": {"event": "message.ack", "sessionId": session_id, "data": {"ack": "x"}},
	}
	cases = []
	for label, payload in bodies.items():
		body = serialise({**payload, "timestamp": iso(now)})
		headers = {
			"Content-Type": "application/json",
			"X-Webhook-Session": session_id,
			"X-Webhook-Timestamp": str(int(now * 1000)),
			"X-Webhook-Signature": sign(body, secret),
		}
		cases.append(Hostile(label, WEBHOOK_PATH, body, headers, stores=True))
	return cases

"""Authentic deliveries carrying hostile values: what a broken gateway, or a customer whose words and names the
gateway passes on, can put in front of the endpoints.

Each field of each sample payload holds, in turn, values chosen (with a fixed seed) from `VALUES`: markup,
script, lone surrogates, numbers out of any range, absurd times, URLs of another scheme or of this site, huge
text, objects where text belongs. Inbox Hub bodies are correctly signed with fresh times; Netelip bodies carry
the real token and application. Each must be answered 200 (stored once, applied or Ignored) or 400, never a 5xx,
and nothing it stores may show as markup in the desk."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator

from xappiens_whatsapp.core.signatures import serialise, sign
from xappiens_whatsapp.testing.hostile_requests import Hostile
from xappiens_whatsapp.testing.payloads import inbox_hub
from xappiens_whatsapp.testing.sim_calls import madrid_time
from xappiens_whatsapp.testing.sim_delivery import iso
from xappiens_whatsapp.testing.sim_limits import CONTROL_PATH, REPORT_PATH, WEBHOOK_PATH

MARKUP = "<img src=x onerror=window.__xw_pwned=1>"
# label → the JSON text written where the field's value was
VALUES = {
	"markup": json.dumps(MARKUP),
	"script": json.dumps("</textarea><script>window.__xw_pwned=1</script>"),
	"lone surrogate": '"\\ud800"',
	"surrogate in text": '"Ana \\udfff <b>"',
	"1e400": "1e400",
	"-1e40": "-1e40",
	"huge integer": "9" * 40,
	"absurd time": json.dumps("0001-01-01T00:00:00+23:59"),
	"javascript url": json.dumps("javascript:window.__xw_pwned=1"),
	"path of this site": json.dumps("/files/%2e%2e/private/files/x.pdf"),
	"long text": json.dumps("x" * 5000),
	"object": '{"a": [1, {"b": null}], "c": "<svg onload=window.__xw_pwned=1>"}',
}
SAMPLES = (
	"g_message_received",
	"g_message_received_group",
	"f_message_document",
	"baileys_image_device",
	"baileys_lid_message",
	"f_reaction",
	"g_message_ack",
	"code_message_failed",
	"g_session_qr",
	"g_session_disconnected",
	"conversation_created",
	"contact_updated",
)
_SENTINEL = "__xw_hostile_value__"


def leaf_paths(value, path: tuple = ()) -> Iterator[tuple]:
	if isinstance(value, dict):
		for key, inner in value.items():
			yield from leaf_paths(inner, (*path, key))
	elif isinstance(value, list):
		for i, inner in enumerate(value):
			yield from leaf_paths(inner, (*path, i))
	else:
		yield path


def with_value(body: dict, path: tuple, literal: str) -> bytes:
	"""`body` as the gateway serialises it, with the field at `path` holding the JSON text `literal`."""
	copy = json.loads(json.dumps(body))
	target = copy
	for step in path[:-1]:
		target = target[step]
	target[path[-1]] = _SENTINEL
	return serialise(copy).replace(json.dumps(_SENTINEL).encode(), literal.encode())


def _choices(rng: random.Random, per_field: int) -> list[str]:
	return rng.sample(sorted(VALUES), per_field)


def inbox_hub_cases(
	session_id: str, secret: str, *, now: float | None = None, seed: int = 0, per_field: int = 2
):
	"""Signed Inbox Hub deliveries, one hostile value in one field each (its session id fields excepted: those
	are refused before anything else, see hostile_requests)."""
	now = time.time() if now is None else now
	rng = random.Random(seed)
	cases = []
	for name in SAMPLES:
		base = inbox_hub(name)
		if "sessionId" in base or "sessionId" not in base.get("data", {}):
			base["sessionId"] = session_id
		else:
			base["data"]["sessionId"] = session_id
		if "timestamp" in base:
			base["timestamp"] = iso(now)
		for path in leaf_paths(base):
			if path[-1] == "sessionId":
				continue
			for label in _choices(rng, per_field):
				body = with_value(base, path, VALUES[label])
				headers = {
					"Content-Type": "application/json",
					"X-Webhook-Session": session_id,
					"X-Webhook-Timestamp": str(int(now * 1000)),
					"X-Webhook-Signature": sign(body, secret),
				}
				where = ".".join(str(step) for step in path)
				cases.append(
					Hostile(f"inbox hub {name}: {where} = {label}", WEBHOOK_PATH, body, headers, True)
				)
	return cases


def netelip_cases(
	token: str, application: str, *, now: float | None = None, seed: int = 0, per_field: int = 3
):
	"""Control steps and report records with the real token and application, one hostile value in one field each;
	a report carries two good records around the hostile one, which must be stored whatever the third holds."""
	now = time.time() if now is None else now
	rng = random.Random(seed)
	query = f"?token={token}"

	def call(seq: int, **extra) -> dict:
		return {
			"ID": f"{int(now)}.{seq:05d}",
			"api": application,
			"src": "600000009",
			"dst": "910000001",
			"startcall": madrid_time(now),
			"statuscall": "ANSWER",
			"durationcall": "12",
			"durationcallanswered": "7",
			**extra,
		}

	cases = []
	seq = 100
	for field in call(0):
		for label in _choices(rng, per_field):
			seq += 1
			control = with_value(call(seq), (field,), VALUES[label])
			headers = {"Content-Type": "application/json"}
			cases.append(
				Hostile(f"netelip control: {field} = {label}", CONTROL_PATH + query, control, headers, True)
			)
			records = {"calls": [call(seq + 1000), call(seq + 2000), call(seq + 3000)]}
			report = with_value(records, ("calls", 1, field), VALUES[label])
			cases.append(
				Hostile(f"netelip report: {field} = {label}", REPORT_PATH + query, report, headers, True)
			)
	return cases


def good_report_ids(case: Hostile) -> list[str]:
	"""The call ids of a report case's two good records (the first and the last)."""
	calls = json.loads(case.body.decode("utf-8", "replace"))["calls"]
	return [calls[0]["ID"], calls[2]["ID"]]

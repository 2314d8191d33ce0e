"""Delivery keys of Netelip events and what is stored of their fields.

Keys are stored: a retry after an upgrade must find the row an older version wrote, so their recipe is pinned:
`netelip:<ID>:<source>:` + the first 24 hex digits of the sha256 of the sorted (lower-case key, value as text)
pairs in compact JSON, a structured value written as JSON with sorted keys."""

import hashlib

from xappiens_whatsapp.core.netelip_events import dedup_key, parse_control, parse_report

FIRST = {
	"ID": "1525291061.0506",
	"api": "API 6230f",
	"src": "103",
	"dst": "103",
	"startcall": "2024-07-01 10:00:00",
}
AFTER_DIAL = {
	**FIRST,
	"command": "dial",
	"status": "OK",
	"statuscall": "ANSWER",
	"durationcall": "9",
	"durationcallanswered": "0",
}


def test_dedup_key_format():
	key = dedup_key(parse_control(FIRST))
	prefix, call_id, source, digest = key.split(":")
	assert (prefix, call_id, source) == ("netelip", "1525291061.0506", "control")
	assert len(digest) == 24
	assert int(digest, 16) >= 0
	assert len(key) <= 140


def test_a_key_is_pinned_to_its_recipe():
	event = parse_control({"ID": "1.1", "UserData": "Año", "extra": {"b": 1, "a": ["ñ"]}, "durationcall": 9})
	pairs = r'[["durationcall","9"],["extra","{\"a\": [\"ñ\"], \"b\": 1}"],["id","1.1"],["userdata","Año"]]'
	assert dedup_key(event) == "netelip:1.1:control:" + hashlib.sha256(pairs.encode()).hexdigest()[:24]


def test_a_structured_value_json_cannot_write_is_keyed_by_its_text():
	parts = {"ID": "1.1", "parts": [b"a", b"b"]}
	assert dedup_key(parse_control(parts)) == dedup_key(parse_control(dict(parts)))
	assert dedup_key(parse_control(parts)) != dedup_key(parse_control({**parts, "parts": [b"a", b"c"]}))


def test_retried_delivery_collides():
	retried = dict(reversed(list(AFTER_DIAL.items())))
	retried["durationcall"] = 9  # JSON number instead of form text
	retried["STATUSCALL"] = retried.pop("statuscall")
	assert dedup_key(parse_control(retried)) == dedup_key(parse_control(AFTER_DIAL))


def test_steps_of_one_call_do_not_collide():
	keys = {
		dedup_key(parse_control(FIRST)),
		dedup_key(parse_control(AFTER_DIAL)),
		dedup_key(parse_control({**FIRST, "command": "play", "status": "OK"})),
		dedup_key(parse_control({**AFTER_DIAL, "statuscall": "CANCEL", "durationcallanswered": "40"})),
		dedup_key(parse_control({**AFTER_DIAL, "dtmf": "1"})),
		dedup_key(parse_report([AFTER_DIAL])[0]),
	}
	assert len(keys) == 6


def test_secrets_and_routing_fields_are_not_stored_nor_keyed():
	event = parse_control({**FIRST, "token": "s3cret", "cmd": "xappiens_whatsapp.api.netelip.control"})
	assert "token" not in event.raw
	assert "cmd" not in event.raw
	assert dedup_key(event) == dedup_key(parse_control(FIRST))
	assert event.raw == FIRST

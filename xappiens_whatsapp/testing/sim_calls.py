"""The simulator's Netelip calls: control callbacks and the final report of each, as Netelip posts them, to one
number that marks them as simulated (see simulator.py)."""

from __future__ import annotations

import json
import random
import zlib
from datetime import datetime
from typing import Protocol
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from xappiens_whatsapp.core import netelip_events as ne
from xappiens_whatsapp.testing.sim_limits import CONTROL_PATH, REPORT_PATH

CALL_OUTCOMES = (("answered", 0.6, "Completed"), ("no_answer", 0.25, "No Answer"), ("busy", 0.15, "Busy"))
SIM_CALLED_NUMBER = "919999999"  # every simulated call is to this number: it marks them for cleanup
MADRID = ZoneInfo("Europe/Madrid")


def madrid_time(moment: float) -> str:
	return datetime.fromtimestamp(moment, MADRID).strftime("%Y-%m-%d %H:%M:%S")


def _multipart(fields: dict[str, str], rng: random.Random) -> tuple[bytes, str]:
	boundary = "----xwsim" + "".join(rng.choice("0123456789abcdef") for _ in range(16))
	parts = [
		f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
		for name, value in fields.items()
	]
	body = ("".join(parts) + f"--{boundary}--\r\n").encode()
	return body, f"multipart/form-data; boundary={boundary}"


def prefix_tag(prefix: str) -> str:
	"""Six digits derived from the session prefix, written into every simulated call id: with the number
	every simulated call goes to, a cleanup by prefix finds its own calls and leaves any other alone."""
	return f"{zlib.crc32(prefix.encode()) % 1_000_000:06d}"


def sim_call_pattern(prefix: str) -> str:
	"""A regular expression (MariaDB's and Python's) matching exactly the call ids simulated with `prefix`."""
	return rf"^[0-9]{{1,12}}\.{prefix_tag(prefix)}[0-9]{{9}}$"


class CallSink(Protocol):
	"""What the scenario's builder offers the calls: its random source, room left, and a Netelip delivery."""

	rng: random.Random

	def room(self, count: int) -> bool: ...

	def add_netelip(self, kind: str, path: str, body: bytes, content_type: str, keys: tuple) -> None: ...


def add_calls(
	b: CallSink,
	count: int,
	seed: int,
	session_prefix: str,
	token: str | None,
	application: str | None,
	start: float,
) -> dict[str, str]:
	"""`count` inbound calls ending answered, unanswered or busy; their final state by call id."""
	rng = b.rng
	query = "?" + urlencode({"token": token})
	calls: dict[str, str] = {}
	epoch = int(start) - 3600
	tag = prefix_tag(session_prefix)
	for n in range(count):
		if not b.room(3):
			break
		call_id = f"{epoch}.{tag}{seed % 10_000:04d}{n:05d}"
		roll, outcome, final = rng.random(), CALL_OUTCOMES[-1][0], CALL_OUTCOMES[-1][2]
		for name, share, state in CALL_OUTCOMES:
			if roll < share:
				outcome, final = name, state
				break
			roll -= share
		base = {
			"ID": call_id,
			"api": application or "API sim",
			"src": f"6{seed % 100:02d}{n:06d}"[:9],
			"dst": SIM_CALLED_NUMBER,
			"startcall": madrid_time(start - 60 + n),
			"typesrc": "did",
			"usersrc": f"6{seed % 100:02d}{n:06d}"[:9],
		}
		steps = [base]
		if outcome == "answered":
			steps.append({**base, "statuscall": "ANSWER", "command": "dial", "status": "OK"})
			cdr = {**base, "statuscall": "ANSWER", "durationcall": "75", "durationcallanswered": "61"}
		elif outcome == "no_answer":
			cdr = {**base, "statuscall": "NOANSWER", "durationcall": "30", "durationcallanswered": "0"}
		else:
			cdr = {**base, "statuscall": "BUSY", "durationcall": "3", "durationcallanswered": "0"}
		for fields in steps:
			key = ne.dedup_key(ne.parse_control(fields))
			b.add_netelip(
				"call.control",
				CONTROL_PATH + query,
				urlencode(fields).encode(),
				"application/x-www-form-urlencoded",
				(key,),
			)
		report = json.dumps([cdr], ensure_ascii=False)
		keys = tuple(ne.dedup_key(e) for e in ne.read_report({"calls": report}).events)
		body, content_type = _multipart({"calls": report}, rng)
		b.add_netelip("call.report", REPORT_PATH + query, body, content_type, keys)
		calls[call_id] = final
	return calls

"""A loopback stand-in for Netelip's API Voice v1, both directions.

As the API: answers POST /v1/voice (and /voice) like Netelip, `{"response":"200","ID":"<epoch>.<seq>"}`,
and records each launch. As Netelip calling us: `callback_control` posts a control-URL step (form-encoded)
and returns our JSON instruction; `post_report` posts final CDRs (multipart, field `calls`).

As a process (prints "fake-netelip listening on http://127.0.0.1:8766" once ready):
	python -m xappiens_whatsapp.testing.fake_netelip --port 8766 --token t --application "API test"

A wrong token is answered HTTP 200 `{"response":"401",…}` and a wrong application `{"response":"404",…}`,
our guess at Netelip's behaviour: what matters to the client is that `response` is not "200".
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import requests

from xappiens_whatsapp.testing import fake_http
from xappiens_whatsapp.testing.fake_http import FakeServer, Request, Response

DEFAULT_TOKEN = "test-netelip-token"
DEFAULT_APPLICATION = "API test"
REQUIRED_FIELDS = ("token", "api", "src", "dst")

try:
	from zoneinfo import ZoneInfo

	_MADRID: Any = ZoneInfo("Europe/Madrid")
except Exception:  # no tz database on this machine: UTC is close enough for a fake
	_MADRID = UTC


def madrid_now() -> str:
	"""`startcall` as Netelip writes it: "YYYY-MM-DD HH:MM:SS", Madrid local time."""
	return datetime.now(_MADRID).strftime("%Y-%m-%d %H:%M:%S")


class FakeNetelip(FakeServer):
	name = "fake-netelip"
	config_keys = frozenset({"token", "application"})

	def __init__(
		self,
		token: str = DEFAULT_TOKEN,
		application: str | None = DEFAULT_APPLICATION,
		host: str = "127.0.0.1",
		port: int = 0,
	) -> None:
		self.token = token
		self.application = application  # None: any `api` value is accepted
		self.launches: list[dict] = []
		self._seq = 0
		# GET /recordings/<name>: call recordings as Netelip serves them, (status, body, content type) by name
		self.recordings: dict[str, tuple[int, bytes, str]] = {}
		super().__init__(host, port)

	def add_recording(
		self, name: str, content: bytes, content_type: str = "audio/mpeg", status: int = 200
	) -> str:
		self.recordings[name] = (status, content, content_type)
		return f"{self.url}/recordings/{name}"

	# ---- API side ----------------------------------------------------------------------------------

	def route(self, request: Request) -> Response:
		if request.path.startswith("/recordings/") and request.method == "GET":
			found = self.recordings.get(request.path.removeprefix("/recordings/"))
			if not found:
				return Response(404, {"response": "404", "message": "Not found"})
			status, content, content_type = found
			return Response(status, content, content_type=content_type)
		if request.path.rstrip("/") not in ("/v1/voice", "/voice"):
			return Response(404, {"response": "404", "message": "Not found"})
		if request.method != "POST":
			return Response(405, {"response": "405", "message": "Method not allowed"})
		fields = request.form or {}
		missing = [name for name in REQUIRED_FIELDS if not fields.get(name)]
		if missing:
			return Response(200, {"response": "400", "message": f"Missing parameter {missing[0]}"})
		if fields["token"] != self.token:
			return Response(200, {"response": "401", "message": "Invalid token"})
		if self.application is not None and fields["api"] != self.application:
			return Response(200, {"response": "404", "message": "API not found"})
		with self._lock:
			self._seq += 1
			call_id = f"{int(time.time())}.{self._seq:04d}"
			self.launches.append({"ID": call_id, **{k: v for k, v in fields.items() if k != "token"}})
		return Response(200, {"response": "200", "ID": call_id})

	def default_error_body(self, fault: fake_http.Fault) -> Any:
		return {"response": str(fault.code or fault.status), "message": fault.error or "Scripted failure"}

	def reset_state(self) -> None:
		self.launches.clear()
		self._seq = 0

	def state(self) -> dict:
		with self._lock:
			return {
				"launches": [dict(x) for x in self.launches],
				"faults": fake_http.fault_dicts(self.faults),
			}

	# ---- Netelip calling the app -------------------------------------------------------------------

	def call_fields(self, launch: Mapping[str, Any] | None = None, **overrides: Any) -> dict[str, str]:
		"""Control-URL fields for a call (by default the last one launched), plus `overrides`.

		E.g. `call_fields(statuscall="ANSWER", durationcall="12", durationcallanswered="9")`.
		"""
		if launch is None:
			with self._lock:
				launch = self.launches[-1] if self.launches else {}
		fields = {
			"ID": str(launch.get("ID") or f"{int(time.time())}.0001"),
			"api": str(launch.get("api") or self.application or DEFAULT_APPLICATION),
			"src": str(launch.get("src", "")),
			"dst": str(launch.get("dst", "")),
			"startcall": madrid_now(),
			"typesrc": "ext",
			"usersrc": str(launch.get("src", "")),
		}
		if launch.get("userdata") is not None:
			fields["userdata"] = str(launch["userdata"])
		fields.update({k: str(v) for k, v in overrides.items() if v is not None})
		return fields

	@staticmethod
	def callback_control(url: str, fields: Mapping[str, Any], timeout: float = 10.0) -> tuple[int, Any]:
		"""POST one control-URL step, form-encoded; return (status, the JSON instruction or None)."""
		response = requests.post(url, data={k: str(v) for k, v in fields.items()}, timeout=timeout)
		try:
			answer = response.json()
		except ValueError:
			answer = None
		return response.status_code, answer

	@staticmethod
	def post_report(
		url: str, calls: list[dict], timeout: float = 10.0, api: str | None = None
	) -> tuple[int, str]:
		"""POST final call records as Netelip's report URL receives them: multipart, `calls` = JSON array.

		`api` adds the application name as a field of the delivery itself, beside `calls`.
		"""
		parts = {"calls": (None, json.dumps(calls, ensure_ascii=False))}
		if api is not None:
			parts["api"] = (None, api)
		response = requests.post(url, files=parts, timeout=timeout)
		return response.status_code, response.text

	def final_record(self, launch: Mapping[str, Any] | None = None, **overrides: Any) -> dict[str, str]:
		"""A report-URL record of a call, without `api` (the delivery's own field may carry it)."""
		record = self.call_fields(launch, **overrides)
		record.pop("api", None)
		return record


def main(argv: Sequence[str] | None = None) -> None:
	parser = fake_http.cli_parser("Fake Netelip API Voice on loopback", default_port=8766)
	parser.add_argument("--token", default=os.environ.get("FAKE_NETELIP_TOKEN", DEFAULT_TOKEN))
	parser.add_argument("--application", default=DEFAULT_APPLICATION, help="empty: accept any `api` value")
	fake_http.run_cli(
		lambda args: FakeNetelip(args.token, args.application or None, args.host, args.port), parser, argv
	)


if __name__ == "__main__":
	main()

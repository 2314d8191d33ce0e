"""The durable half of every webhook: one Inbound Webhook row per delivery, then a job to apply it.

The row is committed before a job is woken, so a worker always finds it, and a crash or a Redis outage
between the two only delays processing: the sweep wakes one for any row still in Received. The commit is the
caller's: a web request commits once when it ends, before its answer leaves (Frappe's own commit, so a second
one of ours would only add two round trips), and the job is woken by that commit's callback.
"""

import json
from dataclasses import dataclass

import frappe
import pymysql
from frappe.model.naming import make_autoname
from frappe.utils import now_datetime
from werkzeug.wrappers import Response

from xappiens_whatsapp.core.text import one_line, plain
from xappiens_whatsapp.pipeline import counts, settings
from xappiens_whatsapp.pipeline.inbox import jobs, rejections

_COLUMNS = (
	*("name", "creation", "modified", "owner", "modified_by", "provider", "event", "raw_event", "session_id"),
	*("reference_key", "dedup_key", "status", "note", "received_at", "payload", "headers", "remote_addr"),
)
# Columns one provider fills: the control answer given to a Netelip callback.
EXTRA_COLUMNS = {"answer_command": None, "answer_line": None, "answer_ring_seconds": 0}  # their defaults
_COLUMNS = (*_COLUMNS, *EXTRA_COLUMNS)
_COLUMN_LIST = ", ".join(f"`{c}`" for c in _COLUMNS)
_VALUE_LIST = ", ".join(f"%({c})s" for c in _COLUMNS)
_INSERT = f"insert into `tabInbound Webhook` ({_COLUMN_LIST}) values ({_VALUE_LIST})"
_GUARDED_INSERT = f"insert into `tabInbound Webhook` ({_COLUMN_LIST}) select {_VALUE_LIST} from dual where "


@dataclass
class Accepted:
	name: str
	duplicate: bool
	queued: bool  # a job will be woken for it once the transaction commits


def accept(
	*,
	provider: str,
	dedup_key: str,
	event: str,
	raw_event: str | None,
	session_id: str | None,
	reference_key: str | None,
	payload: bytes | str,
	headers: dict,
	remote_addr: str | None,
	ignored_reason: str | None = None,
	guard: tuple[str, dict] | None = None,
	extra: dict | None = None,
) -> Accepted | None:
	"""Store a delivery once, in the caller's transaction. A retried delivery finds its first row and queues
	nothing new.

	With `guard` (an SQL condition and its parameters, e.g. that the secret which verified this delivery is still
	the one in force), the row is inserted only while the condition holds; None means it did not, and nothing was
	stored. `extra`: values of the provider's own columns (EXTRA_COLUMNS), e.g. the answer Netelip was given."""
	if isinstance(payload, bytes):
		payload = payload.decode("utf-8", errors="replace")
	now = now_datetime()
	values = {
		"provider": provider,
		"event": one_line(event, 140) or "",
		"raw_event": one_line(raw_event, 140) or "",
		# Ids are stored exactly as verified: a cut id could name another session or message.
		"session_id": session_id or None,
		"reference_key": reference_key or None,
		"dedup_key": dedup_key,
		"status": "Ignored" if ignored_reason else "Received",
		"note": plain(ignored_reason, 1000),
		"received_at": now,
		"payload": payload,
		"headers": json.dumps(headers, ensure_ascii=False, sort_keys=True),
		"remote_addr": one_line(remote_addr, 140),
		**EXTRA_COLUMNS,
		**{column: value for column, value in (extra or {}).items() if column in EXTRA_COLUMNS},
		"creation": now,
		"modified": now,
		"owner": frappe.session.user,
		"modified_by": frappe.session.user,
	}
	statement = _INSERT
	if guard is not None:
		condition, params = guard
		statement = _GUARDED_INSERT + condition
		values.update(params)
	for _attempt in range(2):
		values["name"] = make_autoname("hash")
		try:
			# The row is internal and fully formed here: one plain INSERT (the unique key checked by the
			# database) instead of a document, whose meta, naming and hooks were most of the endpoint's time.
			# A duplicate key undoes only the failed statement, so no savepoint is needed around it.
			frappe.db.sql(statement, values)
		except pymysql.IntegrityError as exc:
			if not frappe.db.is_duplicate_entry(exc):
				raise
			existing = frappe.db.get_value(
				"Inbound Webhook", {"dedup_key": dedup_key}, "name", for_update=True
			)
			if not existing:
				continue  # the generated name was taken, not the delivery's key: once more with a new name
			return Accepted(existing, duplicate=True, queued=False)
		if guard is not None and not frappe.db._cursor.rowcount:
			return None  # the guard's select found no row: the secret changed since it was remembered
		break
	counts.webhook_moved(provider, now, None, values["status"])  # written by this transaction's commit
	if not ignored_reason:
		frappe.db.after_commit.add(jobs.wake)  # a second one in the same transaction finds the flag set
	return Accepted(values["name"], duplicate=False, queued=not ignored_reason)


def count_rejection(provider: str, reason: str, remote_addr: str | None) -> int:
	"""Count a refusal (in Redis; see rejections); how many this caller has had this minute. With Redis
	unreachable the refusal still stands, uncounted."""
	try:
		return rejections.count(provider, reason, remote_addr)
	except Exception:
		frappe.logger("xappiens_whatsapp").warning(
			f"could not count a {provider} refusal ({reason})", exc_info=True
		)
		return 0


def json_response(status: int, body: dict) -> Response:
	return Response(json.dumps(body), status=status, mimetype="application/json")


def refusal_limit() -> int:
	"""Refused requests a caller may make per minute before being answered 429 without further work."""
	return settings.int_setting(settings.whatsapp(), "webhook_rate_limit", 120, minimum=1)


def reject(provider: str, reason: str, remote_addr: str | None, status: int = 401) -> Response:
	"""Count the rejection for managers; tell the caller nothing about why. A caller past the limit of refusals a
	minute is answered 429 instead: only refusals count, so verified deliveries are never limited."""
	if count_rejection(provider, reason, remote_addr) > refusal_limit():
		answer = json_response(429, {"success": False, "error": "Too many requests"})
		answer.headers["Retry-After"] = str(rejections.CALLER_WINDOW_SECONDS)
		return answer
	return json_response(status, {"success": False, "error": _ERRORS.get(status, "Refused")})


_ERRORS = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 413: "Too large"}

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

from xappiens_whatsapp.pipeline import inbox_jobs
from xappiens_whatsapp.pipeline.settings import Signer

_COLUMNS = (
	*("name", "creation", "modified", "owner", "modified_by", "provider", "event", "raw_event", "session_id"),
	*("reference_key", "dedup_key", "status", "note", "received_at", "payload", "headers", "remote_addr"),
)
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
	guard: Signer | None = None,
) -> Accepted | None:
	"""Store a delivery once, in the caller's transaction. A retried delivery finds its first row and queues
	nothing new.

	With `guard` (a remembered signer that verified this delivery), the row is inserted only while that
	signer's secret is still the one in force; None means it is not, and nothing was stored."""
	if isinstance(payload, bytes):
		payload = payload.decode("utf-8", errors="replace")
	now = now_datetime()
	values = {
		"provider": provider,
		"event": (event or "")[:140],
		"raw_event": (raw_event or "")[:140],
		"session_id": (session_id or "")[:140] or None,
		"reference_key": (reference_key or "")[:190] or None,
		"dedup_key": dedup_key,
		"status": "Ignored" if ignored_reason else "Received",
		"note": ignored_reason,
		"received_at": now,
		"payload": payload,
		"headers": json.dumps(headers, ensure_ascii=False, sort_keys=True),
		"remote_addr": remote_addr,
		"creation": now,
		"modified": now,
		"owner": frappe.session.user,
		"modified_by": frappe.session.user,
	}
	statement = _INSERT
	if guard is not None:
		statement = _GUARDED_INSERT + guard.guard
		values.update(guard.params)
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
	if not ignored_reason:
		frappe.db.after_commit.add(inbox_jobs.wake)  # a second one in the same transaction finds the flag set
	return Accepted(values["name"], duplicate=False, queued=not ignored_reason)


def count_rejection(provider: str, reason: str, remote_addr: str | None) -> None:
	"""One counter row per provider, reason and hour: a flood of bad requests cannot grow the table."""
	now = now_datetime()
	hour = now.replace(minute=0, second=0, microsecond=0)
	frappe.db.sql(
		"""insert into `tabWebhook Rejection`
			(name, provider, reason, hour, `count`, last_seen_at, last_remote_addr,
			 creation, modified, owner, modified_by, docstatus, idx)
		values (%(name)s, %(provider)s, %(reason)s, %(hour)s, 1, %(now)s, %(addr)s,
			%(now)s, %(now)s, 'Guest', 'Guest', 0, 0)
		on duplicate key update `count` = `count` + 1, last_seen_at = %(now)s,
			last_remote_addr = %(addr)s, modified = %(now)s""",
		{
			"name": frappe.generate_hash(length=12),
			"provider": provider,
			"reason": reason,
			"hour": hour,
			"now": now,
			"addr": (remote_addr or "")[:140],
		},
	)
	frappe.db.commit()


def json_response(status: int, body: dict) -> Response:
	return Response(json.dumps(body), status=status, mimetype="application/json")


def reject(provider: str, reason: str, remote_addr: str | None, status: int = 401) -> Response:
	"""Count the rejection for managers; tell the caller nothing about why."""
	count_rejection(provider, reason, remote_addr)
	return json_response(
		status, {"success": False, "error": "Unauthorized" if status == 401 else "Forbidden"}
	)

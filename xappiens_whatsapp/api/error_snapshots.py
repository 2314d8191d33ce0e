"""A body Frappe cannot decode is a bad request, not a server error: it leaves no Error Log row.

Frappe decodes a JSON body before any app code runs; when that fails it answers 500 and queues an error
snapshot (a deferred Error Log row, written later from a Redis list) holding the request, `?token=` and all.
For our guest endpoints the `after_request` hook answers such a request 400 or 401 instead, so the snapshot is
taken back: an outsider cannot write rows into the Error Log, and a callback token in the URL is not kept.
"""

import json

import frappe
from frappe.deferred_insert import queue_prefix

QUEUE = f"{queue_prefix}Error Log"
# How far back from the end of the queue to look: the snapshot was queued moments ago, by this request.
LOOK_BACK = 50
# Frappe's JSON decoding of the body, in the traceback of the snapshot it took.
DECODING_FRAME = "make_form_dict"


def withdraw(request) -> bool:
	"""Remove the snapshot Frappe queued for this request's undecodable body; True if one was found."""
	try:
		queued = frappe.cache.lrange(QUEUE, -LOOK_BACK, -1)
	except Exception:
		return False  # no Redis: Frappe could not queue it either
	for raw in reversed(queued):
		if _is_snapshot_of(raw, request.path):
			frappe.cache.lrem(frappe.cache.make_key(QUEUE), -1, raw)
			return True
	return False


def _is_snapshot_of(raw: bytes, path: str) -> bool:
	try:
		record = json.loads(raw)
	except ValueError:
		return False
	error = record.get("error") if isinstance(record, dict) else None
	return isinstance(error, str) and DECODING_FRAME in error and path in error

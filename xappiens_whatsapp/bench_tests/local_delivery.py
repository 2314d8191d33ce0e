"""A delivery stored the way the webhook endpoint stores it and applied by the job function, in this process: the
bench tests that look at the rows right after each event use it; the HTTP tests cover the real endpoint."""

from contextlib import contextmanager
from unittest import mock

import frappe

from xappiens_whatsapp.api import webhook
from xappiens_whatsapp.core import inbox_hub_events as ih
from xappiens_whatsapp.pipeline.inbox.drain import process
from xappiens_whatsapp.pipeline.whatsapp import messages
from xappiens_whatsapp.testing.payloads import compact


def deliver(payload: dict, session_id: str, *, run: bool = True) -> str:
	"""Store like the endpoint does, then run the job for it; the inbox row's name."""
	if "sessionId" in payload.get("data", {}) and "sessionId" not in payload:
		payload["data"]["sessionId"] = session_id  # F shape names the session inside data
	else:
		payload["sessionId"] = session_id
	raw = compact(payload)
	kept = {"X-Webhook-Event": str(payload.get("event", ""))}
	accepted = webhook.accept_parsed(ih.parse(raw), raw, session_id, kept, "127.0.0.1")
	frappe.db.commit()  # as the request does when it ends
	if run:
		process(accepted.name)
	return accepted.name


@contextmanager
def broken_messages(only: str | None = None):
	"""Storing a message fails (every one, or the one with this id): an event whose handler raises."""
	real = messages.store_message

	def store(event):
		if only is None or event.message_id == only:
			raise RuntimeError("the store is broken")
		return real(event)

	with mock.patch.object(messages, "store_message", store):
		yield

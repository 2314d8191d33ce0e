"""Sending from the CRM: a row first, then the gateway, never twice and never lost.

1. The WhatsApp Message row (from_me, Pending) is committed before anything is sent; the desk shows it at once.
2. A job sends it. Before calling the gateway the attempt is recorded and committed as "in flight", so if the
   call times out or the worker dies, the next attempt first looks in the gateway's chat history and adopts
   the message it finds there instead of sending it again.
3. The gateway's short id is attached under the message's lock, where early acks and message.sent events wait.
4. The per-session rate (10 a minute by default) is kept by scheduling a later attempt, never by dropping.
"""

import base64
import mimetypes
from datetime import timedelta

import frappe
from frappe.utils import add_to_date, get_datetime, now_datetime

from xappiens_whatsapp.clients.errors import ProviderError, ProviderRateLimited
from xappiens_whatsapp.core.jid import parse_jid
from xappiens_whatsapp.core.media import media_kind
from xappiens_whatsapp.core.message_state import MessageStatus, StatusUpdate
from xappiens_whatsapp.core.text import plain
from xappiens_whatsapp.pipeline import realtime, settings
from xappiens_whatsapp.pipeline.background import once_after_commit
from xappiens_whatsapp.pipeline.inbox.locks import event_key, named_lock
from xappiens_whatsapp.pipeline.times import to_epoch
from xappiens_whatsapp.pipeline.whatsapp import contacts, lost_sends, messages
from xappiens_whatsapp.pipeline.whatsapp.gateway import inbox_hub

DOCTYPE = "WhatsApp Message"
QUEUE = "default"
VERIFY_FOR_SECONDS = 3600  # how long to keep trying to read the history before giving up on a message
ORPHANED_AFTER_SECONDS = 120


def job_id(name: str) -> str:
	return f"xw-send-{name}"


def enqueue(name: str) -> None:
	once_after_commit("xappiens_whatsapp.pipeline.whatsapp.outbound.send", job_id(name), QUEUE, name=name)


def create(
	*,
	session: str,
	contact: str,
	text: str | None = None,
	file_url: str | None = None,
	quoted_message_id: str | None = None,
	client_ref: str | None = None,
	voice_note: bool = False,
	location: tuple[float, float] | None = None,
) -> str:
	"""Store the message to send and queue it. A repeated `client_ref` (double click, network retry)
	returns the first row instead of a second message."""
	if client_ref:
		existing = _by_client_ref(client_ref)
		if existing:
			return existing
	chat_jid = frappe.db.get_value("WhatsApp Contact", contact, "whatsapp_id")
	now = now_datetime()
	values = {
		"doctype": DOCTYPE,
		"session": session,
		"contact": contact,
		"chat_jid": chat_jid,
		"from_me": 1,
		"source": "Desk",
		"status": str(MessageStatus.PENDING),
		"message_timestamp": now,
		"sent_by": frappe.session.user,
		"client_ref": client_ref or None,
		"quoted_message_id": quoted_message_id or None,
		"body": text,
		"message_type": "text",
	}
	if file_url:
		file = frappe.get_doc("File", {"file_url": file_url})
		mimetype = mimetypes.guess_type(file.file_name or file_url)[0] or "application/octet-stream"
		values.update(
			attachment=file_url,
			media_filename=file.file_name,
			media_mimetype=mimetype,
			media_size=file.file_size,
			message_type=media_kind(mimetype),
			voice_note=1 if voice_note else 0,
		)
	if location:
		values.update(message_type="location", latitude=location[0], longitude=location[1])
	frappe.db.savepoint("xw_create")
	try:
		# The conversation may be another request's a moment old (found by a locking read), which Frappe's
		# snapshot-read link check would not see: links were checked by the caller.
		doc = frappe.get_doc(values).insert(ignore_permissions=True, ignore_links=True)
	except frappe.UniqueValidationError:
		# The same client reference from a second request a moment ago (a double click): one message.
		frappe.db.rollback(save_point="xw_create")
		frappe.local.message_log = []
		existing = client_ref and _by_client_ref(client_ref, lock=True)
		if not existing:
			raise
		return existing
	contacts.note_message(contact, now, text or values.get("media_filename"), True, False)
	realtime.message_changed(session, contact, doc.name, "new")
	enqueue(doc.name)
	return doc.name


def _by_client_ref(client_ref: str, lock: bool = False) -> str | None:
	"""A client reference is the sender's own: another user's equal reference finds nothing."""
	return frappe.db.get_value(
		DOCTYPE, {"client_ref": client_ref, "sent_by": frappe.session.user}, "name", for_update=lock
	)


def _throttle_until(session: str, exclude: str) -> object | None:
	"""When the session already used its sends for the last minute, the moment a slot frees up."""
	rate = settings.int_setting(settings.whatsapp(), "send_rate_per_minute", 10)
	if rate <= 0:
		return None
	window_start = now_datetime() - timedelta(minutes=1)
	recent = frappe.get_all(
		DOCTYPE,
		filters={
			"session": session,
			"from_me": 1,
			"last_attempt_at": [">", window_start],
			"name": ["!=", exclude],
		},
		pluck="last_attempt_at",
		order_by="last_attempt_at desc",
		limit=rate,
	)
	if len(recent) < rate:
		return None
	return get_datetime(recent[-1]) + timedelta(minutes=1, seconds=1)


def _earlier_waiting(row) -> object | None:
	"""Keep a conversation's order: wait behind an older message that is itself waiting."""
	return frappe.db.get_value(
		DOCTYPE,
		{
			"contact": row.contact,
			"from_me": 1,
			"status": "Pending",
			"message_id": ["is", "not set"],
			"next_attempt_at": ["is", "set"],
			"creation": ["<", row.creation],
		},
		"next_attempt_at",
		order_by="next_attempt_at asc",
	)


def send(name: str) -> None:
	with named_lock(f"send:{name}"):
		row = _sendable(name)
		if not row:
			return
		if row.outcome_uncertain:
			frappe.db.commit()  # no row lock held across the history lookup (acks on this row would wait)
			try:
				found = lost_sends.sent_anyway(row)
			except lost_sends.HistoryUnreadable:
				_cannot_verify(row)
				frappe.db.commit()
				return
			if found:
				_mark_sent(row, found.message_id, found.gateway_row_id)  # adopted, not sent twice
				frappe.db.commit()
				return
			row = _sendable(name)
			if not row:
				return
		with named_lock(f"send-session:{row.session}"):
			wait_until = _earlier_waiting(row) or _throttle_until(row.session, name)
			if wait_until:
				frappe.db.set_value(DOCTYPE, name, "next_attempt_at", wait_until, update_modified=False)
				frappe.db.commit()
				return
			attempts = (row.send_attempts or 0) + 1
			# In flight: from here on, a lost answer means "look before sending again".
			frappe.db.set_value(
				DOCTYPE,
				name,
				{
					"send_attempts": attempts,
					"last_attempt_at": now_datetime(),
					"next_attempt_at": None,
					"outcome_uncertain": 1,
				},
				update_modified=False,
			)
			frappe.db.commit()
		try:
			result = _call_gateway(row)
		except ProviderError as exc:
			_handle_error(
				row, attempts, exc.message, retryable=exc.retryable, uncertain=exc.outcome_unknown, exc=exc
			)
			frappe.db.commit()
			return
		except Exception as exc:
			# Not the gateway's answer (a file that cannot be read, a bug, an answer we could not read): it may
			# have gone out, so the next attempt looks first; retried, then failed, never looping.
			frappe.db.rollback()
			frappe.log_error("WhatsApp send failed", reference_doctype=DOCTYPE, reference_name=name)
			_handle_error(row, attempts, f"{type(exc).__name__}: {exc}", retryable=True, uncertain=True)
			frappe.db.commit()
			return
		if not result.message_id:
			# Accepted, but we cannot match its acks: find it in the chat history on the next attempt.
			_handle_error(
				row,
				attempts,
				"The gateway accepted the message but returned no id",
				retryable=True,
				uncertain=True,
			)
			frappe.db.commit()
			return
		_mark_sent(row, result.message_id, result.gateway_row_id)
		frappe.db.commit()


def _sendable(name: str):
	"""The row, locked, if it still waits to be sent; else None (and the transaction is closed)."""
	row = frappe.db.get_value(DOCTYPE, name, ["*"], as_dict=True, for_update=True)
	if not row or row.message_id or row.status != "Pending":
		frappe.db.commit()
		return None
	return row


def _call_gateway(row):
	client = inbox_hub()
	to = parse_jid(row.chat_jid)
	recipient = to.phone_digits or str(to) if to else row.chat_jid
	with client:
		if row.attachment:
			file = frappe.get_doc("File", {"file_url": row.attachment})
			with open(file.get_full_path(), "rb") as handle:
				content = handle.read()  # File.get_content() hands back text when the bytes happen to decode
			return client.send_media(
				row.session,
				recipient,
				media_kind(row.media_mimetype),
				base64=base64.b64encode(content).decode(),
				mimetype=row.media_mimetype,
				filename=row.media_filename,
				caption=row.body,
				ptt=bool(row.voice_note),
			)
		if row.message_type == "location":
			return client.send_location(row.session, recipient, row.latitude, row.longitude, row.body)
		return client.send_text(
			row.session, recipient, row.body or "", quoted_message_id=row.quoted_message_id
		)


def _mark_sent(row, message_id: str, gateway_row_id: str | None) -> None:
	with named_lock(event_key("Inbox Hub", row.session, message_id)):
		messages.attach_gateway_id(row.name, row.session, message_id, gateway_row_id)
		current = frappe.db.get_value(DOCTYPE, row.name, ["name", *messages.STATE_FIELDS], as_dict=True)
		messages.write_state(current, [StatusUpdate(MessageStatus.SENT, at=to_epoch(now_datetime()))])
		frappe.db.set_value(
			DOCTYPE,
			row.name,
			{"outcome_uncertain": 0, "next_attempt_at": None, "failure_reason": None},
			update_modified=False,
		)
		realtime.message_changed(row.session, row.contact, row.name, "status")
		frappe.db.commit()


def _handle_error(
	row,
	attempts: int,
	reason: str,
	*,
	retryable: bool,
	uncertain: bool,
	exc: ProviderError | None = None,
) -> None:
	limit = settings.int_setting(settings.whatsapp(), "send_attempts", 3, minimum=1)
	if isinstance(exc, ProviderRateLimited):
		# The gateway asked us to slow down: not a failed attempt, just a later one.
		wait = exc.retry_after or 60
		frappe.db.set_value(
			DOCTYPE,
			row.name,
			{
				"send_attempts": attempts - 1,
				"outcome_uncertain": 0,
				"next_attempt_at": add_to_date(None, seconds=wait),
			},
			update_modified=False,
		)
		return
	if (retryable or uncertain) and attempts < limit:
		frappe.db.set_value(
			DOCTYPE,
			row.name,
			{
				"outcome_uncertain": 1 if uncertain else 0,
				"failure_reason": plain(reason, 500),
				"next_attempt_at": add_to_date(None, seconds=30 * attempts),
			},
			update_modified=False,
		)
		return
	if uncertain:
		reason = f"{reason}. The gateway never answered; check the phone before resending."
	_fail(row, reason, uncertain)


def _fail(row, reason: str, uncertain: bool) -> None:
	frappe.db.set_value(
		DOCTYPE,
		row.name,
		{
			"status": "Failed",
			"failed_at": now_datetime(),
			"failure_reason": plain(reason, 500),  # the gateway's words: shown in the desk
			"outcome_uncertain": 1 if uncertain else 0,
			"next_attempt_at": None,
		},
		update_modified=False,
	)
	realtime.message_changed(row.session, row.contact, row.name, "status")


def _cannot_verify(row) -> None:
	"""The history could not be read: look again later, and stop guessing after a while."""
	since = get_datetime(row.last_attempt_at or row.creation)
	if now_datetime() - since > timedelta(seconds=VERIFY_FOR_SECONDS):
		_fail(
			row,
			"The gateway never confirmed this message and its history could not be read; "
			"check the phone before resending.",
			True,
		)
		return
	frappe.db.set_value(
		DOCTYPE, row.name, "next_attempt_at", add_to_date(None, seconds=60), update_modified=False
	)


def send_due() -> int:
	"""Cron: queue the unsent messages whose time has come. `send` re-checks each under its lock."""
	now = now_datetime()
	timeout = settings.int_setting(settings.whatsapp(), "request_timeout", 30, minimum=1)
	unsent = {"status": "Pending", "from_me": 1, "message_id": ["is", "not set"]}
	waiting = {"next_attempt_at": ["is", "not set"]}
	groups = (
		# throttled, or retrying after an error, once their time has come
		{"next_attempt_at": ["<=", now]},
		# an attempt whose worker died while it waited for the gateway
		{**waiting, "outcome_uncertain": 1, "last_attempt_at": ["<", now - timedelta(seconds=timeout + 60)]},
		# never attempted (or retried by an agent) and no job ran it: lost when queued, or its worker died
		# before the attempt was recorded
		{
			**waiting,
			"outcome_uncertain": 0,
			"modified": ["<", now - timedelta(seconds=ORPHANED_AFTER_SECONDS)],
		},
	)
	names = [
		name
		for extra in groups
		for name in frappe.get_all(
			DOCTYPE, filters={**unsent, **extra}, pluck="name", order_by="creation asc", limit=500
		)
	]
	for name in names:
		enqueue(name)
	frappe.db.commit()
	return len(names)


def retry(name: str) -> None:
	"""An agent's retry of a failed message. An attempt whose fate was unknown is looked up first."""
	frappe.db.set_value(
		DOCTYPE,
		name,
		{
			"status": "Pending",
			"failed_at": None,
			"failure_reason": None,
			"send_attempts": 0,
			"next_attempt_at": None,
		},
		update_modified=True,  # the sweep finds an agent's retry whose job was lost by this time
	)
	enqueue(name)

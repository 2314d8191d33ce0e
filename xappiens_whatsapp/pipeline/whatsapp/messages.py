"""WhatsApp Message rows from events. Every write here runs under the message's named lock (see process.py),
so the row, and events waiting for it, are never seen half-made by another worker."""

import json

import frappe
from frappe.utils import get_datetime

from xappiens_whatsapp.core.inbox_hub_events import MessageEvent, ReactionEvent, StatusEvent
from xappiens_whatsapp.core.message_state import (
	STEP_FIELD,
	DeliveryState,
	MessageStatus,
	StatusUpdate,
	apply_status,
	merge_reactions,
)
from xappiens_whatsapp.pipeline import realtime
from xappiens_whatsapp.pipeline.inbox import parked
from xappiens_whatsapp.pipeline.inbox.rows import get_row
from xappiens_whatsapp.pipeline.times import from_epoch, to_epoch
from xappiens_whatsapp.pipeline.whatsapp import attention, contacts, media_store
from xappiens_whatsapp.pipeline.whatsapp.sessions import ensure_session

DOCTYPE = "WhatsApp Message"
STATE_FIELDS = ["status", "raw_ack", "failure_reason", *STEP_FIELD.values()]
CONTENT_FIELDS = (
	"body",
	"message_type",
	"message_timestamp",
	"chat_jid",
	"sender_jid",
	"serialized_id",
	"gateway_row_id",
	"media_url",
	"media_mimetype",
	"media_filename",
	"media_size",
	"quoted_message_id",
	"latitude",
	"longitude",
	"voice_note",
)


class ConflictingId(Exception):
	"""The conversation has a message in the same direction whose id differs from this one only in letter case:
	the database cannot tell them apart, so the event is refused rather than merged into the other message."""


def _find(where: str, values: dict, fields: list[str] | None) -> dict | None:
	"""A locking read (it sees rows committed after this transaction began) of the message `where` names, its
	id compared exactly (the column's own comparison ignores case). Only the fields asked for: every column costs
	its description in the answer, even when no row comes back."""
	columns = ", ".join(f"`{f}`" for f in (fields or ["name", "contact", *STATE_FIELDS]))
	rows = frappe.db.sql(
		f"""select {columns} from `tab{DOCTYPE}` where session = %(session)s and {where}
			and message_id = %(message_id)s and binary message_id = %(message_id)s
		order by creation limit 1 for update""",
		values,
		as_dict=True,
	)
	return rows[0] if rows else None


def find(session: str, contact: str, from_me: bool, message_id: str, fields: list[str] | None = None):
	"""The message of this conversation, direction and id: what identifies a WhatsApp message."""
	where = "contact = %(contact)s and from_me = %(from_me)s"
	return _find(
		where,
		{"session": session, "contact": contact, "from_me": int(from_me), "message_id": message_id},
		fields,
	)


def find_outgoing(session: str, message_id: str, fields: list[str] | None = None) -> dict | None:
	"""One of our own messages by its id (acks name no chat; only our side makes ids of our messages)."""
	return _find("from_me = 1", {"session": session, "message_id": message_id}, fields)


def find_in_conversation(session: str, contact: str, message_id: str, fields: list[str] | None = None):
	"""A message of this conversation, either direction (a reaction or a quote names no direction we trust)."""
	return _find(
		"contact = %(contact)s", {"session": session, "contact": contact, "message_id": message_id}, fields
	)


def delivery_state(row: dict) -> DeliveryState:
	times = {field: to_epoch(row.get(field)) for field in STEP_FIELD.values() if row.get(field)}
	raw_ack = row.get("raw_ack")
	return DeliveryState(
		status=MessageStatus(row.get("status") or MessageStatus.PENDING),
		raw_ack=int(raw_ack) if raw_ack not in (None, "") else None,
		times=times,
		failure_reason=row.get("failure_reason") or None,
	)


def state_fields(state: DeliveryState) -> dict:
	raw_ack = str(state.raw_ack) if state.raw_ack is not None else None
	fields = {"status": str(state.status), "raw_ack": raw_ack, "failure_reason": state.failure_reason}
	for field in STEP_FIELD.values():
		fields[field] = from_epoch(state.times.get(field))
	return fields


def write_state(row: dict, updates: list[StatusUpdate]) -> bool:
	"""Fold updates into the row's delivery state; write and announce only if something changed."""
	before = delivery_state(row)
	after = before
	for update in updates:
		after = apply_status(after, update)
	if after == before:
		return False
	frappe.db.set_value(DOCTYPE, row["name"], state_fields(after), update_modified=True)
	return True


def _content(event: MessageEvent) -> dict:
	media = event.media
	return {
		"body": event.body,
		"message_type": event.message_type,
		"message_timestamp": from_epoch(event.timestamp),
		"chat_jid": event.chat_jid,
		"sender_jid": event.sender_jid,
		"serialized_id": event.serialized_id,
		"gateway_row_id": event.gateway_row_id,
		"media_url": media.url if media else None,
		"media_mimetype": media.mimetype if media else None,
		"media_filename": media.filename if media else None,
		"media_size": media.size if media else None,
		"quoted_message_id": event.quoted_message_id,
		"latitude": event.latitude,
		"longitude": event.longitude,
		"voice_note": 1 if event.voice_note else None,
	}


def _preview(event: MessageEvent) -> str:
	if event.body:
		return event.body
	if event.media and event.media.filename:
		return event.media.filename
	return f"[{event.message_type}]"


def store_message(event: MessageEvent) -> str:
	"""The message's row, made or completed; the events parked for it are the caller's to wake."""
	session = ensure_session(event.session_id)
	contact = contacts.resolve(
		session, event.chat_jid, event.phone_jid, None if event.from_me else event.push_name
	)
	content = _content(event)
	first_status = event.status or (MessageStatus.SENT if event.from_me else MessageStatus.DELIVERED)
	status_update = StatusUpdate(first_status, at=event.timestamp, raw_ack=event.raw_ack)

	row = find(
		session, contact, event.from_me, event.message_id, ["name"]
	)  # most are new: whole row if known
	if row:
		row = get_row(
			DOCTYPE,
			row["name"],
			["name", "contact", "media_status", "deleted", *STATE_FIELDS, *CONTENT_FIELDS],
			for_update=True,
		)
		# A second event about a message we know (message.sent and message.received both describe what we
		# send): fill what was missing, never overwrite, so the order they come in does not matter. A message
		# deleted for everyone gets nothing of its content back.
		missing = {k: v for k, v in content.items() if v not in (None, "") and row.get(k) in (None, "", 0)}
		if content["message_type"] not in (None, "", "text") and row.get("message_type") == "text":
			missing["message_type"] = content["message_type"]  # "text" is only the default
		if content["message_timestamp"] and row.get("message_timestamp"):
			earliest = min(get_datetime(content["message_timestamp"]), get_datetime(row["message_timestamp"]))
			if earliest != get_datetime(row["message_timestamp"]):
				missing["message_timestamp"] = earliest
		if row.get("deleted"):
			missing = {
				k: v for k, v in missing.items() if k in ("message_timestamp", "chat_jid", "serialized_id")
			}
		if not row.get("contact"):
			missing["contact"] = contact
		media_now_known = not row.get("media_status") and "message_type" in missing
		if media_now_known and media_store.wanted(event.from_me, missing["message_type"]):
			missing.update(media_store.pending_fields())
			media_store.queue(row["name"])
		if missing:
			frappe.db.set_value(DOCTYPE, row["name"], missing, update_modified=False)
		changed = write_state(row, [status_update])
		if missing or changed:
			realtime.message_changed(session, row.get("contact") or contact, row["name"], "updated")
		return row["name"]

	state = apply_status(DeliveryState(), status_update)
	keep_media = media_store.wanted(event.from_me, event.message_type)
	doc = frappe.get_doc(
		{
			"doctype": DOCTYPE,
			"session": session,
			"contact": contact,
			"message_id": event.message_id,
			"from_me": 1 if event.from_me else 0,
			"is_forwarded": 1 if event.is_forwarded else 0,
			"source": "Webhook",
			**content,
			**state_fields(state),
			**(media_store.pending_fields() if keep_media else {}),
		}
	)
	# The contact may have been created a moment ago by another worker: our locking read found it, but Frappe's
	# link check reads with this transaction's older snapshot and would not, so it is skipped.
	# The desk hears of it through xw_message; Frappe's own doc and list announcements would only add two
	# publications to every event.
	doc.flags.notify_update = False
	frappe.db.savepoint("xw_message")
	try:
		doc.insert(ignore_permissions=True, ignore_links=True)
	except (frappe.UniqueValidationError, frappe.DuplicateEntryError):
		frappe.db.rollback(save_point="xw_message")
		frappe.local.message_log = []
		raise ConflictingId(event.message_id) from None
	if keep_media:
		media_store.queue(doc.name)
	at = doc.message_timestamp or frappe.utils.now_datetime()
	contacts.note_message(contact, at, _preview(event), event.from_me, unread=not event.from_me)
	if not event.from_me:
		attention.customer_message_stored(session, contact, doc.name, at)
	realtime.message_changed(session, contact, doc.name, "new")
	return doc.name


def apply_status_event(event: StatusEvent) -> str | None:
	"""Returns the message's name, or None when the message is not here yet (the event then waits). A delivery
	status is about one of our own messages: never a customer's that carries the same id."""
	session = ensure_session(event.session_id)
	row = find_outgoing(session, event.message_id)
	if not row:
		return None
	if event.status is None:
		return row["name"]
	reason = "Reported failed by the gateway" if event.status == MessageStatus.FAILED else None
	if write_state(row, [StatusUpdate(event.status, event.timestamp, event.raw_ack, reason)]):
		realtime.message_changed(session, row["contact"], row["name"], "status")
	return row["name"]


def apply_reaction(event: ReactionEvent) -> str | None:
	"""The reaction changes a message of the conversation it was sent in, or waits for one (None)."""
	session = ensure_session(event.session_id)
	contact = contacts.find_for_chat(session, event.chat_jid)
	row = contact and find_in_conversation(
		session, contact, event.target_message_id, ["name", "contact", "reactions"]
	)
	if not row:
		return None
	current = json.loads(row["reactions"]) if isinstance(row.get("reactions"), str) else row.get("reactions")
	merged = merge_reactions(current, event.sender, event.emoji, event.timestamp_ms)
	if merged != (current or {}):
		frappe.db.set_value(DOCTYPE, row["name"], "reactions", json.dumps(merged, ensure_ascii=False))
		realtime.message_changed(session, row["contact"], row["name"], "reaction")
	return row["name"]


def attach_gateway_id(name: str, session: str, message_id: str, gateway_row_id: str | None = None) -> str:
	"""Give an outbound row the id the gateway assigned. If a webhook already made a row for that id (its ack
	or message.sent raced the send call), fold that row into ours so the agent's message stays one row: only one
	of our own messages in the same conversation, never a customer's that carries the same id."""
	ours = frappe.db.get_value(DOCTYPE, name, ["name", "contact", "reactions", *STATE_FIELDS], as_dict=True)
	other = find(session, ours["contact"], True, message_id)
	if other and other["name"] != name:
		theirs = delivery_state(other)
		updates = [StatusUpdate(theirs.status, raw_ack=theirs.raw_ack, reason=theirs.failure_reason)]
		updates += [
			StatusUpdate(step, at=to_epoch(other[field]))
			for step, field in STEP_FIELD.items()
			if other.get(field)
		]
		write_state(ours, updates)
		frappe.db.delete(DOCTYPE, {"name": other["name"]})
		realtime.message_changed(session, other["contact"], other["name"], "removed")
	frappe.db.set_value(DOCTYPE, name, {"message_id": message_id, "gateway_row_id": gateway_row_id})
	parked.release(session, message_id)
	return name

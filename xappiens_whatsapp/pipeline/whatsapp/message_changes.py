"""Edits and deletions for everyone, applied to the message they change. Runs under that message's named lock
(the event's reference is the changed message's id), like every write to it.

A change reaches only a message of the chat it came in, in its sender's direction (a customer changes only what
they sent; our phone only what we sent) and, in a group, of the same author. A change that comes before its
message waits for it (the event is parked, and applied when the message is stored); applied twice, it changes
nothing more.

An edit keeps the text as first received in `original_body`: an agent may have answered that wording, and it is
what a disagreement about what was said needs. Edits apply in the order they were made, not the order they
arrive. A deletion is final: it clears the text, the reactions and the media (the stored file is deleted too,
since the sender withdrew it from everyone), and later edits of the message are ignored.
"""

import frappe
from frappe.utils import get_datetime, now_datetime

from xappiens_whatsapp.core.inbox_hub_events import Change, ChangeEvent
from xappiens_whatsapp.core.jid import parse_jid
from xappiens_whatsapp.pipeline import realtime
from xappiens_whatsapp.pipeline.times import from_epoch
from xappiens_whatsapp.pipeline.whatsapp import contacts, messages
from xappiens_whatsapp.pipeline.whatsapp.sessions import ensure_session

DOCTYPE = "WhatsApp Message"
FIELDS = ["name", "contact", "from_me", "sender_jid", "body", "edited_at", "deleted"]
# What a deletion clears: the text and everything that would show or fetch the media.
CLEARED = {
	"body": None,
	"original_body": None,
	"reactions": None,
	"media_url": None,
	"media_filename": None,
	"media_mimetype": None,
	"media_size": 0,  # numbers are never null here
	"attachment": None,
	"media_status": None,
	"media_error": None,
	"media_next_attempt_at": None,
	"latitude": 0,
	"longitude": 0,
}


class NotTheSenders(Exception):
	"""The message the change names was sent by someone else: only its sender may change it."""


def apply(event: ChangeEvent) -> str | None:
	"""The changed message's name, or None while it is not here (the event then waits)."""
	session = ensure_session(event.session_id)
	contact = contacts.find_for_chat(session, event.chat_jid)
	if not contact:
		return None
	row = messages.find(session, contact, event.from_me, event.target_message_id, FIELDS)
	if not row:
		if messages.find_in_conversation(session, contact, event.target_message_id, ["name"]):
			raise NotTheSenders  # the other side's message with that id
		return None
	chat = parse_jid(event.chat_jid)
	if (
		chat
		and chat.is_group
		and not event.from_me
		and (not event.sender_jid or event.sender_jid != row.sender_jid)
	):
		raise NotTheSenders
	if row.deleted:
		return row.name  # final: a late edit, or the same deletion again
	at = from_epoch(event.timestamp) or now_datetime()
	if event.kind == Change.DELETE:
		_delete(session, row, at)
	else:
		_edit(session, row, event.body, at)
	return row.name


def _edit(session: str, row: dict, body: str, at) -> None:
	if row.edited_at and get_datetime(at) < get_datetime(row.edited_at):
		return  # an earlier edit, arriving late: the later text stays
	if row.edited_at and row.body == body:
		return  # the same edit again
	fields = {"body": body, "edited_at": at}
	if not row.edited_at:
		fields["original_body"] = row.body
	frappe.db.set_value(DOCTYPE, row.name, fields, update_modified=True)
	if _is_latest(row):
		frappe.db.set_value(
			"WhatsApp Contact", row.contact, "last_message_preview", body[:200], update_modified=False
		)
	realtime.message_changed(session, row.contact, row.name, "edited")


def _delete(session: str, row: dict, at) -> None:
	frappe.db.set_value(DOCTYPE, row.name, {**CLEARED, "deleted": 1, "deleted_at": at}, update_modified=True)
	for file in frappe.get_all(
		"File", filters={"attached_to_doctype": DOCTYPE, "attached_to_name": row.name}, pluck="name"
	):
		frappe.delete_doc("File", file, ignore_permissions=True, force=True)
	if _is_latest(row):
		frappe.db.set_value(
			"WhatsApp Contact",
			row.contact,
			{"last_message_preview": None, "last_message_deleted": 1},
			update_modified=False,
		)
	realtime.message_changed(session, row.contact, row.name, "deleted")


def _is_latest(row: dict) -> bool:
	"""Whether the conversation's preview shows this message (its newest, in the thread's own order)."""
	newest = frappe.db.sql(
		"""select name from `tabWhatsApp Message` where contact = %s
		order by message_timestamp desc, creation desc, name desc limit 1""",
		row.contact,
	)
	return bool(newest) and newest[0][0] == row.name

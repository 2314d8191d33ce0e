"""What agents read in the desk. Everything goes through frappe.get_list / has_permission, so an agent only
ever sees the sessions they are listed on; realtime events carry ids and the desk re-reads here."""

import json

import frappe
from frappe import _

from xappiens_whatsapp.api import conversation_search, message_pages, queues
from xappiens_whatsapp.core.message_state import visible_reactions
from xappiens_whatsapp.permissions import allowed_sessions, can_use_session, is_manager

CONVERSATION_FIELDS = [
	"name",
	"display_name",
	"phone",
	"whatsapp_id",
	"session",
	"contact",
	"is_group",
	"last_message_at",
	"last_message_preview",
	"last_message_from_me",
	"last_message_deleted",
	"unread_count",
	"profile_picture_url",
	"assigned_to",
	"conversation_state",
	"snoozed_until",
	"last_customer_message_at",
]
MESSAGE_FIELDS = [
	"name",
	"contact",
	"session",
	"message_id",
	"from_me",
	"message_type",
	"body",
	"status",
	"message_timestamp",
	"creation",
	"sender_jid",
	"quoted_message_id",
	"reactions",
	"media_url",
	"media_mimetype",
	"media_filename",
	"media_size",
	"attachment",
	"media_status",
	"media_error",
	"voice_note",
	"latitude",
	"longitude",
	"failure_reason",
	"sent_by",
	"client_ref",
	"outcome_uncertain",
	"edited_at",
	"deleted",
]
MAX_PAGE = 100


def _check_read(doctype: str, name: str) -> None:
	if not frappe.has_permission(doctype, "read", doc=name):
		raise frappe.PermissionError(_("Not permitted"))


@frappe.whitelist()
def list_sessions() -> list[dict]:
	"""Sessions this user may work in, for the inbox filter and the composer."""
	filters = {} if is_manager() else {"name": ["in", allowed_sessions() or [""]]}
	return frappe.get_list(
		"WhatsApp Session",
		filters=filters,
		fields=["name", "session_name", "status", "phone_number", "is_default"],
		order_by="session_name asc",
	)


@frappe.whitelist()
def list_conversations(
	session: str | None = None,
	search: str | None = None,
	unread_only: bool = False,
	start: int = 0,
	page_length: int = 30,
	queue: str | None = None,
	state: str | None = None,
	sort: str | None = None,
) -> list[dict]:
	filters: list = queues.queue_filters(queue, state, sort)
	if session:
		filters.append(["session", "=", session])
	if frappe.utils.sbool(unread_only):
		filters.append(["unread_count", ">", 0])
	start = max(int(start), 0)
	page_length = min(max(int(page_length), 1), MAX_PAGE)
	if search and search.strip():
		return conversation_search.find(search, filters, CONVERSATION_FIELDS, start, page_length)
	return frappe.get_list(
		"WhatsApp Contact",
		filters=filters,
		fields=CONVERSATION_FIELDS,
		order_by=queues.order_by(sort),
		start=start,
		page_length=page_length,
	)


@frappe.whitelist()
def get_conversation(contact: str) -> dict:
	_check_read("WhatsApp Contact", contact)
	row = frappe.db.get_value("WhatsApp Contact", contact, CONVERSATION_FIELDS, as_dict=True)
	row["session_status"] = frappe.db.get_value("WhatsApp Session", row.session, "status")
	row["assigned_to_name"] = frappe.utils.get_fullname(row.assigned_to) if row.assigned_to else None
	return row


def _shape(rows: list[dict], contact: str) -> list[dict]:
	# A quote shows a message of the same conversation only: anyone can quote any id, another chat's included.
	quoted_ids = {r.quoted_message_id for r in rows if r.quoted_message_id}
	quoted = {}
	session = rows[0].session if rows else None
	if quoted_ids:
		for q in frappe.get_all(
			"WhatsApp Message",
			# Every column of the unique (session, contact, from_me, message_id) key, so each id is one lookup.
			filters={
				"session": session,
				"contact": contact,
				"from_me": ["in", [0, 1]],
				"message_id": ["in", list(quoted_ids)],
			},
			fields=["message_id", "body", "from_me", "message_type", "media_filename", "deleted"],
			order_by="creation asc",
		):
			quoted.setdefault(
				q.message_id, q
			)  # keyed exactly: the database matched ids without regard to case
	for row in rows:
		reactions = (
			json.loads(row.reactions) if isinstance(row.reactions, str) and row.reactions else row.reactions
		)
		row["reactions"] = visible_reactions(reactions)
		row["quoted"] = quoted.get(row.quoted_message_id)
		row["time"] = row.message_timestamp or row.creation
	return rows


@frappe.whitelist()
def get_messages(contact: str, before: str | None = None, limit: int = 30) -> list[dict]:
	"""A page of the thread, oldest first: the `limit` messages just older than message `before`.

	WhatsApp times are whole seconds, so several messages can share one; the page boundary is the
	(time, creation, name) triple, never the time alone, and no message is skipped or shown twice."""
	_check_read("WhatsApp Contact", contact)
	limit = min(max(int(limit), 1), MAX_PAGE)
	session = frappe.db.get_value("WhatsApp Contact", contact, "session")
	anchor = None
	if before:
		anchor = frappe.db.get_value(
			"WhatsApp Message",
			{"name": before, "contact": contact},
			["name", "message_timestamp", "creation"],
			as_dict=True,
		)
	rows = message_pages.thread_page(contact, session, MESSAGE_FIELDS, limit, anchor)
	rows.reverse()
	return _shape(rows, contact)


@frappe.whitelist()
def get_message(name: str) -> dict:
	_check_read("WhatsApp Message", name)
	row = frappe.db.get_value("WhatsApp Message", name, MESSAGE_FIELDS, as_dict=True)
	return _shape([row], row.contact)[0]


@frappe.whitelist(methods=["POST"])
def mark_read(contact: str) -> dict:
	"""Opening a conversation reads it: the unread badge clears here and on the phone."""
	_check_read("WhatsApp Contact", contact)
	# It also tells the gateway (and the customer's blue ticks): only for users of the conversation's number.
	if not can_use_session(frappe.db.get_value("WhatsApp Contact", contact, "session")):
		raise frappe.PermissionError(_("Not permitted"))
	from xappiens_whatsapp.pipeline.whatsapp import attention
	from xappiens_whatsapp.pipeline.whatsapp.read_receipts import mark_conversation_read

	attention.read(frappe.session.user, contact)
	return mark_conversation_read(contact)

"""Private notes in a conversation: for the agents of its number, never sent to the customer (no message row, no
gateway call). `@name` or `@email` mentions notify the users named, when they may read the conversation."""

import re

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification
from frappe.utils import escape_html, get_fullname

from xappiens_whatsapp.core.text import plain
from xappiens_whatsapp.permissions import can_use_session
from xappiens_whatsapp.pipeline import realtime
from xappiens_whatsapp.pipeline.whatsapp.ownership import session_agents

DOCTYPE = "WhatsApp Note"
NOTE_EVENT = "xw_note"  # to the conversation's room: {contact, note}
MENTION = re.compile(r"(?<![\w.])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[^\W\d_][\w.-]*)", re.UNICODE)
MAX_LENGTH = 4000


def _conversation(contact: str) -> dict:
	row = frappe.db.get_value("WhatsApp Contact", contact, ["name", "session", "display_name"], as_dict=True)
	if not row or not frappe.has_permission("WhatsApp Contact", "read", doc=contact):
		raise frappe.PermissionError(_("Not permitted"))
	if not can_use_session(row.session):
		raise frappe.PermissionError(_("Not permitted"))
	return row


def mentioned(text: str, session: str) -> list[str]:
	"""Users named in the text who may read the conversation: its number's agents and the managers."""
	readers = sorted(set(session_agents(session)) | set(realtime.managers()) - {"Administrator"})
	people = frappe.get_all(
		"User",
		filters={"name": ["in", readers or [""]], "enabled": 1},
		fields=["name", "first_name"],
		ignore_permissions=True,
	)
	by_handle = {}
	for person in people:
		by_handle[person.name.lower()] = person.name
		if person.first_name:
			by_handle.setdefault(person.first_name.lower(), person.name)
	found = []
	for handle in MENTION.findall(text or ""):
		user = by_handle.get(handle.lower().rstrip("."))
		if user and user not in found and can_use_session(session, user):
			found.append(user)
	return found


@frappe.whitelist(methods=["POST"])
def add_note(contact: str, text: str) -> dict:
	row = _conversation(contact)
	content = plain(text, MAX_LENGTH)
	if not content:
		frappe.throw(_("A note needs some text."))
	users = mentioned(content, row.session)
	note = frappe.get_doc(
		{
			"doctype": DOCTYPE,
			"contact": contact,
			"session": row.session,
			"content": content,
			"mentions": "\n".join(users) or None,
		}
	).insert(ignore_permissions=True)
	author = get_fullname(frappe.session.user)
	mentioned_others = [user for user in users if user != frappe.session.user]
	if mentioned_others:
		# Frappe's own path for alerts: made by a background job, with the user's email preferences.
		enqueue_create_notification(
			mentioned_others,
			{
				"type": "Mention",
				"from_user": frappe.session.user,
				"document_type": "WhatsApp Contact",
				"document_name": contact,
				"subject": escape_html(
					_("{0} mentioned you in a note on the WhatsApp conversation with {1}").format(
						author, row.display_name or contact
					)
				),
			},
		)
	frappe.publish_realtime(
		NOTE_EVENT,
		{"contact": contact, "note": note.name},
		doctype="WhatsApp Contact",
		docname=contact,
		after_commit=True,
	)
	return _shape(note.as_dict())


def _shape(row) -> dict:
	return {
		"name": row["name"],
		"contact": row["contact"],
		"content": row["content"],
		"owner": row["owner"],
		"owner_name": get_fullname(row["owner"]),
		"creation": str(row["creation"]),
		"mentions": [u for u in (row.get("mentions") or "").split("\n") if u],
	}


@frappe.whitelist()
def list_notes(contact: str, limit: int = 200) -> list[dict]:
	_conversation(contact)
	rows = frappe.get_list(
		DOCTYPE,
		filters={"contact": contact},
		fields=["name", "contact", "content", "owner", "creation", "mentions"],
		order_by="creation desc",
		page_length=min(max(int(limit), 1), 500),
	)
	return [_shape(r) for r in reversed(rows)]

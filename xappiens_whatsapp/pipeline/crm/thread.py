"""Our WhatsApp messages in the shape Frappe CRM's WhatsApp tab reads (crm/api/whatsapp.py in CRM v1.35.0).

Its tab puts `message`, `reply_message` and the names into the page as HTML (after its own *bold* / _italic_
formatting), so every text handed to it is escaped here."""

import json

import frappe
from frappe import _
from frappe.utils import escape_html

from xappiens_whatsapp.core.message_state import visible_reactions

# CRM's tab draws text, image, video, audio and document bubbles; everything else is shown as text.
CONTENT_TYPES = {
	"text": "text",
	"image": "image",
	"sticker": "image",
	"video": "video",
	"audio": "audio",
	"document": "document",
}
# CRM shows one tick for "sent", two for "delivered" and blue ones for "read".
STATUSES = {"Pending": "pending", "Sent": "sent", "Delivered": "delivered", "Read": "read", "Played": "read"}
MAX_MESSAGES = 300


def _media_link(row) -> str:
	"""A stored file, or a gateway link that is at least https (never a javascript: or site-relative URL)."""
	if row.attachment:
		return row.attachment
	url = (row.media_url or "").strip()
	return url if url.lower().startswith("https://") else ""


def _text(row) -> str:
	if row.get("deleted"):
		return _("This message was deleted")
	if row.body:
		return row.body
	if row.message_type == "location" and (row.latitude or row.longitude):
		return _("Location: {0}, {1}").format(row.latitude, row.longitude)
	if row.message_type in CONTENT_TYPES:
		return row.media_filename or ""
	return f"[{_(row.message_type or 'message')}]"


def _reaction(row) -> str:
	reactions = row.reactions
	if isinstance(reactions, str):
		try:
			reactions = json.loads(reactions) if reactions else None
		except ValueError:
			reactions = None
	return "".join(visible_reactions(reactions if isinstance(reactions, dict) else None).values())


def shape(rows: list, conversations: dict, reference: tuple[str, str]) -> list[dict]:
	"""`rows` of WhatsApp Message (oldest first); `conversations`: name → its WhatsApp Contact row."""
	names = {name: c.display_name or c.phone or "" for name, c in conversations.items()}
	senders = {
		user: frappe.db.get_value("User", user, "full_name") or user
		for user in {r.sent_by for r in rows if r.from_me and r.sent_by}
	}
	by_id = {(r.contact, r.message_id): r for r in rows if r.message_id}
	out = []
	for row in rows:
		content_type = CONTENT_TYPES.get(row.message_type, "text")
		link = _media_link(row) if content_type != "text" else ""
		if content_type != "text" and not link:
			content_type = "text"  # media not (yet) available: its caption or name, never a broken bubble
		item = {
			"name": row.name,
			"type": "Outgoing" if row.from_me else "Incoming",
			"from": None if row.from_me else conversations[row.contact].phone,
			"to": conversations[row.contact].phone if row.from_me else None,
			"from_name": escape_html(
				(senders.get(row.sent_by) or _("You")) if row.from_me else names.get(row.contact) or ""
			),
			"content_type": content_type,
			"message_type": "Manual",
			"message": escape_html(_text(row)),
			"attach": link,
			"status": STATUSES.get(row.status, (row.status or "").lower()),
			"message_id": row.message_id,
			"creation": str(row.message_timestamp or row.creation),
			"reaction": escape_html(_reaction(row)),
			"is_reply": 0,
			"reference_doctype": reference[0],
			"reference_name": reference[1],
		}
		# A quote shows a message of the same conversation only: anyone can quote any id.
		quoted = by_id.get((row.contact, row.quoted_message_id)) if row.quoted_message_id else None
		if quoted:
			item.update(
				is_reply=1,
				reply_to_message_id=quoted.message_id,
				reply_message=escape_html(_text(quoted)),
				reply_to=quoted.name,
				reply_to_type="Outgoing" if quoted.from_me else "Incoming",
				reply_to_from=escape_html(_("You") if quoted.from_me else names.get(quoted.contact) or ""),
			)
		out.append(item)
	return out

"""One WhatsApp Contact per person and session, whatever id form the gateway uses for them.

User chats are keyed by `<digits>@s.whatsapp.net`. A privacy `@lid` id is opaque: it is never read as a phone
number, but when a payload reveals the phone behind it, the lid is recorded on the phone's contact (and a
contact created earlier for the bare lid is folded into it), so one person stays one conversation.
"""

import frappe

from xappiens_whatsapp.core.jid import parse_jid
from xappiens_whatsapp.core.phones import to_e164
from xappiens_whatsapp.pipeline import crm_links
from xappiens_whatsapp.pipeline.inbox.claim import insert_or_get
from xappiens_whatsapp.pipeline.inbox.locks import named_lock
from xappiens_whatsapp.pipeline.inbox.rows import get_field

DOCTYPE = "WhatsApp Contact"


def phone_of(jid: str | None) -> str | None:
	parsed = parse_jid(jid)
	digits = parsed.phone_digits if parsed else None
	# A JID's digits always start with the country code: never read them as a national number.
	return (to_e164("+" + digits) or "+" + digits) if digits else None


def _find(session: str, lock: bool = True, **filters) -> str | None:
	"""A locking read sees contacts other workers committed after this transaction began. Without `lock`
	(before an insert_or_get, which settles races itself) it takes no gap lock that a twin insert would
	deadlock on."""
	return get_field(DOCTYPE, {"session": session, **filters}, "name", for_update=lock)


def find_for_chat(session: str, chat_jid: str | None) -> str | None:
	"""The conversation a chat id belongs to, without making one (a @lid may have been folded into its phone's
	conversation)."""
	chat = parse_jid(chat_jid)
	if chat is None:
		return None
	if chat.is_lid:
		return _find(session, lid=str(chat)) or _find(session, whatsapp_id=str(chat))
	return _find(session, whatsapp_id=str(chat))


def _create(session: str, whatsapp_id: str, lid: str | None, name: str | None, is_group: bool) -> str:
	phone = phone_of(whatsapp_id)
	values = {
		"doctype": DOCTYPE,
		"session": session,
		"whatsapp_id": whatsapp_id,
		"lid": lid,
		"phone": phone,
		"push_name": name,
		"display_name": name or phone or whatsapp_id.split("@")[0],
		"is_group": 1 if is_group else 0,
		"contact": crm_links.find_contact(phone),
	}
	contact, _ = insert_or_get(values, {"session": session, "whatsapp_id": whatsapp_id})
	return contact


def resolve(session: str, chat_jid: str, phone_jid: str | None = None, name: str | None = None) -> str:
	chat = parse_jid(chat_jid)
	if chat is None:
		raise ValueError(f"not a chat id: {chat_jid!r}")
	if not chat.is_lid:
		return _find(session, lock=False, whatsapp_id=str(chat)) or _create(
			session, str(chat), None, name, chat.is_group
		)

	lid = str(chat)
	# Two messages of the same person can be applied at once (each under its own message's lock); without
	# this, both could find no contact for the lid and make one each.
	with named_lock(f"contact:{session}:{lid}"):
		return _resolve_lid(session, lid, phone_jid, name)


def _resolve_lid(session: str, lid: str, phone_jid: str | None, name: str | None) -> str:
	by_lid = _find(session, lid=lid)
	if not phone_jid:
		return by_lid or _create(session, lid, lid, name, False)
	by_phone = _find(session, whatsapp_id=phone_jid)
	if by_phone and by_lid and by_phone != by_lid:
		merge(by_lid, into=by_phone)
	if by_phone:
		frappe.db.set_value(DOCTYPE, by_phone, "lid", lid, update_modified=False)
		return by_phone
	if by_lid:
		# The contact we made for the bare lid learns its number.
		phone = phone_of(phone_jid)
		frappe.db.set_value(
			DOCTYPE,
			by_lid,
			{"whatsapp_id": phone_jid, "phone": phone, "contact": crm_links.find_contact(phone)},
		)
		return by_lid
	return _create(session, phone_jid, lid, name, False)


def merge(source: str, into: str) -> None:
	"""Fold a duplicate conversation into another: its messages, calls and unread count move over. A message both
	conversations hold (the same direction and id) is already in the other one: the duplicate goes."""
	frappe.db.sql("update ignore `tabWhatsApp Message` set contact=%s where contact=%s", (into, source))
	frappe.db.sql("delete from `tabWhatsApp Message` where contact=%s", (source,))
	frappe.db.sql(
		"update `tabNetelip Call` set whatsapp_contact=%s where whatsapp_contact=%s", (into, source)
	)
	unread = frappe.db.get_value(DOCTYPE, source, "unread_count") or 0
	frappe.db.sql(
		"update `tabWhatsApp Contact` set unread_count = unread_count + %s where name=%s", (unread, into)
	)
	frappe.db.delete(DOCTYPE, {"name": source})


def note_message(contact: str, at, preview: str | None, from_me: bool, unread: bool) -> None:
	"""Keep the inbox fields current with one atomic update (concurrent messages may race here). `unread`: an
	incoming message, counted unless the conversation was read after it was sent."""
	frappe.db.sql(
		"""update `tabWhatsApp Contact` set
			unread_count = unread_count
				+ if(%(unread)s and (last_read_at is null or last_read_at < %(at)s), 1, 0),
			last_message_preview = if(last_message_at is null or last_message_at <= %(at)s, %(preview)s,
				last_message_preview),
			last_message_from_me = if(last_message_at is null or last_message_at <= %(at)s, %(from_me)s,
				last_message_from_me),
			last_message_deleted = if(last_message_at is null or last_message_at <= %(at)s, 0,
				last_message_deleted),
			last_message_at = if(last_message_at is null or last_message_at < %(at)s, %(at)s, last_message_at)
		where name = %(name)s""",
		{
			"unread": 1 if unread else 0,
			"at": at,
			"preview": (preview or "")[:200],
			"from_me": 1 if from_me else 0,
			"name": contact,
		},
	)


def apply_metadata(
	session: str, chat_jid: str, phone_jid: str | None, name: str | None, picture: str | None
) -> str:
	contact = resolve(session, chat_jid, phone_jid, name)
	changes = {}
	if name:
		changes["push_name"] = name
		current = frappe.db.get_value(
			DOCTYPE, contact, ["display_name", "push_name", "phone", "whatsapp_id"], as_dict=True
		)
		# Follow the name WhatsApp gives, or the number we showed instead; never replace one an agent typed.
		ours = (None, "", current.push_name, current.phone, current.whatsapp_id.split("@")[0])
		if current.display_name in ours:
			changes["display_name"] = name
	if picture:
		changes["profile_picture_url"] = picture
	if changes:
		frappe.db.set_value(DOCTYPE, contact, changes)
	return contact

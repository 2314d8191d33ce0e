"""An agent's emoji reaction to a message: shown at once, sent to the gateway by a background job. The job sends
what the row holds when it runs, so reacting, changing and taking the reaction away in quick succession end with
WhatsApp showing the last choice, whatever order the jobs run in."""

import json
import re
import time

import frappe
from frappe import _

from xappiens_whatsapp.clients.errors import ProviderError
from xappiens_whatsapp.core.jid import parse_jid
from xappiens_whatsapp.core.message_state import merge_reactions
from xappiens_whatsapp.pipeline import realtime
from xappiens_whatsapp.pipeline.inbox.rows import get_row
from xappiens_whatsapp.pipeline.whatsapp.gateway import inbox_hub

DOCTYPE = "WhatsApp Message"
OURS = "me"  # the key of our own reaction among the senders'
# One emoji, possibly with modifiers and joiners: no letters, digits, markup or spaces.
EMOJI = re.compile(r"^[^\sA-Za-z0-9<>&\"'`\\]{1,16}$")


def _reactions(row: dict) -> dict:
	value = row.get("reactions")
	return (json.loads(value) if isinstance(value, str) and value else value) or {}


def react(message: str, emoji: str) -> dict:
	"""Set (or with "" take away) our reaction; the caller checked the agent may write in the conversation."""
	emoji = (emoji or "").strip()
	if emoji and not EMOJI.match(emoji):
		frappe.throw(_("A reaction is one emoji"))
	row = get_row(
		DOCTYPE,
		message,
		["name", "session", "contact", "message_id", "reactions", "deleted"],
		for_update=True,
	)
	if not row or not row["message_id"]:
		frappe.throw(_("This message has not reached WhatsApp yet"))
	if row["deleted"]:
		frappe.throw(_("This message was deleted"))
	merged = merge_reactions(_reactions(row), OURS, emoji, int(time.time() * 1000))
	frappe.db.set_value(DOCTYPE, message, "reactions", json.dumps(merged, ensure_ascii=False))
	realtime.message_changed(row["session"], row["contact"], message, "reaction")
	frappe.enqueue(
		"xappiens_whatsapp.pipeline.whatsapp.reactions_out.send",
		queue="short",
		job_id=f"xw-react-{message}-{merged[OURS]['ts']}",
		enqueue_after_commit=True,
		message=message,
	)
	return {"name": message, "emoji": emoji}


def send(message: str) -> None:
	row = get_row(DOCTYPE, message, ["name", "session", "chat_jid", "message_id", "from_me", "reactions"])
	if not row or not row["message_id"]:
		return
	ours = _reactions(row).get(OURS) or {}
	chat = parse_jid(row["chat_jid"])
	to = (chat.phone_digits or str(chat)) if chat else row["chat_jid"]
	try:
		with inbox_hub() as client:
			client.send_reaction(
				row["session"], to, row["message_id"], ours.get("emoji") or "", from_me=bool(row["from_me"])
			)
	except ProviderError as error:
		# Shown as ours already; say in the log why WhatsApp may not show it (the agent can react again).
		frappe.logger("xappiens_whatsapp").warning(f"reaction to {message} not sent: {type(error).__name__}")

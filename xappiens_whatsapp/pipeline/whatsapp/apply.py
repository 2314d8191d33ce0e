"""Inbox Hub events → CRM records. Parsing is pure (core/); this module only decides which record changes."""

from xappiens_whatsapp.core import inbox_hub_events as ih
from xappiens_whatsapp.pipeline import realtime, settings
from xappiens_whatsapp.pipeline.inbox.outcome import Outcome
from xappiens_whatsapp.pipeline.whatsapp import contacts, message_changes, messages
from xappiens_whatsapp.pipeline.whatsapp.sessions import OtherSession, apply_session_event, ensure_session

MESSAGE = "WhatsApp Message"


def apply(row, raw: bytes, headers: dict) -> Outcome:
	try:
		return _apply(row, raw, headers)
	except OtherSession:
		return Outcome("Ignored", note="Another session's id differs from this one only in letter case")
	except message_changes.NotTheSenders:
		return Outcome("Ignored", note="Only the sender of a message may edit or delete it")
	except messages.ConflictingId:
		return Outcome(
			"Ignored", note="A message of this conversation has the same id in another letter case"
		)


def _apply(row, raw: bytes, headers: dict) -> Outcome:
	# The row's session id is the one the delivery was verified for, used as it is.
	parsed = ih.parse(
		raw,
		headers.get("X-Webhook-Event"),
		row.session_id or None,
		settings.ack_scale(),
		trusted_origins=(settings.whatsapp().base_url,),
	)
	event = parsed.event

	if isinstance(event, ih.MessageEvent):
		return Outcome("Processed", MESSAGE, messages.store_message(event), wake=(event.message_id,))

	if isinstance(event, ih.StatusEvent):
		name = messages.apply_status_event(event)
		if name is None:
			return Outcome("Waiting", note="Waiting for its message to arrive")
		note = None if event.status else f"Ack {event.raw_ack} is not on the configured scale"
		return Outcome("Processed", MESSAGE, name, note)

	if isinstance(event, ih.ReactionEvent):
		name = messages.apply_reaction(event)
		if name is None:
			return Outcome("Waiting", note="Waiting for the message it reacts to")
		return Outcome("Processed", MESSAGE, name)

	if isinstance(event, ih.ChangeEvent):
		name = message_changes.apply(event)
		if name is None:
			return Outcome("Waiting", note="Waiting for the message it edits or deletes")
		return Outcome("Processed", MESSAGE, name)

	if isinstance(event, ih.SessionEvent):
		note = None if event.known_status else "Unknown session status"
		return Outcome("Processed", "WhatsApp Session", apply_session_event(event), note)

	if isinstance(event, ih.ConversationEvent):
		session = ensure_session(event.session_id)
		contact = contacts.apply_metadata(
			session, event.chat_jid, event.phone_jid, event.name, event.picture_url
		)
		return Outcome("Processed", "WhatsApp Contact", contact)

	if isinstance(event, ih.PingEvent):
		if event.session_id and event.nonce:
			realtime.test_event(event.session_id, event.nonce, "processed")
		return Outcome("Processed", note="Test event: nothing to change")

	return Outcome("Ignored", note=event.reason)

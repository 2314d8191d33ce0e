"""Inbox Hub's webhook vocabulary and the typed events a delivery becomes (see inbox_hub_events for parsing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .message_state import MessageStatus
from .session_status import SessionState

# Dotted names are the contract; the rest are older or alternative names for the same events.
ALIASES = {
	"message": "message.received",
	"message.create": "message.received",
	"message.new": "message.received",
	"message_received": "message.received",
	"message.upsert": "message.received",
	"messages.upsert": "message.received",
	"message_sent": "message.sent",
	"message_create": "message.sent",
	"message_ack": "message.ack",
	"message.update": "message.ack",
	"messages.update": "message.ack",  # Baileys' own name; it also carries edits and deletions
	"message_status": "message.status",
	"message_delivered": "message.delivered",
	"message_read": "message.read",
	"message_failed": "message.failed",
	"session_status": "session.status",
	"session.update": "session.status",
	"session_connected": "session.connected",
	"session_disconnected": "session.disconnected",
	"session_qr": "session.qr",
	"qr": "session.qr",
	"qr.updated": "session.qr",
	"contact_update": "contact.updated",
	"contacts.update": "contact.updated",
	"conversation_created": "conversation.created",
	"conversation_updated": "conversation.updated",
	# Edits and deletions for everyone (not in the contract; whatsapp-web.js and other gateways' names). A deletion
	# "for me" only hides a message on the phone that deleted it, so `message_revoke_me` is not one of them.
	"message_edit": "message.edited",
	"message.edit": "message.edited",
	"message_edited": "message.edited",
	"message_revoke_everyone": "message.revoked",
	"message.revoke_everyone": "message.revoked",
	"message_revoke": "message.revoked",
	"message.revoke": "message.revoked",
	"message_revoked": "message.revoked",
	"message.deleted": "message.revoked",
	"message_deleted": "message.revoked",
	"message.delete": "message.revoked",
}


# What the app asks the gateway to deliver (the contract's dotted names).
SUBSCRIBED_EVENTS: tuple[str, ...] = (
	"message.received",
	"message.sent",
	"message.ack",
	"message.delivered",
	"message.read",
	"message.failed",
	"session.connected",
	"session.disconnected",
	"session.qr",
	"conversation.created",
	"conversation.updated",
	"contact.updated",
)


# What it understands: those, the legacy names' targets, and its own test event.
HANDLED = {
	*SUBSCRIBED_EVENTS,
	"message.status",
	"message.edited",
	"message.revoked",
	"session.status",
	"contact.created",
	"webhook.test",
}


class PayloadError(ValueError):
	"""The body is not a JSON object: nothing in it can be trusted to mean anything."""


@dataclass(frozen=True)
class Envelope:
	event: str  # canonical name, or the raw one when unknown
	raw_event: str
	session_id: str | None
	timestamp: Any  # the envelope's own (signed) timestamp, as sent
	data: dict
	shape: str  # G, F, L or ? (unknown)

	@property
	def known(self) -> bool:
		return self.event in HANDLED


@dataclass(frozen=True)
class Media:
	url: str | None = None
	mimetype: str | None = None
	filename: str | None = None
	size: int | None = None


@dataclass(frozen=True)
class MessageEvent:
	session_id: str
	message_id: str
	chat_jid: str
	from_me: bool
	message_type: str = "text"
	body: str | None = None
	timestamp: float | None = None
	sender_jid: str | None = None  # author inside a group
	serialized_id: str | None = None
	gateway_row_id: str | None = None
	media: Media | None = None
	quoted_message_id: str | None = None
	is_forwarded: bool = False
	push_name: str | None = None
	phone_jid: str | None = None  # the phone JID behind a @lid chat, when the payload tells
	latitude: float | None = None
	longitude: float | None = None
	status: MessageStatus | None = None  # a status the message already carries (e.g. "sent")
	raw_ack: int | None = None
	voice_note: bool = False  # audio recorded in the chat (WhatsApp's "ptt"), not a shared audio file


@dataclass(frozen=True)
class ReactionEvent:
	session_id: str
	target_message_id: str
	chat_jid: str | None
	sender: str  # who reacted: a JID, or "me"
	emoji: str  # "" removes the reaction
	timestamp_ms: int


class Change:
	EDIT = "edit"
	DELETE = "delete"


@dataclass(frozen=True)
class ChangeEvent:
	"""The sender edited a message of theirs, or deleted it for everyone."""

	session_id: str
	target_message_id: str
	chat_jid: str  # the chat the change came in: the only one whose message it may change
	from_me: bool  # changed from this number's phone: one of our own messages
	kind: str  # Change.EDIT or Change.DELETE
	sender_jid: str | None = None  # who changed it, inside a group
	body: str | None = None  # an edit's new text
	timestamp: float | None = None  # when it was changed


@dataclass(frozen=True)
class StatusEvent:
	session_id: str
	message_id: str
	status: MessageStatus | None  # None: a value the configured scale does not know
	raw_ack: int | None = None
	raw_status: str | None = None
	timestamp: float | None = None


@dataclass(frozen=True)
class SessionEvent:
	session_id: str
	state: SessionState
	known_status: bool = True
	phone: str | None = None
	reason: str | None = None
	qr_base64: str | None = None
	qr_expires_at: float | None = None
	timestamp: float | None = None


@dataclass(frozen=True)
class ConversationEvent:
	session_id: str
	chat_jid: str
	name: str | None = None
	phone_jid: str | None = None
	is_group: bool | None = None
	picture_url: str | None = None


@dataclass(frozen=True)
class PingEvent:
	session_id: str | None
	nonce: str | None = None


@dataclass(frozen=True)
class Ignored:
	reason: str


Event = (
	MessageEvent
	| ReactionEvent
	| ChangeEvent
	| StatusEvent
	| SessionEvent
	| ConversationEvent
	| PingEvent
	| Ignored
)


@dataclass
class Parsed:
	envelope: Envelope
	event: Event
	dedup_key: str
	reference_key: str | None = None  # the message a status, reaction or change waits for
	notes: list[str] = field(default_factory=list)

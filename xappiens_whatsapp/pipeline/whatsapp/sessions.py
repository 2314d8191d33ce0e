"""Session life cycle from webhooks: status, phone, QR image and its expiry."""

import frappe

from xappiens_whatsapp.core.inbox_hub_events import SessionEvent
from xappiens_whatsapp.core.session_status import SessionState
from xappiens_whatsapp.pipeline import realtime
from xappiens_whatsapp.pipeline.inbox import drain_state
from xappiens_whatsapp.pipeline.inbox.claim import insert_or_get
from xappiens_whatsapp.pipeline.times import from_epoch, to_epoch


class OtherSession(Exception):
	"""The stored session the database found for an event's id is not that id exactly (it differs in case)."""


def ensure_session(session_id: str) -> str:
	"""Events can name a session created on the gateway outside the desk: it appears for managers to adopt.
	The event's session id is used exactly as stored on its inbox row; a session whose id the database only
	matches without regard to case is another session (OtherSession)."""
	state = drain_state.current()  # while a job applies a run of events
	known = state.known_sessions if state is not None else None
	if known is not None and session_id in known:
		return session_id
	name, _ = insert_or_get(
		{"doctype": "WhatsApp Session", "session_id": session_id, "session_name": session_id},
		{"name": session_id},
	)
	if name != session_id:
		raise OtherSession(session_id)
	if known is not None:
		# Only once committed: a rolled-back first event must not leave later ones trusting a session that
		# was never stored.
		frappe.db.after_commit.add(lambda: known.add(name))
	return name


def apply_session_event(event: SessionEvent) -> str:
	name = ensure_session(event.session_id)
	row = frappe.db.get_value(
		"WhatsApp Session", name, ["status", "last_event_at"], as_dict=True, for_update=True
	)
	# Session events carry their own time: an older one arriving late must not undo a newer state.
	last = to_epoch(row.last_event_at)
	if event.timestamp is not None and last is not None and event.timestamp < last:
		return name

	changes = {"status": str(event.state)}
	if event.timestamp is not None:
		changes["last_event_at"] = from_epoch(event.timestamp)
	if event.state == SessionState.QR_REQUIRED and event.qr_base64:
		changes.update(qr_code=event.qr_base64, qr_expires_at=from_epoch(event.qr_expires_at))
	elif event.state in (SessionState.CONNECTED, SessionState.DISCONNECTED):
		changes.update(qr_code=None, qr_expires_at=None)
	if event.phone:
		changes["phone_number"] = "+" + event.phone
	reason = event.reason if event.state != SessionState.CONNECTED else None
	if not event.known_status:
		reason = f"Unknown status: {event.reason or ''}".strip()
	changes["status_reason"] = (reason or "")[:140] or None

	frappe.db.set_value("WhatsApp Session", name, changes)
	realtime.session_changed(name, changes["status"])
	return name

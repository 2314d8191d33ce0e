"""The gateway's many session status words, folded into the five states the desk shows."""

from __future__ import annotations

from enum import StrEnum

from .text import one_line


class SessionState(StrEnum):
	QR_REQUIRED = "QR Code Required"
	CONNECTING = "Connecting"
	CONNECTED = "Connected"
	DISCONNECTED = "Disconnected"
	ERROR = "Error"


_MAP = {
	"pending": SessionState.QR_REQUIRED,
	"qr": SessionState.QR_REQUIRED,
	"qr_code": SessionState.QR_REQUIRED,
	"qrcode": SessionState.QR_REQUIRED,
	"qr_required": SessionState.QR_REQUIRED,
	"connecting": SessionState.CONNECTING,
	"opening": SessionState.CONNECTING,
	"connected": SessionState.CONNECTED,
	"open": SessionState.CONNECTED,
	"ready": SessionState.CONNECTED,
	"disconnected": SessionState.DISCONNECTED,
	"close": SessionState.DISCONNECTED,
	"closed": SessionState.DISCONNECTED,
	"logout": SessionState.DISCONNECTED,
	"error": SessionState.ERROR,
	"rate_limited": SessionState.ERROR,
	"timeout": SessionState.ERROR,
	"failed": SessionState.ERROR,
}


def status_word(status: object, is_connected: object = None) -> str | None:
	"""The gateway's status word as plain lower-case text, with `isConnected` (when a boolean) overriding a stale
	word: the form the REST client reports and the webhook parser maps."""
	word = (one_line(status, 60) or "").lower() or None
	if is_connected is True:
		return "connected"
	if is_connected is False and word == "connected":
		return "disconnected"
	return word


def map_session_status(status: object, is_connected: object = None) -> tuple[SessionState, bool]:
	"""Return (state, known). `isConnected` wins over a stale `status`; unknown words read as Disconnected."""
	word = str(status or "").strip().lower().replace(" ", "_").replace("-", "_")
	state = _MAP.get(word)
	known = state is not None
	if is_connected is True:
		state = SessionState.CONNECTED
	elif is_connected is False and state == SessionState.CONNECTED:
		state = SessionState.DISCONNECTED
	return state or SessionState.DISCONNECTED, known or isinstance(is_connected, bool)

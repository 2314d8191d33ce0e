"""The fake Inbox Hub's values and answers, shared by its routes: message ids, chat ids, QR images and the
gateway's success and error bodies."""

from __future__ import annotations

import base64
import random
import secrets
import struct
import time
import zlib
from datetime import UTC, datetime
from typing import Any

from xappiens_whatsapp.testing.fake_http import Response


def new_message_id() -> str:
	"""A short WhatsApp-style key id: 22 upper-case hex characters starting 3EB0."""
	return "3EB0" + secrets.token_hex(9).upper()


def iso(moment: float | None = None) -> str:
	when = datetime.fromtimestamp(time.time() if moment is None else moment, UTC)
	return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def qr_png_base64(modules: int = 25, scale: int = 4) -> str:
	"""A real (if meaningless) QR-looking PNG, so UIs that render the image have something to show."""
	rng = random.Random(secrets.randbits(32))
	border = 4
	size = (modules + 2 * border) * scale
	grid = [[rng.random() < 0.5 for _ in range(modules)] for _ in range(modules)]
	rows = []
	for y in range(size):
		my = y // scale - border
		row = bytearray()
		for x in range(size):
			mx = x // scale - border
			dark = 0 <= my < modules and 0 <= mx < modules and grid[my][mx]
			row.append(0 if dark else 255)
		rows.append(b"\x00" + bytes(row))

	def chunk(tag: bytes, data: bytes) -> bytes:
		return (
			struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
		)

	png = (
		b"\x89PNG\r\n\x1a\n"
		+ chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
		+ chunk(b"IDAT", zlib.compress(b"".join(rows)))
		+ chunk(b"IEND", b"")
	)
	return base64.b64encode(png).decode()


def chat_jid(to: str) -> str:
	"""The chat a recipient means, in Baileys' form (`<digits>@s.whatsapp.net`); groups and lids as given."""
	text = str(to).strip()
	if "@" not in text:
		return f"{text.lstrip('+')}@s.whatsapp.net"
	user, _, server = text.rpartition("@")
	if server in ("c.us", "s.whatsapp.net"):
		return f"{user.split(':', 1)[0]}@s.whatsapp.net"
	return text


def c_us(jid: str) -> str:
	user, _, server = jid.rpartition("@")
	return f"{user}@c.us" if server == "s.whatsapp.net" else jid


def _utf16_len(text: str) -> int:
	return len(text.encode("utf-16-le")) // 2


def _error(status: int, error: str, code: str, details: dict | None = None) -> Response:
	body: dict[str, Any] = {"success": False, "error": error, "code": code, "timestamp": iso()}
	if details:
		body["details"] = details
	return Response(status, body)


def _ok(data: Any = None, status: int = 200, message: str | None = None) -> Response:
	body: dict[str, Any] = {"success": True}
	if message:
		body["message"] = message
	if data is not None:
		body["data"] = data
	return Response(status, body)

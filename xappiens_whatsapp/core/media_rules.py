"""What an incoming media file must be before it is stored: an allowed type, a bounded size, content that is what
it claims to be, fetched only from hosts that may serve it. Pure rules; the job that applies them is
`pipeline/whatsapp/media_store.py`."""

from __future__ import annotations

import fnmatch
import re

from .text import one_line
from .urls import origin, safe_url

STORED_TYPES = ("image", "video", "audio", "document", "sticker")
# Types a browser would run as a page or a script when the file is opened: never stored, whatever the setting.
NEVER_STORED = (
	"text/html",
	"application/xhtml+xml",
	"image/svg+xml",
	"text/javascript",
	"application/javascript",
	"application/x-msdownload",
	"application/x-sh",
)
DEFAULT_ALLOWED = (
	"image/jpeg",
	"image/png",
	"image/gif",
	"image/webp",
	"video/mp4",
	"video/3gpp",
	"video/quicktime",
	"video/webm",
	"audio/ogg",
	"audio/mpeg",
	"audio/mp4",
	"audio/aac",
	"audio/amr",
	"audio/wav",
	"audio/webm",
	"application/pdf",
	"application/msword",
	"application/vnd.openxmlformats-officedocument.*",
	"application/vnd.ms-excel",
	"application/vnd.ms-powerpoint",
	"application/vnd.oasis.opendocument.*",
	"application/zip",
	"text/plain",
	"text/csv",
)
# WhatsApp's own media servers (mmg.whatsapp.net and its regional media hosts).
WHATSAPP_MEDIA_DOMAIN = "whatsapp.net"
# Backoff between download attempts, in minutes; its length is the number of retries.
RETRY_MINUTES = (1, 5, 15, 60, 240)

EXTENSIONS = {
	"image/jpeg": "jpg",
	"image/png": "png",
	"image/gif": "gif",
	"image/webp": "webp",
	"video/mp4": "mp4",
	"video/3gpp": "3gp",
	"video/quicktime": "mov",
	"video/webm": "webm",
	"audio/ogg": "ogg",
	"audio/mpeg": "mp3",
	"audio/mp4": "m4a",
	"audio/aac": "aac",
	"audio/amr": "amr",
	"audio/wav": "wav",
	"audio/webm": "weba",
	"application/pdf": "pdf",
	"text/plain": "txt",
	"text/csv": "csv",
	"application/zip": "zip",
}
# Leading bytes of the formats whose content is checked against the type it claims.
_SIGNATURES: tuple[tuple[str, tuple[bytes, ...], int], ...] = (
	("image/jpeg", (b"\xff\xd8\xff",), 0),
	("image/png", (b"\x89PNG\r\n\x1a\n",), 0),
	("image/gif", (b"GIF87a", b"GIF89a"), 0),
	("audio/ogg", (b"OggS",), 0),
	("application/pdf", (b"%PDF-",), 0),
)
_FILE_NAME_JUNK = re.compile(r"[^\w.\- ()]+", re.UNICODE)


class MediaRefused(Exception):
	"""The file breaks a rule that a retry cannot change (type, size, content)."""


def base_type(mimetype: str | None) -> str:
	"""`audio/ogg; codecs=opus` → `audio/ogg`."""
	return (mimetype or "").split(";", 1)[0].strip().lower()


def allowed_patterns(setting: str | None) -> tuple[str, ...]:
	"""The allowlist from a setting of one type (or `type/*` pattern) per line; empty means the defaults."""
	lines = [line.strip().lower() for line in (setting or "").splitlines()]
	patterns = tuple(line for line in lines if line and not line.startswith("#"))
	return patterns or DEFAULT_ALLOWED


def mimetype_allowed(mimetype: str | None, patterns: tuple[str, ...] = DEFAULT_ALLOWED) -> bool:
	kind = base_type(mimetype)
	if not kind or "/" not in kind or kind in NEVER_STORED:
		return False
	return any(fnmatch.fnmatchcase(kind, pattern) for pattern in patterns)


def content_matches(mimetype: str | None, content: bytes) -> bool:
	"""False when the content's leading bytes belong to a known format other than the one claimed, or lack the
	signature of the known format claimed (e.g. still-encrypted bytes from WhatsApp's servers)."""
	kind = base_type(mimetype)
	for known, prefixes, offset in _SIGNATURES:
		starts = any(content[offset:].startswith(prefix) for prefix in prefixes)
		if kind == known and not starts:
			return False
		if kind != known and starts:
			return False
	if kind == "image/webp" and not (content[:4] == b"RIFF" and content[8:12] == b"WEBP"):
		return False
	return True


def check(mimetype: str | None, content: bytes, max_bytes: int, patterns: tuple[str, ...]) -> None:
	"""Raise `MediaRefused` with the reason shown on the message, or return when the file may be stored."""
	if len(content) > max_bytes:
		raise MediaRefused(f"larger than {format_size(max_bytes)}")
	if not content:
		raise MediaRefused("the file is empty")
	if not mimetype_allowed(mimetype, patterns):
		raise MediaRefused(f"type {base_type(mimetype) or 'unknown'} is not allowed")
	if not content_matches(mimetype, content):
		raise MediaRefused(f"the content is not {base_type(mimetype)}")


def download_url_allowed(url: str | None, gateway_base_url: str | None) -> bool:
	"""A payload's media URL is fetched only when `https` on the configured gateway's host or on WhatsApp's media
	servers: anything else could make the server fetch an internal address for a customer."""
	if not safe_url(url):
		return False
	found = origin(url)
	if found is None or found[0] != "https":
		return False
	host = found[1]
	if host == WHATSAPP_MEDIA_DOMAIN or host.endswith("." + WHATSAPP_MEDIA_DOMAIN):
		return True
	gateway = origin(gateway_base_url)
	return gateway is not None and host == gateway[1]


def same_origin(url: str | None, base_url: str | None) -> bool:
	"""`url` is on exactly the scheme, host and port of `base_url` (the gateway, which may have it the key)."""
	return origin(url) is not None and origin(url) == origin(base_url)


def resolve_against(url: str, base_url: str) -> str:
	"""A site-relative path the gateway answers (`/uploads/x.jpg`) as an address on the gateway."""
	if url.startswith("/") and not url.startswith("//"):
		return base_url.rstrip("/") + url
	return url


def file_name(given: str | None, mimetype: str | None, message_id: str) -> str:
	"""A stored file's name: the sender's name made safe, else one from the message id, with an extension."""
	kind = base_type(mimetype)
	extension = EXTENSIONS.get(kind) or (kind.split("/")[-1][:8] if "/" in kind else "bin")
	extension = re.sub(r"[^a-z0-9]", "", extension) or "bin"
	name = one_line(given, 120) or ""
	name = _FILE_NAME_JUNK.sub("_", name).strip(" ._")
	if not name:
		name = f"whatsapp-{_FILE_NAME_JUNK.sub('_', message_id)[:40]}"
	if "." not in name.rsplit("/", 1)[-1]:
		name = f"{name}.{extension}"
	return name


def retry_delay_minutes(failed_attempts: int) -> int | None:
	"""Minutes before the next attempt after `failed_attempts` failures, None when no attempt is left."""
	if failed_attempts < 1 or failed_attempts > len(RETRY_MINUTES):
		return None
	return RETRY_MINUTES[failed_attempts - 1]


def format_size(size: int) -> str:
	if size >= 1024 * 1024:
		return f"{size / (1024 * 1024):g} MB"
	if size >= 1024:
		return f"{size / 1024:g} KB"
	return f"{size} bytes"

"""Received media kept for good: each photo, video, audio, voice note, sticker and document a customer sends is
downloaded by a background job (never in the webhook request) and stored as a private File attached to its
message, so Frappe lets read it exactly those who may read the message. A failure is retried with backoff and
shown on the message; a file refused by the rules (size, type, content) is not retried."""

import frappe
from frappe.utils import add_to_date, now_datetime

from xappiens_whatsapp.clients.errors import ProviderError
from xappiens_whatsapp.clients.inbox_hub_media import DownloadedMedia, MediaDownloader, describe
from xappiens_whatsapp.core.media_rules import (
	STORED_TYPES,
	MediaRefused,
	allowed_patterns,
	base_type,
	check,
	download_url_allowed,
	file_name,
	retry_delay_minutes,
)
from xappiens_whatsapp.core.text import one_line
from xappiens_whatsapp.pipeline import realtime, settings
from xappiens_whatsapp.pipeline.inbox.rows import get_row
from xappiens_whatsapp.pipeline.whatsapp.gateway import inbox_hub

DOCTYPE = "WhatsApp Message"
JOB = "xappiens_whatsapp.pipeline.whatsapp.media_store.fetch"
# A queued row whose job was lost (Redis restarted) is taken again by the sweep after this long.
LOST_JOB_MINUTES = 10
BATCH = 200
FIELDS = [
	"name",
	"session",
	"contact",
	"from_me",
	"message_id",
	"message_type",
	"media_url",
	"media_mimetype",
	"media_filename",
	"attachment",
	"media_status",
	"media_attempts",
	"deleted",
]
GENERIC_TYPES = ("", "application/octet-stream", "binary/octet-stream")


def wanted(from_me: bool, message_type: str | None) -> bool:
	return not from_me and message_type in STORED_TYPES


def pending_fields() -> dict:
	"""What a new received media message starts with: queued, and found by the sweep if its job is lost."""
	return {"media_status": "Queued", "media_next_attempt_at": add_to_date(None, minutes=LOST_JOB_MINUTES)}


def queue(name: str) -> None:
	"""Once the caller's transaction commits (the worker must see the row), one job per message."""
	frappe.enqueue(
		JOB,
		queue="default",
		job_id=f"xw-media-{name}",
		deduplicate=True,
		enqueue_after_commit=True,
		name=name,
	)


def fetch(name: str) -> str | None:
	"""Download and store one message's media. Returns the row's media status."""
	row = frappe.db.get_value(DOCTYPE, name, FIELDS, as_dict=True)
	if not row or not wanted(row.from_me, row.message_type) or row.attachment or row.deleted:
		return None
	if row.media_status in ("Stored", "Expired"):
		return row.media_status
	conf = settings.whatsapp()
	max_bytes = settings.int_setting(conf, "max_media_mb", 16, minimum=1) * 1024 * 1024
	timeout = settings.int_setting(conf, "media_timeout", 60, minimum=1)
	try:
		got = _download(row, max_bytes, timeout)
		mimetype = _mimetype(got, row)
		check(mimetype, got.content, max_bytes, allowed_patterns(conf.media_mimetypes))
	except MediaRefused as exc:
		return _failed(row, str(exc), final=True)
	except (ProviderError, frappe.ValidationError) as exc:
		return _failed(row, describe(exc), final=False)
	return _store(row, got, mimetype)


def _download(row, max_bytes: int, timeout: int) -> DownloadedMedia:
	"""Through the gateway's media route; from the payload's own address only when the gateway cannot give it
	and the address is one that may be fetched (`download_url_allowed`)."""
	with inbox_hub(max_attempts=2) as client:
		downloader = MediaDownloader(client, max_bytes, timeout)
		try:
			return downloader.from_gateway(row.session, row.message_id)
		except ProviderError:
			if not download_url_allowed(row.media_url, client.base_url):
				raise
			try:
				return downloader.from_url(row.media_url)
			except ProviderError:
				pass
			raise


def _mimetype(got: DownloadedMedia, row) -> str:
	given = base_type(got.mimetype)
	return given if given not in GENERIC_TYPES else base_type(row.media_mimetype)


def _store(row, got: DownloadedMedia, mimetype: str) -> str:
	current = get_row(DOCTYPE, row.name, ["name", "attachment", "media_status", "deleted"], for_update=True)
	if not current or current.get("deleted"):
		return None  # deleted for everyone while it was downloading: nothing of it is kept
	if current.get("attachment"):
		return "Stored"
	name = file_name(row.media_filename or got.filename, mimetype, row.message_id)
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": name,
			"content": got.content,
			"is_private": 1,
			"attached_to_doctype": DOCTYPE,
			"attached_to_name": row.name,
			"attached_to_field": "attachment",
		}
	)
	file.flags.ignore_permissions = True
	file.insert(ignore_permissions=True)
	frappe.db.set_value(
		DOCTYPE,
		row.name,
		{
			"attachment": file.file_url,
			"media_status": "Stored",
			"media_error": None,
			"media_next_attempt_at": None,
			"media_mimetype": row.media_mimetype or mimetype,
			"media_filename": row.media_filename or one_line(name, 140),
			"media_size": len(got.content),
		},
		update_modified=False,
	)
	realtime.message_changed(row.session, row.contact, row.name, "media")
	return "Stored"


def _failed(row, reason: str, *, final: bool) -> str:
	attempts = int(row.media_attempts or 0) + 1
	delay = None if final else retry_delay_minutes(attempts)
	status = "Retrying" if delay else "Failed"
	frappe.db.set_value(
		DOCTYPE,
		row.name,
		{
			"media_status": status,
			"media_error": one_line(reason, 240),
			"media_attempts": attempts,
			"media_next_attempt_at": add_to_date(None, minutes=delay) if delay else None,
		},
		update_modified=False,
	)
	realtime.message_changed(row.session, row.contact, row.name, "media")
	return status


def retry_due() -> int:
	"""Every minute: downloads whose retry time has come, and queued ones whose job was lost."""
	due = frappe.get_all(
		DOCTYPE,
		filters={
			"media_status": ["in", ["Queued", "Retrying"]],
			"media_next_attempt_at": ["<=", now_datetime()],
		},
		pluck="name",
		limit=BATCH,
	)
	for name in due:
		if frappe.db.get_value(DOCTYPE, name, "media_status") == "Queued":
			frappe.db.set_value(DOCTYPE, name, pending_fields(), update_modified=False)
		queue(name)
	frappe.db.commit()
	return len(due)


def retry_now(name: str) -> None:
	"""An agent's Retry: the attempts start over."""
	frappe.db.set_value(
		DOCTYPE, name, {**pending_fields(), "media_attempts": 0, "media_error": None}, update_modified=False
	)
	queue(name)


def purge_expired() -> int:
	"""Every night: stored files older than the retention setting are deleted; the message keeps its text and
	says the file was removed."""
	cutoff = settings.retention_cutoff("media_retention_days", 0)
	if cutoff is None:
		return 0
	names = frappe.get_all(
		DOCTYPE,
		filters={"media_status": "Stored", "message_timestamp": ["<", cutoff]},
		pluck="name",
		limit=BATCH * 5,
	)
	for name in names:
		files = frappe.get_all(
			"File", filters={"attached_to_doctype": DOCTYPE, "attached_to_name": name}, pluck="name"
		)
		for file in files:
			frappe.delete_doc("File", file, ignore_permissions=True, force=True)
		frappe.db.set_value(
			DOCTYPE,
			name,
			{
				"attachment": None,
				"media_status": "Expired",
				"media_error": f"removed after {settings.whatsapp().media_retention_days} days, as the retention setting says",
			},
			update_modified=False,
		)
	frappe.db.commit()
	return len(names)

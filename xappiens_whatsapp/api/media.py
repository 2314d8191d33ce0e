"""Agents' media actions: try again to fetch a received file, send a voice note recorded in the browser, send a
location. The sending itself goes through the send queue (pipeline/whatsapp/outbound.py) like any message."""

import mimetypes

import frappe
from frappe import _
from frappe.rate_limiter import rate_limit

from xappiens_whatsapp.api.messages import _result, resolve_target
from xappiens_whatsapp.core.media_rules import base_type
from xappiens_whatsapp.core.opus_ogg import NotWebmOpus, is_webm, webm_to_ogg
from xappiens_whatsapp.core.text import one_line
from xappiens_whatsapp.pipeline.whatsapp import media_store, outbound

VOICE_TYPES = ("audio/ogg", "audio/mp4", "audio/mpeg")
MAX_VOICE_NOTE_BYTES = 16 * 1024 * 1024


@frappe.whitelist(methods=["POST"])
@rate_limit(limit=60, seconds=60)
def retry_media(message: str) -> dict:
	row = frappe.db.get_value(
		"WhatsApp Message", message, ["name", "from_me", "message_type", "media_status"], as_dict=True
	)
	if not row or not frappe.has_permission("WhatsApp Message", "read", doc=message):
		raise frappe.PermissionError
	if not media_store.wanted(row.from_me, row.message_type) or row.media_status not in (
		"Failed",
		"Retrying",
	):
		frappe.throw(_("Only a received file that could not be fetched can be tried again"))
	media_store.retry_now(message)
	return {"name": message, "media_status": "Queued"}


@frappe.whitelist(methods=["POST"])
def send_voice_note(
	file_url: str,
	contact: str | None = None,
	phone: str | None = None,
	session: str | None = None,
	client_ref: str | None = None,
) -> dict:
	"""A recording the agent made in the composer (uploaded as a private File first), sent as a voice note.
	Browsers that record WebM/Opus get it rewritten as the Ogg/Opus WhatsApp plays as a voice note."""
	candidates = frappe.get_all("File", filters={"file_url": file_url}, pluck="name")
	name = next((f for f in candidates if frappe.has_permission("File", "read", doc=f)), None)
	if not name:
		frappe.throw(_("File not found"))
	file = frappe.get_doc("File", name)
	if (file.file_size or 0) > MAX_VOICE_NOTE_BYTES:
		frappe.throw(_("The recording is too long"))
	session, contact = resolve_target(contact, phone, session)
	with open(file.get_full_path(), "rb") as handle:
		content = handle.read()
	if is_webm(content):
		try:
			content = webm_to_ogg(content)
		except NotWebmOpus:
			frappe.throw(_("The recording is not Opus audio"))
		file_url = conversation_file(file.file_name.rsplit(".", 1)[0] + ".ogg", content, contact)
	elif (
		not content.startswith(b"OggS")
		and base_type(mimetypes.guess_type(file.file_name)[0]) not in VOICE_TYPES
	):
		frappe.throw(_("A voice note must be an OGG, M4A or MP3 recording"))
	name = outbound.create(
		session=session, contact=contact, file_url=file_url, client_ref=client_ref, voice_note=True
	)
	return _result(name)


def conversation_file(file_name: str, content: bytes, contact: str) -> str:
	"""The address of a new private File attached to the conversation (as downloaded media are)."""
	return (
		frappe.get_doc(
			{
				"doctype": "File",
				"file_name": file_name,
				"content": content,
				"is_private": 1,
				"attached_to_doctype": "WhatsApp Contact",
				"attached_to_name": contact,
			}
		)
		.insert(ignore_permissions=True)
		.file_url
	)


@frappe.whitelist(methods=["POST"])
def send_location(
	latitude: float,
	longitude: float,
	label: str | None = None,
	contact: str | None = None,
	phone: str | None = None,
	session: str | None = None,
	client_ref: str | None = None,
) -> dict:
	latitude, longitude = float(latitude), float(longitude)
	if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
		frappe.throw(_("Latitude must be between -90 and 90 and longitude between -180 and 180"))
	session, contact = resolve_target(contact, phone, session)
	name = outbound.create(
		session=session,
		contact=contact,
		text=one_line(label, 200),
		client_ref=client_ref,
		location=(latitude, longitude),
	)
	return _result(name)

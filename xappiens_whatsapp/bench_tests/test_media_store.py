"""Received media, end to end: the fake gateway posts a message with a file → the worker stores the message →
a media job downloads the file through the gateway's media route → a private File attached to the message, which
only those who may read the conversation can open. Every way the download goes wrong is shown on the message."""

import os
from datetime import timedelta

import frappe
import requests
from frappe.utils import now_datetime

from xappiens_whatsapp.bench_tests.base import (
	XWTestCase,
	api_token,
	configure_settings,
	make_agent,
	make_user,
	run_worker,
)
from xappiens_whatsapp.bench_tests.gateway_case import FakeGatewayMixin
from xappiens_whatsapp.core.media_rules import RETRY_MINUTES
from xappiens_whatsapp.pipeline.whatsapp import media_store
from xappiens_whatsapp.testing.fake_inbox_hub_media import TINY_JPEG

API_KEY = "fake-gateway-key-for-media-tests"
CUSTOMER = "34600000011"
OGG = b"OggS" + bytes(200)
MEDIA_ROUTE = "/api/messages/*/{}/media"


class MediaCase(FakeGatewayMixin, XWTestCase):
	gateway_key = API_KEY

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.agent = make_agent("xwt-media-agent@example.com")
		cls.other_agent = make_agent("xwt-media-other@example.com")
		cls.manager = make_user("xwt-media-manager@example.com", "WhatsApp Manager")

	@classmethod
	def cleanup(cls):
		frappe.db.commit()  # a fresh snapshot: the worker stored messages and files on its own connection
		messages = frappe.get_all("WhatsApp Message", filters={"session": ["like", "xwt_%"]}, pluck="name")
		for name in frappe.get_all(
			"File",
			filters={"attached_to_doctype": "WhatsApp Message", "attached_to_name": ["in", messages or [""]]},
			pluck="name",
		):
			frappe.delete_doc("File", name, ignore_permissions=True, force=True)
		super().cleanup()

	def setUp(self):
		self.cleanup()
		self.hub.reset()
		self.make_session(users=[self.agent])
		self.make_session(self.session_id + "_b", users=[self.other_agent])
		self.connect_gateway(
			93, request_timeout=3, max_media_mb=1, media_timeout=2, media_mimetypes="", media_retention_days=0
		)

	def receive(self, kind: str, content: bytes, mimetype: str, *, settle: bool = True, **options) -> dict:
		message_id = self.hub.receive_media(self.session_id, CUSTOMER, kind, content, mimetype, **options)
		self.hub.wait_for_webhooks(timeout=10)
		if settle:
			run_worker()
		return self.row(message_id)

	def row(self, message_id: str) -> dict:
		frappe.db.commit()
		return frappe.db.get_value(
			"WhatsApp Message", {"session": self.session_id, "message_id": message_id}, ["*"], as_dict=True
		)

	def files_of(self, name: str) -> list[dict]:
		return frappe.get_all(
			"File",
			filters={"attached_to_doctype": "WhatsApp Message", "attached_to_name": name},
			fields=["name", "file_url", "is_private", "file_size", "attached_to_field"],
		)

	def get_as(self, user: str, path: str) -> requests.Response:
		headers = {**self.server.headers, "Authorization": api_token(user)}
		return requests.get(self.server.url + path, headers=headers, timeout=30)


class TestMediaStored(MediaCase):
	def test_a_photo_is_stored_privately_and_readable_only_by_who_may_read_the_conversation(self):
		row = self.receive("image", TINY_JPEG, "image/jpeg", caption="mi factura", filename="foto.jpg")
		self.assertEqual(row.media_status, "Stored", row.media_error)
		self.assertEqual(row.body, "mi factura")
		files = self.files_of(row.name)
		self.assertEqual(len(files), 1)
		self.assertEqual((files[0].is_private, files[0].attached_to_field), (1, "attachment"))
		self.assertEqual(row.attachment, files[0].file_url)
		self.assertTrue(row.attachment.startswith("/private/files/"))
		self.assertEqual(row.media_size, len(TINY_JPEG))

		# Frappe strips EXIF data from images it stores (a re-encoded JPEG): a JPEG, not the same bytes.
		opened = self.get_as(self.agent, row.attachment)
		self.assertEqual(opened.status_code, 200)
		self.assertTrue(opened.content.startswith(b"\xff\xd8\xff"))
		self.assertEqual(self.get_as(self.manager, row.attachment).status_code, 200)
		self.assertEqual(self.get_as(self.other_agent, row.attachment).status_code, 403)
		self.assertEqual(
			requests.get(self.server.url + row.attachment, headers=self.server.headers).status_code, 403
		)

	def test_the_download_never_happens_in_the_webhook_request(self):
		row = self.receive("image", TINY_JPEG, "image/jpeg", settle=False)
		self.assertIsNone(row)  # not even the message: the webhook only stored the event
		self.assertEqual(self.hub.media_requests(), [])
		run_worker()
		self.assertEqual(len(self.hub.media_requests()), 1)

	def test_a_voice_note_in_base64_is_stored_as_one(self):
		self.hub.configure()
		message_id = self.hub.receive_media(
			self.session_id, CUSTOMER, "ptt", OGG, "audio/ogg; codecs=opus", shape="base64"
		)
		self.hub.wait_for_webhooks(timeout=10)
		run_worker()
		row = self.row(message_id)
		self.assertEqual(
			(row.message_type, row.voice_note, row.media_status), ("audio", 1, "Stored"), row.media_error
		)
		self.assertTrue(row.attachment.endswith(".ogg"))

	def test_a_document_whose_gateway_answer_is_an_address_is_fetched_from_the_gateway(self):
		pdf = b"%PDF-1.4\n" + bytes(100)
		row = self.receive("document", pdf, "application/pdf", filename="presupuesto.pdf", shape="url")
		self.assertEqual(row.media_status, "Stored", row.media_error)
		self.assertEqual(row.media_filename, "presupuesto.pdf")
		# The customer's file name is kept; Frappe adds a suffix when another file of that name is on disk.
		self.assertRegex(row.attachment, r"^/private/files/presupuesto[0-9a-f]*\.pdf$")

	def test_a_slow_gateway_within_the_timeout_is_waited_for(self):
		self.hub.add_fault(path=MEDIA_ROUTE.format("SLOWOK*"), action="delay", delay=0.5, times=None)
		row = self.receive("audio", OGG, "audio/ogg", message_id="SLOWOK1")
		self.assertEqual(row.media_status, "Stored", row.media_error)


class TestMediaFailures(MediaCase):
	def test_not_found_is_retried_with_backoff_and_stored_once_it_appears(self):
		self.hub.add_fault(path=MEDIA_ROUTE.format("LATE1"), status=404, times=None, error="Media not found")
		row = self.receive("image", TINY_JPEG, "image/jpeg", message_id="LATE1")
		self.assertEqual((row.media_status, row.media_attempts), ("Retrying", 1))
		self.assertIn("Media not found", row.media_error)
		self.assertGreater(row.media_next_attempt_at, now_datetime())
		self.assertFalse(row.attachment)

		self.assertEqual(media_store.retry_due(), 0)  # not due yet
		self.hub.clear_faults()
		frappe.db.set_value(
			"WhatsApp Message", row.name, "media_next_attempt_at", now_datetime() - timedelta(seconds=1)
		)
		frappe.db.commit()
		self.assertEqual(media_store.retry_due(), 1)
		run_worker()
		self.assertEqual(self.row("LATE1").media_status, "Stored")

	def test_a_timeout_is_retried_and_the_agent_can_retry_at_once(self):
		self.hub.add_fault(path=MEDIA_ROUTE.format("HANG1"), action="delay", delay=5, times=2)
		row = self.receive("video", b"\x00\x00\x00\x18ftypmp42" + bytes(50), "video/mp4", message_id="HANG1")
		self.assertEqual(row.media_status, "Retrying")
		self.assertTrue(row.media_error)

		denied = self.call_as(self.other_agent, "xappiens_whatsapp.api.media.retry_media", message=row.name)
		self.assertEqual(denied.status_code, 403)
		response = self.call_as(self.agent, "xappiens_whatsapp.api.media.retry_media", message=row.name)
		self.assertEqual(response.status_code, 200, response.text)
		run_worker()
		row = self.row("HANG1")
		self.assertEqual((row.media_status, row.media_attempts), ("Stored", 0))

	def test_retries_stop_after_the_last_backoff(self):
		self.hub.add_fault(path=MEDIA_ROUTE.format("GONE1"), status=404, times=None)
		row = self.receive("sticker", b"RIFF0000WEBPVP8 ", "image/webp", message_id="GONE1")
		for _ in range(len(RETRY_MINUTES)):
			frappe.db.set_value(
				"WhatsApp Message", row.name, "media_next_attempt_at", now_datetime() - timedelta(seconds=1)
			)
			frappe.db.commit()
			media_store.retry_due()
			run_worker()
		row = self.row("GONE1")
		self.assertEqual(row.media_status, "Failed")
		self.assertIsNone(row.media_next_attempt_at)
		self.assertEqual(row.media_attempts, len(RETRY_MINUTES) + 1)

	def test_a_file_over_the_limit_is_refused_for_good(self):
		big = b"\xff\xd8\xff" + bytes(1024 * 1024 + 10)
		row = self.receive("image", big, "image/jpeg")
		self.assertEqual(row.media_status, "Failed")
		self.assertIn("larger than 1 MB", row.media_error)
		self.assertIsNone(row.media_next_attempt_at)
		self.assertEqual(self.files_of(row.name), [])

	def test_a_type_off_the_allowlist_or_content_that_lies_is_refused(self):
		html = self.receive("document", b"<html><script>alert(1)</script>", "text/html", filename="x.html")
		self.assertEqual(html.media_status, "Failed")
		self.assertIn("text/html is not allowed", html.media_error)
		lie = self.receive("image", TINY_JPEG, "image/png")
		self.assertEqual(lie.media_status, "Failed")
		self.assertIn("content is not image/png", lie.media_error)
		configure_settings(media_mimetypes="image/*")
		pdf = self.receive("document", b"%PDF-1.4\n", "application/pdf")
		self.assertIn("application/pdf is not allowed", pdf.media_error)
		self.assertEqual(self.files_of(html.name) + self.files_of(lie.name) + self.files_of(pdf.name), [])


class TestMediaRetention(MediaCase):
	def test_files_older_than_the_retention_are_deleted_and_the_message_says_so(self):
		old = self.receive("document", b"%PDF-1.4 only this one", "application/pdf", message_id="OLD1")
		new = self.receive("audio", OGG, "audio/ogg", message_id="NEW1")
		path = frappe.get_site_path(old.attachment.lstrip("/"))
		frappe.db.set_value(
			"WhatsApp Message", old.name, "message_timestamp", now_datetime() - timedelta(days=40)
		)
		frappe.db.commit()
		self.assertEqual(media_store.purge_expired(), 0)  # 0 days: kept for as long as the message

		configure_settings(media_retention_days=30)
		self.assertEqual(media_store.purge_expired(), 1)
		old, new = self.row("OLD1"), self.row("NEW1")
		self.assertEqual((old.media_status, old.attachment), ("Expired", None))
		self.assertIn("30 days", old.media_error)
		self.assertEqual(self.files_of(old.name), [])
		self.assertFalse(os.path.exists(path))  # its content was its own (identical files share one on disk)
		self.assertEqual(new.media_status, "Stored")
		self.assertEqual(len(self.files_of(new.name)), 1)

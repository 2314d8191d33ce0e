"""Voice notes recorded in the composer and locations, through the send queue to the fake gateway."""

import base64
import struct

import frappe

from xappiens_whatsapp.bench_tests.test_outbound import OutboundCase

MEDIA = "xappiens_whatsapp.api.media"
OPUS_HEAD = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)


def ebml(element_id: int, payload: bytes) -> bytes:
	id_bytes = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
	return id_bytes + (0x0100000000000000 | len(payload)).to_bytes(8, "big") + payload


def webm_recording(frames: int = 5) -> bytes:
	"""What Chromium's MediaRecorder makes: WebM with one Opus track (20 ms frames)."""
	entry = ebml(0xD7, b"\x01") + ebml(0x86, b"A_OPUS") + ebml(0x63A2, OPUS_HEAD)
	blocks = b"".join(
		ebml(0xA3, b"\x81" + struct.pack(">h", 20 * i) + b"\x80\xf8" + bytes(40)) for i in range(frames)
	)
	segment = ebml(0x1654AE6B, ebml(0xAE, entry)) + ebml(0x1F43B675, ebml(0xE7, b"\x00") + blocks)
	return ebml(0x1A45DFA3, ebml(0x4282, b"webm")) + ebml(0x18538067, segment)


class TestVoiceNotesAndLocations(OutboundCase):
	def test_a_recording_goes_out_as_an_ogg_opus_voice_note(self):
		file = self.upload("voice-note-1.webm", webm_recording())
		response = self.call_as(
			self.agent, f"{MEDIA}.send_voice_note", file_url=file.file_url, phone="+34600000001"
		)
		self.assertEqual(response.status_code, 200, response.text)
		name = response.json()["message"]["name"]
		self.settle()
		sent = self.requests()[-1]["json"]
		self.assertEqual((sent["type"], sent["message"]["ptt"]), ("audio", True))
		self.assertEqual(sent["message"]["audio"]["mimetype"], "audio/ogg")
		audio = base64.b64decode(sent["message"]["audio"]["base64"])
		self.assertTrue(audio.startswith(b"OggS"))
		self.assertIn(OPUS_HEAD, audio)
		row = self.row(name)
		self.assertEqual((row.voice_note, row.message_type, row.status), (1, "audio", "Sent"))
		self.assertTrue(row.attachment.endswith(".ogg"))
		self.assertEqual(frappe.db.get_value("File", {"file_url": row.attachment}, "is_private"), 1)

	def test_a_voice_note_needs_a_recording_the_agent_may_read_and_the_number(self):
		file = self.upload("voice-note-2.webm", webm_recording())
		outsider = self.call_as(
			self.outsider, f"{MEDIA}.send_voice_note", file_url=file.file_url, phone="+34600000001"
		)
		self.assertIn(outsider.status_code, (403, 417))
		text = self.upload("notes.txt", b"not audio")
		refused = self.call_as(
			self.agent, f"{MEDIA}.send_voice_note", file_url=text.file_url, phone="+34600000001"
		)
		self.assertEqual(refused.status_code, 417)
		self.assertEqual(self.requests(), [])

	def test_a_location_goes_out_with_its_name(self):
		response = self.call_as(
			self.agent,
			f"{MEDIA}.send_location",
			latitude="40.4168",
			longitude="-3.7038",
			label="Oficina <Madrid>",
			phone="+34600000001",
		)
		self.assertEqual(response.status_code, 200, response.text)
		self.settle()
		location = self.requests()[-1]["json"]["message"]["location"]
		self.assertEqual((location["degreesLatitude"], location["degreesLongitude"]), (40.4168, -3.7038))
		row = self.row(response.json()["message"]["name"])
		self.assertEqual((row.message_type, row.latitude, row.status), ("location", 40.4168, "Sent"))
		self.assertNotIn("<", row.body)
		bad = self.call_as(
			self.agent, f"{MEDIA}.send_location", latitude="95", longitude="0", phone="+34600000001"
		)
		self.assertEqual(bad.status_code, 417)

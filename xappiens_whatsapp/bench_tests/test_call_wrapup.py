"""Call wrap-up: an outcome from the configured list and notes, by whoever may read the call; the recording
played through this site, fetched from Netelip's hosts only, for users who may read the call."""

import frappe

from xappiens_whatsapp.bench_tests.base import XWTestCase, make_agent, make_user, run_worker
from xappiens_whatsapp.bench_tests.test_netelip import (
	API_TOKEN,
	APP,
	CONTROL,
	TOKEN,
	call_id,
	cleanup_calls,
	configure_netelip,
	madrid,
)
from xappiens_whatsapp.testing.fake_netelip import FakeNetelip

WRAPUP = "xappiens_whatsapp.api.call_wrapup"
AGENT_LINE = "+34910000041"
SOUND = b"ID3" + bytes(range(256)) * 8


class TestCallWrapUp(XWTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.netelip = FakeNetelip(token=API_TOKEN, application=APP).start()
		cls.agent = make_agent("xwt-wrapup-agent@example.com")
		cls.other_agent = make_agent("xwt-wrapup-other@example.com")
		cls.manager = make_user("xwt-wrapup-manager@example.com", "WhatsApp Manager")

	@classmethod
	def tearDownClass(cls):
		cls.netelip.stop()
		cleanup_calls()
		super().tearDownClass()

	def setUp(self):
		cleanup_calls()
		self.netelip.reset()
		self.netelip.recordings.clear()
		configure_netelip(
			self.netelip.url,
			agents=[{"user": self.agent, "number": AGENT_LINE}],
			call_dispositions="Venta\nVolver a llamar\nNo interesado",
			recording_hosts="netelip.com",
		)

	def answered_call(self, recording: str | None = None) -> str:
		cid = call_id()
		fields = {
			"ID": cid,
			"api": APP,
			"src": "600000041",
			"dst": AGENT_LINE.lstrip("+"),
			"startcall": madrid(),
		}
		self.post(CONTROL + f"?token={TOKEN}", data=fields)
		self.post(CONTROL + f"?token={TOKEN}", data={**fields, "statuscall": "ANSWER", "status": "OK"})
		hangup = {
			**fields,
			"statuscall": "HANGUP",
			"status": "OK",
			**({"recordingurl": recording} if recording else {}),
		}
		self.post(CONTROL + f"?token={TOKEN}", data=hangup)
		run_worker()
		frappe.db.commit()
		return frappe.db.get_value("Netelip Call", {"call_id": cid}, "name")

	def test_the_agent_records_an_outcome_and_notes_from_the_list(self):
		call = self.answered_call()
		options = self.call_as(self.agent, f"{WRAPUP}.get_dispositions", http="GET").json()["message"]
		self.assertEqual(options, ["Venta", "Volver a llamar", "No interesado"])
		saved = self.call_as(
			self.agent,
			f"{WRAPUP}.save_wrapup",
			call=call,
			disposition="Volver a llamar",
			notes="Llamar el lunes <script>x()</script>",
		)
		self.assertEqual(saved.status_code, 200, saved.text)
		frappe.db.commit()
		row = frappe.db.get_value(
			"Netelip Call", call, ["disposition", "wrapup_notes", "wrapped_up_by"], as_dict=True
		)
		self.assertEqual((row.disposition, row.wrapped_up_by), ("Volver a llamar", self.agent))
		self.assertNotIn("<script", row.wrapup_notes)  # stored as plain text
		self.assertIn("Llamar el lunes", row.wrapup_notes)

	def test_an_outcome_off_the_list_or_a_call_one_may_not_read_is_refused(self):
		call = self.answered_call()
		off_list = self.call_as(self.agent, f"{WRAPUP}.save_wrapup", call=call, disposition="Inventado")
		self.assertEqual(off_list.status_code, 417, off_list.text)
		other = self.call_as(self.other_agent, f"{WRAPUP}.save_wrapup", call=call, disposition="Venta")
		self.assertEqual(other.status_code, 403, other.text)
		frappe.db.commit()
		self.assertIsNone(frappe.db.get_value("Netelip Call", call, "disposition"))

	def test_the_recording_plays_through_the_site_for_those_who_may_read_the_call(self):
		url = self.netelip.add_recording("grabacion-1.mp3", SOUND)
		call = self.answered_call(recording=url)
		self.assertEqual(frappe.db.get_value("Netelip Call", call, "recording_url"), url)
		for user in (self.agent, self.manager):
			response = self.call_as(user, f"{WRAPUP}.recording", http="GET", call=call)
			self.assertEqual(response.status_code, 200, response.text[:300])
			self.assertEqual((response.content, response.headers["Content-Type"]), (SOUND, "audio/mpeg"))
		refused = self.call_as(self.other_agent, f"{WRAPUP}.recording", http="GET", call=call)
		self.assertEqual(refused.status_code, 403)

	def test_a_recording_off_netelips_hosts_is_never_fetched(self):
		call = self.answered_call()
		# an https address Netelip's parser keeps, on a host that is not Netelip's
		frappe.db.set_value("Netelip Call", call, "recording_url", "https://example.com/elsewhere.mp3")
		frappe.db.commit()
		response = self.call_as(self.agent, f"{WRAPUP}.recording", http="GET", call=call)
		self.assertEqual(response.status_code, 417, response.text[:2000])
		self.assertIn("not on one of Netelip", response.text)

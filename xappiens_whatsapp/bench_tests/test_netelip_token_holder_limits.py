"""What a holder of the Netelip callback token still cannot do: make the company's WhatsApp number write to any
list of numbers (one text a day per number, so many an hour in all), or learn agents' lines from control
answers (only the call's own leg is told its agent's line)."""

import frappe

from xappiens_whatsapp.bench_tests.base import run_worker
from xappiens_whatsapp.bench_tests.test_netelip import (
	AGENT_NUMBER,
	NetelipCase,
	call_id,
	configure_netelip,
	own_calls,
)
from xappiens_whatsapp.pipeline.inbox.drain import process
from xappiens_whatsapp.pipeline.netelip import missed_call_texts

NUMBERS = [f"+3460000003{i}" for i in range(5)]
TRIGGER = "xwt_force_error"


class TestMissedCallTexts(NetelipCase):
	def setUp(self):
		super().setUp()
		self.make_session()
		frappe.db.set_value("WhatsApp Session", self.session_id, "status", "Connected")
		frappe.db.commit()
		self.followups()
		missed_call_texts.forget(NUMBERS)
		self.addCleanup(missed_call_texts.forget, NUMBERS)

	def followups(self, text: str = "Hola", **values):
		configure_netelip(
			self.netelip.url,
			whatsapp_followup=1,
			followup_session=self.session_id,
			followup_text=text,
			**values,
		)

	def missed(self, number: str) -> dict:
		cid = call_id()
		return {
			**self.inbound_fields(cid, src=number.lstrip("+")),
			"statuscall": "NOANSWER",
			"durationcall": "30",
		}

	def texted(self) -> dict[str, int]:
		frappe.db.commit()
		calls = own_calls(fields=["customer_number", "followup_message"])
		counts = {}
		for call in calls:
			counts[call.customer_number] = counts.get(call.customer_number, 0) + bool(call.followup_message)
		return counts

	def test_a_number_gets_one_text_a_day(self):
		self.report([self.missed(NUMBERS[0]), self.missed(NUMBERS[0])])
		self.report([self.missed(NUMBERS[0])])
		run_worker("short")
		self.assertEqual(self.texted(), {NUMBERS[0]: 1})
		# as if Redis had lost the day's claims: the database still knows the number was texted
		missed_call_texts.forget(NUMBERS)
		self.report([self.missed(NUMBERS[0])])
		run_worker("short")
		self.assertEqual(self.texted(), {NUMBERS[0]: 1})

	def test_texts_per_hour_are_limited_whatever_the_numbers(self):
		self.followups(followups_per_hour=2)
		self.report([self.missed(number) for number in NUMBERS])
		run_worker("short")
		self.assertEqual(sum(self.texted().values()), 2)

	def test_a_text_undone_with_its_event_is_sent_when_the_event_is_applied_again(self):
		self.followups("xwt-force-error")
		frappe.db.sql(f"drop trigger if exists {TRIGGER}")
		frappe.db.sql(
			f"""create trigger {TRIGGER} before insert on `tabWhatsApp Message` for each row
			begin if new.body = 'xwt-force-error' then signal sqlstate '45000' set message_text = 'forced by a test';
			end if; end"""
		)
		self.addCleanup(frappe.db.sql, f"drop trigger if exists {TRIGGER}")
		self.report([self.missed(NUMBERS[1])])
		run_worker("short")
		[row] = self.inbound(provider="Netelip", status="Failed")
		self.assertEqual(self.texted(), {})
		frappe.db.sql(f"drop trigger {TRIGGER}")
		process(row.name)  # the retry
		self.assertEqual(self.texted(), {NUMBERS[1]: 1})


class TestControlAnswersTellOnlyTheCallsOwnLine(NetelipCase):
	OTHER_NUMBER = "+34910000002"  # the other agent's personal number, rung over the public network

	def setUp(self):
		super().setUp()
		configure_netelip(
			self.netelip.url,
			inbound_extension="200",
			agents=[
				{"user": self.agent, "extension": "101", "number": AGENT_NUMBER},
				{"user": self.other_agent, "number": self.OTHER_NUMBER},
			],
		)

	def answer(self, cid: str, dst: str, **extra) -> dict:
		response = self.control(self.inbound_fields(cid, dst=dst, **extra))
		self.assertEqual(response.status_code, 200, response.text)
		return response.json()

	def test_each_call_is_told_only_its_own_agents_line(self):
		answers = {
			dst: self.answer(call_id(), dst)["options"]
			for dst in ("34699999999", AGENT_NUMBER.lstrip("+"), "101", self.OTHER_NUMBER.lstrip("+"), "555")
		}
		self.assertEqual(
			answers,
			{
				"34699999999": "extension,200,30,calling,7200",
				AGENT_NUMBER.lstrip("+"): "extension,101,30,calling,7200",
				"101": "extension,101,30,calling,7200",
				self.OTHER_NUMBER.lstrip("+"): "pstn,0034910000002,30,calling,7200",
				"555": "extension,200,30,calling,7200",
			},
		)

	def test_a_known_call_posted_to_another_agents_number_gets_no_instruction(self):
		cid = call_id()
		self.assertEqual(
			self.answer(cid, AGENT_NUMBER.lstrip("+"))["options"], "extension,101,30,calling,7200"
		)
		run_worker()
		self.assertEqual(self.call(cid).agent, self.agent)
		self.assertEqual(self.answer(cid, self.OTHER_NUMBER.lstrip("+"), dtmf="1"), {})
		self.assertEqual(self.answer(cid, AGENT_NUMBER.lstrip("+"), dtmf="2")["command"], "dial")

	def test_a_click_to_call_posted_without_our_reference_gets_no_instruction(self):
		self.launched_call()
		without_reference = self.netelip.call_fields()
		without_reference.pop("userdata")
		status, answer = self.netelip_posts(without_reference)  # to the agent's own extension, 101
		self.assertEqual((status, answer), (200, {}))

	def test_the_inbound_extension_must_not_be_a_public_number(self):
		for line in ("+34600123456", "0034600123456", "600123456", "+44 20 7946 0958"):
			with self.subTest(line=line):
				doc = frappe.get_single("Netelip Settings")
				doc.inbound_extension = line
				self.assertRaises(frappe.ValidationError, doc.save, ignore_permissions=True)

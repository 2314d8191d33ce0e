"""Shared ground for the ownership tests: a number with three agents, customers who write, and cleanup of what
assignment leaves on other doctypes (ToDo, Comment, Notification Log, the agents' switches)."""

import itertools
import time

import frappe
import requests

from xappiens_whatsapp.bench_tests.base import XWTestCase, api_token, make_agent
from xappiens_whatsapp.bench_tests.local_delivery import deliver
from xappiens_whatsapp.pipeline.whatsapp import agents, attention
from xappiens_whatsapp.testing.payloads import inbox_hub

AGENTS = ("xwt-own-a@example.com", "xwt-own-b@example.com", "xwt-own-c@example.com")
OUTSIDER = "xwt-own-outsider@example.com"
_ids = itertools.count(int(time.time()) % 100000)


def customer_message(phone: str, body: str = "Hola", ts: int | None = None) -> dict:
	"""A customer's message in the chat of `phone` (digits), with an id of its own."""
	payload = inbox_hub("g_message_received")
	message_id = f"3EB0XWT{next(_ids):08d}"
	jid = f"{phone}@c.us"
	data = payload["data"]
	data["id"].update(remote=jid, id=message_id, _serialized=f"false_{jid}_{message_id}_in")
	data.update({"from": jid, "body": body, "timestamp": ts or int(time.time())})
	return payload


class OwnershipTestCase(XWTestCase):
	session_id = "xwt_owners"

	def setUp(self):
		self.cleanup()
		self.a, self.b, self.c = (make_agent(user) for user in AGENTS)
		self.outsider = make_agent(OUTSIDER)
		for user in (*AGENTS, OUTSIDER):
			frappe.delete_doc_if_exists("WhatsApp Agent", user, force=True)
			agents.mark_offline(user)
		self.make_session(users=[self.a, self.b, self.c])
		frappe.db.commit()

	@classmethod
	def cleanup(cls):
		# The conversations and what refers to them go in the base's clean-up; the bells' bursts live in Redis.
		contacts = frappe.get_all("WhatsApp Contact", filters={"session": cls.session_id}, pluck="name")
		for user in (*AGENTS, OUTSIDER):
			for contact in contacts:
				frappe.cache.delete(attention._burst_key(user, contact))
		frappe.db.delete("WhatsApp Agent", {"name": ["in", [*AGENTS, OUTSIDER]]})
		super().cleanup()
		frappe.db.commit()

	def write(self, phone: str, body: str = "Hola", ts: int | None = None) -> str:
		"""The customer writes; the conversation it lands in."""
		deliver(customer_message(phone, body, ts), self.session_id)
		frappe.db.commit()
		return frappe.db.get_value(
			"WhatsApp Contact", {"session": self.session_id, "whatsapp_id": f"{phone}@s.whatsapp.net"}
		)

	def row(self, contact: str) -> dict:
		frappe.db.commit()
		return frappe.db.get_value(
			"WhatsApp Contact", contact, ["assigned_to", "conversation_state", "snoozed_until"], as_dict=True
		)

	def todos(self, contact: str) -> list[str]:
		return frappe.get_all(
			"ToDo",
			filters={"reference_type": "WhatsApp Contact", "reference_name": contact, "status": "Open"},
			pluck="allocated_to",
		)

	def api(self, as_user: str, method: str, http: str = "POST", **data) -> requests.Response:
		"""Call one of our endpoints over HTTP as `as_user` (its arguments may include a `user`)."""
		headers = {**self.server.headers, "Authorization": api_token(as_user), "Accept": "application/json"}
		url = f"{self.server.url}/api/method/xappiens_whatsapp.api.{method}"
		if http == "GET":
			return requests.get(url, params=data, headers=headers, timeout=60)
		return requests.post(url, data=data, headers=headers, timeout=60)

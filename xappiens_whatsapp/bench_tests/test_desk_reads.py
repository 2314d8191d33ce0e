"""Every generic read a desk user can call over HTTP keeps an agent to the sessions they are listed on: the
agents listed on a session (a child table), and the conversations, through Frappe's own list, report, value,
search, count and title endpoints."""

import json

import frappe

from xappiens_whatsapp.bench_tests.base import XWTestCase, make_agent, make_user

SESSION_USER = "WhatsApp Session User"


class TestDeskReads(XWTestCase):
	own_session = "xwt_reads_own"
	other_session = "xwt_reads_other"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.agent = make_agent("xwt-reads-agent@example.com")
		cls.colleague = make_agent("xwt-reads-colleague@example.com")
		cls.stranger = make_agent("xwt-reads-stranger@example.com")
		cls.manager = make_user("xwt-reads-manager@example.com", "WhatsApp Manager")

	def setUp(self):
		self.cleanup()
		self.make_session(self.own_session, users=[self.agent, self.colleague])
		self.make_session(self.other_session, users=[self.stranger])
		self.own_contact = self.contact(self.own_session, "Own Customer")
		self.other_contact = self.contact(self.other_session, "Other Customer")
		self.own_message = self.message(self.own_contact, self.own_session, "own text")
		self.message(self.other_contact, self.other_session, "other text")
		frappe.db.commit()

	def contact(self, session: str, name: str) -> str:
		return (
			frappe.get_doc(
				{
					"doctype": "WhatsApp Contact",
					"session": session,
					"whatsapp_id": f"3460000{len(name):04d}@s.whatsapp.net",
					"display_name": name,
				}
			)
			.insert(ignore_permissions=True)
			.name
		)

	def message(self, contact: str, session: str, body: str) -> str:
		doc = frappe.get_doc(
			{
				"doctype": "WhatsApp Message",
				"session": session,
				"contact": contact,
				"chat_jid": frappe.db.get_value("WhatsApp Contact", contact, "whatsapp_id"),
				"message_id": frappe.generate_hash(length=20).upper(),
				"message_type": "text",
				"body": body,
				"source": "Webhook",
			}
		)
		return doc.insert(ignore_permissions=True).name

	def read(self, user: str, method: str, **args):
		args = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in args.items()}
		response = self.call_as(user, method, **args)
		return response.status_code, response.json().get("message") if response.ok else None

	def row_names(self, session: str) -> set[str]:
		return set(frappe.get_all(SESSION_USER, {"parent": session}, pluck="name"))

	def test_agents_listed_on_a_session_are_read_only_by_its_agents_and_managers(self):
		own_rows, other_rows = self.row_names(self.own_session), self.row_names(self.other_session)
		parent = {"parent": "WhatsApp Session"}

		def through_every_path(user: str) -> dict:
			status, rows = self.read(
				user,
				"frappe.client.get_list",
				doctype=SESSION_USER,
				fields=["name", "parent", "user"],
				limit_page_length=0,
				**parent,
			)
			seen = {"get_list": (status, {r["name"] for r in rows or []})}
			status, report = self.read(
				user,
				"frappe.desk.reportview.get",
				doctype=SESSION_USER,
				parent_doctype="WhatsApp Session",
				fields=[f"`tab{SESSION_USER}`.`name`", f"`tab{SESSION_USER}`.`user`"],
				page_length=0,
			)
			seen["reportview"] = (status, {r[0] for r in (report or {}).get("values", [])})
			status, value = self.read(
				user,
				"frappe.client.get_value",
				doctype=SESSION_USER,
				fieldname="user",
				filters={"parent": self.other_session},
				**parent,
			)
			seen["get_value"] = (status, value or None)
			status, found = self.read(
				user,
				"frappe.desk.search.search_link",
				doctype=SESSION_USER,
				txt="",
				reference_doctype="WhatsApp Session",
				ignore_user_permissions=1,
				page_length=100,
			)
			seen["search_link"] = (status, {r["value"] for r in found or []})
			status, count = self.read(
				user, "frappe.client.get_count", doctype=SESSION_USER, filters={"user": self.stranger}
			)
			seen["get_count"] = (status, count)
			status, _ = self.read(
				user, "frappe.client.get", doctype=SESSION_USER, name=next(iter(other_rows)), **parent
			)
			seen["get"] = status
			status, _ = self.read(
				user, "frappe.desk.form.load.getdoc", doctype=SESSION_USER, name=next(iter(other_rows))
			)
			seen["getdoc"] = status
			return seen

		self.assertEqual(
			through_every_path(self.agent),
			{
				"get_list": (200, own_rows),
				"reportview": (200, own_rows),
				"get_value": (200, None),
				"search_link": (200, own_rows),
				"get_count": (200, 0),
				"get": 403,
				"getdoc": 403,
			},
		)

		managed = through_every_path(self.manager)
		self.assertLessEqual(own_rows | other_rows, managed["get_list"][1])
		self.assertLessEqual(own_rows | other_rows, managed["reportview"][1])
		self.assertEqual(managed["get_value"], (200, {"user": self.stranger}))
		self.assertLessEqual(own_rows | other_rows, managed["search_link"][1])
		self.assertEqual(managed["get_count"], (200, 1))
		self.assertEqual(managed["get"], 200)
		self.assertEqual(managed["getdoc"], 200)

	def test_conversations_of_other_sessions_stay_out_of_search_counts_and_titles(self):
		def search(user: str, flag: int) -> tuple:
			status, found = self.read(
				user,
				"frappe.desk.search.search_link",
				doctype="WhatsApp Contact",
				txt="Customer",
				ignore_user_permissions=flag,
			)
			return status, {(r["value"], r.get("label")) for r in found or []}

		def count(user: str, contact: str) -> tuple:
			return self.read(
				user,
				"frappe.client.get_count",
				doctype="WhatsApp Contact",
				filters={"display_name": ["like", "%Customer"], "name": contact},
			)

		status, messages = self.read(
			self.agent,
			"frappe.desk.search.search_widget",
			doctype="WhatsApp Message",
			txt="",
			ignore_user_permissions=1,
			page_length=100,
		)
		seen = {
			"search_link": search(self.agent, 0),
			"search_link ignoring user permissions": search(self.agent, 1),
			"search_widget ignoring user permissions": (status, {r[0] for r in messages or []}),
			"get_count own": count(self.agent, self.own_contact),
			"get_count other": count(self.agent, self.other_contact),
			"get_link_title own": self.read(
				self.agent,
				"frappe.desk.search.get_link_title",
				doctype="WhatsApp Contact",
				docname=self.own_contact,
			),
			"get_link_title other": self.read(
				self.agent,
				"frappe.desk.search.get_link_title",
				doctype="WhatsApp Contact",
				docname=self.other_contact,
			),
		}
		own = (200, {(self.own_contact, "Own Customer")})
		self.assertEqual(
			seen,
			{
				"search_link": own,
				"search_link ignoring user permissions": own,
				"search_widget ignoring user permissions": (200, {self.own_message}),
				"get_count own": (200, 1),
				"get_count other": (200, 0),
				"get_link_title own": (200, "Own Customer"),
				"get_link_title other": (200, self.other_contact),
			},
		)
		# A manager's search and count see every session, as Frappe's own do.
		both = {(self.own_contact, "Own Customer"), (self.other_contact, "Other Customer")}
		self.assertEqual(search(self.manager, 1), (200, both))
		self.assertEqual(count(self.manager, self.other_contact), (200, 1))

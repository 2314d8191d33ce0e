"""Every read an agent (or a manager's health page) makes is served by the index written for it: the query behind
the read, as the read runs it for that user, is EXPLAINed on a few thousand rows and must name that index. A change
that loses an index, wraps an indexed column in ifnull()/coalesce(), or turns the agent's permission condition back
into a subquery fails here."""

import frappe

from xappiens_whatsapp.bench_tests.base import XWTestCase, make_agent
from xappiens_whatsapp.bench_tests.query_plans import on_table, plan, plan_of_table, selects_of

CONV = "xappiens_whatsapp.api.conversations."
PREFIX = "xwtidx"


class TestReadIndexes(XWTestCase):
	own = "xwt_idx_own"
	other = "xwt_idx_other"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.agent = make_agent("xwt-idx-agent@example.com")
		cls.make_session(cls, cls.own, users=[cls.agent])
		cls.make_session(cls, cls.other, users=[])
		cls._fill()

	@classmethod
	def tearDownClass(cls):
		frappe.db.sql(f"delete from `tabNetelip Call` where `name` like '{PREFIX}%%'")
		frappe.db.sql(f"delete from `tabInbound Webhook` where `name` like '{PREFIX}%%'")
		super().tearDownClass()

	@classmethod
	def _fill(cls):
		"""4,000 conversations over two sessions, 6,000 messages (3,000 in one), 3,000 calls, 3,000 inbox rows."""
		std = "`creation`, `modified`, `modified_by`, `owner`, `docstatus`, `idx`"
		sessions = f"elt(1 + seq % 2, '{cls.own}', '{cls.other}')"
		frappe.db.sql(
			f"""insert into `tabWhatsApp Contact` (`name`, {std}, `display_name`, `phone`, `whatsapp_id`,
			`session`, `contact`, `last_message_at`, `unread_count`)
			select concat('{PREFIX}c', lpad(seq, 4, '0')), now(), now(), 'Administrator', 'Administrator', 0, 0,
				concat('Cliente ', seq), concat('+3469900', lpad(seq, 4, '0')),
				concat('3469900', lpad(seq, 4, '0'), '@s.whatsapp.net'), {sessions},
				concat('{PREFIX}p', seq), now() - interval seq minute, seq % 7 = 0
			from seq_0_to_3999"""
		)
		conv = "if(seq % 2 = 0, 0, 1 + seq % 3999)"
		frappe.db.sql(
			f"""insert into `tabWhatsApp Message` (`name`, {std}, `contact`, `session`, `from_me`, `message_type`,
			`status`, `message_timestamp`, `message_id`, `body`, `source`)
			select concat('{PREFIX}m', lpad(seq, 5, '0')), t, t, 'Administrator', 'Administrator', 0, 0,
				concat('{PREFIX}c', lpad(c, 4, '0')), elt(1 + c % 2, '{cls.own}', '{cls.other}'), seq % 2, 'text',
				'Read', t, concat('IDX', seq), concat('texto ', seq), 'Webhook'
			from (select seq, {conv} as c, now() - interval (6000 - seq) minute as t from seq_1_to_6000) s"""
		)
		frappe.db.sql(
			f"""insert into `tabNetelip Call` (`name`, {std}, `direction`, `customer_number`, `status`, `agent`,
			`contact`, `whatsapp_contact`, `call_id`, `started_at`, `missed`)
			select concat('{PREFIX}k', lpad(seq, 5, '0')), now(), now(), 'Administrator', 'Administrator', 0, 0,
				'Inbound', concat('+3469900', lpad(seq % 4000, 4, '0')),
				elt(1 + seq % 4, 'Completed', 'No Answer', 'Busy', 'Completed'),
				if(seq % 3 = 0, null, if(seq % 3 = 1, {frappe.db.escape(cls.agent)}, 'xwt-idx-other@example.com')),
				concat('{PREFIX}p', seq % 4000), if(seq % 2 = 0, concat('{PREFIX}c', lpad(seq % 4000, 4, '0')), null),
				concat('{PREFIX}-', seq), now() - interval seq minute, seq % 4 in (1, 2)
			from seq_1_to_3000"""
		)
		frappe.db.sql(
			f"""insert into `tabInbound Webhook` (`name`, {std}, `provider`, `event`, `session_id`, `status`,
			`received_at`, `processed_at`, `lag_ms`, `dedup_key`)
			select concat('{PREFIX}w', lpad(seq, 5, '0')), now(), now(), 'Administrator', 'Administrator', 0, 0,
				if(seq % 5 = 0, 'Netelip', 'Inbox Hub'), 'message.received', '{cls.own}',
				if(seq % 50 = 0, 'Failed', 'Processed'), now() - interval seq minute,
				now() - interval seq minute, 30, concat('{PREFIX}-', seq)
			from seq_1_to_3000"""
		)
		frappe.db.commit()
		for table in ("WhatsApp Contact", "WhatsApp Message", "Netelip Call", "Inbound Webhook"):
			frappe.db.sql(f"analyze table `tab{table}`")

	def index_of(self, queries: list[str], table: str, *containing: str) -> str:
		found = on_table(queries, table, *containing)
		self.assertTrue(found, f"no query on {table} with {containing}: {queries}")
		row = plan_of_table(found[0], table)
		self.assertNotEqual(row.type, "ALL", f"full scan: {found[0]}")
		return row.key

	def test_the_agents_permission_condition_is_a_list_of_values_not_a_subquery(self):
		queries = selects_of(self.agent, CONV + "list_conversations")
		(query,) = on_table(queries, "WhatsApp Contact", "order by")
		self.assertIn(f"`session` in ('{self.own}')", query)
		self.assertEqual(query.lower().count("select"), 1)
		self.assertEqual([r.select_type for r in plan(query)], ["SIMPLE"])

	def test_a_thread_and_its_older_pages_read_the_conversation_time_index(self):
		first = selects_of(self.agent, CONV + "get_messages", contact=f"{PREFIX}c0000", limit=30)
		key = self.index_of(first, "WhatsApp Message", "order by `message_timestamp` desc")
		self.assertEqual(key, "contact_message_timestamp_creation_index")
		deep = frappe.get_all(
			"WhatsApp Message",
			{"contact": f"{PREFIX}c0000"},
			pluck="name",
			order_by="message_timestamp asc",
			limit_start=40,
			limit_page_length=1,
		)[0]
		older = selects_of(self.agent, CONV + "get_messages", contact=f"{PREFIX}c0000", before=deep)
		query = on_table(older, "WhatsApp Message", "order by `message_timestamp` desc")[0]
		row = plan_of_table(query, "WhatsApp Message")
		self.assertEqual((row.key, row.type), ("contact_message_timestamp_creation_index", "range"))
		self.assertNotIn("ifnull", query.lower())
		self.assertNotIn("coalesce", query.lower())

	def test_timelines_read_messages_and_calls_through_their_indexes(self):
		queries = selects_of(
			self.agent,
			"xappiens_whatsapp.api.timeline.get_timeline",
			doctype="WhatsApp Contact",
			name=f"{PREFIX}c0000",
		)
		key = self.index_of(queries, "WhatsApp Message", "order by `message_timestamp` desc")
		self.assertEqual(key, "contact_message_timestamp_creation_index")
		by_column = {
			"`whatsapp_contact` in": "whatsapp_contact_started_at_index",
			"`customer_number` in": "customer_number_started_at_index",
			"`contact` =": "contact_started_at_index",
		}
		for column, index in by_column.items():
			self.assertEqual(self.index_of(queries, "Netelip Call", column, "started_at desc"), index, column)

	def test_the_inbox_and_its_search_read_conversation_indexes(self):
		inbox = selects_of("Administrator", CONV + "list_conversations")
		self.assertEqual(self.index_of(inbox, "WhatsApp Contact", "order by"), "last_message_at_index")
		mine = selects_of(self.agent, CONV + "list_conversations", session=self.own)
		self.assertEqual(self.index_of(mine, "WhatsApp Contact", "order by"), "session_last_message_at_index")
		by_name = selects_of(self.agent, CONV + "list_conversations", search="Cliente 12")
		self.assertEqual(
			self.index_of(by_name, "WhatsApp Contact", "`display_name` like"), "display_name_index"
		)
		by_number = selects_of(self.agent, CONV + "list_conversations", search="699 001")
		self.assertEqual(self.index_of(by_number, "WhatsApp Contact", "`phone` like '+34"), "phone_index")
		self.assertEqual(
			self.index_of(by_number, "WhatsApp Contact", "`whatsapp_id` like"), "whatsapp_id_index"
		)

	def test_desk_lists_read_their_sort_indexes(self):
		def listed(doctype: str, user: str, filters=None) -> list[str]:
			sort = frappe.get_meta(doctype).sort_field
			return selects_of(
				user,
				"frappe.desk.reportview.get",
				doctype=doctype,
				fields=[f"`tab{doctype}`.`name`"],
				filters=filters or [],
				order_by=f"`tab{doctype}`.`{sort}` desc",
				start=0,
				page_length=20,
			)

		self.assertEqual(
			self.index_of(listed("WhatsApp Message", self.agent), "WhatsApp Message", "order by"),
			"message_timestamp_index",
		)
		self.assertEqual(
			self.index_of(listed("Netelip Call", "Administrator"), "Netelip Call", "order by"),
			"started_at_index",
		)
		self.assertIn(
			self.index_of(listed("Netelip Call", self.agent), "Netelip Call", "order by"),
			("started_at_index", "agent_started_at_index"),
		)

	def test_health_cards_and_charts_read_inbox_indexes(self):
		def card(name: str) -> list[str]:
			doc = frappe.get_doc("Number Card", name)
			return selects_of(
				"Administrator",
				"frappe.desk.doctype.number_card.number_card.get_result",
				doc=doc.as_json(),
				filters=doc.filters_json,
			)

		self.assertEqual(
			self.index_of(card("WhatsApp Events Failed"), "Inbound Webhook"),
			"provider_status_received_at_docstatus_index",
		)
		self.assertEqual(
			self.index_of(card("WhatsApp Processed Today"), "Inbound Webhook"),
			"provider_status_received_at_docstatus_index",
		)

	def test_health_charts_read_the_summary_rows_through_their_indexes_never_the_inbox_or_calls(self):
		from xappiens_whatsapp.pipeline import counts

		counts.rebuild()  # the summary rows of the rows above
		frappe.db.commit()
		frappe.db.sql("analyze table `tabStatus Count`")
		frappe.db.sql("analyze table `tabWebhook Lag`")
		expected = {
			"WhatsApp Events by Status": (
				"Status Count",
				"record_type_provider_status_count_docstatus_index",
			),
			"Netelip Events by Status": ("Status Count", "record_type_provider_status_count_docstatus_index"),
			"Calls by Outcome": ("Status Count", "record_type_provider_status_count_docstatus_index"),
			"Webhook Events per Day": ("Status Count", "record_type_day_count_docstatus_index"),
			"Webhook Processing Lag": ("Webhook Lag", "day_average_lag_ms_docstatus_index"),
		}
		for name, (table, index) in expected.items():
			queries = selects_of(
				"Administrator",
				"frappe.desk.doctype.dashboard_chart.dashboard_chart.get",
				chart_name=name,
				refresh=1,
			)
			self.assertEqual(
				on_table(queries, "Inbound Webhook") + on_table(queries, "Netelip Call"), [], name
			)
			found = on_table(queries, table, "group by")
			self.assertTrue(found, (name, queries))
			row = plan_of_table(found[0], table)
			self.assertEqual(row.key, index, name)
			self.assertIn("Using index", row.Extra, name)

	def test_the_missed_calls_an_agent_sees_are_read_from_one_index_newest_first_or_todays(self):
		"""The list's Missed page and its count (up to 1,001) walk the missed calls newest first and stop; the
		shortcut's count reads today's range. The agent's permission condition is checked on the index entry."""
		import json

		missed = [["Netelip Call", "missed", "=", 1]]  # the list's Missed button
		workspace = frappe.get_doc("Workspace", "Xappiens WhatsApp")
		(shortcut,) = [s for s in workspace.shortcuts if s.label == "Missed Calls"]
		today = json.loads(shortcut.stats_filter)

		def count_plan(filters: list, **limit) -> dict:
			queries = selects_of(
				self.agent,
				"frappe.desk.reportview.get_count",
				doctype="Netelip Call",
				filters=filters,
				fields=[],
				distinct="false",
				**limit,
			)
			(query,) = on_table(queries, "Netelip Call", "count(")
			self.assertNotIn("ifnull", query.lower())
			return plan_of_table(query, "Netelip Call")

		bounded = count_plan(missed, limit=1001)
		self.assertEqual(bounded.key, "missed_started_at_agent_index")
		self.assertIn("Using index", bounded.Extra)
		todays = count_plan(today)
		self.assertEqual((todays.key, todays.type), ("missed_started_at_agent_index", "range"))
		self.assertIn("Using index", todays.Extra)
		page = selects_of(
			self.agent,
			"frappe.desk.reportview.get",
			doctype="Netelip Call",
			fields=["`tabNetelip Call`.`name`"],
			filters=missed,
			order_by="`tabNetelip Call`.`started_at` desc",
			start=0,
			page_length=20,
		)
		(query,) = on_table(page, "Netelip Call", "order by")
		row = plan_of_table(query, "Netelip Call")
		self.assertEqual(row.key, "missed_started_at_agent_index")
		self.assertNotIn("filesort", row.Extra or "")

	def test_paging_back_reads_every_message_once_in_order_even_when_many_share_a_time(self):
		contact = f"{PREFIX}c9999"
		frappe.db.sql(
			f"""insert into `tabWhatsApp Contact` (`name`, `creation`, `modified`, `whatsapp_id`, `session`)
			values ('{contact}', now(), now(), '34699009999@s.whatsapp.net', '{self.own}')"""
		)
		frappe.db.sql(
			f"""insert into `tabWhatsApp Message` (`name`, `creation`, `modified`, `contact`, `session`, `from_me`,
			`message_timestamp`, `message_id`, `body`, `source`)
			select concat('{PREFIX}t', lpad(seq, 4, '0')), if(seq < 60, '2026-01-01 10:00:00.000001', now(6)), now(),
				'{contact}', '{self.own}', 0, if(seq < 120, '2026-01-01 10:00:00', now()), concat('TIE', seq),
				concat('tie ', seq), 'Webhook'
			from seq_0_to_249"""
		)
		frappe.db.commit()
		expected = frappe.get_all(
			"WhatsApp Message",
			{"contact": contact},
			pluck="name",
			order_by="message_timestamp asc, creation asc, name asc",
		)
		frappe.set_user(self.agent)
		try:
			from xappiens_whatsapp.api.conversations import get_messages

			seen, before = [], None
			while page := get_messages(contact, before=before, limit=17):
				seen = [m.name for m in page] + seen
				before = page[0].name
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(len(expected), 250)
		self.assertEqual(seen, expected)

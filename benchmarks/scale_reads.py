"""Every read the desk makes, as the HTTP call the browser sends, with arguments taken from the filled site.

Each read is (label, users, method, arguments): users is "both" (Administrator and the agent), "admin" (managers'
pages: the health workspace) or "agent".
"""

from __future__ import annotations

import json

import frappe
from scale_fill import SESSIONS

PAGE = 30
COUNT = "frappe.desk.reportview.get_count"
LIST_FIELDS = {
	"WhatsApp Message": ["name", "contact", "from_me", "status", "message_timestamp", "body"],
	"WhatsApp Contact": ["name", "display_name", "phone", "session", "last_message_at"],
	"Netelip Call": ["name", "direction", "customer_number", "status", "agent", "started_at"],
}
# What the list's Missed button and the workspace's Missed Calls shortcut ask (netelip_call_list.js, the workspace).
MISSED = [["Netelip Call", "missed", "=", 1]]
MISSED_TODAY = [*MISSED, ["Netelip Call", "started_at", "Timespan", "today"]]
CHARTS = (
	"WhatsApp Events by Status",
	"Netelip Events by Status",
	"Webhook Events per Day",
	"Webhook Processing Lag",
	"Webhook Rejections per Day",
	"WhatsApp Sessions by Status",
	"Calls by Outcome",
)
CARDS = (
	"WhatsApp Events Today",
	"WhatsApp Processed Today",
	"WhatsApp Events Failed",
	"WhatsApp Rejected Today",
	"Netelip Events Today",
	"Netelip Processed Today",
	"Netelip Events Failed",
	"Netelip Rejected Today",
	"Webhook Events Waiting",
)


def _list(doctype: str, filters=None, order_by: str | None = None) -> dict:
	"""The list view's page and its count (Frappe 15 counts up to 1,001)."""
	sort = order_by or f"`tab{doctype}`.`{frappe.get_meta(doctype).sort_field}` desc"
	return {
		"doctype": doctype,
		"fields": json.dumps([f"`tab{doctype}`.`{f}`" for f in LIST_FIELDS[doctype]]),
		"filters": json.dumps(filters or []),
		"order_by": sort,
		"start": 0,
		"page_length": 20,
		"view": "List",
		"with_comment_count": 1,
	}


def _count(doctype: str, filters: list, limit: int | None = None) -> dict:
	"""The list view's count (up to 1,001) and a workspace shortcut's (exact), as frappe.db.count asks them."""
	return {"doctype": doctype, "filters": json.dumps(filters), "fields": "[]", "distinct": "false"} | (
		{"limit": limit} if limit else {}
	)


def _thread_anchors(conversation: str) -> dict:
	"""Names of messages of the conversation to page back from: the page after the first, one in the middle,
	and the one before the thread's very start."""
	count = frappe.db.count("WhatsApp Message", {"contact": conversation})
	order = "message_timestamp asc, creation asc, name asc"

	def at(offset: int) -> str:
		return frappe.get_all(
			"WhatsApp Message",
			{"contact": conversation},
			pluck="name",
			order_by=order,
			limit_start=max(min(offset, count - 1), 0),
			limit_page_length=1,
		)[0]

	return {"next": at(count - PAGE), "middle": at(count // 2), "deep": at(PAGE)}


def catalogue(agent: str) -> list[tuple[str, str, str, dict]]:
	big = "xwsc0000000"  # conversation 0: 2 % of all messages, on the agent's number
	person = frappe.db.get_value("WhatsApp Contact", big, "contact")
	anchors = _thread_anchors(big)
	middle_time = str(frappe.db.get_value("WhatsApp Message", anchors["middle"], "message_timestamp"))
	conv = "xappiens_whatsapp.api.conversations."
	reads = [
		(
			"getdoc WhatsApp Contact (baseline)",
			"both",
			"frappe.desk.form.load.getdoc",
			{"doctype": "WhatsApp Contact", "name": big},
		),
		("inbox: all", "both", conv + "list_conversations", {"page_length": PAGE}),
		("inbox: unread", "both", conv + "list_conversations", {"unread_only": 1, "page_length": PAGE}),
		(
			"inbox: one number",
			"both",
			conv + "list_conversations",
			{"session": SESSIONS[0], "page_length": PAGE},
		),
		("inbox: next page", "both", conv + "list_conversations", {"start": PAGE, "page_length": PAGE}),
		("search: name", "both", conv + "list_conversations", {"search": "Lucía Mar", "page_length": PAGE}),
		(
			"search: number",
			"both",
			conv + "list_conversations",
			{"search": "600 000 12", "page_length": PAGE},
		),
		("search: text", "both", conv + "list_conversations", {"search": "pedido", "page_length": PAGE}),
		("thread: open", "both", conv + "get_conversation", {"contact": big}),
		("thread: first page", "both", conv + "get_messages", {"contact": big, "limit": PAGE}),
		("thread: next page", "both", conv + "get_messages", {"contact": big, "before": anchors["next"]}),
		("thread: middle page", "both", conv + "get_messages", {"contact": big, "before": anchors["middle"]}),
		("thread: its start", "both", conv + "get_messages", {"contact": big, "before": anchors["deep"]}),
		(
			"timeline: WhatsApp Contact",
			"both",
			"xappiens_whatsapp.api.timeline.get_timeline",
			{"doctype": "WhatsApp Contact", "name": big},
		),
		(
			"timeline: Contact",
			"both",
			"xappiens_whatsapp.api.timeline.get_timeline",
			{"doctype": "Contact", "name": person},
		),
		(
			"timeline: older page",
			"both",
			"xappiens_whatsapp.api.timeline.get_timeline",
			{"doctype": "WhatsApp Contact", "name": big, "before": middle_time},
		),
		("calls: list", "both", "frappe.desk.reportview.get", _list("Netelip Call")),
		("calls: Missed", "both", "frappe.desk.reportview.get", _list("Netelip Call", MISSED)),
		(
			"calls: My calls",
			"both",
			"frappe.desk.reportview.get",
			_list("Netelip Call", [["Netelip Call", "agent", "=", agent]]),
		),
		("calls: Missed count", "both", COUNT, _count("Netelip Call", MISSED, 1001)),
		("calls: Missed shortcut", "both", COUNT, _count("Netelip Call", MISSED_TODAY)),
		("list: WhatsApp Message", "both", "frappe.desk.reportview.get", _list("WhatsApp Message")),
		("list: WhatsApp Message count", "both", COUNT, _count("WhatsApp Message", [], 1001)),
		("list: WhatsApp Contact", "both", "frappe.desk.reportview.get", _list("WhatsApp Contact")),
		(
			"list: messages of a conversation",
			"both",
			"frappe.desk.reportview.get",
			_list("WhatsApp Message", [["WhatsApp Message", "contact", "=", big]]),
		),
	]
	chart = "frappe.desk.doctype.dashboard_chart.dashboard_chart.get"
	reads += [(f"chart: {name}", "admin", chart, {"chart_name": name, "refresh": 1}) for name in CHARTS]
	card = "frappe.desk.doctype.number_card.number_card.get_result"
	for name in CARDS:
		doc = frappe.get_doc("Number Card", name).as_dict()
		doc = {
			k: (str(v) if v is not None and not isinstance(v, (int, float, str)) else v)
			for k, v in doc.items()
		}
		reads.append(
			(
				f"card: {name}",
				"admin",
				card,
				{"doc": json.dumps(doc, default=str), "filters": doc["filters_json"]},
			)
		)
	return reads

"""WhatsApp reports: response times per agent or number, conversations opened (and resolved) per day. Messages
are read with `frappe.get_list`, so an agent's report covers only the numbers the agent may read."""

from datetime import datetime

import frappe
from frappe import _

from xappiens_whatsapp.core.response_times import DEFAULT_GAP, Message, Turn, opened_per_day, summarise, turns
from xappiens_whatsapp.reporting.common import minutes, period, rows_in_period

NOT_ANSWERED = "(not answered)"
FROM_PHONE = "(from the phone)"
# When conversations can be marked resolved, the day each was resolved is read from this field.
RESOLVED_FIELD = "resolved_at"


def conversation_turns(filters: dict) -> list[Turn]:
	"""The turns asked within the period; messages from a day before it tell whether a turn opens a conversation."""
	start, end = period(filters)
	rows = rows_in_period(
		"WhatsApp Message",
		{"message_timestamp": ["between", [start - DEFAULT_GAP, end]], "message_type": ["!=", "reaction"]},
		["contact", "session", "message_timestamp", "from_me", "sent_by"],
		filters=filters,
		narrowed_by=("session",),
		order_by="message_timestamp asc",
	)
	messages = [
		Message(r.contact, r.session, r.message_timestamp, bool(r.from_me), r.sent_by)
		for r in rows
		if r.contact and r.message_timestamp and r.message_timestamp < end
	]
	return [t for t in turns(messages) if start <= t.asked_at < end]


def response_times(filters: dict) -> tuple[list[dict], list[dict], dict]:
	by_agent = (filters.get("group_by") or "Agent") == "Agent"
	found = conversation_turns(filters)
	groups: dict[str, list[Turn]] = {}
	for turn in found:
		if by_agent:
			key = (turn.answered_by or FROM_PHONE) if turn.answered_at else NOT_ANSWERED
		else:
			key = turn.session
		groups.setdefault(key, []).append(turn)
	data = []
	for key in sorted(groups):
		s = summarise(groups[key])
		data.append(
			{
				"group": key,
				"opened": s.opened,
				"first_response_avg": minutes(s.first_response_avg),
				"first_response_median": minutes(s.first_response_median),
				"answered": s.answered,
				"response_avg": minutes(s.response_avg),
				"response_median": minutes(s.response_median),
				"unanswered": s.unanswered,
			}
		)
	label = _("Agent") if by_agent else _("WhatsApp number")
	columns = [
		{"fieldname": "group", "label": label, "fieldtype": "Data", "width": 220},
		{"fieldname": "opened", "label": _("Conversations opened"), "fieldtype": "Int", "width": 120},
		{"fieldname": "first_response_avg", "label": _("First response, avg (min)"), "fieldtype": "Float"},
		{
			"fieldname": "first_response_median",
			"label": _("First response, median (min)"),
			"fieldtype": "Float",
		},
		{"fieldname": "answered", "label": _("Turns answered"), "fieldtype": "Int", "width": 110},
		{"fieldname": "response_avg", "label": _("Response, avg (min)"), "fieldtype": "Float"},
		{"fieldname": "response_median", "label": _("Response, median (min)"), "fieldtype": "Float"},
		{"fieldname": "unanswered", "label": _("Waiting for an answer"), "fieldtype": "Int", "width": 120},
	]
	shown = [row for row in data if row["group"] != NOT_ANSWERED]
	chart = {
		"data": {
			"labels": [row["group"] for row in shown],
			"datasets": [
				{
					"name": _("First response, avg (min)"),
					"values": [row["first_response_avg"] or 0 for row in shown],
				},
				{"name": _("Response, avg (min)"), "values": [row["response_avg"] or 0 for row in shown]},
			],
		},
		"type": "bar",
	}
	return columns, data, chart


def resolved_per_day(start: datetime, end: datetime, session: str | None) -> dict[str, int] | None:
	"""None while conversations have no resolution time to count."""
	if not frappe.get_meta("WhatsApp Contact").has_field(RESOLVED_FIELD):
		return None
	conditions = {RESOLVED_FIELD: ["between", [start, end]]}
	if session:
		conditions["session"] = session
	days: dict[str, int] = {}
	for at in frappe.get_list(
		"WhatsApp Contact", filters=conditions, pluck=RESOLVED_FIELD, limit_page_length=0
	):
		if at and at < end:
			days[at.date().isoformat()] = days.get(at.date().isoformat(), 0) + 1
	return days


def conversations_per_day(filters: dict) -> tuple[list[dict], list[dict], dict, str | None]:
	start, end = period(filters)
	opened = opened_per_day(conversation_turns(filters))
	resolved = resolved_per_day(start, end, filters.get("session"))
	days = sorted(set(opened) | set(resolved or {}))
	data = [{"day": day, "opened": opened.get(day, 0)} for day in days]
	columns = [
		{"fieldname": "day", "label": _("Day"), "fieldtype": "Date", "width": 120},
		{"fieldname": "opened", "label": _("Conversations opened"), "fieldtype": "Int", "width": 160},
	]
	datasets = [{"name": _("Opened"), "values": [row["opened"] for row in data]}]
	note = None
	if resolved is None:
		note = _("Resolved conversations are counted once conversations can be marked resolved.")
	else:
		for row in data:
			row["resolved"] = resolved.get(row["day"], 0)
		columns.append({"fieldname": "resolved", "label": _("Resolved"), "fieldtype": "Int", "width": 120})
		datasets.append({"name": _("Resolved"), "values": [row["resolved"] for row in data]})
	chart = {"data": {"labels": days, "datasets": datasets}, "type": "line"}
	return columns, data, chart, note

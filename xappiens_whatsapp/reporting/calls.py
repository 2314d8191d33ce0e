"""Call reports: missed calls and how soon they were called back, calls by outcome. Calls are read with
`frappe.get_list`, so an agent sees the calls the agent may read (their own and unowned missed calls)."""

import frappe
from frappe import _

from xappiens_whatsapp.reporting.common import minutes, period, rows_in_period

MISSED = ("No Answer", "Busy", "Failed")
ANSWERED = ("Answered", "Completed")
# A disposition the agent records after a call, when the app has one, is the outcome the report groups by.
OUTCOME_FIELD = "disposition"
CALL_FIELDS = ["name", "started_at", "customer_number", "status", "agent"]


def missed_calls(filters: dict) -> tuple[list[dict], list[dict], dict, list[dict]]:
	start, end = period(filters)
	missed = rows_in_period(
		"Netelip Call",
		{"direction": "Inbound", "status": ["in", MISSED], "started_at": ["between", [start, end]]},
		CALL_FIELDS,
		filters=filters,
		narrowed_by=("agent",),
		order_by="started_at asc",
	)
	missed = [m for m in missed if m.started_at and m.started_at < end]
	numbers = sorted({m.customer_number for m in missed if m.customer_number})
	later = frappe.get_list(
		"Netelip Call",
		filters={
			"direction": "Outbound",
			"customer_number": ["in", numbers or [""]],
			"started_at": [">=", start],
		},
		fields=CALL_FIELDS,
		order_by="started_at asc",
		limit_page_length=0,
	)
	data = []
	for call in missed:
		back = next(
			(
				o
				for o in later
				if o.customer_number == call.customer_number and o.started_at >= call.started_at
			),
			None,
		)
		data.append(
			{
				"call": call.name,
				**{key: call[key] for key in CALL_FIELDS if key != "name"},
				"called_back_at": back.started_at if back else None,
				"called_back_by": back.agent if back else None,
				"callback_answered": 1 if back and back.status in ANSWERED else 0,
				"minutes_to_call_back": minutes((back.started_at - call.started_at).total_seconds())
				if back
				else None,
			}
		)
	columns = [
		{
			"fieldname": "call",
			"label": _("Call"),
			"fieldtype": "Link",
			"options": "Netelip Call",
			"width": 110,
		},
		{"fieldname": "started_at", "label": _("Time"), "fieldtype": "Datetime", "width": 160},
		{"fieldname": "customer_number", "label": _("Number"), "fieldtype": "Data", "width": 140},
		{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 100},
		{"fieldname": "agent", "label": _("Agent"), "fieldtype": "Link", "options": "User", "width": 160},
		{"fieldname": "called_back_at", "label": _("Called back at"), "fieldtype": "Datetime", "width": 160},
		{"fieldname": "called_back_by", "label": _("Called back by"), "fieldtype": "Link", "options": "User"},
		{"fieldname": "callback_answered", "label": _("Answered"), "fieldtype": "Check", "width": 90},
		{"fieldname": "minutes_to_call_back", "label": _("Minutes to call back"), "fieldtype": "Float"},
	]
	days: dict[str, list[int]] = {}
	for row in data:
		day = days.setdefault(row["started_at"].date().isoformat(), [0, 0])
		day[0] += 1
		day[1] += 1 if row["called_back_at"] else 0
	labels = sorted(days)
	chart = {
		"data": {
			"labels": labels,
			"datasets": [
				{"name": _("Missed"), "values": [days[d][0] for d in labels]},
				{"name": _("Called back"), "values": [days[d][1] for d in labels]},
			],
		},
		"type": "bar",
	}
	waits = [row["minutes_to_call_back"] for row in data if row["minutes_to_call_back"] is not None]
	summary = [
		{"label": _("Missed calls"), "value": len(data), "datatype": "Int", "indicator": "Red"},
		{"label": _("Called back"), "value": len(waits), "datatype": "Int", "indicator": "Green"},
		{
			"label": _("Average minutes to call back"),
			"value": round(sum(waits) / len(waits), 1) if waits else 0,
			"datatype": "Float",
			"indicator": "Blue",
		},
	]
	return columns, data, chart, summary


def calls_by_outcome(filters: dict) -> tuple[list[dict], list[dict], dict]:
	start, end = period(filters)
	field = OUTCOME_FIELD if frappe.get_meta("Netelip Call").has_field(OUTCOME_FIELD) else "status"
	if filters.get("group_by") == "Status":
		field = "status"
	rows = rows_in_period(
		"Netelip Call",
		{"started_at": ["between", [start, end]]},
		[field, "direction", "started_at", "duration", "talk_time"],
		filters=filters,
		narrowed_by=("direction", "agent"),
	)
	groups: dict[tuple[str, str], list] = {}
	for row in rows:
		if row.started_at and row.started_at < end:
			groups.setdefault((row.get(field) or _("(none)"), row.direction or ""), []).append(row)
	data = []
	for (outcome, direction), calls in sorted(groups.items()):
		talk = sum(c.talk_time or 0 for c in calls)
		data.append(
			{
				"outcome": outcome,
				"direction": direction,
				"calls": len(calls),
				"talk_minutes": minutes(talk),
				"average_duration": round(sum(c.duration or 0 for c in calls) / len(calls), 1),
			}
		)
	columns = [
		{"fieldname": "outcome", "label": _("Outcome"), "fieldtype": "Data", "width": 160},
		{"fieldname": "direction", "label": _("Direction"), "fieldtype": "Data", "width": 100},
		{"fieldname": "calls", "label": _("Calls"), "fieldtype": "Int", "width": 90},
		{"fieldname": "talk_minutes", "label": _("Talk time (min)"), "fieldtype": "Float", "width": 130},
		{
			"fieldname": "average_duration",
			"label": _("Average duration (s)"),
			"fieldtype": "Float",
			"width": 150,
		},
	]
	totals: dict[str, int] = {}
	for row in data:
		totals[row["outcome"]] = totals.get(row["outcome"], 0) + row["calls"]
	chart = {
		"data": {"labels": list(totals), "datasets": [{"name": _("Calls"), "values": list(totals.values())}]},
		"type": "donut",
	}
	return columns, data, chart

"""The inbox's queues: Mine, Unassigned and All (what the user may see), each by state, with live counts.

Every read goes through frappe.get_list, so an agent counts and lists only conversations of their numbers; the
filters follow the conversation indexes (owner or number, then state, then the customer's last message)."""

import frappe

from xappiens_whatsapp.pipeline.whatsapp.ownership import STATES

QUEUES = ("mine", "unassigned", "all")
# Each sort follows a conversation index: (last_message_at) and (session, last_message_at) end with the name.
SORTS = {
	"recent": "last_message_at desc, name desc",
	"customer": "last_customer_message_at desc, last_message_at desc",
	# waiting for an answer, the longest first
	"waiting": "last_customer_message_at asc, name asc",
}


def queue_filters(queue: str | None, state: str | None, sort: str | None = None) -> list:
	filters: list = []
	if queue == "mine":
		filters.append(["assigned_to", "=", frappe.session.user])
	elif queue == "unassigned":
		filters.append(["assigned_to", "is", "not set"])
	elif queue not in (None, "", "all"):
		frappe.throw(frappe._("Unknown queue"))
	if state:
		if state not in STATES:
			frappe.throw(frappe._("Unknown state"))
		filters.append(["conversation_state", "=", state])
	if sort == "waiting":
		filters.append(["last_message_from_me", "=", 0])
		filters.append(["last_customer_message_at", "is", "set"])
	return filters


def order_by(sort: str | None) -> str:
	return SORTS.get(sort or "recent") or frappe.throw(frappe._("Unknown sort"))


@frappe.whitelist()
def queue_counts(session: str | None = None) -> dict:
	"""{queue: {state: conversations}} for the user's three queues, one grouped read each."""
	base = [["session", "=", session]] if session else []
	counts = {}
	for queue in QUEUES:
		rows = frappe.get_list(
			"WhatsApp Contact",
			filters=base + queue_filters(queue, None),
			fields=["conversation_state", "count(name) as n"],
			group_by="conversation_state",
			order_by="conversation_state asc",
		)
		by_state = {state: 0 for state in STATES}
		for row in rows:
			by_state[row.conversation_state or "Open"] = (
				by_state.get(row.conversation_state or "Open", 0) + row.n
			)
		counts[queue] = by_state
	return counts

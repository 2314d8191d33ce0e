"""Events parked (Waiting) until their message arrives: which ones wait for a message (waiting_for).

Every new message asks this. A drain's group answers it for all its messages with one read: its rows are
applied under their messages' locks, and only a holder of a message's lock parks an event for it, so a read at
the start of the group (in a snapshot begun once the locks were taken), plus what the group itself parks, is
all there is.
"""

import frappe

from xappiens_whatsapp.pipeline import counts
from xappiens_whatsapp.pipeline.inbox import drain_state, jobs

DOCTYPE = "Inbound Webhook"
# Plain SQL: every new message asks this, and building it with the query builder cost more than running it.
_WAITING_FOR = f"""from `tab{DOCTYPE}` where status = 'Waiting' and session_id = %s and reference_key = %s"""


def read_for_group(rows: list) -> None:
	"""Read the parked events of the rows' keys. The caller holds their locks until its commit, and took them
	before this transaction's snapshot began."""
	pairs = list(
		{(row.session_id, row.reference_key) for row in rows if row.session_id and row.reference_key}
	)
	known = {pair: [] for pair in pairs}
	if pairs:
		# One select per message, as waiting_for makes it, sent as one statement; each tells which message it
		# is for (the database compares text more loosely than Python does).
		part = f"(select %s as i, name, creation {_WAITING_FOR})"
		found = frappe.db.sql(
			" union all ".join([part] * len(pairs)),
			[value for i, pair in enumerate(pairs) for value in (i, *pair)],
		)
		for i, name, _ in sorted(found, key=lambda row: row[2]):
			known[pairs[i]].append(name)
	state = drain_state.current()
	if state is not None:
		state.parked = known


def _known() -> dict | None:
	state = drain_state.current()
	return state.parked if state is not None else None


def parked(row) -> None:
	"""The group has just parked `row`: a later message of the group wakes it too."""
	known = _known()
	if known is not None and (row.session_id, row.reference_key) in known:
		known[(row.session_id, row.reference_key)].append(row.name)


def waiting_for(session: str, reference_key: str) -> list[str]:
	"""The events parked for this message, oldest first; they are then the caller's to apply."""
	known = _known()
	if known is not None and (session, reference_key) in known:  # a drain's group read them already
		names, known[(session, reference_key)] = known[(session, reference_key)], []
		return names
	# A locking read: it sees rows committed after this transaction's snapshot began (an ack parked while this
	# job waited for the message's lock, or while a send call was in flight). A plain read would not.
	return frappe.db.sql(
		f"select name {_WAITING_FOR} order by creation for update", (session, reference_key), pluck=True
	)


def forget() -> None:
	state = drain_state.current()
	if state is not None:
		state.parked = None


def release(session: str, reference_key: str) -> None:
	"""Hand the events parked for this message back to the drains, from outside one (the send job that has just
	learnt its message's id): they are applied, under the message's lock, once this transaction commits."""
	names = waiting_for(session, reference_key)
	if names:
		rows = frappe.db.sql(
			"select name, provider, received_at from `tabInbound Webhook` where status = 'Waiting' and name in %s"
			" for update",
			(tuple(names),),
			as_dict=True,
		)
		if not rows:
			return
		frappe.db.sql(
			"update `tabInbound Webhook` set status = 'Received', next_retry_at = null where name in %s",
			(tuple(row.name for row in rows),),
		)
		for row in rows:
			counts.webhook_moved(row.provider, row.received_at, "Waiting", "Received")
		frappe.db.after_commit.add(jobs.wake)

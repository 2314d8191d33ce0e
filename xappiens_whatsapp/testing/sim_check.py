"""The site's side of a simulation: sessions and secrets to sign with, and what became of every event.

`tally` compares what a scenario should have produced with what is in the database: inbox rows stored and
processed, one WhatsApp Message per message and one Netelip Call per call, each in its final state. Used by the
`simulate` command, the fault tests and the benchmarks.

Sessions the simulator creates are marked (`session_name` is `SIM_MARK` + the id); `cleanup` removes only
those, with what hangs off them, and only simulated calls (see `simulator.sim_call_pattern`).
"""

import re
import time
from dataclasses import asdict, dataclass

import frappe
from frappe.utils.password import get_decrypted_password

from xappiens_whatsapp.testing import simulator as sim
from xappiens_whatsapp.testing.references import remove_references, remove_sessions

INBOX = "Inbound Webhook"
FINAL = ("Processed", "Ignored")
CHUNK = 1000
SIM_MARK = "[sim] "
SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,139}")


@dataclass
class Tally:
	sent: int = 0  # HTTP requests made, retries included
	accepted: int = 0  # answered 2xx
	rejected: int = 0  # answered 3xx / 4xx
	resent: int = 0  # requests repeating a delivery already posted (retries and provider retries)
	absorbed: int = 0  # answers that said "already had it" (the duplicate was recognised)
	stored: int = 0  # inbox rows of the scenario's deliveries
	processed: int = 0  # of those, Processed or Ignored
	pending: int = 0  # Received, Waiting or Failed (not yet applied)
	duplicated: int = 0  # rows beyond one per message or call; inbound messages applied twice (unread count)
	lost: int = 0  # deliveries with no inbox row, messages or calls with no row
	wrong_state: int = 0  # rows whose final state is not the expected one

	def line(self) -> str:
		return " ".join(f"{k}={v}" for k, v in asdict(self).items())

	@property
	def clean(self) -> bool:
		return not (self.pending or self.duplicated or self.lost or self.wrong_state)


def _chunks(items: list):
	for i in range(0, len(items), CHUNK):
		yield items[i : i + CHUNK]


def ensure_sessions(session_ids: list[str]) -> dict[str, str]:
	"""The secret each simulated session signs with, creating the sessions (marked, with a new secret) if
	needed. A session of that name that the simulator did not create is refused: simulated traffic never
	lands in a real conversation, and cleanup could not remove it."""
	if len(session_ids) > sim.LIMITS["sessions"]:
		raise ValueError(f"at most {sim.LIMITS['sessions']} simulated sessions")
	for session_id in session_ids:
		if not SESSION_ID.fullmatch(session_id):
			raise ValueError(f"{session_id!r} is not a simulated session id")
	existing = {
		r.name: r.session_name
		for r in frappe.get_all(
			"WhatsApp Session", filters={"name": ["in", session_ids]}, fields=["name", "session_name"]
		)
	}
	foreign = [s for s, label in existing.items() if label != SIM_MARK + s]
	if foreign:
		raise ValueError(f"not created by the simulator, left alone: {', '.join(sorted(foreign))}")
	secrets = {}
	for session_id in session_ids:
		secret = None
		if session_id in existing:
			secret = get_decrypted_password(
				"WhatsApp Session", session_id, "webhook_secret", raise_exception=False
			)
			if not secret:
				secret = frappe.generate_hash(length=32)
				doc = frappe.get_doc("WhatsApp Session", session_id)
				doc.webhook_secret = secret
				doc.save(ignore_permissions=True)
		else:
			secret = frappe.generate_hash(length=32)
			frappe.get_doc(
				{
					"doctype": "WhatsApp Session",
					"session_id": session_id,
					"session_name": SIM_MARK + session_id,
					"webhook_secret": secret,
				}
			).insert(ignore_permissions=True)
		secrets[session_id] = secret
	frappe.db.commit()
	return secrets


def netelip_credentials() -> tuple[str | None, str | None]:
	token = get_decrypted_password(
		"Netelip Settings", "Netelip Settings", "webhook_token", raise_exception=False
	)
	return token or None, frappe.db.get_single_value("Netelip Settings", "api_application") or None


def ack_scale() -> str:
	scale = frappe.db.get_single_value("WhatsApp Settings", "ack_scale") or ""
	return "baileys" if scale.lower().startswith("baileys") else "wwebjs"


def inbox_statuses(keys: list[str]) -> dict[str, str]:
	found = {}
	for chunk in _chunks(sorted(keys)):
		rows = frappe.get_all(INBOX, filters={"dedup_key": ["in", chunk]}, fields=["dedup_key", "status"])
		found.update({r.dedup_key: r.status for r in rows})
	return found


def wait_settled(scenario: sim.Scenario, timeout: float, poll: float = 0.5, on_poll=None) -> bool:
	"""Wait until every stored inbox row of the scenario is applied; False on timeout."""
	keys = list(scenario.dedup_keys)
	deadline = time.monotonic() + timeout
	while True:
		frappe.db.commit()  # a fresh snapshot: workers write on their own connections
		statuses = inbox_statuses(keys)
		pending = sum(1 for s in statuses.values() if s not in FINAL)
		if on_poll:
			on_poll(len(statuses), pending)
		if not pending:
			return True
		if time.monotonic() >= deadline:
			return False
		time.sleep(poll)


def tally(scenario: sim.Scenario, result: sim.Result | None = None, *, complete: bool = True) -> Tally:
	"""What became of the scenario. `complete`: every delivery was sent (else unsent ones are not lost)."""
	frappe.db.commit()
	counts = Tally()
	if result:
		counts.sent, counts.accepted, counts.rejected = result.sent, result.accepted, result.rejected
		counts.resent, counts.absorbed = result.resent, result.duplicate_answers
	keys = list(scenario.dedup_keys)
	statuses = inbox_statuses(keys)
	counts.stored = len(statuses)
	counts.processed = sum(1 for s in statuses.values() if s in FINAL)
	counts.pending = counts.stored - counts.processed
	if complete:
		counts.lost += len(keys) - len(statuses)

	by_session: dict[str, list[str]] = {}
	for session, message_id in scenario.messages:
		by_session.setdefault(session, []).append(message_id)
	for session, ids in by_session.items():
		rows = []
		for chunk in _chunks(ids):
			rows += frappe.get_all(
				"WhatsApp Message",
				filters={"session": session, "message_id": ["in", chunk]},
				fields=["message_id", "status"],
			)
		_compare(
			counts,
			{(session, i): s for (sess, i), s in scenario.messages.items() if sess == session},
			[((session, r.message_id), r.status) for r in rows],
			complete,
		)
	counts.duplicated += _counted_twice(scenario)

	call_rows = []
	for chunk in _chunks(list(scenario.calls)):
		call_rows += frappe.get_all(
			"Netelip Call", filters={"call_id": ["in", chunk]}, fields=["call_id", "status"]
		)
	_compare(counts, scenario.calls, [(r.call_id, r.status) for r in call_rows], complete)
	return counts


def _counted_twice(scenario: sim.Scenario) -> int:
	"""Inbound messages applied more than once. Unique keys stop a second row, not a second side effect: a
	conversation's unread counter (one per inbound message applied, lowered only when someone reads it) above
	the number of inbound messages it holds shows one."""
	if not scenario.messages:
		return 0
	rows = frappe.db.sql(
		"""select c.unread_count,
			(select count(*) from `tabWhatsApp Message` m where m.contact = c.name and m.from_me = 0)
		from `tabWhatsApp Contact` c where c.session in %(sessions)s""",
		{"sessions": tuple(scenario.sessions)},
	)
	return sum(max(0, int(unread or 0) - int(inbound)) for unread, inbound in rows)


def _compare(counts: Tally, expected: dict, rows: list[tuple], complete: bool) -> None:
	seen: dict = {}
	for key, status in rows:
		seen.setdefault(key, []).append(status)
	for key, want in expected.items():
		found = seen.get(key, [])
		counts.duplicated += max(0, len(found) - 1)
		if not found:
			counts.lost += 1 if complete else 0
		elif found[0] != want and complete:
			counts.wrong_state += 1


def simulated_sessions(prefix: str) -> list[str]:
	"""Sessions the simulator created with this prefix (marked, and named by it). Matched as an exact prefix,
	not with LIKE, so no character of it can act as a wildcard."""
	if not sim.PREFIX_PATTERN.fullmatch(prefix):
		raise ValueError(
			"prefix: 3 to 40 letters, digits, '_' or '-' (a shorter one could match sessions it should not)"
		)
	rows = frappe.db.sql(
		"""select name, session_name from `tabWhatsApp Session`
		where left(name, %(length)s) = %(prefix)s and session_name = concat(%(mark)s, name)""",
		{"length": len(prefix), "prefix": prefix, "mark": SIM_MARK},
	)
	# The database compares without regard to case; the decision is made on the exact strings.
	return sorted(name for name, label in rows if name.startswith(prefix) and label == SIM_MARK + name)


def cleanup(prefix: str = "sim_") -> dict:
	"""Remove what simulations with this session prefix left: the sessions the simulator created, their
	conversations, messages, notes and inbox rows, and the calls it simulated with this prefix (with their inbox
	rows), each with what refers to it (files, ToDos, comments, alerts). Nothing else, whatever the prefix."""
	sessions = simulated_sessions(prefix)
	removed = {"sessions": len(sessions), "messages": 0, "inbox": 0, "calls": 0}
	for chunk in _chunks(sessions):
		removed["messages"] += frappe.db.count("WhatsApp Message", {"session": ["in", chunk]})
		removed["inbox"] += frappe.db.count(INBOX, {"session_id": ["in", chunk]})
		remove_sessions(chunk)

	pattern = sim.sim_call_pattern(prefix)
	shape = re.compile(pattern)
	calls = [
		(name, call_id)
		for name, call_id in frappe.db.sql(
			"select name, call_id from `tabNetelip Call` where raw_dst = %s and call_id regexp %s",
			(sim.SIM_CALLED_NUMBER, pattern),
		)
		if shape.fullmatch(call_id)
	]
	removed["calls"] = len(calls)
	for chunk in _chunks(calls):
		names = [name for name, _ in chunk]
		remove_references("Netelip Call", names)
		frappe.db.delete("Netelip Call", {"name": ["in", names]})
	# Call events carry the call id from the moment they are stored, applied or not.
	inbox = [
		name
		for name, key in frappe.db.sql(
			"select name, reference_key from `tabInbound Webhook` where provider = 'Netelip' and reference_key regexp %s",
			(pattern,),
		)
		if shape.fullmatch(key)
	]
	removed["inbox"] += len(inbox)
	for chunk in _chunks(inbox):
		remove_references(INBOX, chunk)
		frappe.db.delete(INBOX, {"name": ["in", chunk]})
	frappe.db.commit()
	return removed

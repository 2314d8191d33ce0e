"""The site's side of a simulation: sessions and secrets to sign with, and what became of every event.

`tally` compares what a scenario should have produced with what is in the database: inbox rows stored and
processed, one WhatsApp Message per message and one Netelip Call per call, each in its final state. Used by the
`simulate` command, the fault tests and the benchmarks.
"""

import time
from dataclasses import asdict, dataclass

import frappe
from frappe.utils.password import get_decrypted_password

from xappiens_whatsapp.testing import simulator as sim

INBOX = "Inbound Webhook"
FINAL = ("Processed", "Ignored")
CHUNK = 1000


@dataclass
class Tally:
	sent: int = 0
	accepted: int = 0
	rejected: int = 0
	stored: int = 0  # inbox rows of the scenario's deliveries
	processed: int = 0  # of those, Processed or Ignored
	pending: int = 0  # Received, Waiting or Failed (not yet applied)
	duplicated: int = 0  # rows beyond one per inbox key, message or call
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
	"""The secret each simulated session signs with, creating the sessions (with a new secret) if needed."""
	default = get_decrypted_password(
		"WhatsApp Settings", "WhatsApp Settings", "default_webhook_secret", raise_exception=False
	)
	secrets = {}
	for session_id in session_ids:
		if frappe.db.exists("WhatsApp Session", session_id):
			own = get_decrypted_password(
				"WhatsApp Session", session_id, "webhook_secret", raise_exception=False
			)
			secret = own or default
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
					"session_name": session_id,
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

	call_rows = []
	for chunk in _chunks(list(scenario.calls)):
		call_rows += frappe.get_all(
			"Netelip Call", filters={"call_id": ["in", chunk]}, fields=["call_id", "status"]
		)
	_compare(counts, scenario.calls, [(r.call_id, r.status) for r in call_rows], complete)
	return counts


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


def cleanup(prefix: str = "sim_") -> dict:
	"""Remove what simulations with this session prefix left: sessions, conversations, inbox rows, calls."""
	like = prefix.replace("%", "") + "%"
	sessions = frappe.get_all("WhatsApp Session", filters={"name": ["like", like]}, pluck="name")
	removed = {"sessions": len(sessions)}
	for chunk in _chunks(sessions):
		removed["messages"] = frappe.db.count("WhatsApp Message", {"session": ["in", chunk]})
		frappe.db.delete("WhatsApp Message", {"session": ["in", chunk]})
		frappe.db.delete("WhatsApp Contact", {"session": ["in", chunk]})
		frappe.db.delete("WhatsApp Session User", {"parent": ["in", chunk]})
		frappe.db.delete("__Auth", {"doctype": "WhatsApp Session", "name": ["in", chunk]})
		frappe.db.delete("WhatsApp Session", {"name": ["in", chunk]})
	frappe.db.delete(INBOX, {"session_id": ["like", like]})
	calls = frappe.get_all("Netelip Call", filters={"raw_dst": sim.SIM_CALLED_NUMBER}, pluck="call_id")
	removed["calls"] = len(calls)
	for chunk in _chunks(calls):
		frappe.db.delete("Netelip Call", {"call_id": ["in", chunk]})
		frappe.db.delete(INBOX, {"provider": "Netelip", "reference_key": ["in", chunk]})
	# Call events not applied yet have no call row: find them by the number every simulated call goes to.
	frappe.db.delete(
		INBOX, {"provider": "Netelip", "payload": ["like", f'%"dst": "{sim.SIM_CALLED_NUMBER}"%']}
	)
	frappe.db.commit()
	return removed

"""Which calls are missed: inbound calls nobody answered. Kept on each call as a flag (Netelip Call.missed) so the
Missed list and the workspace's count read one index instead of matching direction and three states."""

MISSED_STATES = ("No Answer", "Busy", "Failed")
# The same rule in SQL, for a row whose state was written in SQL, and for the patch that sets it on existing calls.
MISSED_SQL = "(`direction` = 'Inbound' and `status` in ('No Answer', 'Busy', 'Failed'))"


def is_missed(direction: str | None, status: str | None) -> int:
	return 1 if direction == "Inbound" and status in MISSED_STATES else 0

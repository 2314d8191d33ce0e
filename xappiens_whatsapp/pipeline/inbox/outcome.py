"""What applying one inbox event came to, as its handler tells the drain."""

from dataclasses import dataclass


@dataclass
class Outcome:
	status: str  # Processed, Waiting or Ignored
	reference_doctype: str | None = None
	reference_name: str | None = None
	note: str | None = None
	# Messages (their references, in the event's session) whose parked events may now be applied: the drain
	# applies them in the same transaction, under the lock it already holds.
	wake: tuple[str, ...] = ()

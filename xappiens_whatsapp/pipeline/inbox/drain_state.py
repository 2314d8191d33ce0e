"""What a drain job keeps while it applies a run of events, in one object instead of loose attributes."""

from contextlib import contextmanager
from dataclasses import dataclass, field

import frappe


@dataclass
class DrainState:
	# Sessions known to exist, looked up once per job rather than once per event (added only once committed).
	known_sessions: set[str] = field(default_factory=set)
	# The events parked for the messages of the group being applied: (session, reference) → inbox row names.
	parked: dict[tuple, list[str]] | None = None
	# A group of events shares the transaction under way: what it waits for, it waits for holding their rows.
	in_group: bool = False


def current() -> DrainState | None:
	return getattr(frappe.local, "xw_drain", None)


def in_group() -> bool:
	state = current()
	return state is not None and state.in_group


@contextmanager
def draining():
	"""A drain's state for the length of the block (the one already there, if a drain is under way)."""
	state = current()
	if state is not None:
		yield state
		return
	frappe.local.xw_drain = DrainState()
	try:
		yield frappe.local.xw_drain
	finally:
		frappe.local.xw_drain = None

"""Serialise work on one message or one call across every worker, with MariaDB's named locks.

Row locks cannot guard a row that does not exist yet (an ack that arrives before its message); a named lock on
the message's key can. The lock belongs to the job's connection, so a killed worker frees it.
"""

import hashlib
from contextlib import contextmanager

import frappe


class LockTimeout(Exception):
	pass


def event_key(provider: str, session_id: str | None, reference: str | None) -> str | None:
	"""The lock of every event about one message or call (a provider's reference in a session); None: no lock."""
	return f"{provider}:{session_id}:{reference}" if reference else None


def lock_name(key: str) -> str:
	# MariaDB caps lock names at 64 characters and shares them across every database on the server.
	return "xw:" + hashlib.sha1(f"{frappe.local.site}:{key}".encode()).hexdigest()


LOCK_WAIT_SECONDS = 30


def try_locks(keys: list[str]) -> list[bool]:
	"""Take each lock now or not at all, in one round trip: which ones this connection now holds. The caller
	releases them (`release`), possibly after other work; a key asked twice is held, and released, twice."""
	if not keys:
		return []
	row = frappe.db.sql("select " + ", ".join(["get_lock(%s, 0)"] * len(keys)), tuple(map(lock_name, keys)))
	return [taken == 1 for taken in row[0]]


def release(keys: list[str]) -> None:
	"""Release locks taken with try_locks, once per taking (MariaDB's named locks count), in one round trip."""
	if keys:
		frappe.db.sql(
			"select " + ", ".join(["release_lock(%s)"] * len(keys)), tuple(lock_name(key) for key in keys)
		)


@contextmanager
def named_lock(key: str | None, timeout: int | None = None):
	if not key:
		yield
		return
	name = lock_name(key)
	wait = LOCK_WAIT_SECONDS if timeout is None else timeout
	if frappe.db.sql("select get_lock(%s, %s)", (name, wait))[0][0] != 1:
		raise LockTimeout(key)
	try:
		yield
	finally:
		frappe.db.sql("select release_lock(%s)", (name,))


def lock_until_transaction_ends(key: str, timeout: int | None = None) -> None:
	"""Take `key`'s lock and keep it until this transaction commits or rolls back, for what the lock guards is
	written in the transaction: released earlier, another worker would wait for the row under its lock while
	holding the lock this worker's next turn needs. Taken again in the same transaction, it is released as
	many times."""
	name = lock_name(key)
	wait = LOCK_WAIT_SECONDS if timeout is None else timeout
	if frappe.db.sql("select get_lock(%s, %s)", (name, wait))[0][0] != 1:
		raise LockTimeout(key)

	def release_it():
		frappe.db.sql("select release_lock(%s)", (name,))

	# A commit forgets the rollback's callbacks, and a rollback the commit's: one of the two runs.
	frappe.db.after_commit.add(release_it)
	frappe.db.after_rollback.add(release_it)

"""Background jobs the pipeline queues for one thing at a time (a send, a call launch, a read receipt)."""

import frappe


def once_after_commit(method: str, job_id: str, queue: str = "short", **kwargs) -> None:
	"""Queue `method` when the current transaction commits (never for what a rollback undoes), and not again
	while a job of the same id still waits or runs."""
	frappe.enqueue(method, queue=queue, job_id=job_id, deduplicate=True, enqueue_after_commit=True, **kwargs)

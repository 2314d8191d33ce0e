"""Netelip's tokens never reach a log: Error Log rows (and the snapshots Frappe queues for them), the RQ
failed-job registry, the inbox's own error column. Errors are forced for real, by MariaDB triggers that refuse
one marked row, inside the callbacks and inside the jobs that apply their events or launch a call."""

import json
from urllib.parse import quote, quote_plus

import frappe
from frappe.deferred_insert import queue_prefix, save_to_db
from frappe.utils.background_jobs import get_queue
from rq.job import Job

from xappiens_whatsapp.bench_tests.base import run_worker
from xappiens_whatsapp.bench_tests.test_netelip import (
	API_TOKEN,
	APP,
	CONTROL,
	REPORT,
	TOKEN,
	NetelipCase,
	call_id,
	configure_netelip,
)

QUEUE = f"{queue_prefix}Error Log"  # where Frappe queues the error snapshots of web requests
MARK = "xwt-force-error"
TRIGGER = "xwt_force_error"
# A call ID only the launch of test_a_job_failing_after_the_launch_logs_no_token is given.
DOOMED_CALL_ID = "1999999999.4242"


def token_forms() -> set[str]:
	forms = set()
	for secret in (TOKEN, API_TOKEN):
		forms |= {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
	return forms


def failed_jobs() -> list[Job]:
	jobs = []
	for name in ("short", "default", "long"):
		registry = get_queue(name).failed_job_registry
		jobs += [job for job in Job.fetch_many(registry.get_job_ids(), connection=registry.connection) if job]
	return jobs


class TestNetelipSecretsStayOutOfLogs(NetelipCase):
	def setUp(self):
		super().setUp()
		frappe.db.commit()
		self.since = frappe.utils.add_to_date(frappe.utils.now_datetime(), seconds=-1)
		self.queued_before = frappe.cache.llen(QUEUE)
		self.failed_before = {job.id for job in failed_jobs()}
		self.addCleanup(self.forget_what_was_logged)

	def forget_what_was_logged(self):
		for name in ("short", "default", "long"):
			registry = get_queue(name).failed_job_registry
			for job in Job.fetch_many(registry.get_job_ids(), connection=registry.connection):
				if job and job.id not in self.failed_before:
					registry.remove(job, delete_job=True)
		save_to_db()  # the snapshots this test queued, if any, become rows deleted below
		frappe.db.delete("Error Log", {"creation": [">=", self.since]})
		frappe.db.commit()

	def refuse(self, table: str, event: str, condition: str) -> None:
		"""A trigger that makes MariaDB refuse the marked rows, until the test ends."""
		frappe.db.sql(f"drop trigger if exists {TRIGGER}")
		frappe.db.sql(
			f"""create trigger {TRIGGER} before {event} on `{table}` for each row
			begin if {condition} then signal sqlstate '45000' set message_text = 'forced by a test'; end if; end"""
		)
		self.addCleanup(frappe.db.sql, f"drop trigger if exists {TRIGGER}")

	def queued_snapshots(self) -> list[str]:
		return [raw.decode() for raw in frappe.cache.lrange(QUEUE, self.queued_before, -1)]

	def error_logs(self) -> list[dict]:
		save_to_db()  # what the scheduler does with the snapshots queued by web requests
		frappe.db.commit()
		return frappe.get_all(
			"Error Log", filters={"creation": [">=", self.since]}, fields=["name", "method", "error"]
		)

	def new_failed_jobs(self) -> list[Job]:
		return [job for job in failed_jobs() if job.id not in self.failed_before]

	def assert_no_token(self, label: str, texts) -> None:
		for text in texts:
			for form in token_forms():
				self.assertNotIn(form, str(text), f"a Netelip token in {label}")

	def assert_nothing_logged_holds_a_token(self) -> None:
		self.assert_no_token("a queued error snapshot", self.queued_snapshots())
		self.assert_no_token("an Error Log row", [f"{r.method}\n{r.error}" for r in self.error_logs()])
		self.assert_no_token(
			"the RQ failed-job registry",
			[f"{job.exc_info}\n{job.args}\n{job.kwargs}" for job in self.new_failed_jobs()],
		)
		rows = self.inbound(provider="Netelip")
		self.assert_no_token("the inbox", [f"{r.last_error}\n{r.payload}\n{r.headers}" for r in rows])

	def test_a_failing_control_or_report_callback_logs_no_token(self):
		self.refuse("tabInbound Webhook", "insert", f"new.payload like '%{MARK}%'")
		fields = self.inbound_fields(call_id(), dtmf=MARK)
		self.assertEqual(self.control(fields).status_code, 503)
		as_json = self.post(
			CONTROL + f"?token={TOKEN}&x=1",
			data=json.dumps(self.inbound_fields(call_id(), dtmf=MARK)),
			headers={"Content-Type": "application/json"},
		)
		self.assertEqual(as_json.status_code, 503)
		self.assertEqual(self.report([{**fields, "statuscall": "BUSY"}]).status_code, 503)
		# Frappe's other routes to the same method
		v2 = self.post(CONTROL.replace("/api/", "/api/v2/") + f"?token={TOKEN}", data=fields)
		self.assertGreaterEqual(v2.status_code, 500)
		# the errors were logged, for an administrator to see, without the token
		self.assertGreaterEqual(len(self.queued_snapshots()), 4)
		self.assertIn("forced by a test", "".join(self.queued_snapshots()))
		self.assert_nothing_logged_holds_a_token()

	def test_an_undecodable_body_leaves_no_error_log_row(self):
		bodies = (b'{"ID": "1.2", ', b"[" * 50_000 + b"]" * 50_000, b'"\\ud800"')
		for path in (CONTROL, REPORT):
			for token in (TOKEN, "not-the-token-0123456789"):
				for body in bodies:
					with self.subTest(path=path, token=token, body=body[:10]):
						response = self.post(
							path + f"?token={quote_plus(token)}",
							data=body,
							headers={"Content-Type": "application/json"},
						)
						self.assertEqual(response.status_code, 400 if token == TOKEN else 401)
		self.assertEqual(self.queued_snapshots(), [])
		self.assertEqual(self.error_logs(), [])

	def test_a_job_failing_to_apply_an_event_logs_no_token(self):
		self.refuse("tabNetelip Call", "insert", f"new.raw_src = '{MARK}'")
		cid = call_id()
		self.assertEqual(self.control(self.inbound_fields(cid, src=MARK)).status_code, 200)
		run_worker()
		[row] = self.inbound(provider="Netelip", reference_key=cid)
		self.assertEqual(row.status, "Failed")
		self.assertIn("forced by a test", row.last_error)
		self.assert_nothing_logged_holds_a_token()

	def test_a_launch_failing_inside_the_client_logs_no_token(self):
		# An answer the client cannot read (JSON nested past Python's recursion limit) fails inside the
		# client, with the token in its frames; the launch logs the error and fails the call.
		self.netelip.fail(
			"/v1/voice", 200, body="[" * 100_000 + "]" * 100_000, content_type="application/json"
		)
		name = self.click(contact=self.crm_contact()).json()["message"]["call"]
		run_worker()
		self.assertEqual(self.row(name).status, "Failed")
		self.assertEqual(self.netelip.requests_to("/v1/voice")[-1]["form"]["token"], API_TOKEN)
		logs = self.error_logs()
		self.assertTrue(any("launch_call" in r.error for r in logs), [r.method for r in logs])
		self.assert_nothing_logged_holds_a_token()

	def test_a_job_failing_after_the_launch_logs_no_token(self):
		self.refuse("tabNetelip Call", "update", f"new.call_id = '{DOOMED_CALL_ID}'")
		self.netelip.fail("/v1/voice", 200, body={"response": "200", "ID": DOOMED_CALL_ID})
		self.click(contact=self.crm_contact())
		run_worker()
		failed = self.new_failed_jobs()
		self.assertTrue(any("forced by a test" in str(job.exc_info) for job in failed), failed)
		self.assert_nothing_logged_holds_a_token()

	def test_a_token_sent_as_a_header_or_in_the_body_is_not_stored_either(self):
		configure_netelip(self.netelip.url)
		fields = {**self.inbound_fields(call_id()), "token": TOKEN}
		response = self.post(CONTROL, data=fields, headers={"X-Netelip-Token": TOKEN})
		self.assertEqual(response.status_code, 200, response.text)
		self.assertEqual(APP, json.loads(self.inbound(provider="Netelip")[0].payload)["api"])
		self.assert_nothing_logged_holds_a_token()

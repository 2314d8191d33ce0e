"""A webhook signer is printed by any traceback that has one in scope (Frappe logs every frame's variables):
its repr and str show neither the secret nor the ciphertext it was read from."""

from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from xappiens_whatsapp.bench_tests.base import DEFAULT_SECRET, XWTestCase, configure_settings
from xappiens_whatsapp.pipeline.whatsapp import webhook_signers as signing


class TestSignerRepr(XWTestCase):
	def test_signers_do_not_show_their_secrets(self):
		configure_settings()
		self.make_session()
		session = frappe.get_doc("WhatsApp Session", self.session_id)
		session.previous_webhook_secret = "the-previous-secret-0123456789"
		session.previous_secret_valid_until = now_datetime() + timedelta(hours=1)
		session.save(ignore_permissions=True)
		frappe.db.commit()
		signers = signing.webhook_signers(self.session_id) + signing.webhook_signers(None)
		self.assertEqual(
			[s.secret for s in signers],
			[self.session_secret, "the-previous-secret-0123456789", DEFAULT_SECRET],
		)
		ciphertexts = [row[0] for row in frappe.db.sql("select password from `__Auth` where encrypted = 1")]
		for signer in signers:
			shown = repr(signer) + str(signer) + repr([signer]) + repr({"signer": signer})
			self.assertNotIn(signer.secret, shown)
			for ciphertext in ciphertexts:
				self.assertNotIn(ciphertext, shown)

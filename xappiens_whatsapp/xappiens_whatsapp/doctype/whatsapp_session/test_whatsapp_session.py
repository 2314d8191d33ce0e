# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe

from xappiens_whatsapp.bench_tests.base import XWDoctypeTestCase, make_agent


def new_session(session_id: str, **values):
	return frappe.get_doc({"doctype": "WhatsApp Session", "session_id": session_id, **values})


class TestWhatsAppSession(XWDoctypeTestCase):
	def test_session_id_follows_the_gateway_rules(self):
		for bad in ("ab", "has space", "x" * 101, "acentuación", "a/b"):
			self.assertRaises(frappe.ValidationError, new_session(bad).insert, ignore_permissions=True)
		doc = new_session("xwt_ok-Session_1").insert(ignore_permissions=True)
		self.assertEqual(doc.name, "xwt_ok-Session_1")
		self.assertEqual(doc.session_name, "xwt_ok-Session_1")

	def test_only_one_default_session(self):
		a = new_session("xwt_default_a", is_default=1).insert(ignore_permissions=True)
		b = new_session("xwt_default_b", is_default=1).insert(ignore_permissions=True)
		self.assertEqual(frappe.db.get_value("WhatsApp Session", a.name, "is_default"), 0)
		self.assertEqual(frappe.db.get_value("WhatsApp Session", b.name, "is_default"), 1)

	def test_agents_see_only_their_sessions_and_not_the_qr(self):
		agent = make_agent("xwt-session-agent@example.com")
		mine = new_session("xwt_mine", allowed_users=[{"user": agent}]).insert(ignore_permissions=True)
		new_session("xwt_theirs").insert(ignore_permissions=True)
		frappe.db.set_value("WhatsApp Session", mine.name, "qr_code", "QRDATA")
		frappe.set_user(agent)
		try:
			visible = frappe.get_list("WhatsApp Session", pluck="name", filters={"name": ["like", "xwt_%"]})
			self.assertEqual(visible, ["xwt_mine"])
			self.assertTrue(frappe.has_permission("WhatsApp Session", doc="xwt_mine"))
			self.assertFalse(frappe.has_permission("WhatsApp Session", doc="xwt_theirs"))
			# the QR code is a manager-only field (permlevel 1)
			row = frappe.get_list(
				"WhatsApp Session", fields=["name", "qr_code"], filters={"name": "xwt_mine"}
			)
			self.assertNotIn("QRDATA", str(row))
			self.assertRaises(frappe.PermissionError, frappe.get_doc("WhatsApp Session", "xwt_mine").save)
		finally:
			frappe.set_user("Administrator")

	def test_same_agent_twice_is_refused(self):
		agent = make_agent("xwt-session-agent@example.com")
		doc = new_session("xwt_twice", allowed_users=[{"user": agent}, {"user": agent}])
		self.assertRaises(frappe.ValidationError, doc.insert, ignore_permissions=True)

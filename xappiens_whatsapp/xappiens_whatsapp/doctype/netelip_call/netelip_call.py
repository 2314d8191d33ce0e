# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class NetelipCall(Document):
	pass


def on_doctype_update():
	frappe.db.add_index("Netelip Call", ["status", "started_at"])
	frappe.db.add_index("Netelip Call", ["customer_number"])
	frappe.db.add_index("Netelip Call", ["agent", "started_at"])

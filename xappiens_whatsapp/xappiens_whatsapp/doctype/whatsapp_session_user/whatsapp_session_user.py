# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class WhatsAppSessionUser(Document):
	pass

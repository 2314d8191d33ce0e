# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class WhatsAppNote(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		contact: DF.Link
		content: DF.SmallText
		mentions: DF.SmallText | None
		session: DF.Link
	# end: auto-generated types

	pass


def on_doctype_update():
	frappe.db.add_index("WhatsApp Note", ["contact", "creation"])

# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import escape_html

from xappiens_whatsapp.core.quick_replies import problems


class WhatsAppQuickReply(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		attachment: DF.Attach | None
		session: DF.Link | None
		shortcut: DF.Data
		text: DF.SmallText
		title: DF.Data
		visibility: DF.Literal["Everyone", "Only Me"]
	# end: auto-generated types

	def validate(self):
		self.shortcut = (self.shortcut or "").strip().lstrip("/").replace(" ", "-").lower()
		found = problems(self.text)
		if found:
			frappe.throw(
				_("This text cannot be used as a quick reply:")
				+ "<br>"
				+ "<br>".join(map(escape_html, found)),
				title=_("Invalid quick reply"),
			)


def on_doctype_update():
	frappe.db.add_index("WhatsApp Quick Reply", ["session", "shortcut"])

# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class WhatsAppAgent(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		available: DF.Check
		mute_bell: DF.Check
		mute_tab_title: DF.Check
		mute_toasts: DF.Check
		user: DF.Link
	# end: auto-generated types

	pass

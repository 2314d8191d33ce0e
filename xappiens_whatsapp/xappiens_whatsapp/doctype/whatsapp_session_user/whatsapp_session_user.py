# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class WhatsAppSessionUser(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		user: DF.Link

	# end: auto-generated types
	@property
	def parent_doc(self):
		"""The session this row belongs to, also for a row loaded on its own (`frappe.client.get`, `getdoc`):
		Frappe 15 checks such a row against the parent doctype only, which every agent may read; with its
		session at hand the session's own rule applies (managers and the session's agents)."""
		parent = Document.parent_doc.fget(self)
		if parent is None and self.parent and self.parenttype == "WhatsApp Session":
			try:
				parent = frappe.get_doc(self.parenttype, self.parent)
			except frappe.DoesNotExistError:
				frappe.clear_last_message()
				return None
			self._parent_doc = parent
		return parent

	@parent_doc.setter
	def parent_doc(self, value):
		self._parent_doc = value

	@parent_doc.deleter
	def parent_doc(self):
		self._parent_doc = None

# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, escape_html

from xappiens_whatsapp.core.phones import to_e164
from xappiens_whatsapp.pipeline.settings import default_region
from xappiens_whatsapp.xappiens_whatsapp.doctype.whatsapp_settings.whatsapp_settings import (
	check_endpoints,
	check_secret_length,
)

# The dial's ring time is this value, and Netelip accepts 1-60 s; below 5 s nobody can pick up.
NO_ANSWER_TIMEOUT = (5, 60)


class NetelipSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from xappiens_whatsapp.xappiens_whatsapp.doctype.netelip_agent.netelip_agent import NetelipAgent
		from xappiens_whatsapp.xappiens_whatsapp.doctype.netelip_alert_recipient.netelip_alert_recipient import (
			NetelipAlertRecipient,
		)
		from xappiens_whatsapp.xappiens_whatsapp.doctype.netelip_allowed_number.netelip_allowed_number import (
			NetelipAllowedNumber,
		)

		agents: DF.Table[NetelipAgent]
		alert_on_failed: DF.Check
		alert_on_no_answer: DF.Check
		alert_recipients: DF.TableMultiSelect[NetelipAlertRecipient]
		allowed_countries: DF.SmallText | None
		allowed_numbers: DF.Table[NetelipAllowedNumber]
		allowed_sources: DF.SmallText | None
		api_application: DF.Data | None
		api_base_url: DF.Data | None
		api_token: DF.Password | None
		call_dispositions: DF.SmallText | None
		caller_id: DF.Data | None
		calls_per_agent_per_hour: DF.Int
		create_callback_todo: DF.Check
		followup_session: DF.Link | None
		followup_text: DF.SmallText | None
		followups_per_hour: DF.Int
		inbound_extension: DF.Data | None
		max_call_seconds: DF.Int
		no_answer_timeout: DF.Int
		recording_hosts: DF.SmallText | None
		request_timeout: DF.Int
		trusted_proxies: DF.SmallText | None
		webhook_token: DF.Password | None
		whatsapp_followup: DF.Check

	# end: auto-generated types
	def validate(self):
		from xappiens_whatsapp.core.origin import parse_networks

		check_secret_length(self, "webhook_token")
		self.validate_durations()
		for field in ("allowed_sources", "trusted_proxies"):
			try:
				parse_networks(self.get(field) or "")
			except ValueError as exc:
				frappe.throw(_("{0}: {1}").format(self.meta.get_label(field), exc))
		self.api_base_url = (self.api_base_url or "").strip().rstrip("/") or None
		check_endpoints(self, ("api_base_url",))  # it receives the API token
		region = default_region()
		for row in self.allowed_numbers:
			number = to_e164(row.number, region)
			if not number:
				frappe.throw(_("Row {0}: {1} is not a valid phone number").format(row.idx, row.number))
			row.number = number
		for row in self.agents:
			if row.number:
				number = to_e164(row.number, region)
				if not number:
					frappe.throw(_("Agent {0}: {1} is not a valid phone number").format(row.user, row.number))
				row.number = number
		users = [row.user for row in self.agents]
		if len(users) != len(set(users)):
			frappe.throw(_("Each agent can appear only once"))
		self.validate_call_rules(region)
		self.validate_inbound_extension(region)

	def validate_inbound_extension(self, region: str):
		"""Calls to numbers no agent has are routed here, and the route is in the answer to whoever posted the
		call: an extension only (an internal line), never a public number such as someone's mobile."""
		line = (self.inbound_extension or "").strip()
		if line and (line.startswith(("+", "00")) or to_e164(line, region)):
			frappe.throw(
				_("{0} must be an extension, not a public phone number").format(
					self.meta.get_label("inbound_extension")
				)
			)

	def validate_call_rules(self, region: str):
		from xappiens_whatsapp.core.destinations import parse_countries

		try:
			parse_countries(self.allowed_countries, region)
		except ValueError as exc:
			frappe.throw(
				_("{0}: {1}").format(self.meta.get_label("allowed_countries"), escape_html(str(exc)))
			)
		# A cleared (or never set) limit reads as 0, which would stop every call or text: the default instead.
		for field in ("calls_per_agent_per_hour", "followups_per_hour"):
			if cint(self.get(field)) < 1:
				self.set(field, cint(self.meta.get_field(field).default))

	def validate_durations(self):
		low, high = NO_ANSWER_TIMEOUT
		if not low <= cint(self.no_answer_timeout) <= high:
			frappe.throw(
				_("{0} must be between {1} and {2} seconds").format(
					self.meta.get_label("no_answer_timeout"), low, high
				)
			)
		if cint(self.max_call_seconds) <= 0:
			frappe.throw(_("{0} must be more than 0 seconds").format(self.meta.get_label("max_call_seconds")))

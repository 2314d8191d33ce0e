# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

from xappiens_whatsapp.reporting.calls import missed_calls


def execute(filters=None):
	columns, data, chart, summary = missed_calls(filters or {})
	return columns, data, None, chart, summary

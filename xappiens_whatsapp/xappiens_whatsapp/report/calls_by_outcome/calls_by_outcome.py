# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

from xappiens_whatsapp.reporting.calls import calls_by_outcome


def execute(filters=None):
	columns, data, chart = calls_by_outcome(filters or {})
	return columns, data, None, chart

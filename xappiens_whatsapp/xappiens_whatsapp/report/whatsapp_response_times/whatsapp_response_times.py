# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

from xappiens_whatsapp.reporting.conversations import response_times


def execute(filters=None):
	columns, data, chart = response_times(filters or {})
	return columns, data, None, chart

# Copyright (c) 2026, Xappiens and contributors
# For license information, please see license.txt

from xappiens_whatsapp.reporting.conversations import conversations_per_day


def execute(filters=None):
	columns, data, chart, note = conversations_per_day(filters or {})
	return columns, data, note, chart

// Copyright (c) 2026, Xappiens and contributors
// For license information, please see license.txt

frappe.query_reports["Missed Calls and Call-backs"] = {
	filters: [
		{ fieldname: "from_date", label: __("From"), fieldtype: "Date", default: frappe.datetime.add_days(frappe.datetime.get_today(), -30) },
		{ fieldname: "to_date", label: __("To"), fieldtype: "Date", default: frappe.datetime.get_today() },
		{ fieldname: "agent", label: __("Agent"), fieldtype: "Link", options: "User" },
	],
};

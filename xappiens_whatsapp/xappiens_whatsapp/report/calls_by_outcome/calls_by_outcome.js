// Copyright (c) 2026, Xappiens and contributors
// For license information, please see license.txt

frappe.query_reports["Calls by Outcome"] = {
	filters: [
		{ fieldname: "from_date", label: __("From"), fieldtype: "Date", default: frappe.datetime.add_days(frappe.datetime.get_today(), -30) },
		{ fieldname: "to_date", label: __("To"), fieldtype: "Date", default: frappe.datetime.get_today() },
		{ fieldname: "direction", label: __("Direction"), fieldtype: "Select", options: ["", "Inbound", "Outbound"] },
		{ fieldname: "agent", label: __("Agent"), fieldtype: "Link", options: "User" },
		{ fieldname: "group_by", label: __("Outcome"), fieldtype: "Select", options: ["", "Status"] },
	],
};

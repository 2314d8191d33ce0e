// Copyright (c) 2026, Xappiens and contributors
// For license information, please see license.txt

frappe.query_reports["WhatsApp Response Times"] = {
	filters: [
		{ fieldname: "from_date", label: __("From"), fieldtype: "Date", default: frappe.datetime.add_days(frappe.datetime.get_today(), -30) },
		{ fieldname: "to_date", label: __("To"), fieldtype: "Date", default: frappe.datetime.get_today() },
		{ fieldname: "session", label: __("WhatsApp number"), fieldtype: "Link", options: "WhatsApp Session" },
		{
			fieldname: "group_by",
			label: __("Per"),
			fieldtype: "Select",
			options: ["Agent", "Number"],
			default: "Agent",
		},
	],
};

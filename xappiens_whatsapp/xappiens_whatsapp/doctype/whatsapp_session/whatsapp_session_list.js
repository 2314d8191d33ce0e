frappe.listview_settings["WhatsApp Session"] = {
	add_fields: ["status", "phone_number"],
	get_indicator(doc) {
		const colors = { Connected: "green", Connecting: "orange", "QR Code Required": "blue", Disconnected: "red", Error: "red" };
		return [__(doc.status), colors[doc.status] || "gray", `status,=,${doc.status}`];
	},
};

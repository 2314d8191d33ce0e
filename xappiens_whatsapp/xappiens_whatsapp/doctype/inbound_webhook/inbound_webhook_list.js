frappe.listview_settings["Inbound Webhook"] = {
	add_fields: ["status", "needs_attention"],
	get_indicator(doc) {
		if (doc.needs_attention) return [__("Needs attention"), "red", "needs_attention,=,1"];
		const colors = { Received: "blue", Waiting: "orange", Processed: "green", Ignored: "gray", Failed: "red" };
		return [__(doc.status), colors[doc.status] || "gray", `status,=,${doc.status}`];
	},
};

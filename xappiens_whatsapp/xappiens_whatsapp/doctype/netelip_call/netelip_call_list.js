// Calls at a glance: outcome colours, and one-click views of my calls and of missed ones.

frappe.listview_settings["Netelip Call"] = {
	add_fields: ["status", "direction", "agent", "talk_time", "needs_review"],
	get_indicator(doc) {
		// Colours shared with the call popup and timelines (public/js/xw/utils.js, loaded on every desk page).
		const color = xappiens_whatsapp.CALL_COLORS[doc.status] || "gray";
		return [__(doc.status), color, `status,=,${doc.status}`];
	},
	formatters: {
		direction(value) {
			return value === "Outbound" ? `↗ ${__("Outbound")}` : `↙ ${__("Inbound")}`;
		},
	},
	onload(listview) {
		listview.page.add_inner_button(__("My calls"), () => {
			listview.filter_area.clear(false).then(() => listview.filter_area.add([["Netelip Call", "agent", "=", frappe.session.user]]));
		});
		listview.page.add_inner_button(__("Missed"), () => {
			listview.filter_area.clear(false).then(() => {
				// Inbound calls nobody answered, flagged on the call: one index range however many calls there are.
				listview.filter_area.add([["Netelip Call", "missed", "=", 1]]);
			});
		});
		listview.page.add_inner_button(__("Needs review"), () => {
			listview.filter_area.clear(false).then(() => listview.filter_area.add([["Netelip Call", "needs_review", "=", 1]]));
		});
	},
};

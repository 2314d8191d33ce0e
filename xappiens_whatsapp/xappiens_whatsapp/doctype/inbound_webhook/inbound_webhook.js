// A delivery in the webhook inbox: managers see why it stands where it does and can run it again.
const XW_INBOUND_COLORS = {
	Received: "blue",
	Waiting: "orange",
	Processed: "green",
	Ignored: "gray",
	Failed: "red",
};

frappe.ui.form.on("Inbound Webhook", {
	refresh(frm) {
		frm.page.set_indicator(__(frm.doc.status), XW_INBOUND_COLORS[frm.doc.status] || "gray");
		if (frm.doc.needs_attention) {
			frm.set_intro(__("The retries ran out: check the error below, then reprocess it."), "red");
		}
		if (frm.doc.status !== "Processed") {
			frm.add_custom_button(__("Reprocess"), async () => {
				const { message: status } = await frm.call("reprocess");
				frappe.show_alert({ message: __("Now {0}", [__(status)]), indicator: XW_INBOUND_COLORS[status] });
				frm.reload_doc();
			});
		}
	},
});

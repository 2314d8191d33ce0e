// The default webhook secret's rotation: managers can end the previous secret's grace period at once.
frappe.ui.form.on("WhatsApp Settings", {
	refresh(frm) {
		const xw = xappiens_whatsapp;
		if (!xw.is_manager() || frm.is_dirty() || !xw.previous_secret_valid(frm.doc.previous_secret_valid_until)) return;
		frm.add_custom_button(__("End previous secret now"), () =>
			frappe.confirm(
				__("Refuse events signed with the previous default secret from now on? Do it once the gateway signs with the new one, or at once if the old one leaked."),
				async () => {
					try {
						await xw.post("xappiens_whatsapp.api.default_secret.end_previous_secret", {}, { freeze: true });
						frappe.show_alert({ message: __("The previous secret no longer works"), indicator: "green" });
						frm.reload_doc();
					} catch (e) {
						// shown by the server message
					}
				}
			)
		);
	},
});

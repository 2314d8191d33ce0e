// A call record: call the customer back, or write to them on WhatsApp.
frappe.ui.form.on("Netelip Call", {
	setup(frm) {
		// The worker writes call states without a form save; it announces them in the call's room, which
		// the open form has joined.
		frm.xw_on_call = (data) => {
			if (data && data.call === frm.docname && !frm.is_new() && !frm.is_dirty()) frm.reload_doc();
		};
		frm.xw_on_reconnect = () => cur_frm === frm && frm.xw_on_call({ call: frm.docname });
		frappe.realtime.on(xappiens_whatsapp.EVENTS.call, frm.xw_on_call);
		$(document).on(xappiens_whatsapp.RECONNECTED, frm.xw_on_reconnect);
	},

	refresh(frm) {
		if (frm.is_new()) return;
		const xw = xappiens_whatsapp;
		frm.page.set_indicator(__(frm.doc.status), xw.CALL_COLORS[frm.doc.status] || "gray");
		if (frm.doc.customer_number) {
			frm.add_custom_button(__("Call back"), () =>
				xw.click_to_call({
					number: frm.doc.customer_number,
					contact: frm.doc.contact,
					whatsapp_contact: frm.doc.whatsapp_contact,
				})
			);
			if (frm.doc.whatsapp_contact) {
				frm.add_custom_button(__("WhatsApp"), () => xw.open_inbox(frm.doc.whatsapp_contact));
			} else {
				frm.add_custom_button(__("WhatsApp"), () => xw.new_conversation({ phone: frm.doc.customer_number }));
			}
			xw.add_crm_button(frm, { call: frm.doc.name });
		}
		if (frm.doc.talk_time) {
			frm.set_intro(__("Talk time {0}", [xw.format_duration(frm.doc.talk_time)]), "blue");
		}
	},
});

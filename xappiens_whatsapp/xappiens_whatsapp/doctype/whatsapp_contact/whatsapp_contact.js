// A WhatsApp conversation as a record: the live thread in the form, then this person's calls.
frappe.ui.form.on("WhatsApp Contact", {
	refresh(frm) {
		if (frm.is_new()) return;
		const xw = xappiens_whatsapp;
		frm.add_custom_button(__("Open in inbox"), () => xw.open_inbox(frm.doc.name));
		if (frm.doc.phone) {
			frm.add_custom_button(__("Call", null, "Phone action"), () => xw.click_to_call({ whatsapp_contact: frm.doc.name }));
		}
		if (frm.doc.phone && !frm.doc.is_group) xw.add_crm_button(frm, { whatsapp_contact: frm.doc.name });
		if (frm.doc.contact) {
			frm.add_custom_button(__("Open contact"), () => frappe.set_route("Form", "Contact", frm.doc.contact));
		}
		render_conversation(frm);
	},
});

function render_conversation(frm) {
	const $field = frm.fields_dict.conversation_html.$wrapper;
	// Form refreshes happen on every save and reload: keep the widgets of the same record.
	if (frm.xw_widgets && frm.xw_widgets.name === frm.doc.name && $field.find(".xw-conversation").length) return;
	if (frm.xw_widgets) {
		frm.xw_widgets.conversation.destroy();
		frm.xw_widgets.calls.destroy();
	}
	$field.html(`
		<div class="xw-form-conversation"></div>
		<div class="xw-subheading">${__("Calls")}</div>
		<div class="xw-form-calls"></div>
	`);
	frm.xw_widgets = {
		name: frm.doc.name,
		conversation: new xappiens_whatsapp.Conversation({
			wrapper: $field.find(".xw-form-conversation"),
			contact: frm.doc.name,
			show_header: false,
		}),
		calls: new xappiens_whatsapp.PersonTimeline({
			wrapper: $field.find(".xw-form-calls"),
			doctype: "WhatsApp Contact",
			name: frm.doc.name,
			kinds: ["call"],
		}),
	};
	xappiens_whatsapp.while_on_form(frm, "xw_widgets", (widgets) => {
		widgets.conversation.destroy();
		widgets.calls.destroy();
		$field.empty();
	});
}

// The CRM Contact: its WhatsApp conversations and calls in one timeline, with Send WhatsApp and Call.
frappe.ui.form.on("Contact", {
	refresh(frm) {
		if (frm.xw_timeline) {
			frm.xw_timeline.destroy();
			frm.xw_timeline = null;
		}
		if (frm.is_new()) return;
		const xw = xappiens_whatsapp;
		const numbers = contact_numbers(frm.doc);
		if (numbers.length) {
			frm.add_custom_button(__("Send WhatsApp"), () => send_whatsapp(frm, numbers), __("Contact"));
			frm.add_custom_button(__("Call", null, "Phone action"), () => xw.choose_and_call(numbers, { contact: frm.doc.name }), __("Contact"));
		}
		const $section = frm.dashboard.add_section("", __("WhatsApp and calls"));
		frm.dashboard.show();
		frm.xw_timeline = new xw.PersonTimeline({ wrapper: $section, doctype: "Contact", name: frm.doc.name });
		xw.while_on_form(frm, "xw_timeline", (timeline) => timeline.destroy());
	},
});

function contact_numbers(doc) {
	const numbers = [doc.mobile_no, doc.phone, ...(doc.phone_nos || []).map((row) => row.phone)];
	return [...new Set(numbers.filter(Boolean).map((n) => n.trim()))];
}

async function send_whatsapp(frm, numbers) {
	// An existing conversation with this person comes first; otherwise start one.
	const conversations = await frappe.db.get_list("WhatsApp Contact", {
		filters: { contact: frm.doc.name },
		fields: ["name", "display_name", "phone", "session"],
		order_by: "last_message_at desc",
		limit: 20,
	});
	if (conversations.length === 1) {
		xappiens_whatsapp.open_inbox(conversations[0].name);
	} else if (conversations.length > 1) {
		frappe.prompt(
			{
				fieldname: "conversation",
				fieldtype: "Select",
				label: __("Conversation"),
				reqd: 1,
				options: conversations.map((c) =>
					xappiens_whatsapp.select_option(c.name, `${c.phone || c.display_name || c.name} · ${c.session}`)
				),
				default: conversations[0].name,
			},
			(values) => xappiens_whatsapp.open_inbox(values.conversation),
			__("Open which conversation?"),
			__("Open conversation")
		);
	} else {
		xappiens_whatsapp.new_conversation({ phone: numbers[0] });
	}
}

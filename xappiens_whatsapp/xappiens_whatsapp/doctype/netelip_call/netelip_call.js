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
		if (xw.TERMINAL_CALL_STATES.includes(frm.doc.status)) {
			frm.add_custom_button(frm.doc.disposition ? __("Edit wrap-up") : __("Wrap up"), () => wrap_up(frm));
		}
		render_recording(frm);
	},
});

const WRAPUP = "xappiens_whatsapp.api.call_wrapup";

// The outcome (from the list in Netelip Settings) and notes of a finished call.
async function wrap_up(frm) {
	const options = (await xappiens_whatsapp.call(`${WRAPUP}.get_dispositions`)) || [];
	if (!options.length) {
		frappe.msgprint(__("Ask a manager to list the call outcomes in Netelip Settings"));
		return;
	}
	const dialog = new frappe.ui.Dialog({
		title: __("Wrap up the call"),
		fields: [
			{
				fieldname: "disposition",
				fieldtype: "Select",
				label: __("Outcome"),
				reqd: 1,
				options: options.map((o) => xappiens_whatsapp.select_option(o, o)),
				default: frm.doc.disposition || "",
			},
			{ fieldname: "notes", fieldtype: "Small Text", label: __("Notes"), default: frm.doc.wrapup_notes || "" },
		],
		primary_action_label: __("Save"),
		primary_action: async (values) => {
			dialog.disable_primary_action();
			try {
				await xappiens_whatsapp.post(`${WRAPUP}.save_wrapup`, { call: frm.doc.name, ...values });
				dialog.hide();
				frm.reload_doc();
			} catch (e) {
				xappiens_whatsapp.raise_message();
			} finally {
				dialog.enable_primary_action();
			}
		},
	});
	dialog.show();
}

// The recording plays through this site, which fetches it from Netelip's hosts for users who may read the call.
function render_recording(frm) {
	const field = frm.fields_dict.recording_html;
	if (!field) return;
	if (!frm.doc.recording_url) {
		field.$wrapper.empty();
		return;
	}
	const src = `/api/method/${WRAPUP}.recording?call=${encodeURIComponent(frm.doc.name)}`;
	field.$wrapper.html(`<div class="xw-recording">
		<div class="text-muted small">${__("Recording")}</div>
		<audio controls preload="none" src="${xappiens_whatsapp.esc(src)}"></audio>
	</div>`);
}

// "Send via WhatsApp" on every printable form, and "Create Lead" in Frappe CRM from calls and conversations.
const xw = xappiens_whatsapp;

xw.METHODS.send_document = "xappiens_whatsapp.api.send_document.send_document";
xw.METHODS.crm_record = "xappiens_whatsapp.api.crm_leads.crm_record";
xw.METHODS.create_lead = "xappiens_whatsapp.api.crm_leads.create_lead";

// This app's own records are conversations and logs, not documents to send.
const NOT_SENDABLE = ["WhatsApp Message", "WhatsApp Contact", "WhatsApp Session", "Inbound Webhook", "File"];

xw.can_send_whatsapp = () =>
	xw.is_manager() || frappe.user.has_role("WhatsApp Agent");

xw.crm_installed = () => Boolean(frappe.boot.versions && frappe.boot.versions.crm);

// Phone-like values of the document, to offer as the recipient.
function document_phones(frm) {
	const found = [];
	for (const df of frm.meta.fields) {
		const value = frm.doc[df.fieldname];
		if (!value || typeof value !== "string") continue;
		if (df.options === "Phone" || /(^|_)(mobile|phone|whatsapp)(_|$)/.test(df.fieldname)) {
			if (/\d{6,}/.test(value.replace(/\D/g, "")) && !found.includes(value)) found.push(value);
		}
	}
	return found;
}

xw.send_document = async function (frm) {
	const sessions = (await xw.call("list_sessions").catch(() => [])) || [];
	if (!sessions.length) {
		frappe.msgprint(__("You are not allowed on any WhatsApp number yet. Ask a manager to add you to one."));
		return;
	}
	const formats = ["Standard", ...(frappe.meta.get_print_formats(frm.doctype) || []).filter((f) => f !== "Standard")];
	const preferred = sessions.find((s) => cint(s.is_default)) || sessions[0];
	const phones = document_phones(frm);
	const dialog = new frappe.ui.Dialog({
		title: __("Send via WhatsApp"),
		fields: [
			{
				fieldname: "phone",
				fieldtype: "Data",
				label: __("Phone number"),
				reqd: 1,
				default: phones[0] || "",
				description: phones.length > 1 ? __("Also on this document: {0}", [phones.slice(1).map(xw.esc).join(", ")]) : "",
			},
			{
				fieldname: "session",
				fieldtype: "Select",
				label: __("Send from"),
				reqd: 1,
				options: sessions.map((s) =>
					xw.select_option(s.name, `${s.session_name || s.name}${s.phone_number ? ` (${s.phone_number})` : ""}`)
				),
				default: preferred.name,
				hidden: sessions.length < 2 ? 1 : 0,
			},
			{
				fieldname: "print_format",
				fieldtype: "Select",
				label: __("Print format"),
				options: formats.map((f) => xw.select_option(f, __(f))),
				default: frappe.meta.get_default_print_format
					? frappe.meta.get_default_print_format(frm.doctype) || "Standard"
					: "Standard",
			},
			{
				fieldname: "caption",
				fieldtype: "Small Text",
				label: __("Caption"),
				default: `${__(frm.doctype)} ${frm.docname}`,
			},
		],
		primary_action_label: __("Send"),
		primary_action: async (values) => {
			dialog.client_ref = dialog.client_ref || xw.client_ref();
			dialog.disable_primary_action();
			try {
				const result = await xw.post(
					"send_document",
					{
						doctype: frm.doctype,
						name: frm.docname,
						phone: values.phone,
						session: values.session,
						print_format: values.print_format,
						caption: values.caption,
						client_ref: dialog.client_ref,
					},
					{ freeze: true }
				);
				dialog.hide();
				frappe.show_alert({ message: __("Document queued to send on WhatsApp"), indicator: "green" });
				frm.reload_doc();
				return result;
			} catch (e) {
				dialog.client_ref = null;
				xw.raise_message();
			} finally {
				dialog.enable_primary_action();
			}
		},
	});
	dialog.show();
	return dialog;
};

// Every form: Frappe has no doctype_js for all doctypes, but announces each form's refresh.
$(document).on("form-refresh", (e, frm) => {
	if (!frm || frm.is_new() || frm.meta.istable || frm.meta.issingle || NOT_SENDABLE.includes(frm.doctype)) return;
	if (!xw.can_send_whatsapp() || !frappe.model.can_print(frm.doctype, frm)) return;
	frm.page.add_menu_item(__("Send via WhatsApp"), () => xw.send_document(frm), true);
});

// Frappe CRM: open the caller's Lead or Deal, or make a Lead of them.
xw.open_crm_record = async function ({ call, whatsapp_contact }) {
	const record = await xw.call("crm_record", { call, whatsapp_contact });
	if (record) {
		window.open(record.url, "_blank");
		return record;
	}
	const created = await xw.post("create_lead", { call, whatsapp_contact }, { freeze: true });
	frappe.show_alert({ message: __("Lead {0} created", [xw.esc(created.name)]), indicator: "green" });
	window.open(created.url, "_blank");
	return created;
};

xw.add_crm_button = async function (frm, args) {
	if (!xw.crm_installed()) return;
	const record = await xw.call("crm_record", args).catch(() => null);
	if (frm.docname !== (args.call || args.whatsapp_contact)) return;
	const label = record ? __("Open in CRM") : __("Create Lead");
	frm.add_custom_button(label, () => xw.open_crm_record(args).catch(() => xw.raise_message()));
};

// The conversation's header: who it is with, on which number, and what can be done from there (call, open the
// contact, the CRM lead, the record); and the warning shown while the number cannot send.
frappe.provide("xappiens_whatsapp");

Object.assign(xappiens_whatsapp.Conversation.prototype, {
	render_header() {
		const info = this.info;
		this.$wrapper.trigger("xw:info", [info]);
		const status = info.session_status;
		const usable = status === "Connected" || status === "Connecting";
		this.$warning
			.toggleClass("hidden", usable || !status)
			.text(
				__("WhatsApp number {0} is not connected ({1}). Messages cannot be sent until a manager reconnects it.", [
					info.session,
					__(status || ""),
				])
			);
		if (!this.show_header) return;
		const title = xappiens_whatsapp.conversation_title(info);
		const session_label = (xappiens_whatsapp.session_labels || {})[info.session] || info.session;
		const subtitle = [info.phone && info.phone !== title ? info.phone : "", session_label]
			.filter(Boolean)
			.map(xappiens_whatsapp.esc)
			.join(" · ");
		this.$header.html(`
			<div class="xw-conv-title">
				${this.on_back ? `<button class="btn btn-default btn-xs xw-back" title="${__("Back to the list")}" aria-label="${__("Back to the list")}">${frappe.utils.icon("left", "sm")}</button>` : ""}
				<div class="ellipsis">
					<div class="xw-conv-name ellipsis">${xappiens_whatsapp.esc(title)}</div>
					<div class="text-muted small ellipsis">${subtitle}</div>
				</div>
			</div>
			<div class="xw-conv-actions">
				${info.phone ? `<button class="btn btn-default btn-xs xw-call-btn">${__("Call", null, "Phone action")}</button>` : ""}
				${
					info.contact
						? `<button class="btn btn-default btn-xs xw-open-contact">${__("Open contact")}</button>`
						: ""
				}
				${
					info.phone && !cint(info.is_group) && xappiens_whatsapp.crm_installed()
						? `<button class="btn btn-default btn-xs xw-crm-lead">${__("Lead")}</button>`
						: ""
				}
				<button class="btn btn-default btn-xs xw-open-record">${__("Details")}</button>
			</div>
		`);
		this.$header.find(".xw-back").on("click", () => this.on_back());
		this.$header
			.find(".xw-call-btn")
			.on("click", () => xappiens_whatsapp.click_to_call({ whatsapp_contact: this.contact }));
		this.$header
			.find(".xw-crm-lead")
			.on("click", () =>
				xappiens_whatsapp.open_crm_record({ whatsapp_contact: this.contact }).catch(() => xappiens_whatsapp.raise_message())
			);
		this.$header.find(".xw-open-contact").on("click", () => frappe.set_route("Form", "Contact", info.contact));
		this.$header
			.find(".xw-open-record")
			.on("click", () => frappe.set_route("Form", "WhatsApp Contact", this.contact));
	},
});

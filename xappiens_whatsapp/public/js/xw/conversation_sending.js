// Sending from the composer: the bubble shows at once as Pending, and becomes the stored message when the server
// answers (or its realtime update arrives first); a failed send gives the text back. Files and retries too.
frappe.provide("xappiens_whatsapp");

Object.assign(xappiens_whatsapp.Conversation.prototype, {
	autosize() {
		const el = this.$input.get(0);
		el.style.height = "auto";
		el.style.height = Math.min(el.scrollHeight, 160) + "px";
	},

	add_pending(values) {
		const client_ref = xappiens_whatsapp.client_ref();
		const row = {
			name: `new-${client_ref}`,
			client_ref,
			contact: this.contact,
			from_me: 1,
			status: "Pending",
			message_type: "text",
			time: frappe.datetime.system_datetime(),
			reactions: {},
			...values,
		};
		this.upsert(row);
		this.scroll_to_bottom();
		return row;
	},

	settle(pending, result) {
		// The realtime update may have brought the stored row first; keep one.
		const stored = this.messages.find((m) => m.name === result.name && m !== pending);
		if (stored) {
			this.messages = this.messages.filter((m) => m !== pending);
		} else {
			pending.name = result.name;
			pending.status = result.status || pending.status;
		}
		this.render();
	},

	drop(pending) {
		this.messages = this.messages.filter((m) => m !== pending);
		this.render();
	},

	async send_text() {
		const text = this.$input.val().trim();
		if (!text) return;
		this.$input.val("");
		this.autosize();
		// A reply quotes the message chosen with its Reply action (replies.js).
		const quote = this.take_quote ? this.take_quote() : null;
		const pending = this.add_pending({ body: text, ...(quote ? { quoted_message_id: quote.message_id, quoted: quote } : {}) });
		try {
			const result = await xappiens_whatsapp.post("send_message", {
				text,
				contact: this.contact,
				client_ref: pending.client_ref,
				...(quote ? { quoted_message_id: quote.message_id } : {}),
			});
			this.settle(pending, result);
		} catch (e) {
			// The server explained why in a dialog; give the text back so nothing typed is lost.
			this.drop(pending);
			if (!this.$input.val()) this.$input.val(text);
			this.autosize();
		}
	},

	attach() {
		new frappe.ui.FileUploader({
			doctype: "WhatsApp Contact",
			docname: this.contact,
			allow_multiple: false,
			make_attachments_public: false,
			dialog_title: __("Send a file"),
			on_success: (file) => this.send_file(file),
		});
	},

	async send_file(file) {
		const caption = this.$input.val().trim();
		this.$input.val("");
		this.autosize();
		const is_image = /\.(png|jpe?g|gif|webp)$/i.test(file.file_name || file.file_url);
		const pending = this.add_pending({
			body: caption,
			attachment: file.file_url,
			media_filename: file.file_name,
			media_size: file.file_size,
			media_mimetype: is_image ? "image/*" : "",
			message_type: is_image ? "image" : "document",
		});
		try {
			const result = await xappiens_whatsapp.post("send_file", {
				file_url: file.file_url,
				contact: this.contact,
				caption,
				client_ref: pending.client_ref,
			});
			this.settle(pending, result);
		} catch (e) {
			this.drop(pending);
			if (caption && !this.$input.val()) this.$input.val(caption);
		}
	},

	async retry(name) {
		if (!name) return;
		const row = this.messages.find((m) => m.name === name);
		try {
			const result = await xappiens_whatsapp.post("retry_message", { message: name });
			if (row) {
				row.status = result.status || "Pending";
				row.failure_reason = null;
				this.render();
			}
		} catch (e) {
			// explained by the server's message
		}
	},
});

// One WhatsApp conversation: header, thread and composer. Used by the inbox page and the WhatsApp Contact form.
// The thread follows realtime events (ids only) and re-reads every changed message through the API.
frappe.provide("xappiens_whatsapp");

const PAGE_SIZE = 30;

xappiens_whatsapp.Conversation = class Conversation {
	constructor({ wrapper, contact, show_header = true, on_read = null, on_back = null }) {
		this.$wrapper = $(wrapper);
		this.on_back = on_back;
		this.contact = contact;
		this.show_header = show_header;
		this.on_read = on_read;
		this.messages = [];
		this.has_older = true;
		this.loading_older = false;
		this.on_message = (data) => this.handle_event(data);
		this.on_reconnect = () => this.refresh();
		// Messages that came in while the tab was hidden are read when the agent comes back to it.
		this.on_visibility = () => !document.hidden && this.unread() && this.mark_read();
		this.make();
		// Other parts of the thread (owner and state bar, quick replies, notes) attach themselves here.
		(xappiens_whatsapp.conversation_parts || []).forEach((part) => part(this));
		this.load();
	}

	make() {
		this.$wrapper.addClass("xw-conversation").html(`
			<div class="xw-conv-header"></div>
			<div class="xw-conv-bar"></div>
			<div class="xw-thread" tabindex="0">
				<div class="xw-thread-top text-muted small"></div>
				<div class="xw-thread-list"></div>
			</div>
			<div class="xw-session-warning hidden"></div>
			<div class="xw-composer">
				<button class="btn btn-default btn-sm xw-attach" title="${__("Attach a file")}">
					${frappe.utils.icon("attachment", "sm")}
				</button>
				<textarea class="form-control xw-input" rows="1"
					placeholder="${__("Write a message. Enter sends, Shift+Enter adds a line.")}"></textarea>
				<button class="btn btn-primary btn-sm xw-send">${__("Send")}</button>
			</div>
		`);
		this.$header = this.$wrapper.find(".xw-conv-header").toggle(this.show_header);
		this.$thread = this.$wrapper.find(".xw-thread");
		this.$top = this.$wrapper.find(".xw-thread-top");
		this.$list = this.$wrapper.find(".xw-thread-list");
		this.$warning = this.$wrapper.find(".xw-session-warning");
		this.$input = this.$wrapper.find(".xw-input");

		this.$input.on("keydown", (e) => {
			if (e.key === "Enter" && !e.shiftKey && !e.originalEvent.isComposing) {
				e.preventDefault();
				this.send_text();
			}
		});
		this.$input.on("input", () => this.autosize());
		this.$wrapper.find(".xw-send").on("click", () => this.send_text());
		this.$wrapper.find(".xw-attach").on("click", () => this.attach());
		this.$thread.on("scroll", () => {
			if (this.$thread.scrollTop() < 60) this.load_older();
		});
		this.$list.on("click", ".xw-retry", (e) => {
			this.retry($(e.currentTarget).closest(".xw-msg").attr("data-name"));
		});
		xappiens_whatsapp.media.enhance(this);
	}

	async load() {
		const joined = xappiens_whatsapp.subscribe_doc("WhatsApp Contact", this.contact);
		frappe.realtime.on(xappiens_whatsapp.EVENTS.message, this.on_message);
		$(document).on(xappiens_whatsapp.RECONNECTED, this.on_reconnect);
		document.addEventListener("visibilitychange", this.on_visibility);
		this.$top.text(__("Loading..."));
		try {
			const [info, rows] = await Promise.all([
				xappiens_whatsapp.call("get_conversation", { contact: this.contact }),
				xappiens_whatsapp.call("get_messages", { contact: this.contact, limit: PAGE_SIZE }),
			]);
			if (this.destroyed) return;
			this.info = info;
			this.render_header();
			this.messages = rows || [];
			this.has_older = this.messages.length >= PAGE_SIZE;
			this.render();
			this.scroll_to_bottom();
			this.mark_read();
		} catch (e) {
			this.$top.text(__("This conversation could not be loaded."));
			return;
		}
		// What was published before the room was joined is caught by one more read once it is. That read
		// waits for the first one too: started earlier, a slow first read could still miss what the join did not.
		if ((await joined) && !this.destroyed) await this.refresh();
		// From here on, what happens reaches the thread by realtime alone.
		if (!this.destroyed) this.$wrapper.attr("data-live", "1");
	}

	destroy() {
		this.destroyed = true;
		frappe.realtime.off(xappiens_whatsapp.EVENTS.message, this.on_message);
		$(document).off(xappiens_whatsapp.RECONNECTED, this.on_reconnect);
		document.removeEventListener("visibilitychange", this.on_visibility);
		clearTimeout(this.read_timer);
		xappiens_whatsapp.unsubscribe_doc("WhatsApp Contact", this.contact);
		this.$wrapper.empty().removeClass("xw-conversation").removeAttr("data-live");
	}

	// After a reconnect: what changed while the socket was down, in one read of the header and the latest page.
	async refresh() {
		if (this.destroyed || !this.info) return;
		let info, rows;
		try {
			[info, rows] = await Promise.all([
				xappiens_whatsapp.call("get_conversation", { contact: this.contact }),
				xappiens_whatsapp.call("get_messages", { contact: this.contact, limit: PAGE_SIZE }),
			]);
		} catch (e) {
			return; // the next event or reconnect tries again
		}
		if (this.destroyed) return;
		const was_at_bottom = this.at_bottom();
		this.info = info;
		this.render_header();
		rows = rows || [];
		const fresh = new Set(rows.map((r) => r.name));
		const refs = new Set(rows.map((r) => r.client_ref).filter(Boolean));
		const since = rows.length ? rows[0].time || "" : null;
		// The page replaces what it covers (a message removed meanwhile goes); older pages already loaded stay,
		// and a pending bubble stays until its stored row is here.
		const keep = (m) => {
			if (m.name.startsWith("new-")) return !refs.has(m.client_ref);
			return !fresh.has(m.name) && since !== null && (m.time || "") <= since;
		};
		this.messages = this.messages.filter(keep).concat(rows);
		this.render();
		if (was_at_bottom) this.scroll_to_bottom();
		if (this.unread()) this.mark_read();
	}

	unread() {
		return Boolean(this.info && cint(this.info.unread_count)) || Boolean(this.unread_while_hidden);
	}

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
	}

	// ---- thread -----------------------------------------------------------------------------------

	sort() {
		const key = (m) => `${m.time || m.creation || ""}|${m.creation || ""}|${m.name}`;
		this.messages.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
	}

	render() {
		this.sort();
		let last_day = null;
		const html = this.messages.map((row) => {
			const day = row.time ? xappiens_whatsapp.moment(row.time).format("YYYY-MM-DD") : null;
			let separator = "";
			if (day && day !== last_day) {
				separator = `<div class="xw-day"><span>${xappiens_whatsapp.format_day(row.time)}</span></div>`;
				last_day = day;
			}
			return separator + this.message_html(row);
		});
		this.$list.html(html.join(""));
		if (!this.messages.length) {
			this.$top.text(__("No messages yet. Write the first one below."));
		} else {
			this.$top.text(this.has_older ? "" : __("Start of the conversation"));
		}
	}

	message_html(row) {
		const esc = xappiens_whatsapp.esc;
		const out = cint(row.from_me);
		const parts = [];
		if (row.quoted_message_id) {
			const quoted = row.quoted;
			const text = quoted ? xappiens_whatsapp.message_preview(quoted) : __("Quoted message");
			const who = quoted ? (cint(quoted.from_me) ? __("You") : xappiens_whatsapp.conversation_title(this.info || {})) : "";
			parts.push(`<div class="xw-quoted">
				${who ? `<div class="xw-quoted-who">${esc(who)}</div>` : ""}
				<div class="xw-quoted-text">${esc(text.slice(0, 160))}</div>
			</div>`);
		}
		if (row.sender_jid && !out && this.info && cint(this.info.is_group)) {
			parts.push(`<div class="xw-sender">${esc(row.sender_jid.split("@")[0])}</div>`);
		}
		parts.push(this.media_html(row));
		if (row.body) {
			parts.push(`<div class="xw-body">${xappiens_whatsapp.linkify(row.body)}</div>`);
		}
		const meta = [`<span class="xw-time" title="${esc(xappiens_whatsapp.format_datetime(row.time))}">${xappiens_whatsapp.format_time(row.time)}</span>`];
		if (out) meta.push(xappiens_whatsapp.ticks_html(row.status));
		parts.push(`<div class="xw-meta">${meta.join(" ")}</div>`);
		if (out && row.status === "Failed") {
			parts.push(`<div class="xw-failure">
				<span class="xw-failure-reason">${esc(row.failure_reason || __("Not sent"))}</span>
				${row.name && !row.name.startsWith("new-") ? `<button class="btn btn-xs btn-default xw-retry">${__("Retry")}</button>` : ""}
			</div>`);
		}
		const reactions = Object.values(row.reactions || {});
		if (reactions.length) {
			const title = Object.entries(row.reactions)
				.map(([who, emoji]) => `${who.split("@")[0]}: ${emoji}`)
				.join(", ");
			parts.push(`<div class="xw-reactions" title="${esc(title)}">${reactions.map(esc).join(" ")}</div>`);
		}
		return `<div class="xw-msg ${out ? "xw-out" : "xw-in"}" data-name="${esc(row.name)}"
			data-status="${esc(row.status || "")}" data-client-ref="${esc(row.client_ref || "")}">${parts.join("")}</div>`;
	}

	media_html(row) {
		return xappiens_whatsapp.media.html(row);
	}

	at_bottom() {
		const el = this.$thread.get(0);
		return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
	}

	scroll_to_bottom() {
		const el = this.$thread.get(0);
		el.scrollTop = el.scrollHeight;
		// Images arrive later and push the bottom down.
		this.$list.find("img").one("load", () => {
			if (this.stick_to_bottom !== false) el.scrollTop = el.scrollHeight;
		});
	}

	async load_older() {
		if (this.loading_older || !this.has_older || !this.messages.length) return;
		this.loading_older = true;
		this.$top.text(__("Loading older messages..."));
		const first = this.messages.find((m) => !m.name.startsWith("new-"));
		try {
			const rows = await xappiens_whatsapp.call("get_messages", {
				contact: this.contact,
				before: first && first.name,
				limit: PAGE_SIZE,
			});
			const el = this.$thread.get(0);
			const from_bottom = el.scrollHeight - el.scrollTop;
			const known = new Set(this.messages.map((m) => m.name));
			this.messages = (rows || []).filter((r) => !known.has(r.name)).concat(this.messages);
			this.has_older = (rows || []).length >= PAGE_SIZE;
			this.stick_to_bottom = false;
			this.render();
			el.scrollTop = el.scrollHeight - from_bottom;
		} finally {
			this.loading_older = false;
		}
	}

	upsert(row) {
		const was_at_bottom = this.at_bottom();
		let index = this.messages.findIndex((m) => m.name === row.name);
		if (index < 0 && row.client_ref) {
			index = this.messages.findIndex((m) => m.client_ref && m.client_ref === row.client_ref);
		}
		if (index >= 0) this.messages[index] = row;
		else this.messages.push(row);
		this.render();
		if (was_at_bottom || (index < 0 && cint(row.from_me))) this.scroll_to_bottom();
	}

	remove(name) {
		this.messages = this.messages.filter((m) => m.name !== name);
		this.render();
	}

	async handle_event(data) {
		if (!data || data.contact !== this.contact || this.destroyed) return;
		if (data.change === "removed") {
			this.remove(data.message);
			return;
		}
		let row;
		try {
			row = await xappiens_whatsapp.call("get_message", { name: data.message });
		} catch (e) {
			return; // gone or no longer visible
		}
		if (this.destroyed || !row || row.contact !== this.contact) return;
		this.upsert(row);
		if (!cint(row.from_me)) {
			if (document.hidden) this.unread_while_hidden = true;
			this.mark_read();
		}
	}

	// Reading happens when the agent can actually see the thread.
	mark_read() {
		if (document.hidden || !this.$wrapper.is(":visible")) return;
		clearTimeout(this.read_timer);
		this.read_timer = setTimeout(async () => {
			try {
				await xappiens_whatsapp.post("mark_read", { contact: this.contact });
				if (this.info) this.info.unread_count = 0;
				this.unread_while_hidden = false;
				this.on_read && this.on_read(this.contact);
			} catch (e) {
				// reading is best effort; the badge stays until the next try
			}
		}, 300);
	}

	// ---- sending ----------------------------------------------------------------------------------

	autosize() {
		const el = this.$input.get(0);
		el.style.height = "auto";
		el.style.height = Math.min(el.scrollHeight, 160) + "px";
	}

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
	}

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
	}

	drop(pending) {
		this.messages = this.messages.filter((m) => m !== pending);
		this.render();
	}

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
	}

	attach() {
		new frappe.ui.FileUploader({
			doctype: "WhatsApp Contact",
			docname: this.contact,
			allow_multiple: false,
			make_attachments_public: false,
			dialog_title: __("Send a file"),
			on_success: (file) => this.send_file(file),
		});
	}

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
	}

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
	}
};

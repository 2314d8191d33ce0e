// One WhatsApp conversation: header, thread and composer. Used by the inbox page and the WhatsApp Contact form.
// The thread follows realtime events (ids only) and re-reads every changed message through the API. Its header,
// bubbles and sending live in conversation_header.js, conversation_bubbles.js and conversation_sending.js.
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
};

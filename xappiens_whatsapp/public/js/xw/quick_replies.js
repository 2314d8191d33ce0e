// Quick replies in the composer: "/" at the start opens a searchable list, arrows choose, Enter puts the
// expanded text in the composer for editing (and offers the reply's file, if it has one).
frappe.provide("xappiens_whatsapp");

const xw_qr = xappiens_whatsapp;

Object.assign(xw_qr.METHODS, {
	search_quick_replies: "xappiens_whatsapp.api.quick_replies.search",
	expand_quick_reply: "xappiens_whatsapp.api.quick_replies.expand",
});

xw_qr.QuickReplyPicker = class QuickReplyPicker {
	constructor(conversation) {
		this.conversation = conversation;
		this.$input = conversation.$input;
		this.$menu = $(`<div class="xw-quick-replies hidden" role="listbox"></div>`).insertBefore(
			conversation.$wrapper.find(".xw-composer")
		);
		this.$file = $(`<div class="xw-quick-file hidden"></div>`).insertBefore(conversation.$wrapper.find(".xw-composer"));
		this.replies = [];
		this.index = 0;
		this.search_soon = frappe.utils.debounce(() => this.search(), 150);
		this.$input.on("input", () => this.follow());
		// Before the composer's own Enter (which sends): capture on the conversation's wrapper.
		conversation.$wrapper.get(0).addEventListener("keydown", (e) => this.key(e), true);
		this.$menu.on("mousedown", ".xw-quick-reply", (e) => {
			e.preventDefault();
			this.choose(cint($(e.currentTarget).attr("data-index")));
		});
		this.$file.on("click", ".xw-quick-file-send", () => this.send_file());
		this.$file.on("click", ".xw-quick-file-drop", () => this.drop_file());
	}

	query() {
		const value = this.$input.val();
		return value.startsWith("/") && !value.includes("\n") ? value.slice(1) : null;
	}

	open() {
		return !this.$menu.hasClass("hidden");
	}

	follow() {
		if (this.query() === null) return this.close();
		this.search_soon();
	}

	async search() {
		const text = this.query();
		if (text === null) return this.close();
		const replies = await xw_qr
			.call("search_quick_replies", { contact: this.conversation.contact, text })
			.catch(() => []);
		if (this.query() !== text) return;
		this.replies = replies || [];
		this.index = 0;
		this.render();
	}

	render() {
		const esc = xw_qr.esc;
		const items = this.replies.map(
			(r, i) => `<div class="xw-quick-reply ${i === this.index ? "active" : ""}" role="option" data-index="${i}">
				<span class="xw-quick-shortcut">/${esc(r.shortcut)}</span>
				<span class="xw-quick-title">${esc(r.title)}</span>
				<div class="xw-quick-preview text-muted ellipsis">${esc(r.preview)}</div>
			</div>`
		);
		this.$menu
			.html(items.join("") || `<div class="text-muted small xw-quick-none">${__("No quick reply matches.")}</div>`)
			.removeClass("hidden");
	}

	close() {
		this.$menu.addClass("hidden").empty();
		this.replies = [];
	}

	key(e) {
		if (e.target !== this.$input.get(0) || !this.open()) return;
		const move = { ArrowDown: 1, ArrowUp: -1 }[e.key];
		if (move && this.replies.length) {
			this.index = (this.index + move + this.replies.length) % this.replies.length;
			this.render();
		} else if (e.key === "Enter" || e.key === "Tab") {
			if (this.replies.length) this.choose(this.index);
		} else if (e.key === "Escape") {
			this.close();
		} else {
			return;
		}
		e.preventDefault();
		e.stopPropagation();
	}

	async choose(index) {
		const reply = this.replies[index];
		this.close();
		if (!reply) return;
		let expanded;
		try {
			expanded = await xw_qr.call("expand_quick_reply", { name: reply.name, contact: this.conversation.contact });
		} catch (e) {
			return;
		}
		this.$input.val(expanded.text || "").trigger("focus");
		this.conversation.autosize();
		this.file = expanded.attachment ? { file_url: expanded.attachment, file_name: expanded.attachment_name } : null;
		this.show_file();
	}

	show_file() {
		if (!this.file) return this.$file.addClass("hidden").empty();
		this.$file
			.html(
				`${frappe.utils.icon("attachment", "sm")} <span class="ellipsis">${xw_qr.esc(this.file.file_name)}</span>
				<button class="btn btn-xs btn-primary xw-quick-file-send">${__("Send file with this text")}</button>
				<button class="btn btn-xs btn-default xw-quick-file-drop">${__("Leave out")}</button>`
			)
			.removeClass("hidden");
	}

	send_file() {
		const file = this.file;
		this.drop_file();
		if (file) this.conversation.send_file(file);
	}

	drop_file() {
		this.file = null;
		this.show_file();
	}
};

xw_qr.conversation_parts = xw_qr.conversation_parts || [];
xw_qr.conversation_parts.push((conversation) => new xw_qr.QuickReplyPicker(conversation));

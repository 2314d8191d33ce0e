// Private notes inside the thread: written with the composer's note switch (Enter saves, nothing is sent to the
// customer), shown between the messages in a look of their own, @mentions highlighted.
frappe.provide("xappiens_whatsapp");

const xw_n = xappiens_whatsapp;

Object.assign(xw_n.METHODS, {
	add_note: "xappiens_whatsapp.api.notes.add_note",
	list_notes: "xappiens_whatsapp.api.notes.list_notes",
});
xw_n.EVENTS.note = "xw_note";

xw_n.NotesPart = class NotesPart {
	constructor(conversation) {
		const c = (this.conversation = conversation);
		this.notes = [];
		this.$toggle = $(
			`<button class="btn btn-default btn-sm xw-note-toggle" aria-pressed="false" title="${__("Private note: seen by your team only, never sent")}">
				${frappe.utils.icon("lock", "sm")}</button>`
		).insertBefore(c.$wrapper.find(".xw-composer .xw-input"));
		this.$toggle.on("click", () => this.set_mode(!this.note_mode));
		// Before the composer's own Enter and Send (which send to the customer): capture on the wrapper.
		c.$wrapper.get(0).addEventListener("keydown", (e) => this.key(e), true);
		c.$wrapper.get(0).addEventListener("click", (e) => this.click(e), true);
		// Notes join the messages only while the thread is drawn; the conversation's own list stays messages.
		const render = c.render.bind(c);
		c.render = () => {
			c.messages = c.messages.concat(this.in_range());
			try {
				render();
			} finally {
				c.messages = c.messages.filter((m) => !m.is_note);
			}
		};
		const message_html = c.message_html.bind(c);
		c.message_html = (row) => (row.is_note ? this.note_html(row) : message_html(row));
		this.on_note = (data) => data && data.contact === c.contact && this.load();
		frappe.realtime.on(xw_n.EVENTS.note, this.on_note);
		const destroy = c.destroy.bind(c);
		c.destroy = () => {
			frappe.realtime.off(xw_n.EVENTS.note, this.on_note);
			destroy();
		};
		this.load();
	}

	in_range() {
		const c = this.conversation;
		const first = c.messages.find((m) => !m.is_note && !String(m.name).startsWith("new-"));
		const since = c.has_older && first ? first.time || "" : "";
		return this.notes.filter((n) => (n.time || "") >= since);
	}

	async load() {
		const c = this.conversation;
		const rows = await xw_n.call("list_notes", { contact: c.contact }).catch(() => null);
		if (!rows || c.destroyed) return;
		this.notes = rows.map((n) => ({ ...n, is_note: 1, time: n.creation }));
		const was_at_bottom = c.at_bottom();
		c.render();
		if (was_at_bottom) c.scroll_to_bottom();
	}

	set_mode(on) {
		this.note_mode = on;
		const c = this.conversation;
		this.$toggle.toggleClass("btn-warning", on).toggleClass("btn-default", !on).attr("aria-pressed", on);
		c.$wrapper.find(".xw-composer").toggleClass("xw-note-mode", on);
		c.$input.attr(
			"placeholder",
			on ? __("Private note for your team. @name notifies a colleague. Enter saves.") : __("Write a message. Enter sends, Shift+Enter adds a line.")
		);
		c.$wrapper.find(".xw-send").text(on ? __("Save note") : __("Send"));
		c.$input.trigger("focus");
	}

	key(e) {
		const c = this.conversation;
		// A key the quick-reply list took (it listens on the same wrapper, and first) is not the note's.
		if (!this.note_mode || e.target !== c.$input.get(0) || e.defaultPrevented) return;
		if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
			e.preventDefault();
			e.stopPropagation();
			this.save();
		} else if (e.key === "Escape") {
			this.set_mode(false);
		}
	}

	click(e) {
		if (!this.note_mode || !$(e.target).closest(".xw-send").length) return;
		e.preventDefault();
		e.stopPropagation();
		this.save();
	}

	async save() {
		const c = this.conversation;
		const text = c.$input.val().trim();
		if (!text) return;
		c.$input.val("");
		c.autosize();
		try {
			const note = await xw_n.post("add_note", { contact: c.contact, text });
			if (!this.notes.some((n) => n.name === note.name)) {
				this.notes.push({ ...note, is_note: 1, time: note.creation });
			}
			c.render();
			c.scroll_to_bottom();
			this.set_mode(false);
		} catch (e) {
			if (!c.$input.val()) c.$input.val(text);
		}
	}

	note_html(row) {
		const esc = xw_n.esc;
		const body = esc(row.content).replace(/(^|[^\w.])(@[\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)/g, '$1<span class="xw-mention">$2</span>');
		return `<div class="xw-note" data-note="${esc(row.name)}">
			<div class="xw-note-head">${frappe.utils.icon("lock", "xs")} ${__("Private note")} · ${esc(row.owner_name || row.owner)}</div>
			<div class="xw-note-body">${body}</div>
			<div class="xw-meta"><span class="xw-time" title="${esc(xw_n.format_datetime(row.time))}">${xw_n.format_time(row.time)}</span></div>
		</div>`;
	}
};

xw_n.conversation_parts = xw_n.conversation_parts || [];
xw_n.conversation_parts.push((conversation) => new xw_n.NotesPart(conversation));

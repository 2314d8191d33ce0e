// One timeline per person: WhatsApp messages and Netelip calls together, oldest at the top.
frappe.provide("xappiens_whatsapp");

const TIMELINE_PAGE = 30;

xappiens_whatsapp.PersonTimeline = class PersonTimeline {
	constructor({ wrapper, doctype, name, kinds = null }) {
		this.$wrapper = $(wrapper);
		this.doctype = doctype;
		this.name = name;
		this.kinds = kinds; // e.g. ["call"] to show only calls
		this.entries = [];
		this.conversations = new Set();
		this.calls = new Set();
		this.others = new Set(); // conversations checked and found to be someone else's
		// A WhatsApp Contact's timeline is that one conversation, even before it has a message.
		this.extra_conversations = doctype === "WhatsApp Contact" ? [name] : [];
		this.reload_soon = frappe.utils.debounce(() => this.load(), 400);
		this.on_message = (data) => data && this.conversations.has(data.contact) && this.reload_soon();
		// Status changes of the calls shown come to their rooms; a new call of this agent's comes as a popup.
		this.on_call = (data) => data && this.calls.has(data.call) && this.reload_soon();
		this.on_call_popup = () => this.reload_soon();
		this.on_conversation = (data) => this.conversation_changed(data);
		this.on_reconnect = () => this.reload_soon();
		frappe.realtime.on(xappiens_whatsapp.EVENTS.message, this.on_message);
		frappe.realtime.on(xappiens_whatsapp.EVENTS.call, this.on_call);
		frappe.realtime.on(xappiens_whatsapp.EVENTS.call_popup, this.on_call_popup);
		frappe.realtime.on(xappiens_whatsapp.EVENTS.conversation, this.on_conversation);
		$(document).on(xappiens_whatsapp.RECONNECTED, this.on_reconnect);
		this.$wrapper.addClass("xw-timeline").html(`
			<div class="xw-timeline-list"></div>
			<button class="btn btn-xs btn-default xw-timeline-older hidden">${__("Show older")}</button>
		`);
		this.$list = this.$wrapper.find(".xw-timeline-list");
		this.$wrapper.find(".xw-timeline-older").on("click", () => this.load_older());
		this.$list.on("click", ".xw-retry", (e) => this.retry($(e.currentTarget).attr("data-name")));
		this.load();
	}

	destroy() {
		this.destroyed = true;
		frappe.realtime.off(xappiens_whatsapp.EVENTS.message, this.on_message);
		frappe.realtime.off(xappiens_whatsapp.EVENTS.call, this.on_call);
		frappe.realtime.off(xappiens_whatsapp.EVENTS.call_popup, this.on_call_popup);
		frappe.realtime.off(xappiens_whatsapp.EVENTS.conversation, this.on_conversation);
		$(document).off(xappiens_whatsapp.RECONNECTED, this.on_reconnect);
		this.conversations.forEach((c) => xappiens_whatsapp.unsubscribe_doc("WhatsApp Contact", c));
		this.calls.forEach((c) => xappiens_whatsapp.unsubscribe_doc("Netelip Call", c));
	}

	// A person's first conversation (or one newly linked to them) has no room we listen to yet: a change to a
	// conversation not shown is checked with one read of that conversation, and reloads the timeline if it is theirs.
	async conversation_changed(data) {
		if (!data || !data.contact || this.destroyed || this.doctype !== "Contact" || !this.shows("message")) return;
		if (this.conversations.has(data.contact) || this.others.has(data.contact)) return;
		const row = await xappiens_whatsapp.call("get_conversation", { contact: data.contact }).catch(() => null);
		if (!row || this.destroyed) return;
		if (row.contact === this.name) this.reload_soon();
		else this.others.add(data.contact);
	}

	shows(kind) {
		return !this.kinds || this.kinds.includes(kind);
	}

	filter(rows) {
		return this.kinds ? rows.filter((r) => this.kinds.includes(r.kind)) : rows;
	}

	async load() {
		const rows = await xappiens_whatsapp
			.call("get_timeline", { doctype: this.doctype, name: this.name, limit: TIMELINE_PAGE })
			.catch(() => null);
		if (this.destroyed) return;
		if (!rows) {
			this.$list.html(`<div class="text-muted small">${__("The timeline could not be loaded.")}</div>`);
			return;
		}
		this.has_older = rows.length >= TIMELINE_PAGE;
		this.entries = this.filter(rows);
		this.follow(rows);
		this.render();
	}

	async load_older() {
		const first = this.entries[0];
		if (!first) return;
		const rows = await xappiens_whatsapp
			.call("get_timeline", { doctype: this.doctype, name: this.name, limit: TIMELINE_PAGE, before: first.time })
			.catch(() => []);
		this.has_older = rows.length >= TIMELINE_PAGE;
		const known = new Set(this.entries.map((e) => `${e.kind}:${e.name}`));
		this.entries = this.filter(rows).filter((e) => !known.has(`${e.kind}:${e.name}`)).concat(this.entries);
		this.follow(rows);
		this.render();
	}

	// Listen to the rooms of this person's conversations and of the calls shown, so changes show up here too.
	// The server lets a browser into a room only if its user may read that record.
	follow(rows) {
		const joins = [];
		const join = (set, doctype, name) => {
			if (!name || set.has(name)) return;
			set.add(name);
			joins.push(xappiens_whatsapp.subscribe_doc(doctype, name));
		};
		if (this.shows("message")) {
			rows.filter((r) => r.kind === "message").forEach((r) => join(this.conversations, "WhatsApp Contact", r.contact));
			this.extra_conversations.forEach((c) => join(this.conversations, "WhatsApp Contact", c));
		}
		if (this.shows("call")) {
			rows.filter((r) => r.kind === "call").forEach((r) => join(this.calls, "Netelip Call", r.name));
		}
		// Once the new rooms are joined, read again what may have changed while they were being joined.
		Promise.all(joins).then((joined) => joined.some(Boolean) && !this.destroyed && this.reload_soon());
	}

	render() {
		this.$wrapper.find(".xw-timeline-older").toggleClass("hidden", !this.has_older);
		if (!this.entries.length) {
			const text = this.kinds && this.kinds.length === 1 && this.kinds[0] === "call"
				? __("No calls yet.")
				: __("No WhatsApp messages or calls yet.");
			this.$list.html(`<div class="text-muted small xw-timeline-empty">${text}</div>`);
			return;
		}
		this.$list.html(this.entries.map((e) => (e.kind === "call" ? this.call_html(e) : this.message_html(e))).join(""));
	}

	stamp(entry) {
		return `<span class="xw-tl-time" title="${xappiens_whatsapp.esc(xappiens_whatsapp.format_datetime(entry.time))}">
			${xappiens_whatsapp.format_datetime(entry.time)}</span>`;
	}

	message_html(m) {
		const esc = xappiens_whatsapp.esc;
		const out = cint(m.from_me);
		const direction = out ? __("Sent") : __("Received");
		const failed = out && m.status === "Failed";
		return `<div class="xw-tl-entry xw-tl-message ${out ? "xw-out" : "xw-in"}" data-name="${esc(m.name)}" data-kind="message">
			<span class="xw-tl-icon">${frappe.utils.icon("small-message", "sm")}</span>
			<div class="xw-tl-main">
				<div class="xw-tl-head">
					<a href="/app/whatsapp-inbox?contact=${encodeURIComponent(m.contact)}">${__("WhatsApp")}</a>
					· ${direction} ${out ? xappiens_whatsapp.ticks_html(m.status) : ""} · ${this.stamp(m)}
				</div>
				<div class="xw-tl-text">${esc(String(xappiens_whatsapp.message_preview(m)).slice(0, 400))}</div>
				${failed ? `<div class="xw-failure"><span class="xw-failure-reason">${esc(m.failure_reason || __("Not sent"))}</span>
					<button class="btn btn-xs btn-default xw-retry" data-name="${esc(m.name)}">${__("Retry")}</button></div>` : ""}
			</div>
		</div>`;
	}

	call_html(c) {
		const esc = xappiens_whatsapp.esc;
		const inbound = c.direction !== "Outbound";
		const color = xappiens_whatsapp.CALL_COLORS[c.status] || "gray";
		const talk = c.talk_time ? ` · ${__("Talk time {0}", [xappiens_whatsapp.format_duration(c.talk_time)])}` : "";
		return `<div class="xw-tl-entry xw-tl-call" data-name="${esc(c.name)}" data-kind="call" data-status="${esc(c.status)}">
			<span class="xw-tl-icon">${frappe.utils.icon("call", "sm")}</span>
			<div class="xw-tl-main">
				<div class="xw-tl-head">
					<a href="/app/netelip-call/${encodeURIComponent(c.name)}">${inbound ? __("Incoming call") : __("Outgoing call")}</a>
					· ${this.stamp(c)}
				</div>
				<div class="xw-tl-text">
					${xappiens_whatsapp.indicator_html(__(c.status), color)}
					<span>${esc(c.customer_number || "")}</span>${talk}
					${c.agent ? `<span class="text-muted"> · ${esc(frappe.user.full_name(c.agent))}</span>` : ""}
				</div>
			</div>
		</div>`;
	}

	async retry(name) {
		await xappiens_whatsapp.post("retry_message", { message: name }).catch(() => null);
		this.reload_soon();
	}
};

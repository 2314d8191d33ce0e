// The thread's bubbles: day separators, quotes, group senders, media, text, time and ticks, failures, reactions;
// and what is left of a message its sender edited or deleted. Reply and React on hover are added by replies.js.
frappe.provide("xappiens_whatsapp");

Object.assign(xappiens_whatsapp.Conversation.prototype, {
	sort() {
		const key = (m) => `${m.time || m.creation || ""}|${m.creation || ""}|${m.name}`;
		this.messages.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
	},

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
	},

	message_html(row) {
		if (cint(row.deleted)) return this.deleted_html(row);
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
		const meta = [this.edited_html(row), this.time_html(row)];
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
	},

	media_html(row) {
		return xappiens_whatsapp.media.html(row);
	},

	time_html(row) {
		const esc = xappiens_whatsapp.esc;
		return `<span class="xw-time" title="${esc(xappiens_whatsapp.format_datetime(row.time))}">${xappiens_whatsapp.format_time(row.time)}</span>`;
	},

	// The sender changed the text after sending it: the bubble shows the new one, marked, with when.
	edited_html(row) {
		if (!row.edited_at) return "";
		const when = __("Edited {0}", [xappiens_whatsapp.format_datetime(row.edited_at)]);
		return `<span class="xw-edited" title="${xappiens_whatsapp.esc(when)}">${__("edited")}</span>`;
	},

	// Deleted for everyone by its sender: only that it was there, and when; nothing to answer or react to.
	deleted_html(row) {
		const esc = xappiens_whatsapp.esc;
		const out = cint(row.from_me);
		return `<div class="xw-msg ${out ? "xw-out" : "xw-in"} xw-deleted" data-name="${esc(row.name)}" data-deleted="1">
			<div class="xw-body xw-deleted-text">${__("This message was deleted")}</div>
			<div class="xw-meta">${this.time_html(row)}</div>
		</div>`;
	},
});

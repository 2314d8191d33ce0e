// Reply and React on hover. Reply: the next message sent quotes the chosen one (through the gateway's quote
// support); the quote shows above the composer until it is sent or dropped. React: one emoji, sent through the
// gateway; choosing ours again takes it away.
frappe.provide("xappiens_whatsapp");

const xw_r = xappiens_whatsapp;

xw_r.METHODS.react = "xappiens_whatsapp.api.reactions.react";
const EMOJIS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

xw_r.ReplyPart = class ReplyPart {
	constructor(conversation) {
		const c = (this.conversation = conversation);
		this.$quote = $(`<div class="xw-reply-quote hidden"></div>`).insertBefore(c.$wrapper.find(".xw-composer"));
		const message_html = c.message_html.bind(c);
		c.message_html = (row) => this.with_actions(row, message_html(row));
		c.take_quote = () => {
			const quote = this.quote;
			this.set_quote(null);
			return quote;
		};
		c.$list.on("click", ".xw-reply-btn", (e) => {
			const name = $(e.currentTarget).closest(".xw-msg").attr("data-name");
			const row = c.messages.find((m) => m.name === name);
			if (row && row.message_id) this.set_quote(row);
		});
		this.$quote.on("click", ".xw-reply-drop", () => this.set_quote(null));
		c.$list.on("click", ".xw-react-btn", (e) => {
			const $msg = $(e.currentTarget).closest(".xw-msg");
			const name = $msg.attr("data-name");
			// The open menu stays, while the pointer travels to it and when the thread is drawn again.
			this.reacting = this.reacting === name ? null : name;
			$msg.find(".xw-emoji-menu").toggleClass("hidden", !this.reacting);
			$msg.toggleClass("xw-reacting", Boolean(this.reacting));
		});
		c.$list.on("click", ".xw-emoji", (e) => {
			const $button = $(e.currentTarget);
			this.reacting = null;
			this.react($button.closest(".xw-msg").attr("data-name"), $button.attr("data-emoji"));
		});
	}

	async react(name, emoji) {
		const c = this.conversation;
		const row = c.messages.find((m) => m.name === name);
		if (!row) return;
		const mine = (row.reactions || {}).me;
		const choice = mine === emoji ? "" : emoji; // the same emoji again takes ours away
		try {
			await xw_r.post("react", { message: name, emoji: choice });
		} catch (e) {
			return;
		}
		const reactions = { ...(row.reactions || {}) };
		if (choice) reactions.me = choice;
		else delete reactions.me;
		c.upsert({ ...row, reactions });
	}

	with_actions(row, html) {
		// A deleted message has nothing left to answer or react to.
		if (row.is_note || cint(row.deleted) || !row.message_id || String(row.name).startsWith("new-")) return html;
		const mine = (row.reactions || {}).me;
		const open = this.reacting === row.name;
		const emojis = EMOJIS.map(
			(e) => `<button class="btn btn-xs btn-default xw-emoji ${e === mine ? "btn-primary" : ""}" data-emoji="${e}">${e}</button>`
		).join("");
		const actions = `<div class="xw-msg-actions">
			<button class="btn btn-xs btn-default xw-reply-btn" title="${__("Reply")}">${frappe.utils.icon("reply", "xs")} ${__("Reply")}</button>
			<button class="btn btn-xs btn-default xw-react-btn" title="${__("React")}">${mine ? xw_r.esc(mine) : "☺"} ${__("React")}</button>
			<div class="xw-emoji-menu ${open ? "" : "hidden"}">${emojis}</div>
		</div>`;
		const marked = open ? html.replace('class="xw-msg ', 'class="xw-msg xw-reacting ') : html;
		return marked.replace(/<\/div>\s*$/, `${actions}</div>`);
	}

	set_quote(row) {
		const c = this.conversation;
		this.quote = row
			? { message_id: row.message_id, body: row.body, from_me: row.from_me, message_type: row.message_type, media_filename: row.media_filename }
			: null;
		if (!row) return this.$quote.addClass("hidden").empty();
		const who = cint(row.from_me) ? __("You") : xw_r.conversation_title(c.info || {});
		this.$quote
			.html(
				`<div class="xw-quoted">
					<div class="xw-quoted-who">${xw_r.esc(who)}</div>
					<div class="xw-quoted-text">${xw_r.esc(xw_r.message_preview(row).slice(0, 160))}</div>
				</div>
				<button class="btn btn-xs btn-default xw-reply-drop" aria-label="${__("Do not quote")}">×</button>`
			)
			.removeClass("hidden");
		c.$input.trigger("focus");
	}
};

xw_r.conversation_parts = xw_r.conversation_parts || [];
xw_r.conversation_parts.push((conversation) => new xw_r.ReplyPart(conversation));

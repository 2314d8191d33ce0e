// A customer's new message reaches the agent anywhere in the desk: a toast with the sender and a link, and the
// count of conversations waiting for them in the tab title and on the WhatsApp sidebar and workspace links.
// The desk tells the server it is open (so the bell waits for agents who are away); each kind can be muted.
frappe.provide("xappiens_whatsapp");

const xw_at = xappiens_whatsapp;
const HEARTBEAT_MS = 45000;
const TITLE_PREFIX = /^\(\d+\) /;

xw_at.attention = {
	unread: 0,
	preferences: {},

	async start() {
		let status;
		try {
			status = await xw_at.call("agent_status");
		} catch (e) {
			return; // not a WhatsApp user
		}
		this.preferences = status.preferences || {};
		this.show_unread(status.unread);
		frappe.realtime.on(xw_at.EVENTS.attention, (data) => this.customer_wrote(data));
		frappe.realtime.on(xw_at.EVENTS.conversation, () => this.recount_soon());
		this.recount_soon = frappe.utils.debounce(() => this.recount(), 800);
		this.heartbeat();
		setInterval(() => this.heartbeat(), HEARTBEAT_MS);
		// Closing the desk says so at once (the beacon carries the CSRF token as a form field).
		window.addEventListener("pagehide", () => {
			const body = new FormData();
			body.append("leaving", 1);
			body.append("csrf_token", frappe.csrf_token);
			navigator.sendBeacon(`/api/method/${xw_at.METHODS.heartbeat}`, body);
		});
		new MutationObserver(() => this.apply_title()).observe(document.querySelector("title"), { childList: true });
		frappe.router.on("change", () => setTimeout(() => this.apply_badges(), 300));
		$(document).on("page-change", () => setTimeout(() => this.apply_badges(), 300));
	},

	recount_soon() {},

	async heartbeat() {
		const answer = await xw_at.post("heartbeat").catch(() => null);
		if (answer && answer.unread) this.show_unread(answer.unread);
	},

	async recount() {
		const status = await xw_at.call("agent_status").catch(() => null);
		if (status) {
			this.preferences = status.preferences || this.preferences;
			this.show_unread(status.unread);
		}
	},

	// The inbox shows this conversation to the agent right now: no toast for what they are reading.
	in_view(contact) {
		const inbox = $("#page-whatsapp-inbox:visible").length && frappe.pages["whatsapp-inbox"];
		const current = inbox && inbox.inbox;
		return Boolean(current && current.current === contact && !document.hidden);
	},

	async customer_wrote(data) {
		if (!data || !data.contact) return;
		let answer;
		try {
			answer = await xw_at.call("attention", { contact: data.contact });
		} catch (e) {
			return; // not readable: nothing to say
		}
		this.show_unread(answer.unread);
		if (cint(this.preferences.mute_toasts) || this.in_view(data.contact)) return;
		const info = answer.conversation;
		const title = xw_at.esc(xw_at.conversation_title(info));
		const link = `<a class="xw-toast-link" href="/app/whatsapp-inbox?contact=${encodeURIComponent(info.name)}"
			data-contact="${xw_at.esc(info.name)}">${title}</a>`;
		frappe.show_alert({ message: __("New WhatsApp message from {0}", [link]), indicator: "green" }, 10);
		$(".xw-toast-link").off("click.xw").on("click.xw", (e) => {
			e.preventDefault();
			xw_at.open_inbox($(e.currentTarget).attr("data-contact"));
		});
	},

	show_unread(unread) {
		this.unread = cint((unread || {}).conversations);
		this.apply_title();
		this.apply_badges();
	},

	count() {
		return cint(this.preferences.mute_tab_title) ? 0 : this.unread;
	},

	apply_title() {
		const bare = document.title.replace(TITLE_PREFIX, "");
		const wanted = this.count() ? `(${this.count()}) ${bare}` : bare;
		if (document.title !== wanted) document.title = wanted;
	},

	apply_badges() {
		const n = this.count();
		const $links = $('a[href$="/app/whatsapp-inbox"], a[href$="/app/xappiens-whatsapp"]').add(
			$(".shortcut-widget-box").filter((_, el) => $(el).find(".widget-title").text().trim() === __("WhatsApp Inbox"))
		);
		$links.each((_, el) => {
			let $badge = $(el).find(".xw-nav-badge");
			if (!n) return $badge.remove();
			if (!$badge.length) $badge = $('<span class="xw-nav-badge"></span>').appendTo(el);
			$badge.text(n > 99 ? "99+" : String(n)).attr("title", __("{0} conversations waiting for you", [n]));
		});
	},

	async set_preferences(values) {
		this.preferences = await xw_at.post("agent_preferences", values);
		this.show_unread({ conversations: this.unread });
		return this.preferences;
	},
};

$(document).on("app_ready", () => {
	if (frappe.session && frappe.session.user !== "Guest") xw_at.attention.start();
});

// The agent's own switches: available for new conversations, and which notifications to mute.
xw_at.agent_settings = function (on_change) {
	const prefs = xw_at.attention.preferences || {};
	const dialog = new frappe.ui.Dialog({
		title: __("My availability and notifications"),
		fields: [
			{
				fieldname: "available",
				fieldtype: "Check",
				label: __("Available: give me new conversations in turn"),
				default: cint(prefs.available ?? 1),
			},
			{ fieldtype: "Section Break", label: __("When a customer writes") },
			{ fieldname: "mute_toasts", fieldtype: "Check", label: __("Mute pop-up alerts"), default: cint(prefs.mute_toasts) },
			{
				fieldname: "mute_tab_title",
				fieldtype: "Check",
				label: __("Mute the count in the tab title and sidebar"),
				default: cint(prefs.mute_tab_title),
			},
			{
				fieldname: "mute_bell",
				fieldtype: "Check",
				label: __("Mute bell notifications while I am away"),
				default: cint(prefs.mute_bell),
			},
		],
		primary_action_label: __("Save"),
		primary_action: async (values) => {
			dialog.hide();
			const saved = await xw_at.attention.set_preferences(values).catch(() => null);
			if (saved && on_change) on_change(saved);
		},
	});
	dialog.show();
};

xw_at.show_availability = function (page, prefs) {
	const available = cint((prefs || {}).available ?? 1);
	page.set_indicator(available ? __("Available") : __("Away"), available ? "green" : "gray");
};

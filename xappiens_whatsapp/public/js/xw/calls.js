// Telephony in the desk: click-to-call and the call popup for the agent a call is routed to.
frappe.provide("xappiens_whatsapp");

xappiens_whatsapp.click_to_call = async function ({ number, contact, whatsapp_contact } = {}) {
	const args = { number: number || null, contact: contact || null, whatsapp_contact: whatsapp_contact || null };
	try {
		const result = await xappiens_whatsapp.post("click_to_call", args, { freeze: true });
		frappe.show_alert({
			message: __("Calling... your phone rings first, then the customer's."),
			indicator: "blue",
		});
		return result;
	} catch (e) {
		return null; // the server's message says why
	}
};

// Pick one of a record's numbers (or the only one) and call it.
xappiens_whatsapp.choose_and_call = function (numbers, extra = {}) {
	numbers = [...new Set((numbers || []).filter(Boolean))];
	if (numbers.length < 2) {
		return xappiens_whatsapp.click_to_call({ number: numbers[0], ...extra });
	}
	frappe.prompt(
		{
			fieldname: "number",
			fieldtype: "Select",
			label: __("Number"),
			options: numbers.map((n) => xappiens_whatsapp.select_option(n, n)),
			default: numbers[0],
			reqd: 1,
		},
		(values) => xappiens_whatsapp.click_to_call({ number: values.number, ...extra }),
		__("Which number?"),
		__("Call", null, "Phone action")
	);
};

class CallPopup {
	constructor() {
		this.cards = new Map();
		this.reads = new Map(); // the latest read asked for each call: an older answer arriving late is dropped
		this.$stack = null;
	}

	stack() {
		if (!this.$stack || !document.body.contains(this.$stack.get(0))) {
			this.$stack = $(`<div class="xw-call-stack" aria-live="polite"></div>`).appendTo(document.body);
		}
		return this.$stack;
	}

	async handle(data) {
		if (!data || !data.call) return;
		// Known: shown, or being read for the first time (its end may come before that read answers).
		const known = this.cards.has(data.call) || this.reads.has(data.call);
		// A call that is already over when we first hear of it is the bell's job (missed-call alert).
		if (!known && xappiens_whatsapp.TERMINAL_CALL_STATES.includes(data.status)) return;
		const read = (this.reads.get(data.call) || 0) + 1;
		this.reads.set(data.call, read);
		let call;
		try {
			call = await xappiens_whatsapp.call("get_call", { call: data.call });
		} catch (e) {
			return;
		}
		if (this.reads.get(data.call) !== read) return; // a newer read is on its way
		if (!call) return;
		this.show(call);
	}

	show(call) {
		let card = this.cards.get(call.name);
		if (!card) {
			const $card = $(`<div class="xw-call-card" role="dialog" data-call="${xappiens_whatsapp.esc(call.name)}"></div>`);
			this.stack().append($card);
			card = { $card };
			this.cards.set(call.name, card);
			$card.on("click", ".xw-call-close", () => this.close(call.name));
		}
		card.call = call;
		this.render(card);
		clearTimeout(card.close_timer);
		clearInterval(card.ticker);
		if (call.status === "Answered") {
			card.ticker = setInterval(() => this.render_timer(card), 1000);
		}
		if (xappiens_whatsapp.TERMINAL_CALL_STATES.includes(call.status)) {
			// Keep the outcome on screen briefly; a missed call is also in the notifications.
			card.close_timer = setTimeout(() => this.close(call.name), call.status === "Completed" ? 6000 : 4000);
		}
	}

	render(card) {
		const call = card.call;
		const esc = xappiens_whatsapp.esc;
		const inbound = call.direction !== "Outbound";
		const title = inbound ? __("Incoming call") : __("Outgoing call");
		const who = call.contact_name || call.whatsapp_name || __("Unknown caller");
		const color = xappiens_whatsapp.CALL_COLORS[call.status] || "gray";
		const buttons = [];
		if (call.contact) {
			buttons.push(`<a class="btn btn-xs btn-primary" href="/app/contact/${encodeURIComponent(call.contact)}">${__("Open contact")}</a>`);
		}
		if (call.whatsapp_contact) {
			buttons.push(`<a class="btn btn-xs btn-default" href="/app/whatsapp-inbox?contact=${encodeURIComponent(call.whatsapp_contact)}">${__("WhatsApp")}</a>`);
		}
		buttons.push(`<a class="btn btn-xs btn-default" href="/app/netelip-call/${encodeURIComponent(call.name)}">${__("Call record")}</a>`);
		card.$card.attr("data-status", call.status).html(`
			<div class="xw-call-head">
				<span class="xw-call-title">${frappe.utils.icon("call", "sm")} ${title}</span>
				<button class="btn btn-xs btn-link xw-call-close" title="${__("Close")}">×</button>
			</div>
			<div class="xw-call-number">${esc(call.customer_number || __("Hidden number"))}</div>
			<div class="xw-call-who ellipsis">${esc(who)}</div>
			<div class="xw-call-status">
				${xappiens_whatsapp.indicator_html(__(call.status), color)}
				<span class="xw-call-timer text-muted small"></span>
			</div>
			<div class="xw-call-actions">${buttons.join("")}</div>
		`);
		this.render_timer(card);
	}

	render_timer(card) {
		const call = card.call;
		let text = "";
		if (call.status === "Answered" && call.answered_at) {
			const seconds = moment().diff(xappiens_whatsapp.moment(call.answered_at), "seconds");
			text = xappiens_whatsapp.format_duration(Math.max(seconds, 0));
		} else if (xappiens_whatsapp.TERMINAL_CALL_STATES.includes(call.status) && call.talk_time) {
			text = xappiens_whatsapp.format_duration(call.talk_time);
		}
		card.$card.find(".xw-call-timer").text(text);
	}

	close(name) {
		const card = this.cards.get(name);
		if (!card) return;
		clearTimeout(card.close_timer);
		clearInterval(card.ticker);
		card.$card.remove();
		this.cards.delete(name);
		this.reads.delete(name);
	}
}

// Desk-wide: the event is published to this agent's own room only.
$(document).on("app_ready", function () {
	if (!frappe.session || frappe.session.user === "Guest") return;
	const popup = (xappiens_whatsapp.call_popup = new CallPopup());
	frappe.realtime.on(xappiens_whatsapp.EVENTS.call_popup, (data) => popup.handle(data));
	// A call may have ended while the socket was down: read the calls still on screen again.
	$(document).on(xappiens_whatsapp.RECONNECTED, () => [...popup.cards.keys()].forEach((call) => popup.handle({ call })));
});

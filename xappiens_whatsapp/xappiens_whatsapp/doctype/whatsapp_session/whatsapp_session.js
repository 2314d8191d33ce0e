// Linking a WhatsApp number: gateway actions for managers, the QR to scan, live status.
const SESSION_API = "xappiens_whatsapp.api.sessions.";
const TEST_EVENT = "xw_test_event"; // to managers: {session, nonce, stage: "posted" | "processed", http_status}
const TEST_EVENT_SECONDS = 20;

frappe.ui.form.on("WhatsApp Session", {
	setup(frm) {
		frm.xw_on_session = (data) => {
			if (!data || data.session !== frm.doc.name || frm.is_new()) return;
			// A form the manager left is read again on the way back, not on every event meanwhile.
			if (!xappiens_whatsapp.is_on_form(frm.doctype, frm.doc.name)) return;
			if (frm.is_dirty()) {
				// Do not throw away the manager's edits; just follow the status and the QR.
				frm.doc.status = data.status;
				set_status_indicator(frm);
				frm.xw_qr && frm.xw_qr.sync(data.status);
			} else {
				frm.reload_doc();
			}
			if (data.status === "Connected") {
				frappe.show_alert({
					message: __("WhatsApp number {0} is connected", [xappiens_whatsapp.esc(frm.doc.name)]),
					indicator: "green",
				});
			}
		};
		frappe.realtime.on(xappiens_whatsapp.EVENTS.session, frm.xw_on_session);
		// Session events missed while the socket was down: read the record again once.
		frm.xw_on_reconnect = () => {
			if (cur_frm === frm && !frm.is_new() && !frm.is_dirty()) frm.reload_doc();
		};
		$(document).on(xappiens_whatsapp.RECONNECTED, frm.xw_on_reconnect);
	},

	refresh(frm) {
		if (frm.xw_left === frm.doc.name && !frm.is_dirty()) {
			// Back on a form left earlier: its status and code may have changed meanwhile.
			frm.xw_left = null;
			frm.reload_doc();
			return;
		}
		frm.xw_left = null;
		frm.toggle_display("qr_code", false); // raw base64; the picture is shown above instead
		set_status_indicator(frm);
		if (frm.xw_qr) {
			frm.xw_qr.destroy();
			frm.xw_qr = null;
		}
		if (frm.is_new() || !xappiens_whatsapp.is_manager()) return;
		add_manager_actions(frm);
		frm.xw_qr = new SessionQR(frm);
		// No countdown, and no asking for codes, on a form nobody is looking at.
		xappiens_whatsapp.while_on_form(frm, "xw_qr", (qr) => {
			qr.destroy();
			frm.xw_left = frm.doc.name;
		});
	},
});

function set_status_indicator(frm) {
	if (frm.is_new() || !frm.doc.status) return;
	frm.page.set_indicator(__(frm.doc.status), xappiens_whatsapp.SESSION_COLORS[frm.doc.status] || "gray");
}

function session_action(frm, method, { confirm_text, done } = {}) {
	const run = async () => {
		try {
			const result = await xappiens_whatsapp.post(SESSION_API + method, { session: frm.doc.name }, { freeze: true });
			if (done) done(result);
			frm.reload_doc();
		} catch (e) {
			// the gateway's refusal is shown by the server message
		}
	};
	if (confirm_text) frappe.confirm(confirm_text, run);
	else run();
}

function add_manager_actions(frm) {
	const gateway = __("Gateway");
	const status = frm.doc.status;
	if (!frm.doc.gateway_id) {
		frm.add_custom_button(__("Create on gateway"), () =>
			session_action(frm, "create_on_gateway", {
				done: () => frappe.show_alert({ message: __("Created on the gateway. Scan the QR to link the phone."), indicator: "green" }),
			})
		);
	} else {
		if (status !== "Connected") {
			frm.add_custom_button(__("Connect"), () => session_action(frm, "connect"), gateway);
		}
		if (status !== "Disconnected") {
			frm.add_custom_button(
				__("Disconnect"),
				() =>
					session_action(frm, "disconnect", {
						confirm_text: __("Disconnect {0}? Agents cannot send from it until it is linked again.", [xappiens_whatsapp.esc(frm.doc.name).bold()]),
					}),
				gateway
			);
		}
		frm.add_custom_button(__("Restart"), () => session_action(frm, "restart"), gateway);
		frm.add_custom_button(__("Refresh status"), () => session_action(frm, "refresh_status"), gateway);
	}
	const webhook = __("Webhook");
	frm.add_custom_button(__("Send test event"), () => send_test_event(frm), webhook);
	frm.add_custom_button(
		__("Rotate secret"),
		() =>
			session_action(frm, "rotate_secret", {
				confirm_text: __("Create a new webhook secret? The current one stays valid for 24 hours."),
				done: () => frappe.show_alert({ message: __("New webhook secret in place"), indicator: "green" }),
			}),
		webhook
	);
	if (xappiens_whatsapp.previous_secret_valid(frm.doc.previous_secret_valid_until)) {
		frm.add_custom_button(
			__("End previous secret now"),
			() =>
				session_action(frm, "end_previous_secret", {
					confirm_text: __("Refuse events signed with the previous secret from now on? Do it once the gateway signs with the new one, or at once if the old one leaked."),
					done: () => frappe.show_alert({ message: __("The previous secret no longer works"), indicator: "green" }),
				}),
			webhook
		);
	}
}

// Post a signed test event to our own endpoint and follow it until a worker has processed it. The server
// announces each step (posted, processed) in realtime; each announcement is one read of the outcome.
async function send_test_event(frm) {
	const session = frm.doc.name;
	let nonce = null;
	let early = [];
	let check = null;
	const on_event = (data) => {
		if (!data || data.session !== session) return;
		if (!nonce) early.push(data); // the worker can be faster than the answer to our POST
		else if (data.nonce === nonce && check) check();
	};
	frappe.realtime.on(TEST_EVENT, on_event);
	let result;
	try {
		result = await xappiens_whatsapp.post(SESSION_API + "send_test_event", { session }, { freeze: true });
	} catch (e) {
		frappe.realtime.off(TEST_EVENT, on_event);
		return;
	}
	nonce = result.nonce;

	const dialog = new frappe.ui.Dialog({
		title: __("Webhook test"),
		fields: [{ fieldname: "progress", fieldtype: "HTML" }],
	});
	const $progress = dialog.fields_dict.progress.$wrapper;
	const show = (text, color) =>
		$progress.html(`<div class="xw-test-event" data-state="${color}">${xappiens_whatsapp.indicator_html(text, color)}</div>`);
	show(__("Not posted yet..."), "gray");

	let done = false;
	let timer = null;
	const on_reconnect = () => check(); // announcements may have been missed while the socket was down
	const stop = () => {
		done = true;
		clearTimeout(timer);
		frappe.realtime.off(TEST_EVENT, on_event);
		$(document).off(xappiens_whatsapp.RECONNECTED, on_reconnect);
	};
	check = async (timed_out = false) => {
		if (done) return;
		let last;
		try {
			last = await xappiens_whatsapp.call(SESSION_API + "test_event_status", { session, nonce });
		} catch (e) {
			return;
		}
		// A slower answer to an earlier read never replaces a final one.
		if (!done && show_test_outcome(show, last, timed_out)) stop();
	};
	dialog.onhide = stop;
	$(document).on(xappiens_whatsapp.RECONNECTED, on_reconnect);
	dialog.show();
	if (early.some((data) => data.nonce === nonce)) check();
	early = null;
	// Without any announcement (no worker, no socket), look once more and say what is missing.
	timer = setTimeout(() => check(true), TEST_EVENT_SECONDS * 1000);
}

// Render the outcome read from the server; true when nothing more will happen.
function show_test_outcome(show, last, timed_out) {
	if (last.status === "Processed") {
		show(__("Processed ✓ The endpoint, the signature and the worker all work."), "green");
		return true;
	}
	if (last.status === "Failed") {
		// The sweep retries failed events: a later "processed" may still turn this green.
		show(__("Received, but processing failed. See the Inbound Webhook {0}.", [last.inbound]), "red");
		return timed_out;
	}
	if (last.error) {
		show(__("The endpoint could not be reached ({0}). Check the public site URL.", [last.error]), "red");
		return true;
	}
	if (last.posted && last.http_status && last.http_status !== 200) {
		show(__("The endpoint answered HTTP {0}. Check the webhook secret and the public site URL.", [last.http_status]), "red");
		return true;
	}
	if (last.inbound) {
		show(
			timed_out
				? __("Received, but not processed: is a background worker running?")
				: __("Received (HTTP {0}). Waiting for a worker to process it...", [last.http_status || 200]),
			timed_out ? "orange" : "blue"
		);
	} else if (last.posted) {
		show(__("The endpoint answered HTTP {0}.", [last.http_status]), timed_out ? "orange" : "blue");
	} else {
		show(
			timed_out ? __("Not posted: the event is sent by a background job. Is a worker running?") : __("Not posted yet..."),
			timed_out ? "orange" : "gray"
		);
	}
	return timed_out;
}

// The QR to scan, with its countdown. Clock skew is corrected with the server's time. The form asks the server
// for a code when it opens, when a session event says something changed, once when the code expires and when
// the manager presses Refresh QR; never on a timer, since each ask may reach the gateway.
class SessionQR {
	constructor(frm) {
		this.frm = frm;
		this.$section = frm.dashboard.add_section("", __("Link a phone"));
		this.$section.addClass("xw-qr-section");
		this.$section.on("click", ".xw-qr-refresh", () => this.fetch());
		this.sync(frm.doc.status);
	}

	sync(status) {
		if (status === "QR Code Required") {
			this.fetch();
		} else {
			this.stop();
			this.$section.closest(".form-dashboard-section").addClass("hidden");
		}
	}

	async fetch() {
		if (this.fetching) {
			this.again = true; // something changed during the request: ask once more after it
			return;
		}
		this.fetching = true;
		this.$section.closest(".form-dashboard-section").removeClass("hidden");
		this.frm.dashboard.show();
		let data;
		try {
			// POST: the server stores a code it had to fetch from the gateway.
			data = await xappiens_whatsapp.post(SESSION_API + "get_qr", { session: this.frm.doc.name });
		} catch (e) {
			data = null;
		} finally {
			this.fetching = false;
		}
		if (this.destroyed) return;
		if (this.again) {
			this.again = false;
			this.fetch();
			return;
		}
		if (!data || data.status === "Connected") {
			this.sync(data ? data.status : null);
			return;
		}
		this.render(data);
	}

	render(data) {
		this.stop();
		this.counting = false;
		if (!data.qr) {
			this.show_message(__("Waiting for the gateway to generate a QR code..."), "xw-qr-waiting");
			return;
		}
		const src = xappiens_whatsapp.qr_src(data.qr);
		if (!src) {
			this.show_message(__("The gateway sent a QR code that cannot be shown."), "xw-qr-invalid");
			return;
		}
		const tz = frappe.boot.time_zone && frappe.boot.time_zone.system;
		const parse = (value) => (tz ? moment.tz(value, tz) : moment(value)).valueOf();
		const skew = data.server_time ? parse(data.server_time) - Date.now() : 0;
		this.expires = data.expires_at ? parse(data.expires_at) - skew : null;
		this.$section.html(`
			<div class="xw-qr">
				<img class="xw-qr-image" alt="${__("WhatsApp QR code")}">
				<div>
					<p>${__("On the phone: WhatsApp → Settings → Linked devices → Link a device, then scan this code.")}</p>
					<p class="xw-qr-countdown"></p>
					${this.refresh_button()}
				</div>
			</div>
		`);
		// Set as a property, never written into HTML.
		this.$section.find(".xw-qr-image").attr("src", src);
		if (data.qr === this.expired_qr || (this.expires && this.expires <= Date.now())) {
			// The server just asked the gateway and has nothing newer: wait for the session event with a new code.
			this.show_expired();
			return;
		}
		this.qr = data.qr;
		this.counting = true;
		this.tick();
		this.timer = setInterval(() => this.tick(), 1000);
	}

	show_message(text, cls) {
		this.$section.html(`<div class="text-muted ${cls}">${xappiens_whatsapp.esc(text)}</div>${this.refresh_button()}`);
	}

	refresh_button() {
		return `<button class="btn btn-xs btn-default xw-qr-refresh">${__("Refresh QR")}</button>`;
	}

	show_expired() {
		this.stop();
		this.$section.find(".xw-qr").addClass("xw-qr-expired");
		this.$section.find(".xw-qr-countdown").text(__("Expired. Waiting for a new code..."));
	}

	tick() {
		const $countdown = this.$section.find(".xw-qr-countdown");
		if (!this.expires) {
			$countdown.text("");
			return;
		}
		const ms = this.expires - Date.now();
		if (ms <= 0) {
			// Ask once; a newer code normally arrives by itself with the gateway's next session.qr event.
			this.stop();
			$countdown.text(__("Expired. Getting a new code..."));
			if (this.counting) {
				this.counting = false;
				this.expired_qr = this.qr;
				this.fetch();
			}
			return;
		}
		const left = Math.ceil(ms / 1000);
		const minutes = Math.floor(left / 60);
		const seconds = String(left % 60).padStart(2, "0");
		$countdown.text(__("Expires in {0}", [`${minutes}:${seconds}`]));
	}

	stop() {
		clearInterval(this.timer);
		this.timer = null;
	}

	destroy() {
		this.destroyed = true;
		this.stop();
	}
}

// Linking a WhatsApp number: gateway actions for managers, the QR to scan, live status.
const SESSION_API = "xappiens_whatsapp.api.sessions.";
const TEST_EVENT_SECONDS = 20;

frappe.ui.form.on("WhatsApp Session", {
	setup(frm) {
		frm.xw_on_session = (data) => {
			if (!data || data.session !== frm.doc.name || frm.is_new()) return;
			if (frm.is_dirty()) {
				// Do not throw away the manager's edits; just follow the status and the QR.
				frm.doc.status = data.status;
				set_status_indicator(frm);
				frm.xw_qr && frm.xw_qr.sync(data.status);
			} else {
				frm.reload_doc();
			}
			if (data.status === "Connected") {
				frappe.show_alert({ message: __("WhatsApp number {0} is connected", [frm.doc.name]), indicator: "green" });
			}
		};
		frappe.realtime.on(xappiens_whatsapp.EVENTS.session, frm.xw_on_session);
	},

	refresh(frm) {
		frm.toggle_display("qr_code", false); // raw base64; the picture is shown above instead
		set_status_indicator(frm);
		if (frm.xw_qr) {
			frm.xw_qr.destroy();
			frm.xw_qr = null;
		}
		if (frm.is_new() || !xappiens_whatsapp.is_manager()) return;
		add_manager_actions(frm);
		frm.xw_qr = new SessionQR(frm);
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
						confirm_text: __("Disconnect {0}? Agents cannot send from it until it is linked again.", [frm.doc.name.bold()]),
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
}

// Post a signed test event to our own endpoint and follow it until a worker has processed it.
async function send_test_event(frm) {
	let result;
	try {
		result = await xappiens_whatsapp.post(SESSION_API + "send_test_event", { session: frm.doc.name }, { freeze: true });
	} catch (e) {
		return;
	}
	const dialog = new frappe.ui.Dialog({
		title: __("Webhook test"),
		fields: [{ fieldname: "progress", fieldtype: "HTML" }],
	});
	const $progress = dialog.fields_dict.progress.$wrapper;
	const show = (text, color) =>
		$progress.html(`<div class="xw-test-event" data-state="${color}">${xappiens_whatsapp.indicator_html(text, color)}</div>`);
	show(__("Not posted yet..."), "gray");
	dialog.show();

	const started = Date.now();
	let last = {};
	const poll = async () => {
		if (!dialog.display) return;
		try {
			last = await xappiens_whatsapp.call(SESSION_API + "test_event_status", {
				session: frm.doc.name,
				nonce: result.nonce,
			});
		} catch (e) {
			return;
		}
		const timed_out = Date.now() - started > TEST_EVENT_SECONDS * 1000;
		if (last.status === "Processed") {
			show(__("Processed ✓ The endpoint, the signature and the worker all work."), "green");
			return;
		}
		if (last.error) {
			show(__("The endpoint could not be reached ({0}). Check the public site URL.", [last.error]), "red");
			return;
		}
		if (last.posted && last.http_status && last.http_status !== 200) {
			show(__("The endpoint answered HTTP {0}. Check the webhook secret and the public site URL.", [last.http_status]), "red");
			return;
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
				timed_out
					? __("Not posted: the event is sent by a background job. Is a worker running?")
					: __("Not posted yet..."),
				timed_out ? "orange" : "gray"
			);
		}
		if (!timed_out) setTimeout(poll, 1000);
	};
	setTimeout(poll, 1000);
}

// The QR to scan, with its countdown. Clock skew is corrected with the server's time.
class SessionQR {
	constructor(frm) {
		this.frm = frm;
		this.$section = frm.dashboard.add_section("", __("Link a phone"));
		this.$section.addClass("xw-qr-section");
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
		// Expired codes trigger a new fetch; never hammer the server if the gateway has none yet.
		if (this.fetching || (this.last_fetch && Date.now() - this.last_fetch < 3000)) return;
		this.fetching = true;
		this.last_fetch = Date.now();
		this.$section.closest(".form-dashboard-section").removeClass("hidden");
		this.frm.dashboard.show();
		let data;
		try {
			data = await xappiens_whatsapp.call(SESSION_API + "get_qr", { session: this.frm.doc.name });
		} catch (e) {
			data = null;
		} finally {
			this.fetching = false;
		}
		if (this.destroyed) return;
		if (!data || data.status === "Connected") {
			this.sync(data ? data.status : null);
			return;
		}
		this.render(data);
	}

	render(data) {
		this.stop();
		if (!data.qr) {
			this.$section.html(`<div class="text-muted xw-qr-waiting">${__("Waiting for the gateway to generate a QR code...")}</div>`);
			return;
		}
		const tz = frappe.boot.time_zone && frappe.boot.time_zone.system;
		const parse = (value) => (tz ? moment.tz(value, tz) : moment(value)).valueOf();
		const skew = data.server_time ? parse(data.server_time) - Date.now() : 0;
		this.expires = data.expires_at ? parse(data.expires_at) - skew : null;
		const src = data.qr.startsWith("data:") ? data.qr : `data:image/png;base64,${data.qr}`;
		this.$section.html(`
			<div class="xw-qr">
				<img class="xw-qr-image" alt="${__("WhatsApp QR code")}" src="${src}">
				<div>
					<p>${__("On the phone: WhatsApp → Settings → Linked devices → Link a device, then scan this code.")}</p>
					<p class="xw-qr-countdown"></p>
				</div>
			</div>
		`);
		this.tick();
		this.timer = setInterval(() => this.tick(), 1000);
	}

	tick() {
		const $countdown = this.$section.find(".xw-qr-countdown");
		if (!this.expires) {
			$countdown.text("");
			return;
		}
		const left = Math.round((this.expires - Date.now()) / 1000);
		if (left <= 0) {
			$countdown.text(__("Expired. Getting a new code..."));
			this.fetch();
			return;
		}
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

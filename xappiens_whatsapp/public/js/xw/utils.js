// Shared helpers for the WhatsApp and Netelip desk UI.
frappe.provide("xappiens_whatsapp");

const xw = xappiens_whatsapp;

xw.METHODS = {
	list_sessions: "xappiens_whatsapp.api.conversations.list_sessions",
	list_conversations: "xappiens_whatsapp.api.conversations.list_conversations",
	get_conversation: "xappiens_whatsapp.api.conversations.get_conversation",
	get_messages: "xappiens_whatsapp.api.conversations.get_messages",
	get_message: "xappiens_whatsapp.api.conversations.get_message",
	mark_read: "xappiens_whatsapp.api.conversations.mark_read",
	send_message: "xappiens_whatsapp.api.messages.send_message",
	send_file: "xappiens_whatsapp.api.messages.send_file",
	retry_message: "xappiens_whatsapp.api.messages.retry_message",
	click_to_call: "xappiens_whatsapp.api.calls.click_to_call",
	get_call: "xappiens_whatsapp.api.calls.get_call",
	get_timeline: "xappiens_whatsapp.api.timeline.get_timeline",
};

xw.EVENTS = {
	message: "xw_message",
	conversation: "xw_conversation",
	session: "xw_session",
	call: "xw_call",
	call_popup: "xw_call_popup",
};

// Server calls. Errors raised with frappe.throw are shown by Frappe itself (message dialog);
// the promise still rejects so the caller can restore its own state.
xw.call = function (method, args, { type = "GET", freeze = false } = {}) {
	return new Promise((resolve, reject) => {
		frappe.call({
			method: xw.METHODS[method] || method,
			args: args || {},
			type,
			freeze,
			callback: (r) => resolve(r.message),
			error: (r) => reject(r || {}),
		});
	});
};

xw.post = (method, args, opts = {}) => xw.call(method, args, { ...opts, type: "POST" });

// The server's message dialog is created once and sits under dialogs opened later: lift it above ours.
xw.raise_message = function () {
	setTimeout(() => {
		if (frappe.msg_dialog && frappe.msg_dialog.display) frappe.msg_dialog.$wrapper.css("z-index", 1065);
	}, 0);
};

xw.is_manager = function () {
	return (
		frappe.session.user === "Administrator" ||
		frappe.user.has_role("System Manager") ||
		frappe.user.has_role("WhatsApp Manager")
	);
};

// A random id per send: a double click or a network retry reuses it, so the server keeps one message.
xw.client_ref = function () {
	if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
	return frappe.utils.get_random(32);
};

xw.esc = (value) => frappe.utils.escape_html(value == null ? "" : String(value));

// Addresses from providers (media, profile pictures, recordings) become a link or a source only when absolute
// https to another host: never another scheme, and never this site, where the browser would send the agent's
// cookies (an <img> pointing at /files/%2e%2e/api/method/... acts as the agent).
const PROVIDER_URL = /^https:\/\/[^\s"'<>`\\{}|^]+$/i;

xw.safe_url = function (value) {
	const url = String(value || "").trim();
	if (!PROVIDER_URL.test(url)) return "";
	let parsed;
	try {
		parsed = new URL(url);
	} catch (e) {
		return "";
	}
	if (parsed.protocol !== "https:" || !parsed.hostname || parsed.username || parsed.password) return "";
	if (parsed.hostname === window.location.hostname) return "";
	return url;
};

// A file of this site that the app attached itself (what an agent sent): one plain name in the files folder,
// nothing that climbs out of it once decoded.
const OWN_FILE = /^\/(private\/)?files\/([^/\\?#"'<>`\t\r\n]+)$/;

xw.own_file_url = function (value) {
	const match = OWN_FILE.exec(String(value || "").trim());
	if (!match) return "";
	let name;
	try {
		name = decodeURIComponent(match[2]);
	} catch (e) {
		return "";
	}
	if (/[/\\]/.test(name) || name.trim() === "." || name.trim() === "..") return "";
	return match[0];
};

// A QR code is a base64 picture, bare or as a data: address; anything else is not shown.
xw.qr_src = function (value) {
	const qr = String(value || "").replace(/\s+/g, "");
	if (/^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/]+={0,2}$/.test(qr)) return qr;
	if (/^[A-Za-z0-9+/]+={0,2}$/.test(qr)) return `data:image/png;base64,${qr}`;
	return "";
};

// Select controls insert option labels as HTML: escape anything that came from a customer or a gateway.
xw.select_option = (value, label) => ({ value, label: xw.esc(label) });

// Escaped text with web addresses made clickable.
xw.linkify = function (text) {
	return xw
		.esc(text)
		.replace(
			/\bhttps?:\/\/[^\s<>"']+/g,
			(url) => `<a href="${url}" target="_blank" rel="noopener noreferrer">${url}</a>`
		);
};

// Server datetimes are in the system time zone; show them in the user's zone and formats.
xw.moment = (value) => frappe.datetime.convert_to_user_tz(value, false);

xw.format_time = function (value) {
	if (!value) return "";
	return xw.moment(value).format(frappe.datetime.get_user_time_fmt().replace(":ss", ""));
};

xw.format_datetime = (value) => (value ? frappe.datetime.str_to_user(value) : "");

// Short stamp for lists: the time today, the date otherwise.
xw.format_when = function (value) {
	if (!value) return "";
	const when = xw.moment(value);
	const now = moment().tz(frappe.boot.time_zone?.user || moment.tz.guess());
	if (when.isSame(now, "day")) return xw.format_time(value);
	if (when.isSame(now.clone().subtract(1, "day"), "day")) return __("Yesterday");
	return frappe.datetime.str_to_user(value).split(" ")[0];
};

xw.format_day = function (value) {
	const when = xw.moment(value);
	const now = moment().tz(frappe.boot.time_zone?.user || moment.tz.guess());
	if (when.isSame(now, "day")) return __("Today");
	if (when.isSame(now.clone().subtract(1, "day"), "day")) return __("Yesterday");
	return frappe.datetime.str_to_user(value).split(" ")[0];
};

xw.format_duration = function (seconds) {
	seconds = cint(seconds);
	if (!seconds) return "";
	const m = Math.floor(seconds / 60);
	const s = String(seconds % 60).padStart(2, "0");
	return `${format_number(m, null, 0)}:${s}`;
};

xw.format_size = function (bytes) {
	bytes = cint(bytes);
	if (!bytes) return "";
	if (bytes < 1024 * 1024) return __("{0} KB", [format_number(bytes / 1024, null, 0)]);
	return __("{0} MB", [format_number(bytes / 1024 / 1024, null, 1)]);
};

// Delivery ticks for messages we sent. Labels double as tooltips and as hooks for tests.
// Built on use: translations are not loaded yet when the bundle is evaluated.
xw.status_ticks = () => ({
	Pending: { icon: "◷", cls: "pending", label: __("Pending") },
	Sent: { icon: "✓", cls: "sent", label: __("Sent") },
	Delivered: { icon: "✓✓", cls: "delivered", label: __("Delivered") },
	Read: { icon: "✓✓", cls: "read", label: __("Read", null, "WhatsApp message status") },
	Played: { icon: "✓✓", cls: "played", label: __("Played") },
	Failed: { icon: "!", cls: "failed", label: __("Failed") },
});

xw.ticks_html = function (status) {
	const ticks = xw.status_ticks();
	const tick = ticks[status] || ticks.Pending;
	return `<span class="xw-ticks xw-ticks-${tick.cls}" data-status="${xw.esc(status)}"
		title="${xw.esc(tick.label)}" aria-label="${xw.esc(tick.label)}">${tick.icon}</span>`;
};

xw.SESSION_COLORS = {
	Connected: "green",
	Connecting: "orange",
	"QR Code Required": "blue",
	Disconnected: "red",
	Error: "red",
};

xw.CALL_COLORS = {
	Initiated: "gray",
	Ringing: "orange",
	Answered: "blue",
	Completed: "green",
	Failed: "red",
	Busy: "red",
	"No Answer": "red",
};

xw.TERMINAL_CALL_STATES = ["Completed", "Failed", "Busy", "No Answer"];

xw.indicator_html = (label, color) =>
	`<span class="indicator-pill ${color || "gray"} xw-pill">${xw.esc(label)}</span>`;

xw.conversation_title = (row) => row.display_name || row.phone || row.whatsapp_id || row.name;

xw.message_preview = function (row) {
	if (cint(row.deleted)) return __("This message was deleted");
	if (row.body) return row.body;
	const kinds = {
		image: __("Photo"),
		video: __("Video"),
		audio: __("Audio"),
		document: __("Document"),
		sticker: __("Sticker"),
		location: __("Location"),
		contact: __("Contact card"),
		poll: __("Poll"),
	};
	return kinds[row.message_type] || row.media_filename || __("Message");
};

// A rotation's previous secret still works until this (server) time.
xw.previous_secret_valid = (until) =>
	Boolean(until) && frappe.datetime.str_to_obj(until) > frappe.datetime.str_to_obj(frappe.datetime.system_datetime());

// Open a conversation in the inbox page.
xw.open_inbox = function (contact) {
	frappe.route_options = contact ? { contact } : null;
	frappe.set_route("whatsapp-inbox");
};

// Frappe keeps a form in memory after the agent leaves it: widgets left running there would go on re-reading on
// every realtime event, for nobody. The widgets kept in `frm[prop]` are stopped (`stop(widgets)`, then the
// property cleared) as soon as the route leaves that form, unless a later refresh has replaced them already;
// the form's refresh builds them again on the way back.
const form_widgets = [];
xw.while_on_form = function (frm, prop, stop) {
	const widgets = frm[prop];
	form_widgets.push({
		doctype: frm.doctype,
		name: frm.docname,
		stop: () => {
			if (frm[prop] !== widgets) return;
			stop(widgets);
			frm[prop] = null;
		},
	});
};
// Whether the desk shows this record's form now (names may hold a "/").
xw.is_on_form = function (doctype, name) {
	const route = frappe.get_route() || [];
	return route[0] === "Form" && route[1] === doctype && route.slice(2).join("/") === name;
};
frappe.router.on("change", () => {
	for (let i = form_widgets.length - 1; i >= 0; i--) {
		const entry = form_widgets[i];
		if (xw.is_on_form(entry.doctype, entry.name)) continue;
		form_widgets.splice(i, 1);
		entry.stop();
	}
});

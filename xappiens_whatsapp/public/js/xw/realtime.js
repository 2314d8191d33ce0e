// Document rooms for the widgets: joined without losing any to Frappe's throttle, and joined again after a
// socket reconnect.
frappe.provide("xappiens_whatsapp");

// Widgets listen to this document event to re-read what they show after the socket came back.
xappiens_whatsapp.RECONNECTED = "xw:reconnected";

// Frappe's doc_subscribe lets one call through per second and drops the others silently; it would also take
// that second away from a form opened right after. Widgets' rooms go through a queue of their own instead,
// a few a second (each join costs the server one permission check), without touching Frappe's throttle.
const pending = [];
let pumping = false;
// Widgets that want each room: the inbox and a timeline may show the same conversation, and one leaving
// must not take the room from the other.
const wanted = new Map();
// The server checks each join with a request of its own; what is published before it lands is missed.
const JOIN_SETTLES_MS = 600;

// Resolves to true once a new join has had time to land (callers then re-read once, to catch what was
// published while it was on its way), to false when the room was joined already.
xappiens_whatsapp.subscribe_doc = function (doctype, name) {
	if (!frappe.realtime.socket || !name) return Promise.resolve(false);
	const key = `${doctype}:${name}`;
	wanted.set(key, (wanted.get(key) || 0) + 1);
	const queued = pending.find((p) => p.key === key);
	if (queued) return queued.joined;
	if (frappe.realtime.open_docs.has(key)) return Promise.resolve(false);
	const entry = { doctype, name, key };
	entry.joined = new Promise((resolve) => (entry.resolve = resolve));
	pending.push(entry);
	if (!pumping) pump();
	return entry.joined;
};

function pump() {
	const next = pending.shift();
	pumping = Boolean(next);
	if (!next) return;
	if (!frappe.realtime.open_docs.has(next.key)) {
		frappe.realtime.emit("doc_subscribe", next.doctype, next.name);
		frappe.realtime.open_docs.add(next.key);
	}
	setTimeout(() => next.resolve(true), JOIN_SETTLES_MS);
	setTimeout(pump, 100);
}

xappiens_whatsapp.unsubscribe_doc = function (doctype, name) {
	if (!frappe.realtime.socket || !name) return;
	const key = `${doctype}:${name}`;
	const left = (wanted.get(key) || 1) - 1;
	if (left > 0) return wanted.set(key, left);
	wanted.delete(key);
	const queued = pending.findIndex((p) => p.key === key);
	if (queued >= 0) pending.splice(queued, 1);
	// Open forms keep their own subscription to the same room.
	if (cur_frm && cur_frm.doctype === doctype && cur_frm.docname === name) return;
	frappe.realtime.doc_unsubscribe(doctype, name);
};

// A reconnected socket is a new connection on the server: it is back in its user room, but in none of the
// document rooms joined before, and Frappe's client does not join them again. Join them again (the server
// checks read permission for each), then let the widgets re-read once what they may have missed.
function rejoin_rooms() {
	const socket = frappe.realtime.socket;
	(frappe.realtime.open_docs || new Set()).forEach((key) => {
		const at = key.indexOf(":");
		socket.emit("doc_subscribe", key.slice(0, at), key.slice(at + 1));
	});
	if (window.cur_frm && cur_frm.doc && !cur_frm.is_new()) socket.emit("doc_open", cur_frm.doctype, cur_frm.docname);
	if (window.cur_list && cur_list.doctype) socket.emit("doctype_subscribe", cur_list.doctype);
	// The joins are checked by the server asynchronously: re-read once they have had time to land, so nothing
	// published in between is missed.
	setTimeout(() => $(document).trigger(xappiens_whatsapp.RECONNECTED), 1000);
}

$(document).on("app_ready", function () {
	const socket = frappe.realtime.socket;
	if (!socket || !frappe.session || frappe.session.user === "Guest") return;
	let lost = false;
	socket.on("disconnect", () => (lost = true));
	socket.on("connect", () => {
		if (!lost) return;
		lost = false;
		rejoin_rooms();
	});
	// socket.io gives up after a few attempts; coming back online or to the tab is a good moment to retry.
	const retry = () => !socket.connected && lost && socket.connect();
	window.addEventListener("online", retry);
	document.addEventListener("visibilitychange", () => !document.hidden && retry());
});

// Room subscriptions that survive Frappe's one-per-second throttle on doc_subscribe.
frappe.provide("xappiens_whatsapp");

xappiens_whatsapp.subscribe_doc = function subscribe_doc(doctype, name, attempt = 0) {
	if (!frappe.realtime.socket || !name) return;
	const key = `${doctype}:${name}`;
	if (frappe.realtime.open_docs && frappe.realtime.open_docs.has(key)) return;
	if (frappe.flags.doc_subscribe) {
		// Another subscription went out less than a second ago: Frappe would silently drop this one.
		if (attempt < 10) setTimeout(() => subscribe_doc(doctype, name, attempt + 1), 400);
		return;
	}
	frappe.realtime.doc_subscribe(doctype, name);
};

xappiens_whatsapp.unsubscribe_doc = function (doctype, name) {
	if (!frappe.realtime.socket || !name) return;
	// Open forms keep their own subscription to the same room.
	if (cur_frm && cur_frm.doctype === doctype && cur_frm.docname === name) return;
	frappe.realtime.doc_unsubscribe(doctype, name);
};

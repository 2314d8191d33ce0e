// The WhatsApp inbox page; the widget itself lives in the desk bundle (public/js/xw/inbox.js).
frappe.pages["whatsapp-inbox"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({
		parent: wrapper,
		title: __("WhatsApp"),
		single_column: true,
	});
	wrapper.inbox = new xappiens_whatsapp.Inbox(page, page.main);
};

frappe.pages["whatsapp-inbox"].on_page_show = function (wrapper) {
	const inbox = wrapper.inbox;
	if (!inbox) return;
	const contact = (frappe.route_options && frappe.route_options.contact) || frappe.utils.get_query_params().contact;
	frappe.route_options = null;
	if (contact) {
		inbox.open(contact);
	} else if (inbox.conversation) {
		// Back on the page: what arrived meanwhile is read now.
		inbox.conversation.mark_read();
	}
};

app_name = "xappiens_whatsapp"
app_title = "Xappiens WhatsApp"
app_publisher = "Xappiens"
app_description = "WhatsApp (Inbox Hub) and Netelip telephony inside the Frappe desk CRM"
app_email = "dev@xappiens.com"
app_license = "MIT"

export_python_type_annotations = True

after_install = "xappiens_whatsapp.install.after_install"
after_migrate = "xappiens_whatsapp.install.after_migrate"
before_uninstall = "xappiens_whatsapp.install.before_uninstall"
after_uninstall = "xappiens_whatsapp.install.after_uninstall"

# Frappe answers 500 for a malformed JSON body before our endpoint runs; turn that into a 400 (or 401).
after_request = ["xappiens_whatsapp.api.undecodable_body.after_request"]
before_request = [
	"xappiens_whatsapp.api.netelip_token.scrub",  # first: no traceback of the request shows Netelip's token
	"xappiens_whatsapp.api.database_outage.before_request",  # MariaDB down → 503, not 500
]

has_permission = {
	"WhatsApp Session": "xappiens_whatsapp.permissions.session_has_permission",
	"WhatsApp Contact": "xappiens_whatsapp.permissions.contact_has_permission",
	"WhatsApp Message": "xappiens_whatsapp.permissions.message_has_permission",
	"Netelip Call": "xappiens_whatsapp.permissions.call_has_permission",
	"WhatsApp Agent": "xappiens_whatsapp.permissions.agent_has_permission",
	"WhatsApp Note": "xappiens_whatsapp.permissions.note_has_permission",
	"WhatsApp Quick Reply": "xappiens_whatsapp.permissions.quick_reply_has_permission",
}
permission_query_conditions = {
	"WhatsApp Session": "xappiens_whatsapp.permissions.session_query",
	"WhatsApp Contact": "xappiens_whatsapp.permissions.contact_query",
	"WhatsApp Message": "xappiens_whatsapp.permissions.message_query",
	"Netelip Call": "xappiens_whatsapp.permissions.call_query",
	"WhatsApp Session User": "xappiens_whatsapp.permissions.session_user_query",
	"WhatsApp Agent": "xappiens_whatsapp.permissions.agent_query",
	"WhatsApp Note": "xappiens_whatsapp.permissions.note_query",
	"WhatsApp Quick Reply": "xappiens_whatsapp.permissions.quick_reply_query",
}
# Frappe 15 reads that would skip the rules above for these doctypes (see desk_reads.py).
standard_queries = {
	doctype: "xappiens_whatsapp.desk_reads.search"
	for doctype in (
		"WhatsApp Session",
		"WhatsApp Contact",
		"WhatsApp Message",
		"Netelip Call",
		"WhatsApp Session User",
	)
}
override_whitelisted_methods = {
	"frappe.client.get_count": "xappiens_whatsapp.desk_reads.get_count",
	"frappe.desk.search.get_link_title": "xappiens_whatsapp.desk_reads.get_link_title",
	# Frappe CRM's WhatsApp tab on Leads and Deals, served by this app (only called where CRM is installed).
	**{
		f"crm.api.whatsapp.{method}": f"xappiens_whatsapp.api.crm_whatsapp.{method}"
		for method in (
			"is_whatsapp_enabled",
			"is_whatsapp_installed",
			"get_whatsapp_messages",
			"create_whatsapp_message",
			"react_on_whatsapp_message",
			"send_whatsapp_template",
		)
	},
}

doc_events = {
	"Contact": {
		"validate": "xappiens_whatsapp.pipeline.crm_links.stamp_phone_owners",
		"on_update": "xappiens_whatsapp.pipeline.crm_links.contact_updated",
	},
	"Error Log": {"before_insert": "xappiens_whatsapp.pipeline.netelip.log_masking.redact_error_log"},
	# Conversations are owned through Frappe's assignment, whichever way it is changed.
	"ToDo": {
		"validate": "xappiens_whatsapp.pipeline.whatsapp.ownership.check_todo",
		"on_update": "xappiens_whatsapp.pipeline.whatsapp.ownership.announce_todo",
	},
}

scheduler_events = {
	"cron": {
		# Every minute: nothing stays stuck longer than that, calls time out, throttled sends go out.
		"* * * * *": [
			"xappiens_whatsapp.pipeline.inbox.sweep.run",
			"xappiens_whatsapp.pipeline.whatsapp.outbound.send_due",
			"xappiens_whatsapp.pipeline.netelip.timeouts.run",
			"xappiens_whatsapp.pipeline.inbox.rejections.flush",
			"xappiens_whatsapp.pipeline.whatsapp.media_store.retry_due",
			"xappiens_whatsapp.pipeline.whatsapp.ownership.end_snoozes",
		],
	},
	"daily": [
		"xappiens_whatsapp.pipeline.inbox.sweep.purge_old",
		"xappiens_whatsapp.pipeline.whatsapp.media_store.purge_expired",
	],
}

ignore_links_on_delete = ["Inbound Webhook", "Webhook Rejection"]

default_log_clearing_doctypes = {"Webhook Rejection": 90}

# Desk UI: the call popup and shared widgets load on every desk page; forms and lists add their own parts.
app_include_js = ["xappiens_whatsapp.bundle.js"]
app_include_css = ["xappiens_whatsapp.bundle.css"]
doctype_js = {"Contact": "public/js/contact.js"}

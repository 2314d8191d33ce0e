// The WhatsApp inbox: conversations on the left, the open thread on the right, all kept live by realtime.
frappe.provide("xappiens_whatsapp");

const LIST_PAGE = 30;

xappiens_whatsapp.Inbox = class Inbox {
	constructor(page, wrapper) {
		this.page = page;
		this.$wrapper = $(wrapper);
		this.rows = [];
		this.filters = { session: "", search: "", unread_only: false };
		this.on_conversation = (data) => this.conversation_changed(data);
		this.on_reconnect = () => this.refresh();
		this.make();
		this.queues = new xappiens_whatsapp.QueueBar(this, this.$wrapper.find(".xw-filters"));
		this.setup_actions();
		frappe.realtime.on(xappiens_whatsapp.EVENTS.conversation, this.on_conversation);
		$(document).on(xappiens_whatsapp.RECONNECTED, this.on_reconnect);
		this.load_sessions().then(() => this.refresh());
	}

	make() {
		this.$wrapper.html(`
			<div class="xw-inbox">
				<div class="xw-sidebar">
					<div class="xw-filters">
						<input type="search" class="form-control input-sm xw-search"
							placeholder="${__("Search name, number or text")}">
						<div class="xw-filter-row">
							<select class="form-control input-sm xw-session-filter">
								<option value="">${__("All WhatsApp numbers")}</option>
							</select>
							<label class="xw-unread-toggle">
								<input type="checkbox" class="xw-unread-only"> ${__("Unread only")}
							</label>
						</div>
					</div>
					<div class="xw-conv-list" role="list"></div>
				</div>
				<div class="xw-main">
					<div class="xw-empty">
						<div class="xw-empty-icon">${frappe.utils.icon("small-message", "lg")}</div>
						<div>${__("Choose a conversation, or start a new one.")}</div>
					</div>
					<div class="xw-thread-host hidden"></div>
				</div>
			</div>
		`);
		this.$list = this.$wrapper.find(".xw-conv-list");
		this.$main = this.$wrapper.find(".xw-main");
		this.$host = this.$wrapper.find(".xw-thread-host");
		this.$empty = this.$wrapper.find(".xw-empty");

		const search = frappe.utils.debounce(() => {
			this.filters.search = this.$wrapper.find(".xw-search").val();
			this.refresh();
		}, 300);
		this.$wrapper.find(".xw-search").on("input", search);
		this.$wrapper.find(".xw-session-filter").on("change", (e) => {
			this.filters.session = $(e.target).val();
			this.queues.counts_soon();
			this.refresh();
		});
		this.$wrapper.find(".xw-unread-only").on("change", (e) => {
			this.filters.unread_only = $(e.target).is(":checked");
			this.refresh();
		});
		this.$list.on("click", ".xw-conv-row", (e) => this.open($(e.currentTarget).attr("data-name")));
		this.$list.on("click", ".xw-load-more", () => this.load_more());
		this.$list.on("scroll", () => {
			const el = this.$list.get(0);
			if (el.scrollHeight - el.scrollTop - el.clientHeight < 60) this.load_more();
		});
	}

	setup_actions() {
		this.page.set_primary_action(__("New conversation"), () => this.new_conversation(), "add");
		this.page.add_menu_item(__("Refresh"), () => this.refresh());
		const show = (prefs) => xappiens_whatsapp.show_availability(this.page, prefs);
		this.page.add_menu_item(__("My availability and notifications"), () => xappiens_whatsapp.agent_settings(show));
		xappiens_whatsapp.call("agent_status").then((status) => show(status.preferences)).catch(() => {});
		this.page.add_menu_item(__("WhatsApp numbers"), () => frappe.set_route("List", "WhatsApp Session"));
		this.page.add_menu_item(__("Calls"), () => frappe.set_route("List", "Netelip Call"));
	}

	destroy() {
		frappe.realtime.off(xappiens_whatsapp.EVENTS.conversation, this.on_conversation);
		$(document).off(xappiens_whatsapp.RECONNECTED, this.on_reconnect);
		this.conversation && this.conversation.destroy();
	}

	async load_sessions() {
		try {
			this.sessions = (await xappiens_whatsapp.call("list_sessions")) || [];
		} catch (e) {
			this.sessions = [];
		}
		// Conversation headers show the session's name, not its id.
		xappiens_whatsapp.session_labels = Object.fromEntries(this.sessions.map((s) => [s.name, s.session_name || s.name]));
		const $select = this.$wrapper.find(".xw-session-filter");
		this.sessions.forEach((s) => {
			const label = `${s.session_name || s.name}${s.phone_number ? ` (${s.phone_number})` : ""}`;
			$("<option>").val(s.name).text(`${label} · ${__(s.status || "")}`).appendTo($select);
		});
		$select.closest(".xw-filter-row").toggleClass("xw-single-session", this.sessions.length < 2);
	}

	args(start = 0) {
		return {
			session: this.filters.session || null,
			search: this.filters.search || null,
			unread_only: this.filters.unread_only ? 1 : 0,
			queue: this.filters.queue,
			state: this.filters.state || null,
			sort: this.filters.sort,
			start,
			page_length: LIST_PAGE,
		};
	}

	async refresh() {
		this.queues && this.queues.counts_soon();
		const token = (this.refresh_token = Symbol());
		const rows = await xappiens_whatsapp.call("list_conversations", this.args(0)).catch(() => null);
		if (token !== this.refresh_token || !rows) return;
		this.rows = rows;
		this.has_more = rows.length >= LIST_PAGE;
		this.render_list();
	}

	async load_more() {
		if (!this.has_more || this.loading_more) return;
		this.loading_more = true;
		try {
			const rows = await xappiens_whatsapp.call("list_conversations", this.args(this.rows.length));
			const known = new Set(this.rows.map((r) => r.name));
			this.rows = this.rows.concat(rows.filter((r) => !known.has(r.name)));
			this.has_more = rows.length >= LIST_PAGE;
			this.render_list();
		} finally {
			this.loading_more = false;
		}
	}

	render_list() {
		if (!this.rows.length) {
			const text = this.filters.search || this.filters.unread_only || this.filters.session
				? __("No conversation matches these filters.")
				: __("No conversations yet.");
			this.$list.html(`<div class="xw-list-empty text-muted">${text}</div>`);
			return;
		}
		const html = this.rows.map((row) => this.row_html(row)).join("");
		const more = this.has_more
			? `<button class="btn btn-xs btn-default xw-load-more">${__("Load more")}</button>`
			: "";
		this.$list.html(html + more);
	}

	row_html(row) {
		const esc = xappiens_whatsapp.esc;
		const title = xappiens_whatsapp.conversation_title(row);
		const unread = cint(row.unread_count);
		const active = row.name === this.current ? "active" : "";
		const preview = row.last_message_preview
			? (cint(row.last_message_from_me) ? `${__("You")}: ` : "") + row.last_message_preview
			: "";
		const deleted = cint(row.last_message_deleted);
		const picture = xappiens_whatsapp.safe_url(row.profile_picture_url);
		const avatar = picture
			? `<img src="${esc(picture)}" alt="">`
			: /\p{L}/u.test(title)
				? esc(frappe.get_abbr(title, 2))
				: frappe.utils.icon("call", "sm");
		const show_session = (this.sessions || []).length > 1;
		return `<div class="xw-conv-row ${active} ${unread ? "unread" : ""}" role="listitem"
				data-name="${esc(row.name)}" title="${esc(row.phone || row.whatsapp_id || "")}">
			<div class="xw-avatar">${avatar}</div>
			<div class="xw-conv-text">
				<div class="xw-conv-line">
					<span class="xw-conv-title ellipsis">${esc(title)}</span>
					<span class="xw-conv-time" title="${esc(xappiens_whatsapp.format_datetime(row.last_message_at))}">${xappiens_whatsapp.format_when(row.last_message_at)}</span>
				</div>
				<div class="xw-conv-line">
					${
						deleted
							? `<span class="xw-conv-preview xw-deleted-text ellipsis">${__("This message was deleted")}</span>`
							: `<span class="xw-conv-preview ellipsis">${esc(preview)}</span>`
					}
					${unread ? `<span class="xw-badge" aria-label="${__("Unread")}">${format_number(unread, null, 0)}</span>` : ""}
				</div>
				${show_session ? `<div class="xw-conv-session text-muted ellipsis">${esc(row.session)}</div>` : ""}
			</div>
		</div>`;
	}

	matches(row) {
		if (this.filters.session && row.session !== this.filters.session) return false;
		if (this.filters.unread_only && !cint(row.unread_count) && row.name !== this.current) return false;
		return this.queues.matches(row);
	}

	// A conversation changed somewhere (new message, read elsewhere): re-read just that row.
	async conversation_changed(data) {
		if (!data || !data.contact) return;
		this.queues.counts_soon();
		if (this.filters.session && data.session !== this.filters.session) return;
		if (this.filters.search || this.filters.sort !== "recent") {
			this.refresh_soon = this.refresh_soon || frappe.utils.debounce(() => this.refresh(), 500);
			this.refresh_soon();
			return;
		}
		let row;
		try {
			row = await xappiens_whatsapp.call("get_conversation", { contact: data.contact });
		} catch (e) {
			row = null; // deleted or not visible any more
		}
		this.rows = this.rows.filter((r) => r.name !== data.contact);
		if (row && this.matches(row)) {
			if (row.name === this.current && this.conversation && !document.hidden) {
				row.unread_count = 0; // the open thread marks itself read right away
			}
			this.rows.push(row);
			const key = (r) => r.last_message_at || "";
			this.rows.sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
		}
		this.render_list();
	}

	open(name) {
		if (!name) return;
		if (name === this.current && this.conversation) return;
		this.current = name;
		this.conversation && this.conversation.destroy();
		this.$empty.addClass("hidden");
		this.$host.removeClass("hidden");
		this.$wrapper.find(".xw-inbox").addClass("xw-has-thread");
		this.conversation = new xappiens_whatsapp.Conversation({
			wrapper: this.$host,
			contact: name,
			on_read: (contact) => this.mark_row_read(contact),
			on_back: () => this.back_to_list(),
		});
		this.$list.find(".xw-conv-row").removeClass("active");
		this.$list.find(`.xw-conv-row[data-name="${CSS.escape(name)}"]`).addClass("active");
		this.mark_row_read(name);
		if (window.history.replaceState) {
			const url = new URL(window.location.href);
			url.searchParams.set("contact", name);
			window.history.replaceState(window.history.state, "", url);
		}
	}

	mark_row_read(contact) {
		const row = this.rows.find((r) => r.name === contact);
		if (row && cint(row.unread_count)) {
			row.unread_count = 0;
			this.render_list();
		}
	}

	back_to_list() {
		this.$wrapper.find(".xw-inbox").removeClass("xw-has-thread");
	}

	new_conversation(defaults = {}) {
		xappiens_whatsapp.new_conversation({
			sessions: this.sessions,
			...defaults,
			on_sent: (result) => {
				this.refresh();
				this.open(result.contact);
			},
		});
	}
};

// "New conversation": a number, the WhatsApp number to send from and a first message.
xappiens_whatsapp.new_conversation = async function ({ phone, sessions, on_sent } = {}) {
	if (!sessions) {
		sessions = (await xappiens_whatsapp.call("list_sessions").catch(() => [])) || [];
	}
	if (!sessions.length) {
		frappe.msgprint(__("You are not allowed on any WhatsApp number yet. Ask a manager to add you to one."));
		return;
	}
	const preferred = sessions.find((s) => cint(s.is_default)) || sessions[0];
	const dialog = new frappe.ui.Dialog({
		title: __("New WhatsApp conversation"),
		fields: [
			{
				fieldname: "phone",
				fieldtype: "Data",
				label: __("Phone number"),
				reqd: 1,
				default: phone || "",
				description: __("With the country code, e.g. +34 600 000 000"),
			},
			{
				fieldname: "session",
				fieldtype: "Select",
				label: __("Send from"),
				reqd: 1,
				options: sessions.map((s) =>
					xappiens_whatsapp.select_option(
						s.name,
						`${s.session_name || s.name}${s.phone_number ? ` (${s.phone_number})` : ""} · ${__(s.status || "")}`
					)
				),
				default: preferred.name,
				hidden: sessions.length < 2 ? 1 : 0,
			},
			{ fieldname: "text", fieldtype: "Small Text", label: __("Message"), reqd: 1 },
		],
		primary_action_label: __("Send"),
		primary_action: async (values) => {
			// One reference per dialog: pressing Send twice cannot create two messages.
			dialog.client_ref = dialog.client_ref || xappiens_whatsapp.client_ref();
			dialog.disable_primary_action();
			try {
				const result = await xappiens_whatsapp.post("send_message", {
					text: values.text,
					phone: values.phone,
					session: values.session,
					client_ref: dialog.client_ref,
				});
				dialog.hide();
				frappe.show_alert({ message: __("Message queued"), indicator: "green" });
				if (on_sent) on_sent(result);
				else xappiens_whatsapp.open_inbox(result.contact);
			} catch (e) {
				dialog.client_ref = null;
				xappiens_whatsapp.raise_message();
			} finally {
				dialog.enable_primary_action();
			}
		},
	});
	dialog.show();
};

// The owner and state bar of a conversation: who owns it, where it stands, and the actions on it
// (Assign to me, Reassign, Open / Pending / Snooze / Resolve; Alt+R resolves).
frappe.provide("xappiens_whatsapp");

const xw_own = xappiens_whatsapp;

Object.assign(xw_own.METHODS, {
	assign_to_me: "xappiens_whatsapp.api.ownership.assign_to_me",
	reassign: "xappiens_whatsapp.api.ownership.reassign",
	list_owners: "xappiens_whatsapp.api.ownership.list_owners",
	set_state: "xappiens_whatsapp.api.ownership.set_state",
	queue_counts: "xappiens_whatsapp.api.queues.queue_counts",
	agent_status: "xappiens_whatsapp.api.agent.get_status",
	agent_preferences: "xappiens_whatsapp.api.agent.set_preferences",
	heartbeat: "xappiens_whatsapp.api.agent.heartbeat",
	attention: "xappiens_whatsapp.api.agent.attention",
});
xw_own.EVENTS.assignment = "xw_assignment";
xw_own.EVENTS.attention = "xw_attention";

xw_own.STATES = ["Open", "Pending", "Snoozed", "Resolved"];
xw_own.STATE_COLORS = { Open: "blue", Pending: "orange", Snoozed: "gray", Resolved: "green" };
const SNOOZES = [
	[60, __("1 hour")],
	[240, __("4 hours")],
	[24 * 60, __("1 day")],
	[7 * 24 * 60, __("1 week")],
];

xw_own.OwnershipBar = class OwnershipBar {
	constructor(conversation) {
		this.conversation = conversation;
		this.$bar = conversation.$wrapper.find(".xw-conv-bar");
		conversation.$wrapper.on("xw:info", (e, info) => this.render(info));
		this.on_key = (e) => this.shortcut(e);
		// Owner or state changed elsewhere (another agent, the scheduler, the customer writing): re-read.
		this.on_change = (data) => data && data.contact === conversation.contact && this.reload_soon();
		this.reload_soon = frappe.utils.debounce(() => this.reload(), 300);
		document.addEventListener("keydown", this.on_key);
		frappe.realtime.on(xw_own.EVENTS.conversation, this.on_change);
		const destroy = conversation.destroy.bind(conversation);
		conversation.destroy = () => {
			document.removeEventListener("keydown", this.on_key);
			frappe.realtime.off(xw_own.EVENTS.conversation, this.on_change);
			destroy();
		};
		this.$bar.on("click", ".xw-assign-me", () => this.act("assign_to_me"));
		this.$bar.on("click", ".xw-reassign", () => this.reassign());
		this.$bar.on("click", ".xw-resolve", () => this.set_state("Resolved"));
		this.$bar.on("click", ".xw-state-item", (e) => {
			const $item = $(e.currentTarget);
			this.set_state($item.attr("data-state"), $item.attr("data-minutes"));
		});
	}

	render(info) {
		this.info = info;
		const me = frappe.session.user;
		const owner = info.assigned_to;
		const state = info.conversation_state || "Open";
		const may_hand_on = xw_own.is_manager() || owner === me;
		const may_act = may_hand_on || !owner;
		const owner_label = owner
			? owner === me
				? __("You")
				: info.assigned_to_name || frappe.user.full_name(owner)
			: __("Unassigned");
		const until = state === "Snoozed" && info.snoozed_until
			? ` ${__("until {0}", [xw_own.format_datetime(info.snoozed_until)])}`
			: "";
		const items = xw_own.STATES.filter((s) => s !== "Snoozed" && s !== state)
			.map((s) => `<li><a class="dropdown-item xw-state-item" data-state="${s}">${__(s)}</a></li>`)
			.concat(
				SNOOZES.map(
					([minutes, label]) =>
						`<li><a class="dropdown-item xw-state-item" data-state="Snoozed" data-minutes="${minutes}">${__("Snooze {0}", [label])}</a></li>`
				)
			)
			.join("");
		this.$bar.html(`
			<span class="xw-owner" data-owner="${xw_own.esc(owner || "")}">
				${frappe.utils.icon("assign", "sm")} <span class="xw-owner-name">${xw_own.esc(owner_label)}</span>
			</span>
			<span class="indicator-pill ${xw_own.STATE_COLORS[state] || "gray"} xw-state" data-state="${xw_own.esc(state)}">${xw_own.esc(__(state))}${xw_own.esc(until)}</span>
			<span class="xw-bar-actions">
				${owner !== me ? `<button class="btn btn-default btn-xs xw-assign-me" ${owner && !xw_own.is_manager() ? "disabled" : ""}>${__("Assign to me")}</button>` : ""}
				${may_hand_on ? `<button class="btn btn-default btn-xs xw-reassign">${__("Reassign")}</button>` : ""}
				${may_act && state !== "Resolved" ? `<button class="btn btn-default btn-xs xw-resolve" title="${__("Resolve (Alt+R)")}">${frappe.utils.icon("tick", "xs")} ${__("Resolve")}</button>` : ""}
				${may_act ? `<div class="dropdown xw-state-menu">
					<button class="btn btn-default btn-xs dropdown-toggle" data-toggle="dropdown" aria-label="${__("Change state")}">${__("State")}</button>
					<ul class="dropdown-menu dropdown-menu-right">${items}</ul>
				</div>` : ""}
			</span>
		`);
	}

	async reload() {
		// A thread out of sight (a form left behind) reads nothing; it re-reads when shown again.
		if (this.conversation.destroyed || !this.conversation.info || !this.$bar.is(":visible")) return;
		const info = await xw_own.call("get_conversation", { contact: this.conversation.contact }).catch(() => null);
		if (!info || this.conversation.destroyed) return;
		Object.assign(this.conversation.info, info);
		this.render(this.conversation.info);
	}

	shortcut(e) {
		if (!e.altKey || e.ctrlKey || e.metaKey || (e.key || "").toLowerCase() !== "r") return;
		if (!this.info || !this.$bar.is(":visible") || this.conversation.destroyed) return;
		e.preventDefault();
		this.set_state("Resolved");
	}

	async act(method, args = {}) {
		try {
			await xw_own.post(method, { contact: this.conversation.contact, ...args });
		} catch (e) {
			return; // the server said why
		}
		await this.conversation.refresh();
	}

	async set_state(state, minutes) {
		if (!state || (this.info && this.info.conversation_state === state && state !== "Snoozed")) return;
		await this.act("set_state", { state, ...(minutes ? { snooze_minutes: cint(minutes) } : {}) });
		if (state === "Resolved") frappe.show_alert({ message: __("Conversation resolved"), indicator: "green" });
	}

	async reassign() {
		const owners = (await xw_own.call("list_owners", { contact: this.conversation.contact }).catch(() => [])) || [];
		const dialog = new frappe.ui.Dialog({
			title: __("Reassign conversation"),
			fields: [
				{
					fieldname: "user",
					fieldtype: "Select",
					label: __("Owner"),
					options: [{ value: "", label: __("Nobody (unassigned)") }].concat(
						// Frappe's Select inserts labels as HTML; a user writes their own full name.
						owners.map((o) =>
							xw_own.select_option(o.user, `${o.full_name || o.user}${cint(o.available) ? "" : ` (${__("away")})`}`)
						)
					),
					default: this.info.assigned_to || "",
				},
			],
			primary_action_label: __("Reassign"),
			primary_action: async ({ user }) => {
				dialog.hide();
				await this.act("reassign", { user: user || "" });
			},
		});
		dialog.show();
	}
};

xw_own.conversation_parts = xw_own.conversation_parts || [];
xw_own.conversation_parts.push((conversation) => new xw_own.OwnershipBar(conversation));

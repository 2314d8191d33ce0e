// The inbox's queues: Mine, Unassigned and All, a state filter and a sort, with counts that follow realtime.
// The choice is remembered per browser.
frappe.provide("xappiens_whatsapp");

const xw_q = xappiens_whatsapp;
const QUEUE_KEY = "xw_inbox_queue";

xw_q.QUEUES = [
	["mine", __("Mine")],
	["unassigned", __("Unassigned")],
	["all", __("All")],
];
xw_q.SORTS = [
	["recent", __("Latest activity")],
	["customer", __("Last customer message")],
	["waiting", __("Waiting longest first")],
];

xw_q.QueueBar = class QueueBar {
	constructor(inbox, $host) {
		this.inbox = inbox;
		const saved = JSON.parse(localStorage.getItem(QUEUE_KEY) || "{}");
		Object.assign(inbox.filters, { queue: "all", state: "", sort: "recent" }, saved);
		$host.prepend(`
			<div class="xw-queues" role="tablist">
				${xw_q.QUEUES.map(
					([key, label]) => `<button class="btn btn-xs xw-queue" role="tab" data-queue="${key}">
						${label} <span class="xw-queue-count"></span></button>`
				).join("")}
			</div>
			<div class="xw-filter-row xw-queue-filters">
				<select class="form-control input-sm xw-state-filter" aria-label="${__("State")}">
					<option value="">${__("All states")}</option>
					${xw_q.STATES.map((s) => `<option value="${s}">${__(s)}</option>`).join("")}
				</select>
				<select class="form-control input-sm xw-sort" aria-label="${__("Sort")}">
					${xw_q.SORTS.map(([key, label]) => `<option value="${key}">${label}</option>`).join("")}
				</select>
			</div>
		`);
		this.$host = $host;
		$host.on("click", ".xw-queue", (e) => this.choose({ queue: $(e.currentTarget).attr("data-queue") }));
		$host.find(".xw-state-filter").on("change", (e) => this.choose({ state: $(e.target).val() }));
		$host.find(".xw-sort").on("change", (e) => this.choose({ sort: $(e.target).val() }));
		this.counts_soon = frappe.utils.debounce(() => this.load_counts(), 400);
		this.show();
	}

	choose(change) {
		Object.assign(this.inbox.filters, change);
		const { queue, state, sort } = this.inbox.filters;
		localStorage.setItem(QUEUE_KEY, JSON.stringify({ queue, state, sort }));
		this.show();
		this.inbox.refresh();
	}

	show() {
		const { queue, state, sort } = this.inbox.filters;
		this.$host.find(".xw-queue").each((_, el) => {
			const on = el.getAttribute("data-queue") === queue;
			$(el).toggleClass("btn-primary xw-active", on).toggleClass("btn-default", !on).attr("aria-selected", on);
		});
		this.$host.find(".xw-state-filter").val(state || "");
		this.$host.find(".xw-sort").val(sort || "recent");
		this.render_counts();
		this.counts_soon();
	}

	async load_counts() {
		const session = this.inbox.filters.session || null;
		this.counts = (await xw_q.call("queue_counts", { session }).catch(() => null)) || this.counts;
		this.render_counts();
	}

	render_counts() {
		if (!this.counts) return;
		const state = this.inbox.filters.state;
		this.$host.find(".xw-queue").each((_, el) => {
			const by_state = this.counts[el.getAttribute("data-queue")] || {};
			const n = state ? by_state[state] || 0 : Object.values(by_state).reduce((a, b) => a + b, 0);
			$(el).find(".xw-queue-count").text(format_number(n, null, 0));
		});
		const queue = this.counts[this.inbox.filters.queue] || {};
		this.$host.find(".xw-state-filter option").each((_, el) => {
			const s = el.value;
			if (s) el.textContent = `${__(s)} (${format_number(queue[s] || 0, null, 0)})`;
		});
	}

	matches(row) {
		const { queue, state } = this.inbox.filters;
		if (queue === "mine" && row.assigned_to !== frappe.session.user) return false;
		if (queue === "unassigned" && row.assigned_to) return false;
		if (state && (row.conversation_state || "Open") !== state) return false;
		return true;
	}
};

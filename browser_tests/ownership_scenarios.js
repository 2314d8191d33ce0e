// Scenarios of conversation ownership: two agents of one number (A and B) and a manager. A customer writes while
// A is on another desk page; A resolves, the customer writes again; quick replies; the narrow-screen way back.
const crypto = require("crypto");
const { env, login, open_desk, screenshot, post_inbox_hub, message_received, gateway, assert, sleep } = require("./lib");

const LIVE = 20000;

module.exports = function register({ scenario, state, close_dialogs }) {
	const fx = env.fixtures;
	const TEAM = fx.sessions.team;
	const OWN_DIGITS = "34600000002";
	const tag = crypto.randomBytes(3).toString("hex");
	const CUSTOMER = `3461${String(parseInt(tag, 16) % 10000000).padStart(7, "0")}`;
	const own = {};

	const write = (text) => post_inbox_hub("message.received", TEAM, message_received(CUSTOMER, OWN_DIGITS, text));
	const toast = (page) => page.locator(".alert-message", { hasText: "New WhatsApp message from" });
	const title = (page) => page.evaluate(() => document.title);

	scenario("a customer's message reaches agent A on another desk page: toast and tab title, nothing for B", async ({ browser }) => {
		await gateway("/__fake__/script", {
			add_sessions: {
				session_id: TEAM,
				webhook_url: `${env.api}/api/method/xappiens_whatsapp.api.webhook.handle_webhook`,
				webhook_secret: env.secret,
				connected: true,
				phone_number: OWN_DIGITS,
			},
		});
		own.a = await login(browser, fx.users.agent_a);
		own.b = await login(browser, fx.users.agent_b);
		state.own_a = own.a;
		state.own_b = own.b;
		await open_desk(own.a, "todo");
		await open_desk(own.b, "todo");
		// both desks have told the server they are here (no bell for them), and listen
		for (const page of [own.a, own.b]) {
			await page.waitForFunction(() => xappiens_whatsapp.attention && xappiens_whatsapp.attention.start, null, { timeout: LIVE });
			await page.evaluate(() => xappiens_whatsapp.attention.heartbeat());
		}
		// what already waited for each of them (earlier scenarios' conversations)
		const waiting = (page) => page.evaluate(() => xappiens_whatsapp.attention.recount().then(() => xappiens_whatsapp.attention.unread));
		const a0 = (own.a0 = await waiting(own.a));
		const b0 = await waiting(own.b);
		// every attention event B's desk receives, in order
		await own.b.evaluate(() => {
			window.xw_heard = [];
			frappe.realtime.on(xappiens_whatsapp.EVENTS.attention, (data) => window.xw_heard.push(data.contact));
		});
		await write(`Hola, necesito ayuda ${tag}`);
		await toast(own.a).waitFor({ timeout: LIVE });
		await own.a.waitForFunction((n) => document.title.startsWith(`(${n}) `), a0 + 1, { timeout: LIVE });
		await screenshot(own.a, "30-toast-and-title-for-owner");
		// the toast links to the conversation
		own.contact = await own.a.locator(".xw-toast-link").first().getAttribute("data-contact");
		assert(own.contact, "the toast has no link to the conversation");
		// Then a second customer writes: in turn, B owns that one. Once B has heard of it, whatever was sent to B
		// about A's conversation had arrived before, on the same socket.
		const second = `3463${String(parseInt(tag, 16) % 10000000).padStart(7, "0")}`;
		await post_inbox_hub("message.received", TEAM, message_received(second, OWN_DIGITS, `Otra consulta ${tag}`));
		await own.b.waitForFunction(() => window.xw_heard.length > 0, null, { timeout: LIVE });
		await toast(own.b).waitFor({ timeout: LIVE });
		const heard = await own.b.evaluate(() => window.xw_heard);
		assert(!heard.includes(own.contact), "agent B heard of A's conversation");
		const about = await own.b.locator(".xw-toast-link").evaluateAll((links) => links.map((l) => l.dataset.contact));
		assert(about.length === 1 && about[0] !== own.contact, `agent B's toasts: ${about}`);
		assert((await waiting(own.b)) === b0 + 1, `agent B's count is not their own conversation's: ${await title(own.b)}`);
		await own.b.waitForFunction((n) => document.title.startsWith(`(${n}) `), b0 + 1, { timeout: LIVE });
		await screenshot(own.b, "31-agent-b-hears-only-of-their-own");
	});

	scenario("agent A resolves with Alt+R; the customer writes again and it is back in A's Mine", async () => {
		const page = own.a;
		await page.locator(".xw-toast-link").first().click();
		await page.locator(".xw-conv-bar .xw-state").waitFor({ timeout: LIVE });
		await page.locator('.xw-queue[data-queue="mine"]').click();
		await page.locator(".xw-state-filter").selectOption("Open");
		const mine = page.locator(`.xw-conv-row[data-name="${own.contact}"]`);
		await mine.waitFor({ timeout: LIVE });
		// read: A's count is back to what it was
		await page.waitForFunction((n) => xappiens_whatsapp.attention.unread <= n, own.a0, { timeout: LIVE });
		assert((await page.locator(".xw-owner-name").innerText()).trim() === "You", "A is not shown as the owner");
		await page.locator(".xw-thread").click();
		await page.keyboard.press("Alt+r");
		await page.locator('.xw-conv-bar .xw-state[data-state="Resolved"]').waitFor({ timeout: LIVE });
		await mine.waitFor({ state: "detached", timeout: LIVE });
		await screenshot(page, "32-resolved-leaves-mine-open");
		await write(`Una cosa más ${tag}`);
		await mine.waitFor({ timeout: LIVE });
		await page.locator('.xw-conv-bar .xw-state[data-state="Open"]').waitFor({ timeout: LIVE });
		const counts = await page.locator('.xw-queue[data-queue="mine"] .xw-queue-count').innerText();
		assert(Number(counts) >= 1, `Mine counts ${counts}`);
		await screenshot(page, "33-reopened-in-mine");
	});

	scenario("'/' in the composer offers quick replies; Enter inserts the filled text, which is sent", async () => {
		const page = own.a;
		const input = page.locator(".xw-conversation .xw-input");
		await input.fill("/salu");
		await page.locator(".xw-quick-reply", { hasText: "/saludo" }).waitFor({ timeout: LIVE });
		await screenshot(page, "34-quick-reply-list");
		await input.press("Enter");
		await page.waitForFunction(() => /^Hola .*, soy Ana\./.test(document.querySelector(".xw-conversation .xw-input").value), null, {
			timeout: LIVE,
		});
		const text = await input.inputValue();
		assert(!text.includes("{{"), `template syntax left in: ${text}`);
		await input.press("Enter");
		const bubble = page.locator(".xw-msg.xw-out", { hasText: text });
		await bubble.waitFor({ timeout: LIVE });
		await page.locator('.xw-msg.xw-out[data-status="Sent"], .xw-msg.xw-out[data-status="Delivered"], .xw-msg.xw-out[data-status="Read"]', { hasText: text }).first().waitFor({ timeout: LIVE });
		const sent = (await gateway("/__fake__/state")).messages.filter((m) => m.fromMe && m.body === text);
		assert(sent.length === 1, `the gateway got the quick reply ${sent.length} times`);
		await screenshot(page, "35-quick-reply-sent");
	});

	scenario("a private note with an @mention shows in the thread, is never sent, and reaches B's bell", async () => {
		const page = own.a;
		const text = `@Bruno revisa esto ${tag}`;
		const before = (await gateway("/__fake__/requests")).requests.length;
		await page.locator(".xw-conversation .xw-note-toggle").click();
		await page.locator(".xw-composer.xw-note-mode").waitFor({ timeout: LIVE });
		// '/' works in a note too: Enter picks the quick reply, and saves no note of the '/' typed
		const input = page.locator(".xw-conversation .xw-input");
		await input.fill("/salu");
		await page.locator(".xw-quick-reply", { hasText: "/saludo" }).waitFor({ timeout: LIVE });
		await input.press("Enter");
		await page.waitForFunction(() => /^Hola .*, soy Ana\./.test(document.querySelector(".xw-conversation .xw-input").value), null, {
			timeout: LIVE,
		});
		assert((await page.locator(".xw-composer.xw-note-mode").count()) === 1, "picking a quick reply left the note");
		await input.fill(text);
		await input.press("Enter");
		const note = page.locator(".xw-thread-list .xw-note", { hasText: `revisa esto ${tag}` });
		await note.waitFor({ timeout: LIVE });
		// the note saved after it is here: one for the '/' would have come before
		assert((await page.locator(".xw-thread-list .xw-note", { hasText: "/salu" }).count()) === 0, "the '/' was saved as a note");
		assert((await note.locator(".xw-mention", { hasText: "@Bruno" }).count()) === 1, "the mention is not highlighted");
		assert((await page.locator(".xw-msg.xw-out", { hasText: `revisa esto ${tag}` }).count()) === 0, "the note shows as a message");
		await screenshot(page, "36-private-note-with-mention");
		// The notification is made by a background job: B's bell lights up once it ran.
		let mention = null;
		for (let i = 0; i < 40 && !mention; i++) {
			if (i) await sleep(500);
			const logs = await own.b.evaluate(() =>
				frappe.xcall("frappe.desk.doctype.notification_log.notification_log.get_notification_logs", { limit: 20 })
			);
			mention = (logs.notification_logs || []).find((n) => n.type === "Mention" && n.document_name === own.contact);
		}
		assert(mention, "agent B was not notified of the mention");
		const after = (await gateway("/__fake__/requests")).requests.slice(before);
		assert(!after.some((r) => (r.body || "").includes(`revisa esto ${tag}`)), "the note reached the gateway");
	});

	scenario("Reply on hover quotes the customer's message; the reply goes out quoted, with ticks", async () => {
		const page = own.a;
		const incoming = page.locator(".xw-msg.xw-in", { hasText: `Una cosa más ${tag}` });
		await incoming.hover();
		await incoming.locator(".xw-reply-btn").click();
		await page.locator(".xw-reply-quote .xw-quoted-text", { hasText: `Una cosa más ${tag}` }).waitFor({ timeout: LIVE });
		await screenshot(page, "37-reply-quote-ready");
		const text = `Claro, dime ${tag}`;
		await page.locator(".xw-conversation .xw-input").fill(text);
		await page.locator(".xw-conversation .xw-input").press("Enter");
		const bubble = page.locator(".xw-msg.xw-out", { hasText: text });
		await bubble.locator(".xw-quoted", { hasText: `Una cosa más ${tag}` }).waitFor({ timeout: LIVE });
		await page.locator('.xw-msg.xw-out:not([data-status="Pending"])', { hasText: text }).first().waitFor({ timeout: LIVE });
		assert((await bubble.locator(".xw-ticks").count()) >= 1, "the reply shows no ticks");
		const sends = (await gateway("/__fake__/requests")).requests.filter((r) => r.json && r.json.message === text);
		assert(sends.length === 1 && sends[0].json.quotedMessageId, `the gateway got ${sends.length} sends, quote: ${sends[0] && sends[0].json.quotedMessageId}`);
		await screenshot(page, "38-reply-sent-quoted");
	});

	scenario("React on hover sends an emoji through the gateway; choosing it again takes it away", async () => {
		const page = own.a;
		const incoming = () => page.locator(".xw-msg.xw-in", { hasText: `Una cosa más ${tag}` });
		const reactions = () => gateway("/__fake__/requests").then((r) => r.requests.filter((q) => q.json && q.json.type === "reaction"));
		const before = (await reactions()).length;
		// the reply's ticks have settled: the thread is not being drawn again under the pointer
		await page.locator('.xw-msg.xw-out[data-status="Read"]', { hasText: `Claro, dime ${tag}` }).waitFor({ timeout: LIVE });
		await sleep(1000);
		await incoming().hover();
		await incoming().locator(".xw-react-btn").click();
		await incoming().locator('.xw-emoji[data-emoji="👍"]').click();
		await incoming().locator(".xw-reactions", { hasText: "👍" }).waitFor({ timeout: LIVE });
		await screenshot(page, "38b-reaction-shown");
		for (let i = 0; i < 40 && (await reactions()).length < before + 1; i++) await sleep(500);
		const sent = (await reactions()).slice(before);
		assert(sent.length === 1 && sent[0].json.message.react.text === "👍", `the gateway got ${JSON.stringify(sent.map((r) => r.json.message))}`);
		await incoming().hover();
		await incoming().locator(".xw-react-btn").click();
		await incoming().locator('.xw-emoji[data-emoji="👍"]').click();
		await incoming().locator(".xw-reactions").waitFor({ state: "detached", timeout: LIVE });
		for (let i = 0; i < 40 && (await reactions()).length < before + 2; i++) await sleep(500);
		const removed = (await reactions()).slice(before + 1);
		assert(removed.length === 1 && removed[0].json.message.react.text === "", "the removal did not reach the gateway");
	});

	scenario("a manager reassigns the conversation to B, who sees it in Mine", async ({ browser }) => {
		const manager = (state.own_m = await login(browser, fx.users.manager));
		await open_desk(manager, `whatsapp-inbox?contact=${own.contact}`);
		await manager.locator(".xw-conv-bar .xw-reassign").click();
		const dialog = manager.locator(".modal.show");
		await dialog.locator("select").selectOption(fx.users.agent_b);
		await dialog.locator(".btn-primary").click();
		await manager.locator(".xw-conv-bar .xw-owner", { hasText: "Bruno" }).waitFor({ timeout: LIVE });
		await screenshot(manager, "39-manager-reassigned");
		await open_desk(own.b, "whatsapp-inbox");
		await own.b.locator('.xw-queue[data-queue="mine"]').click();
		await own.b.locator(".xw-state-filter").selectOption("");
		await own.b.locator(`.xw-conv-row[data-name="${own.contact}"]`).waitFor({ timeout: LIVE });
		await screenshot(own.b, "40-b-mine-after-reassign");
		await close_dialogs(manager);
	});

	scenario("on a narrow screen the thread has a way back to the list", async () => {
		const page = own.b;
		await page.setViewportSize({ width: 390, height: 800 });
		await page.locator(`.xw-conv-row[data-name="${own.contact}"]`).click();
		const back = page.locator(".xw-conversation .xw-back");
		await back.waitFor({ state: "visible", timeout: LIVE });
		assert(!(await page.locator(".xw-sidebar").isVisible()), "the list shows beside the thread on a phone");
		await screenshot(page, "41-narrow-thread");
		await back.click();
		await page.locator(".xw-sidebar").waitFor({ state: "visible", timeout: LIVE });
		await screenshot(page, "42-narrow-back-to-list");
		await page.setViewportSize({ width: 1400, height: 900 });
	});

	scenario("B switches to away from the inbox menu; the next new conversations all go to A", async () => {
		const page = own.b;
		await page.locator(".page-head .menu-btn-group button, .page-head .page-actions .dropdown-toggle").first().click();
		await page.locator(".dropdown-menu a", { hasText: "My availability and notifications" }).first().click();
		const dialog = page.locator(".modal.show");
		await dialog.locator('input[data-fieldname="available"]').uncheck();
		await dialog.locator(".btn-primary").click();
		await page.locator(".page-head .indicator-pill", { hasText: "Away" }).waitFor({ timeout: LIVE });
		await screenshot(page, "43-agent-b-away");
		const other = `3462${String(parseInt(tag, 16) % 10000000).padStart(7, "0")}`;
		for (const digits of [other, `${other.slice(0, -1)}${(Number(other.slice(-1)) + 1) % 10}`]) {
			await post_inbox_hub("message.received", TEAM, message_received(digits, OWN_DIGITS, `Nuevo cliente ${tag}`));
		}
		const owners = async () =>
			own.a.evaluate(
				(t) =>
					frappe
						.xcall("xappiens_whatsapp.api.conversations.list_conversations", { search: t, page_length: 10 })
						.then((rows) => rows.map((r) => r.assigned_to)),
				`Nuevo cliente ${tag}`
			);
		let seen = [];
		for (let i = 0; i < 40 && seen.length < 2; i++) {
			if (i) await sleep(500);
			seen = (await owners()).filter(Boolean);
		}
		assert(seen.length === 2 && seen.every((u) => u === fx.users.agent_a), `new conversations went to ${seen}`);
	});

};

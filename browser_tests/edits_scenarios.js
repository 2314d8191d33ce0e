// Edited and deleted messages: a customer writes, edits the text on their phone, then deletes it for everyone.
// The open thread changes the bubble in place each time, and the inbox list's preview follows.
const crypto = require("crypto");
const { env, login, open_desk, screenshot, post_inbox_hub, message_received, assert, sleep } = require("./lib");

const LIVE = 20000;

module.exports = function register({ scenario, state }) {
	const fx = env.fixtures;
	const MAIN = fx.sessions.main;
	const OWN_DIGITS = "34600000002";
	const tag = crypto.randomBytes(3).toString("hex");
	const CUSTOMER = `3463${String(parseInt(tag, 16) % 10000000).padStart(7, "0")}`;
	const FIRST = `Quiero cita el lunes ${tag}`;
	// The edit carries markup: it must show as text.
	const EDITED = `Mejor el martes <img src=x onerror=window.__xss=1> ${tag}`;
	const edits = {};

	const listed = (page) => page.locator(`.xw-conv-row[data-name="${edits.contact}"]`);
	const bubble = (page, text) => page.locator(".xw-thread-list .xw-msg", { hasText: text });

	scenario("a customer's edit changes the open thread's bubble in place, marked edited, as text", async ({ browser }) => {
		const page = (state.edits = edits.page = await login(browser, fx.users.agent_a));
		await open_desk(page, "whatsapp-inbox");
		edits.message = message_received(CUSTOMER, OWN_DIGITS, FIRST);
		await post_inbox_hub("message.received", MAIN, edits.message);
		const first = page.locator(".xw-conv-row", { hasText: tag });
		await first.waitFor({ timeout: LIVE });
		edits.contact = await first.getAttribute("data-name");
		await first.click();
		await bubble(page, FIRST).waitFor({ timeout: LIVE });
		await page.locator(".xw-conversation[data-live]").waitFor({ timeout: LIVE });

		const edited = { ...edits.message, body: EDITED, latestEditSenderTimestampMs: Date.now() };
		await post_inbox_hub("message_edit", MAIN, { message: edited, newBody: EDITED, prevBody: FIRST });
		const now = bubble(page, "Mejor el martes");
		await now.locator(".xw-edited").waitFor({ timeout: LIVE });
		assert((await bubble(page, "Quiero cita el lunes").count()) === 0, "the old text is still shown");
		assert((await page.locator(".xw-thread-list .xw-msg").count()) === 1, "the edit made a bubble of its own");
		assert((await now.innerText()).includes("onerror=window.__xss=1"), "the edited text did not show as text");
		const title = await now.locator(".xw-edited").getAttribute("title");
		assert(/Edited \S/.test(title || ""), `the edited mark has no time: ${title}`);
		await listed(page).locator(".xw-conv-preview", { hasText: "Mejor el martes" }).waitFor({ timeout: LIVE });
		await sleep(1000); // let an injected <img> fail to load and fire its handler
		const pwned = await page.evaluate(() => ({ xss: window.__xss, img: document.querySelectorAll('img[src="x"]').length }));
		assert(pwned.xss === undefined && pwned.img === 0, `the edit's markup became elements ${JSON.stringify(pwned)}`);
		await screenshot(page, "50-message-edited");
	});

	scenario("a deletion for everyone leaves 'This message was deleted', with no actions, here and in the list", async () => {
		const page = edits.page;
		const after = { ...edits.message, body: "", type: "revoked" };
		await post_inbox_hub("message_revoke_everyone", MAIN, { after, before: null });
		const gone = page.locator(".xw-thread-list .xw-msg.xw-deleted", { hasText: "This message was deleted" });
		await gone.waitFor({ timeout: LIVE });
		assert((await bubble(page, "Mejor el martes").count()) === 0, "the deleted text is still shown");
		await gone.hover();
		assert((await gone.locator(".xw-reply-btn, .xw-react-btn, .xw-edited").count()) === 0, "a deleted message offers actions");
		const style = await gone.locator(".xw-deleted-text").evaluate((el) => getComputedStyle(el).fontStyle);
		assert(style === "italic", `the deletion is not in italics: ${style}`);
		await listed(page)
			.locator(".xw-conv-preview.xw-deleted-text", { hasText: "This message was deleted" })
			.waitFor({ timeout: LIVE });
		await screenshot(page, "51-message-deleted");
		// Read again from the server (a reload), the thread is the same.
		await open_desk(page, `whatsapp-inbox?contact=${edits.contact}`);
		await page.locator(".xw-thread-list .xw-msg.xw-deleted").waitFor({ timeout: LIVE });
		assert((await bubble(page, "Mejor el martes").count()) === 0, "the deleted text came back on a reload");
	});
};

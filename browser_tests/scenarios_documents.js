// Send via WhatsApp from a printable form, and Frappe CRM's own Lead page showing and sending WhatsApp through
// this app (where Frappe CRM is installed on the site).
const { env, login, open_desk, screenshot, gateway, assert, sleep } = require("./lib");

const LIVE = 20000;

async function until(what, check, timeout = LIVE) {
	const deadline = Date.now() + timeout;
	for (;;) {
		const value = await check();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(400);
	}
}

// The sends the fake gateway received for the session.
async function sends(session) {
	const { requests } = await gateway("/__fake__/requests");
	return requests.filter((r) => r.method === "POST" && r.path === `/api/messages/${session}/send`);
}

module.exports = function register({ scenario, fx, run_id }) {
	const MAIN = fx.sessions.main;

	scenario("Send via WhatsApp from a printable form: the PDF reaches the gateway and the timeline says so", async ({ browser }) => {
		const page = await login(browser, fx.users.agent_a);
		await open_desk(page, `todo/${fx.printable_todo}`);
		await page.waitForFunction((name) => window.cur_frm && cur_frm.docname === name, fx.printable_todo, { timeout: LIVE });
		await page.locator(".page-head:visible .menu-btn-group > button").click();
		await page.locator(".page-head:visible .menu-btn-group .dropdown-item", { hasText: "Send via WhatsApp" }).click();
		const dialog = page.locator(".modal.show", { hasText: "Send via WhatsApp" });
		await dialog.waitFor({ timeout: LIVE });
		await dialog.locator('[data-fieldname="phone"] input').fill(fx.customer_phone);
		const caption = `Presupuesto 1042 ${run_id}`;
		await dialog.locator('[data-fieldname="caption"] textarea').fill(caption);
		await screenshot(page, "30-send-via-whatsapp-dialog");
		await dialog.locator(".btn-primary").click();

		const sent = await until("the PDF at the gateway", async () =>
			(await sends(MAIN)).find((r) => r.json && r.json.type === "document" && r.json.message.caption === caption)
		);
		const pdf = Buffer.from(sent.json.message.document.base64, "base64");
		assert(pdf.subarray(0, 5).toString() === "%PDF-", "the gateway did not receive a PDF");
		assert(sent.json.to === fx.customer_phone.replace("+", ""), `sent to ${sent.json.to}`);
		await until("the note on the timeline", () =>
			page.locator(".timeline-item", { hasText: "Sent via WhatsApp" }).count()
		);
		await screenshot(page, "31-send-via-whatsapp-timeline");
		await page.context().close();
	});

	scenario("Frappe CRM's Lead page shows the conversation and sends through this app", async ({ browser }) => {
		if (!fx.crm_lead) {
			console.log("    (Frappe CRM is not installed on this site: nothing to check)");
			return;
		}
		const page = await login(browser, fx.users.agent_a);
		await page.goto(`${env.base}/crm/leads/${encodeURIComponent(fx.crm_lead)}#whatsapp`, { waitUntil: "domcontentloaded" });
		// The seeded conversation of the Lead's number (stored as "600 00 00 03"), read through this app.
		await page.getByText("Hola, os escribo por el pedido 1042").first().waitFor({ timeout: LIVE });
		await page.getByText("Claro, ahora mismo lo miro.").first().waitFor({ timeout: LIVE });
		await screenshot(page, "32-crm-lead-whatsapp-tab");

		const text = `Te confirmo el envío ${run_id}`;
		const box = page.locator("textarea").last();
		await box.click();
		await box.fill(text);
		await box.press("Enter");
		const sent = await until("the text at the gateway", async () =>
			(await sends(MAIN)).find((r) => r.json && r.json.message === text)
		);
		assert(sent.json.to === "34600000003", `sent to ${sent.json.to}`);
		// CRM's tab reloads on our per-user event; reading the page again shows the same either way.
		await until("the message in CRM's tab", async () => {
			if (await page.getByText(text).count()) return true;
			await page.reload({ waitUntil: "domcontentloaded" });
			await sleep(1500);
			return false;
		});
		await screenshot(page, "33-crm-lead-whatsapp-sent");
		await page.context().close();
	});

	scenario("a finished call is wrapped up with an outcome and notes; Create Lead makes a Lead of its caller", async ({ browser }) => {
		const page = await login(browser, fx.users.agent_a);
		await open_desk(page, `netelip-call/${encodeURIComponent(fx.finished_call)}`);
		await page.waitForFunction((name) => window.cur_frm && cur_frm.docname === name, fx.finished_call, { timeout: LIVE });
		await page.locator(".page-head:visible button", { hasText: "Wrap up" }).click();
		const dialog = page.locator(".modal.show", { hasText: "Wrap up the call" });
		await dialog.waitFor({ timeout: LIVE });
		await dialog.locator('[data-fieldname="disposition"] select').selectOption("Volver a llamar");
		await dialog.locator('[data-fieldname="notes"] textarea').fill(`Llamar el lunes ${run_id}`);
		await dialog.locator(".btn-primary").click();
		await until("the outcome on the form", () =>
			page.evaluate(() => cur_frm.doc.disposition === "Volver a llamar" && Boolean(cur_frm.doc.wrapup_notes))
		);
		await page.locator(".page-head:visible button", { hasText: "Edit wrap-up" }).waitFor({ timeout: LIVE });
		await screenshot(page, "34-call-wrapped-up");
		if (!fx.crm_lead) {
			await page.context().close();
			return;
		}
		const opened = page.context().waitForEvent("page", { timeout: LIVE });
		await page.locator(".page-head:visible button", { hasText: "Create Lead" }).click();
		const crm_page = await opened;
		await crm_page.waitForURL(/\/crm\/leads\/[^/]+/, { timeout: LIVE });
		await crm_page.getByText("Call from").first().waitFor({ timeout: LIVE });
		await screenshot(crm_page, "35-crm-lead-from-a-call");
		// The button now opens that Lead rather than making a second one.
		await page.reload({ waitUntil: "domcontentloaded" });
		await page.locator(".page-head:visible button", { hasText: "Open in CRM" }).waitFor({ timeout: LIVE });
		await page.context().close();
	});
};

// Helpers for the scenarios: the browser, logging in, signed provider webhooks, the fake gateway.
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const { chromium } = require("playwright-core");

const env = {
	site: process.env.XW_SITE,
	base: process.env.XW_BASE_URL, // http://<site>:<port>: the desk, as a person opens it
	api: process.env.XW_API_URL, // the same server on 127.0.0.1, for provider calls
	gateway: process.env.XW_GATEWAY_URL,
	secret: process.env.XW_SESSION_SECRET,
	netelip_token: process.env.XW_NETELIP_TOKEN,
	artifacts: process.env.XW_ARTIFACTS || path.resolve(__dirname, "../artifacts/browser"),
	fixtures: JSON.parse(process.env.XW_FIXTURES || "{}"),
};

const CHROMIUM_ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--disable-dev-shm-usage",
	// A microphone that plays a tone, allowed without asking: the composer records voice notes from it.
	"--use-fake-device-for-media-stream",
	"--use-fake-ui-for-media-stream",
	"--autoplay-policy=no-user-gesture-required",
];

async function launch() {
	// Playwright starts Chromium on a fresh temporary profile of its own and deletes it on close;
	// every user below gets an isolated context (own cookies) inside it.
	return chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		headless: true,
		args: CHROMIUM_ARGS,
	});
}

async function login(browser, user, password = env.fixtures.password) {
	const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: "en-US" });
	const page = await context.newPage();
	page.on("pageerror", (error) => console.log(`    [page error ${user}] ${error.message}`));
	// Log in from inside the page: the browser resolves <site>.localhost itself, Node does not.
	await page.goto(`${env.base}/login`, { waitUntil: "domcontentloaded" });
	const status = await page.evaluate(
		async ([usr, pwd]) =>
			(await fetch("/api/method/login", {
				method: "POST",
				headers: { "Content-Type": "application/json", Accept: "application/json" },
				body: JSON.stringify({ usr, pwd }),
			})).status,
		[user, password]
	);
	if (status !== 200) throw new Error(`login of ${user} failed: HTTP ${status}`);
	return page;
}

// Open a desk route and wait until the desk is up and the realtime socket is connected.
async function open_desk(page, route) {
	await page.goto(`${env.base}/app/${route}`, { waitUntil: "domcontentloaded" });
	await page.waitForFunction(() => window.frappe && frappe.realtime && frappe.realtime.socket && frappe.realtime.socket.connected, null, {
		timeout: 30000,
	});
}

// Move within the desk without reloading it (as a click would) and wait until the route starts with `route`.
async function set_route(page, ...route) {
	await page.evaluate((parts) => frappe.set_route(...parts), route);
	await page.waitForFunction((parts) => parts.every((part, i) => frappe.get_route()[i] === part), route);
}

async function screenshot(page, name) {
	fs.mkdirSync(env.artifacts, { recursive: true });
	const file = path.join(env.artifacts, `${name}.png`);
	await page.screenshot({ path: file });
	return file;
}

function sign(raw, secret) {
	return "sha256=" + crypto.createHmac("sha256", secret).update(raw).digest("hex");
}

// Post an Inbox Hub event exactly as the gateway does: the signature covers the raw bytes sent.
async function post_inbox_hub(event, session, data) {
	const payload = { event, sessionId: session, data, timestamp: new Date().toISOString() };
	const raw = JSON.stringify(payload);
	const response = await fetch(`${env.api}/api/method/xappiens_whatsapp.api.webhook.handle_webhook`, {
		method: "POST",
		body: raw,
		headers: {
			"Content-Type": "application/json",
			"X-Webhook-Signature": sign(raw, env.secret),
			"X-Webhook-Event": event,
			"X-Webhook-Session": session,
			"X-Webhook-Timestamp": String(Date.now()),
		},
	});
	if (response.status !== 200) throw new Error(`webhook ${event} answered HTTP ${response.status}: ${await response.text()}`);
	return payload;
}

function message_received(from_digits, own_digits, text) {
	const id = "3EB0" + crypto.randomBytes(9).toString("hex").toUpperCase();
	const remote = `${from_digits}@c.us`;
	return {
		id: { fromMe: false, remote, id, _serialized: `false_${remote}_${id}_in` },
		body: text,
		type: "chat",
		timestamp: Math.floor(Date.now() / 1000),
		from: remote,
		to: `${own_digits}@c.us`,
		fromMe: false,
		hasMedia: false,
		isForwarded: false,
		isStarred: false,
		isStatus: false,
		quotedMsgId: null,
	};
}

async function post_netelip_control(fields) {
	const url = `${env.api}/api/method/xappiens_whatsapp.api.netelip.control?token=${encodeURIComponent(env.netelip_token)}`;
	const response = await fetch(url, {
		method: "POST",
		body: new URLSearchParams(fields).toString(),
		headers: { "Content-Type": "application/x-www-form-urlencoded" },
	});
	return { status: response.status, body: await response.text() };
}

async function gateway(pathname, body) {
	const response = await fetch(`${env.gateway}${pathname}`, {
		method: body ? "POST" : "GET",
		body: body ? JSON.stringify(body) : undefined,
		headers: { "Content-Type": "application/json" },
	});
	return response.json();
}

// A small QR-looking PNG, different on every call, so a refreshed QR is visibly a new picture.
function qr_png_base64(size = 29, scale = 6) {
	const seed = crypto.randomBytes(size * size);
	const width = size * scale;
	const rows = [];
	for (let y = 0; y < width; y++) {
		const row = Buffer.alloc(width + 1);
		for (let x = 0; x < width; x++) {
			const dark = seed[Math.floor(y / scale) * size + Math.floor(x / scale)] & 1;
			row[x + 1] = dark ? 0 : 255;
		}
		rows.push(row);
	}
	const chunk = (tag, data) => {
		const len = Buffer.alloc(4);
		len.writeUInt32BE(data.length);
		const crc = Buffer.alloc(4);
		crc.writeUInt32BE(zlib.crc32(Buffer.concat([Buffer.from(tag), data])) >>> 0);
		return Buffer.concat([len, Buffer.from(tag), data, crc]);
	};
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(width, 4);
	header.writeUInt8(8, 8); // bit depth
	header.writeUInt8(0, 9); // greyscale
	const png = Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk("IHDR", header),
		chunk("IDAT", zlib.deflateSync(Buffer.concat(rows))),
		chunk("IEND", Buffer.alloc(0)),
	]);
	return png.toString("base64");
}

// Record the page's server calls (/api/method/...) from now on: { calls: [{method, verb}], stop() }.
function track_calls(page) {
	const calls = [];
	const listener = (request) => {
		const url = request.url();
		const at = url.indexOf("/api/method/");
		if (at >= 0) calls.push({ method: url.slice(at + 12).split("?")[0], verb: request.method() });
	};
	page.on("request", listener);
	return { calls, stop: () => page.off("request", listener), count: (method) => calls.filter((c) => c.method.endsWith(method)).length };
}

// Pretend the tab went to the background (or came back): what the page sees of document.hidden.
async function set_tab_hidden(page, hidden) {
	await page.evaluate((value) => {
		Object.defineProperty(document, "hidden", { configurable: true, get: () => value });
		Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (value ? "hidden" : "visible") });
		document.dispatchEvent(new Event("visibilitychange"));
	}, hidden);
}

function assert(condition, message) {
	if (!condition) throw new Error(message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = {
	env,
	launch,
	login,
	open_desk,
	set_route,
	screenshot,
	post_inbox_hub,
	message_received,
	post_netelip_control,
	gateway,
	qr_png_base64,
	track_calls,
	set_tab_hidden,
	assert,
	sleep,
};

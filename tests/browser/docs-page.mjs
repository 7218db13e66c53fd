// The docs page in a real browser: headless Chromium (Debian's /usr/bin/chromium)
// driven by playwright-core, pinned in package.json.
//
// Opens <CIVIC_BASE_URL>/docs, runs "Try it out" -> Execute on the plan
// (GET /v1/plans/{plan}, as the page pre-fills it) and, after entering
// CIVIC_ADMIN_KEY in the Authorize dialog, on the key list (GET /v1/keys),
// and checks that the page shows a 200 for each.  Every request the page
// makes is recorded: all must go to the service's own origin.
//
// Prints one line per request (method, URL, status) and one per operation;
// exits 0 when all holds, 1 with the reason otherwise.
//
//	CIVIC_BASE_URL		the service (default http://127.0.0.1:8899)
//	CIVIC_ADMIN_KEY		an admin key (required)
//	CIVIC_TEST_WAIT_S	how long any one step may take (default 30)

import { checkSameOrigin, launch, record } from "./record.mjs";

const base = (process.env.CIVIC_BASE_URL || "http://127.0.0.1:8899").replace(/\/+$/, "");
const origin = new URL(base).origin;
const adminKey = process.env.CIVIC_ADMIN_KEY || "";
const waitMs = 1000 * Number(process.env.CIVIC_TEST_WAIT_S || 30);

// The operations to try: operationId, and the path its request must have.
const OPERATIONS = [
	{ id: "getPlan", tag: "Plans", path: /^\/v1\/plans\/[^/]+$/, auth: false },
	{ id: "listKeys", tag: "Keys", path: /^\/v1\/keys$/, auth: true },
];

const failures = [];
const requests = [];		// { method, url, status, authorization }

function fail(msg) {
	failures.push(msg);
	console.log("FAIL " + msg);
}

const browser = await launch();

try {
	const context = await browser.newContext();
	context.setDefaultTimeout(waitMs);
	const page = await context.newPage();

	// Every request of the page and of any worker it starts.
	record(context, requests);
	// CSP violations and script errors show in the console.
	page.on("console", (m) => {
		if (m.type() === "error")
			console.log("console error: " + m.text());
	});
	page.on("pageerror", (e) => fail("script error in the page: " + e.message));

	const nav = await page.goto(base + "/docs");
	if (nav === null || nav.status() !== 200)
		fail("GET /docs: " + (nav ? nav.status() : "no response"));
	await page.locator(".swagger-ui .opblock-tag").first().waitFor();

	if (adminKey === "")
		fail("CIVIC_ADMIN_KEY is not set: cannot try the key list");
	else {
		// Authorize: the dialog's first scheme, bearerAuth (the second is
		// /metrics' scrape token).
		await page.locator(".swagger-ui .auth-wrapper button.authorize").click();
		const dialog = page.locator(".swagger-ui .modal-ux");
		await dialog.locator("input[type=text], input[type=password]").first().fill(adminKey);
		await dialog.locator("button.authorize").first().click();
		await dialog.locator("button.btn-done").first().click();
		await dialog.waitFor({ state: "detached" });
	}

	for (const op of OPERATIONS) {
		if (op.auth && adminKey === "")
			continue;
		// Tags are closed (docExpansion "none"): open the operation's.
		const block = page.locator(`.swagger-ui .opblock[id$="-${op.id}"]`);
		if (await block.count() === 0)
			await page.locator(`.swagger-ui h3.opblock-tag[data-tag="${op.tag}"]`).click();
		await block.locator(".opblock-summary-control").click();
		await block.locator("button.try-out__btn").click();
		const before = requests.length;
		await block.locator("button.execute").click();
		const status = block.locator(".live-responses-table .response .response-col_status");
		await status.first().waitFor();
		const shown = (await status.first().innerText()).trim();
		const sent = requests.slice(before).filter((r) =>
		    new URL(r.url).origin === origin && op.path.test(new URL(r.url).pathname));
		const url = sent.length ? sent[0].url : "(no request seen)";
		console.log(`operation ${op.id}: ${url} -> the page shows ${shown}`);
		if (!/^200\b/.test(shown)) {
			const body = await block.locator(".live-responses-table .response-col_description pre")
			    .first().innerText().catch(() => "");
			fail(`${op.id}: the page shows ${shown} for ${url}, not 200: ${body.slice(0, 400)}`);
		}
		if (sent.length !== 1)
			fail(`${op.id}: ${sent.length} requests to the operation's path, not 1`);
		else if (op.auth && sent[0].authorization !== "Bearer " + adminKey)
			fail(`${op.id}: the request did not carry the key entered in Authorize`);
	}

	await page.close();
	await context.close();
} catch (e) {
	fail("the page could not be driven: " + (e && e.message ? e.message.split("\n")[0] : e));
} finally {
	await browser.close();
}

checkSameOrigin(requests, origin, fail);

if (failures.length) {
	console.log(`docs page: ${failures.length} failure(s)`);
	process.exit(1);
}
console.log(`docs page: ${requests.length} requests, all to ${origin}; both operations 200`);

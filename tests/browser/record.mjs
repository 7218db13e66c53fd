// What the browser tests share: Debian's Chromium, headless, and a record
// of every request a page makes (and any worker it starts), which must all
// go to the service's own origin.

import { chromium } from "playwright-core";

// Debian's chromium (not a downloaded one), with nothing of its own on the
// network: its background requests would count as the page's.
export function launch() {
	return chromium.launch({
		executablePath: "/usr/bin/chromium",
		headless: true,
		args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		    "--disable-background-networking", "--disable-component-update",
		    "--disable-sync"],
	});
}

// Records into requests every request of context: { req, method, url,
// status, authorization }, status once answered (or "failed: ...").
export function record(context, requests) {
	context.on("request", (req) => {
		requests.push({ req, method: req.method(), url: req.url(), status: null,
		    authorization: req.headers()["authorization"] || null });
	});
	context.on("response", (res) => {
		const r = requests.find((x) => x.req === res.request());
		if (r)
			r.status = res.status();
	});
	context.on("requestfailed", (req) => {
		const r = requests.find((x) => x.req === req);
		if (r)
			r.status = "failed: " + (req.failure()?.errorText || "?");
	});
}

// Prints every request recorded, and fail()s each that left origin (data:
// and blob: URLs are the page's own), and an empty record.
export function checkSameOrigin(requests, origin, fail) {
	for (const r of requests)
		console.log(`request ${r.method} ${r.url} ${r.status}`);
	for (const r of requests) {
		const u = new URL(r.url);
		if (u.protocol === "data:" || u.protocol === "blob:")
			continue;
		if (u.origin !== origin)
			fail(`the page fetched from outside the service: ${r.method} ${r.url}`);
	}
	if (requests.length === 0)
		fail("no request was recorded");
}

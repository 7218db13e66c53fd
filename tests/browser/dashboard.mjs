// The dashboard in a real browser: headless Chromium (Debian's /usr/bin/chromium)
// driven by playwright-core, pinned in package.json.
//
// Opens <CIVIC_BASE_URL>/dashboard?survey=<CIVIC_DASHBOARD_SURVEY>&year=<year>,
// and checks that the numbers it shows are the API's: the plan's goals and
// objectives, the council's priorities of that year, the survey's responses,
// agreement share and n, and each objective's votes, share and rank (in the
// table and in the chart).  Then submits a response (CIVIC_PARTNER_KEY) and
// expects the page to show it within 2 s of the 201, and the numbers to be the
// API's again.  Every request the page makes is recorded: all must go to the
// service's own origin.  Then a screenshot of the page (CIVIC_DASHBOARD_PNG).
// Last, the same page in a browser without EventSource: it polls the tallies
// with If-None-Match, and shows the next submission too.
//
// Prints what it saw; exits 0 when all holds, 1 with the reasons otherwise.
//
//	CIVIC_BASE_URL		the service (default http://127.0.0.1:8899)
//	CIVIC_DASHBOARD_SURVEY	a survey with public results (required)
//	CIVIC_DASHBOARD_YEAR	the year of priorities to choose (default 2021)
//	CIVIC_PARTNER_KEY	a key that may submit to it (required)
//	CIVIC_DASHBOARD_PNG	where the screenshot goes (default var/dashboard.png)
//	CIVIC_TEST_WAIT_S	how long any one step may take (default 30)

import { chromium } from "playwright-core";

const base = (process.env.CIVIC_BASE_URL || "http://127.0.0.1:8899").replace(/\/+$/, "");
const origin = new URL(base).origin;
const survey = process.env.CIVIC_DASHBOARD_SURVEY || "";
const year = Number(process.env.CIVIC_DASHBOARD_YEAR || 2021);
const partnerKey = process.env.CIVIC_PARTNER_KEY || "";
const shot = process.env.CIVIC_DASHBOARD_PNG || "var/dashboard.png";
const waitMs = 1000 * Number(process.env.CIVIC_TEST_WAIT_S || 30);
const LIVE_MS = 2000;		// a submission shows within this

const failures = [];
const requests = [];

function fail(msg) {
	failures.push(msg);
	console.log("FAIL " + msg);
}

function same(what, shown, api) {
	const a = JSON.stringify(shown), b = JSON.stringify(api);
	if (a !== b)
		fail(`${what}: the page shows ${a}, the API says ${b}`);
}

async function api(path) {
	const r = await fetch(base + path, { headers: { Accept: "application/json" } });
	if (!r.ok)
		throw new Error(`GET ${path}: ${r.status}`);
	return r.json();
}

function percent(share) {
	return (Math.round(share * 1000) / 10).toFixed(1) + "%";
}

// What the page shows, read from its text (tables, lists, the chart).
async function shown(page) {
	return page.evaluate(() => {
		const text = (n) => (n ? n.textContent.trim() : null);
		const out = {
			title: text(document.getElementById("plan-title")),
			goals: [...document.querySelectorAll("#goals > li")].map((li) => ({
				id: li.dataset.goal, title: text(li.querySelector("h3")),
				objectives: [...li.querySelectorAll("li")].map((o) => [o.dataset.objective, text(o)]),
			})),
			priorities: [...document.querySelectorAll("#priorities li")].map((li) =>
			    [Number(li.dataset.rank), li.dataset.objective, text(li.querySelector(".title"))]),
			total: text(document.getElementById("responses-total")),
			agreement: [...document.querySelectorAll(".agreement")].map((a) => ({
				question: a.dataset.question, share: text(a.querySelector(".agree-share")),
				count: text(a.querySelector(".agree-count")), n: text(a.querySelector(".agree-n")),
				levels: Object.fromEntries([...a.querySelectorAll("tr[data-level]")].map((tr) =>
				    [tr.dataset.level, Number(text(tr.querySelector(".count")))])),
			})),
			objectives: [...document.querySelectorAll("table.votes tbody tr")].map((tr) => ({
				id: tr.dataset.objective, rank: Number(text(tr.querySelector(".rank"))),
				votes: Number(text(tr.querySelector(".votes"))), share: text(tr.querySelector(".share")),
			})),
			bars: Object.fromEntries([...document.querySelectorAll("svg.chart g")].map((g) =>
			    [g.dataset.objective, text(g.querySelector(".value"))])),
		};
		return out;
	});
}

// The page's numbers against the API's now.
async function compare(page, label) {
	const [plan, prios, tallies] = await Promise.all([api("/v1/plans/current"),
	    api(`/v1/plans/current/priorities/${year}`), api(`/v1/surveys/${survey}/tallies`)]);
	const s = await shown(page);
	same(`${label}: plan title`, s.title, plan.name + ": " + plan.title);
	same(`${label}: goals and objectives`, s.goals, plan.goals.map((g) => ({
		id: g.id, title: g.title, objectives: g.objectives.map((o) => [o.id, o.title]) })));
	same(`${label}: priorities of ${year}`, s.priorities,
	    prios.items.map((p) => [p.rank, p.objective.id, p.objective.title]));
	same(`${label}: responses`, s.total, tallies.total === 1 ? "1 response counted." :
	    `${tallies.total} responses counted.`);
	const agreement = tallies.questions.filter((q) => q.type === "agreement");
	same(`${label}: agreement`, s.agreement, agreement.map((q) => ({
		question: q.id, share: percent(q.agree.share),
		count: `${q.agree.numerator} of ${q.agree.denominator}`, n: String(q.agree.denominator),
		levels: Object.fromEntries(["strongly_agree", "agree", "neutral", "disagree",
		    "strongly_disagree"].map((l) => [l, q.counts[l]])) })));
	const objectives = tallies.questions.filter((q) => q.type === "objectives")
	    .flatMap((q) => q.objectives);
	const sorted = (xs) => [...xs].sort((a, b) => a.id.localeCompare(b.id));
	same(`${label}: objectives' votes, shares and ranks`, sorted(s.objectives),
	    sorted(objectives.map((o) => ({ id: o.id, rank: o.rank, votes: o.votes,
	    share: percent(o.share.share) }))));
	same(`${label}: the chart's bars`, s.bars, Object.fromEntries(objectives.map((o) =>
	    [o.id, `${o.votes === 1 ? "1 vote" : o.votes + " votes"}, ${percent(o.share.share)}`])));
	console.log(`${label}: ${tallies.total} responses, ${objectives.length} objectives, ` +
	    `${s.priorities.length} priorities compared`);
	return tallies;
}

if (!survey || !partnerKey) {
	console.log("CIVIC_DASHBOARD_SURVEY and CIVIC_PARTNER_KEY are required");
	process.exit(1);
}

const browser = await chromium.launch({
	executablePath: "/usr/bin/chromium",
	headless: true,
	args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	    "--disable-background-networking", "--disable-component-update",
	    "--disable-sync"],
});

try {
	const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
	context.setDefaultTimeout(waitMs);
	const page = await context.newPage();

	context.on("request", (req) => requests.push({ req, method: req.method(), url: req.url(),
	    status: null }));
	context.on("response", (res) => {
		const r = requests.find((x) => x.req === res.request());
		if (r)
			r.status = res.status();
	});
	page.on("console", (m) => {
		if (m.type() === "error")
			console.log("console error: " + m.text());
	});
	page.on("pageerror", (e) => fail("script error in the page: " + e.message));

	const nav = await page.goto(`${base}/dashboard?survey=${encodeURIComponent(survey)}&year=${year}`);
	if (nav === null || nav.status() !== 200)
		fail("GET /dashboard: " + (nav ? nav.status() : "no response"));
	await page.locator("#responses-total[data-total]").waitFor();
	await page.locator("#priorities li").first().waitFor();
	await page.locator("#live-state", { hasText: "live" }).waitFor();
	const before = await compare(page, "on load");

	// A submission: on the page within LIVE_MS of its 201.
	const body = {
		external_id: "dashboard-" + Date.now(),
		answers: { agree: "strongly_agree", top: before.questions.find((q) =>
		    q.type === "objectives").objectives.slice(-2).map((o) => o.id) },
	};
	const sent = await fetch(`${base}/v1/surveys/${survey}/responses`, {
		method: "POST", body: JSON.stringify(body),
		headers: { "Content-Type": "application/json", Authorization: "Bearer " + partnerKey },
	});
	const stored = Date.now();
	if (sent.status !== 201)
		fail(`the submission answered ${sent.status}: ${await sent.text()}`);
	const want = String(before.total + 1);
	await page.waitForFunction((n) => document.getElementById("responses-total")
	    .dataset.total === n, want, { timeout: waitMs, polling: 20 });
	const took = Date.now() - stored;
	console.log(`the submission showed on the page ${took} ms after its 201`);
	if (took > LIVE_MS)
		fail(`the submission showed ${took} ms after its 201, not within ${LIVE_MS} ms`);
	await compare(page, "after the submission");

	await page.screenshot({ path: shot, fullPage: true });
	console.log(`screenshot: ${shot}`);
	await page.close();

	// A browser without EventSource: the page polls the tallies with
	// If-None-Match (304s while unchanged) and shows the next submission.
	const polling = await context.newPage();
	await polling.addInitScript(() => { delete window.EventSource; });
	polling.on("pageerror", (e) => fail("script error in the polling page: " + e.message));
	await polling.goto(`${base}/dashboard?survey=${encodeURIComponent(survey)}&year=${year}`);
	await polling.locator("#responses-total[data-total]").waitFor();
	await polling.locator("#live-state", { hasText: "checked every" }).waitFor();
	const polled = Number(await polling.locator("#responses-total").getAttribute("data-total"));
	const again = await fetch(`${base}/v1/surveys/${survey}/responses`, {
		method: "POST", body: JSON.stringify({ external_id: "dashboard-poll-" + Date.now(),
		    answers: { agree: "disagree", top: body.answers.top } }),
		headers: { "Content-Type": "application/json", Authorization: "Bearer " + partnerKey },
	});
	if (again.status !== 201)
		fail(`the second submission answered ${again.status}`);
	await polling.waitForFunction((n) => document.getElementById("responses-total")
	    .dataset.total === n, String(polled + 1), { timeout: waitMs, polling: 50 });
	await compare(polling, "polling, after a submission");
	const polls = requests.filter((r) => new URL(r.url).pathname ===
	    `/v1/surveys/${survey}/tallies` && r.req.headers()["if-none-match"]);
	console.log(`polling: ${polls.length} polls with If-None-Match, ` +
	    `${polls.filter((r) => r.status === 304).length} answered 304`);
	if (polls.length === 0)
		fail("the page without EventSource never polled with If-None-Match");
	if (requests.some((r) => new URL(r.url).pathname.endsWith("/tallies/stream") &&
	    r.req.frame().page() === polling))
		fail("the page without EventSource opened the stream");
	await polling.close();
	await context.close();
} catch (e) {
	fail("the page could not be driven: " + (e && e.message ? e.message.split("\n")[0] : e));
} finally {
	await browser.close();
}

for (const r of requests)
	console.log(`request ${r.method} ${r.url} ${r.status}`);
for (const r of requests) {
	const u = new URL(r.url);
	if (u.protocol === "data:" || u.protocol === "blob:")
		continue;
	if (u.origin !== origin)
		fail(`the page fetched from outside the service: ${r.method} ${r.url}`);
}
if (!requests.some((r) => new URL(r.url).pathname.endsWith("/tallies/stream")))
	fail("the page never opened the tallies' stream");

if (failures.length) {
	console.log(`dashboard: ${failures.length} failure(s)`);
	process.exit(1);
}
console.log(`dashboard: ${requests.length} requests, all to ${origin}; numbers equal the API's`);

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
// Then the same page in a browser without EventSource: it polls the tallies
// with If-None-Match, and shows the next submission too.
//
// The seed plan has no measures: the page must say so.  Last, progress: the
// test makes a plan of its own (CIVIC_ADMIN_KEY), every title marked as made
// up, with priorities, an initiative, an indicator with value targets,
// observations and a correction, a range indicator with an override, and a
// monthly one with more observations (imported as CSV) than its table lists;
// opens its dashboard and expects each priority's initiatives and indicators
// to be the API's (the roll-up's statuses, scores and progress; each
// initiative's lead, progress and reported status; each indicator's computed
// status, override, rule, latest observations and targets), with one chart
// mark per observation in force and one per target in force.  A new observation must
// then show by the page's polling (If-None-Match).
//
// Prints what it saw; exits 0 when all holds, 1 with the reasons otherwise.
//
//	CIVIC_BASE_URL		the service (default http://127.0.0.1:8899)
//	CIVIC_DASHBOARD_SURVEY	a survey with public results (required)
//	CIVIC_DASHBOARD_YEAR	the year of priorities to choose (default 2021)
//	CIVIC_PARTNER_KEY	a key that may submit to it (required)
//	CIVIC_ADMIN_KEY		an admin key, for the progress plan (required)
//	CIVIC_DASHBOARD_PNG	where the screenshot goes (default var/dashboard.png)
//	CIVIC_DASHBOARD_PROGRESS_PNG	where a screenshot of the progress plan's page
//				goes (default: none is taken)
//	CIVIC_TEST_WAIT_S	how long any one step may take (default 30)

import { checkSameOrigin, launch, record } from "./record.mjs";

const base = (process.env.CIVIC_BASE_URL || "http://127.0.0.1:8899").replace(/\/+$/, "");
const origin = new URL(base).origin;
const survey = process.env.CIVIC_DASHBOARD_SURVEY || "";
const year = Number(process.env.CIVIC_DASHBOARD_YEAR || 2021);
const partnerKey = process.env.CIVIC_PARTNER_KEY || "";
const adminKey = process.env.CIVIC_ADMIN_KEY || "";
const shot = process.env.CIVIC_DASHBOARD_PNG || "var/dashboard.png";
const progressShot = process.env.CIVIC_DASHBOARD_PROGRESS_PNG || "";
const waitMs = 1000 * Number(process.env.CIVIC_TEST_WAIT_S || 30);
const LIVE_MS = 2000;		// a submission shows within this
const PROGRESS_YEAR = 2025;	// the year of the test plan's priorities
const TABLE_ROWS = 24;		// an indicator's table lists its latest observations

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
				id: li.dataset.goal, title: text(li.querySelector("h3 .goal-title")),
				objectives: [...li.querySelectorAll("li")].map((o) => [o.dataset.objective,
				    text(o.querySelector(".objective-title"))]),
			})),
			priorities: [...document.querySelectorAll("#priorities > li")].map((li) =>
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
	const [plan, prios] = await Promise.all([api("/v1/plans/current"),
	    api(`/v1/plans/current/priorities/${year}`)]);
	// A worker answers public tallies from its memory, refreshed every
	// 250 ms (src/tallies.c); the page, fed by the stream of the worker that
	// stored the submission, may be that much ahead: the API's tallies are
	// read again until they count what the page counts, up to waitMs.
	const total = Number(await page.locator("#responses-total").getAttribute("data-total"));
	let tallies = await api(`/v1/surveys/${survey}/tallies`);
	for (const end = Date.now() + waitMs; tallies.total !== total && Date.now() < end;) {
		await new Promise((r) => setTimeout(r, 50));
		tallies = await api(`/v1/surveys/${survey}/tallies`);
	}
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

// --- progress: a plan of the test's own, with made-up measures ----------------------

// An API write with the admin key: the answer's body, or a failure thrown.
async function write(method, path, body, want) {
	const r = await fetch(base + path, {
		method, body: JSON.stringify(body),
		headers: { "Content-Type": "application/json", Authorization: "Bearer " + adminKey },
	});
	if (r.status !== want)
		throw new Error(`${method} ${path}: ${r.status} ${(await r.text()).slice(0, 300)}`);
	return r.status === 204 ? null : r.json();
}

// A plan of its own (adopted long ago, so that `current` stays the seed plan),
// with priorities for PROGRESS_YEAR, an initiative with milestones and an
// update, an indicator with value targets, observations and a correction,
// and a range indicator with an override.  Every title says it is made up.
async function makeProgressPlan() {
	const plan = "dashboard-test-" + Math.random().toString(16).slice(2, 10);
	const P = `/v1/plans/${plan}`;
	await write("POST", "/v1/plans", { id: plan, title: "Dashboard test plan (made up)",
	    city: "Test City", name: "Dashboard test" }, 201);
	await write("POST", `${P}/goals`, { id: "safety", title: "Safety (test, made up)" }, 201);
	for (const o of ["faster-response", "cleaner-streets", "no-measures"])
		await write("POST", `${P}/objectives`, { id: o, goal: "safety",
		    title: `${o.replace(/-/g, " ")} (test, made up)` }, 201);
	await write("PATCH", P, { status: "adopted", adopted_on: "2001-01-01" }, 200);
	await write("PUT", `${P}/priorities/${PROGRESS_YEAR}`, { decided_on: `${PROGRESS_YEAR}-01-20`,
	    decided_by: "Test council (made up)",
	    objectives: ["faster-response", "cleaner-streets", "no-measures"] }, 201);
	await write("POST", `${P}/initiatives`, { id: "test-lights",
	    title: "Test initiative (made up): replace street lights", objectives: ["cleaner-streets"],
	    priorities: [PROGRESS_YEAR], lead_department: "Test Department (made up)",
	    progress_method: "milestones", milestones: [
		{ title: "Contract", due: "2025-03-31", completed_on: "2025-03-15" },
		{ title: "Lights replaced", due: "2025-12-31" },
		{ title: "Review", due: "2026-03-31" }] }, 201);
	await write("POST", `${P}/initiatives/test-lights/updates`, { date: "2025-06-30",
	    reported_status: "at_risk", text: "Test update (made up).", author: "Test author" }, 201);
	await write("POST", `${P}/indicators`, { id: "test-calls", code: "T-CALLS",
	    title: "Test measure (made up): calls answered", objective: "faster-response",
	    direction: "increase", unit: { code: "{calls}", label: "calls" } }, 201);
	for (const [year, value] of [[2024, 100], [2025, 120]])
		await write("POST", `${P}/indicators/test-calls/targets`, { value,
		    period: { start: `${year}-01-01`, end: `${year}-12-31` } }, 201);
	await write("POST", `${P}/indicators/test-calls/observations`, { value: 105,
	    quality: "final", period: { start: "2024-01-01", end: "2024-12-31" } }, 201);
	const first = await write("POST", `${P}/indicators/test-calls/observations`, { value: 110,
	    quality: "provisional", period: { start: "2025-01-01", end: "2025-12-31" } }, 201);
	await write("POST", `${P}/indicators/test-calls/observations`, { value: 117.5,
	    quality: "revised", supersedes: first.id,
	    period: { start: "2025-01-01", end: "2025-12-31" } }, 201);
	await write("POST", `${P}/indicators`, { id: "test-litter", code: "T-LITTER",
	    title: "Test measure (made up): litter reports", objective: "cleaner-streets",
	    direction: "range", unit: { code: "{reports}", label: "reports" } }, 201);
	await write("POST", `${P}/indicators/test-litter/targets`, { min: 10, max: 20,
	    period: { start: "2025-01-01", end: "2025-12-31" } }, 201);
	for (const [year, value, quality] of [[2024, 25, "final"], [2025, 15, "provisional"]])
		await write("POST", `${P}/indicators/test-litter/observations`, { value, quality,
		    period: { start: `${year}-01-01`, end: `${year}-12-31` } }, 201);
	await write("POST", `${P}/indicators/test-litter/overrides`, { status: "at_risk",
	    reason: "Test override (made up): a district did not report." }, 201);
	// A monthly one with more observations than its table lists, imported as CSV.
	await write("POST", `${P}/indicators`, { id: "test-monthly", code: "T-MONTHLY",
	    title: "Test measure (made up): potholes filled a month", objective: "cleaner-streets",
	    direction: "increase", unit: { code: "{potholes}", label: "potholes" } }, 201);
	await write("POST", `${P}/indicators/test-monthly/targets`, { value: 40,
	    period: { start: "2023-01-01", end: "2025-12-31" } }, 201);
	const rows = ["indicator,period_start,period_end,value,quality,source_uri,note,supersedes"];
	for (let m = 0; m < TABLE_ROWS + 6; m++) {
		const y = 2023 + Math.floor(m / 12), mm = String(m % 12 + 1).padStart(2, "0");
		const end = new Date(Date.UTC(y, m % 12 + 1, 0)).toISOString().slice(0, 10);
		rows.push(`test-monthly,${y}-${mm}-01,${end},${30 + (m * 7) % 17},final,,,`);
	}
	const imp = await fetch(`${base}${P}/imports`, { method: "POST", body: rows.join("\r\n") + "\r\n",
	    headers: { "Content-Type": "text/csv", Authorization: "Bearer " + adminKey } });
	if (imp.status !== 201)
		throw new Error(`POST ${P}/imports: ${imp.status} ${(await imp.text()).slice(0, 300)}`);
	return plan;
}

// What the page shows of the progress, read from its text, tables and charts.
async function shownProgress(page) {
	return page.evaluate(() => {
		const text = (n) => (n ? n.textContent.trim() : null);
		const rollup = (n) => (n ? { status: n.dataset.status,
		    badge: text(n.querySelector(".rollup-status")),
		    score: n.dataset.score, progress: n.dataset.progress } : null);
		return {
			empty: document.getElementById("progress-empty") !== null,
			plan: rollup(document.getElementById("plan-progress")),
			goals: [...document.querySelectorAll("#goals > li")].map((li) => [li.dataset.goal,
			    li.querySelector("h3 .rollup-badge")?.dataset.status ?? null,
			    [...li.querySelectorAll("li[data-objective]")].map((o) => [o.dataset.objective,
			    o.querySelector(".rollup-badge")?.dataset.status ?? null])]),
			priorities: [...document.querySelectorAll("#priorities > li")].map((li) => ({
				objective: li.dataset.objective,
				rollup: rollup(li.querySelector(".objective-progress")),
				empty: li.querySelector(".progress > .empty") !== null,
				initiatives: [...li.querySelectorAll(".initiative")].map((i) => ({
					id: i.dataset.initiative, title: text(i.querySelector(".initiative-title")),
					lead: text(i.querySelector(".lead")),
					percent: i.querySelector(".percent").dataset.percent,
					percentText: text(i.querySelector(".percent")),
					status: i.querySelector(".reported-status").dataset.status,
				})),
				indicators: [...li.querySelectorAll(".indicator")].map((d) => ({
					id: d.dataset.indicator,
					computed: [d.querySelector(".computed").dataset.status,
					    text(d.querySelector(".computed"))],
					override: d.querySelector(".override") ? [
					    d.querySelector(".override").dataset.status,
					    text(d.querySelector(".override"))] : null,
					rule: [d.querySelector(".rule").dataset.rule,
					    Number(d.querySelector(".rule").dataset.version)],
					total: Number(d.querySelector("table.observations").dataset.total),
					observations: [...d.querySelectorAll("table.observations tbody tr[data-observation]")]
					    .map((tr) => [Number(tr.dataset.observation), tr.dataset.inForce === "true",
					    text(tr.querySelector(".period")), text(tr.querySelector(".value")),
					    text(tr.querySelector(".quality"))]),
					targets: [...d.querySelectorAll("table.targets tbody tr[data-target]")]
					    .map((tr) => [Number(tr.dataset.target), tr.dataset.inForce === "true",
					    text(tr.querySelector(".target"))]),
					marks: [...d.querySelectorAll("svg.spark [data-observation]")].map((m) =>
					    [Number(m.dataset.observation), m.dataset.quality]),
					targetMarks: [...d.querySelectorAll("svg.spark [data-target]")].map((m) =>
					    Number(m.dataset.target)),
				})),
			})),
		};
	});
}

const STATUS = { on_track: "On track", at_risk: "At risk", off_track: "Off track",
    no_data: "No data", not_due: "Not due", completed: "Completed", not_started: "Not started" };

function period(p) {
	return p.start === p.end ? p.start : `${p.start} to ${p.end}`;
}

function rollupOf(r) {
	return { status: r.status, badge: STATUS[r.status], score: r.score === null ? "" : String(r.score),
	    progress: r.progress === null ? "" : String(r.progress) };
}

// The page's progress against the API's now: the roll-up, each priority's
// initiatives and indicators, their statuses, numbers and chart marks.
// Returns how many observation marks the page shows (marks) and what was
// compared, in words (seen).
async function compareProgress(page, plan, label, faults) {
	const eq = (what, shown, want) => {
		const x = JSON.stringify(shown), y = JSON.stringify(want);
		if (x !== y)
			faults.push(`${what}: the page shows ${x}, the API says ${y}`);
	};
	const P = `/v1/plans/${plan}`;
	const [roll, prios, inds, inis] = await Promise.all([api(`${P}/progress`),
	    api(`${P}/priorities/${PROGRESS_YEAR}`), api(`${P}/indicators?limit=200`),
	    api(`${P}/initiatives?limit=200`)]);
	const docs = Object.fromEntries(await Promise.all(inds.items.map(async (i) =>
	    [i.id, await api(`${P}/indicators/${i.id}`)])));
	const iniDocs = await Promise.all(inis.items.map((i) => api(`${P}/initiatives/${i.id}`)));
	const objectives = Object.fromEntries(roll.goals.flatMap((g) => g.objectives).map((o) => [o.id, o]));
	const s = await shownProgress(page);
	eq(`${label}: no empty state`, s.empty, false);
	eq(`${label}: the plan's roll-up`, s.plan, rollupOf(roll));
	eq(`${label}: the goals' and objectives' statuses`, s.goals, roll.goals.map((g) =>
	    [g.id, g.status, g.objectives.map((o) => [o.id, o.status])]));
	eq(`${label}: the priorities`, s.priorities.map((p) => p.objective),
	    prios.items.map((p) => p.objective.id));
	let marks = 0;
	for (const p of s.priorities) {
		const o = objectives[p.objective];
		eq(`${label}: ${p.objective}'s roll-up`, p.rollup, rollupOf(o));
		const wantInis = iniDocs.filter((d) => (d.objectives || []).includes(p.objective) &&
		    (!d.priorities || !d.priorities.length || d.priorities.includes(PROGRESS_YEAR)));
		eq(`${label}: ${p.objective}'s initiatives`, p.initiatives, wantInis.map((d) => {
			const reported = d.updates.filter((u) => u.reported_status).pop();
			return { id: d.id, title: d.title, lead: d.lead_department || "not named",
			    percent: d.progress.percent === null ? "" : String(d.progress.percent),
			    percentText: d.progress.percent === null ? "No progress reported" :
			    `${d.progress.percent}% done`, status: reported ? reported.reported_status : "" };
		}));
		for (const i of p.initiatives) {
			const share = o.initiatives.find((x) => x.id === i.id);
			eq(`${label}: ${i.id}'s progress in the roll-up`, i.percent,
			    share && share.progress !== null ? String(share.progress) : "");
		}
		const wantInds = inds.items.filter((i) => i.objective === p.objective).map((i) => docs[i.id]);
		eq(`${label}: ${p.objective}'s indicators`, p.indicators.map((i) => i.id),
		    wantInds.map((d) => d.id));
		for (const [shown, d] of p.indicators.map((x, k) => [x, wantInds[k]]).filter((x) => x[1])) {
			eq(`${label}: ${d.id}'s computed status`, shown.computed,
			    [d.computed.status, STATUS[d.computed.status]]);
			eq(`${label}: ${d.id}'s override`, shown.override, d.override ?
			    [d.override.status, STATUS[d.override.status]] : null);
			eq(`${label}: ${d.id}'s status in the roll-up`, o.indicators.find((x) =>
			    x.id === d.id).status, d.override ? d.override.status : d.computed.status);
			eq(`${label}: ${d.id}'s rule`, shown.rule, [d.computed.rule.id, d.computed.rule.version]);
			eq(`${label}: ${d.id}'s observations`, [shown.total, shown.observations],
			    [d.observations.length, d.observations.slice(-TABLE_ROWS).map((x) =>
			    [x.id, x.in_force, period(x.period), String(x.value), x.quality])]);
			eq(`${label}: ${d.id}'s targets`, shown.targets, d.targets.map((t) => [t.id, t.in_force,
			    t.value !== null ? String(t.value) : t.min !== null && t.max !== null ?
			    `${t.min} to ${t.max}` : t.min !== null ? `at least ${t.min}` : `at most ${t.max}`]));
			// One mark per observation in force; corrected ones are in the table only.
			const sortedIds = (xs) => xs.map((x) => x[0]).sort((a, b) => a - b);
			eq(`${label}: ${d.id}'s chart marks`, sortedIds(shown.marks),
			    sortedIds(d.observations.filter((x) => x.in_force).map((x) => [x.id])));
			eq(`${label}: ${d.id}'s marks' quality`, shown.marks.map((m) => m[1]).sort(),
			    d.observations.filter((x) => x.in_force).map((x) => x.quality).sort());
			eq(`${label}: ${d.id}'s target marks`, shown.targetMarks.sort((a, b) => a - b),
			    d.targets.filter((t) => t.in_force).map((t) => t.id).sort((a, b) => a - b));
			marks += shown.marks.length;
		}
		if (!wantInis.length && !wantInds.length)
			eq(`${label}: ${p.objective} says it has none`, p.empty, true);
	}
	return { marks, seen: `${label}: plan ${roll.status} (score ${roll.score}, progress ` +
	    `${roll.progress}), ${inds.items.length} indicators, ${inis.items.length} initiatives, ` +
	    `${marks} observation marks compared` };
}

// Polls check(faults) until it finds none, up to waitMs; then its last
// faults are failures.  Returns check's last answer.
async function settled(check) {
	const deadline = Date.now() + waitMs;
	for (;;) {
		const faults = [];
		const out = await check(faults);
		if (!faults.length)
			return out;
		if (Date.now() > deadline) {
			faults.forEach(fail);
			return out;
		}
		await new Promise((r) => setTimeout(r, 250));
	}
}

if (!survey || !partnerKey || !adminKey) {
	console.log("CIVIC_DASHBOARD_SURVEY, CIVIC_PARTNER_KEY and CIVIC_ADMIN_KEY are required");
	process.exit(1);
}

const browser = await launch();

try {
	const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
	context.setDefaultTimeout(waitMs);
	const page = await context.newPage();

	record(context, requests);
	page.on("console", (m) => {
		if (m.type() === "error")
			console.log("console error: " + m.text());
	});
	page.on("pageerror", (e) => fail("script error in the page: " + e.message));

	const nav = await page.goto(`${base}/dashboard?survey=${encodeURIComponent(survey)}&year=${year}`);
	if (nav === null || nav.status() !== 200)
		fail("GET /dashboard: " + (nav ? nav.status() : "no response"));
	await page.locator("#responses-total[data-total]").waitFor();
	await page.locator("#priorities > li").first().waitFor();
	await page.locator("#live-state", { hasText: "live" }).waitFor();
	const before = await compare(page, "on load");

	// The seed plan has no measures: the page says so.
	const [seedInds, seedInis] = await Promise.all([api("/v1/plans/current/indicators"),
	    api("/v1/plans/current/initiatives")]);
	if (seedInds.items.length || seedInis.items.length) {
		fail("the current (seed) plan has measures: it ships without any");
	} else {
		await page.locator("#progress-empty", { hasText: "No initiatives or indicators have " +
		    "been published" }).waitFor();
		if (await page.locator("#plan-progress, #priorities .progress, #goals .rollup-badge")
		    .count() !== 0)
			fail("the seed plan's page shows progress it does not have");
		console.log("on load: the seed plan shows that it has no initiatives or indicators yet");
	}

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

	// Progress: a plan of the test's own with made-up measures.  The page's
	// statuses, numbers and chart marks must be the API's; a new observation
	// shows by the page's polling (If-None-Match).
	const plan = await makeProgressPlan();
	const prog = await context.newPage();
	prog.on("pageerror", (e) => fail("script error in the progress page: " + e.message));
	await prog.goto(`${base}/dashboard?plan=${plan}&year=${PROGRESS_YEAR}`);
	await prog.locator("#plan-progress").waitFor();
	const loaded = await settled((f) => compareProgress(prog, plan, "progress, on load", f));
	console.log(loaded.seen);
	if (progressShot) {
		await prog.screenshot({ path: progressShot, fullPage: true });
		console.log(`screenshot: ${progressShot}`);
	}
	await write("POST", `/v1/plans/${plan}/indicators/test-calls/observations`, { value: 125,
	    quality: "final", period: { start: "2026-01-01", end: "2026-06-30" } }, 201);
	const added = await settled(async (f) => {
		const now = await compareProgress(prog, plan, "progress, after an observation", f);
		if (now.marks !== loaded.marks + 1)
			f.push(`the page shows ${now.marks} observation marks, not ${loaded.marks + 1}`);
		return now;
	});
	console.log(added.seen);
	const progressPolls = requests.filter((r) => new URL(r.url).pathname ===
	    `/v1/plans/${plan}/progress` && r.req.headers()["if-none-match"]);
	console.log(`progress: ${progressPolls.length} polls of the roll-up with If-None-Match, ` +
	    `${progressPolls.filter((r) => r.status === 304).length} answered 304`);
	if (progressPolls.length === 0)
		fail("the page never polled the roll-up with If-None-Match");
	await prog.close();
	await context.close();
} catch (e) {
	fail("the page could not be driven: " + (e && e.message ? e.message.split("\n")[0] : e));
} finally {
	await browser.close();
}

checkSameOrigin(requests, origin, fail);
if (!requests.some((r) => new URL(r.url).pathname.endsWith("/tallies/stream")))
	fail("the page never opened the tallies' stream");

if (failures.length) {
	console.log(`dashboard: ${failures.length} failure(s)`);
	process.exit(1);
}
console.log(`dashboard: ${requests.length} requests, all to ${origin}; numbers equal the API's`);

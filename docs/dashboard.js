/*
 * The dashboard: the current plan, the council's priorities of a chosen
 * year, and a survey's results, live.  Everything comes from this
 * server's API (relative URLs): the page works wherever it is served, and
 * fetches nothing from elsewhere.
 *
 * The query string chooses: ?plan=<id> (default: the current plan),
 * &year=<year> (default: the latest with priorities), &survey=<id>
 * (default: the plan's first survey whose results are public).
 *
 * Live: the tallies' event stream (EventSource, which reconnects by
 * itself with the last event's id); when the browser has no EventSource,
 * or the stream is refused, the tallies are polled every POLL_MS with
 * If-None-Match (a 304 costs nothing).
 */
"use strict";

(function () {
  var POLL_MS = 5000;
  var LEVELS = [["strongly_agree", "Strongly agree"], ["agree", "Agree"],
    ["neutral", "Neutral"], ["disagree", "Disagree"],
    ["strongly_disagree", "Strongly disagree"]];
  var SVG = "http://www.w3.org/2000/svg";

  var params = new URLSearchParams(window.location.search);
  var state = { plan: null, objectives: {}, survey: null, etag: null,
    source: null, timer: null };

  function $(id) { return document.getElementById(id); }

  function el(name, attrs, text) {
    var e = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function getJSON(path) {
    return fetch(path, { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) {
        var err = new Error(path + ": " + r.status);
        err.status = r.status;
        throw err;
      }
      return r.json();
    });
  }

  /* Every page of a collection (bounded). */
  function getAll(path) {
    var items = [];
    function page(url, left) {
      return getJSON(url).then(function (body) {
        items = items.concat(body.items);
        if (body.next && left > 0) return page(body.next, left - 1);
        return items;
      });
    }
    return page(path, 50);
  }

  function votes(n) {
    return n === 1 ? "1 vote" : n + " votes";
  }

  /* A share (0..1) as a percentage with one decimal. */
  function percent(share) {
    return (Math.round(share * 1000) / 10).toFixed(1) + "%";
  }

  function fail(what, err) {
    var p = $("load-error");
    p.hidden = false;
    p.textContent = "Could not load " + what + " (" + err.message + ").";
  }

  /* --- the plan ----------------------------------------------------------------------- */

  function showPlan(plan) {
    state.plan = plan;
    document.title = plan.name + ": " + plan.title;
    $("city").textContent = plan.city;
    $("plan-title").textContent = plan.name + ": " + plan.title;
    $("plan-mission").textContent = plan.mission || "";
    var goals = clear($("goals"));
    plan.goals.forEach(function (g) {
      var li = el("li", { "data-goal": g.id });
      li.appendChild(el("h3", {}, g.title));
      if (g.statement) li.appendChild(el("p", {}, g.statement));
      var ul = el("ul");
      g.objectives.forEach(function (o) {
        state.objectives[o.id] = o.title;
        ul.appendChild(el("li", { "data-objective": o.id }, o.title));
      });
      li.appendChild(ul);
      goals.appendChild(li);
    });
  }

  /* --- priorities --------------------------------------------------------------------- */

  function showPriorities(items) {
    var years = [];
    items.forEach(function (p) { if (years.indexOf(p.year) < 0) years.push(p.year); });
    years.sort(function (a, b) { return b - a; });
    var select = clear($("year"));
    if (!years.length) {
      $("priorities-note").textContent = "The council has set no priorities for this plan yet.";
      $("year-form").hidden = true;
      return;
    }
    var wanted = parseInt(params.get("year"), 10);
    var year = years.indexOf(wanted) >= 0 ? wanted : years[0];
    years.forEach(function (y) {
      var o = el("option", { value: String(y) }, y);
      if (y === year) o.selected = true;
      select.appendChild(o);
    });
    function render() {
      var y = parseInt(select.value, 10);
      var list = clear($("priorities"));
      var chosen = items.filter(function (p) { return p.year === y; })
        .sort(function (a, b) { return a.rank - b.rank; });
      chosen.forEach(function (p) {
        var li = el("li", { "data-objective": p.objective.id, "data-rank": p.rank });
        li.appendChild(el("span", { "class": "title" }, p.objective.title));
        li.appendChild(el("span", { "class": "goal" }, " (" + p.goal.title + ")"));
        list.appendChild(li);
      });
      var first = chosen[0];
      $("priorities-note").textContent = first ? "Decided by " + first.decided_by + " on " +
        first.decided_on + "." : "";
    }
    select.addEventListener("change", render);
    render();
  }

  /* --- surveys ------------------------------------------------------------------------ */

  function isPublic(s) {
    if (s.results_visibility === "public") return true;
    if (s.results_visibility !== "after_close") return false;
    return s.status === "closed" || Date.parse(s.closes_at) <= Date.now();
  }

  function showSurveys(surveys) {
    var mine = surveys.filter(function (s) { return s.plan === state.plan.id; });
    var select = clear($("survey"));
    if (!mine.length) {
      $("results-status").textContent = "This plan has no survey yet.";
      $("survey-form").hidden = true;
      return;
    }
    var wanted = params.get("survey");
    var chosen = mine.filter(function (s) { return s.id === wanted; })[0] ||
      mine.filter(isPublic)[0] || mine[0];
    mine.forEach(function (s) {
      var o = el("option", { value: s.id }, s.title);
      if (s === chosen) o.selected = true;
      select.appendChild(o);
    });
    select.addEventListener("change", function () { openSurvey(select.value); });
    openSurvey(chosen.id);
  }

  function openSurvey(id) {
    stopLive();
    state.etag = null;
    $("results-body").hidden = true;
    $("results-hidden").hidden = true;
    $("results-status").textContent = "Loading the results…";
    getJSON("/v1/surveys/" + encodeURIComponent(id)).then(function (survey) {
      state.survey = survey;
      return fetchTallies();
    }).then(function () {
      startLive();
    }).catch(function (err) {
      if (err.status === 401 || err.status === 403) {
        $("results-status").textContent = "";
        $("results-hidden").hidden = false;
      } else {
        fail("the survey", err);
      }
    });
  }

  function talliesPath() {
    return "/v1/surveys/" + encodeURIComponent(state.survey.id) + "/tallies";
  }

  /* GET the tallies (304 when unchanged since the ETag shown). */
  function fetchTallies() {
    var headers = { Accept: "application/json" };
    if (state.etag) headers["If-None-Match"] = state.etag;
    return fetch(talliesPath(), { headers: headers, cache: "no-store" }).then(function (r) {
      if (r.status === 304) return null;
      if (!r.ok) {
        var err = new Error("tallies: " + r.status);
        err.status = r.status;
        throw err;
      }
      var etag = r.headers.get("ETag");
      return r.json().then(function (doc) { showTallies(doc, etag); });
    });
  }

  /* --- live updates ------------------------------------------------------------------- */

  function stopLive() {
    if (state.source) state.source.close();
    if (state.timer) clearInterval(state.timer);
    state.source = null;
    state.timer = null;
  }

  function poll() {
    if (state.timer) return;
    $("live-state").textContent = "Results are checked every " + POLL_MS / 1000 + " seconds.";
    state.timer = setInterval(function () {
      fetchTallies().catch(function () { /* the next poll tries again */ });
    }, POLL_MS);
  }

  function startLive() {
    if (!window.EventSource) {
      poll();
      return;
    }
    var source = new EventSource(talliesPath() + "/stream");
    state.source = source;
    source.addEventListener("open", function () {
      $("live-state").textContent = "Results update live.";
    });
    source.addEventListener("tallies", function (e) {
      showTallies(JSON.parse(e.data), e.lastEventId);
    });
    source.addEventListener("error", function () {
      /* EventSource retries by itself unless it was refused for good. */
      if (source.readyState === EventSource.CLOSED && state.source === source) {
        state.source = null;
        poll();
      }
    });
  }

  /* --- the results -------------------------------------------------------------------- */

  function prompt(qid) {
    var q = state.survey.questions.filter(function (x) { return x.id === qid; })[0];
    return q ? q.prompt : qid;
  }

  function showTallies(doc, etag) {
    if (!state.survey || doc.survey !== state.survey.id) return;
    if (etag) state.etag = etag;
    $("results-body").hidden = false;
    $("results-status").textContent = "Results as of " +
      new Date(doc.as_of).toLocaleString() + ".";
    var total = $("responses-total");
    total.setAttribute("data-total", doc.total);
    total.textContent = doc.total === 1 ? "1 response counted." :
      doc.total + " responses counted.";

    var agreement = clear($("agreement"));
    var objectives = clear($("objectives"));
    doc.questions.forEach(function (q) {
      if (q.type === "agreement") agreement.appendChild(agreementBlock(q));
      else if (q.type === "objectives") objectives.appendChild(objectivesBlock(q));
    });
  }

  function agreementBlock(q) {
    var box = el("div", { "class": "agreement", "data-question": q.id,
      "data-numerator": q.agree.numerator, "data-denominator": q.agree.denominator,
      "data-share": q.agree.share });
    box.appendChild(el("h3", {}, prompt(q.id)));
    var big = el("p", { "class": "share" });
    big.appendChild(el("strong", { "class": "agree-share" }, percent(q.agree.share)));
    big.appendChild(document.createTextNode(" agree or strongly agree: "));
    big.appendChild(el("span", { "class": "agree-count" }, q.agree.numerator + " of " +
      q.agree.denominator));
    big.appendChild(document.createTextNode(" (n = "));
    big.appendChild(el("span", { "class": "agree-n" }, q.agree.denominator));
    big.appendChild(document.createTextNode(")."));
    box.appendChild(big);

    var table = el("table", { "class": "levels" });
    table.appendChild(el("caption", {}, "Answers to: " + prompt(q.id)));
    var head = el("tr");
    head.appendChild(el("th", { scope: "col" }, "Answer"));
    head.appendChild(el("th", { scope: "col" }, "Responses"));
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    LEVELS.forEach(function (l) {
      var tr = el("tr", { "data-level": l[0] });
      tr.appendChild(el("th", { scope: "row" }, l[1]));
      tr.appendChild(el("td", { "class": "count" }, q.counts[l[0]]));
      body.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }

  function objectivesBlock(q) {
    var box = el("div", { "class": "objectives", "data-question": q.id });
    box.appendChild(el("h3", {}, prompt(q.id)));
    box.appendChild(el("p", {}, q.answered + " respondents chose objectives; each choice is one " +
      "vote, and a share is of the respondents."));
    var rows = q.objectives.slice().sort(function (a, b) {
      return a.rank - b.rank || b.votes - a.votes;
    });
    box.appendChild(chart(q, rows));

    var table = el("table", { "class": "votes" });
    table.appendChild(el("caption", {}, "Votes per objective, by rank"));
    var head = el("tr");
    ["Rank", "Objective", "Votes", "Share of respondents"].forEach(function (h) {
      head.appendChild(el("th", { scope: "col" }, h));
    });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    rows.forEach(function (o) {
      var tr = el("tr", { "data-objective": o.id });
      tr.appendChild(el("td", { "class": "rank" }, o.rank));
      tr.appendChild(el("th", { scope: "row" }, state.objectives[o.id] || o.id));
      tr.appendChild(el("td", { "class": "votes" }, o.votes));
      tr.appendChild(el("td", { "class": "share", "data-share": o.share.share },
        percent(o.share.share)));
      body.appendChild(tr);
    });
    var wrap = el("div", { "class": "table-wrap" });
    wrap.appendChild(table);
    box.appendChild(wrap);
    return box;
  }

  /* A plain SVG bar per objective: its title, votes, share and rank. */
  function chart(q, rows) {
    var rowH = 44, width = 600, labelH = 18;
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + rows.length * rowH);
    svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "Bar chart of the votes per objective; the table below " +
      "has the same numbers.");
    rows.forEach(function (o, i) {
      var y = i * rowH;
      var g = document.createElementNS(SVG, "g");
      g.setAttribute("data-objective", o.id);
      var label = document.createElementNS(SVG, "text");
      label.setAttribute("x", "0");
      label.setAttribute("y", String(y + labelH - 4));
      label.setAttribute("class", "label");
      label.textContent = "#" + o.rank + " " + (state.objectives[o.id] || o.id);
      g.appendChild(label);
      var track = document.createElementNS(SVG, "rect");
      track.setAttribute("x", "0");
      track.setAttribute("y", String(y + labelH));
      track.setAttribute("width", String(width * 0.7));
      track.setAttribute("height", "16");
      track.setAttribute("class", "track");
      g.appendChild(track);
      var bar = document.createElementNS(SVG, "rect");
      bar.setAttribute("x", "0");
      bar.setAttribute("y", String(y + labelH));
      bar.setAttribute("width", String(Math.max(0, width * 0.7 * o.share.share)));
      bar.setAttribute("height", "16");
      bar.setAttribute("class", "bar");
      g.appendChild(bar);
      var value = document.createElementNS(SVG, "text");
      value.setAttribute("x", String(width * 0.7 + 8));
      value.setAttribute("y", String(y + labelH + 13));
      value.setAttribute("class", "value");
      value.textContent = votes(o.votes) + ", " + percent(o.share.share);
      g.appendChild(value);
      svg.appendChild(g);
    });
    return svg;
  }

  /* --- start -------------------------------------------------------------------------- */

  function start() {
    var plan = params.get("plan") || "current";
    getJSON("/v1/plans/" + encodeURIComponent(plan)).then(function (doc) {
      showPlan(doc);
      getAll("/v1/plans/" + encodeURIComponent(doc.id) + "/priorities?limit=200")
        .then(showPriorities).catch(function (err) { fail("the priorities", err); });
      return getAll("/v1/surveys?limit=200").then(showSurveys);
    }).catch(function (err) { fail("the plan", err); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

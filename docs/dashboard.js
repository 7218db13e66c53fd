/*
 * The dashboard: the current plan, the council's priorities of a chosen
 * year with the progress of each (its initiatives, and its objective's
 * indicators with their status and a chart of observations against
 * targets), and a survey's results, live.  Everything comes from this
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
 * If-None-Match (a 304 costs nothing).  The progress documents (the
 * roll-up, the indicators and initiatives, each one's own document and the
 * status rules they use) are polled the same way.
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
    source: null, timer: null, renderPriorities: null, docs: {}, progress: null,
    progressTimer: null };

  function $(id) { return document.getElementById(id); }

  function make(e, attrs, text) {
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function el(name, attrs, text) {
    return make(document.createElement(name), attrs, text);
  }

  function svgEl(name, attrs, text) {
    return make(document.createElementNS(SVG, name), attrs, text);
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function httpError(path, r) {
    var err = new Error(path + ": " + r.status);
    err.status = r.status;
    return err;
  }

  function getJSON(path) {
    return fetch(path, { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw httpError(path, r);
      return r.json();
    });
  }

  /*
   * GET path unless it is still etag: null when the server says 304, else
   * { body, etag }.  Never from the browser's cache: the server answers
   * If-None-Match itself, and a 304 costs nothing.
   */
  function getFresh(path, etag) {
    var headers = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    return fetch(path, { headers: headers, cache: "no-store" }).then(function (r) {
      if (r.status === 304) return null;
      if (!r.ok) throw httpError(path, r);
      var tag = r.headers.get("ETag");
      return r.json().then(function (body) { return { body: body, etag: tag }; });
    });
  }

  /* Calls fn (which returns a promise) every POLL_MS, never twice at once. */
  function repeat(fn) {
    var busy = false;
    return setInterval(function () {
      if (busy) return;
      busy = true;
      fn().catch(function () { /* the next round tries again */ })
        .then(function () { busy = false; });
    }, POLL_MS);
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
      li.appendChild(el("h3")).appendChild(el("span", { "class": "goal-title" }, g.title));
      if (g.statement) li.appendChild(el("p", {}, g.statement));
      var ul = el("ul");
      g.objectives.forEach(function (o) {
        state.objectives[o.id] = o.title;
        ul.appendChild(el("li", { "data-objective": o.id }))
          .appendChild(el("span", { "class": "objective-title" }, o.title));
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
        var block = priorityProgress(p.objective.id, y);
        if (block) li.appendChild(block);
        list.appendChild(li);
      });
      var first = chosen[0];
      $("priorities-note").textContent = first ? "Decided by " + first.decided_by + " on " +
        first.decided_on + "." : "";
    }
    select.addEventListener("change", render);
    state.renderPriorities = render;
    render();
  }

  /* --- progress: initiatives, indicators, the roll-up --------------------------------- */

  var STATUS = { on_track: "On track", at_risk: "At risk", off_track: "Off track",
    no_data: "No data", not_due: "Not due", completed: "Completed",
    not_started: "Not started" };
  var DAY_MS = 86400000;
  var TABLE_ROWS = 24;	/* an indicator's table lists its latest observations */

  function text(s) {
    return document.createTextNode(s);
  }

  function badge(status, cls) {
    return el("span", { "class": "badge " + cls, "data-status": status },
      STATUS[status] || status);
  }

  /* A number as the API gives it, with its unit's label. */
  function amount(v, unit) {
    return String(v) + (unit && unit.label ? " " + unit.label : "");
  }

  function period(p) {
    return p.start === p.end ? p.start : p.start + " to " + p.end;
  }

  /* A table cell of period p, that breaks between its dates only. */
  function periodCell(p) {
    var td = el("td", { "class": "period" });
    td.appendChild(el("span", { "class": "date" }, p.start));
    if (p.end !== p.start) {
      td.appendChild(text(" to "));
      td.appendChild(el("span", { "class": "date" }, p.end));
    }
    return td;
  }

  /* GET path unless unchanged since the last time (state.docs): true when it changed. */
  function cached(path) {
    var had = state.docs[path];
    return getFresh(path, had ? had.etag : null).then(function (got) {
      if (!got) return false;
      state.docs[path] = got;
      return true;
    });
  }

  function doc(path) {
    return state.docs[path] ? state.docs[path].body : null;
  }

  /*
   * A collection's first page as cached() keeps it, and the pages after it
   * (a plan with more than 200 of them) fetched each time: true when any
   * changed.
   */
  function cachedCollection(path) {
    return cached(path).then(function (changed) {
      var first = doc(path), before = JSON.stringify(state.docs[path].rest || []);
      if (!first.next) {
        state.docs[path].rest = [];
        return changed || before !== "[]";
      }
      return getAll(first.next).then(function (rest) {
        state.docs[path].rest = rest;
        return changed || JSON.stringify(rest) !== before;
      });
    });
  }

  function members(path) {
    return doc(path).items.concat(state.docs[path].rest);
  }

  /*
   * The plan's progress: the roll-up, its indicators and initiatives with
   * each one's document, and the status rules they name; shown again when
   * any of them changed.
   */
  function loadProgress() {
    var base = "/v1/plans/" + encodeURIComponent(state.plan.id);
    var rollup = base + "/progress", indicators = base + "/indicators?limit=200",
      initiatives = base + "/initiatives?limit=200";
    var inds, inis, changed;
    return Promise.all([cached(rollup), cachedCollection(indicators),
      cachedCollection(initiatives)]).then(function (c) {
      changed = c;
      inds = members(indicators).map(function (i) {
        return base + "/indicators/" + encodeURIComponent(i.id);
      });
      inis = members(initiatives).map(function (i) {
        return base + "/initiatives/" + encodeURIComponent(i.id);
      });
      return Promise.all(inds.concat(inis).map(cached));
    }).then(function (c) {
      changed = changed.concat(c);
      var rules = [];
      inds.forEach(function (p) {
        var href = doc(p).computed.rule.href;
        if (rules.indexOf(href) < 0) rules.push(href);
      });
      return Promise.all(rules.map(cached));
    }).then(function (c) {
      if (state.progress && !changed.concat(c).some(Boolean)) return;
      state.progress = { rollup: doc(rollup), indicators: inds.map(doc),
        initiatives: inis.map(doc) };
      showProgress();
    });
  }

  /* The roll-up of objective id, or null. */
  function objectiveRollup(id) {
    var found = null;
    state.progress.rollup.goals.forEach(function (g) {
      g.objectives.forEach(function (o) { if (o.id === id) found = o; });
    });
    return found;
  }

  /* A roll-up's status, score and progress, in words, into node. */
  function rollupText(node, r, what) {
    node.setAttribute("data-status", r.status);
    node.setAttribute("data-score", r.score === null ? "" : r.score);
    node.setAttribute("data-progress", r.progress === null ? "" : r.progress);
    node.appendChild(text(what + ": "));
    node.appendChild(badge(r.status, "rollup-status"));
    node.appendChild(text(r.score === null ? " (no indicator counted yet" :
      " (score " + r.score));
    node.appendChild(text(r.progress === null ? "; no initiative progress reported)." :
      "; initiatives " + r.progress + "% done)."));
    return node;
  }

  function hasMeasures() {
    return state.progress.indicators.length + state.progress.initiatives.length > 0;
  }

  function showProgress() {
    var box = clear($("progress-summary"));
    var r = state.progress.rollup;
    if (!hasMeasures()) {
      box.appendChild(el("p", { id: "progress-empty", "class": "empty" },
        "No initiatives or indicators have been published for this plan yet: when the " +
        "city publishes them, each priority below shows its initiatives and indicators " +
        "with their status."));
    } else {
      box.appendChild(rollupText(el("p", { id: "plan-progress" }), r, "The plan as a whole"));
      box.appendChild(el("p", { "class": "note" }, "Indicators are linked to objectives: " +
        "under each priority are the indicators of its objective, and the initiatives " +
        "that serve that objective (those that name the years of priorities they serve " +
        "only under those years)."));
      var how = el("details", { "class": "method" });
      how.appendChild(el("summary", {}, "How the roll-up is computed (" + r.method.id +
        ", version " + r.method.version + ")"));
      how.appendChild(el("p", {}, r.method.description));
      box.appendChild(how);
    }
    showGoalsProgress();
    if (state.renderPriorities) state.renderPriorities();
  }

  /* Beside each goal and objective of the plan's list, its roll-up status (none without measures). */
  function showGoalsProgress() {
    var goals = {};
    state.progress.rollup.goals.forEach(function (g) { goals[g.id] = g; });
    var old = $("goals").querySelectorAll(".rollup-badge");
    Array.prototype.forEach.call(old, function (n) { n.parentNode.removeChild(n); });
    $("goals-note").textContent = hasMeasures() ? "Beside each goal and objective: its status " +
      "in the roll-up of the plan's indicators (the priorities below have the details)." : "";
    if (!hasMeasures()) return;
    Array.prototype.forEach.call($("goals").children, function (li) {
      var g = goals[li.getAttribute("data-goal")];
      if (g) li.querySelector("h3").appendChild(rollupBadge(g));
      Array.prototype.forEach.call(li.querySelectorAll("li[data-objective]"), function (o) {
        var r = objectiveRollup(o.getAttribute("data-objective"));
        if (r) o.appendChild(rollupBadge(r));
      });
    });
  }

  function rollupBadge(r) {
    var b = badge(r.status, "rollup-badge");
    b.setAttribute("title", r.score === null ? "No indicator counted yet" : "Score " + r.score);
    return b;
  }

  /* Under priority objective id of year: its initiatives and indicators (null: none at all). */
  function priorityProgress(id, year) {
    if (!state.progress || !hasMeasures()) return null;
    var inis = state.progress.initiatives.filter(function (i) {
      return (i.objectives || []).indexOf(id) >= 0 && (!i.priorities ||
        !i.priorities.length || i.priorities.indexOf(year) >= 0);
    });
    var inds = state.progress.indicators.filter(function (i) { return i.objective === id; });
    var box = el("div", { "class": "progress", "data-objective": id });
    var r = objectiveRollup(id);
    if (r) box.appendChild(rollupText(el("p", { "class": "objective-progress" }), r,
      "This objective"));
    if (!inis.length && !inds.length) {
      box.appendChild(el("p", { "class": "empty" },
        "No initiative or indicator serves this priority yet."));
      return box;
    }
    if (inis.length) {
      box.appendChild(el("h4", {}, "Initiatives"));
      var ul = box.appendChild(el("ul", { "class": "initiatives" }));
      inis.forEach(function (i) { ul.appendChild(initiativeItem(i)); });
    }
    if (inds.length) {
      box.appendChild(el("h4", {}, "Indicators"));
      inds.forEach(function (i) { box.appendChild(indicatorBlock(i)); });
    }
    return box;
  }

  function initiativeItem(d) {
    var li = el("li", { "class": "initiative", "data-initiative": d.id });
    li.appendChild(el("strong", { "class": "initiative-title" }, d.title));
    var lead = li.appendChild(el("p", { "class": "meta" }, "Lead department: "));
    lead.appendChild(el("span", { "class": "lead" }, d.lead_department || "not named"));
    var pct = d.progress.percent;
    var prog = li.appendChild(el("p", { "class": "initiative-progress" }));
    if (pct !== null) prog.appendChild(el("progress", { max: 100, value: pct,
      "aria-label": "Progress of " + d.title }));
    prog.appendChild(el("span", { "class": "percent", "data-percent": pct === null ? "" : pct },
      pct === null ? "No progress reported" : pct + "% done"));
    prog.appendChild(text(" (" + d.progress.method + ": " + d.progress.detail + ")"));
    var reported = d.updates.filter(function (u) { return u.reported_status; }).pop();
    var st = li.appendChild(el("p", { "class": "initiative-status" }, "Reported status: "));
    if (reported) {
      st.appendChild(badge(reported.reported_status, "reported-status"));
      st.appendChild(text(" (update of " + reported.date + " by " + reported.author + ")"));
    } else {
      st.appendChild(el("span", { "class": "badge reported-status", "data-status": "" },
        "none reported yet"));
    }
    return li;
  }

  function indicatorBlock(d) {
    var box = el("article", { "class": "indicator", "data-indicator": d.id });
    box.appendChild(el("h5", {}, d.code + ": " + d.title));
    var c = d.computed;
    var st = box.appendChild(el("p", { "class": "indicator-status" }, "Computed status: "));
    st.appendChild(badge(c.status, "computed"));
    if (d.override) {
      st.appendChild(text(" Override: "));
      st.appendChild(badge(d.override.status, "override"));
      st.appendChild(text(" (" + d.override.reason + ")"));
    }
    var rule = doc(c.rule.href);
    var how = box.appendChild(el("p", { "class": "rule", "data-rule": c.rule.id,
      "data-version": c.rule.version }, "Rule: "));
    how.appendChild(el("a", { href: c.rule.href }, (rule && rule.title ? rule.title + " (" +
      c.rule.id : "(" + c.rule.id) + ", version " + c.rule.version + ")"));
    how.appendChild(text(". " + c.reason));
    box.appendChild(el("p", { "class": "meta" }, "Direction: " + d.direction + "; unit: " +
      d.unit.label + (d.baseline ? "; baseline " + amount(d.baseline.value, d.unit) + " (" +
      period(d.baseline.period) + ")" : "") + "."));
    var both = box.appendChild(el("div", { "class": "indicator-data" }));
    both.appendChild(spark(d));
    var tables = both.appendChild(el("div", { "class": "table-wrap" }));
    tables.appendChild(observationsTable(d));
    tables.appendChild(targetsTable(d));
    return box;
  }

  function table(cls, caption, heads) {
    var t = el("table", { "class": cls });
    t.appendChild(el("caption", {}, caption));
    var head = t.appendChild(el("thead")).appendChild(el("tr"));
    heads.forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    return t;
  }

  /* The latest TABLE_ROWS observations of d (the chart has all in force). */
  function observationsTable(d) {
    var latest = d.observations.slice(-TABLE_ROWS);
    var t = table("observations", "Observations of " + d.code + " (" + d.unit.label + ")",
      ["Period", "Value", "Quality", "In force"]);
    t.setAttribute("data-total", d.observations.length);
    var body = t.appendChild(el("tbody"));
    if (!d.observations.length) {
      body.appendChild(el("tr")).appendChild(el("td", { colspan: 4 }, "None yet."));
    }
    if (latest.length < d.observations.length) {
      var td = t.appendChild(el("tfoot")).appendChild(el("tr")).appendChild(el("td",
        { colspan: 4 }, "The latest " + latest.length + " of " + d.observations.length +
        " observations; all of them are in "));
      td.appendChild(el("a", { href: "/v1/plans/" + encodeURIComponent(d.plan) +
        "/indicators/" + encodeURIComponent(d.id) }, "the indicator's document"));
      td.appendChild(text("."));
    }
    latest.forEach(function (o) {
      var tr = body.appendChild(el("tr", { "data-observation": o.id,
        "data-in-force": o.in_force, "class": o.in_force ? "" : "superseded" }));
      tr.appendChild(periodCell(o.period));
      tr.appendChild(el("td", { "class": "value" }, o.value));
      tr.appendChild(el("td", { "class": "quality" }, o.quality));
      tr.appendChild(el("td", {}, o.in_force ? "yes" : "no: corrected by #" + o.superseded_by));
    });
    return t;
  }

  function targetsTable(d) {
    var t = table("targets", "Targets of " + d.code + " (" + d.unit.label + ")",
      ["Period", "Target", "In force"]);
    var body = t.appendChild(el("tbody"));
    if (!d.targets.length) {
      body.appendChild(el("tr")).appendChild(el("td", { colspan: 3 }, "None yet."));
    }
    d.targets.forEach(function (g) {
      var tr = body.appendChild(el("tr", { "data-target": g.id, "data-in-force": g.in_force,
        "class": g.in_force ? "" : "superseded" }));
      tr.appendChild(periodCell(g.period));
      tr.appendChild(el("td", { "class": "target" }, targetText(g)));
      tr.appendChild(el("td", {}, g.in_force ? "yes" : "no: superseded by #" + g.superseded_by));
    });
    return t;
  }

  function targetText(g) {
    if (g.value !== null) return String(g.value);
    if (g.min !== null && g.max !== null) return g.min + " to " + g.max;
    return g.min !== null ? "at least " + g.min : "at most " + g.max;
  }

  /*
   * A small plain SVG chart of indicator d: each observation in force is a
   * mark at the middle of its period (filled: final or revised; hollow:
   * provisional), each target in force a line across its period at its
   * value, or a band from its min to its max.
   */
  function spark(d) {
    var W = 320, H = 140, L = 48, R = 8, T = 8, B = 22;
    var obs = d.observations.filter(function (o) { return o.in_force; });
    var tgs = d.targets.filter(function (g) { return g.in_force; });
    if (!obs.length && !tgs.length)
      return el("p", { "class": "no-chart" }, "No target or observation to chart yet.");
    function day(s) { return Date.parse(s + "T00:00:00Z"); }
    var xs = [], ys = [];
    obs.forEach(function (o) {
      xs.push(day(o.period.start), day(o.period.end) + DAY_MS);
      ys.push(o.value);
    });
    tgs.forEach(function (g) {
      xs.push(day(g.period.start), day(g.period.end) + DAY_MS);
      [g.value, g.min, g.max].forEach(function (v) { if (v !== null) ys.push(v); });
    });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var lo = Math.min.apply(null, ys), hi = Math.max.apply(null, ys);
    var pad = (hi - lo) * 0.15 || Math.abs(hi) * 0.15 || 1;
    var y0 = lo - pad, y1 = hi + pad;
    function X(t) { return L + (W - L - R) * (t - x0) / (x1 - x0); }
    function Y(v) { return T + (H - T - B) * (y1 - v) / (y1 - y0); }
    function short(v) { return String(Number(Number(v).toPrecision(6))); }

    var svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, "class": "spark", role: "img",
      "aria-label": "Chart of the observations of " + d.code + " against its targets; " +
      "the tables beside it have the same numbers." });
    svg.appendChild(svgEl("path", { d: "M" + L + " " + T + "V" + (H - B) + "H" + (W - R),
      "class": "axis" }));
    svg.appendChild(svgEl("text", { x: L - 4, y: Y(hi) + 4, "class": "tick end" }, short(hi)));
    if (lo !== hi)
      svg.appendChild(svgEl("text", { x: L - 4, y: Y(lo) + 4, "class": "tick end" }, short(lo)));
    svg.appendChild(svgEl("text", { x: L, y: H - 6, "class": "tick" },
      new Date(x0).toISOString().slice(0, 10)));
    svg.appendChild(svgEl("text", { x: W - R, y: H - 6, "class": "tick end" },
      new Date(x1 - DAY_MS).toISOString().slice(0, 10)));
    tgs.forEach(function (g) {
      var a = X(day(g.period.start)), b = X(day(g.period.end) + DAY_MS), mark;
      if (g.value !== null) {
        mark = svgEl("line", { x1: a, x2: b, y1: Y(g.value), y2: Y(g.value),
          "class": "target-line", "data-target": g.id });
      } else {
        var top = Y(g.max !== null ? g.max : y1), bottom = Y(g.min !== null ? g.min : y0);
        mark = svgEl("rect", { x: a, width: Math.max(1, b - a), y: top,
          height: Math.max(1, bottom - top), "class": "target-band", "data-target": g.id });
      }
      mark.appendChild(svgEl("title", {}, "Target " + period(g.period) + ": " + targetText(g)));
      svg.appendChild(mark);
    });
    function mid(o) { return (day(o.period.start) + day(o.period.end) + DAY_MS) / 2; }
    var sorted = obs.slice().sort(function (a, b) { return mid(a) - mid(b); });
    if (sorted.length > 1)
      svg.appendChild(svgEl("polyline", { "class": "trend", points: sorted.map(function (o) {
        return X(mid(o)) + "," + Y(o.value);
      }).join(" ") }));
    sorted.forEach(function (o) {
      var mark = svgEl("circle", { cx: X(mid(o)), cy: Y(o.value), r: 4,
        "class": "mark " + (o.quality === "provisional" ? "provisional" : "final"),
        "data-observation": o.id, "data-quality": o.quality });
      mark.appendChild(svgEl("title", {}, period(o.period) + ": " + amount(o.value, d.unit) +
        " (" + o.quality + ")"));
      svg.appendChild(mark);
    });
    var fig = el("figure", { "class": "spark-figure" });
    fig.appendChild(svg);
    var legend = fig.appendChild(el("figcaption", { "class": "legend" }));
    legend.appendChild(el("span", { "class": "key final" }, "final or revised"));
    legend.appendChild(el("span", { "class": "key provisional" }, "provisional"));
    legend.appendChild(el("span", { "class": "key target-line" }, "target"));
    legend.appendChild(el("span", { "class": "key target-band" }, "target range"));
    return fig;
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
    return getFresh(talliesPath(), state.etag).then(function (got) {
      if (got) showTallies(got.body, got.etag);
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
    state.timer = repeat(fetchTallies);
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
    var rowH = 44, width = 600, labelH = 18, track = width * 0.7;
    var svg = svgEl("svg", { viewBox: "0 0 " + width + " " + rows.length * rowH,
      "class": "chart", role: "img", "aria-label": "Bar chart of the votes per objective; " +
      "the table below has the same numbers." });
    rows.forEach(function (o, i) {
      var y = i * rowH;
      var g = svg.appendChild(svgEl("g", { "data-objective": o.id }));
      g.appendChild(svgEl("text", { x: 0, y: y + labelH - 4, "class": "label" },
        "#" + o.rank + " " + (state.objectives[o.id] || o.id)));
      g.appendChild(svgEl("rect", { x: 0, y: y + labelH, width: track, height: 16,
        "class": "track" }));
      g.appendChild(svgEl("rect", { x: 0, y: y + labelH, width: Math.max(0, track *
        o.share.share), height: 16, "class": "bar" }));
      g.appendChild(svgEl("text", { x: track + 8, y: y + labelH + 13, "class": "value" },
        votes(o.votes) + ", " + percent(o.share.share)));
    });
    return svg;
  }

  /* --- start -------------------------------------------------------------------------- */

  function start() {
    var plan = params.get("plan") || "current";
    getJSON("/v1/plans/" + encodeURIComponent(plan)).then(function (doc) {
      showPlan(doc);
      loadProgress().catch(function (err) { fail("the progress", err); })
        .then(function () { state.progressTimer = repeat(loadProgress); });
      getAll("/v1/plans/" + encodeURIComponent(doc.id) + "/priorities?limit=200")
        .then(showPriorities).catch(function (err) { fail("the priorities", err); });
      return getAll("/v1/surveys?limit=200").then(showSurveys);
    }).catch(function (err) { fail("the plan", err); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

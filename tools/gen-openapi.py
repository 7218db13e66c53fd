#!/usr/bin/env python3
"""Writes docs/openapi.json, the contract: edit this file, run it, commit both."""
import json, re, sys
from collections import OrderedDict

import os
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "openapi.json")

def ref(kind, name):
    return {"$ref": f"#/components/{kind}/{name}"}

def slugify(t):
    return re.sub(r"[^a-z0-9]+", "-", t.lower()).strip("-")

PLAN_ID = "independence-2021"
RID = "5f0c3a9e2b7d4e61a8c9f01d2e3b4a57"

# ----------------------------------------------------------------- seed data
# The examples show the seed plan as the service serves it, read from the one
# source of it: sql/schema/004_seed_independence_2021.sql.
SEED_SQL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sql", "schema",
                        "004_seed_independence_2021.sql")

def sql_tokens(text):
    """The literals of a SQL fragment, as SQL reads them: strings (adjacent
    ones on separate lines joined), integers, NULL as None; casts dropped;
    parentheses and commas kept as themselves."""
    toks, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif text.startswith("--", i):
            i = text.index("\n", i)
        elif c == "'":
            j, val = i + 1, ""
            while True:
                k = text.index("'", j)
                if text.startswith("''", k):
                    val, j = val + text[j:k] + "'", k + 2
                    continue
                val, i = val + text[j:k], k + 1
                break
            if toks and isinstance(toks[-1], list):
                toks[-1][0] += val
            else:
                toks.append([val])
            m = re.match(r"\s*\n\s*'", text[i:])
            if not m:
                toks[-1] = toks[-1][0]
        elif text.startswith("::", i):
            i += re.match(r"::\w+", text[i:]).end()
        else:
            m = re.match(r"-?\d+|[A-Za-z_][\w.]*", text[i:])
            if m:
                w = m.group(0)
                toks.append(int(w) if re.match(r"-?\d", w) else None if w.upper() == "NULL" else ("word", w))
                i += m.end()
            else:
                toks.append(c)
                i += 1
    return toks

def sql_rows(toks):
    """The parenthesised tuples of literals in toks (a VALUES list)."""
    rows, cur, depth = [], None, 0
    for t in toks:
        if t == "(":
            depth += 1
            cur = []
        elif t == ")":
            if cur is not None:
                rows.append(tuple(cur))
            cur, depth = None, depth - 1
        elif t != "," and cur is not None:
            cur.append(t)
    return [r for r in rows if r and all(not isinstance(x, tuple) for x in r)]

def seed_insert(table):
    """The tuples of the seed's INSERT INTO table: its VALUES, or the literals
    its SELECT lists."""
    text = open(SEED_SQL).read()
    m = re.search(r"INSERT INTO %s \(.*?;\s*$" % table, text, re.S | re.M)
    if not m:
        sys.exit("gen-openapi: no INSERT INTO %s in %s" % (table, SEED_SQL))
    stmt = m.group(0)
    if "VALUES" in stmt:
        return sql_rows(sql_tokens(stmt[stmt.index("VALUES"):]))
    sel = stmt[stmt.index("SELECT"):stmt.index("FROM")]
    return [tuple(t for t in sql_tokens(sel) if t != "," and not isinstance(t, tuple))]

def seed_time(local):
    """'2020-11-02 00:00:00 America/Chicago' as the API shows it (UTC)."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo
    day, clock, zone = local.split(" ")
    t = datetime.fromisoformat(day + " " + clock).replace(tzinfo=ZoneInfo(zone))
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

(_plan,) = seed_insert("plans")
(_p_slug, _p_city, _p_name, _p_title, _p_purpose, _p_mission, _p_status, _p_adopted,
 _p_start, _p_end, _p_ustart, _p_uend) = _plan
assert _p_slug == PLAN_ID
_objs = seed_insert("objectives")
GOALS = [(title, statement, [o[3] for o in sorted(_objs, key=lambda o: o[2]) if o[0] == slug])
         for slug, _, title, statement in sorted(seed_insert("goals"), key=lambda g: g[1])]
_prio = sorted(seed_insert("priorities"))
_obj_title = {o[1]: o[3] for o in _objs}
(_ps_year, _ps_decided_on, _ps_decided_by), = seed_insert("priority_sets")
(_survey,) = seed_insert("surveys")
(_s_slug, _s_title, _s_desc, _s_opens, _s_closes, _s_zone, _s_status) = _survey
_questions = seed_insert("survey_questions")

goal_docs = []
objective_docs = []
pos = 0
for gpos, (gtitle, statement, objs) in enumerate(GOALS, 1):
    gid = slugify(gtitle)
    olist = []
    for otitle in objs:
        pos += 1
        o = OrderedDict([("id", slugify(otitle)), ("plan", PLAN_ID), ("goal", gid),
                         ("position", pos), ("title", otitle), ("status", "active")])
        olist.append(o)
        objective_docs.append(o)
    goal_docs.append(OrderedDict([("id", gid), ("plan", PLAN_ID), ("position", gpos),
                                  ("title", gtitle), ("statement", statement), ("status", "active"),
                                  ("objectives", olist)]))
assert pos == 14
obj_by_title = {o["title"]: o for o in objective_docs}
goal_by_id = {g["id"]: g for g in goal_docs}
PRIORITY_TITLES = [_obj_title[slug] for _, slug in _prio]
priority_docs = []
for rank, t in enumerate(PRIORITY_TITLES, 1):
    o = obj_by_title[t]
    g = goal_by_id[o["goal"]]
    priority_docs.append(OrderedDict([
        ("year", _ps_year), ("rank", rank),
        ("objective", OrderedDict([("id", o["id"]), ("title", o["title"])])),
        ("goal", OrderedDict([("id", g["id"]), ("title", g["title"])])),
        ("decided_on", _ps_decided_on), ("decided_by", _ps_decided_by)]))
assert priority_docs[0]["objective"]["id"] == "reduce-crime-and-disorder"

plan_summary = OrderedDict([
    ("id", PLAN_ID), ("city", _p_city), ("name", _p_name),
    ("title", _p_title), ("status", _p_status), ("adopted_on", _p_adopted),
    ("period", OrderedDict([("start", _p_start), ("end", _p_end)])),
    ("update_period", OrderedDict([("start", _p_ustart), ("end", _p_uend)]))])
plan_doc = OrderedDict(plan_summary)
plan_doc["purpose_statement"] = _p_purpose
plan_doc["mission"] = _p_mission
plan_doc["goals"] = goal_docs
plan_doc["priorities"] = [OrderedDict([("year", _ps_year), ("decided_on", _ps_decided_on),
                                       ("decided_by", _ps_decided_by), ("items", priority_docs)])]

survey_summary = OrderedDict([
    ("id", _s_slug), ("plan", PLAN_ID), ("title", _s_title),
    ("description", _s_desc),
    ("opens_at", seed_time(_s_opens)), ("closes_at", seed_time(_s_closes)),
    ("timezone", _s_zone), ("status", _s_status), ("results_visibility", "after_close")])
survey_doc = OrderedDict(survey_summary)
AGREEMENT = ["strongly_disagree", "disagree", "neutral", "agree", "strongly_agree"]

def seed_question(qid, position, prompt, qtype, min_c, max_c):
    q = OrderedDict([("id", qid), ("position", position), ("prompt", prompt), ("type", qtype),
                     ("required", True)])
    if qtype == "agreement":
        q["options"] = AGREEMENT
    if min_c is not None:
        q["min"] = min_c
    if max_c is not None:
        q["max"] = max_c
    return q

survey_doc["questions"] = [seed_question(*q) for q in sorted(_questions, key=lambda q: q[1])]

def page(items, limit=50, next_cursor=None, next_=None):
    return OrderedDict([("items", items), ("limit", limit), ("next_cursor", next_cursor), ("next", next_)])

GOALS_CURSOR = "cG9zaXRpb249Mg"
OBJ_CURSOR = "cG9zaXRpb249NQ"

API_VERSION = "0.3.0"

KEYS_CURSOR = "AAAAAAAAAAGh8f8b"
RESPONSES_CURSOR = "AAAAAAAAAuoAAAAAAAAAARQvrvEA"

# ----------------------------------------------------------------- issue 3 examples
ADMIN_KEY_ID = "key_119cc94c485cca5e"
PARTNER_KEY_ID = "key_48766704784d87e0"
NEW_KEY = "cpk_Bh-k7icXq3V9sT0mZp4LwN8yR2dF6gH1jK5aE7uC0xW"
assert re.fullmatch(r"cpk_[A-Za-z0-9_-]{43}", NEW_KEY)
RESPONSE_ID = "55cee6d4-71cf-46ab-9478-99225733f803"
SURVEY_NEW = "budget-2027"
AGREEMENT_LEVELS = ["strongly_disagree", "disagree", "neutral", "agree", "strongly_agree"]

key_doc = OrderedDict([
    ("id", PARTNER_KEY_ID), ("name", "Mid-Continent Public Library kiosks"), ("role", "partner"),
    ("prefix", NEW_KEY[:12]), ("surveys", [SURVEY_NEW]), ("created_at", "2026-11-27T00:01:36Z"),
    ("last_used_at", None), ("revoked_at", None), ("rate_limit", 120)])
new_key_doc = OrderedDict(key_doc)
new_key_doc["key"] = NEW_KEY
admin_key_doc = OrderedDict([
    ("id", ADMIN_KEY_ID), ("name", "City of Independence"), ("role", "admin"), ("prefix", "cpk_HxJHmsG4"),
    ("surveys", []), ("created_at", "2026-11-20T16:02:11Z"), ("last_used_at", "2026-11-27T00:01:39Z"),
    ("revoked_at", None), ("rate_limit", None)])
key_create = OrderedDict([("name", key_doc["name"]), ("role", "partner"), ("surveys", [SURVEY_NEW]),
                          ("rate_limit", 120)])
key_patch = OrderedDict([("rate_limit", 600)])

question_inputs = [
    OrderedDict([("id", "right-plan"), ("prompt", "Is this the right plan to improve Independence for All?"),
                 ("type", "agreement")]),
    OrderedDict([("id", "top-priorities"), ("prompt", "What are your top three community priorities for 2027?"),
                 ("type", "objectives"), ("min", 1), ("max", 3)]),
    OrderedDict([("id", "district"), ("prompt", "Which council district do you live in?"), ("type", "choice"),
                 ("required", False), ("options", ["1", "2", "3", "4"])]),
    OrderedDict([("id", "services"), ("prompt", "Which City services did you use this year?"), ("type", "choices"),
                 ("required", False), ("options", ["parks", "streets", "trash-pickup", "police"])]),
    OrderedDict([("id", "comments"), ("prompt", "Anything else the City Council should know?"), ("type", "text"),
                 ("required", False), ("max_length", 500)]),
]
survey_create = OrderedDict([
    ("id", SURVEY_NEW), ("plan", PLAN_ID), ("title", "2027 Budget Priorities"),
    ("description", "How should the City spend its 2027 budget?"),
    ("opens_at", "2026-12-01T06:00:00Z"), ("closes_at", "2027-02-01T06:00:00Z"), ("timezone", "America/Chicago"),
    ("status", "open"), ("results_visibility", "public"), ("partners", [PARTNER_KEY_ID]),
    ("questions", question_inputs)])

def published_question(position, q):
    """A question as sql/api/content.sql api_question shows it (json_strip_nulls drops what is unset)."""
    out = OrderedDict([("id", q["id"]), ("position", position), ("prompt", q["prompt"]), ("type", q["type"]),
                       ("required", q.get("required", True))])
    if q["type"] == "agreement":
        out["options"] = AGREEMENT_LEVELS
    elif q["type"] in ("choice", "choices"):
        out["options"] = q["options"]
    if q["type"] in ("objectives", "choices"):
        out["min"] = q.get("min", 0)
        if "max" in q:
            out["max"] = q["max"]
    if q["type"] == "text":
        out["max_length"] = q.get("max_length", 1000)
    return out

survey_admin_doc = OrderedDict((k, survey_create[k]) for k in (
    "id", "plan", "title", "description", "opens_at", "closes_at", "timezone", "status", "results_visibility"))
survey_admin_doc["questions"] = [published_question(i, q) for i, q in enumerate(question_inputs, 1)]
survey_admin_doc["partners"] = [PARTNER_KEY_ID]
new_questions = {q["id"]: q for q in survey_admin_doc["questions"]}
seed_survey_admin_doc = OrderedDict(survey_doc)
seed_survey_admin_doc["partners"] = []

response_submit = OrderedDict([
    ("external_id", "kiosk-17-0042"),
    ("answers", OrderedDict([("right-plan", "agree"),
                             ("top-priorities", ["reduce-crime-and-disorder", "enhance-public-health"]),
                             ("district", "2"), ("services", ["parks"]),
                             ("comments", "More lighting in the parks, please.")])),
    ("submitted_at", "2026-12-03T15:30:00Z"), ("channel", "library-kiosk")])
response_doc = OrderedDict([
    ("id", RESPONSE_ID), ("survey", SURVEY_NEW), ("partner", PARTNER_KEY_ID),
    ("external_id", response_submit["external_id"]), ("answers", response_submit["answers"]),
    ("submitted_at", response_submit["submitted_at"]), ("channel", response_submit["channel"]),
    ("created_at", "2026-12-03T15:31:02Z"), ("status", "counted"), ("voided_at", None), ("void_reason", None)])
voided_doc = OrderedDict(response_doc)
voided_doc.update([("status", "voided"), ("voided_at", "2026-12-04T09:12:40Z"),
                   ("void_reason", "Test entry made while setting up the kiosk.")])
RESPONSE_PATH = f"/v1/surveys/{SURVEY_NEW}/responses/{RESPONSE_ID}"
response_submit_2 = OrderedDict([
    ("external_id", "kiosk-17-0043"),
    ("answers", OrderedDict([("right-plan", "maybe"), ("top-priorities", ["reduce-blight"])]))])

def csv_example():
    cols = ["id", "external_id", "partner", "created_at", "submitted_at", "channel", "status", "void_reason"]
    row = [RESPONSE_ID, response_doc["external_id"], PARTNER_KEY_ID, response_doc["created_at"],
           response_doc["submitted_at"], response_doc["channel"], "counted", ""]
    answers = response_doc["answers"]
    for q in survey_admin_doc["questions"]:
        if q["type"] in ("objectives", "choices"):
            ids = [o["id"] for o in objective_docs] if q["type"] == "objectives" else q["options"]
            for i in ids:
                cols.append(f"{q['id']}/{i}")
                row.append("1" if i in answers.get(q["id"], []) else "0")
        else:
            cols.append(q["id"])
            v = answers.get(q["id"], "")
            row.append(f'"{v}"' if "," in v else v)
    return ",".join(cols) + "\r\n" + ",".join(row) + "\r\n"

def share_doc(num, den):
    return OrderedDict([("numerator", num), ("denominator", den), ("share", num / den if den else 0.0)])

def tallies_example():
    """Tallies of the seed survey as src/tally.c builds them, for three counted responses."""
    votes = {"reduce-crime-and-disorder": 3, "enhance-public-health": 2, "reduce-blight": 2,
             "stabilize-and-revitalize-neighborhoods": 1}
    answered = 3
    ranked = sorted(enumerate(objective_docs), key=lambda p: (-votes.get(p[1]["id"], 0), p[0]))
    objs, prev = [], None
    for i, (_, o) in enumerate(ranked):
        v = votes.get(o["id"], 0)
        rank = prev[1] if prev is not None and prev[0] == v else i + 1
        prev = (v, rank)
        objs.append(OrderedDict([("id", o["id"]), ("votes", v), ("share", share_doc(v, answered)), ("rank", rank)]))
    counts = OrderedDict((lvl, 0) for lvl in AGREEMENT_LEVELS)
    counts.update(strongly_agree=1, agree=1, neutral=1)
    return OrderedDict([
        ("survey", survey_doc["id"]), ("as_of", "2026-11-27T00:02:21Z"), ("version", "7"), ("total", 3),
        ("questions", [
            OrderedDict([("id", "right-plan"), ("type", "agreement"), ("answered", 3), ("counts", counts),
                         ("agree", share_doc(2, 3))]),
            OrderedDict([("id", "top-priorities"), ("type", "objectives"), ("answered", answered),
                         ("objectives", objs)])])])

tallies_doc = tallies_example()
choice_tally = OrderedDict([("id", "district"), ("type", "choice"), ("answered", 2),
                            ("counts", OrderedDict([("1", 0), ("2", 1), ("3", 1), ("4", 0)]))])
TALLIES_ETAG = "\"f03b36f4-7-12\""

# ----------------------------------------------------------------- issue 4 examples
PLAN_NEW = "independence-2026"
PLAN_ETAG = "\"9b1e4c07d2a35f68\""
plan_create = OrderedDict([
    ("id", PLAN_NEW), ("title", "2026 Strategic Plan Update"), ("city", "Independence, Missouri"),
    ("name", "Independence for All"),
    ("mission", "Transforming our community through engagement, innovation, and sustainable services."),
    ("period", OrderedDict([("start", 2026), ("end", 2030)])),
    ("update_period", OrderedDict([("start", 2026), ("end", 2027)]))])
new_plan_doc = OrderedDict([
    ("id", PLAN_NEW), ("city", plan_create["city"]), ("name", plan_create["name"]), ("title", plan_create["title"]),
    ("status", "draft"), ("adopted_on", None), ("period", plan_create["period"]),
    ("update_period", plan_create["update_period"]), ("purpose_statement", ""), ("mission", plan_create["mission"]),
    ("goals", []), ("priorities", [])])
plan_patch = OrderedDict([("status", "adopted"), ("adopted_on", "2026-02-02")])
adopted_plan_doc = OrderedDict(new_plan_doc)
adopted_plan_doc.update(plan_patch)

goal_create = OrderedDict([("title", "Environment"),
                           ("statement", "Protect natural resources and reduce the City's environmental footprint")])
new_goal_doc = OrderedDict([("id", "environment"), ("plan", PLAN_ID), ("position", 5), ("title", goal_create["title"]),
                            ("statement", goal_create["statement"]), ("status", "active"), ("objectives", [])])
goal_patch = OrderedDict([("statement", "Achieve livability, choice, access, health and safety through quality "
                                        "neighborhoods and infrastructure")])
patched_goal_doc = OrderedDict(goal_by_id["quality"])
patched_goal_doc.update(goal_patch)

objective_create = OrderedDict([("goal", "economy"), ("title", "Support small businesses")])
new_objective_doc = OrderedDict([("id", "support-small-businesses"), ("plan", PLAN_ID), ("goal", "economy"),
                                 ("position", 8), ("title", objective_create["title"]), ("status", "active")])
objective_patch = OrderedDict([("status", "archived")])
archived_objective_doc = OrderedDict(obj_by_title["Increase perception of safety"])
archived_objective_doc["status"] = "archived"

PRIORITIES_2022 = ["Reduce crime and disorder", "Improve public infrastructure and facilities", "Reduce blight"]
priorities_put = OrderedDict([("decided_on", "2022-01-20"), ("decided_by", "City Council"),
                              ("objectives", [obj_by_title[t]["id"] for t in PRIORITIES_2022])])
def priority_year_doc(year, decided_on, decided_by, titles):
    items = []
    for rank, t in enumerate(titles, 1):
        o = obj_by_title[t]
        g = goal_by_id[o["goal"]]
        items.append(OrderedDict([
            ("year", year), ("rank", rank), ("objective", OrderedDict([("id", o["id"]), ("title", o["title"])])),
            ("goal", OrderedDict([("id", g["id"]), ("title", g["title"])])),
            ("decided_on", decided_on), ("decided_by", decided_by)]))
    return OrderedDict([("year", year), ("decided_on", decided_on), ("decided_by", decided_by), ("items", items)])
priorities_2022_doc = priority_year_doc(2022, "2022-01-20", "City Council", PRIORITIES_2022)
assert plan_doc["priorities"][0] == priority_year_doc(2021, "2021-01-21", "City Council", PRIORITY_TITLES)

def plan_path(*rest):
    return "/".join([f"/v1/plans/{PLAN_ID}", *rest])

goal_references = [OrderedDict([("type", "objective"), ("path", plan_path("objectives", o["id"]))])
                   for o in goal_by_id["quality"]["objectives"]]
objective_references = [
    OrderedDict([("type", "priorities"), ("path", plan_path("priorities", "2021")), ("rank", 1)]),
    OrderedDict([("type", "responses"), ("survey", "/v1/surveys/community-survey-2020-21"), ("count", 3)]),
    OrderedDict([("type", "open-survey"), ("survey", f"/v1/surveys/{SURVEY_NEW}")])]

# A plans row, as a change made with plain SQL records it (sql/api/audit.sql audit_row).
plan_row = OrderedDict([
    ("id", 1), ("slug", PLAN_ID), ("city", plan_doc["city"]), ("name", plan_doc["name"]), ("title", plan_doc["title"]),
    ("purpose_statement", plan_doc["purpose_statement"]), ("mission", plan_doc["mission"]), ("status", "adopted"),
    ("adopted_on", "2017-02-06"), ("period_start", 2017), ("period_end", 2021), ("update_period_start", 2021),
    ("update_period_end", 2022), ("created_at", "2026-11-20T16:01:58.331512+00:00"),
    ("first_adopted_at", "2026-11-20T16:01:58.331512+00:00")])
plan_row_after = OrderedDict(plan_row)
plan_row_after["mission"] = "Transforming our community through engagement, innovation, and sustainable services for all."
AUDIT_CURSOR = "AAAAAAAAACg"
HISTORY_CURSOR = "AAAAAAAAACU"
audit_entries = [
    OrderedDict([("id", 42), ("at", "2026-12-05T16:20:11.482Z"),
                 ("actor", OrderedDict([("type", "key"), ("key", ADMIN_KEY_ID), ("name", admin_key_doc["name"])])),
                 ("request_id", RID), ("resource", "objective"), ("path", plan_path("objectives", archived_objective_doc["id"])),
                 ("plan", PLAN_ID), ("action", "update"),
                 ("before", obj_by_title["Increase perception of safety"]), ("after", archived_objective_doc)]),
    OrderedDict([("id", 41), ("at", "2026-12-05T16:02:47.105Z"),
                 ("actor", OrderedDict([("type", "key"), ("key", ADMIN_KEY_ID), ("name", admin_key_doc["name"])])),
                 ("request_id", "survey-dashboard.42"), ("resource", "key"), ("path", f"/v1/keys/{PARTNER_KEY_ID}"),
                 ("plan", None), ("action", "create"), ("before", None), ("after", key_doc)]),
    OrderedDict([("id", 40), ("at", "2026-12-04T22:15:03.917Z"),
                 ("actor", OrderedDict([("type", "database"), ("user", "civic")])),
                 ("request_id", None), ("resource", "plan"), ("path", plan_path()), ("plan", PLAN_ID),
                 ("action", "update"), ("before", plan_row), ("after", plan_row_after)]),
]
history_entries = [OrderedDict((k, v) for k, v in e.items() if k not in ("actor", "request_id"))
                   for e in audit_entries if e["plan"] == PLAN_ID]

# ----------------------------------------------------------------- problems
# Every kind of problem: its status and title come from the one table of them,
# src/problem.c (SQL names problems by code and the service completes them
# from it); only the descriptions live here.
def problem_table_of_c():
    src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "problem.c")).read()
    rows = re.findall(r'\{\s*(\d+),\s*"/problems/([a-z-]+)",\s*"([^"]+)"\s*\}', src)
    if len(rows) < 10:
        sys.exit("gen-openapi: cannot read the problem table of src/problem.c")
    return {slug: (int(st), title) for st, slug, title in rows}

PROBLEM_TEXTS = OrderedDict([
    ("invalid-parameter", ("A query parameter is unknown, repeated, malformed or out of range (this includes a `cursor` "
        "that was not returned by the previous page, and a `goal` filter naming no goal of the plan); "
        "the `errors` member lists each offending parameter. Also sent, without `errors`, for an "
        "`Idempotency-Key` header that is longer than 255 characters.")),
    ("malformed-body", ("The request body is empty or is not a JSON object or array (syntax error, duplicate member names).")),
    ("invalid-header", ("A request header is malformed: an `If-Match` that is neither `*` nor a comma-separated list of entity "
        "tags; one of `Authorization`, `Host`, `Content-Type`, `Idempotency-Key`, `If-Match` and "
        "`If-None-Match` sent more than once (which copy counts would be ambiguous); or a NUL byte in a "
        "header's value: `errors` names the header. Any operation may answer it. Also the request's framing "
        "when it is ambiguous (`Content-Length` with `Transfer-Encoding`, `Content-Length` fields that "
        "differ, a body or `Transfer-Encoding` on GET, HEAD, DELETE or OPTIONS): then the server answers "
        "before any operation sees the request, and closes the connection.")),
    ("unauthorized", ("The request needs an API key and has none, or its `Authorization` header is not a bearer key of this "
        "service, or the key is unknown or revoked (a read of a plan route that sends an `Authorization` header "
        "gets it too unless the key is live). Sent with `WWW-Authenticate`.")),
    ("forbidden", ("The API key is valid but lacks the right: an admin key is needed, or the partner key may not submit "
        "to this survey.")),
    ("not-found", ("No route matches the path, or the plan, goal, objective, survey, response or key id in the path "
        "does not exist (a partner asking for another partner's response gets this too), or the plan has no "
        "priorities for the year in the path, or the plan is a draft and the request has no admin key.")),
    ("method-not-allowed", ("The path is served but not for this method. The `Allow` header lists the methods that are.")),
    ("not-acceptable", ("The `Accept` header excludes every media type the route can produce (`application/json`; "
        "the responses collection also offers `text/csv`).")),
    ("survey-not-open", ("The survey takes no responses now: its status is not `open`, or the time is outside "
        "[`opens_at`, `closes_at`).")),
    ("duplicate-response", ("This API key already submitted a response with this `external_id` to the survey, with other "
        "answers. `existing_response` (and `Location`) name the stored response.")),
    ("idempotency-key-in-use", ("A request with the same `Idempotency-Key` (from the same API key) is still being processed; retry later.")),
    ("already-voided", ("The response was voided before.")),
    ("survey-has-responses", ("A PATCH changes `questions` of a survey that already has responses.")),
    ("in-use", ("A DELETE of a goal that still has objectives (of any status), or of an objective that priorities or "
        "survey responses refer to or that an open survey of its plan asks for. `referenced_by` lists what "
        "refers to it; archive it instead (PATCH with `status: archived`). Nothing is deleted.")),
    ("precondition-failed", ("`If-Match` names no current entity tag of the item (weak tags never match; an item that does not exist "
        "matches nothing), or `If-None-Match: *` asks to create a year's priorities that exist. Nothing "
        "changes; `etag` is the item's current ETag (null when the item does not exist).")),
    ("unsupported-media-type", ("The request body is not sent as `Content-Type: application/json`.")),
    ("invalid-body", ("The body is JSON but not what the operation takes: `errors` lists every fault with a JSON Pointer "
        "(RFC 6901) to the offending member. Unknown members are faults too.")),
    ("idempotency-key-reused", ("The `Idempotency-Key` was used (by the same API key, within 24 hours) with another request body.")),
    ("too-many-requests", ("The client is over its rate limit: its API key's (a key's own `rate_limit`, else the default "
        "for keys), or, without a live key, its address's; the cached public reads have a separate, generous "
        "quota. Sent with `Retry-After` (seconds) and the `RateLimit` fields; nothing was done.")),
    ("internal-error", ("An unexpected failure inside the service.")),
    ("service-unavailable", ("The database is unreachable (`/readyz` and every route that needs it), or too many requests "
        "(500 per worker) are already waiting for it, or the plan data has never been loaded (plan and "
        "survey routes). Sent with `Retry-After: 1`.")),
])

_C_PROBLEMS = problem_table_of_c()
if set(_C_PROBLEMS) != set(PROBLEM_TEXTS):
    sys.exit("gen-openapi: src/problem.c and PROBLEM_TEXTS differ: %s" %
             sorted(set(_C_PROBLEMS) ^ set(PROBLEM_TEXTS)))
PROBLEMS = OrderedDict((slug, _C_PROBLEMS[slug] + (PROBLEM_TEXTS[slug],)) for slug in PROBLEM_TEXTS)

def problem_example(slug, detail, instance, errors=None, **extra):
    status, title, _ = PROBLEMS[slug]
    d = OrderedDict([("type", f"/problems/{slug}"), ("title", title), ("status", status), ("detail", detail)])
    if errors is not None and slug != "invalid-parameter":
        d["errors"] = errors
    d.update(extra)
    d["instance"] = instance
    d["request_id"] = RID
    if errors is not None and slug == "invalid-parameter":
        d["errors"] = errors
    return d

def item_problem(slug, detail, errors=None, **extra):
    """A problem inside a batch result: no instance and no request_id."""
    d = problem_example(slug, detail, "/", errors, **extra)
    del d["instance"], d["request_id"]
    return d

problem_table = "\n".join(
    f"| `/problems/{slug}` | {st} | {title} | {desc} |" for slug, (st, title, desc) in PROBLEMS.items())

batch_result_doc = OrderedDict([("results", [
    OrderedDict([("index", 0), ("status", 201), ("location", RESPONSE_PATH), ("response", response_doc)]),
    OrderedDict([("index", 1), ("status", 422), ("problem", item_problem(
        "invalid-body", "The response does not match the survey's questions.",
        [{"detail": "Must be one of strongly_disagree, disagree, neutral, agree, strongly_agree.",
          "pointer": "/answers/right-plan"}]))]),
])])

# ----------------------------------------------------------------- schemas
SLUG_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$"
INT32_MAX = 2**31 - 1   # a PostgreSQL integer column
INT64_MAX = 2**63 - 1   # a PostgreSQL bigint (counts, identity columns)
RID_PATTERN = "^[A-Za-z0-9._:-]{1,128}$"
TIME_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
TIME_INPUT_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$"
# The longest strings of their kind, as the code keeps them (maxLength):
PATH_MAX_LEN = 512        # an API path the service writes (src/civic.h CIVIC_PATH_MAX)
NEXT_MAX_LEN = 1024       # a next-page URL or Link (src/reply.c, src/content.c buffers)
CURSOR_MAX_LEN = 64       # a cursor (src/civic.h CIVIC_CURSOR_MAX; any longer is a 400)
DETAIL_MAX_LEN = 1000     # a problem or fault detail (src/problem.c: 255 bytes; sql/api/common.sql cuts at 1000)
HEADER_MAX_LEN = 8192     # any request header value (conf/app.conf http_header_max: the whole header block)
# A JSON Pointer may name a member the client sent (an unknown one): its only bound is the body
# (1 MiB, http_body_max), doubled by escaping (`~` is written `~0`).
POINTER_MAX_LEN = 2 * 1048576
KEY_ID_PATTERN = "^key_[0-9a-f]{16}$"

def closed(props, required=None, description=None, examples=None, title=None):
    s = OrderedDict()
    s["type"] = "object"
    if title:
        s["title"] = title
    if description:
        s["description"] = description
    s["required"] = required if required is not None else list(props.keys())
    s["properties"] = props
    s["additionalProperties"] = False
    if examples:
        s["examples"] = examples
    return s

def collection(item_schema, desc, example, next_example=None, cursor_example=GOALS_CURSOR):
    return closed(OrderedDict([
        ("items", {"type": "array", "maxItems": 200, "description": "The items of this page, in the collection's order "
                                                                "(at most `limit`).",
                   "items": ref("schemas", item_schema)}),
        ("limit", {"type": "integer", "minimum": 1, "maximum": 200,
                   "description": "The page size that was applied (the `limit` parameter or its default, 50).",
                   "examples": [50]}),
        ("next_cursor", {"type": ["string", "null"], "minLength": 1, "maxLength": CURSOR_MAX_LEN,
                         "description": "Opaque cursor for the next page (pass it back as `cursor`), or null on the last page.",
                         "examples": [cursor_example]}),
        ("next", {"type": ["string", "null"], "format": "uri-reference", "maxLength": NEXT_MAX_LEN,
                  "description": "Path and query of the next page (the same URL as the `Link: rel=\"next\"` header), or null on the last page.",
                  "examples": [next_example or f"/v1/plans/{PLAN_ID}/goals?limit=2&cursor={GOALS_CURSOR}"]}),
    ]), description=desc, examples=[example])

def nullable(schema_name, description):
    return {"description": description, "oneOf": [ref("schemas", schema_name), {"type": "null"}]}

schemas = OrderedDict()
schemas["Slug"] = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": SLUG_PATTERN,
                   "description": "A resource id: lowercase letters and digits in dash-separated words, at most 100 characters.",
                   "examples": [PLAN_ID]}
schemas["Date"] = {"type": "string", "format": "date", "maxLength": 10, "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                   "description": "A calendar date (RFC 3339 full-date).", "examples": ["2021-01-21"]}
schemas["Timestamp"] = {"type": "string", "format": "date-time", "maxLength": 20, "pattern": TIME_PATTERN,
                        "description": "An instant as the service writes it: RFC 3339, UTC, whole seconds, `Z`.",
                        "examples": ["2026-11-27T00:01:36Z"]}
schemas["TimestampInput"] = {
    "type": "string", "format": "date-time", "maxLength": 35, "pattern": TIME_INPUT_PATTERN,
    "description": "An instant as clients send it: an RFC 3339 date-time with a time zone (`Z` or `+hh:mm`/`-hh:mm`), "
                   "optionally with 1 to 9 digits of fractional seconds; uppercase `T` and `Z`.",
    "examples": ["2026-12-03T09:30:00-06:00"]}
schemas["Year"] = {"type": "integer", "minimum": 1000, "maximum": 9999,
                   "description": "A calendar year.", "examples": [2021]}
schemas["YearRange"] = closed(OrderedDict([
    ("start", nullable("Year", "The first year, or null when it is not set.")),
    ("end", nullable("Year", "The last year, or null when it is not set."))]),
    description="An inclusive range of calendar years; either end may be null (not set).",
    examples=[{"start": 2017, "end": 2021}])
schemas["GoalRef"] = closed(OrderedDict([
    ("id", ref("schemas", "Slug")), ("title", {"type": "string", "minLength": 1, "maxLength": 200, "examples": ["Quality"]})]),
    description="A goal named by id and title.", examples=[{"id": "quality", "title": "Quality"}])
schemas["ObjectiveRef"] = closed(OrderedDict([
    ("id", ref("schemas", "Slug")),
    ("title", {"type": "string", "minLength": 1, "maxLength": 300, "examples": ["Reduce crime and disorder"]})]),
    description="An objective named by id and title.",
    examples=[{"id": "reduce-crime-and-disorder", "title": "Reduce crime and disorder"}])
summary_props = OrderedDict([
    ("id", ref("schemas", "Slug")),
    ("city", {"type": "string", "minLength": 1, "maxLength": 200, "examples": ["Independence, Missouri"]}),
    ("name", {"type": "string", "minLength": 1, "maxLength": 200, "description": "The plan's name.", "examples": ["Independence for All"]}),
    ("title", {"type": "string", "minLength": 1, "maxLength": 200, "description": "The title of this edition of the plan.",
               "examples": ["2021 Strategic Plan Update"]}),
    ("status", {"type": "string", "enum": ["draft", "adopted", "archived"],
                "description": "Lifecycle status of the plan. `draft` plans are seen by admins only; `current` names "
                               "the newest adopted plan. The seed plan is `adopted`.",
                "examples": ["adopted"]}),
    ("adopted_on", nullable("Date", "The date the original plan was adopted, or null (a plan that is not adopted "
                                    "may have none).")),
    ("period", {"$ref": "#/components/schemas/YearRange", "description": "The years the plan covers."}),
    ("update_period", {"$ref": "#/components/schemas/YearRange", "description": "The years this update re-prioritised."}),
])
schemas["PlanSummary"] = closed(summary_props, description="A strategic plan without its goals and priorities.",
                                examples=[plan_summary])
plan_props = OrderedDict(summary_props)
plan_props["purpose_statement"] = {"type": "string", "maxLength": 5000, "description": "The plan's purpose statement (its vision); may be empty.",
                                   "examples": [plan_doc["purpose_statement"]]}
plan_props["mission"] = {"type": "string", "maxLength": 5000, "description": "May be empty.", "examples": [plan_doc["mission"]]}
plan_props["goals"] = {"type": "array", "description": "The active goals in plan order, each with its active objectives "
                                                       "(archived ones are left out).",
                       "items": ref("schemas", "Goal")}
plan_props["priorities"] = {"type": "array", "maxItems": 1100, "description": "The yearly priorities, newest year first "
                                                                       "(one per year, 1900 to 2999).",
                            "items": ref("schemas", "PriorityYear")}
schemas["Plan"] = closed(plan_props, description="A whole strategic plan: summary fields, purpose, mission, goals with their objectives, and yearly priorities.")

schemas["Objective"] = closed(OrderedDict([
    ("id", ref("schemas", "Slug")),
    ("plan", {"$ref": "#/components/schemas/Slug", "description": "Id of the plan."}),
    ("goal", {"$ref": "#/components/schemas/Slug", "description": "Id of the goal the objective belongs to."}),
    ("position", {"type": "integer", "minimum": 1, "maximum": INT32_MAX, "description": "Position in plan order across all goals (1..14 in the seed plan).",
                  "examples": [8]}),
    ("title", {"type": "string", "minLength": 1, "maxLength": 300, "examples": ["Reduce blight"]}),
    ("status", {"type": "string", "enum": ["active", "archived"],
                "description": "`archived` objectives stay readable at their path and in the priorities that name "
                               "them, but are left out of the plan document and of their goal's `objectives`, and "
                               "new survey answers may not choose them.",
                "examples": ["active"]}),
]), description="An objective of a goal.", examples=[obj_by_title["Reduce blight"]])
schemas["Goal"] = closed(OrderedDict([
    ("id", ref("schemas", "Slug")),
    ("plan", {"$ref": "#/components/schemas/Slug", "description": "Id of the plan."}),
    ("position", {"type": "integer", "minimum": 1, "maximum": INT32_MAX, "description": "Position in plan order.", "examples": [4]}),
    ("title", {"type": "string", "minLength": 1, "maxLength": 200, "examples": ["Quality"]}),
    ("statement", {"type": "string", "maxLength": 2000, "description": "The goal statement; may be empty.",
                   "examples": [goal_by_id["quality"]["statement"]]}),
    ("status", {"type": "string", "enum": ["active", "archived"],
                "description": "`archived` goals stay readable at their path and in the goals collection, but are "
                               "left out of the plan document.",
                "examples": ["active"]}),
    ("objectives", {"type": "array", "description": "The goal's active objectives in plan order.",
                    "items": ref("schemas", "Objective")}),
]), description="A goal of the plan with its active objectives.")
schemas["Priority"] = closed(OrderedDict([
    ("year", ref("schemas", "Year")),
    ("rank", {"type": "integer", "minimum": 1, "maximum": 50, "description": "1 is the top priority of the year.", "examples": [1]}),
    ("objective", ref("schemas", "ObjectiveRef")),
    ("goal", {"$ref": "#/components/schemas/GoalRef", "description": "The goal of the objective."}),
    ("decided_on", {"$ref": "#/components/schemas/Date", "description": "When the priorities were set."}),
    ("decided_by", {"type": "string", "minLength": 1, "maxLength": 200, "examples": ["City Council"]}),
]), description="One ranked priority of a year: an objective of the plan.", examples=[priority_docs[0]])
schemas["PriorityYear"] = closed(OrderedDict([
    ("year", ref("schemas", "Year")),
    ("decided_on", ref("schemas", "Date")),
    ("decided_by", {"type": "string", "minLength": 1, "maxLength": 200, "examples": ["City Council"]}),
    ("items", {"type": "array", "maxItems": 50, "description": "The year's priorities by rank.", "items": ref("schemas", "Priority")}),
]), description="The priorities set for one year: an entry of the plan's `priorities`, and what "
                "`/v1/plans/{plan}/priorities/{year}` serves.", examples=[plan_doc["priorities"][0]])

# Plan writes (issue 4).
WRITE_YEAR = {"type": ["integer", "null"], "minimum": 1900, "maximum": 2999}
schemas["YearRangeInput"] = closed(OrderedDict([
    ("start", dict(WRITE_YEAR, description="The first year (1900 to 2999), or null.", examples=[2026])),
    ("end", dict(WRITE_YEAR, description="The last year (1900 to 2999), or null; not before `start`.",
                 examples=[2030])),
]), description="An inclusive range of calendar years; `start` must not be after `end`.",
    examples=[{"start": 2026, "end": 2030}])

def plan_write_props(create):
    p = OrderedDict()
    p["id"] = {"$ref": "#/components/schemas/Slug", "description":
               "The plan's id. Unset: made from `title` (lowercased, each run of other characters than a-z and 0-9 "
               "made one `-`, trimmed of `-`), with `-2`, `-3`... appended if a plan has it. A given id that a plan "
               "has is a fault." if create else
               "A new id for the plan; only while it has never been adopted (a fault after). No other plan may have it."}
    for name, ex_ in (("title", plan_create["title"]), ("city", plan_create["city"]), ("name", plan_create["name"])):
        p[name] = {"type": "string", "minLength": 1, "maxLength": 200, "examples": [ex_]}
    p["purpose_statement"] = {"type": "string", "maxLength": 5000, "description": "The purpose statement (its vision).",
                              "examples": [plan_doc["purpose_statement"]]}
    p["mission"] = {"type": "string", "maxLength": 5000, "examples": [plan_doc["mission"]]}
    if create:
        p["purpose_statement"]["default"] = ""
        p["mission"]["default"] = ""
    p["status"] = {"type": "string", "enum": ["draft", "adopted", "archived"],
                   "description": "`adopted` needs `adopted_on`. A plan that was once adopted cannot return to `draft`."
                   + (" `draft` unless set." if create else ""), "examples": ["adopted"]}
    if create:
        p["status"]["default"] = "draft"
    p["adopted_on"] = {"description": "When the plan was adopted, or null (not with status `adopted`).",
                       "oneOf": [ref("schemas", "Date"), {"type": "null"}]}
    p["period"] = {"$ref": "#/components/schemas/YearRangeInput", "description": "The years the plan covers."}
    p["update_period"] = {"$ref": "#/components/schemas/YearRangeInput", "description": "The years this update re-prioritises."}
    return p

schemas["PlanCreate"] = closed(plan_write_props(True), required=["title", "city", "name"],
    description="A new plan (it has no goals and no priorities yet). Every fault is reported at once (422 "
                "`invalid-body`); unknown members, `goals` and `priorities` included.", examples=[plan_create])
schemas["PlanPatch"] = closed(plan_write_props(False), required=[],
    description="Changes to a plan: any of the members, each replacing the current value. `{}` changes nothing.",
    examples=[plan_patch])

def position_prop(create, what):
    return {"type": "integer", "minimum": 1, "maximum": INT32_MAX, "description":
            (f"Position in plan order, 1 to n+1 (n: the plan's {what} now); the ones at and after it move down "
             "one. Unset: " if create else
             f"Position in plan order, 1 to n (n: the plan's {what}); the others move to make room.") +
            ({"goals": "n+1 (last).", "objectives": "right after the last objective of its goal."}[what]
             if create else ""),
            "examples": [2]}

def status_prop(create):
    p = {"type": "string", "enum": ["active", "archived"],
         "description": "`archived` keeps it readable (at its path, in the collections and in the priorities that "
                        "name it) but leaves it out of the plan document." + (" `active` unless set." if create else ""),
         "examples": ["archived"]}
    if create:
        p["default"] = "active"
    return p

def goal_write_props(create):
    p = OrderedDict()
    p["id"] = {"$ref": "#/components/schemas/Slug", "description":
               ("Unset: made from `title` as a plan's id is. " if create else "") +
               "Unique within the plan; it cannot change once the plan was adopted."}
    p["title"] = {"type": "string", "minLength": 1, "maxLength": 200, "examples": [goal_create["title"]]}
    p["statement"] = {"type": "string", "maxLength": 2000, "examples": [goal_create["statement"]]}
    if create:
        p["statement"]["default"] = ""
    p["position"] = position_prop(create, "goals")
    p["status"] = status_prop(create)
    return p

schemas["GoalCreate"] = closed(goal_write_props(True), required=["title"],
    description="A new goal of the plan (it has no objectives yet). Every fault is reported at once.",
    examples=[goal_create])
schemas["GoalPatch"] = closed(goal_write_props(False), required=[],
    description="Changes to a goal: any of the members, each replacing the current value.", examples=[goal_patch])

def objective_write_props(create):
    p = OrderedDict()
    p["goal"] = {"$ref": "#/components/schemas/Slug", "description":
                 "Id of a goal of the same plan." if create else
                 "Moves the objective to this goal of the plan; without `position`, right after that goal's last "
                 "objective."}
    p["id"] = {"$ref": "#/components/schemas/Slug", "description":
               ("Unset: made from `title` as a plan's id is. " if create else "") +
               "Unique within the plan; it cannot change once the plan was adopted."}
    p["title"] = {"type": "string", "minLength": 1, "maxLength": 300, "examples": [objective_create["title"]]}
    p["position"] = position_prop(create, "objectives")
    p["status"] = status_prop(create)
    return p

schemas["ObjectiveCreate"] = closed(objective_write_props(True), required=["goal", "title"],
    description="A new objective of the plan. Every fault is reported at once.", examples=[objective_create])
schemas["ObjectivePatch"] = closed(objective_write_props(False), required=[],
    description="Changes to an objective: any of the members, each replacing the current value.",
    examples=[objective_patch])

schemas["PrioritiesPut"] = closed(OrderedDict([
    ("decided_on", {"$ref": "#/components/schemas/Date", "description": "When the priorities were set."}),
    ("decided_by", {"type": "string", "minLength": 1, "maxLength": 200, "examples": ["City Council"]}),
    ("objectives", {"type": "array", "minItems": 1, "maxItems": 50, "uniqueItems": True,
                    "description": "1 to 50 distinct ids of active objectives of the plan, in rank order (rank = "
                                   "index + 1). A bad element (unknown, archived, repeated) is a fault at its index, "
                                   "such as `/objectives/2`.",
                    "items": ref("schemas", "Slug")}),
]), description="A year's ranked priorities, replacing any the year has.", examples=[priorities_put])

# What a 409 in-use names (issue 4).
schemas["ObjectiveReference"] = closed(OrderedDict([
    ("type", {"type": "string", "const": "objective", "examples": ["objective"]}),
    ("path", {"type": "string", "format": "uri-reference", "maxLength": PATH_MAX_LEN, "description": "The objective of the goal.",
              "examples": [goal_references[0]["path"]]}),
]), description="An objective that belongs to the goal.", examples=[goal_references[0]])
schemas["PrioritiesReference"] = closed(OrderedDict([
    ("type", {"type": "string", "const": "priorities", "examples": ["priorities"]}),
    ("path", {"type": "string", "format": "uri-reference", "maxLength": PATH_MAX_LEN, "description": "The year's priorities.",
              "examples": [objective_references[0]["path"]]}),
    ("rank", {"type": "integer", "minimum": 1, "maximum": 50, "description": "The objective's rank in them.", "examples": [1]}),
]), description="A year's priorities that rank the objective.", examples=[objective_references[0]])
schemas["ResponsesReference"] = closed(OrderedDict([
    ("type", {"type": "string", "const": "responses", "examples": ["responses"]}),
    ("survey", {"type": "string", "format": "uri-reference", "maxLength": PATH_MAX_LEN, "description": "The survey.",
                "examples": [objective_references[1]["survey"]]}),
    ("count", {"type": "integer", "minimum": 1, "maximum": INT64_MAX, "description": "How many of its responses choose the objective.",
               "examples": [3]}),
]), description="Responses to a survey that choose the objective.", examples=[objective_references[1]])
schemas["OpenSurveyReference"] = closed(OrderedDict([
    ("type", {"type": "string", "const": "open-survey", "examples": ["open-survey"]}),
    ("survey", {"type": "string", "format": "uri-reference", "maxLength": PATH_MAX_LEN, "description": "The open survey.",
                "examples": [objective_references[2]["survey"]]}),
]), description="An open survey of the plan that asks for objectives.", examples=[objective_references[2]])
REFTYPES = OrderedDict([("objective", "ObjectiveReference"), ("priorities", "PrioritiesReference"),
                        ("responses", "ResponsesReference"), ("open-survey", "OpenSurveyReference")])
schemas["Reference"] = OrderedDict([
    ("description", "Something that refers to the item a DELETE was refused for; `type` tells which kind."),
    ("oneOf", [ref("schemas", n) for n in REFTYPES.values()]),
    ("discriminator", {"propertyName": "type", "mapping": {t: f"#/components/schemas/{n}" for t, n in REFTYPES.items()}}),
    ("examples", objective_references),
])

# The audit log and the plan history (issue 4).
schemas["KeyActor"] = closed(OrderedDict([
    ("type", {"type": "string", "const": "key", "examples": ["key"]}),
    ("key", ref("schemas", "KeyId")),
    ("name", {"type": "string", "minLength": 1, "maxLength": 100, "description": "The key's name.", "examples": [admin_key_doc["name"]]}),
]), description="A change made over the API with this key.", examples=[audit_entries[0]["actor"]])
schemas["DatabaseActor"] = closed(OrderedDict([
    ("type", {"type": "string", "const": "database", "examples": ["database"]}),
    ("user", {"type": "string", "minLength": 1, "maxLength": 63, "description": "The database role that made the change.",
              "examples": ["civic"]}),
]), description="A change made in the database outside the API (plain SQL), recorded row by row.",
    examples=[audit_entries[2]["actor"]])
schemas["Actor"] = OrderedDict([
    ("description", "Who made a change: an API key, or a database role outside the API."),
    ("oneOf", [ref("schemas", "KeyActor"), ref("schemas", "DatabaseActor")]),
    ("discriminator", {"propertyName": "type", "mapping": {"key": "#/components/schemas/KeyActor",
                                                            "database": "#/components/schemas/DatabaseActor"}}),
    ("examples", [audit_entries[0]["actor"]]),
])
AUDIT_TIME_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"
AUDIT_RESOURCES = ["plan", "goal", "objective", "priorities", "survey", "key", "response", "initiative",
                   "indicator", "target", "observation", "override", "update", "import"]
def history_props(with_actor):
    p = OrderedDict()
    p["id"] = {"type": "integer", "minimum": 1, "maximum": INT64_MAX, "description": "The entry's number.", "examples": [42]}
    p["at"] = {"type": "string", "format": "date-time", "maxLength": 24, "pattern": AUDIT_TIME_PATTERN,
               "description": "When the change was made (its transaction's time): RFC 3339, UTC, milliseconds, `Z`.",
               "examples": [audit_entries[0]["at"]]}
    if with_actor:
        p["actor"] = ref("schemas", "Actor")
        p["request_id"] = {"type": ["string", "null"], "maxLength": 128, "pattern": RID_PATTERN,
                           "description": "The request id (`X-Request-Id`) of the request that made the change; null "
                                          "for a change made outside the API.", "examples": [RID]}
    p["resource"] = {"type": "string", "enum": AUDIT_RESOURCES if with_actor else AUDIT_RESOURCES[:4] + AUDIT_RESOURCES[7:],
                     "description": "What kind of resource changed.", "examples": ["objective"]}
    p["path"] = {"type": ["string", "null"], "format": "uri-reference", "maxLength": PATH_MAX_LEN,
                 "description": "The API path of the resource (for a delete, the path it had); null only for a row "
                                "changed outside the API whose path cannot be told any more (its plan is gone).",
                 "examples": [audit_entries[0]["path"]]}
    p["plan"] = {"type": ["string", "null"], "maxLength": 100, "pattern": SLUG_PATTERN,
                 "description": "Id of the plan the resource belongs to" + (" (a survey's or response's: its survey's "
                                "plan); null for keys, and when the plan is gone." if with_actor else
                                "; null when the plan is gone."),
                 "examples": [PLAN_ID]}
    p["action"] = {"type": "string", "enum": ["create", "update", "delete"], "examples": ["update"]}
    p["before"] = {"type": ["object", "null"],
                   "description": "What the resource was before the change; null for a create. For a change made "
                                  "over the API, its API representation: a plan is its document without `goals` "
                                  "and `priorities`; a goal, objective or year's priorities is its item" +
                                  ("; a survey is as admins see it; a key is as `GET /v1/keys` lists it; a "
                                   "response is the response" if with_actor else "") +
                                  ". For a change made outside the API, the changed table row. Never a key's "
                                  "secret or its hash.",
                   "examples": [audit_entries[0]["before"]]}
    p["after"] = {"type": ["object", "null"],
                  "description": "What the resource is after the change, as `before`; null for a delete.",
                  "examples": [audit_entries[0]["after"]]}
    return p
schemas["AuditEntry"] = closed(history_props(True),
    description="One recorded change, written in the same transaction as the change itself: a change that failed "
                "records nothing. A change made outside the API (plain SQL) is recorded row by row, with the "
                "database role as its actor.", examples=[audit_entries[0]])
schemas["HistoryEntry"] = closed(history_props(False),
    description="One recorded change to a plan, or to one of its goals, objectives or years' priorities: an audit "
                "entry without `actor` and `request_id`.", examples=[history_entries[0]])


survey_props = OrderedDict([
    ("id", ref("schemas", "Slug")),
    ("plan", {"$ref": "#/components/schemas/Slug", "description": "Id of the plan the survey is about."}),
    ("title", {"type": "string", "minLength": 1, "maxLength": 200, "examples": ["2020-21 Community Survey"]}),
    ("description", {"type": "string", "maxLength": 2000, "description": "May be empty.", "examples": [survey_summary["description"]]}),
    ("opens_at", {"$ref": "#/components/schemas/Timestamp", "description": "When the survey opens (inclusive), UTC."}),
    ("closes_at", {"$ref": "#/components/schemas/Timestamp", "description": "When the survey closes (exclusive), UTC."}),
    ("timezone", {"type": "string", "minLength": 1, "maxLength": 64, "description": "IANA time zone of the city, for display (`UTC` unless set).",
                  "examples": ["America/Chicago"]}),
    ("status", {"type": "string", "enum": ["draft", "open", "closed"],
                "description": "Set by admins. Responses are taken only while it is `open` and the time is within "
                               "[`opens_at`, `closes_at`).",
                "examples": ["closed"]}),
    ("results_visibility", {"type": "string", "enum": ["public", "after_close", "admin"],
                            "description": "Who sees the tallies: anyone (`public`), anyone once the survey is "
                                           "closed or past `closes_at` (`after_close`), or admins only (`admin`); "
                                           "until then, admins only.",
                            "examples": ["after_close"]}),
])
schemas["SurveySummary"] = closed(survey_props, description="A community survey without its questions.",
                                  examples=[survey_summary])
sprops = OrderedDict(survey_props)
sprops["questions"] = {"type": "array", "maxItems": 50, "description": "The questions by position.", "items": ref("schemas", "Question")}
schemas["Survey"] = closed(sprops, description="A community survey with its questions.", examples=[survey_doc])
aprops = OrderedDict(sprops)
aprops["partners"] = {"type": "array", "uniqueItems": True,
                      "description": "Ids of the partner keys allowed to submit (sorted); empty: any partner key.",
                      "items": ref("schemas", "KeyId")}
schemas["SurveyAdmin"] = closed(aprops, description="The survey document admins get back from a write: the survey "
                                "with its questions, and the partner keys allowed to submit to it.",
                                examples=[survey_admin_doc])

# Questions as published (sql/api/content.sql api_question: json_strip_nulls drops unset members).
def question_props(qtype, extra, prompt):
    props = OrderedDict([
        ("id", ref("schemas", "Slug")),
        ("position", {"type": "integer", "minimum": 1, "maximum": 50, "description": "Order of the question in the survey.", "examples": [1]}),
        ("prompt", {"type": "string", "minLength": 1, "maxLength": 500, "examples": [prompt]}),
        ("type", {"type": "string", "const": qtype, "examples": [qtype]}),
        ("required", {"type": "boolean", "description": "Whether a response must answer it.", "examples": [True]}),
    ])
    props.update(extra)
    return props

MIN_PROP = ("min", {"type": "integer", "minimum": 0, "maximum": INT32_MAX, "description": "Fewest to choose (0 unless set).", "examples": [1]})
MAX_PROP = ("max", {"type": "integer", "minimum": 1, "maximum": INT32_MAX, "description": "Most to choose; absent when unset (then: all of them).",
                    "examples": [3]})
OPTIONS_PROP = ("options", {"type": "array", "minItems": 2, "maxItems": 50, "uniqueItems": True,
                            "description": "The options, in order; an answer names them as they are written here.",
                            "items": {"type": "string", "minLength": 1, "maxLength": 100, "examples": ["parks"]}})
BASE_Q = ["id", "position", "prompt", "type", "required"]
schemas["AgreementQuestion"] = closed(question_props("agreement", OrderedDict([
    ("options", {"type": "array", "minItems": 5, "maxItems": 5, "const": AGREEMENT_LEVELS,
                 "description": "The answer values, in scale order; an answer is one of them.",
                 "items": {"type": "string", "maxLength": 17, "enum": AGREEMENT_LEVELS, "examples": ["agree"]}}),
]), survey_doc["questions"][0]["prompt"]), description="A question answered with one value of a five-level scale.",
    examples=[survey_doc["questions"][0]])
schemas["ObjectivesQuestion"] = closed(question_props("objectives", OrderedDict([MIN_PROP, MAX_PROP]),
                                                      survey_doc["questions"][1]["prompt"]),
    required=BASE_Q + ["min"],
    description="A question answered with between `min` and `max` distinct objective ids of the survey's plan.",
    examples=[survey_doc["questions"][1]])
schemas["ChoiceQuestion"] = closed(question_props("choice", OrderedDict([OPTIONS_PROP]), new_questions["district"]["prompt"]),
    description="A question answered with one of its options.", examples=[new_questions["district"]])
schemas["ChoicesQuestion"] = closed(question_props("choices", OrderedDict([OPTIONS_PROP, MIN_PROP, MAX_PROP]),
                                                   new_questions["services"]["prompt"]),
    required=BASE_Q + ["options", "min"],
    description="A question answered with between `min` and `max` distinct options.", examples=[new_questions["services"]])
schemas["TextQuestion"] = closed(question_props("text", OrderedDict([
    ("max_length", {"type": "integer", "minimum": 1, "maximum": 10000,
                    "description": "Longest answer, in Unicode code points (1000 unless set).", "examples": [500]}),
]), new_questions["comments"]["prompt"]), description="A question answered with free text.",
    examples=[new_questions["comments"]])
QTYPES = OrderedDict([("agreement", "AgreementQuestion"), ("objectives", "ObjectivesQuestion"),
                      ("choice", "ChoiceQuestion"), ("choices", "ChoicesQuestion"), ("text", "TextQuestion")])
schemas["Question"] = OrderedDict([
    ("description", "A survey question; `type` tells which kind and which members it has."),
    ("oneOf", [ref("schemas", n) for n in QTYPES.values()]),
    ("discriminator", {"propertyName": "type", "mapping": {t: f"#/components/schemas/{n}" for t, n in QTYPES.items()}}),
    ("examples", survey_doc["questions"]),
])

# Questions as admins send them (sql/api/surveys.sql api_question_faults).
def question_input(qtype, extra, example, required=("id", "prompt", "type")):
    props = OrderedDict([
        ("id", {"$ref": "#/components/schemas/Slug", "description": "Unique within the survey."}),
        ("prompt", {"type": "string", "minLength": 1, "maxLength": 500, "examples": [example["prompt"]]}),
        ("type", {"type": "string", "const": qtype, "examples": [qtype]}),
        ("required", {"type": "boolean", "default": True, "description": "Whether a response must answer it.",
                      "examples": [False]}),
    ])
    props.update(extra)
    return closed(props, required=list(required), description=f"A new `{qtype}` question.", examples=[example])

IN_MIN = ("min", {"type": "integer", "minimum": 0, "maximum": INT32_MAX, "default": 0,
                  "description": "Fewest to choose; at most the number of options (objectives: of the plan's objectives).",
                  "examples": [1]})
IN_MAX = ("max", {"type": "integer", "minimum": 1, "maximum": INT32_MAX, 
                  "description": "Most to choose: at least `min`, at most the number of options (objectives: of the "
                                 "plan's objectives). Unset: no limit.", "examples": [3]})
IN_OPTIONS = ("options", {"type": "array", "minItems": 2, "maxItems": 50, "uniqueItems": True,
                          "description": "2 to 50 distinct options of 1 to 100 characters.",
                          "items": {"type": "string", "minLength": 1, "maxLength": 100, "examples": ["parks"]}})
schemas["AgreementQuestionInput"] = question_input("agreement", OrderedDict(), question_inputs[0])
schemas["ObjectivesQuestionInput"] = question_input("objectives", OrderedDict([IN_MIN, IN_MAX]), question_inputs[1])
schemas["ChoiceQuestionInput"] = question_input("choice", OrderedDict([IN_OPTIONS]), question_inputs[2],
                                                required=("id", "prompt", "type", "options"))
schemas["ChoicesQuestionInput"] = question_input("choices", OrderedDict([IN_OPTIONS, IN_MIN, IN_MAX]), question_inputs[3],
                                                 required=("id", "prompt", "type", "options"))
schemas["TextQuestionInput"] = question_input("text", OrderedDict([
    ("max_length", {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000,
                    "description": "Longest answer, in Unicode code points.", "examples": [500]})]), question_inputs[4])
QITYPES = OrderedDict((t, n + "Input") for t, n in QTYPES.items())
schemas["QuestionInput"] = OrderedDict([
    ("description", "A question of a survey being created or changed. Members another type has (such as `options` "
                    "on an agreement question) are faults."),
    ("oneOf", [ref("schemas", n) for n in QITYPES.values()]),
    ("discriminator", {"propertyName": "type", "mapping": {t: f"#/components/schemas/{n}" for t, n in QITYPES.items()}}),
    ("examples", [question_inputs[1]]),
])

def survey_write_props(create):
    p = OrderedDict()
    if create:
        p["id"] = {"$ref": "#/components/schemas/Slug", "description": "The new survey's id; no survey may have it yet."}
        p["plan"] = {"$ref": "#/components/schemas/Slug", "description": "Id of an existing plan."}
    p["title"] = {"type": "string", "minLength": 1, "maxLength": 200, "examples": [survey_create["title"]]}
    p["description"] = {"type": "string", "maxLength": 2000, "description": "Empty unless set.",
                        "examples": [survey_create["description"]]}
    p["opens_at"] = {"$ref": "#/components/schemas/TimestampInput", "description": "When responses start (inclusive)."}
    p["closes_at"] = {"$ref": "#/components/schemas/TimestampInput",
                      "description": "When responses stop (exclusive); after `opens_at`."}
    p["timezone"] = {"type": "string", "minLength": 1, "maxLength": 64, "description": "An IANA time zone name (`UTC` unless set).",
                     "examples": ["America/Chicago"]}
    p["status"] = {"type": "string", "enum": ["draft", "open", "closed"],
                   "description": "`draft` unless set." if create else "The new status.", "examples": ["open"]}
    if create:
        p["status"]["default"] = "draft"
    p["results_visibility"] = {"type": "string", "enum": ["public", "after_close", "admin"],
                               "description": "Who sees the tallies (`after_close` unless set)." if create else
                               "Who sees the tallies.", "examples": ["public"]}
    if create:
        p["results_visibility"]["default"] = "after_close"
    p["partners"] = {"type": "array", "maxItems": 100,
                     "description": "At most 100 ids of partner keys allowed to submit; empty or absent: any "
                     "partner key." if create else "Replaces the partner keys allowed to submit (at most 100); empty: "
                     "any partner key.",
                     "items": ref("schemas", "KeyId")}
    p["questions"] = {"type": "array", "minItems": 1, "maxItems": 50,
                      "description": "The questions, in order (positions are given from 1)." if create else
                      "Replaces every question. Refused with 409 once the survey has responses.",
                      "items": ref("schemas", "QuestionInput")}
    return p

schemas["SurveyCreate"] = closed(survey_write_props(True), required=["id", "plan", "title", "opens_at", "closes_at", "questions"],
    description="A new survey. Every fault is reported at once (422 `invalid-body`).", examples=[survey_create])
schemas["SurveyPatch"] = closed(survey_write_props(False), required=[],
    description="Changes to a survey: any of the members, each replacing the current value (`null` is refused). "
                "`id` and `plan` cannot change.",
    examples=[OrderedDict([("status", "closed"), ("closes_at", "2027-01-15T06:00:00Z")])])

# API keys (sql/api/keys.sql api_key_json).
schemas["KeyId"] = {"type": "string", "maxLength": 20, "pattern": KEY_ID_PATTERN, "description": "The public id of an API key.",
                    "examples": [PARTNER_KEY_ID]}
key_props = OrderedDict([
    ("id", ref("schemas", "KeyId")),
    ("name", {"type": "string", "minLength": 1, "maxLength": 100, "examples": [key_doc["name"]]}),
    ("role", {"type": "string", "enum": ["admin", "partner"],
              "description": "`admin`: every operation; `partner`: submits responses and reads its own.",
              "examples": ["partner"]}),
    ("prefix", {"type": "string", "maxLength": 12, "pattern": "^cpk_[A-Za-z0-9_-]{8}$",
                "description": "The first 12 characters of the key, to recognise it.", "examples": [key_doc["prefix"]]}),
    ("surveys", {"type": "array", "description": "The surveys a partner key is limited to, sorted; empty: any survey.",
                 "items": ref("schemas", "Slug")}),
    ("created_at", ref("schemas", "Timestamp")),
    ("last_used_at", nullable("Timestamp", "Last successful use (recorded at most once a minute), or null.")),
    ("revoked_at", nullable("Timestamp", "When the key was revoked, or null while it is live.")),
    ("rate_limit", ref("schemas", "KeyRateLimit")),
])
schemas["KeyRateLimit"] = {
    "type": ["integer", "null"], "minimum": 1, "maximum": 10000000,
    "description": "The key's own rate limit: requests per rate-limit window (`CIVIC_RATELIMIT_WINDOW`, the `w` "
                   "of `RateLimit-Policy`) for every request but the cached public reads; null: the service's "
                   "default for keys (`CIVIC_RATELIMIT_KEY`). Every worker applies a change within 1 second.",
    "examples": [120]}
schemas["ApiKey"] = closed(key_props, description="An API key, without its secret.", examples=[key_doc])
nk_props = OrderedDict(key_props)
nk_props["key"] = {"type": "string", "maxLength": 47, "pattern": "^cpk_[A-Za-z0-9_-]{43}$",
                   "description": "The secret, shown in this response only: send it as `Authorization: Bearer <key>`.",
                   "examples": [NEW_KEY]}
schemas["NewApiKey"] = closed(nk_props, description="A key just created: the ApiKey members and, once, the key itself.",
                              examples=[new_key_doc])
schemas["KeyCreate"] = closed(OrderedDict([
    ("name", {"type": "string", "minLength": 1, "maxLength": 100, "description": "Who holds the key.",
              "examples": [key_doc["name"]]}),
    ("role", {"type": "string", "enum": ["admin", "partner"], "examples": ["partner"]}),
    ("surveys", {"type": "array", "maxItems": 100,
                 "description": "Partner keys only: ids of existing surveys the key is limited to (at most 100).",
                 "items": ref("schemas", "Slug")}),
    ("rate_limit", ref("schemas", "KeyRateLimit")),
]), required=["name", "role"], description="A new API key. `surveys` with role `admin` is a fault.",
    examples=[key_create])
schemas["KeyPatch"] = closed(OrderedDict([
    ("name", {"type": "string", "minLength": 1, "maxLength": 100, "description": "Who holds the key.",
              "examples": [key_doc["name"]]}),
    ("rate_limit", ref("schemas", "KeyRateLimit")),
]), required=[], description="What an admin may change of a key: the members sent change, the others stay.",
    examples=[key_patch])
schemas["KeyCollection"] = collection("ApiKey", "A page of API keys, oldest first.",
                                      page([admin_key_doc], 1, KEYS_CURSOR, f"/v1/keys?limit=1&cursor={KEYS_CURSOR}"),
                                      next_example=f"/v1/keys?limit=1&cursor={KEYS_CURSOR}", cursor_example=KEYS_CURSOR)

# Responses (sql/api/responses.sql api_response_json).
schemas["AnswerValue"] = {
    "description": "An answer: a string (agreement level, choice option, text) or an array of strings (objective ids, "
                   "choices options). In a request, `null` is the same as no answer.",
    "oneOf": [{"type": "string", "maxLength": 10000}, {"type": "array", "items": {"type": "string", "maxLength": 100}},
              {"type": "null"}],
    "examples": ["agree"]}
schemas["ResponseSubmit"] = closed(OrderedDict([
    ("external_id", {"type": "string", "minLength": 1, "maxLength": 200,
                     "description": "The submitter's own unique reference for this response (1 to 200 bytes of UTF-8): "
                                    "resubmitting the same one is safe.", "examples": [response_submit["external_id"]]}),
    ("answers", {"type": "object", "description": "Answers by question id. Each question that is `required` needs one.",
                 "additionalProperties": ref("schemas", "AnswerValue"),
                 "examples": [response_submit["answers"]]}),
    ("submitted_at", {"description": "When the respondent answered (not more than a minute in the future).",
                      "oneOf": [ref("schemas", "TimestampInput"), {"type": "null"}]}),
    ("channel", {"type": ["string", "null"], "minLength": 1, "maxLength": 50,
                 "description": "How the response was collected (1 to 50 bytes of UTF-8).", "examples": ["library-kiosk"]}),
]), required=["external_id", "answers"],
    description="A survey response. agreement: one of the five levels; objectives: distinct objective ids of the "
                "survey's plan, between `min` and `max`; choice: one option; choices: distinct options, between `min` "
                "and `max`; text: a string of at most `max_length` code points. Server-owned members (`id`, `partner`, "
                "`status`, ...) are faults like any unknown member.",
    examples=[response_submit])
schemas["SurveyResponse"] = closed(OrderedDict([
    ("id", {"type": "string", "format": "uuid", "maxLength": 36, "examples": [RESPONSE_ID]}),
    ("survey", ref("schemas", "Slug")),
    ("partner", {"$ref": "#/components/schemas/KeyId", "description": "The API key that submitted it."}),
    ("external_id", {"type": "string", "minLength": 1, "maxLength": 200, "examples": [response_doc["external_id"]]}),
    ("answers", {"type": "object", "description": "The answers as submitted.",
                 "additionalProperties": ref("schemas", "AnswerValue")}),
    ("submitted_at", nullable("Timestamp", "As submitted, or null.")),
    ("channel", {"type": ["string", "null"], "maxLength": 50, "description": "As submitted, or null.", "examples": ["library-kiosk"]}),
    ("created_at", {"$ref": "#/components/schemas/Timestamp", "description": "When the service stored it."}),
    ("status", {"type": "string", "enum": ["counted", "voided"],
                "description": "`voided` responses stay stored but no longer count in the tallies.", "examples": ["counted"]}),
    ("voided_at", nullable("Timestamp", "When it was voided, or null.")),
    ("void_reason", {"type": ["string", "null"], "maxLength": 500, "description": "Why it was voided, or null.",
                     "examples": [voided_doc["void_reason"]]}),
]), description="A stored survey response.", examples=[response_doc])
schemas["ResponseCollection"] = collection(
    "SurveyResponse", "A page of responses (admin: all; partner: its own), newest first unless `order=asc`.",
    page([response_doc], 1, RESPONSES_CURSOR,
         f"/v1/surveys/{SURVEY_NEW}/responses?limit=1&cursor={RESPONSES_CURSOR}"),
    next_example=f"/v1/surveys/{SURVEY_NEW}/responses?limit=1&cursor={RESPONSES_CURSOR}", cursor_example=RESPONSES_CURSOR)
schemas["VoidRequest"] = closed(OrderedDict([
    ("reason", {"type": "string", "minLength": 1, "maxLength": 500, "description": "Why the response no longer counts.",
                "examples": [voided_doc["void_reason"]]})]),
    description="Voiding a response.", examples=[{"reason": voided_doc["void_reason"]}])
schemas["Batch"] = closed(OrderedDict([
    ("responses", {"type": "array", "minItems": 1, "maxItems": 500,
                   "description": "1 to 500 responses, each shaped like a single submission. Each is checked and "
                                  "stored on its own: a bad item fails alone, in its result.",
                   "items": ref("schemas", "ResponseSubmit")})]),
    description="Several responses in one request.", examples=[{"responses": [response_submit, response_submit_2]}])
schemas["BatchItemProblem"] = closed(OrderedDict([
    ("type", {"type": "string", "format": "uri-reference",
              "enum": ["/problems/invalid-body", "/problems/duplicate-response", "/problems/internal-error"],
              "examples": ["/problems/invalid-body"]}),
    ("title", {"type": "string", "enum": ["Invalid Body", "Duplicate Response", "Internal Server Error"],
               "examples": ["Invalid Body"]}),
    ("status", {"type": "integer", "minimum": 409, "maximum": 500, "enum": [409, 422, 500], "examples": [422]}),
    ("detail", {"type": "string", "maxLength": DETAIL_MAX_LEN, "examples": ["This response does not match the survey's questions."]}),
    ("errors", {"type": "array", "minItems": 1, "description": "`invalid-body` only: every fault of the item; pointers "
                "are relative to the item.", "items": ref("schemas", "BodyError")}),
    ("existing_response", {"type": "string", "format": "uri-reference", "maxLength": PATH_MAX_LEN,
                           "description": "`duplicate-response` only: the stored response.",
                           "examples": [RESPONSE_PATH]}),
]), required=["type", "title", "status", "detail"],
    description="Why one item of a batch was not stored: a problem document without `instance` and `request_id`.",
    examples=[batch_result_doc["results"][1]["problem"]])
schemas["BatchItemStored"] = closed(OrderedDict([
    ("index", {"type": "integer", "minimum": 0, "maximum": 499, "description": "Position of the item in the request.", "examples": [0]}),
    ("status", {"type": "integer", "minimum": 200, "maximum": 201, "enum": [200, 201],
                "description": "201: stored now; 200: this `external_id` was stored before with the same answers.",
                "examples": [201]}),
    ("location", {"type": "string", "format": "uri-reference", "maxLength": PATH_MAX_LEN, "description": "The response's URL.",
                  "examples": [RESPONSE_PATH]}),
    ("response", ref("schemas", "SurveyResponse")),
]), description="An item of a batch that is stored.", examples=[batch_result_doc["results"][0]])
schemas["BatchItemFailed"] = closed(OrderedDict([
    ("index", {"type": "integer", "minimum": 0, "maximum": 499, "description": "Position of the item in the request.", "examples": [1]}),
    ("status", {"type": "integer", "minimum": 409, "maximum": 500, "enum": [409, 422, 500], "examples": [422]}),
    ("problem", ref("schemas", "BatchItemProblem")),
]), description="An item of a batch that is not stored.", examples=[batch_result_doc["results"][1]])
schemas["BatchResult"] = closed(OrderedDict([
    ("results", {"type": "array", "maxItems": 500, "description": "One result per item, in request order.",
                 "items": {"oneOf": [ref("schemas", "BatchItemStored"), ref("schemas", "BatchItemFailed")]}})]),
    description="What happened to each item of a batch.", examples=[batch_result_doc])

# Tallies (src/tally.c).
schemas["Share"] = closed(OrderedDict([
    ("numerator", {"type": "integer", "minimum": 0, "maximum": INT64_MAX, "examples": [2]}),
    ("denominator", {"type": "integer", "minimum": 0, "maximum": INT64_MAX, "description": "The responses that answered the question.",
                     "examples": [3]}),
    ("share", {"type": "number", "minimum": 0, "maximum": 1, "description": "numerator / denominator (0 when nobody answered).",
               "examples": [0.6666666666666666]}),
]), description="A fraction, with its parts.", examples=[share_doc(2, 3)])

def tally_props(qtype, extra):
    p = OrderedDict([
        ("id", {"$ref": "#/components/schemas/Slug", "description": "The question's id."}),
        ("type", {"type": "string", "const": qtype, "examples": [qtype]} if isinstance(qtype, str) else
                 {"type": "string", "enum": list(qtype), "examples": [qtype[0]]}),
        ("answered", {"type": "integer", "minimum": 0, "maximum": INT64_MAX, "description": "Counted responses that answered it.", "examples": [3]}),
    ])
    p.update(extra)
    return p

schemas["AgreementTally"] = closed(tally_props("agreement", OrderedDict([
    ("counts", closed(OrderedDict((lvl, {"type": "integer", "minimum": 0, "maximum": INT64_MAX, "examples": [1]}) for lvl in AGREEMENT_LEVELS),
                      description="Responses per level.")),
    ("agree", {"$ref": "#/components/schemas/Share", "description": "`agree` plus `strongly_agree` over `answered`."}),
])), description="The tally of an agreement question.", examples=[tallies_doc["questions"][0]])
schemas["ObjectiveVotes"] = closed(OrderedDict([
    ("id", {"$ref": "#/components/schemas/Slug", "description": "The objective's id."}),
    ("votes", {"type": "integer", "minimum": 0, "maximum": INT64_MAX, "examples": [3]}),
    ("share", {"$ref": "#/components/schemas/Share", "description": "`votes` over the question's `answered`."}),
    ("rank", {"type": "integer", "minimum": 1, "maximum": INT64_MAX, "description": "1 for the most votes; equal votes share a rank (1, 2, 2, 4).",
              "examples": [1]}),
]), description="The votes of one objective.", examples=[tallies_doc["questions"][1]["objectives"][0]])
schemas["ObjectivesTally"] = closed(tally_props("objectives", OrderedDict([
    ("objectives", {"type": "array", "description": "Every objective of the plan, by rank, then in plan order.",
                    "items": ref("schemas", "ObjectiveVotes")}),
])), description="The tally of an objectives question.", examples=[tallies_doc["questions"][1]])
schemas["ChoiceTally"] = closed(tally_props(("choice", "choices"), OrderedDict([
    ("counts", {"type": "object", "description": "Responses per option, for every option.",
                "additionalProperties": {"type": "integer", "minimum": 0, "maximum": INT64_MAX}, "examples": [choice_tally["counts"]]}),
])), description="The tally of a choice or choices question.", examples=[choice_tally])
schemas["Tallies"] = closed(OrderedDict([
    ("survey", {"$ref": "#/components/schemas/Slug", "description": "The survey's id."}),
    ("as_of", {"$ref": "#/components/schemas/Timestamp",
               "description": "When the numbers were read (a cached copy keeps its time)."}),
    ("version", {"type": "string", "maxLength": 19, "pattern": "^[0-9]+$",
                 "description": "Changes whenever a number changes (a submission or a void); the ETag ends with it.",
                 "examples": ["7"]}),
    ("total", {"type": "integer", "minimum": 0, "maximum": INT64_MAX, "description": "Counted (not voided) responses.", "examples": [3]}),
    ("questions", {"type": "array", "maxItems": 50, "description": "One tally per question, in survey order; text questions have none.",
                   "items": OrderedDict([
                       ("oneOf", [ref("schemas", "AgreementTally"), ref("schemas", "ObjectivesTally"),
                                  ref("schemas", "ChoiceTally")]),
                       ("discriminator", {"propertyName": "type", "mapping": {
                           "agreement": "#/components/schemas/AgreementTally",
                           "objectives": "#/components/schemas/ObjectivesTally",
                           "choice": "#/components/schemas/ChoiceTally",
                           "choices": "#/components/schemas/ChoiceTally"}})])}),
]), description="Live results of a survey, from counters kept as responses are stored and voided.",
    examples=[tallies_doc])
schemas["PlanCollection"] = collection("PlanSummary", "A page of plan summaries, by `adopted_on`, newest first, plans "
                                       "without one last (drafts are listed to admins only).", page([plan_summary]))
schemas["GoalCollection"] = collection("Goal", "A page of a plan's goals in plan order, archived ones too, each with "
                                       "its active objectives.",
                                       page(goal_docs[:2], 2, GOALS_CURSOR, f"/v1/plans/{PLAN_ID}/goals?limit=2&cursor={GOALS_CURSOR}"))
schemas["ObjectiveCollection"] = collection("Objective", "A page of a plan's objectives in plan order, archived ones too.",
                                            page([o for o in objective_docs if o["goal"] == "economy"]))
schemas["PriorityCollection"] = collection("Priority", "A page of a plan's priorities, by year descending then rank ascending.",
                                           page(priority_docs))
schemas["AuditCollection"] = collection(
    "AuditEntry", "A page of the audit log, newest first.",
    page(audit_entries[:1], 1, AUDIT_CURSOR, f"/v1/audit?limit=1&cursor={AUDIT_CURSOR}"),
    next_example=f"/v1/audit?limit=1&cursor={AUDIT_CURSOR}", cursor_example=AUDIT_CURSOR)
schemas["HistoryCollection"] = collection(
    "HistoryEntry", "A page of a plan's history, newest first.",
    page(history_entries[:1], 1, HISTORY_CURSOR, plan_path(f"history?limit=1&cursor={HISTORY_CURSOR}")),
    next_example=plan_path(f"history?limit=1&cursor={HISTORY_CURSOR}"), cursor_example=HISTORY_CURSOR)
schemas["SurveyCollection"] = collection("SurveySummary", "A page of survey summaries (without questions).",
                                         page([survey_summary]))
schemas["Health"] = closed(OrderedDict([("status", {"type": "string", "const": "ok", "examples": ["ok"]})]),
                           description="Liveness: the service answers.", examples=[{"status": "ok"}])
schemas["Readiness"] = closed(OrderedDict([
    ("status", {"type": "string", "const": "ready", "examples": ["ready"]}),
    ("database", {"type": "string", "const": "ok", "examples": ["ok"]})]),
    description="Readiness: the database answers.", examples=[{"status": "ready", "database": "ok"}])
schemas["OpenApiDocument"] = {
    "type": "object", "description": "This OpenAPI 3.1 document, served byte for byte from `docs/openapi.json`.",
    "required": ["openapi", "info", "paths"],
    "properties": {"openapi": {"type": "string", "const": "3.1.0", "examples": ["3.1.0"]},
                   "info": {"type": "object"}, "paths": {"type": "object"}},
    "examples": [{"openapi": "3.1.0", "info": {"title": "Civic Plan API", "version": API_VERSION}, "paths": {}}]}
schemas["InvalidParameterError"] = closed(OrderedDict([
    ("parameter", {"type": "string", "maxLength": 31, "description": "Name of the offending query parameter as sent.", "examples": ["limit"]}),
    ("detail", {"type": "string", "minLength": 1, "maxLength": DETAIL_MAX_LEN, "examples": ["must be an integer from 1 to 200"]})]),
    description="One rejected query parameter.", examples=[{"parameter": "limit", "detail": "must be an integer from 1 to 200"}])
schemas["BodyError"] = closed(OrderedDict([
    ("pointer", {"type": "string", "maxLength": POINTER_MAX_LEN, "pattern": "^(/[^/]*)*$",
                 "description": "JSON Pointer (RFC 6901) to the offending member of the body; empty for the body itself.",
                 "examples": ["/answers/top-priorities/2"]}),
    ("detail", {"type": "string", "minLength": 1, "maxLength": DETAIL_MAX_LEN, "examples": ["'nope' is not an objective of the plan of this survey."]})]),
    description="One fault of a request body.",
    examples=[{"pointer": "/answers/top-priorities/2", "detail": "'nope' is not an objective of the plan of this survey."}])
schemas["InvalidHeaderError"] = closed(OrderedDict([
    ("header", {"type": "string", "maxLength": 31, "description": "Name of the offending request header.",
                "examples": ["Authorization"]}),
    ("detail", {"type": "string", "minLength": 1, "maxLength": DETAIL_MAX_LEN, "examples": ["Authorization is sent more than once; send it once."]})]),
    description="The rejected request header.",
    examples=[{"header": "Authorization", "detail": "Authorization is sent more than once; send it once."}])
STATUSES = sorted({v[0] for v in PROBLEMS.values()})
schemas["Problem"] = closed(OrderedDict([
    ("type", {"type": "string", "format": "uri-reference", "enum": [f"/problems/{s}" for s in PROBLEMS],
              "description": "Identifies the problem type (a relative URI reference).", "examples": ["/problems/not-found"]}),
    ("title", {"type": "string", "enum": [v[1] for v in PROBLEMS.values()],
               "description": "Short summary of the problem type; always the same for a type.", "examples": ["Not Found"]}),
    ("status", {"type": "integer", "minimum": STATUSES[0], "maximum": STATUSES[-1], "enum": STATUSES,
                "description": "The HTTP status code of the response.", "examples": [404]}),
    ("detail", {"type": "string", "maxLength": DETAIL_MAX_LEN, "description": "Explanation specific to this occurrence.",
                "examples": ["No plan with id \"springfield-2030\"."]}),
    ("instance", {"type": "string", "format": "uri-reference", "maxLength": 1024, "description": "The request path.",
                  "examples": ["/v1/plans/springfield-2030"]}),
    ("request_id", {"type": "string", "maxLength": 128, "pattern": RID_PATTERN, "description": "The request's X-Request-Id.",
                    "examples": [RID]}),
    ("errors", {"type": "array", "minItems": 1,
                "description": "`/problems/invalid-parameter`: the rejected query parameters; `/problems/invalid-body`: "
                               "the faults of the body; `/problems/invalid-header`: the rejected header.",
                "items": {"anyOf": [ref("schemas", "InvalidParameterError"), ref("schemas", "BodyError"),
                                    ref("schemas", "InvalidHeaderError")]}}),
    ("existing_response", {"type": "string", "format": "uri-reference", "maxLength": PATH_MAX_LEN,
                           "description": "`/problems/duplicate-response` only: the response already stored.",
                           "examples": [RESPONSE_PATH]}),
    ("etag", {"type": ["string", "null"], "maxLength": 18, "pattern": "^\"[0-9a-f]{16}\"$",
              "description": "`/problems/precondition-failed` only: the item's current ETag, or null when it does "
                             "not exist.", "examples": [PLAN_ETAG]}),
    ("referenced_by", {"type": "array", "minItems": 1,
                       "description": "`/problems/in-use` only: what refers to the item.",
                       "items": ref("schemas", "Reference")}),
]), required=["type", "title", "status", "detail", "instance", "request_id"],
    description="An RFC 9457 problem document (media type `application/problem+json`), sent with "
                "`Cache-Control: no-store`. Problem types:\n\n| type | status | title | when |\n|---|---|---|---|\n"
                + problem_table,
    examples=[problem_example("not-found", "No plan with id \"springfield-2030\".", "/v1/plans/springfield-2030")])

def typed_problem(slugs, description, examples, extra=None, required=()):
    """A Problem narrowed to some types."""
    props = OrderedDict()
    if len(slugs) == 1:
        st, title, _ = PROBLEMS[slugs[0]]
        props["type"] = {"const": f"/problems/{slugs[0]}"}
        props["title"] = {"const": title}
        props["status"] = {"const": st}
    else:
        props["type"] = {"enum": [f"/problems/{s}" for s in slugs]}
        props["title"] = {"enum": [PROBLEMS[s][1] for s in slugs]}
        props["status"] = {"enum": sorted({PROBLEMS[s][0] for s in slugs})}
    if extra:
        props.update(extra)
    narrow = OrderedDict([("type", "object")])
    if required:
        narrow["required"] = list(required)
    narrow["properties"] = props
    return OrderedDict([("description", description), ("allOf", [ref("schemas", "Problem"), narrow]),
                        ("examples", examples)])

ex_invalid_parameter = problem_example("invalid-parameter", "The query string is invalid.", "/v1/plans",
                                       [{"parameter": "limit", "detail": "must be an integer from 1 to 200"}])
ex_invalid_body = problem_example(
    "invalid-body", "The response does not match the survey's questions.", f"/v1/surveys/{SURVEY_NEW}/responses",
    [{"detail": "'nope' is not an objective of the plan of this survey.", "pointer": "/answers/top-priorities/2"},
     {"detail": "Unknown member 'id': it is set by the server.", "pointer": "/id"}])
ex_duplicate = problem_example(
    "duplicate-response", f"external_id '{response_doc['external_id']}' was already submitted with other answers, "
    f"as response {RESPONSE_ID}.", f"/v1/surveys/{SURVEY_NEW}/responses", existing_response=RESPONSE_PATH)
schemas["InvalidParameterProblem"] = typed_problem(
    ["invalid-parameter"], "The problem document of a 400 `/problems/invalid-parameter` about the query string: a "
    "Problem whose `errors` lists each rejected query parameter.", [ex_invalid_parameter],
    extra={"errors": {"items": ref("schemas", "InvalidParameterError")}}, required=["errors"])
schemas["InvalidHeaderProblem"] = typed_problem(
    ["invalid-header"], "The problem document of a 400 `/problems/invalid-header`: a Problem whose `errors` names "
    "the rejected request header.", [problem_example(
        "invalid-header", "Authorization is sent more than once; send it once.", "/v1/keys",
        [{"header": "Authorization", "detail": "Authorization is sent more than once; send it once."}])],
    extra={"errors": {"items": ref("schemas", "InvalidHeaderError")}}, required=["errors"])
schemas["InvalidBodyProblem"] = typed_problem(
    ["invalid-body"], "The problem document of a 422 `/problems/invalid-body`: a Problem whose `errors` lists every "
    "fault of the body, each with a JSON Pointer.", [ex_invalid_body],
    extra={"errors": {"items": ref("schemas", "BodyError")}}, required=["errors"])
ex_precondition = problem_example(
    "precondition-failed", "If-Match does not match the current ETag of this goal.", plan_path("goals", "quality"),
    etag=PLAN_ETAG)
ex_in_use_goal = problem_example(
    "in-use", "Goal 'quality' has 7 objectives; delete or move them first, or archive the goal.",
    plan_path("goals", "quality"), referenced_by=goal_references)
ex_in_use_objective = problem_example(
    "in-use", "Objective 'reduce-crime-and-disorder' is ranked 1 in the 2021 priorities, chosen in 3 responses to "
    "survey 'community-survey-2020-21', and open survey 'budget-2027' asks for objectives; archive it instead.",
    plan_path("objectives", "reduce-crime-and-disorder"), referenced_by=objective_references)
schemas["PreconditionFailedProblem"] = typed_problem(
    ["precondition-failed"], "The problem document of a 412 `/problems/precondition-failed`: `etag` is the item's "
    "current ETag (null when it does not exist).", [ex_precondition], required=["etag"])
schemas["InUseProblem"] = typed_problem(
    ["in-use"], "The problem document of a 409 `/problems/in-use`: `referenced_by` lists what refers to the item.",
    [ex_in_use_goal], required=["referenced_by"])
schemas["DuplicateResponseProblem"] = typed_problem(
    ["duplicate-response"], "The problem document of a 409 `/problems/duplicate-response`: `existing_response` is the "
    "URL of the response stored for this `external_id`.", [ex_duplicate], required=["existing_response"])

# ----------------------------------------------------------------- headers
ALLOW = OrderedDict([
    ("Read", "GET, HEAD, OPTIONS"),
    ("ReadPost", "GET, HEAD, POST, OPTIONS"),
    ("ReadPatch", "GET, HEAD, PATCH, OPTIONS"),
    ("ReadPut", "GET, HEAD, PUT, OPTIONS"),
    ("ReadPatchDelete", "GET, HEAD, PATCH, DELETE, OPTIONS"),
    ("PatchDelete", "PATCH, DELETE, OPTIONS"),
    ("Post", "POST, OPTIONS"),
])
HEADER_NAMES = {}   # component name -> header name

headers = OrderedDict()
def header(component, name, spec):
    headers[component] = spec
    HEADER_NAMES[component] = name

header("ETag", "ETag", {"description": "Strong entity tag of the representation: 16 lowercase hex digits in quotes.",
                        "required": True, "schema": {"type": "string", "pattern": "^\"[0-9a-f]{16}\"$",
                                                     "examples": ["\"3f2a9c1d8e7b6a50\""]}})
header("ETag-Survey", "ETag", {"description": "The strong entity tag `GET /v1/surveys/{survey}` now gives (of the "
                               "public survey, not of this body, which adds the partners): send it in If-Match to change the survey again.",
                               "required": True, "schema": {"type": "string", "pattern": "^\"[0-9a-f]{16}\"$",
                                                            "examples": ["\"7c41d09e2fa8b356\""]}})
header("ETag-Tallies", "ETag", {"description": "Strong entity tag of the tallies: a hash of the survey id, the "
                                "counters' `version` and the revision of the published data (the survey and its "
                                "plan's objectives), so it changes when a number does or when what they count does.",
                                "required": True, "schema": {"type": "string", "pattern": "^\"[0-9a-f]{8}-[0-9]+-[0-9]+\"$",
                                                             "examples": [TALLIES_ETAG]}})
header("Cache-Control-Public", "Cache-Control", {"description": "Read routes may be cached for 60 seconds.", "required": True,
                                                 "schema": {"type": "string", "const": "public, max-age=60",
                                                            "examples": ["public, max-age=60"]}})
header("Cache-Control-Plan", "Cache-Control", {
    "description": "Plan routes: `public, max-age=60` for a request without Authorization; `private, no-cache` for "
                   "one with a key (an admin sees draft plans).", "required": True,
    "schema": {"type": "string", "enum": ["public, max-age=60", "private, no-cache"],
               "examples": ["public, max-age=60"]}})
header("Cache-Control-No-Store", "Cache-Control", {
    "description": "Never cached: health checks, writes, single responses, OPTIONS and problems.", "required": True,
    "schema": {"type": "string", "const": "no-store", "examples": ["no-store"]}})
header("Cache-Control-Private-No-Store", "Cache-Control", {
    "description": "Pages of keys, responses, the audit log or a plan's history, read from the database: never "
                   "cached.",
    "required": True, "schema": {"type": "string", "const": "private, no-store", "examples": ["private, no-store"]}})
header("Cache-Control-Tallies", "Cache-Control", {
    "description": "Revalidate every time (If-None-Match gives a cheap 304): `no-cache` when the results are public, "
                   "`private, no-cache` when they are shown to admins only.", "required": True,
    "schema": {"type": "string", "enum": ["no-cache", "private, no-cache"], "examples": ["no-cache"]}})
header("X-Request-Id", "X-Request-Id", {
    "description": "The client's X-Request-Id if it was 1 to 128 characters of `[A-Za-z0-9._:-]`; otherwise a generated 32-hex-digit id.",
    "required": True, "schema": {"type": "string", "pattern": RID_PATTERN, "examples": [RID]}})
header("Vary", "Vary", {"description": "Names `Origin` (CORS headers depend on it) and `Authorization` (the plan routes "
                        "and the tallies depend on the key).",
                        "required": True, "schema": {"type": "string", "pattern": "(^|,)\\s*Origin\\s*(,|$)",
                                                     "examples": ["Origin"]}})
header("Link", "Link", {"description": "Present when there is a next page: `<next>; rel=\"next\"`, where next is a path and query relative URL (the body's `next`).",
                        "schema": {"type": "string",
                                   "examples": [f"</v1/plans/{PLAN_ID}/goals?limit=2&cursor={GOALS_CURSOR}>; rel=\"next\""]}})
for name, methods in ALLOW.items():
    header(f"Allow-{name}", "Allow", {"description": "The methods the path serves.", "required": True,
                                      "schema": {"type": "string", "const": methods, "examples": [methods]}})
header("Retry-After", "Retry-After", {"description": "Seconds to wait before retrying (1).", "required": True,
                                      "schema": {"type": "integer", "minimum": 1, "maximum": 1, "examples": [1]}})
header("WWW-Authenticate", "WWW-Authenticate", {
    "description": "The bearer challenge: without `error` when no Authorization was sent; with "
                   "`error=\"invalid_token\"` when it is malformed or names an unknown or revoked key (and on 401s "
                   "decided by the database, whatever was sent).", "required": True,
    "schema": {"type": "string", "enum": ["Bearer realm=\"civicplan\"", "Bearer realm=\"civicplan\", error=\"invalid_token\""],
               "examples": ["Bearer realm=\"civicplan\""]}})
header("Location-Key", "Location", {"description": "The new key's URL (where DELETE revokes it).", "required": True,
                                    "schema": {"type": "string", "format": "uri-reference", "pattern": "^/v1/keys/key_[0-9a-f]{16}$",
                                               "examples": [f"/v1/keys/{PARTNER_KEY_ID}"]}})
header("Location-Survey", "Location", {"description": "The new survey's URL.", "required": True,
                                       "schema": {"type": "string", "format": "uri-reference",
                                                  "pattern": "^/v1/surveys/[a-z0-9]+(-[a-z0-9]+)*$",
                                                  "examples": [f"/v1/surveys/{SURVEY_NEW}"]}})
for _name, _desc, _pattern, _example in (
        ("Plan", "The new plan's URL.", "", f"/v1/plans/{PLAN_NEW}"),
        ("Goal", "The new goal's URL.", "/goals/[a-z0-9]+(-[a-z0-9]+)*", plan_path("goals", new_goal_doc["id"])),
        ("Objective", "The new objective's URL.", "/objectives/[a-z0-9]+(-[a-z0-9]+)*",
         plan_path("objectives", new_objective_doc["id"])),
        ("Priorities", "The URL of the year's priorities.", "/priorities/[0-9]{4}", plan_path("priorities", "2022"))):
    header(f"Location-{_name}", "Location", {"description": _desc, "required": True,
                                             "schema": {"type": "string", "format": "uri-reference",
                                                        "pattern": f"^/v1/plans/[a-z0-9]+(-[a-z0-9]+)*{_pattern}$",
                                                        "examples": [_example]}})
LOCATION_RESPONSE_SCHEMA = {"type": "string", "format": "uri-reference",
                            "pattern": "^/v1/surveys/[a-z0-9]+(-[a-z0-9]+)*/responses/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                            "examples": [RESPONSE_PATH]}
header("Location-Response", "Location", {"description": "The stored response's URL.", "required": True,
                                         "schema": LOCATION_RESPONSE_SCHEMA})
header("Location-Existing-Response", "Location", {
    "description": "With `/problems/duplicate-response`: the URL of the response stored for this `external_id`.",
    "schema": LOCATION_RESPONSE_SCHEMA})
header("Access-Control-Allow-Origin", "Access-Control-Allow-Origin", {
    "description": "Present only when the request's Origin is one of CIVIC_CORS_ORIGINS: that origin, echoed.",
    "schema": {"type": "string", "examples": ["https://dashboard.example.org"]}})
header("Access-Control-Expose-Headers", "Access-Control-Expose-Headers", {
    "description": "Present with Access-Control-Allow-Origin.",
    "schema": {"type": "string", "const": "ETag, Link, X-Request-Id, Retry-After, Location, RateLimit, RateLimit-Policy",
               "examples": ["ETag, Link, X-Request-Id, Retry-After, Location, RateLimit, RateLimit-Policy"]}})
for name, methods in ALLOW.items():
    header(f"Access-Control-Allow-Methods-{name}", "Access-Control-Allow-Methods", {
        "description": "Preflight from an allowed origin for one of the path's methods only: the path's methods.",
        "schema": {"type": "string", "const": methods, "examples": [methods]}})
header("Access-Control-Allow-Headers", "Access-Control-Allow-Headers", {
    "description": "Preflight from an allowed origin for one of the path's methods only: the request headers a client may send.",
    "schema": {"type": "string",
               "const": "Accept, Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, X-Request-Id",
               "examples": ["Accept, Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, X-Request-Id"]}})
header("Access-Control-Max-Age", "Access-Control-Max-Age", {
    "description": "Preflight from an allowed origin for one of the path's methods only: seconds the preflight may be cached.",
    "schema": {"type": "integer", "minimum": 600, "maximum": 600, "const": 600, "examples": [600]}})

def hdrs(*names):
    return OrderedDict((HEADER_NAMES[n], ref("headers", n)) for n in names)

CORS = ("Access-Control-Allow-Origin", "Access-Control-Expose-Headers")

# The longest value of each header the service sends (the ones with a const have it already).
for _name, _len in (("ETag", 18), ("ETag-Survey", 18), ("ETag-Tallies", 2 + 8 + 1 + 19 + 1 + 19 + 1),
                    ("X-Request-Id", 128), ("Vary", 64), ("Link", NEXT_MAX_LEN),
                    ("Access-Control-Allow-Origin", HEADER_MAX_LEN)):   # an Origin the request sent
    headers[_name]["schema"]["maxLength"] = _len
for _name in headers:
    if _name.startswith("Location-"):
        headers[_name]["schema"]["maxLength"] = PATH_MAX_LEN

# ----------------------------------------------------------------- parameters
# A parameter whose value only the server issues (a cursor, an entity tag, a key or response id)
# has no example or default: the docs page fills a parameter with its example, and a made-up
# cursor, tag or id is a 400, 412 or 404 there.  Nor has If-None-Match (`*` on a PUT makes it
# create-only).  tests/http/test_contract.py names them.
parameters = OrderedDict()
parameters["Plan"] = {"name": "plan", "in": "path", "required": True,
                      "description": "Plan id, or `current` for the newest adopted plan (the body is the same as under its own id).",
                      "schema": ref("schemas", "Slug"), "examples": {"seed": {"summary": "The seed plan", "value": PLAN_ID},
                                                                     "current": {"summary": "The newest adopted plan", "value": "current"}}}
parameters["Goal"] = {"name": "goal", "in": "path", "required": True, "description": "Goal id.",
                      "schema": ref("schemas", "Slug"), "example": "quality"}
parameters["Objective"] = {"name": "objective", "in": "path", "required": True, "description": "Objective id.",
                           "schema": ref("schemas", "Slug"), "example": "reduce-blight"}
parameters["Survey"] = {"name": "survey", "in": "path", "required": True, "description": "Survey id.",
                        "schema": ref("schemas", "Slug"), "example": "community-survey-2020-21"}
parameters["Key"] = {"name": "key", "in": "path", "required": True,
                     "description": "Key id (`key_` and 16 hex digits). Anything else: 404.",
                     "schema": OrderedDict((k, v) for k, v in schemas["KeyId"].items() if k != "examples")}
parameters["Response"] = {"name": "response", "in": "path", "required": True,
                          "description": "Response id (a UUID in lowercase). Anything else: 404.",
                          "schema": {"type": "string", "format": "uuid"}}
parameters["Year"] = {"name": "year", "in": "path", "required": True,
                      "description": "The year: an integer from 1900 to 2999 (four digits). Anything else: 404.",
                      "schema": {"type": "integer", "minimum": 1900, "maximum": 2999}, "example": 2021}
parameters["Limit"] = {"name": "limit", "in": "query", "required": False,
                       "description": "Page size. Out of range, not an integer, or repeated: 400.",
                       "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "example": 50}
parameters["Cursor"] = {"name": "cursor", "in": "query", "required": False,
                        "description": "Opaque cursor from the previous page's `next_cursor` (or its `next` URL), valid only "
                                       "with the same other parameters. Any other value: 400.",
                        "schema": {"type": "string", "minLength": 1}}
parameters["Goal-Filter"] = {"name": "goal", "in": "query", "required": False,
                             "description": "Only the objectives of this goal. A goal id the plan does not have: 400.",
                             "schema": ref("schemas", "Slug"), "example": "quality"}
parameters["Year-Filter"] = {"name": "year", "in": "query", "required": False,
                             "description": "Only the priorities of this year (four digits, YYYY).",
                             "schema": ref("schemas", "Year"), "example": 2021}
parameters["Order"] = {"name": "order", "in": "query", "required": False,
                       "description": "`desc`: newest first (the default); `asc`: oldest first. Anything else: 400.",
                       "schema": {"type": "string", "enum": ["desc", "asc"], "default": "desc"}, "example": "asc"}
parameters["Since"] = {"name": "since", "in": "query", "required": False,
                       "description": "Only responses stored at or after this instant (RFC 3339 date-time with a time zone, "
                                      "from 1970). Anything else: 400.",
                       "schema": ref("schemas", "TimestampInput"), "example": "2026-12-01T00:00:00Z"}
parameters["Changes-Since"] = {"name": "since", "in": "query", "required": False,
                               "description": "Only changes made at or after this instant (RFC 3339 date-time with a "
                                              "time zone). Anything else: 400.",
                               "schema": ref("schemas", "TimestampInput"), "example": "2026-12-01T00:00:00Z"}
parameters["Changes-Until"] = {"name": "until", "in": "query", "required": False,
                               "description": "Only changes made before this instant (RFC 3339 date-time with a time "
                                              "zone). Anything else: 400.",
                               "schema": ref("schemas", "TimestampInput"), "example": "2027-01-01T00:00:00Z"}
parameters["Resource-Filter"] = {"name": "resource", "in": "query", "required": False,
                                 "description": "Only changes to this kind of resource. Anything else: 400.",
                                 "schema": {"type": "string", "enum": AUDIT_RESOURCES}, "example": "objective"}
parameters["If-Match"] = {
    "name": "If-Match", "in": "header", "required": False,
    "description": "`*` or a comma-separated list of strong entity tags: the write happens only if one of them is "
                   "the item's current ETag (the one GET gives); otherwise 412 `precondition-failed` and nothing "
                   "changes. `W/` tags never match, and nothing matches an item that does not exist (`*` included). "
                   "Malformed: 400 `invalid-header`. Without it, the write is not conditional.",
    "schema": {"type": "string", "minLength": 1}}
parameters["If-None-Match-Create"] = {
    "name": "If-None-Match", "in": "header", "required": False,
    "description": "`*`: create only. If the year has priorities already, 412 `precondition-failed` and nothing "
                   "changes. Other values are ignored.",
    "schema": {"type": "string", "minLength": 1}}
parameters["If-None-Match"] = {"name": "If-None-Match", "in": "header", "required": False,
                               "description": "One entity tag, a comma-separated list, or `*`; `W/` tags compare weakly. A match gives 304.",
                               "schema": {"type": "string", "minLength": 1}}
parameters["Idempotency-Key"] = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "1 to 255 characters chosen by the client (longer: 400). Kept 24 hours per API key: the same key "
                   "with the same body gives the first answer again (status, body and Location); with another body, "
                   "422 `idempotency-key-reused`; while the first request is still running, 409 `idempotency-key-in-use`.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255}, "example": "4f1b2c9e-kiosk-17-0042"}
parameters["X-Request-Id"] = {"name": "X-Request-Id", "in": "header", "required": False,
                              "description": "Client-chosen request id, echoed if it is 1 to 128 characters of `[A-Za-z0-9._:-]` (otherwise replaced, never rejected).",
                              "schema": {"type": "string"}, "example": "survey-dashboard.42"}
parameters["Origin"] = {"name": "Origin", "in": "header", "required": False,
                        "description": "The requesting origin (CORS). Only origins listed in CIVIC_CORS_ORIGINS get Access-Control-* headers.",
                        "schema": {"type": "string"}, "example": "https://dashboard.example.org"}
parameters["Access-Control-Request-Method"] = {"name": "Access-Control-Request-Method", "in": "header", "required": False,
                                               "description": "With Origin, makes the OPTIONS request a CORS preflight.",
                                               "schema": {"type": "string"}, "example": "GET"}
parameters["Access-Control-Request-Headers"] = {"name": "Access-Control-Request-Headers", "in": "header", "required": False,
                                                "description": "Headers the preflighted request will send.",
                                                "schema": {"type": "string"}, "example": "if-none-match, x-request-id"}

# The longest value each parameter may have: If-Match fills a buffer of 512 bytes (src/plans.c,
# src/surveys.c; longer: 400), a cursor one of 64 (longer: 400), and every other header is bounded by
# the request's header block (http_header_max).
for _name, _len in (("Response", 36), ("Cursor", CURSOR_MAX_LEN), ("If-Match", 511),
                    ("If-None-Match-Create", HEADER_MAX_LEN), ("If-None-Match", HEADER_MAX_LEN),
                    ("X-Request-Id", HEADER_MAX_LEN), ("Origin", HEADER_MAX_LEN),
                    ("Access-Control-Request-Method", HEADER_MAX_LEN),
                    ("Access-Control-Request-Headers", HEADER_MAX_LEN)):
    parameters[_name]["schema"]["maxLength"] = _len

# ----------------------------------------------------------------- responses
def pex(summary, value):
    return {"summary": summary, "value": value}

def problem_response(description, schema, examples, extra_headers=()):
    """A problem response (schema: a schema name or an inline schema).

    examples: name -> (slug, detail, instance[, errors[, extra members[, summary]]]); the
    summary defaults to the problem's title."""
    h = hdrs("X-Request-Id", "Vary", "Cache-Control-No-Store", *extra_headers, *CORS)
    exs = OrderedDict()
    for name, args in examples.items():
        slug, detail, instance = args[:3]
        errors = args[3] if len(args) > 3 else None
        extra = args[4] if len(args) > 4 else {}
        summary = args[5] if len(args) > 5 else PROBLEMS[slug][1]
        exs[name] = pex(summary, problem_example(slug, detail, instance, errors, **extra))
    sch = ref("schemas", schema) if isinstance(schema, str) else schema
    return {"description": description, "headers": h,
            "content": {"application/problem+json": {"schema": sch, "examples": exs}}}

def narrow(slugs):
    """An inline Problem narrowed to some types (for responses that mix types)."""
    s = OrderedDict([("type", "object"), ("properties", OrderedDict([
        ("type", {"enum": [f"/problems/{x}" for x in slugs]}),
        ("status", {"enum": sorted({PROBLEMS[x][0] for x in slugs})})]))])
    return OrderedDict([("allOf", [ref("schemas", "Problem"), s])])

SURVEY_PATH = f"/v1/surveys/{SURVEY_NEW}"
responses = OrderedDict()
responses["NotModified"] = {
    "description": "Not Modified: If-None-Match matched the current ETag. Empty body.",
    "headers": hdrs("ETag", "X-Request-Id", "Vary", *CORS)}
responses["TalliesNotModified"] = {
    "description": "Not Modified: If-None-Match matched the current ETag: the numbers have not changed. Empty body.",
    "headers": hdrs("ETag-Tallies", "Cache-Control-Tallies", "X-Request-Id", "Vary", *CORS)}
HEADER_400 = ("; or a request header is sent more than once (of those that may come once) or holds a NUL "
              "byte (`invalid-header`).")
responses["InvalidParameter"] = problem_response(
    "Invalid Parameter: a query parameter is unknown, repeated, malformed or out of range, or the cursor is bad"
    + HEADER_400, {"oneOf": [ref("schemas", "InvalidParameterProblem"), ref("schemas", "InvalidHeaderProblem")]},
    OrderedDict([
        ("invalid-parameter", ("invalid-parameter", "The query string is invalid.", f"/v1/plans/{PLAN_ID}/goals",
                               [{"parameter": "limit", "detail": "must be an integer from 1 to 200"}])),
        ("unknown-parameter", ("invalid-parameter", "The query string is invalid.", "/v1/plans",
                               [{"parameter": "sort", "detail": "unknown parameter"}], {}, "Unknown parameter")),
        ("duplicate-header", ("invalid-header", "Authorization is sent more than once; send it once.", "/v1/keys",
                              [{"header": "Authorization",
                                "detail": "Authorization is sent more than once; send it once."}],
                              {}, "A header sent twice"))]))
responses["MalformedBody"] = problem_response(
    "Malformed Body: the body is empty or not JSON (an object or an array)" + HEADER_400,
    typed_problem(["malformed-body", "invalid-header"], "A 400 `/problems/malformed-body` or "
                  "`/problems/invalid-header`.", [problem_example(
        "malformed-body", "The body is empty.", "/v1/keys")]),
    OrderedDict([("malformed-body", ("malformed-body", "The body is not JSON: string or '}' expected near 'x' at line 1, column 2.",
                                     "/v1/keys")),
                 ("duplicate-header", ("invalid-header", "Content-Type is sent more than once; send it once.",
                                       "/v1/keys", [{"header": "Content-Type",
                                                     "detail": "Content-Type is sent more than once; send it once."}],
                                       {}, "A header sent twice"))]))
responses["SubmitBadRequest"] = problem_response(
    "Bad Request: the body is empty or not JSON (`malformed-body`), or the Idempotency-Key header is longer than 255 "
    "characters (`invalid-parameter`, without `errors`)" + HEADER_400,
    narrow(["malformed-body", "invalid-parameter", "invalid-header"]), OrderedDict([
        ("malformed-body", ("malformed-body", "The body is empty.", f"{SURVEY_PATH}/responses")),
        ("idempotency-key", ("invalid-parameter", "Idempotency-Key must be 1 to 255 characters.",
                             f"{SURVEY_PATH}/responses", None, {}, "Idempotency-Key too long")),
        ("duplicate-header", ("invalid-header", "Idempotency-Key is sent more than once; send it once.",
                              f"{SURVEY_PATH}/responses",
                              [{"header": "Idempotency-Key",
                                "detail": "Idempotency-Key is sent more than once; send it once."}],
                              {}, "A header sent twice"))]))
IF_MATCH_DETAIL = "If-Match must be * or a comma-separated list of entity tags."
IF_MATCH_ERRORS = [{"header": "If-Match", "detail": IF_MATCH_DETAIL}]
DUPLICATE_DETAIL = "Authorization is sent more than once; send it once."
DUPLICATE_ERRORS = [{"header": "Authorization", "detail": DUPLICATE_DETAIL}]
responses["WriteBadRequest"] = problem_response(
    "Bad Request: the body is empty or not JSON (`malformed-body`), or the If-Match header is malformed "
    "(`invalid-header`)" + HEADER_400, narrow(["malformed-body", "invalid-header"]), OrderedDict([
        ("malformed-body", ("malformed-body", "The body is empty.", plan_path("goals", "quality"))),
        ("invalid-header", ("invalid-header", IF_MATCH_DETAIL, plan_path("goals", "quality"), IF_MATCH_ERRORS)),
        ("duplicate-header", ("invalid-header", DUPLICATE_DETAIL, plan_path("goals", "quality"), DUPLICATE_ERRORS,
                              {}, "A header sent twice"))]))
responses["InvalidHeader"] = problem_response(
    "Bad Request: a request header is sent more than once (one of those that may come once), holds a NUL byte, "
    "or is malformed (If-Match).",
    "InvalidHeaderProblem",
    OrderedDict([("duplicate-header", ("invalid-header", DUPLICATE_DETAIL, "/v1/keys", DUPLICATE_ERRORS, {},
                                       "A header sent twice")),
                 ("invalid-header", ("invalid-header", IF_MATCH_DETAIL, plan_path("objectives", "reduce-blight"),
                                     IF_MATCH_ERRORS, {}, "A malformed If-Match"))]))
responses["PreconditionFailed"] = problem_response(
    "Precondition Failed: If-Match names no current ETag of the item (or the item does not exist), or "
    "`If-None-Match: *` was sent and the item exists. Nothing changed; `etag` is the current ETag.",
    "PreconditionFailedProblem", OrderedDict([
        ("stale", ("precondition-failed", ex_precondition["detail"], ex_precondition["instance"], None,
                   {"etag": PLAN_ETAG}, "Another write came first")),
        ("missing", ("precondition-failed", "If-Match was sent, but the plan has no priorities for 2022.",
                     plan_path("priorities", "2022"), None, {"etag": None}, "If-Match on a year without priorities")),
        ("exists", ("precondition-failed", "If-None-Match: * was sent, but the plan has priorities for 2021.",
                    plan_path("priorities", "2021"), None, {"etag": "\"52d0f1a4b8e3c976\""},
                    "If-None-Match: * on a year with priorities"))]))
responses["InUse"] = problem_response(
    "Conflict: the item is in use (`referenced_by` says by what): a goal with objectives, or an objective that "
    "priorities or survey responses refer to or that an open survey of the plan asks for. Nothing is deleted; "
    "archive it instead.", "InUseProblem", OrderedDict([
        ("goal", ("in-use", ex_in_use_goal["detail"], ex_in_use_goal["instance"], None,
                  {"referenced_by": goal_references}, "A goal with objectives")),
        ("objective", ("in-use", ex_in_use_objective["detail"], ex_in_use_objective["instance"], None,
                       {"referenced_by": objective_references}, "An objective in use"))]))
responses["Unauthorized"] = problem_response(
    "Unauthorized: no `Authorization: Bearer <key>` header, a malformed one, or an unknown or revoked key.",
    typed_problem(["unauthorized"], "A 401 `/problems/unauthorized`.", [problem_example(
        "unauthorized", "This request needs an API key: Authorization: Bearer <key>.", "/v1/keys")]),
    OrderedDict([
        ("unauthorized", ("unauthorized", "This request needs an API key: Authorization: Bearer <key>.", "/v1/keys")),
        ("invalid-token", ("unauthorized", "The API key is missing, unknown or revoked.", "/v1/keys", None, {},
                           "Unknown or revoked key"))]),
    extra_headers=("WWW-Authenticate",))
responses["Forbidden"] = problem_response(
    "Forbidden: the key is valid but lacks the right (an admin key is needed, or the partner key may not submit to this survey).",
    typed_problem(["forbidden"], "A 403 `/problems/forbidden`.", [problem_example(
        "forbidden", "This needs an admin key.", "/v1/keys")]),
    OrderedDict([("forbidden", ("forbidden", "This needs an admin key.", "/v1/keys")),
                 ("survey-not-allowed", ("forbidden", f"This key may not submit to survey '{SURVEY_NEW}'.",
                                         f"{SURVEY_PATH}/responses", None, {}, "Partner key not allowed for the survey"))]))
responses["NotFound"] = problem_response(
    "Not Found: no plan, goal, objective, survey, response or key with that id.",
    typed_problem(["not-found"], "A 404 `/problems/not-found`.", [problem_example(
        "not-found", "No plan with id \"springfield-2030\".", "/v1/plans/springfield-2030")]),
    OrderedDict([("not-found", ("not-found", "No plan with id \"springfield-2030\".", "/v1/plans/springfield-2030")),
                 ("no-survey", ("not-found", "No survey 'springfield-2030'.", "/v1/surveys/springfield-2030/responses",
                                None, {}, "Unknown survey")),
                 ("no-response", ("not-found", f"No response '{RESPONSE_ID}' in survey '{SURVEY_NEW}'.", RESPONSE_PATH,
                                  None, {}, "Unknown response, or another partner's"))]))
for name, methods in ALLOW.items():
    first = [m for m in ("PUT", "DELETE", "PATCH", "POST", "GET") if m not in methods][0]
    responses["MethodNotAllowed" if name == "Read" else f"MethodNotAllowed-{name}"] = problem_response(
        f"Method Not Allowed: this path serves {methods} only.",
        typed_problem(["method-not-allowed"], "A 405 `/problems/method-not-allowed`.", [problem_example(
            "method-not-allowed", f"{first} is not served here; this resource allows {methods}.", "/v1/plans")]),
        OrderedDict([("method-not-allowed", ("method-not-allowed",
                                             f"{first} is not served here; this resource allows {methods}.",
                                             {"Read": f"/v1/plans/{PLAN_ID}", "ReadPost": "/v1/keys",
                                              "ReadPatch": f"/v1/surveys/{SURVEY_NEW}", "PatchDelete": f"/v1/keys/{PARTNER_KEY_ID}",
                                              "ReadPut": plan_path("priorities", "2021"),
                                              "ReadPatchDelete": plan_path("goals", "quality"),
                                              "Post": f"{SURVEY_PATH}/responses/batch"}[name]))]),
        extra_headers=(f"Allow-{name}",))
responses["NotAcceptable"] = problem_response(
    "Not Acceptable: the Accept header excludes the route's media type.",
    typed_problem(["not-acceptable"], "A 406 `/problems/not-acceptable`.", [problem_example(
        "not-acceptable", "This resource is available as application/json only.", "/v1/plans")]),
    OrderedDict([("not-acceptable", ("not-acceptable", "This resource is available as application/json only.", "/v1/plans"))]))
responses["UnsupportedMediaType"] = problem_response(
    "Unsupported Media Type: the body is not sent as `Content-Type: application/json` (parameters such as "
    "`; charset=utf-8` are fine).",
    typed_problem(["unsupported-media-type"], "A 415 `/problems/unsupported-media-type`.", [problem_example(
        "unsupported-media-type", "Send the body as Content-Type: application/json.", "/v1/keys")]),
    OrderedDict([("unsupported-media-type", ("unsupported-media-type", "Send the body as Content-Type: application/json.",
                                             "/v1/keys"))]))
responses["InvalidBody"] = problem_response(
    "Invalid Body: the JSON body is not what the operation takes; `errors` lists every fault.", "InvalidBodyProblem",
    OrderedDict([("invalid-body", ("invalid-body", "The request body has 2 fault(s); see errors.", "/v1/keys",
                                   [{"detail": "Unknown member 'extra'.", "pointer": "/extra"},
                                    {"detail": "Required: admin or partner.", "pointer": "/role"}]))]))
responses["SubmitUnprocessable"] = problem_response(
    "Unprocessable: the response does not match the survey's questions (`invalid-body`, every fault in `errors`), or "
    "the Idempotency-Key was used with another body (`idempotency-key-reused`).",
    {"oneOf": [ref("schemas", "InvalidBodyProblem"),
               typed_problem(["idempotency-key-reused"], "A 422 `/problems/idempotency-key-reused`.", [problem_example(
                   "idempotency-key-reused", "This Idempotency-Key was used with another request body.",
                   f"{SURVEY_PATH}/responses")])]},
    OrderedDict([("invalid-body", ("invalid-body", ex_invalid_body["detail"], ex_invalid_body["instance"],
                                   ex_invalid_body["errors"])),
                 ("idempotency-key-reused", ("idempotency-key-reused",
                                             "This Idempotency-Key was used with another request body.",
                                             f"{SURVEY_PATH}/responses"))]))
BATCH_DETAIL = "The body is {\"responses\": [...]} with 1 to 500 responses and nothing else."
responses["InvalidBatch"] = problem_response(
    "Invalid Body: the body is not `{\"responses\": [...]}` with 1 to 500 items and no other member. `errors` names "
    "each fault of the envelope by its pointer: `/responses`, an unknown member (`/bogus`), or `\"\"` for a body "
    "that is not an object; faults of single items are reported in their results, relative to the item.",
    typed_problem(["invalid-body"], "A 422 `/problems/invalid-body` about the batch envelope.", [problem_example(
        "invalid-body", BATCH_DETAIL, f"{SURVEY_PATH}/responses/batch",
        [{"pointer": "/responses", "detail": "Required: an array of 1 to 500 responses."}])]),
    OrderedDict([("invalid-body", ("invalid-body", BATCH_DETAIL, f"{SURVEY_PATH}/responses/batch",
                                   [{"pointer": "/responses", "detail": "Required: an array of 1 to 500 responses."}])),
                 ("unknown-member", ("invalid-body", BATCH_DETAIL, f"{SURVEY_PATH}/responses/batch",
                                     [{"pointer": "/bogus", "detail": "Unknown member 'bogus': a batch is "
                                       "{\"responses\": [...]} and nothing else."}], {}, "An unknown member"))]))
responses["SubmitConflict"] = problem_response(
    "Conflict: the survey is not open (`survey-not-open`); this `external_id` was stored with other answers "
    "(`duplicate-response`, with `existing_response` and `Location`); or a request with this Idempotency-Key is "
    "still running (`idempotency-key-in-use`).",
    {"oneOf": [ref("schemas", "DuplicateResponseProblem"),
               typed_problem(["survey-not-open", "idempotency-key-in-use"],
                             "A 409 `/problems/survey-not-open` or `/problems/idempotency-key-in-use`.",
                             [problem_example("idempotency-key-in-use", "A request with this Idempotency-Key is still "
                                              "in progress; retry later.", f"{SURVEY_PATH}/responses")])]},
    OrderedDict([
        ("survey-not-open", ("survey-not-open", "Survey 'community-survey-2020-21' is closed; it takes responses from "
                             "2020-11-02T06:00:00Z to 2021-01-16T06:00:00Z.",
                             "/v1/surveys/community-survey-2020-21/responses")),
        ("duplicate-response", ("duplicate-response", ex_duplicate["detail"], ex_duplicate["instance"], None,
                                {"existing_response": RESPONSE_PATH})),
        ("idempotency-key-in-use", ("idempotency-key-in-use", "A request with this Idempotency-Key is still in "
                                    "progress; retry later.", f"{SURVEY_PATH}/responses"))]),
    extra_headers=("Location-Existing-Response",))
responses["SurveyNotOpen"] = problem_response(
    "Conflict: the survey takes no responses now (status or window); nothing of the batch is stored.",
    typed_problem(["survey-not-open"], "A 409 `/problems/survey-not-open`.", [problem_example(
        "survey-not-open", "Survey 'community-survey-2020-21' is closed; it takes responses from 2020-11-02T06:00:00Z "
        "to 2021-01-16T06:00:00Z.", "/v1/surveys/community-survey-2020-21/responses/batch")]),
    OrderedDict([("survey-not-open", ("survey-not-open", "Survey 'community-survey-2020-21' is closed; it takes "
                                      "responses from 2020-11-02T06:00:00Z to 2021-01-16T06:00:00Z.",
                                      "/v1/surveys/community-survey-2020-21/responses/batch"))]))
responses["AlreadyVoided"] = problem_response(
    "Conflict: the response was voided before.",
    typed_problem(["already-voided"], "A 409 `/problems/already-voided`.", [problem_example(
        "already-voided", f"Response {RESPONSE_ID} was voided at 2026-12-04T09:12:40Z.", RESPONSE_PATH + "/void")]),
    OrderedDict([("already-voided", ("already-voided", f"Response {RESPONSE_ID} was voided at 2026-12-04T09:12:40Z.",
                                     RESPONSE_PATH + "/void"))]))
responses["SurveyHasResponses"] = problem_response(
    "Conflict: `questions` cannot change once the survey has responses.",
    typed_problem(["survey-has-responses"], "A 409 `/problems/survey-has-responses`.", [problem_example(
        "survey-has-responses", f"Survey '{SURVEY_NEW}' has responses: its questions can no longer change.", SURVEY_PATH)]),
    OrderedDict([("survey-has-responses", ("survey-has-responses", f"Survey '{SURVEY_NEW}' has responses: its questions "
                                           "can no longer change.", SURVEY_PATH))]))
responses["InternalError"] = problem_response(
    "Internal Server Error.",
    typed_problem(["internal-error"], "A 500 `/problems/internal-error`.", [problem_example(
        "internal-error", "The request could not be completed.", f"/v1/plans/{PLAN_ID}")]),
    OrderedDict([("internal-error", ("internal-error", "The request could not be completed.", f"/v1/plans/{PLAN_ID}"))]))
responses["ServiceUnavailable"] = problem_response(
    "Service Unavailable: the database is unreachable or too busy (too many requests waiting for it), or the plan data has not been loaded yet. Retry after the Retry-After delay.",
    typed_problem(["service-unavailable"], "A 503 `/problems/service-unavailable`.", [problem_example(
        "service-unavailable", "The plan data is not loaded yet.", "/v1/plans")]),
    OrderedDict([("service-unavailable", ("service-unavailable", "The plan data is not loaded yet.", "/v1/plans")),
                 ("database", ("service-unavailable", "The database is not reachable; retry shortly.", "/v1/keys", None,
                               {}, "Database unreachable")),
                 ("busy", ("service-unavailable", "Too many requests are waiting for the database; retry shortly.",
                           "/v1/surveys/community-survey-2020-21/responses", None, {}, "Database busy"))]),
    extra_headers=("Retry-After",))

ERR = {
    "304": ("304", "NotModified"), "304t": ("304", "TalliesNotModified"),
    "400q": ("400", "InvalidParameter"), "400b": ("400", "MalformedBody"), "400s": ("400", "SubmitBadRequest"),
    "400w": ("400", "WriteBadRequest"), "400h": ("400", "InvalidHeader"),
    "401": ("401", "Unauthorized"), "403": ("403", "Forbidden"), "404": ("404", "NotFound"),
    "409u": ("409", "InUse"), "412": ("412", "PreconditionFailed"),
    "406": ("406", "NotAcceptable"),
    "409s": ("409", "SubmitConflict"), "409n": ("409", "SurveyNotOpen"), "409v": ("409", "AlreadyVoided"),
    "409h": ("409", "SurveyHasResponses"), "415": ("415", "UnsupportedMediaType"),
    "422": ("422", "InvalidBody"), "422s": ("422", "SubmitUnprocessable"), "422b": ("422", "InvalidBatch"),
    "500": ("500", "InternalError"), "503": ("503", "ServiceUnavailable"),
}
for _name in ALLOW:
    ERR["405" + _name] = ("405", "MethodNotAllowed" if _name == "Read" else f"MethodNotAllowed-{_name}")

def errs(*keys):
    out = [ERR[k] for k in keys]
    return OrderedDict((st, ref("responses", name)) for st, name in sorted(out))

# ----------------------------------------------------------------- paths
paths = OrderedDict()
TAGS = OrderedDict([
    ("Plans", "The strategic plans: their goals, objectives, yearly priorities and history. Anyone reads them; "
              "admins edit them and see draft plans."),
    ("Surveys", "Community surveys about the plan; admins create and change them."),
    ("Responses", "Survey responses: partners submit them (one at a time or in batches) and read their own; admins "
                  "read all of them, as JSON or CSV, and void them."),
    ("Tallies", "Live survey results for dashboards."),
    ("Keys", "API keys for partners and admins (admin only)."),
    ("Audit", "The log of every recorded change (admin only)."),
    ("Health", "Liveness and readiness probes."),
    ("Metrics", "Metrics for Prometheus (admin key or scrape token)."),
    ("Documentation", "This OpenAPI document and the interactive docs page."),
    ("Dashboard", "A page of the plan and its survey results, live, that the city can show or embed."),
])
BEARER = [{"bearerAuth": []}]
BEARER_OPTIONAL = [{}, {"bearerAuth": []}]
COMMON = ["X-Request-Id"]

def params(*names):
    return [ref("parameters", n) for n in names]

def operation(tag, op_id, summary, description, parameters_, responses_, security=None, body=None):
    o = OrderedDict([("tags", [tag]), ("summary", summary), ("description", description), ("operationId", op_id)])
    if security is not None:
        o["security"] = security
    o["parameters"] = parameters_
    if body is not None:
        o["requestBody"] = body
    o["responses"] = responses_
    return o

def ok(description, header_names, media=None):
    r = OrderedDict([("description", description), ("headers", hdrs(*header_names))])
    if media:
        r["content"] = media
    return r

def json_media(schema, examples=None, media_type="application/json"):
    m = OrderedDict([("schema", ref("schemas", schema) if isinstance(schema, str) else schema)])
    if examples:
        m["examples"] = examples
    return {media_type: m}

def json_body(schema, examples, description):
    return OrderedDict([("description", description), ("required", True),
                        ("content", json_media(schema, examples))])

def options_op(tag, name, allow):
    methods = ALLOW[allow]
    return operation(
        tag, "options" + name, "Allowed methods and CORS preflight",
        f"Lists the allowed methods ({methods}); needs no key. A CORS preflight (Origin and "
        "Access-Control-Request-Method) from an origin in CIVIC_CORS_ORIGINS for one of them also gets the "
        "Access-Control-Allow-* headers; from any other origin, or for another method, 204 without them.",
        params("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers", "X-Request-Id"),
        {"204": ok("No Content: the allowed methods (and, for an allowed preflight, the CORS grant).",
                   [f"Allow-{allow}", "Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS,
                    f"Access-Control-Allow-Methods-{allow}", "Access-Control-Allow-Headers",
                    "Access-Control-Max-Age"])})

def ex(summary, value):
    return {"summary": summary, "value": value}

def route(path, *, tag, name, get_id, summary, description, content_type, schema, examples,
          cache="Cache-Control-Public", path_params=(), query=(), collection=False, s503=False,
          ok_description="OK.", allow="Read", security=None):
    """A public read route from the in-memory data: GET, HEAD and OPTIONS (security: an optional key, which
    makes a 401 possible)."""
    item = OrderedDict()
    item["summary"] = summary
    if path_params:
        item["parameters"] = params(*path_params)
    common = params("If-None-Match", "X-Request-Id")
    qparams = params(*query)
    ok_headers = ["ETag", cache, "X-Request-Id", "Vary"]
    if collection:
        ok_headers.insert(2, "Link")
    ok_headers += list(CORS)
    keys = ["304", "405" + allow, "406", "500"]
    if query:
        keys.append("400q")
    if path_params:
        keys.append("404")
    if s503:
        keys.append("503")
    if security:
        keys.append("401")
    media = OrderedDict([("schema", schema)])
    if examples:
        media["examples"] = examples
    get_resp = OrderedDict([("200", ok(ok_description, ok_headers, {content_type: media}))])
    get_resp.update(errs(*keys))
    item["get"] = operation(tag, get_id, summary, description, qparams + common, get_resp, security=security)
    head_resp = OrderedDict([("200", ok("OK: the headers a GET would send, without the body.", ok_headers))])
    head_resp.update(errs(*keys))
    item["head"] = operation(tag, "head" + name, f"Headers of: {summary[0].lower() + summary[1:]}",
                             "Same as GET without the body (error responses carry no body either).",
                             qparams + common, head_resp, security=security)
    item["options"] = options_op(tag, name, allow)
    paths[path] = item
    return item

LIST_HEADERS = ["Cache-Control-Private-No-Store", "Link", "X-Request-Id", "Vary", *CORS]

# The plan routes: anyone reads them; a key is optional (an admin key shows draft plans).
PLAN_READ = ("Anyone reads it; an `Authorization` header is optional: with an admin key, draft plans are seen "
             "too (otherwise a draft plan and everything under it is 404), and an Authorization header that is "
             "not a live key gets 401. The answer varies on Authorization: `Cache-Control: private, no-cache` when "
             "the request has one. Served from memory: a write is served at once by the worker that made it, and by "
             "every other worker within 1 second.")
FRESH = ("The change is served at once by the worker that made it, and by every other worker within 1 second. It "
         "is recorded in the history (`GET /v1/audit`, `GET /v1/plans/{plan}/history`) in the same transaction as "
         "the change: a refused write changes and records nothing.")
WRITE_ORDER = ("Admin key only. Checks, in order: the key (401, 403), the path (404), If-Match (400, 412), the "
               "body (415, 400, 422), then conflicts (409).")
plan_route_defaults = dict(tag="Plans", content_type="application/json", s503=True, cache="Cache-Control-Plan",
                           security=BEARER_OPTIONAL)

def write_ok(description, schema, examples, location=None):
    names = ([f"Location-{location}"] if location else []) + ["ETag", "Cache-Control-No-Store", "X-Request-Id",
                                                              "Vary", *CORS]
    return ok(description, names, json_media(schema, examples))

def no_content(description):
    return ok(description, ["Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS])

plans_item = route(
    "/v1/plans", name="Plans", get_id="listPlans", summary="List plans",
    description="Summaries of the plans, by `adopted_on`, newest first (plans without one last), paginated. "
                "Draft plans are listed to admins only. " + PLAN_READ,
    schema=ref("schemas", "PlanCollection"), examples={"all": ex("All plans", page([plan_summary]))},
    query=("Limit", "Cursor"), collection=True, allow="ReadPost", **plan_route_defaults)
plans_item["post"] = operation(
    "Plans", "createPlan", "Create a plan",
    "Admin key only. Creates a plan (a `draft` unless `status` says otherwise) without goals or priorities; every "
    "fault of the body is reported at once (422). The answer is the plan document, as `GET /v1/plans/{plan}` will "
    "show it, with the ETag that GET will send. " + FRESH,
    params("X-Request-Id"),
    OrderedDict([("201", write_ok("Created: the plan document.", "Plan",
                                  {"draft": ex("The new draft plan", new_plan_doc)}, "Plan"))]
                + list(errs("400b", "401", "403", "405ReadPost", "406", "415", "422", "500", "503").items())),
    security=BEARER, body=json_body("PlanCreate", {"draft": ex("A draft plan", plan_create)}, "The new plan."))

plan_item = route(
    "/v1/plans/{plan}", name="Plan", get_id="getPlan", summary="Get a whole plan",
    description="The whole plan: purpose, mission, active goals with their active objectives, and yearly "
                "priorities. `current` gives the newest adopted plan (never a draft). " + PLAN_READ,
    schema=ref("schemas", "Plan"), examples={"independence-2021": ex("The 2021 Strategic Plan Update", plan_doc)},
    path_params=("Plan",), allow="ReadPatch", **plan_route_defaults)
plan_item["patch"] = operation(
    "Plans", "updatePlan", "Change a plan",
    WRITE_ORDER + " Replaces the members sent (`{}` changes and records nothing). `id` may change only while the "
    "plan has never been adopted; a plan once adopted cannot return to `draft`. Plans are never deleted (DELETE is "
    "405). The answer is the plan document with the ETag the next GET will send. " + FRESH,
    params("If-Match", "X-Request-Id"),
    OrderedDict([("200", write_ok("OK: the changed plan document.", "Plan",
                                  {"adopted": ex("The plan, adopted", adopted_plan_doc)}))]
                + list(errs("400w", "401", "403", "404", "405ReadPatch", "406", "412", "415", "422", "500",
                            "503").items())),
    security=BEARER, body=json_body("PlanPatch", {"adopt": ex("Adopt the plan", plan_patch)}, "The members to change."))

goals_item = route(
    "/v1/plans/{plan}/goals", name="Goals", get_id="listGoals", summary="List a plan's goals",
    description="The plan's goals in plan order, archived ones too, each with its active objectives, paginated. "
                + PLAN_READ,
    schema=ref("schemas", "GoalCollection"),
    examples={"all": ex("All goals", page(goal_docs)),
              "first-page": ex("First page with limit=2", page(goal_docs[:2], 2, GOALS_CURSOR,
                               f"/v1/plans/{PLAN_ID}/goals?limit=2&cursor={GOALS_CURSOR}"))},
    path_params=("Plan",), query=("Limit", "Cursor"), collection=True, allow="ReadPost", **plan_route_defaults)
goals_item["post"] = operation(
    "Plans", "createGoal", "Add a goal to a plan",
    WRITE_ORDER + " Adds a goal at `position` (last unless set); the goals at and after it move down one. The "
    "answer is the goal as `GET` will show it, with its ETag. " + FRESH,
    params("X-Request-Id"),
    OrderedDict([("201", write_ok("Created: the goal.", "Goal", {"environment": ex("The new goal", new_goal_doc)},
                                  "Goal"))]
                + list(errs("400b", "401", "403", "404", "405ReadPost", "406", "415", "422", "500", "503").items())),
    security=BEARER, body=json_body("GoalCreate", {"environment": ex("A fifth goal", goal_create)}, "The new goal."))

goal_item = route(
    "/v1/plans/{plan}/goals/{goal}", name="Goal", get_id="getGoal", summary="Get a goal",
    description="One goal (active or archived) with its active objectives. " + PLAN_READ,
    schema=ref("schemas", "Goal"), examples={"quality": ex("The Quality goal", goal_by_id["quality"])},
    path_params=("Plan", "Goal"), allow="ReadPatchDelete", **plan_route_defaults)
goal_item["patch"] = operation(
    "Plans", "updateGoal", "Change a goal",
    WRITE_ORDER + " Replaces the members sent; a new `position` moves the other goals to make room. `id` cannot "
    "change once the plan was adopted. Archiving a goal leaves it out of the plan document. The answer is the goal "
    "with the ETag the next GET will send. " + FRESH,
    params("If-Match", "X-Request-Id"),
    OrderedDict([("200", write_ok("OK: the changed goal.", "Goal", {"quality": ex("The changed goal", patched_goal_doc)}))]
                + list(errs("400w", "401", "403", "404", "405ReadPatchDelete", "406", "412", "415", "422", "500",
                            "503").items())),
    security=BEARER, body=json_body("GoalPatch", {"statement": ex("A new statement", goal_patch)},
                                    "The members to change."))
goal_item["delete"] = operation(
    "Plans", "deleteGoal", "Delete a goal",
    "Admin key only. Checks, in order: the key (401, 403), the path (404), If-Match (400, 412), then whether the "
    "goal has objectives, of any status (409 `in-use`, listing them: delete or move them, or archive the goal "
    "instead). The goals after it move up one. " + FRESH,
    params("If-Match", "X-Request-Id"),
    OrderedDict([("204", no_content("No Content: the goal is deleted."))]
                + list(errs("400h", "401", "403", "404", "405ReadPatchDelete", "406", "409u", "412", "500",
                            "503").items())),
    security=BEARER)

objectives_item = route(
    "/v1/plans/{plan}/objectives", name="Objectives", get_id="listObjectives", summary="List a plan's objectives",
    description="The plan's objectives in plan order, archived ones too, optionally of one goal, paginated. "
                + PLAN_READ,
    schema=ref("schemas", "ObjectiveCollection"),
    examples={"quality": ex("goal=quality", page([o for o in objective_docs if o["goal"] == "quality"])),
              "first-page": ex("First page with limit=5", page(objective_docs[:5], 5, OBJ_CURSOR,
                               f"/v1/plans/{PLAN_ID}/objectives?limit=5&cursor={OBJ_CURSOR}"))},
    path_params=("Plan",), query=("Goal-Filter", "Limit", "Cursor"), collection=True, allow="ReadPost",
    **plan_route_defaults)
objectives_item["post"] = operation(
    "Plans", "createObjective", "Add an objective to a goal",
    WRITE_ORDER + " Adds an objective to a goal of the plan, at `position` in plan order (unset: right after the "
    "goal's last objective); the objectives at and after it move down one. The answer is the objective as `GET` "
    "will show it, with its ETag. " + FRESH,
    params("X-Request-Id"),
    OrderedDict([("201", write_ok("Created: the objective.", "Objective",
                                  {"small-businesses": ex("The new objective", new_objective_doc)}, "Objective"))]
                + list(errs("400b", "401", "403", "404", "405ReadPost", "406", "415", "422", "500", "503").items())),
    security=BEARER, body=json_body("ObjectiveCreate", {"small-businesses": ex("A third objective of Economy",
                                                                                objective_create)},
                                    "The new objective."))

objective_item = route(
    "/v1/plans/{plan}/objectives/{objective}", name="Objective", get_id="getObjective", summary="Get an objective",
    description="One objective of the plan, active or archived. " + PLAN_READ,
    schema=ref("schemas", "Objective"), examples={"reduce-blight": ex("Reduce blight", obj_by_title["Reduce blight"])},
    path_params=("Plan", "Objective"), allow="ReadPatchDelete", **plan_route_defaults)
objective_item["patch"] = operation(
    "Plans", "updateObjective", "Change an objective",
    WRITE_ORDER + " Replaces the members sent. A new `goal` moves the objective to that goal (without `position`: "
    "right after the goal's last objective); a new `position` moves the others to make room. `id` cannot change "
    "once the plan was adopted. An archived objective stays readable here and in the priorities that name it, and "
    "the tallies keep counting it, but new survey responses may not choose it. The answer is the objective with the "
    "ETag the next GET will send. " + FRESH,
    params("If-Match", "X-Request-Id"),
    OrderedDict([("200", write_ok("OK: the changed objective.", "Objective",
                                  {"archived": ex("The archived objective", archived_objective_doc)}))]
                + list(errs("400w", "401", "403", "404", "405ReadPatchDelete", "406", "412", "415", "422", "500",
                            "503").items())),
    security=BEARER, body=json_body("ObjectivePatch", {"archive": ex("Archive the objective", objective_patch)},
                                    "The members to change."))
objective_item["delete"] = operation(
    "Plans", "deleteObjective", "Delete an objective",
    "Admin key only. Checks, in order: the key (401, 403), the path (404), If-Match (400, 412), then whether "
    "anything refers to the objective: priorities, survey responses, or an open survey of the plan that asks for "
    "objectives (409 `in-use`, saying what in `detail` and `referenced_by`; archive it instead). The objectives "
    "after it move up one. " + FRESH,
    params("If-Match", "X-Request-Id"),
    OrderedDict([("204", no_content("No Content: the objective is deleted."))]
                + list(errs("400h", "401", "403", "404", "405ReadPatchDelete", "406", "409u", "412", "500",
                            "503").items())),
    security=BEARER)

route("/v1/plans/{plan}/priorities", name="Priorities", get_id="listPriorities",
      summary="List a plan's priorities",
      description="The plan's yearly priorities, by year descending then rank ascending, optionally of one year, "
                  "paginated. " + PLAN_READ,
      schema=ref("schemas", "PriorityCollection"), examples={"2021": ex("year=2021", page(priority_docs))},
      path_params=("Plan",), query=("Year-Filter", "Limit", "Cursor"), collection=True, **plan_route_defaults)

priority_year_item = route(
    "/v1/plans/{plan}/priorities/{year}", name="PriorityYear", get_id="getPriorityYear",
    summary="Get a year's priorities",
    description="The ranked priorities of one year, as an entry of the plan's `priorities`. 404 when the plan has "
                "none for that year. " + PLAN_READ,
    schema=ref("schemas", "PriorityYear"), examples={"2021": ex("The 2021 priorities", plan_doc["priorities"][0])},
    path_params=("Plan", "Year"), allow="ReadPut", **plan_route_defaults)
priority_year_item["put"] = operation(
    "Plans", "putPriorityYear", "Set a year's priorities",
    WRITE_ORDER + " Creates the year's ranked list (201) or replaces it (200): rank is the index in `objectives` "
    "plus one, and each must be an active objective of the plan. `If-None-Match: *` creates only (412 if the year "
    "has a list); If-Match on a year without a list is 412. The answer is the year's list as `GET` will show it, "
    "with its ETag. " + FRESH,
    params("If-Match", "If-None-Match-Create", "X-Request-Id"),
    OrderedDict([
        ("200", write_ok("OK: the year's list, replaced.", "PriorityYear",
                         {"2021": ex("The 2021 priorities", plan_doc["priorities"][0])})),
        ("201", write_ok("Created: the year's list.", "PriorityYear",
                         {"2022": ex("The 2022 priorities", priorities_2022_doc)}, "Priorities")),
    ] + list(errs("400w", "401", "403", "404", "405ReadPut", "406", "412", "415", "422", "500", "503").items())),
    security=BEARER, body=json_body("PrioritiesPut", {"2022": ex("Three priorities for 2022", priorities_put)},
                                    "The year's ranked list."))

history_item = OrderedDict()
history_item["summary"] = "A plan's history"
history_item["parameters"] = params("Plan")
HISTORY_QUERY = ("Changes-Since", "Changes-Until", "Limit", "Cursor")
history_errors = errs("400q", "401", "404", "405Read", "406", "500", "503")
history_item["get"] = operation(
    "Plans", "listPlanHistory", "List a plan's changes",
    "Every recorded change to the plan and to its goals, objectives and years' priorities, newest first, "
    "paginated: the entries of the audit log about them, without `actor` and `request_id`. Each entry is recorded "
    "in the same transaction as its change (changes made with plain SQL too, row by row), so the history has every "
    "committed change and nothing of a refused write. It is read from the database: a change shows here as soon as "
    "it and the transactions before it have committed. Filter by time (`since` inclusive, `until` exclusive). "
    "Anyone reads it; an `Authorization` header is optional: with an admin key the history of a draft plan is seen "
    "too (otherwise 404, as for a plan that does not exist), and an Authorization header that is not a live key "
    "gets 401. Never cached, no ETag.",
    params(*HISTORY_QUERY, "X-Request-Id"),
    OrderedDict([("200", ok("OK: a page of the plan's history.", LIST_HEADERS, json_media("HistoryCollection", {
        "page": ex("A page with limit=1", page(history_entries[:1], 1, HISTORY_CURSOR,
                                              plan_path(f"history?limit=1&cursor={HISTORY_CURSOR}"))),
        "all": ex("Two entries", page(history_entries))})))]
                + list(history_errors.items())),
    security=BEARER_OPTIONAL)
history_item["head"] = operation(
    "Plans", "headPlanHistory", "Headers of: list a plan's changes",
    "Same as GET without the body (error responses carry no body either).", params(*HISTORY_QUERY, "X-Request-Id"),
    OrderedDict([("200", ok("OK: the headers a GET would send, without the body.", LIST_HEADERS))]
                + list(history_errors.items())),
    security=BEARER_OPTIONAL)
history_item["options"] = options_op("Plans", "PlanHistory", "Read")
paths["/v1/plans/{plan}/history"] = history_item

# /v1/surveys: the public list, and POST (admin).
surveys_item = route(
    "/v1/surveys", tag="Surveys", name="Surveys", get_id="listSurveys", summary="List surveys",
    description="Summaries of the community surveys (without questions), paginated. A survey created or changed "
                "shows here within about half a second.",
    content_type="application/json", schema=ref("schemas", "SurveyCollection"),
    examples={"all": ex("All surveys", page([survey_summary]))},
    query=("Limit", "Cursor"), collection=True, s503=True, allow="ReadPost")
surveys_item["post"] = operation(
    "Surveys", "createSurvey", "Create a survey",
    "Admin key only. Creates a survey with its questions; every fault of the body is reported at once (422). "
    "The survey's plan must be published (adopted or archived): a draft plan is 422 at `/plan`. "
    "It is served by every worker (GET, tallies, submissions) within about half a second. The ETag header is the "
    "one `GET /v1/surveys/{survey}` will give. The creation is recorded in the audit log (`GET /v1/audit`) in the "
    "same transaction.",
    params("X-Request-Id"),
    OrderedDict([("201", ok("Created: the survey as admins see it.",
                            ["Location-Survey", "ETag-Survey", "Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS],
                            json_media("SurveyAdmin", {"budget-2027": ex("The new survey", survey_admin_doc)})))]
                + list(errs("400b", "401", "403", "405ReadPost", "406", "415", "422", "500", "503").items())),
    security=BEARER, body=json_body("SurveyCreate", {"budget-2027": ex("A survey with one question of each type",
                                                                      survey_create)}, "The new survey."))

survey_item = route(
    "/v1/surveys/{survey}", tag="Surveys", name="Survey", get_id="getSurvey", summary="Get a survey",
    description="One survey with its questions.", content_type="application/json", schema=ref("schemas", "Survey"),
    examples={"community-survey-2020-21": ex("The 2020-21 community survey", survey_doc)},
    path_params=("Survey",), s503=True, allow="ReadPatch")
survey_item["patch"] = operation(
    "Surveys", "updateSurvey", "Change a survey",
    "Admin key only. Replaces the members sent; `questions` can change only while the survey has no responses "
    "(409 after). With If-Match, the change happens only if it names the current ETag of `GET "
    "/v1/surveys/{survey}` (412 `precondition-failed` otherwise; a malformed If-Match is 400 `invalid-header`). "
    "The answer is the survey as admins see it, not cached; its ETag header is the one `GET /v1/surveys/{survey}` "
    "now gives (for the next If-Match). The change is recorded in the audit log (`GET /v1/audit`) in the same "
    "transaction; a refused write records nothing.",
    params("If-Match", "X-Request-Id"),
    OrderedDict([("200", ok("OK: the changed survey.", ["ETag-Survey", "Cache-Control-No-Store", "X-Request-Id", "Vary",
                                                        *CORS],
                            json_media("SurveyAdmin", {"closed": ex("The seed survey", seed_survey_admin_doc)})))]
                + list(errs("400w", "401", "403", "404", "405ReadPatch", "406", "409h", "412", "415", "422", "500",
                            "503").items())),
    security=BEARER, body=json_body("SurveyPatch", {"close": ex("Close the survey early",
                                                                schemas["SurveyPatch"]["examples"][0])},
                                    "The members to change."))

# /v1/surveys/{survey}/responses
responses_item = OrderedDict()
responses_item["summary"] = "Responses to a survey"
responses_item["parameters"] = params("Survey")
list_errors = errs("400q", "401", "404", "405ReadPost", "406", "500", "503")
responses_item["get"] = operation(
    "Responses", "listResponses", "List a survey's responses",
    "Any key: an admin gets every response, a partner the ones its key submitted (voided ones included). Newest "
    "first unless `order=asc`; a page shows only responses whose transactions finished before every running one, "
    "so walking the pages never misses one. `Accept: text/csv` gives the same page as CSV (RFC 4180, CRLF): a "
    "header row, then one row per response with the columns `id`, `external_id`, `partner`, `created_at`, "
    "`submitted_at`, `channel`, `status`, `void_reason`, then one column per agreement, choice or text question "
    "(`<question id>`, the answer) and one per option or plan objective of a choices or objectives question "
    "(`<question id>/<option or objective id>`: 1 chosen, 0 not, empty when unanswered). A cell that a "
    "spreadsheet could run as a formula (one that begins with `=`, `+`, `-`, `@`, a tab or a carriage return, "
    "as OWASP lists them: what partners send in `external_id`, `channel` and text answers) is written with a "
    "single quote in front, and quoted; so is a cell that begins with a single quote. To read the file back into "
    "the same values, drop one leading single quote from every cell that has one. The CSV is chosen "
    "whenever the Accept header names `text/csv` other than as `text/csv;q=0...`. Never cached, no ETag.",
    params("Limit", "Cursor", "Order", "Since", "X-Request-Id"),
    OrderedDict([("200", ok("OK: a page of responses.", LIST_HEADERS, OrderedDict([
        ("application/json", {"schema": ref("schemas", "ResponseCollection"),
                              "examples": {"page": ex("A page with limit=1", page(
                                  [response_doc], 1, RESPONSES_CURSOR,
                                  f"/v1/surveys/{SURVEY_NEW}/responses?limit=1&cursor={RESPONSES_CURSOR}"))}}),
        ("text/csv", {"schema": {"type": "string", "description": "CSV, UTF-8 (`text/csv; charset=utf-8`)."},
                      "examples": {"page": ex("The same page as CSV", csv_example())}}),
    ])))] + list(list_errors.items())),
    security=BEARER)
responses_item["head"] = operation(
    "Responses", "headResponses", "Headers of: list a survey's responses",
    "Same as GET without the body (error responses carry no body either).",
    params("Limit", "Cursor", "Order", "Since", "X-Request-Id"),
    OrderedDict([("200", ok("OK: the headers a GET would send, without the body.", LIST_HEADERS))]
                + list(list_errors.items())),
    security=BEARER)
responses_item["post"] = operation(
    "Responses", "submitResponse", "Submit a response",
    "A partner or admin key. A partner key limited to other surveys, or not among the survey's `partners`, gets 403. "
    "The survey must be open (409 `survey-not-open` otherwise, before the body's faults are reported). Each "
    "response is stored and counted exactly once per API key and `external_id`: sending the same body again gives "
    "200 with the stored response; other answers give 409 `duplicate-response`. With an Idempotency-Key, a "
    "retry gets the first answer again (whatever it was). The tallies show a stored response at once on this "
    "worker, within 250 ms on the others.",
    params("Idempotency-Key", "X-Request-Id"),
    OrderedDict([
        ("200", ok("OK: this `external_id` was stored before with the same answers; the stored response.",
                   ["Location-Response", "Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS],
                   json_media("SurveyResponse", {"stored": ex("The response stored before", response_doc)}))),
        ("201", ok("Created: the stored response.",
                   ["Location-Response", "Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS],
                   json_media("SurveyResponse", {"stored": ex("The new response", response_doc)}))),
    ] + list(errs("400s", "401", "403", "404", "405ReadPost", "406", "409s", "415", "422s", "500", "503").items())),
    security=BEARER, body=json_body("ResponseSubmit", {"kiosk": ex("A response from a library kiosk", response_submit)},
                                    "The response."))
responses_item["options"] = options_op("Responses", "Responses", "ReadPost")
paths["/v1/surveys/{survey}/responses"] = responses_item

batch_item = OrderedDict()
batch_item["summary"] = "Responses to a survey, in batches"
batch_item["parameters"] = params("Survey")
batch_item["post"] = operation(
    "Responses", "submitResponseBatch", "Submit up to 500 responses",
    "A partner or admin key, as for one response. The key, the survey and its window are checked once for the "
    "whole batch (401, 403, 404, 409); then each item is checked and stored on its own, exactly as a single "
    "submission would be, and gets its own result: 201 or 200 with the response, or a problem (422 with its "
    "faults, pointers relative to the item; 409 `duplicate-response`; 500). The Idempotency-Key header is not "
    "used here: resubmitting a batch is safe because each item is kept once per `external_id`.",
    params("X-Request-Id"),
    OrderedDict([("200", ok("OK: one result per item (the status is 200 even when items failed).",
                            ["Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS],
                            json_media("BatchResult", {"mixed": ex("One item stored, one refused", batch_result_doc)})))]
                + list(errs("400b", "401", "403", "404", "405Post", "406", "409n", "415", "422b", "500",
                            "503").items())),
    security=BEARER, body=json_body("Batch", {"two": ex("Two responses", schemas["Batch"]["examples"][0])},
                                    "The responses."))
batch_item["options"] = options_op("Responses", "ResponseBatch", "Post")
paths["/v1/surveys/{survey}/responses/batch"] = batch_item

# /v1/surveys/{survey}/responses/export: the whole survey in one download.
parameters["IncludeVoided"] = {
    "name": "include_voided", "in": "query", "required": False,
    "description": "`true`: the voided responses too (with `status: voided`); `false`: the counted ones only "
                   "(the default). Anything else: 400.",
    "schema": {"type": "string", "enum": ["false", "true"], "default": "false"}, "example": "true"}
header("Content-Disposition-Export", "Content-Disposition", {
    "description": "An attachment named after the survey: `<survey>-responses.csv` or `.ndjson`.", "required": True,
    "schema": {"type": "string", "maxLength": 300,
               "examples": [f'attachment; filename="{SURVEY_NEW}-responses.csv"']}})
responses["ExportNotAcceptable"] = problem_response(
    "Not Acceptable: the Accept header takes neither `text/csv` nor `application/x-ndjson`.",
    typed_problem(["not-acceptable"], "A 406 `/problems/not-acceptable`.", [problem_example(
        "not-acceptable", "An export is available as text/csv or application/x-ndjson.",
        f"{SURVEY_PATH}/responses/export")]),
    OrderedDict([("not-acceptable", ("not-acceptable", "An export is available as text/csv or "
                                     "application/x-ndjson.", f"{SURVEY_PATH}/responses/export"))]))
responses["ExportUnavailable"] = problem_response(
    "Service Unavailable: the worker already runs two exports (each holds one of its database connections while "
    "it runs), or the database is unreachable or too busy. Retry after the Retry-After delay.",
    typed_problem(["service-unavailable"], "A 503 `/problems/service-unavailable`.", [problem_example(
        "service-unavailable", "Too many exports are running; retry shortly.", f"{SURVEY_PATH}/responses/export")]),
    OrderedDict([("exports", ("service-unavailable", "Too many exports are running; retry shortly.",
                              f"{SURVEY_PATH}/responses/export", None, {}, "Too many exports")),
                 ("database", ("service-unavailable", "The database is not reachable.",
                               f"{SURVEY_PATH}/responses/export", None, {}, "Database unreachable"))]),
    extra_headers=("Retry-After",))
export_item = OrderedDict()
export_item["summary"] = "A survey's responses, whole"
export_item["parameters"] = params("Survey")
export_errors = OrderedDict(sorted(list(errs("400q", "401", "403", "404", "405Read", "500").items())
                                   + [("406", ref("responses", "ExportNotAcceptable")),
                                      ("503", ref("responses", "ExportUnavailable"))]))
EXPORT_HEADERS = ["Cache-Control-Private-No-Store", "Content-Disposition-Export", "X-Request-Id", "Vary", *CORS]
export_item["get"] = operation(
    "Responses", "exportResponses", "Export every response of a survey",
    "Admin key only (a partner key gets 403). Every counted response of the survey in one download, oldest first "
    "(the order of `GET .../responses?order=asc`), and the voided ones too with `include_voided=true`. As CSV by "
    "default: the columns, rows and formula-cell neutralising of the paged CSV (see `listResponses`), one header "
    "row; or as NDJSON (`Accept: application/x-ndjson`, chosen when Accept weighs it above `text/csv`): one "
    "response per line, as the paged JSON shows each item. The rows come from one snapshot of the database: a "
    "response stored or voided while the export runs is either wholly in it or not, never twice. The body is "
    "sent as the database produces it, with `Transfer-Encoding: chunked` (no Content-Length): a complete export "
    "ends with the last, empty chunk, and an export cut midway (a database failure, a client that read nothing "
    "for 30 seconds) ends without it, which HTTP clients report as an incomplete body. A worker runs two exports "
    "at once; a third gets 503. Over HTTP/1.0 the body "
    "ends when the connection closes, and a cut cannot be told from the end. Never cached, no ETag.",
    params("IncludeVoided", "X-Request-Id"),
    OrderedDict([("200", ok("OK: every response, streamed.", EXPORT_HEADERS, OrderedDict([
        ("text/csv", {"schema": {"type": "string", "description": "CSV, UTF-8 (`text/csv; charset=utf-8`)."},
                      "examples": {"csv": ex("A survey of one response, as CSV", csv_example())}}),
        ("application/x-ndjson", {"schema": {"type": "string", "description": "One JSON object (a "
                                             "`SurveyResponse`) per line, each line ending in LF."},
                                  "examples": {"ndjson": ex("Two responses, as NDJSON", "\n".join(
                                      json.dumps(d, separators=(",", ":")) for d in (response_doc, voided_doc))
                                      + "\n")}}),
    ])))] + list(export_errors.items())),
    security=BEARER)
export_item["head"] = operation(
    "Responses", "headExportResponses", "Headers of: export every response of a survey",
    "Same as GET without the body (error responses carry no body either).",
    params("IncludeVoided", "X-Request-Id"),
    OrderedDict([("200", ok("OK: the headers a GET would send, without the body.", EXPORT_HEADERS))]
                + list(export_errors.items())),
    security=BEARER)
export_item["options"] = options_op("Responses", "ResponsesExport", "Read")
paths["/v1/surveys/{survey}/responses/export"] = export_item

response_item = OrderedDict()
response_item["summary"] = "One response"
response_item["parameters"] = params("Survey", "Response")
item_errors = errs("401", "404", "405Read", "406", "500", "503")
response_item["get"] = operation(
    "Responses", "getResponse", "Get a response",
    "Any key: an admin sees every response of the survey, a partner only the ones its key submitted (another "
    "partner's response is 404). Never cached, no ETag. The query string is ignored.",
    params("X-Request-Id"),
    OrderedDict([("200", ok("OK: the response.", ["Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS],
                            json_media("SurveyResponse", {"counted": ex("A counted response", response_doc),
                                                          "voided": ex("A voided response", voided_doc)})))]
                + list(item_errors.items())),
    security=BEARER)
response_item["head"] = operation(
    "Responses", "headResponse", "Headers of: get a response",
    "Same as GET without the body (error responses carry no body either).", params("X-Request-Id"),
    OrderedDict([("200", ok("OK: the headers a GET would send, without the body.",
                            ["Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS]))] + list(item_errors.items())),
    security=BEARER)
response_item["options"] = options_op("Responses", "Response", "Read")
paths["/v1/surveys/{survey}/responses/{response}"] = response_item

void_item = OrderedDict()
void_item["summary"] = "Voiding a response"
void_item["parameters"] = params("Survey", "Response")
void_item["post"] = operation(
    "Responses", "voidResponse", "Void a response",
    "Admin key only. The response stays stored, with `status: voided`, and stops counting in the tallies (at once "
    "on this worker, within 250 ms on the others). The body is checked (422) before the response is looked up (404).",
    params("X-Request-Id"),
    OrderedDict([("200", ok("OK: the voided response.", ["Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS],
                            json_media("SurveyResponse", {"voided": ex("The voided response", voided_doc)})))]
                + list(errs("400b", "401", "403", "404", "405Post", "406", "409v", "415", "422", "500", "503").items())),
    security=BEARER, body=json_body("VoidRequest", {"test": ex("A test entry", {"reason": voided_doc["void_reason"]})},
                                    "Why the response is voided."))
void_item["options"] = options_op("Responses", "ResponseVoid", "Post")
paths["/v1/surveys/{survey}/responses/{response}/void"] = void_item

tallies_item = OrderedDict()
tallies_item["summary"] = "Live results of a survey"
tallies_item["parameters"] = params("Survey")
TALLY_HEADERS = ["ETag-Tallies", "Cache-Control-Tallies", "X-Request-Id", "Vary", *CORS]
tally_errors = errs("304t", "401", "403", "404", "405Read", "406", "500", "503")
tallies_item["get"] = operation(
    "Tallies", "getTallies", "Get a survey's tallies",
    "The counted responses per answer. Visible per the survey's `results_visibility`: `public`, or `after_close` "
    "once the survey is closed or past `closes_at`: anyone, with or without a key (Authorization is then ignored); "
    "otherwise an admin key only (401 without a key or with a bad one, 403 with a partner key), and the answer "
    "varies on Authorization. Reading costs the same however many responses there are. Public tallies are kept "
    "by each worker for 250 ms, so a dashboard polling every second sees numbers at most that old and its "
    "revalidations cost no query. The ETag changes exactly when the numbers do: poll with If-None-Match for 304s. "
    "The query string is ignored.",
    params("If-None-Match", "X-Request-Id"),
    OrderedDict([("200", ok("OK: the tallies.", TALLY_HEADERS, json_media("Tallies", {
        "seed": ex("The 2020-21 survey after three responses", tallies_doc)})))] + list(tally_errors.items())),
    security=BEARER_OPTIONAL)
tallies_item["head"] = operation(
    "Tallies", "headTallies", "Headers of: get a survey's tallies",
    "Same as GET without the body (error responses carry no body either).", params("If-None-Match", "X-Request-Id"),
    OrderedDict([("200", ok("OK: the headers a GET would send, without the body.", TALLY_HEADERS))]
                + list(tally_errors.items())),
    security=BEARER_OPTIONAL)
tallies_item["options"] = options_op("Tallies", "Tallies", "Read")
paths["/v1/surveys/{survey}/tallies"] = tallies_item

header("Cache-Control-Stream", "Cache-Control", {
    "description": "An event stream is never cached.", "required": True,
    "schema": {"type": "string", "const": "no-store", "examples": ["no-store"]}})
header("X-Accel-Buffering", "X-Accel-Buffering", {
    "description": "Tells a buffering proxy in front (nginx) to pass each event on at once.", "required": True,
    "schema": {"type": "string", "const": "no", "examples": ["no"]}})
parameters["Last-Event-ID"] = OrderedDict([
    ("name", "Last-Event-ID"), ("in", "header"), ("required", False),
    ("description", "The id of the last event received (EventSource sends it when it reconnects): the tallies' "
                    "ETag. When it is the current one, no event is sent until the numbers change."),
    ("schema", {"type": "string", "maxLength": 128}), ("example", TALLIES_ETAG)])
responses["StreamNotAcceptable"] = problem_response(
    "Not Acceptable: the Accept header does not take `text/event-stream`.",
    typed_problem(["not-acceptable"], "A 406 `/problems/not-acceptable`.", [problem_example(
        "not-acceptable", "This resource is available as text/event-stream only.",
        "/v1/surveys/community-survey-2020-21/tallies/stream")]),
    OrderedDict([("not-acceptable", ("not-acceptable", "This resource is available as text/event-stream only.",
                                     "/v1/surveys/community-survey-2020-21/tallies/stream"))]))
responses["StreamUnavailable"] = problem_response(
    "Service Unavailable: the worker that took the connection holds as many event streams as it may "
    "(`CIVIC_STREAMS_PER_WORKER`), or the database is unreachable or too busy. Retry after the Retry-After delay "
    "(EventSource does not retry a 503 by itself: reconnect from the page).",
    typed_problem(["service-unavailable"], "A 503 `/problems/service-unavailable`.", [problem_example(
        "service-unavailable", "This server holds as many event streams as it may; retry shortly.",
        "/v1/surveys/community-survey-2020-21/tallies/stream")]),
    OrderedDict([("streams", ("service-unavailable", "This server holds as many event streams as it may; retry "
                              "shortly.", "/v1/surveys/community-survey-2020-21/tallies/stream", None, {},
                              "Too many streams")),
                 ("database", ("service-unavailable", "The database is not reachable; retry shortly.",
                               "/v1/surveys/community-survey-2020-21/tallies/stream", None, {},
                               "Database unreachable"))]),
    extra_headers=("Retry-After",))
STREAM_EXAMPLE = ("retry: 2000\n\n"
                  f"id: {TALLIES_ETAG}\nevent: tallies\ndata: " + json.dumps(tallies_doc, separators=(",", ":"))
                  + "\n\n: heartbeat\n\n")
STREAM_HEADERS = ["Cache-Control-Stream", "X-Accel-Buffering", "X-Request-Id", "Vary", *CORS]
stream_errors = OrderedDict(sorted(list(errs("400q", "401", "403", "404", "405Read", "500").items())
                                   + [("406", ref("responses", "StreamNotAcceptable")),
                                      ("503", ref("responses", "StreamUnavailable"))]))
stream_item = OrderedDict()
stream_item["summary"] = "Live results of a survey, pushed"
stream_item["parameters"] = params("Survey")
stream_item["get"] = operation(
    "Tallies", "streamTallies", "Stream a survey's tallies (Server-Sent Events)",
    "A `text/event-stream` (Server-Sent Events, as `EventSource` reads them) of the survey's tallies, visible "
    "as `GET .../tallies` is (an admin key as a Bearer header for tallies that are not public). The stream "
    "starts with `retry: 2000`, then sends one event per change of the numbers, on whichever worker the stream "
    "is: the worker that stores a response sends it within about 250 ms, the others once their background "
    "refresh (every 250 ms) sees it. A survey's streams get at most one event every 250 ms: the newest "
    "document. Each event is three lines and a blank one:\n\n"
    "    id: <the tallies' ETag, as GET .../tallies sends it>\n"
    "    event: tallies\n"
    "    data: <the Tallies document, as GET .../tallies answers it, on one line>\n\n"
    "The first event is the current document, unless `Last-Event-ID` names its ETag already (a reconnecting "
    "EventSource sends the last id it saw: nothing is sent until the numbers change). A comment line "
    "(`: heartbeat`) goes out after 15 s without an event. The connection is not closed by the server's idle "
    "timers and reads no further request. A client that falls behind (more than `CIVIC_STREAM_BUFFER` bytes, "
    "64 KiB by default, left unsent) is dropped, and reconnects. A stream ends when its tallies stop being "
    "visible to it (a change of `results_visibility`, the survey gone) and, for an admin's stream of tallies "
    "that are not public, when any API key changes (the admin's may have been revoked): the reconnection is "
    "answered as a new request is. The query string must be empty.",
    params("Last-Event-ID", "X-Request-Id"),
    OrderedDict([("200", ok("OK: the stream; it has no length and lasts until either side closes it.",
                            STREAM_HEADERS, {"text/event-stream": OrderedDict([
                                ("schema", {"type": "string", "description": "Events as described above.",
                                            "maxLength": 1073741824}),
                                ("examples", {"stream": ex("The first event, then a heartbeat",
                                                           STREAM_EXAMPLE)})])}))]
                + list(stream_errors.items())),
    security=BEARER_OPTIONAL)
stream_item["head"] = operation(
    "Tallies", "headTalliesStream", "Headers of: stream a survey's tallies",
    "The headers a GET would send, and the end of the answer: no stream (error responses carry no body either).",
    params("Last-Event-ID", "X-Request-Id"),
    OrderedDict([("200", ok("OK: the headers a GET would send, without the stream.", STREAM_HEADERS))]
                + list(stream_errors.items())),
    security=BEARER_OPTIONAL)
stream_item["options"] = options_op("Tallies", "TalliesStream", "Read")
paths["/v1/surveys/{survey}/tallies/stream"] = stream_item

keys_item = OrderedDict()
keys_item["summary"] = "API keys"
key_list_errors = errs("400q", "401", "403", "405ReadPost", "406", "500", "503")
keys_item["get"] = operation(
    "Keys", "listKeys", "List API keys",
    "Admin key only. Every key, revoked ones included, oldest first, without secrets. Never cached, no ETag.",
    params("Limit", "Cursor", "X-Request-Id"),
    OrderedDict([("200", ok("OK: a page of keys.", LIST_HEADERS, json_media("KeyCollection", {
        "page": ex("A page with limit=1", page([admin_key_doc], 1, KEYS_CURSOR, f"/v1/keys?limit=1&cursor={KEYS_CURSOR}"))})))]
                + list(key_list_errors.items())),
    security=BEARER)
keys_item["head"] = operation(
    "Keys", "headKeys", "Headers of: list API keys",
    "Same as GET without the body (error responses carry no body either).", params("Limit", "Cursor", "X-Request-Id"),
    OrderedDict([("200", ok("OK: the headers a GET would send, without the body.", LIST_HEADERS))]
                + list(key_list_errors.items())),
    security=BEARER)
keys_item["post"] = operation(
    "Keys", "createKey", "Create an API key",
    "Admin key only. The service makes the secret and keeps only its SHA-256: the 201 shows it, once, in `key`.",
    params("X-Request-Id"),
    OrderedDict([("201", ok("Created: the key, with its secret.",
                            ["Location-Key", "Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS],
                            json_media("NewApiKey", {"partner": ex("A partner key", new_key_doc)})))]
                + list(errs("400b", "401", "403", "405ReadPost", "406", "415", "422", "500", "503").items())),
    security=BEARER, body=json_body("KeyCreate", {"partner": ex("A partner key for one survey", key_create)},
                                    "The new key."))
keys_item["options"] = options_op("Keys", "Keys", "ReadPost")
paths["/v1/keys"] = keys_item

key_item = OrderedDict()
key_item["summary"] = "One API key"
key_item["parameters"] = params("Key")
key_item["delete"] = operation(
    "Keys", "revokeKey", "Revoke an API key",
    "Admin key only. The key stops working at once, on every worker; revoking it again is also 204. Keys are never "
    "deleted: they stay listed with `revoked_at`.",
    params("X-Request-Id"),
    OrderedDict([("204", ok("No Content: the key is revoked.", ["Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS]))]
                + list(errs("401", "403", "404", "405PatchDelete", "406", "500", "503").items())),
    security=BEARER)
key_item["patch"] = operation(
    "Keys", "updateKey", "Change an API key",
    "Admin key only. Changes the key's name or its own rate limit (`rate_limit`; null: back to the default); the "
    "members not sent stay. Every worker applies a new limit within 1 second. Recorded in the audit log.",
    params("X-Request-Id"),
    OrderedDict([("200", ok("OK: the key as the list now shows it.",
                            ["Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS],
                            json_media("ApiKey", {"partner": ex("A partner key", key_doc)})))]
                + list(errs("400b", "401", "403", "404", "405PatchDelete", "406", "415", "422", "500", "503").items())),
    security=BEARER, body=json_body("KeyPatch", {"limit": ex("A limit of its own", key_patch),
                                                 "default": ex("Back to the default", {"rate_limit": None})},
                                    "The members to change."))
key_item["options"] = options_op("Keys", "Key", "PatchDelete")
paths["/v1/keys/{key}"] = key_item

audit_item = OrderedDict()
audit_item["summary"] = "The audit log"
AUDIT_QUERY = ("Resource-Filter", "Changes-Since", "Changes-Until", "Limit", "Cursor")
audit_errors = errs("400q", "401", "403", "405Read", "406", "500", "503")
audit_item["get"] = operation(
    "Audit", "listAudit", "List recorded changes",
    "Admin key only. Every recorded change, newest first: plans, goals, objectives, priorities, surveys, keys "
    "(created, revoked) and voided responses, whether made over the API (the actor is the key) or with plain SQL "
    "(the actor is the database role). Each entry is recorded in the same transaction as its change, so the log "
    "has every committed change and nothing of a refused one; a change shows here at once on the worker that "
    "made it and on the others within 1 second. Filter by `resource` and by time (`since` inclusive, `until` "
    "exclusive). Never cached, no ETag.",
    params(*AUDIT_QUERY, "X-Request-Id"),
    OrderedDict([("200", ok("OK: a page of the audit log.", LIST_HEADERS, json_media("AuditCollection", {
        "page": ex("A page with limit=1", page(audit_entries[:1], 1, AUDIT_CURSOR,
                                              f"/v1/audit?limit=1&cursor={AUDIT_CURSOR}")),
        "all": ex("Three entries", page(audit_entries))})))]
                + list(audit_errors.items())),
    security=BEARER)
audit_item["head"] = operation(
    "Audit", "headAudit", "Headers of: list recorded changes",
    "Same as GET without the body (error responses carry no body either).", params(*AUDIT_QUERY, "X-Request-Id"),
    OrderedDict([("200", ok("OK: the headers a GET would send, without the body.", LIST_HEADERS))]
                + list(audit_errors.items())),
    security=BEARER)
audit_item["options"] = options_op("Audit", "Audit", "Read")
paths["/v1/audit"] = audit_item

route("/healthz", tag="Health", name="Health", get_id="getHealth", summary="Liveness probe",
      description="200 while the service answers; does not touch the database.", content_type="application/json",
      schema=ref("schemas", "Health"), examples={"ok": ex("Alive", {"status": "ok"})}, cache="Cache-Control-No-Store")
route("/readyz", tag="Health", name="Readiness", get_id="getReadiness", summary="Readiness probe",
      description="200 when the database answers; 503 problem (Retry-After: 1) when it does not.",
      content_type="application/json", schema=ref("schemas", "Readiness"),
      examples={"ready": ex("Ready", {"status": "ready", "database": "ok"})}, cache="Cache-Control-No-Store", s503=True)
# GET /metrics: Prometheus' text format, for an admin key or the scrape token.
METRICS_SAMPLE = """# HELP civic_http_requests_total HTTP requests answered, by route template, method and status.
# TYPE civic_http_requests_total counter
civic_http_requests_total{route="/v1/plans/{plan}",method="GET",status="200"} 1027
civic_http_requests_total{route="unmatched",method="GET",status="404"} 3
# HELP civic_worker_starts_total Worker processes started (restarts included).
# TYPE civic_worker_starts_total counter
civic_worker_starts_total 2
# HELP civic_build_info The API's version and Kore's; always 1.
# TYPE civic_build_info gauge
civic_build_info{version="%s",kore="4.1.0"} 1
""" % API_VERSION
METRICS_SECURITY = [{"bearerAuth": []}, {"metricsToken": []}]
metrics_errors = errs("400q", "401", "403", "405Read", "500", "503")
metrics_ok_headers = ["Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS]
metrics_item = OrderedDict()
metrics_item["summary"] = "Metrics"
metrics_item["get"] = operation(
    "Metrics", "getMetrics", "Metrics for Prometheus",
    "The Prometheus text exposition format 0.0.4, summed over every worker: requests by route template (a "
    "path no route names is `unmatched`), method and status; request and database query latency histograms; "
    "the database queue and pool gauges; submissions, tally cache, snapshot reloads, worker starts, rate "
    "limit refusals and the build. For an admin key, or for the scrape token the operator set in "
    "`CIVIC_METRICS_TOKEN`, as a bearer token: without either, 401; with a key that is not an admin's, 403. "
    "Takes no query parameters. Never cached.",
    params("X-Request-Id"),
    OrderedDict([("200", ok("OK: every metric.", metrics_ok_headers, {
        "text/plain; version=0.0.4; charset=utf-8": OrderedDict([
            ("schema", {"type": "string", "maxLength": 10485760}),
            ("examples", {"metrics": ex("A few of the samples", METRICS_SAMPLE)})])}))]
                + list(metrics_errors.items())),
    security=METRICS_SECURITY)
metrics_item["head"] = operation(
    "Metrics", "headMetrics", "Headers of: metrics for Prometheus",
    "Same as GET without the body (error responses carry no body either).", params("X-Request-Id"),
    OrderedDict([("200", ok("OK: the headers a GET would send, without the body.", metrics_ok_headers))]
                + list(metrics_errors.items())),
    security=METRICS_SECURITY)
metrics_item["options"] = options_op("Metrics", "Metrics", "Read")
paths["/metrics"] = metrics_item

route("/openapi.json", tag="Documentation", name="OpenApiDocument", get_id="getOpenApiDocument",
      summary="Get this OpenAPI document", description="This document, byte for byte.", content_type="application/json",
      schema=ref("schemas", "OpenApiDocument"), examples=None)
route("/docs", tag="Documentation", name="DocsPage", get_id="getDocsPage", summary="Interactive docs page",
      description="Swagger UI for this API; it loads /docs/swagger-ui.css, /docs/swagger-ui-bundle.js and /openapi.json from this server only.",
      content_type="text/html", schema={"type": "string"},
      examples={"page": ex("The page", "<!DOCTYPE html>\n<html lang=\"en\">...</html>\n")})
route("/docs/swagger-ui.css", tag="Documentation", name="DocsStylesheet", get_id="getDocsStylesheet",
      summary="Docs page stylesheet", description="The Swagger UI stylesheet (swagger-ui-dist 5.35.0).",
      content_type="text/css", schema={"type": "string"}, examples=None)
route("/docs/swagger-ui-bundle.js", tag="Documentation", name="DocsScript", get_id="getDocsScript",
      summary="Docs page script", description="The Swagger UI bundle (swagger-ui-dist 5.35.0).",
      content_type="text/javascript", schema={"type": "string"}, examples=None)

route("/dashboard", tag="Dashboard", name="Dashboard", get_id="getDashboard",
      summary="The plan, its progress and its survey results, live",
      description="A page for people, on a phone or a wall: the current plan (goals and objectives), the "
                  "council's priorities of a chosen year, each with its progress (the objective's roll-up; the "
                  "initiatives serving it with lead department, progress and reported status; the objective's "
                  "indicators with computed status, override, rule and version, and a small chart of observations "
                  "against targets, with the numbers in tables), and a survey's results: the agreement share with "
                  "its n, and per objective its votes, share and rank, as a bar chart and as a table. The numbers "
                  "update from the tallies' event stream (`/v1/surveys/{survey}/tallies/stream`), or by polling the "
                  "tallies with If-None-Match where a browser cannot stream; the progress reads are polled with "
                  "If-None-Match. The query string chooses: `plan` "
                  "(default: the current plan), `year` (default: the latest with priorities), `survey` (default: "
                  "the plan's first survey whose results are public); the page reads it, the server ignores it. It "
                  "loads its script and stylesheet from this server and calls this server's API only (its "
                  "Content-Security-Policy says so), and may be framed by this server and by the origins of "
                  "`CIVIC_CORS_ORIGINS` (`frame-ancestors`), e.g. `<iframe src=\"https://api.example/dashboard?"
                  "survey=pulse-2027\" title=\"Survey results\"></iframe>` on the city's website.",
      content_type="text/html", schema={"type": "string", "maxLength": 1048576},
      examples={"page": ex("The page", "<!DOCTYPE html>\n<html lang=\"en\">...</html>\n")})
route("/dashboard/dashboard.js", tag="Dashboard", name="DashboardScript", get_id="getDashboardScript",
      summary="Dashboard script", description="The dashboard's script (plain SVG charts, no library).",
      content_type="text/javascript", schema={"type": "string", "maxLength": 1048576}, examples=None)
route("/dashboard/dashboard.css", tag="Dashboard", name="DashboardStylesheet", get_id="getDashboardStylesheet",
      summary="Dashboard stylesheet", description="The dashboard's stylesheet.",
      content_type="text/css", schema={"type": "string", "maxLength": 1048576}, examples=None)
# ----------------------------------------------------------------- progress
# Initiatives, indicators, targets, observations, overrides, updates, status rules, the roll-up, the
# observations' CSV and its import, and the plan's export (sql/api/progress.sql, src/progress.c).
# The examples are a made-up measure, labelled as such: the seed plan has none.
TAGS["Progress"] = ("How the plan is doing: initiatives and indicators with dated targets, append-only observations "
                    "with provenance, statuses computed by published, versioned rules, the roll-up, CSV import and "
                    "the StratML Part 2 and JSON exports. Anyone reads the adopted plans' progress; admins write it.")
EX_IND = "example-response-time"
EX_INI = "example-street-lights"
EX_SHA = "81b6a9e4f6569d9a3ec6e376cc120f8b4ab86b489a965f7680d9c51e739d2837"
STATUS5 = ["on_track", "at_risk", "off_track", "no_data", "not_due"]
NUM = {"type": "number", "minimum": -1e15, "maximum": 1e15}
NUM_NULL = {"type": ["number", "null"], "minimum": -1e15, "maximum": 1e15}
ID_INT = {"type": "integer", "minimum": 1, "maximum": 9007199254740991}
ID_NULL = {"type": ["integer", "null"], "minimum": 1, "maximum": 9007199254740991}
SHA_NULL = {"type": ["string", "null"], "maxLength": 64, "pattern": "^[0-9a-f]{64}$"}

def text(max_len, desc, example, nullable_=False):
    return {"type": ["string", "null"] if nullable_ else "string", "maxLength": max_len, "description": desc,
            "examples": [example]}

schemas["Period"] = closed(OrderedDict([
    ("start", ref("schemas", "Date")), ("end", ref("schemas", "Date"))]),
    description="A period of days, both ends included (`end` not before `start`).",
    examples=[{"start": "2025-01-01", "end": "2025-12-31"}])
schemas["Unit"] = closed(OrderedDict([
    ("code", text(50, "The unit's UCUM code (case-sensitive: `min`, `%`, `{incidents}`).", "min")),
    ("label", text(100, "The unit as people read it.", "minutes"))]),
    description="A unit of measure.", examples=[{"code": "min", "label": "minutes"}])
schemas["Baseline"] = closed(OrderedDict([("value", NUM), ("period", ref("schemas", "Period"))]),
                             description="Where the measure started.",
                             examples=[{"value": 9.5, "period": {"start": "2024-01-01", "end": "2024-12-31"}}])
schemas["DataSource"] = closed(OrderedDict([
    ("url", {"type": "string", "format": "uri", "maxLength": 2000, "description": "Where the data comes from.",
             "examples": ["https://data.example.org/response-times"]}),
    ("description", text(2000, "What the source is.", "Computer-aided dispatch records"))]), required=[],
    description="The data's source.", examples=[{"url": "https://data.example.org/response-times",
                                                  "description": "Computer-aided dispatch records"}])
ind_def_props = OrderedDict([
    ("code", text(50, "The measure's code, as the city numbers it.", "EX-1")),
    ("title", text(300, "What is measured.", "Example (not city data): median response time")),
    ("definition", text(5000, "How it is measured.", "Median minutes from call to arrival.")),
    ("objective", ref("schemas", "Slug")),
    ("unit", ref("schemas", "Unit")),
    ("direction", {"type": "string", "enum": ["increase", "decrease", "range"],
                   "description": "Which way is better: `increase` (actual / target), `decrease` (target / actual) or "
                                  "`range` (targets are `{min, max}`).", "examples": ["decrease"]}),
    ("aggregation", {"type": "string", "enum": ["sum", "average", "latest", "minimum", "maximum", "count", "rate"],
                     "description": "How values of a period are combined.", "examples": ["latest"]}),
    ("frequency", {"type": "string", "enum": ["daily", "weekly", "monthly", "quarterly", "yearly", "irregular"],
                   "description": "How often it is observed.", "examples": ["yearly"]}),
    ("fiscal_year_start_month", {"type": "integer", "minimum": 1, "maximum": 12,
                                 "description": "The month the fiscal year starts.", "examples": [7]}),
    ("baseline", ref("schemas", "Baseline")),
    ("data_source", ref("schemas", "DataSource")),
    ("owner_department", text(200, "The department that owns the measure.", "Police Department")),
    ("weight", {"type": "number", "minimum": 0, "maximum": 1000, "description": "Its weight in the roll-up (1 "
                "unless set).", "examples": [1]}),
    ("status_rule", {"type": "string", "maxLength": 100, "pattern": SLUG_PATTERN, "description": "The status rule "
                     "(see /v1/status-rules; `ratio` unless set).", "examples": ["ratio"]}),
])
schemas["Target"] = closed(OrderedDict([
    ("id", ID_INT), ("period", ref("schemas", "Period")),
    ("value", dict(NUM_NULL, description="The value to reach (null for a range).")),
    ("min", dict(NUM_NULL, description="A range's lower end, or null.")),
    ("max", dict(NUM_NULL, description="A range's upper end, or null.")),
    ("rationale", text(2000, "Why this target.", "Council goal for 2025")),
    ("supersedes", dict(ID_NULL, description="The target this one replaced, or null.")),
    ("superseded_by", dict(ID_NULL, description="The target that replaced this one (by as_of), or null.")),
    ("in_force", {"type": "boolean", "description": "Not superseded (by as_of).", "examples": [True]}),
    ("recorded_at", ref("schemas", "Timestamp"))]),
    description="A target for a period: a value, or a range {min, max}. Append-only: a later target may supersede "
                "it, and both stay visible.",
    examples=[{"id": 3, "period": {"start": "2025-01-01", "end": "2025-12-31"}, "value": 8, "min": None,
               "max": None, "rationale": "Council goal for 2025", "supersedes": None, "superseded_by": None,
               "in_force": True, "recorded_at": "2026-12-07T13:00:03Z"}])
schemas["Provenance"] = closed(OrderedDict([
    ("method", {"type": "string", "enum": ["api", "import"], "description": "How it was recorded.",
                "examples": ["import"]}),
    ("source_uri", {"type": ["string", "null"], "maxLength": 2000, "format": "uri",
                    "description": "Where the value comes from.", "examples": ["https://data.example.org/cad-2025.csv"]}),
    ("row", text(200, "The row of the source (for an import: the record of the file, the header being 1).", "2", True)),
    ("file_sha256", dict(SHA_NULL, description="SHA-256 of the imported file.")),
    ("import_id", dict(ID_NULL, description="The import that recorded it."))]),
    description="Where an observation comes from.",
    examples=[{"method": "import", "source_uri": "https://data.example.org/cad-2025.csv", "row": "2",
               "file_sha256": EX_SHA, "import_id": 1}])
schemas["Observation"] = closed(OrderedDict([
    ("id", ID_INT), ("period", ref("schemas", "Period")), ("value", NUM),
    ("quality", {"type": "string", "enum": ["provisional", "final", "revised"], "examples": ["final"]}),
    ("note", text(2000, "A note.", "")),
    ("provenance", ref("schemas", "Provenance")),
    ("supersedes", dict(ID_NULL, description="The observation this one corrects, or null.")),
    ("superseded_by", dict(ID_NULL, description="The correction of this one (by as_of), or null.")),
    ("in_force", {"type": "boolean", "description": "Not corrected (by as_of).", "examples": [True]}),
    ("recorded_at", ref("schemas", "Timestamp")),
    ("recorded_by", text(100, "The name of the key that recorded it.", "City of Independence", True))]),
    description="An observed value for a period. Append-only: a correction is a new observation that supersedes it.",
    examples=[{"id": 28, "period": {"start": "2025-01-01", "end": "2025-12-31"}, "value": 8.1, "quality": "final",
               "note": "", "provenance": {"method": "api", "source_uri": None, "row": None, "file_sha256": None,
                                          "import_id": None},
               "supersedes": 27, "superseded_by": None, "in_force": True, "recorded_at": "2026-12-07T13:03:15Z",
               "recorded_by": "City of Independence"}])
ex_target = schemas["Target"]["examples"][0]
ex_obs = schemas["Observation"]["examples"][0]
schemas["RuleReference"] = closed(OrderedDict([
    ("id", ref("schemas", "Slug")), ("version", {"type": "integer", "minimum": 1, "maximum": 1000000, "examples": [1]}),
    ("href", {"type": "string", "format": "uri-reference", "maxLength": 120, "pattern": "^/v1/status-rules/",
              "examples": ["/v1/status-rules/ratio"]})]),
    description="The status rule and version an assessment used.",
    examples=[{"id": "ratio", "version": 1, "href": "/v1/status-rules/ratio"}])
ex_assess = {"status": "at_risk", "rule": {"id": "ratio", "version": 1, "href": "/v1/status-rules/ratio"},
             "direction": "decrease", "ratio": 0.9877, "target": ex_target, "observations": [ex_obs],
             "reason": "Observation 28 (8.1) against target 3: ratio 0.9877."}
schemas["Assessment"] = closed(OrderedDict([
    ("status", {"type": "string", "enum": STATUS5, "examples": ["at_risk"]}),
    ("rule", ref("schemas", "RuleReference")),
    ("direction", {"type": "string", "enum": ["increase", "decrease", "range"], "examples": ["decrease"]}),
    ("ratio", dict(NUM_NULL, description="The rule's ratio, or null (no_data, not_due).")),
    ("target", {"description": "The exact target used, or null.",
                "oneOf": [ref("schemas", "Target"), {"type": "null"}]}),
    ("observations", {"type": "array", "maxItems": 1, "items": ref("schemas", "Observation"),
                      "description": "The exact observations used."}),
    ("reason", text(1000, "Why, in words.", "Observation 28 (8.1) against target 3: ratio 0.9877."))]),
    description="A computed status: the rule and version, the exact target and observations it used, and why.",
    examples=[ex_assess])
ex_override = {"id": 4, "status": "on_track", "reason": "The 2025 figure excludes a week of outage; reviewed.",
               "recorded_at": "2026-12-07T13:05:00Z", "recorded_by": "City of Independence"}
schemas["Override"] = closed(OrderedDict([
    ("id", ID_INT), ("status", {"type": "string", "enum": ["on_track", "at_risk", "off_track"],
                                "examples": ["on_track"]}),
    ("reason", text(2000, "Why.", ex_override["reason"])), ("recorded_at", ref("schemas", "Timestamp")),
    ("recorded_by", text(100, "The key's name.", "City of Independence", True))]),
    description="An admin's status, with the reason; the computed status stays beside it.", examples=[ex_override])
ex_indicator = OrderedDict([
    ("id", EX_IND), ("plan", PLAN_ID), ("code", "EX-1"), ("title", "Example (not city data): median response time"),
    ("objective", "reduce-crime-and-disorder"), ("unit", {"code": "min", "label": "minutes"}),
    ("direction", "decrease"), ("frequency", "yearly"),
    ("baseline", {"value": 9.5, "period": {"start": "2024-01-01", "end": "2024-12-31"}}),
    ("version", 1), ("updated_at", "2026-12-07T13:00:02Z"), ("status", "on_track"), ("computed", ex_assess),
    ("override", ex_override), ("targets", [ex_target]),
    ("observations", [dict(ex_obs, id=27, value=8.4, quality="provisional", supersedes=None, superseded_by=28,
                           in_force=False, recorded_at="2026-12-07T13:00:30Z"), ex_obs])])
schemas["Indicator"] = closed(OrderedDict(
    [("id", ref("schemas", "Slug")), ("plan", ref("schemas", "Slug"))] + list(ind_def_props.items()) + [
        ("version", {"type": "integer", "minimum": 1, "maximum": 1000000, "description": "Its definition's "
                     "version (each change is a new one).", "examples": [1]}),
        ("updated_at", ref("schemas", "Timestamp")),
        ("status", {"type": "string", "enum": STATUS5, "description": "The override's status if one is in "
                    "force, else the computed one.", "examples": ["on_track"]}),
        ("computed", ref("schemas", "Assessment")),
        ("override", {"description": "The override in force, or null.",
                      "oneOf": [ref("schemas", "Override"), {"type": "null"}]}),
        ("targets", {"type": "array", "maxItems": 10000, "items": ref("schemas", "Target"),
                     "description": "Every target, superseded ones too, by period."}),
        ("observations", {"type": "array", "maxItems": 10000000, "items": ref("schemas", "Observation"),
                          "description": "Every observation, corrected ones too, by period."})]),
    required=["id", "plan", "code", "title", "objective", "unit", "direction", "version", "updated_at", "status",
              "computed", "override", "targets", "observations"],
    description="A measure under an objective, with its targets, observations and status.", examples=[ex_indicator])
schemas["IndicatorCreate"] = closed(OrderedDict([("id", ref("schemas", "Slug"))] + list(ind_def_props.items())),
                                    required=["code", "title", "objective", "unit", "direction"],
                                    description="A new indicator (its id is made from `code` unless given).",
                                    examples=[{k: v for k, v in ex_indicator.items() if k in ind_def_props or k == "id"}])
schemas["IndicatorPatch"] = closed(OrderedDict(list(ind_def_props.items())), required=[],
                                   description="The members to change (a new version of the definition); null "
                                               "removes an optional member.",
                                   examples=[{"owner_department": "Police Department"}])
schemas["IndicatorSummary"] = closed(OrderedDict([
    ("id", ref("schemas", "Slug")), ("code", ind_def_props["code"]), ("title", ind_def_props["title"]),
    ("objective", ref("schemas", "Slug")), ("direction", ind_def_props["direction"]),
    ("status", {"type": "string", "enum": STATUS5, "examples": ["on_track"]}),
    ("computed_status", {"type": "string", "enum": STATUS5, "examples": ["at_risk"]})]),
    description="An indicator as its collection lists it.",
    examples=[{"id": EX_IND, "code": "EX-1", "title": ex_indicator["title"], "objective": "reduce-crime-and-disorder",
               "direction": "decrease", "status": "on_track", "computed_status": "at_risk"}])
ex_ind_page = page([schemas["IndicatorSummary"]["examples"][0]])
schemas["IndicatorCollection"] = collection("IndicatorSummary", "A page of indicators.", ex_ind_page)
schemas["TargetCreate"] = closed(OrderedDict([
    ("period", ref("schemas", "Period")), ("value", dict(NUM, description="For increase and decrease.")),
    ("min", dict(NUM, description="For range: the lower end.")), ("max", dict(NUM, description="For range.")),
    ("rationale", text(2000, "Why.", "Council goal")),
    ("supersedes", dict(ID_INT, description="A target in force it replaces."))]), required=["period"],
    description="A new target: `value` for increase and decrease, `min` and/or `max` for range.",
    examples=[{"period": {"start": "2025-01-01", "end": "2025-12-31"}, "value": 8,
               "rationale": "Council goal for 2025"}])
schemas["ObservationCreate"] = closed(OrderedDict([
    ("period", ref("schemas", "Period")), ("value", NUM),
    ("quality", {"type": "string", "enum": ["provisional", "final", "revised"], "examples": ["final"]}),
    ("source_uri", {"type": "string", "format": "uri", "maxLength": 2000, "examples": ["https://data.example.org/x.csv"]}),
    ("row", text(200, "The row of the source.", "17")), ("note", text(2000, "A note.", "corrected")),
    ("supersedes", dict(ID_INT, description="The observation in force this one corrects."))]),
    required=["period", "value", "quality"],
    description="A new observation, or a correction (`supersedes`). There is no PUT and no DELETE.",
    examples=[{"period": {"start": "2025-01-01", "end": "2025-12-31"}, "value": 8.1, "quality": "revised",
               "supersedes": 27}])
schemas["OverrideCreate"] = closed(OrderedDict([
    ("status", {"type": ["string", "null"], "enum": ["on_track", "at_risk", "off_track", None],
                "description": "The status; null lifts the override in force.", "examples": ["on_track"]}),
    ("reason", text(2000, "Why (required).", ex_override["reason"]))]),
    description="An override (or, with a null status, its lifting), always with a reason.",
    examples=[{"status": "on_track", "reason": ex_override["reason"]}])
ex_update = {"id": 5, "date": "2026-06-30", "reported_status": "on_track", "progress_pct": 40,
             "text": "Example (not city data): 40 of 100 lights replaced.", "author": "Public Works",
             "recorded_at": "2026-12-07T13:10:00Z"}
schemas["Update"] = closed(OrderedDict([
    ("id", ID_INT), ("date", ref("schemas", "Date")),
    ("reported_status", {"type": ["string", "null"], "enum": ["on_track", "at_risk", "off_track", "completed",
                                                              "not_started", None], "examples": ["on_track"]}),
    ("progress_pct", {"type": ["number", "null"], "minimum": 0, "maximum": 100, "examples": [40]}),
    ("text", text(10000, "The narrative.", ex_update["text"])), ("author", text(200, "Who wrote it.", "Public Works")),
    ("recorded_at", ref("schemas", "Timestamp"))]),
    description="A dated narrative update (append-only).", examples=[ex_update])
schemas["UpdateCreate"] = closed(OrderedDict([
    ("date", ref("schemas", "Date")),
    ("reported_status", {"type": "string", "enum": ["on_track", "at_risk", "off_track", "completed", "not_started"],
                         "examples": ["on_track"]}),
    ("progress_pct", {"type": "number", "minimum": 0, "maximum": 100, "examples": [40]}),
    ("text", text(10000, "The narrative.", ex_update["text"])), ("author", text(200, "Who wrote it.", "Public Works"))]),
    required=["date", "text", "author"], description="A new narrative update.",
    examples=[{k: ex_update[k] for k in ("date", "reported_status", "progress_pct", "text", "author")}])
schemas["Milestone"] = closed(OrderedDict([
    ("title", text(300, "The milestone.", "Contract signed")), ("due", ref("schemas", "Date")),
    ("completed_on", {"description": "When it was done, or null.", "oneOf": [ref("schemas", "Date"), {"type": "null"}]})]),
    required=["title", "due"], description="A milestone of an initiative.",
    examples=[{"title": "Contract signed", "due": "2026-03-31", "completed_on": "2026-03-15"}])
ini_def_props = OrderedDict([
    ("title", text(300, "The initiative.", "Example (not city data): replace street lights")),
    ("description", text(5000, "What it is.", "LED lights on the main roads.")),
    ("objectives", {"type": "array", "maxItems": 50, "items": ref("schemas", "Slug"),
                    "description": "The objectives it serves.", "examples": [["reduce-blight"]]}),
    ("priorities", {"type": "array", "maxItems": 50, "items": ref("schemas", "Year"),
                    "description": "The years whose council priorities it serves.", "examples": [[2021]]}),
    ("lead_department", text(200, "Who leads it.", "Public Works")),
    ("start_date", ref("schemas", "Date")), ("due_date", ref("schemas", "Date")),
    ("weight", {"type": "number", "minimum": 0, "maximum": 1000, "examples": [1]}),
    ("external_id", text(200, "The city's own reference.", "PW-2026-14")),
    ("progress_method", {"type": "string", "enum": ["manual", "milestones", "time_elapsed"],
                         "description": "`manual` (the latest update's progress_pct), `milestones` (done over "
                                        "total) or `time_elapsed` (from start_date to due_date).",
                         "examples": ["milestones"]}),
    ("milestones", {"type": "array", "maxItems": 100, "items": ref("schemas", "Milestone")})])
schemas["InitiativeProgress"] = closed(OrderedDict([
    ("method", {"type": "string", "enum": ["manual", "milestones", "time_elapsed"], "examples": ["milestones"]}),
    ("percent", {"type": ["number", "null"], "minimum": 0, "maximum": 100, "examples": [50]}),
    ("detail", text(200, "How it was computed.", "1 of 2 milestones done"))]),
    description="An initiative's progress by its method.",
    examples=[{"method": "milestones", "percent": 50, "detail": "1 of 2 milestones done"}])
ex_initiative = OrderedDict([
    ("id", EX_INI), ("plan", PLAN_ID), ("title", ini_def_props["title"]["examples"][0]),
    ("objectives", ["reduce-blight"]), ("progress_method", "milestones"),
    ("milestones", [{"title": "Contract signed", "due": "2026-03-31", "completed_on": "2026-03-15"},
                    {"title": "All lights replaced", "due": "2026-12-31"}]),
    ("version", 1), ("updated_at", "2026-12-07T13:09:00Z"),
    ("progress", {"method": "milestones", "percent": 50, "detail": "1 of 2 milestones done"}),
    ("updates", [ex_update])])
schemas["Initiative"] = closed(OrderedDict(
    [("id", ref("schemas", "Slug")), ("plan", ref("schemas", "Slug"))] + list(ini_def_props.items()) + [
        ("version", {"type": "integer", "minimum": 1, "maximum": 1000000, "examples": [1]}),
        ("updated_at", ref("schemas", "Timestamp")), ("progress", ref("schemas", "InitiativeProgress")),
        ("updates", {"type": "array", "maxItems": 100000, "items": ref("schemas", "Update")})]),
    required=["id", "plan", "title", "version", "updated_at", "progress", "updates"],
    description="One of the council's actions, with its milestones, updates and progress.", examples=[ex_initiative])
schemas["InitiativeCreate"] = closed(OrderedDict([("id", ref("schemas", "Slug"))] + list(ini_def_props.items())),
                                     required=["title"], description="A new initiative.",
                                     examples=[{k: v for k, v in ex_initiative.items()
                                                if k in ini_def_props or k == "id"}])
schemas["InitiativePatch"] = closed(OrderedDict(list(ini_def_props.items())), required=[],
                                    description="The members to change (a new version); null removes an optional one.",
                                    examples=[{"milestones": [{"title": "Contract signed", "due": "2026-03-31",
                                                               "completed_on": "2026-03-15"}]}])
schemas["InitiativeSummary"] = closed(OrderedDict([
    ("id", ref("schemas", "Slug")), ("title", ini_def_props["title"]),
    ("objectives", {"type": ["array", "null"], "maxItems": 50, "items": ref("schemas", "Slug")}),
    ("progress", ref("schemas", "InitiativeProgress"))]), description="An initiative as its collection lists it.",
    examples=[{"id": EX_INI, "title": ex_initiative["title"], "objectives": ["reduce-blight"],
               "progress": ex_initiative["progress"]}])
schemas["InitiativeCollection"] = collection("InitiativeSummary", "A page of initiatives.",
                                             page([schemas["InitiativeSummary"]["examples"][0]]))
ex_rule_def = {"title": "Ratio of actual to target", "description": "The latest observation in force is compared "
               "with the target in force for its period.",
               "thresholds": [{"status": "on_track", "ratio_at_least": 1}, {"status": "at_risk", "ratio_at_least": 0.9},
                              {"status": "off_track", "ratio_below": 0.9}]}
ex_rule = OrderedDict([("id", "ratio"), ("version", 1), ("published_at", "2026-01-01T00:00:00Z")] +
                      list(ex_rule_def.items()) +
                      [("versions", [{"version": 1, "published_at": "2026-01-01T00:00:00Z", "definition": ex_rule_def}])])
schemas["StatusRule"] = {
    "type": "object", "description": "A status rule as published at a moment: its newest version by then (`id`, "
    "`version`, `published_at` and the definition's members: `thresholds`, `ratio`, how the target and the "
    "observation are chosen, `no_data`, `not_due`), and every version by then.",
    "required": ["id", "version", "published_at", "thresholds", "versions"],
    "additionalProperties": False,
    "properties": OrderedDict([
        ("id", ref("schemas", "Slug")), ("version", {"type": "integer", "minimum": 1, "maximum": 1000000}),
        ("published_at", ref("schemas", "Timestamp")),
        ("title", text(300, "The rule's name.", "Ratio of actual to target")),
        ("description", text(5000, "What it does.", "The latest observation in force is compared with the target.")),
        ("ratio", {"type": "object", "description": "The ratio for each direction, in words."}),
        ("observation", text(5000, "Which observation is used.", "The one in force with the latest period end.")),
        ("target", text(5000, "Which target is used.", "The one in force for the observation's period.")),
        ("not_due", text(5000, "When the status is not_due.", "No target period has begun.")),
        ("no_data", text(5000, "When the status is no_data.", "No observation is in force.")),
        ("zero", text(5000, "A zero denominator.", "Ratio 1 when the target is met, else 0.")),
        ("thresholds", {"type": "array", "maxItems": 20, "items": closed(OrderedDict([
            ("status", {"type": "string", "enum": ["on_track", "at_risk", "off_track"]}),
            ("ratio_at_least", {"type": "number", "minimum": 0, "maximum": 1000}),
            ("ratio_below", {"type": "number", "minimum": 0, "maximum": 1000})]), required=["status"])}),
        ("versions", {"type": "array", "maxItems": 1000, "items": closed(OrderedDict([
            ("version", {"type": "integer", "minimum": 1, "maximum": 1000000}),
            ("published_at", ref("schemas", "Timestamp")), ("definition", {"type": "object"})]))})]),
    "examples": [ex_rule]}
schemas["StatusRuleCollection"] = collection("StatusRule", "The status rules.", page([ex_rule]))
schemas["IndicatorPoints"] = closed(OrderedDict([
    ("id", ref("schemas", "Slug")), ("status", {"type": "string", "enum": STATUS5}),
    ("weight", {"type": "number", "minimum": 0, "maximum": 1000}),
    ("points", {"type": ["number", "null"], "minimum": 0, "maximum": 1})]),
    description="An indicator in a roll-up: its status, weight and points (null: not counted).",
    examples=[{"id": EX_IND, "status": "on_track", "weight": 1, "points": 1}])
schemas["InitiativeShare"] = closed(OrderedDict([
    ("id", ref("schemas", "Slug")), ("progress", {"type": ["number", "null"], "minimum": 0, "maximum": 100}),
    ("weight", {"type": "number", "minimum": 0, "maximum": 1000})]),
    description="An initiative in a roll-up.", examples=[{"id": EX_INI, "progress": 50, "weight": 1}])
ROLL = OrderedDict([
    ("id", ref("schemas", "Slug")), ("title", text(300, "Its title.", "Reduce crime and disorder")),
    ("status", {"type": "string", "enum": ["on_track", "at_risk", "off_track", "no_data"], "examples": ["on_track"]}),
    ("score", NUM_NULL), ("weight", {"type": "number", "minimum": 0, "maximum": 1e9}),
    ("progress", {"type": ["number", "null"], "minimum": 0, "maximum": 100})])
schemas["ObjectiveProgress"] = closed(OrderedDict(list(ROLL.items()) + [
    ("indicators", {"type": "array", "maxItems": 100000, "items": ref("schemas", "IndicatorPoints")}),
    ("initiatives", {"type": "array", "maxItems": 100000, "items": ref("schemas", "InitiativeShare")}),
    ("updates", {"type": "array", "maxItems": 100000, "items": ref("schemas", "Update")})]),
    description="An objective's roll-up.",
    examples=[{"id": "reduce-crime-and-disorder", "title": "Reduce crime and disorder", "status": "on_track",
               "score": 1, "weight": 1, "progress": None,
               "indicators": [{"id": EX_IND, "status": "on_track", "weight": 1, "points": 1}],
               "initiatives": [], "updates": []}])
schemas["GoalProgress"] = closed(OrderedDict(list(ROLL.items()) + [
    ("objectives", {"type": "array", "maxItems": 100000, "items": ref("schemas", "ObjectiveProgress")})]),
    description="A goal's roll-up.",
    examples=[{"id": "quality", "title": "Quality of Life", "status": "on_track", "score": 1, "weight": 1,
               "progress": None, "objectives": schemas["ObjectiveProgress"]["examples"]}])
ex_method = {"id": "weighted-mean", "version": 1, "description": "Each indicator in force counts its status as "
             "points; an objective's score is their weighted mean.",
             "points": {"on_track": 1, "at_risk": 0.5, "off_track": 0}}
ex_progress = {"plan": PLAN_ID, "method": ex_method, "status": "on_track", "score": 1, "progress": None,
               "goals": schemas["GoalProgress"]["examples"]}
schemas["PlanProgress"] = closed(OrderedDict([
    ("plan", ref("schemas", "Slug")),
    ("method", {"type": "object", "description": "The roll-up method, published: its id and version, the points "
                "of each status, the thresholds from score to status and the weights.", "examples": [ex_method]}),
    ("status", ROLL["status"]), ("score", NUM_NULL), ("progress", ROLL["progress"]),
    ("goals", {"type": "array", "maxItems": 100000, "items": ref("schemas", "GoalProgress")})]),
    description="The roll-up of a plan: indicators and initiatives to objectives, to goals, to the plan.",
    examples=[ex_progress])
schemas["RowError"] = closed(OrderedDict([
    ("row", {"type": "integer", "minimum": 1, "maximum": 10000000, "description": "The record of the file (the "
             "header is 1).", "examples": [3]}),
    ("column", {"type": ["string", "null"], "maxLength": 20, "description": "The column, or null for the row.",
                "examples": ["value"]}),
    ("pointer", {"type": "string", "maxLength": 40, "pattern": "^/[0-9]+(/[a-z_0-9]+)?$", "examples": ["/3/value"]}),
    ("detail", {"type": "string", "minLength": 1, "maxLength": DETAIL_MAX_LEN,
                "examples": ["Must be a decimal number of at most 15 significant digits, such as -12.5."]})]),
    required=["row", "column", "detail"], description="One fault of a row of an imported file.",
    examples=[{"row": 3, "column": "value", "pointer": "/3/value",
               "detail": "Must be a decimal number of at most 15 significant digits, such as -12.5."}])
schemas["Problem"]["properties"]["errors"]["items"]["anyOf"].append(ref("schemas", "RowError"))
schemas["ImportResult"] = closed(OrderedDict([
    ("id", dict(ID_INT, description="The import (not on a dry run).")),
    ("dry_run", {"type": "boolean", "examples": [True]}),
    ("rows", {"type": "integer", "minimum": 0, "maximum": 50000, "examples": [2]}),
    ("sha256", {"type": "string", "maxLength": 64, "pattern": "^[0-9a-f]{64}$", "examples": [EX_SHA]}),
    ("valid", {"type": "boolean", "examples": [False]}),
    ("errors", {"type": "array", "maxItems": 1000, "items": ref("schemas", "RowError")})]),
    required=["dry_run", "rows", "sha256", "valid", "errors"],
    description="What an import did, or (dry run) would do: every fault of every row.",
    examples=[{"dry_run": True, "rows": 2, "sha256": EX_SHA, "valid": False,
               "errors": schemas["RowError"]["examples"]}])
schemas["PlanExport"] = closed(OrderedDict([
    ("schema", {"type": "string", "const": "/openapi.json#/components/schemas/PlanExport",
                "description": "Names this schema."}),
    ("as_of", {"description": "The `as_of` asked for, or null: now.",
               "oneOf": [ref("schemas", "Timestamp"), {"type": "null"}]}),
    ("plan", {"type": "object", "description": "The plan's own members, as `GET /v1/plans/{plan}` shows them."}),
    ("status_rules", {"type": "array", "maxItems": 1000, "items": ref("schemas", "StatusRule")}),
    ("progress", ref("schemas", "PlanProgress")),
    ("indicators", {"type": "array", "maxItems": 100000, "items": ref("schemas", "Indicator")}),
    ("initiatives", {"type": "array", "maxItems": 100000, "items": ref("schemas", "Initiative")})]),
    title="Civic Plan API: a plan's progress export",
    description="The JSON export of a plan's progress at a moment (`GET /v1/plans/{plan}/export`): this is its "
                "published JSON Schema (draft 2020-12), in this document at `#/components/schemas/PlanExport`.",
    examples=[{"schema": "/openapi.json#/components/schemas/PlanExport", "as_of": "2026-12-07T13:20:00Z",
               "plan": {"id": PLAN_ID}, "status_rules": [ex_rule], "progress": ex_progress,
               "indicators": [ex_indicator], "initiatives": [ex_initiative]}])

parameters["Indicator"] = {"name": "indicator", "in": "path", "required": True, "description": "Indicator id.",
                           "schema": ref("schemas", "Slug"), "example": EX_IND}
parameters["Initiative"] = {"name": "initiative", "in": "path", "required": True, "description": "Initiative id.",
                            "schema": ref("schemas", "Slug"), "example": EX_INI}
parameters["Rule"] = {"name": "rule", "in": "path", "required": True, "description": "Status rule id.",
                      "schema": ref("schemas", "Slug"), "example": "ratio"}
parameters["As-Of"] = {"name": "as_of", "in": "query", "required": False,
                       "description": "Show exactly what was public at this moment: an RFC 3339 date-time with a time "
                                      "zone, or a date (YYYY-MM-DD: the end of that day, UTC; today: now). In the "
                                      "future, or malformed: 400. Read from the database, never cached.",
                       "schema": {"type": "string", "maxLength": 35}, "example": "2026-06-30"}
parameters["Export-Format"] = {"name": "format", "in": "query", "required": False,
                               "description": "`json` (the default; schema `PlanExport`) or `stratml` (StratML Part "
                                              "2, ISO 17469-1, `PerformancePlanOrReport`). Anything else: 400.",
                               "schema": {"type": "string", "enum": ["json", "stratml"], "default": "json"},
                               "example": "stratml"}
parameters["Dry-Run"] = {"name": "dry_run", "in": "query", "required": False,
                         "description": "`true`: check every row and change nothing.",
                         "schema": {"type": "string", "enum": ["true", "false"], "default": "false"},
                         "example": "true"}
header("Cache-Control-Progress", "Cache-Control", {
    "description": "As the plan routes (`public, max-age=60`, or `private, no-cache` with a key); a read with "
                   "`as_of` comes from the database: `no-store`.", "required": True,
    "schema": {"type": "string", "enum": ["public, max-age=60", "private, no-cache", "no-store"],
               "examples": ["public, max-age=60"]}})
header("Location-Indicator", "Location", {"description": "The indicator's URL.", "required": True,
                                          "schema": {"type": "string", "format": "uri-reference", "maxLength": PATH_MAX_LEN,
                                                     "pattern": "^/v1/plans/[a-z0-9-]+/indicators/[a-z0-9-]+$",
                                                     "examples": [plan_path("indicators", EX_IND)]}})
header("Location-Initiative", "Location", {"description": "The initiative's URL.", "required": True,
                                           "schema": {"type": "string", "format": "uri-reference", "maxLength": PATH_MAX_LEN,
                                                      "pattern": "^/v1/plans/[a-z0-9-]+/initiatives/[a-z0-9-]+$",
                                                      "examples": [plan_path("initiatives", EX_INI)]}})
header("Location-Updated", "Location", {"description": "The initiative or objective updated.", "required": True,
                                        "schema": {"type": "string", "format": "uri-reference", "maxLength": PATH_MAX_LEN,
                                                   "pattern": "^/v1/plans/[a-z0-9-]+/(initiatives|objectives)/[a-z0-9-]+$",
                                                   "examples": [plan_path("initiatives", EX_INI)]}})
header("Location-Observations", "Location", {"description": "The plan's observations.", "required": True,
                                             "schema": {"type": "string", "format": "uri-reference", "maxLength": PATH_MAX_LEN,
                                                        "pattern": "^/v1/plans/[a-z0-9-]+/observations$",
                                                        "examples": [plan_path("observations")]}})
responses["ImportInvalid"] = problem_response(
    "Unprocessable: the file has faults (every fault of every row, by row and column); nothing was imported.",
    typed_problem(["invalid-body"], "A 422 `/problems/invalid-body` of an import: `errors` names each row and "
                  "column.", [problem_example("invalid-body", "The file has 1 fault(s); see errors (row, column). "
                                              "Nothing was imported.", plan_path("imports"),
                                              schemas["RowError"]["examples"])],
                  extra={"errors": {"items": ref("schemas", "RowError")}}, required=["errors"]),
    {"row": ("invalid-body", "The file has 1 fault(s); see errors (row, column). Nothing was imported.",
             plan_path("imports"), schemas["RowError"]["examples"])})
ERR["422i"] = ("422", "ImportInvalid")

AS_OF = (" With `as_of` it shows exactly what was public at that moment (nothing here is ever overwritten); "
         "without, it is served from memory with its ETag like the plan.")
prog_defaults = dict(tag="Progress", content_type="application/json", s503=True, cache="Cache-Control-Progress",
                     security=BEARER_OPTIONAL)

def append_ok(description, schema, examples, location):
    return ok(description, [f"Location-{location}", "Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS],
              json_media(schema, examples))

def append_op(op_id, summary, description, schema_in, ex_in, schema_out, ex_out, location, path_errs=()):
    return operation(
        "Progress", op_id, summary, WRITE_ORDER + " " + description + " " + FRESH, params("X-Request-Id"),
        OrderedDict([("201", append_ok("Created.", schema_out, ex_out, location))]
                    + list(errs("400b", "401", "403", "404", "405Post", "406", "415", "422", "500", "503").items())),
        security=BEARER, body=json_body(schema_in, ex_in, "The new record."))

def post_only(path, name, op):
    item = OrderedDict([("summary", op["summary"]), ("parameters", params("Plan", *name[1]))])
    item["post"] = op
    item["options"] = options_op("Progress", name[0], "Post")
    paths[path] = item

ind_items = route(
    "/v1/plans/{plan}/indicators", name="Indicators", get_id="listIndicators", summary="List a plan's indicators",
    description="The plan's indicators by id, each with its status and computed status, paginated. " + PLAN_READ +
                AS_OF + " With `as_of`, every indicator of that moment in one page (no `limit` or `cursor`).",
    schema=ref("schemas", "IndicatorCollection"), examples={"all": ex("All indicators", ex_ind_page)},
    path_params=("Plan",), query=("Limit", "Cursor", "As-Of"), collection=True, allow="ReadPost", **prog_defaults)
ind_items["post"] = operation(
    "Progress", "createIndicator", "Add an indicator",
    WRITE_ORDER + " Adds a measure under an objective of the plan; its first definition is version 1. " + FRESH,
    params("X-Request-Id"),
    OrderedDict([("201", write_ok("Created: the indicator.", "Indicator", {"new": ex("The new indicator",
                                  ex_indicator)}, "Indicator"))]
                + list(errs("400b", "401", "403", "404", "405ReadPost", "406", "415", "422", "500", "503").items())),
    security=BEARER, body=json_body("IndicatorCreate", {"new": ex("An example measure (not city data)",
                                                                  schemas["IndicatorCreate"]["examples"][0])},
                                    "The new indicator."))
ind_item = route(
    "/v1/plans/{plan}/indicators/{indicator}", name="Indicator", get_id="getIndicator", summary="Get an indicator",
    description="The indicator: its definition, every target and observation (superseded ones too, marked), its "
                "status, the computed assessment (rule and version, the exact target and observation used) and the "
                "override in force. " + PLAN_READ + AS_OF,
    schema=ref("schemas", "Indicator"), examples={"example": ex("An example measure (not city data)", ex_indicator)},
    path_params=("Plan", "Indicator"), query=("As-Of",), allow="ReadPatch", **prog_defaults)
ind_item["patch"] = operation(
    "Progress", "updateIndicator", "Change an indicator's definition",
    WRITE_ORDER + " Merges the members sent into the definition, as a new version (the old ones stay, for "
                  "`as_of`); `id` cannot change. " + FRESH,
    params("If-Match", "X-Request-Id"),
    OrderedDict([("200", write_ok("OK: the indicator.", "Indicator", {"example": ex("The indicator", ex_indicator)}))]
                + list(errs("400w", "401", "403", "404", "405ReadPatch", "406", "412", "415", "422", "500",
                            "503").items())),
    security=BEARER, body=json_body("IndicatorPatch", {"owner": ex("An owner", {"owner_department": "Police Department"})},
                                    "The members to change."))
post_only("/v1/plans/{plan}/indicators/{indicator}/targets", ("Targets", ("Indicator",)), append_op(
    "addTarget", "Add a target", "Adds a target for a period; `supersedes` names a target in force it replaces "
    "(both stay visible). The answer is the target.", "TargetCreate",
    {"2025": ex("A target for 2025", schemas["TargetCreate"]["examples"][0])}, "Target",
    {"2025": ex("The target", ex_target)}, "Indicator"))
post_only("/v1/plans/{plan}/indicators/{indicator}/observations", ("IndicatorObservations", ("Indicator",)), append_op(
    "addObservation", "Record an observation or a correction",
    "Records an observation (provenance: `api`, the key, now). A correction is a new observation that supersedes "
    "one in force; an observation is superseded at most once. There is no PUT and no DELETE.",
    "ObservationCreate", {"correction": ex("A correction", schemas["ObservationCreate"]["examples"][0])},
    "Observation", {"correction": ex("The correction", ex_obs)}, "Indicator"))
post_only("/v1/plans/{plan}/indicators/{indicator}/overrides", ("Overrides", ("Indicator",)), append_op(
    "overrideStatus", "Override an indicator's status",
    "Sets the indicator's status with a reason (the computed status stays visible beside it), or lifts the "
    "override in force (`status: null`, with a reason). The answer is the indicator.",
    "OverrideCreate", {"override": ex("An override", schemas["OverrideCreate"]["examples"][0])},
    "Indicator", {"example": ex("The indicator", ex_indicator)}, "Indicator"))
ini_items = route(
    "/v1/plans/{plan}/initiatives", name="Initiatives", get_id="listInitiatives", summary="List a plan's initiatives",
    description="The plan's initiatives by id, each with its progress, paginated. " + PLAN_READ + AS_OF +
                " With `as_of`, every initiative of that moment in one page.",
    schema=ref("schemas", "InitiativeCollection"),
    examples={"all": ex("All initiatives", schemas["InitiativeCollection"]["examples"][0])},
    path_params=("Plan",), query=("Limit", "Cursor", "As-Of"), collection=True, allow="ReadPost", **prog_defaults)
ini_items["post"] = operation(
    "Progress", "createInitiative", "Add an initiative",
    WRITE_ORDER + " Adds one of the council's actions (its id is made from the title unless given). " + FRESH,
    params("X-Request-Id"),
    OrderedDict([("201", write_ok("Created: the initiative.", "Initiative", {"new": ex("The new initiative",
                                  ex_initiative)}, "Initiative"))]
                + list(errs("400b", "401", "403", "404", "405ReadPost", "406", "415", "422", "500", "503").items())),
    security=BEARER, body=json_body("InitiativeCreate", {"new": ex("An example initiative (not city data)",
                                                                   schemas["InitiativeCreate"]["examples"][0])},
                                    "The new initiative."))
ini_item = route(
    "/v1/plans/{plan}/initiatives/{initiative}", name="Initiative", get_id="getInitiative", summary="Get an initiative",
    description="The initiative with its milestones, narrative updates and progress (by its `progress_method`). "
                + PLAN_READ + AS_OF,
    schema=ref("schemas", "Initiative"), examples={"example": ex("An example initiative", ex_initiative)},
    path_params=("Plan", "Initiative"), query=("As-Of",), allow="ReadPatch", **prog_defaults)
ini_item["patch"] = operation(
    "Progress", "updateInitiative", "Change an initiative",
    WRITE_ORDER + " Merges the members sent, as a new version (for `as_of`); a milestone is done by giving it "
                  "`completed_on`. " + FRESH,
    params("If-Match", "X-Request-Id"),
    OrderedDict([("200", write_ok("OK: the initiative.", "Initiative", {"example": ex("The initiative", ex_initiative)}))]
                + list(errs("400w", "401", "403", "404", "405ReadPatch", "406", "412", "415", "422", "500",
                            "503").items())),
    security=BEARER, body=json_body("InitiativePatch", {"done": ex("A milestone done",
                                                                  schemas["InitiativePatch"]["examples"][0])},
                                    "The members to change."))
for _path, _name, _param, _what in (
        ("/v1/plans/{plan}/initiatives/{initiative}/updates", "InitiativeUpdates", "Initiative", "an initiative"),
        ("/v1/plans/{plan}/objectives/{objective}/updates", "ObjectiveUpdates", "Objective", "an objective")):
    post_only(_path, (_name, (_param,)), append_op(
        "add" + _name[:-1], f"Add a narrative update to {_what}",
        "Appends a dated update (reported status, progress %, text, author); updates are never changed.",
        "UpdateCreate", {"update": ex("An update", schemas["UpdateCreate"]["examples"][0])}, "Update",
        {"update": ex("The update", ex_update)}, "Updated"))
route("/v1/plans/{plan}/progress", name="PlanProgress", get_id="getPlanProgress", summary="Get a plan's roll-up",
      description="Status and progress rolled up from indicators and initiatives to objectives, goals and the plan, "
                  "with the method, every weight and every score used. " + PLAN_READ + AS_OF,
      schema=ref("schemas", "PlanProgress"), examples={"example": ex("With one example measure", ex_progress)},
      path_params=("Plan",), query=("As-Of",), **prog_defaults)
route("/v1/status-rules", name="StatusRules", get_id="listStatusRules", summary="List the status rules",
      description="The published status rules, each at its newest version and with every version." + AS_OF,
      schema=ref("schemas", "StatusRuleCollection"), examples={"all": ex("The rules", page([ex_rule]))},
      query=("Limit", "Cursor", "As-Of"), collection=True, tag="Progress", content_type="application/json",
      s503=True, cache="Cache-Control-Progress")
route("/v1/status-rules/{rule}", name="StatusRule", get_id="getStatusRule", summary="Get a status rule",
      description="A status rule: its newest version (with `as_of`, the newest published by then) and every "
                  "version. Assessments name the rule and version they used." + AS_OF,
      schema=ref("schemas", "StatusRule"), examples={"ratio": ex("The ratio rule", ex_rule)},
      path_params=("Rule",), query=("As-Of",), tag="Progress", content_type="application/json", s503=True,
      cache="Cache-Control-Progress")
CSV_EXAMPLE = ("indicator,period_start,period_end,value,quality,source_uri,note,supersedes\r\n"
               f"{EX_IND},2025-01-01,2025-12-31,8.1,final,https://data.example.org/cad-2025.csv,,27\r\n")
route("/v1/plans/{plan}/observations", name="Observations", get_id="listObservations",
      summary="The observations in force, as CSV",
      description="Every observation in force (not corrected) of the plan's indicators, as CSV (RFC 4180, CRLF, "
                  "UTF-8), by indicator and period; the columns are those the import takes. " + PLAN_READ + AS_OF,
      content_type="text/csv", schema={"type": "string", "description": "CSV, UTF-8 (`text/csv; charset=utf-8`)."},
      examples={"csv": ex("One observation", CSV_EXAMPLE)}, path_params=("Plan",), query=("As-Of",),
      tag="Progress", s503=True, cache="Cache-Control-Plan", security=BEARER_OPTIONAL)
STRATML_EXAMPLE = ('<?xml version="1.0" encoding="UTF-8"?>\n<PerformancePlanOrReport '
                   'xmlns="urn:ISO:std:iso:17469:tech:xsd:PerformancePlanOrReport" Type="Performance_Report">'
                   '<Name>2021 Strategic Plan Update</Name>...</PerformancePlanOrReport>')
export_item = route(
    "/v1/plans/{plan}/export", name="PlanExport", get_id="exportPlan", summary="Export a plan with its progress",
    description="The plan with its indicators, targets, observations, statuses, initiatives and roll-up: as JSON "
                "(`format=json`, the default; its JSON Schema is `PlanExport`), or as StratML Part 2 "
                "(`format=stratml`, ISO 17469-1 `PerformancePlanOrReport`, `application/xml`): indicators are "
                "`PerformanceIndicator`s under their objective, targets in force `TargetResult`s, final and revised "
                "observations in force `ActualResult`s; direction and status are in `OtherInformation`. Read from "
                "the database. " + PLAN_READ,
    content_type="application/json", schema=ref("schemas", "PlanExport"),
    examples={"json": ex("As JSON", schemas["PlanExport"]["examples"][0])},
    path_params=("Plan",), query=("Export-Format", "As-Of"), tag="Progress", s503=True, cache="Cache-Control-Plan",
    security=BEARER_OPTIONAL)
export_item["get"]["responses"]["200"]["content"]["application/xml"] = {
    "schema": {"type": "string", "description": "StratML Part 2 XML (PerformancePlanOrReport.xsd)."},
    "examples": {"stratml": ex("As StratML", STRATML_EXAMPLE)}}
imports_item = OrderedDict([("summary", "Import observations from CSV"), ("parameters", params("Plan"))])
imports_item["post"] = operation(
    "Progress", "importObservations", "Import observations from CSV",
    WRITE_ORDER + " The body is a CSV file (`Content-Type: text/csv`, at most 1 MiB) in the format of `GET "
    "/v1/plans/{plan}/observations`: the header first, then one observation a record (`supersedes` names an "
    "observation in force that the row corrects). Every fault of every row is answered, by row (the header is 1) "
    "and column. With `dry_run=true` nothing changes (200). Otherwise every row is stored in one transaction (201), "
    "or, at any fault, none (422). Each observation's provenance records the import, the file's SHA-256 and its "
    "row. " + FRESH,
    params("Dry-Run", "X-Request-Id"),
    OrderedDict([("200", ok("OK: the dry run's findings; nothing changed.",
                            ["Cache-Control-No-Store", "X-Request-Id", "Vary", *CORS],
                            json_media("ImportResult", {"dry": ex("A dry run with a fault",
                                                                  schemas["ImportResult"]["examples"][0])}))),
                 ("201", ok("Created: every row was stored.", ["Location-Observations", "Cache-Control-No-Store",
                                                               "X-Request-Id", "Vary", *CORS],
                            json_media("ImportResult", {"done": ex("An import", {
                                "id": 1, "dry_run": False, "rows": 1, "sha256": EX_SHA, "valid": True,
                                "errors": []})})))]
                + list(errs("400q", "401", "403", "404", "405Post", "406", "415", "422i", "500", "503").items())),
    security=BEARER,
    body=OrderedDict([("description", "The CSV file."), ("required", True),
                      ("content", {"text/csv": {"schema": {"type": "string", "maxLength": 1048576},
                                                "examples": {"csv": ex("One correction", CSV_EXAMPLE)}}})]))
imports_item["options"] = options_op("Progress", "Imports", "Post")
paths["/v1/plans/{plan}/imports"] = imports_item

# ----------------------------------------------------------------- document
description = f"""JSON API over the strategic plan of the City of Independence, Missouri:
**Independence for All**, the 2021 Strategic Plan Update (4 goals, 14 objectives, the City
Council's 2021 priorities) and the community surveys about it. Anyone reads the plan, the
surveys and their public tallies and the plans' history; partners holding an API key submit
survey responses; admins edit the plans (draft plans are theirs alone), manage keys and surveys,
read and void responses, and read the audit log of every change.

## Conventions
- **Media types**: `application/json` (UTF-8); errors are RFC 9457 problem documents,
  `application/problem+json`, described by the `Problem` schema. An `Accept` header that excludes
  JSON gets 406 (the responses collection also offers `text/csv`). Request bodies are
  `Content-Type: application/json` (else 415) and at most 1 MiB; a write without a
  `Content-Length` is refused with 411 and a larger body with 413, both by the HTTP server itself,
  with an empty body.
- **Connections**: HTTP/1.1 keep-alive (an idle connection is closed after 30 s) and pipelining
  (answered in order). A request whose framing is ambiguous (RFC 9112): `Content-Length` with
  `Transfer-Encoding`, `Content-Length` fields that differ, or a body or `Transfer-Encoding` on
  GET, HEAD, DELETE or OPTIONS, gets 400 `/problems/invalid-header` from the server before any
  operation sees it, and the connection is closed.
- **Authentication**: `Authorization: Bearer <key>`, where a key is `cpk_` and 43 base64url
  characters (see `bearerAuth`). Without one, a protected operation answers 401
  `/problems/unauthorized` with `WWW-Authenticate: Bearer realm="civicplan"`; a malformed, unknown or
  revoked key gets 401 with `error="invalid_token"`; a valid key without the right gets 403
  `/problems/forbidden`. **Admin** keys do everything; **partner** keys submit responses (to any
  survey, or only to the surveys the key is limited to and whose `partners` list it) and read their
  own. The first admin key is made with `civic-admin create-key` (`make admin-key`). The plan
  routes (`/v1/plans` and below) take a key optionally: an admin key also shows draft plans (to
  anyone else a draft plan and everything under it is 404), and an `Authorization` header that is
  not a live key gets 401.
- **Ids** are slugs (`^[a-z0-9]+(-[a-z0-9]+)*$`, at most 100 characters). The plan id `current`
  names the newest adopted plan. Responses have UUIDs, keys `key_` and 16 hex digits.
- **Caching**: the public read routes send a strong `ETag` and `Cache-Control` (`public, max-age=60`;
  `no-store` on `/healthz` and `/readyz`; `private, no-cache` on a plan route read with a key, and
  plan routes send `Vary: Authorization`); `If-None-Match` (one tag, a list, `W/` tags compared weakly,
  or `*`) that matches gives 304 with an empty body. Tallies send an ETag that changes exactly when
  the numbers do, with `Cache-Control: no-cache` (`private, no-cache` when not public): public tallies
  are served from each worker's memory, which refreshes them in the background while they are read,
  so they are at most 250 ms and one query old (never more than 10 seconds while the database is slow
  to answer). Keys, responses (pages and
  single ones), the audit log, a plan's history and every write answer are never cached
  (`private, no-store` or `no-store`), and the reads among them carry no ETag. The writes of plans,
  goals, objectives, a year's priorities and surveys send the ETag the next GET of the item will
  show (for the next If-Match). Problems and OPTIONS answers are `no-store`.
- **HEAD** works on every GET route: same headers, no body.
- **Pagination**: collections take `limit` (1..200, default 50) and `cursor` (opaque, from the
  previous page) plus their own filters. Unknown, repeated or invalid parameters and bad cursors
  get 400 `/problems/invalid-parameter`. The body is `{{"items", "limit", "next_cursor", "next"}}`;
  when there is a next page, `Link: <next>; rel="next"` is sent too.
- **Writes**: bodies are checked whole; 422 `/problems/invalid-body` lists every fault in `errors`,
  each with a JSON Pointer (`""` for the whole body). Unknown members are faults, server-owned ones
  included. A value the database could not store is a fault too: an integer member is a JSON
  integer (`1.0`, `1e0` or `-0.0` are refused), an id or other text member a JSON string (not `true`
  or `12345`), a date-time a real instant (no 30 February, hour 24 or second 60; a response's
  `submitted_at` may have any offset up to ±23:59, a survey's window one up to ±15:59), a time
  zone an IANA name (not `localtime`, `Factory` or `posixrules`). A write is checked in this order: what the request itself carries (a missing or
  malformed key 401, a malformed If-Match 400 `/problems/invalid-header`, the body's media type
  and syntax 415 and 400), then in the database the key (401 unknown or revoked, 403), the path
  (404), If-Match (412), the body's content (422) and conflicts (409); a refused write changes
  nothing and records nothing. Successful writes answer with the item as GET
  will show it (201 with `Location` when created); a DELETE answers 204.
- **Preconditions**: PATCH, PUT and DELETE of plans, goals, objectives, a year's priorities and
  surveys honour `If-Match`: `*` or a list of strong entity tags, compared with the ETag GET gives
  for the item. When none matches (weak tags never do; nothing matches an item that does not exist),
  412 `/problems/precondition-failed` with the current ETag in `etag`, and nothing changes. A
  malformed If-Match is 400 `/problems/invalid-header`. `If-None-Match: *` on a PUT of a year's
  priorities creates only. Writes without If-Match are not conditional.
- **Freshness**: the plan routes are served from memory. After a write commits, the worker that
  made it serves the change on its next request, and every other worker within 1 second. The
  audit log and the history are read from the database.
- **History**: every change to plans, goals, objectives, priorities, surveys and keys (created,
  revoked), and every voided response, is recorded in the same transaction as the change, so a
  failed write records nothing; changes made with plain SQL are recorded too, row by row, with the
  database role as the actor. Admins read all of it at `GET /v1/audit`; anyone reads a plan's
  part, without actors and request ids, at `GET /v1/plans/{{plan}}/history`.
- **Exactly once**: a response is stored once per API key, survey and `external_id`; resending the
  same body gives 200 and the stored response, other answers 409 `/problems/duplicate-response`.
  The same body is the same members and values in any order; a `null` `submitted_at`, `channel` or
  answer is the same as leaving it out.
  `Idempotency-Key` (1..255 characters, kept 24 hours per API key) on a single submission replays
  the first answer for the same body, gives 422 `/problems/idempotency-key-reused` for another body
  and 409 `/problems/idempotency-key-in-use` while the first is still running.
- **Headers**: every response carries `X-Content-Type-Options: nosniff`; the docs page a
  `Content-Security-Policy`. A request that sends `Authorization`, `Host`, `Content-Type`,
  `Idempotency-Key`, `If-Match` or `If-None-Match` more than once, or a NUL byte in a header's
  value, gets 400 `/problems/invalid-header`, whose `errors` names the header (a NUL byte in a
  header's name or in the request line gets the HTTP server's own 400, with an empty body).
- **Request ids**: `X-Request-Id` is echoed when it is 1..128 characters of `[A-Za-z0-9._:-]`,
  otherwise replaced by a generated 32-hex-digit id; problems repeat it as `request_id`.
- **Methods**: each path answers the methods its OPTIONS lists in `Allow`; other methods get 405
  with `Allow`. Unknown paths get 404.
- **CORS**: every response has `Vary: Origin` (and `Authorization`). Origins listed in `CIVIC_CORS_ORIGINS` get
  `Access-Control-Allow-Origin` and `Access-Control-Expose-Headers`; their preflights (OPTIONS)
  for one of the path's methods get `Access-Control-Allow-Methods`, `-Allow-Headers` and `-Max-Age: 600`.

## Problem types
| type | status | title | when |
|---|---|---|---|
{problem_table}
"""

# ----------------------------------------------------------------- what every operation may answer
# Every response carries X-Content-Type-Options (the HTTP server's own too); the docs page its
# Content-Security-Policy: the one its <meta> states, and frame-ancestors (src/docs.c).
header("X-Content-Type-Options", "X-Content-Type-Options", {
    "description": "On every response: browsers must not take the body for another media type than the one sent.",
    "required": True, "schema": {"type": "string", "const": "nosniff", "examples": ["nosniff"]}})
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "index.html"),
          encoding="utf-8") as _f:
    DOCS_CSP = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', _f.read()).group(1) + \
        "; frame-ancestors 'none'"
header("Content-Security-Policy-Docs", "Content-Security-Policy", {
    "description": "The page loads its own assets only (its inline script by hash), connects to this server only "
                   "(`connect-src 'self'`) and may not be framed (`frame-ancestors 'none'`).",
    "required": True, "schema": {"type": "string", "const": DOCS_CSP, "examples": [DOCS_CSP]}})

def _operations():
    for item in paths.values():
        for method, op in item.items():
            if isinstance(op, dict) and "responses" in op:
                yield method, op

for _r in responses.values():
    _r.setdefault("headers", OrderedDict())["X-Content-Type-Options"] = ref("headers", "X-Content-Type-Options")
for _method, _op in _operations():
    for _r in _op["responses"].values():
        if "$ref" not in _r:
            _r.setdefault("headers", OrderedDict())["X-Content-Type-Options"] = ref("headers", "X-Content-Type-Options")
    # A repeated header (or a NUL byte in one) is a 400 whatever the operation.
    if "400" not in _op["responses"]:
        _op["responses"]["400"] = ref("responses", "InvalidHeader")
        _op["responses"] = OrderedDict(sorted(_op["responses"].items()))
header("Content-Security-Policy-Dashboard", "Content-Security-Policy", {
    "description": "The page loads its own script and stylesheet only, connects to this server only, and may be "
                   "framed by this server and by the origins of `CIVIC_CORS_ORIGINS` (`frame-ancestors`).",
    "required": True, "schema": {"type": "string", "pattern": "^default-src 'none'; .*frame-ancestors 'self'",
                                 "maxLength": 2048,
                                 "examples": ["default-src 'none'; script-src 'self'; style-src 'self'; img-src "
                                              "'self' data:; connect-src 'self'; base-uri 'none'; form-action "
                                              "'none'; frame-ancestors 'self' https://www.independencemo.gov"]}})
for _method in ("get", "head"):
    paths["/docs"][_method]["responses"]["200"]["headers"]["Content-Security-Policy"] = \
        ref("headers", "Content-Security-Policy-Docs")
    paths["/dashboard"][_method]["responses"]["200"]["headers"]["Content-Security-Policy"] = \
        ref("headers", "Content-Security-Policy-Dashboard")


# ----------------------------------------------------------------- rate limits
RATE_LIMITS_TEXT = """
## Rate limits
Every request but OPTIONS counts against a quota, per API key (a live key) or else per client address, in
one of three policies: `public` for the cached public reads (GET and HEAD of plans, goals, objectives,
priorities, progress as it stands now (without `as_of`), the status rules, surveys, tallies, the docs and
the health checks; generous, so that dashboards are never
refused), `key` (a key's own `rate_limit`, set by an admin, else the default for keys) and `address`. Each
answer names its policy and what is left in `RateLimit-Policy` and `RateLimit`; over the quota, a 429
`/problems/too-many-requests` with `Retry-After`.
"""


def add_rate_limits():
    """Rate limits (src/limits.c): every operation but OPTIONS is counted, so it may answer 429 (with
    Retry-After), and its answers carry RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers,
    Structured Field Items). They are optional on the shared responses: the answers given before the limiter
    (405, 406, a repeated header's 400) do not carry them."""
    policy = "^\"(key|address|public)\";q=[0-9]{1,8};w=[0-9]{1,5}$"
    header("RateLimit-Policy", "RateLimit-Policy", {
        "description": "The quota policy the request was counted against (draft-ietf-httpapi-ratelimit-headers): "
                       "`public` for the cached public reads (GET and HEAD of plans, goals, objectives, priorities, "
                       "progress as it stands now (without `as_of`), the status rules, surveys, tallies, the docs "
                       "and the health checks), else `key` (a live API key: its own "
                       "`rate_limit` or the default for keys) or `address` (no live key). `q` requests per `w` "
                       "seconds.",
        "schema": {"type": "string", "maxLength": 40, "pattern": policy, "examples": ["\"key\";q=600;w=60"]}})
    header("RateLimit", "RateLimit", {
        "description": "What is left of that quota: `r` requests now, and `t` seconds until the whole quota is back "
                       "(on a 429: until the next request is allowed, as Retry-After). The limit is a GCRA: one "
                       "request comes back every w/q seconds.",
        "schema": {"type": "string", "maxLength": 40,
                   "pattern": "^\"(key|address|public)\";r=[0-9]{1,8};t=[0-9]{1,5}$",
                   "examples": ["\"key\";r=42;t=17"]}})
    header("Retry-After-RateLimit", "Retry-After", {
        "description": "Seconds until the next request is allowed (at least 1).", "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 86400, "examples": [12]}})
    responses["TooManyRequests"] = problem_response(
        "Too Many Requests: over the rate limit. Retry after the Retry-After delay.",
        typed_problem(["too-many-requests"], "A 429 `/problems/too-many-requests`.", [problem_example(
            "too-many-requests", "Over the rate limit: policy 'key' allows 600 requests per 60 seconds to this "
            "API key; retry in 1 s.", "/v1/keys")]),
        OrderedDict([("key", ("too-many-requests", "Over the rate limit: policy 'key' allows 600 requests per 60 "
                              "seconds to this API key; retry in 1 s.", "/v1/keys", None, {}, "A key over its quota")),
                     ("address", ("too-many-requests", "Over the rate limit: policy 'address' allows 120 requests "
                                  "per 60 seconds to this address; retry in 1 s.", "/v1/keys", None, {},
                                  "An address over its quota"))]),
        extra_headers=("Retry-After-RateLimit",))
    responses["TooManyRequests"]["headers"]["X-Content-Type-Options"] = ref("headers", "X-Content-Type-Options")
    counted = ("RateLimit-Policy", "RateLimit")
    for r in responses.values():
        r.setdefault("headers", OrderedDict()).update(hdrs(*counted))
    for method, op in _operations():
        if method == "options":
            continue
        for r in op["responses"].values():
            if "$ref" not in r:
                r.setdefault("headers", OrderedDict()).update(hdrs(*counted))
        op["responses"]["429"] = ref("responses", "TooManyRequests")
        op["responses"] = OrderedDict(sorted(op["responses"].items()))


add_rate_limits()
description += RATE_LIMITS_TEXT

# ----------------------------------------------------------------- integers
# Every integer states its range, and from it its format (int32 or int64): the generator stops on
# one without both bounds, so a new member cannot leave them out.
def integer_formats(node, where="#"):
    if isinstance(node, dict):
        t = node.get("type")
        if t == "integer" or (isinstance(t, list) and "integer" in t):
            if "minimum" not in node or "maximum" not in node:
                sys.exit("gen-openapi: the integer at %s needs a minimum and a maximum" % where)
            node["format"] = "int32" if -2**31 <= node["minimum"] and node["maximum"] <= INT32_MAX else "int64"
        for k, v in node.items():
            if k not in ("examples", "example"):
                integer_formats(v, where + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            integer_formats(v, "%s/%d" % (where, i))

doc = OrderedDict()
doc["openapi"] = "3.1.0"
doc["info"] = OrderedDict([
    ("title", "Civic Plan API"), ("version", API_VERSION),
    ("summary", "The City of Independence, Missouri strategic plan and its community surveys as a JSON API."),
    ("description", description),
    ("license", OrderedDict([("name", "MIT"), ("identifier", "MIT")])),
])

# Relative: the docs page (and any client reading the document from the service) calls the
# service at whatever address it was fetched from.
# x-internal: false, the API is public (its writes need a key); the description names the
# environments, as the OWASP ruleset asks (owasp:api9:2023-inventory-*).
doc["servers"] = [OrderedDict([("url", "/"), ("description", "This service, in whichever environment it runs "
                                              "(production, staging or local): the address this document was "
                                              "fetched from"), ("x-internal", False)])]
doc["security"] = []
doc["tags"] = [{"name": k, "description": v} for k, v in TAGS.items()]
doc["paths"] = paths
security_schemes = OrderedDict([("bearerAuth", OrderedDict([
    ("type", "http"), ("scheme", "bearer"), ("bearerFormat", "cpk_ and 43 base64url characters"),
    ("description", "An API key made by an admin (`POST /v1/keys`) or by `civic-admin create-key`, sent as "
                    "`Authorization: Bearer cpk_...`. The service stores only its SHA-256; a revoked key stops "
                    "working at once."),
])), ("metricsToken", OrderedDict([
    ("type", "http"), ("scheme", "bearer"),
    ("description", "The scrape token of `GET /metrics`: the value of `CIVIC_METRICS_TOKEN` in the service's "
                    "environment, sent as `Authorization: Bearer <token>`. It opens `/metrics` only, and a scrape "
                    "with it is not rate limited."),
]))])
doc["components"] = OrderedDict([("schemas", schemas), ("responses", responses),
                                 ("parameters", parameters), ("headers", headers),
                                 ("securitySchemes", security_schemes)])

integer_formats(doc)

with open(OUT, "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=2, ensure_ascii=False)
    f.write("\n")
print("wrote", OUT)

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
GOALS = [
    ("Customer-Focused", "Improve customer service and communication",
     ["Improve customer experience and service",
      "Communicate more effectively internally and externally"]),
    ("Financially Sustainable", "Ensure City finances are stable and sustainable",
     ["Control long-term costs",
      "Increase efficient use of financial and human resources",
      "Improve long-range financial planning and decision-making"]),
    ("Economy", "Increase economic prosperity of the community",
     ["Attract and retain quality employers", "Grow business and industry"]),
    ("Quality", "Achieve livability, choice, access, health and safety through a quality built environment",
     ["Reduce blight", "Improve visual appearance", "Improve public infrastructure and facilities",
      "Reduce crime and disorder", "Increase perception of safety", "Enhance public health",
      "Stabilize and revitalize neighborhoods"]),
]
goal_docs = []
objective_docs = []
pos = 0
for gpos, (gtitle, statement, objs) in enumerate(GOALS, 1):
    gid = slugify(gtitle)
    olist = []
    for otitle in objs:
        pos += 1
        o = OrderedDict([("id", slugify(otitle)), ("plan", PLAN_ID), ("goal", gid),
                         ("position", pos), ("title", otitle)])
        olist.append(o)
        objective_docs.append(o)
    goal_docs.append(OrderedDict([("id", gid), ("plan", PLAN_ID), ("position", gpos),
                                  ("title", gtitle), ("statement", statement),
                                  ("objectives", olist)]))
assert pos == 14
obj_by_title = {o["title"]: o for o in objective_docs}
goal_by_id = {g["id"]: g for g in goal_docs}
PRIORITY_TITLES = ["Reduce crime and disorder", "Enhance public health", "Reduce blight",
                   "Stabilize and revitalize neighborhoods",
                   "Communicate more effectively internally and externally"]
priority_docs = []
for rank, t in enumerate(PRIORITY_TITLES, 1):
    o = obj_by_title[t]
    g = goal_by_id[o["goal"]]
    priority_docs.append(OrderedDict([
        ("year", 2021), ("rank", rank),
        ("objective", OrderedDict([("id", o["id"]), ("title", o["title"])])),
        ("goal", OrderedDict([("id", g["id"]), ("title", g["title"])])),
        ("decided_on", "2021-01-21"), ("decided_by", "City Council")]))
assert priority_docs[0]["objective"]["id"] == "reduce-crime-and-disorder"

plan_summary = OrderedDict([
    ("id", PLAN_ID), ("city", "Independence, Missouri"), ("name", "Independence for All"),
    ("title", "2021 Strategic Plan Update"), ("status", "adopted"), ("adopted_on", "2017-02-06"),
    ("period", OrderedDict([("start", 2017), ("end", 2021)])),
    ("update_period", OrderedDict([("start", 2021), ("end", 2022)]))])
plan_doc = OrderedDict(plan_summary)
plan_doc["purpose_statement"] = ("Our quality neighborhoods, 21st century jobs, growing economy, safe, "
    "family-friendly community, and cultural diversity makes Independence, Missouri a nationally "
    "recognized city with a unique history and sense of place.")
plan_doc["mission"] = "Transforming our community through engagement, innovation, and sustainable services."
plan_doc["goals"] = goal_docs
plan_doc["priorities"] = [OrderedDict([("year", 2021), ("decided_on", "2021-01-21"),
                                       ("decided_by", "City Council"), ("items", priority_docs)])]

survey_summary = OrderedDict([
    ("id", "community-survey-2020-21"), ("plan", PLAN_ID), ("title", "2020-21 Community Survey"),
    ("description", "Community members watched a video about the strategic plan updates, then "
                    "answered two questions. The City Council reviewed the input on 2021-01-21 and "
                    "set the 2021 top priorities."),
    ("opens_at", "2020-11-02T06:00:00Z"), ("closes_at", "2021-01-16T06:00:00Z"),
    ("timezone", "America/Chicago"), ("status", "closed"), ("results_visibility", "after_close")])
survey_doc = OrderedDict(survey_summary)
survey_doc["questions"] = [
    OrderedDict([("id", "right-plan"), ("position", 1),
                 ("prompt", "Is this the right plan to improve Independence for All?"),
                 ("type", "agreement"), ("required", True),
                 ("options", ["strongly_disagree", "disagree", "neutral", "agree", "strongly_agree"])]),
    OrderedDict([("id", "top-priorities"), ("position", 2),
                 ("prompt", "What are your top three community priorities for 2020-2021?"),
                 ("type", "objectives"), ("required", True), ("min", 1), ("max", 3)]),
]

def page(items, limit=50, next_cursor=None, next_=None):
    return OrderedDict([("items", items), ("limit", limit), ("next_cursor", next_cursor), ("next", next_)])

GOALS_CURSOR = "cG9zaXRpb249Mg"
OBJ_CURSOR = "cG9zaXRpb249NQ"

# ----------------------------------------------------------------- problems
PROBLEMS = OrderedDict([
    ("invalid-parameter", (400, "Invalid Parameter",
        "A query parameter is unknown, repeated, malformed or out of range (this includes a `cursor` "
        "that was not returned by the previous page, and a `goal` filter naming no goal of the plan). "
        "The `errors` member lists each offending parameter.")),
    ("not-found", (404, "Not Found",
        "No route matches the path, or the plan, goal, objective or survey id in the path does not exist.")),
    ("method-not-allowed", (405, "Method Not Allowed",
        "The path is served but not for this method (POST, PUT, PATCH, DELETE, ...). "
        "The `Allow` header lists the methods that are.")),
    ("not-acceptable", (406, "Not Acceptable",
        "The `Accept` header excludes every media type the route can produce (for the JSON routes: "
        "`application/json`).")),
    ("internal-error", (500, "Internal Server Error", "An unexpected failure inside the service.")),
    ("service-unavailable", (503, "Service Unavailable",
        "The database is unreachable (`/readyz`), or the plan data has never been loaded (plan and "
        "survey routes). Sent with `Retry-After: 1`.")),
])

def problem_example(slug, detail, instance, errors=None):
    status, title, _ = PROBLEMS[slug]
    d = OrderedDict([("type", f"/problems/{slug}"), ("title", title), ("status", status),
                     ("detail", detail), ("instance", instance), ("request_id", RID)])
    if errors is not None:
        d["errors"] = errors
    return d

problem_table = "\n".join(
    f"| `/problems/{slug}` | {st} | {title} | {desc} |" for slug, (st, title, desc) in PROBLEMS.items())

# ----------------------------------------------------------------- schemas
SLUG_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$"
RID_PATTERN = "^[A-Za-z0-9._:-]{1,128}$"

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

def collection(item_schema, desc, example):
    return closed(OrderedDict([
        ("items", {"type": "array", "description": "The items of this page, in the collection's order.",
                   "items": ref("schemas", item_schema)}),
        ("limit", {"type": "integer", "minimum": 1, "maximum": 200,
                   "description": "The page size that was applied (the `limit` parameter or its default, 50).",
                   "examples": [50]}),
        ("next_cursor", {"type": ["string", "null"], "minLength": 1,
                         "description": "Opaque cursor for the next page (pass it back as `cursor`), or null on the last page.",
                         "examples": [GOALS_CURSOR]}),
        ("next", {"type": ["string", "null"], "format": "uri-reference",
                  "description": "Path and query of the next page (the same URL as the `Link: rel=\"next\"` header), or null on the last page.",
                  "examples": [f"/v1/plans/{PLAN_ID}/goals?limit=2&cursor={GOALS_CURSOR}"]}),
    ]), description=desc, examples=[example])

schemas = OrderedDict()
schemas["Slug"] = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": SLUG_PATTERN,
                   "description": "A resource id: lowercase letters and digits in dash-separated words, at most 100 characters.",
                   "examples": [PLAN_ID]}
schemas["Date"] = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                   "description": "A calendar date (RFC 3339 full-date).", "examples": ["2021-01-21"]}
schemas["Year"] = {"type": "integer", "minimum": 1000, "maximum": 9999,
                   "description": "A calendar year.", "examples": [2021]}
schemas["YearRange"] = closed(OrderedDict([
    ("start", ref("schemas", "Year")), ("end", ref("schemas", "Year"))]),
    description="An inclusive range of calendar years.", examples=[{"start": 2017, "end": 2021}])
schemas["GoalRef"] = closed(OrderedDict([
    ("id", ref("schemas", "Slug")), ("title", {"type": "string", "minLength": 1, "examples": ["Quality"]})]),
    description="A goal named by id and title.", examples=[{"id": "quality", "title": "Quality"}])
schemas["ObjectiveRef"] = closed(OrderedDict([
    ("id", ref("schemas", "Slug")),
    ("title", {"type": "string", "minLength": 1, "examples": ["Reduce crime and disorder"]})]),
    description="An objective named by id and title.",
    examples=[{"id": "reduce-crime-and-disorder", "title": "Reduce crime and disorder"}])

summary_props = OrderedDict([
    ("id", ref("schemas", "Slug")),
    ("city", {"type": "string", "minLength": 1, "examples": ["Independence, Missouri"]}),
    ("name", {"type": "string", "minLength": 1, "description": "The plan's name.", "examples": ["Independence for All"]}),
    ("title", {"type": "string", "minLength": 1, "description": "The title of this edition of the plan.",
               "examples": ["2021 Strategic Plan Update"]}),
    ("status", {"type": "string", "minLength": 1,
                "description": "Lifecycle status of the plan. The seed plan is `adopted`; `current` names the newest adopted plan.",
                "examples": ["adopted"]}),
    ("adopted_on", {"$ref": "#/components/schemas/Date", "description": "The date the original plan was adopted."}),
    ("period", {"$ref": "#/components/schemas/YearRange", "description": "The years the plan covers."}),
    ("update_period", {"$ref": "#/components/schemas/YearRange", "description": "The years this update re-prioritised."}),
])
schemas["PlanSummary"] = closed(summary_props, description="A strategic plan without its goals and priorities.",
                                examples=[plan_summary])
plan_props = OrderedDict(summary_props)
plan_props["purpose_statement"] = {"type": "string", "minLength": 1, "description": "The plan's purpose statement (its vision).",
                                   "examples": [plan_doc["purpose_statement"]]}
plan_props["mission"] = {"type": "string", "minLength": 1, "examples": [plan_doc["mission"]]}
plan_props["goals"] = {"type": "array", "description": "The goals in plan order, each with its objectives.",
                       "items": ref("schemas", "Goal")}
plan_props["priorities"] = {"type": "array", "description": "The yearly priorities, newest year first.",
                            "items": ref("schemas", "PriorityYear")}
schemas["Plan"] = closed(plan_props, description="A whole strategic plan: summary fields, purpose, mission, goals with their objectives, and yearly priorities.")

schemas["Objective"] = closed(OrderedDict([
    ("id", ref("schemas", "Slug")),
    ("plan", {"$ref": "#/components/schemas/Slug", "description": "Id of the plan."}),
    ("goal", {"$ref": "#/components/schemas/Slug", "description": "Id of the goal the objective belongs to."}),
    ("position", {"type": "integer", "minimum": 1, "description": "Position in plan order across all goals (1..14 in the seed plan).",
                  "examples": [8]}),
    ("title", {"type": "string", "minLength": 1, "examples": ["Reduce blight"]}),
]), description="An objective of a goal.", examples=[obj_by_title["Reduce blight"]])
schemas["Goal"] = closed(OrderedDict([
    ("id", ref("schemas", "Slug")),
    ("plan", {"$ref": "#/components/schemas/Slug", "description": "Id of the plan."}),
    ("position", {"type": "integer", "minimum": 1, "description": "Position in plan order.", "examples": [4]}),
    ("title", {"type": "string", "minLength": 1, "examples": ["Quality"]}),
    ("statement", {"type": "string", "minLength": 1, "description": "The goal statement.",
                   "examples": [goal_by_id["quality"]["statement"]]}),
    ("objectives", {"type": "array", "description": "The goal's objectives in plan order.",
                    "items": ref("schemas", "Objective")}),
]), description="A goal of the plan with its objectives.")
schemas["Priority"] = closed(OrderedDict([
    ("year", ref("schemas", "Year")),
    ("rank", {"type": "integer", "minimum": 1, "description": "1 is the top priority of the year.", "examples": [1]}),
    ("objective", ref("schemas", "ObjectiveRef")),
    ("goal", {"$ref": "#/components/schemas/GoalRef", "description": "The goal of the objective."}),
    ("decided_on", {"$ref": "#/components/schemas/Date", "description": "When the priorities were set."}),
    ("decided_by", {"type": "string", "minLength": 1, "examples": ["City Council"]}),
]), description="One ranked priority of a year: an objective of the plan.", examples=[priority_docs[0]])
schemas["PriorityYear"] = closed(OrderedDict([
    ("year", ref("schemas", "Year")),
    ("decided_on", ref("schemas", "Date")),
    ("decided_by", {"type": "string", "minLength": 1, "examples": ["City Council"]}),
    ("items", {"type": "array", "description": "The year's priorities by rank.", "items": ref("schemas", "Priority")}),
]), description="The priorities set for one year.")

survey_props = OrderedDict([
    ("id", ref("schemas", "Slug")),
    ("plan", {"$ref": "#/components/schemas/Slug", "description": "Id of the plan the survey is about."}),
    ("title", {"type": "string", "minLength": 1, "examples": ["2020-21 Community Survey"]}),
    ("description", {"type": "string", "examples": [survey_summary["description"]]}),
    ("opens_at", {"type": "string", "format": "date-time", "description": "When the survey opens (inclusive), UTC.",
                  "examples": ["2020-11-02T06:00:00Z"]}),
    ("closes_at", {"type": "string", "format": "date-time", "description": "When the survey closes (exclusive), UTC.",
                   "examples": ["2021-01-16T06:00:00Z"]}),
    ("timezone", {"type": "string", "minLength": 1, "description": "IANA time zone of the city, for display.",
                  "examples": ["America/Chicago"]}),
    ("status", {"type": "string", "enum": ["draft", "open", "closed"],
                "description": "`draft` before `opens_at`, `open` until `closes_at` (exclusive), then `closed`.",
                "examples": ["closed"]}),
    ("results_visibility", {"type": "string", "enum": ["public", "after_close", "admin"],
                            "description": "Who sees the tallies: anyone (`public`), anyone once the survey is "
                                           "closed (`after_close`), or admins only (`admin`).",
                            "examples": ["after_close"]}),
])
schemas["SurveySummary"] = closed(survey_props, description="A community survey without its questions.",
                                  examples=[survey_summary])
sprops = OrderedDict(survey_props)
sprops["questions"] = {"type": "array", "description": "The questions by position.", "items": ref("schemas", "Question")}
schemas["Survey"] = closed(sprops, description="A community survey with its questions.", examples=[survey_doc])
def question_props(qtype, extra):
    props = OrderedDict([
        ("id", ref("schemas", "Slug")),
        ("position", {"type": "integer", "minimum": 1, "description": "Order of the question in the survey.", "examples": [1]}),
        ("prompt", {"type": "string", "minLength": 1, "examples": [survey_doc["questions"][0]["prompt"]]}),
        ("type", {"type": "string", "const": qtype, "examples": [qtype]}),
        ("required", {"type": "boolean", "description": "Whether a response must answer it.", "examples": [True]}),
    ])
    props.update(extra)
    return props

schemas["AgreementQuestion"] = closed(question_props("agreement", OrderedDict([
    ("options", {"type": "array", "minItems": 2, "uniqueItems": True,
                 "description": "The answer values, in scale order; an answer is one of them.",
                 "items": {"type": "string", "pattern": "^[a-z0-9_]+$", "examples": ["agree"]}}),
])), description="A question answered with one value of a scale.", examples=[survey_doc["questions"][0]])
schemas["ObjectivesQuestion"] = closed(question_props("objectives", OrderedDict([
    ("min", {"type": "integer", "minimum": 0, "description": "Fewest objectives to choose.", "examples": [1]}),
    ("max", {"type": "integer", "minimum": 1, "description": "Most objectives to choose.", "examples": [3]}),
])), description="A question answered with between `min` and `max` distinct objective ids of the survey's plan.",
   examples=[survey_doc["questions"][1]])
schemas["Question"] = OrderedDict([
    ("description", "A survey question; `type` tells which kind."),
    ("oneOf", [ref("schemas", "AgreementQuestion"), ref("schemas", "ObjectivesQuestion")]),
    ("discriminator", {"propertyName": "type", "mapping": {
        "agreement": "#/components/schemas/AgreementQuestion",
        "objectives": "#/components/schemas/ObjectivesQuestion"}}),
    ("examples", survey_doc["questions"]),
])

schemas["PlanCollection"] = collection("PlanSummary", "A page of plan summaries, newest first.", page([plan_summary]))
schemas["GoalCollection"] = collection("Goal", "A page of a plan's goals in plan order, each with its objectives.",
                                       page(goal_docs[:2], 2, GOALS_CURSOR, f"/v1/plans/{PLAN_ID}/goals?limit=2&cursor={GOALS_CURSOR}"))
schemas["ObjectiveCollection"] = collection("Objective", "A page of a plan's objectives in plan order.",
                                            page([o for o in objective_docs if o["goal"] == "economy"]))
schemas["PriorityCollection"] = collection("Priority", "A page of a plan's priorities, by year descending then rank ascending.",
                                           page(priority_docs))
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
    "examples": [{"openapi": "3.1.0", "info": {"title": "Civic Plan API", "version": "0.1.0"}, "paths": {}}]}
schemas["InvalidParameterError"] = closed(OrderedDict([
    ("parameter", {"type": "string", "description": "Name of the offending query parameter as sent.", "examples": ["limit"]}),
    ("detail", {"type": "string", "minLength": 1, "examples": ["must be an integer from 1 to 200"]})]),
    description="One rejected query parameter.", examples=[{"parameter": "limit", "detail": "must be an integer from 1 to 200"}])
schemas["Problem"] = closed(OrderedDict([
    ("type", {"type": "string", "format": "uri-reference", "enum": [f"/problems/{s}" for s in PROBLEMS],
              "description": "Identifies the problem type (a relative URI reference).", "examples": ["/problems/not-found"]}),
    ("title", {"type": "string", "enum": [v[1] for v in PROBLEMS.values()],
               "description": "Short summary of the problem type; always the same for a type.", "examples": ["Not Found"]}),
    ("status", {"type": "integer", "enum": [v[0] for v in PROBLEMS.values()],
                "description": "The HTTP status code of the response.", "examples": [404]}),
    ("detail", {"type": "string", "description": "Explanation specific to this occurrence.",
                "examples": ["No plan with id \"springfield-2030\"."]}),
    ("instance", {"type": "string", "format": "uri-reference", "description": "The request path.",
                  "examples": ["/v1/plans/springfield-2030"]}),
    ("request_id", {"type": "string", "pattern": RID_PATTERN, "description": "The request's X-Request-Id.",
                    "examples": [RID]}),
    ("errors", {"type": "array", "minItems": 1, "description": "Present only for `/problems/invalid-parameter`.",
                "items": ref("schemas", "InvalidParameterError")}),
]), required=["type", "title", "status", "detail", "instance", "request_id"],
    description="An RFC 9457 problem document (media type `application/problem+json`), sent with "
                "`Cache-Control: no-store`. Problem types:\n\n| type | status | title | when |\n|---|---|---|---|\n"
                + problem_table,
    examples=[problem_example("not-found", "No plan with id \"springfield-2030\".", "/v1/plans/springfield-2030")])
schemas["InvalidParameterProblem"] = {
    "description": "The problem document of a 400 `/problems/invalid-parameter`: a Problem whose `errors` lists each rejected query parameter.",
    "allOf": [ref("schemas", "Problem"), {
        "type": "object", "required": ["errors"],
        "properties": {"type": {"const": "/problems/invalid-parameter"},
                       "title": {"const": "Invalid Parameter"},
                       "status": {"const": 400}}}],
    "examples": [problem_example("invalid-parameter", "The query string is invalid.", "/v1/plans",
                                 [{"parameter": "limit", "detail": "must be an integer from 1 to 200"}])]}

# ----------------------------------------------------------------- headers
headers = OrderedDict()
headers["ETag"] = {"description": "Strong entity tag of the representation: 16 lowercase hex digits in quotes.",
                   "required": True, "schema": {"type": "string", "pattern": "^\"[0-9a-f]{16}\"$", "examples": ["\"3f2a9c1d8e7b6a50\""]}}
headers["Cache-Control-Public"] = {"description": "Read routes may be cached for 60 seconds.", "required": True,
                                   "schema": {"type": "string", "const": "public, max-age=60", "examples": ["public, max-age=60"]}}
headers["Cache-Control-No-Store"] = {"description": "Health checks and problems are never cached.", "required": True,
                                     "schema": {"type": "string", "const": "no-store", "examples": ["no-store"]}}
headers["X-Request-Id"] = {"description": "The client's X-Request-Id if it was 1 to 128 characters of `[A-Za-z0-9._:-]`; otherwise a generated 32-hex-digit id.",
                           "required": True, "schema": {"type": "string", "pattern": RID_PATTERN, "examples": [RID]}}
headers["Vary"] = {"description": "Always names `Origin` (CORS headers depend on it).", "required": True,
                   "schema": {"type": "string", "pattern": "(^|,)\\s*Origin\\s*(,|$)", "examples": ["Origin"]}}
headers["Link"] = {"description": "Present when there is a next page: `<next>; rel=\"next\"`, where next is a path and query relative URL (the body's `next`).",
                   "schema": {"type": "string", "examples": [f"</v1/plans/{PLAN_ID}/goals?limit=2&cursor={GOALS_CURSOR}>; rel=\"next\""]}}
headers["Allow"] = {"description": "The methods the path serves.", "required": True,
                    "schema": {"type": "string", "const": "GET, HEAD, OPTIONS", "examples": ["GET, HEAD, OPTIONS"]}}
headers["Retry-After"] = {"description": "Seconds to wait before retrying (1).", "required": True,
                          "schema": {"type": "integer", "minimum": 0, "examples": [1]}}
headers["Access-Control-Allow-Origin"] = {"description": "Present only when the request's Origin is one of CIVIC_CORS_ORIGINS: that origin, echoed.",
                                          "schema": {"type": "string", "examples": ["https://dashboard.example.org"]}}
headers["Access-Control-Expose-Headers"] = {"description": "Present with Access-Control-Allow-Origin.",
                                            "schema": {"type": "string", "const": "ETag, Link, X-Request-Id, Retry-After, Location",
                                                       "examples": ["ETag, Link, X-Request-Id, Retry-After, Location"]}}
headers["Access-Control-Allow-Methods"] = {"description": "Preflight from an allowed origin for an allowed method only: the route's methods.",
                                           "schema": {"type": "string", "const": "GET, HEAD, OPTIONS", "examples": ["GET, HEAD, OPTIONS"]}}
headers["Access-Control-Allow-Headers"] = {"description": "Preflight from an allowed origin for an allowed method only: the request headers a client may send.",
                                           "schema": {"type": "string",
                                                      "const": "Accept, Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, X-Request-Id",
                                                      "examples": ["Accept, Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, X-Request-Id"]}}
headers["Access-Control-Max-Age"] = {"description": "Preflight from an allowed origin for an allowed method only: seconds the preflight may be cached.",
                                     "schema": {"type": "integer", "const": 600, "examples": [600]}}

def hdrs(*names):
    return OrderedDict((n if not n.startswith("Cache-Control") else "Cache-Control", ref("headers", n)) for n in names)

CORS = ("Access-Control-Allow-Origin", "Access-Control-Expose-Headers")

# ----------------------------------------------------------------- parameters
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
parameters["Limit"] = {"name": "limit", "in": "query", "required": False,
                       "description": "Page size. Out of range, not an integer, or repeated: 400.",
                       "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "example": 50}
parameters["Cursor"] = {"name": "cursor", "in": "query", "required": False,
                        "description": "Opaque cursor from the previous page's `next_cursor` (or its `next` URL). Any other value: 400.",
                        "schema": {"type": "string", "minLength": 1}, "example": GOALS_CURSOR}
parameters["Goal-Filter"] = {"name": "goal", "in": "query", "required": False,
                             "description": "Only the objectives of this goal. A goal id the plan does not have: 400.",
                             "schema": ref("schemas", "Slug"), "example": "quality"}
parameters["Year-Filter"] = {"name": "year", "in": "query", "required": False,
                             "description": "Only the priorities of this year (four digits, YYYY).",
                             "schema": ref("schemas", "Year"), "example": 2021}
parameters["If-None-Match"] = {"name": "If-None-Match", "in": "header", "required": False,
                               "description": "One entity tag, a comma-separated list, or `*`; `W/` tags compare weakly. A match gives 304.",
                               "schema": {"type": "string", "minLength": 1}, "example": "\"3f2a9c1d8e7b6a50\""}
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

# ----------------------------------------------------------------- responses
def problem_response(slug, description, example_detail, instance, extra_headers=(), errors=None,
                     schema="Problem", extra_examples=None):
    h = hdrs("X-Request-Id", "Vary", "Cache-Control-No-Store", *extra_headers, *CORS)
    examples = OrderedDict()
    examples[slug] = {"summary": PROBLEMS[slug][1],
                      "value": problem_example(slug, example_detail, instance, errors)}
    if extra_examples:
        examples.update(extra_examples)
    return {"description": description, "headers": h,
            "content": {"application/problem+json": {"schema": ref("schemas", schema), "examples": examples}}}

responses = OrderedDict()
responses["NotModified"] = {
    "description": "Not Modified: If-None-Match matched the current ETag. Empty body.",
    "headers": hdrs("ETag", "X-Request-Id", "Vary", *CORS)}
responses["InvalidParameter"] = problem_response(
    "invalid-parameter", "Invalid Parameter: a query parameter is unknown, repeated, malformed or out of range, or the cursor is bad.",
    "The query string is invalid.", f"/v1/plans/{PLAN_ID}/goals",
    errors=[{"parameter": "limit", "detail": "must be an integer from 1 to 200"}], schema="InvalidParameterProblem",
    extra_examples={"unknown-parameter": {"summary": "Unknown parameter", "value": problem_example(
        "invalid-parameter", "The query string is invalid.", "/v1/plans",
        [{"parameter": "sort", "detail": "unknown parameter"}])}})
responses["NotFound"] = problem_response("not-found", "Not Found: no plan, goal, objective or survey with that id.",
                                         "No plan with id \"springfield-2030\".", "/v1/plans/springfield-2030")
responses["MethodNotAllowed"] = problem_response(
    "method-not-allowed", "Method Not Allowed: the path was requested with POST, PUT, PATCH, DELETE or another method it does not serve.",
    "DELETE is not allowed here.", f"/v1/plans/{PLAN_ID}", extra_headers=("Allow",))
responses["NotAcceptable"] = problem_response(
    "not-acceptable", "Not Acceptable: the Accept header excludes the route's media type.",
    "This resource is only available as application/json.", "/v1/plans")
responses["InternalError"] = problem_response("internal-error", "Internal Server Error.",
                                              "The request could not be completed.", f"/v1/plans/{PLAN_ID}")
responses["ServiceUnavailable"] = problem_response(
    "service-unavailable", "Service Unavailable: the database is unreachable or the plan data has not been loaded yet. Retry after the Retry-After delay.",
    "The plan data is not loaded yet.", "/v1/plans", extra_headers=("Retry-After",))

# ----------------------------------------------------------------- paths
paths = OrderedDict()
TAGS = OrderedDict([
    ("Plans", "The strategic plan: its goals, objectives and yearly priorities."),
    ("Surveys", "Community surveys about the plan."),
    ("Health", "Liveness and readiness probes."),
    ("Documentation", "This OpenAPI document and the interactive docs page."),
])

def cap(s):
    return s[0].upper() + s[1:]

def route(path, *, tag, name, get_id, summary, description, content_type, schema, examples,
          cache="Cache-Control-Public", path_params=(), query=(), collection=False, s503=False,
          ok_description="OK."):
    item = OrderedDict()
    item["summary"] = summary
    if path_params:
        item["parameters"] = [ref("parameters", p) for p in path_params]
    common = [ref("parameters", "If-None-Match"), ref("parameters", "X-Request-Id")]
    qparams = [ref("parameters", p) for p in query]
    ok_headers = ["ETag", cache, "X-Request-Id", "Vary"]
    if collection:
        ok_headers.insert(2, "Link")
    ok_headers += list(CORS)

    def errors():
        r = OrderedDict()
        r["304"] = ref("responses", "NotModified")
        if query:
            r["400"] = ref("responses", "InvalidParameter")
        if path_params:
            r["404"] = ref("responses", "NotFound")
        r["405"] = ref("responses", "MethodNotAllowed")
        r["406"] = ref("responses", "NotAcceptable")
        r["500"] = ref("responses", "InternalError")
        if s503:
            r["503"] = ref("responses", "ServiceUnavailable")
        return r

    get_resp = OrderedDict()
    media = OrderedDict([("schema", schema)])
    if examples:
        media["examples"] = examples
    get_resp["200"] = {"description": ok_description, "headers": hdrs(*ok_headers), "content": {content_type: media}}
    get_resp.update(errors())
    item["get"] = OrderedDict([
        ("tags", [tag]), ("summary", summary), ("description", description), ("operationId", get_id),
        ("parameters", qparams + common), ("responses", get_resp)])
    head_resp = OrderedDict()
    head_resp["200"] = {"description": "OK: the headers a GET would send, without the body.", "headers": hdrs(*ok_headers)}
    head_resp.update(errors())
    item["head"] = OrderedDict([
        ("tags", [tag]), ("summary", f"Headers of: {summary[0].lower() + summary[1:]}"),
        ("description", "Same as GET without the body (error responses carry no body either)."),
        ("operationId", "head" + name), ("parameters", qparams + common), ("responses", head_resp)])
    item["options"] = OrderedDict([
        ("tags", [tag]), ("summary", "Allowed methods and CORS preflight"),
        ("description", "Lists the allowed methods. A CORS preflight (Origin and Access-Control-Request-Method) "
                        "from an origin in CIVIC_CORS_ORIGINS for GET or HEAD also gets the Access-Control-Allow-* "
                        "headers; from any other origin, 204 without them."),
        ("operationId", "options" + name),
        ("parameters", [ref("parameters", "Origin"), ref("parameters", "Access-Control-Request-Method"),
                        ref("parameters", "Access-Control-Request-Headers"), ref("parameters", "X-Request-Id")]),
        ("responses", {"204": {"description": "No Content: the allowed methods (and, for an allowed preflight, the CORS grant).",
                               "headers": hdrs("Allow", "X-Request-Id", "Vary", "Access-Control-Allow-Origin",
                                               "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
                                               "Access-Control-Max-Age")}})])
    paths[path] = item

def ex(summary, value):
    return {"summary": summary, "value": value}

route("/v1/plans", tag="Plans", name="Plans", get_id="listPlans", summary="List plans",
      description="Summaries of all plans, newest first, paginated.", content_type="application/json",
      schema=ref("schemas", "PlanCollection"), examples={"all": ex("All plans", page([plan_summary]))},
      query=("Limit", "Cursor"), collection=True, s503=True)
route("/v1/plans/{plan}", tag="Plans", name="Plan", get_id="getPlan", summary="Get a whole plan",
      description="The whole plan: purpose, mission, goals with their objectives, and yearly priorities. `current` gives the newest adopted plan.",
      content_type="application/json", schema=ref("schemas", "Plan"),
      examples={"independence-2021": ex("The 2021 Strategic Plan Update", plan_doc)},
      path_params=("Plan",), s503=True)
route("/v1/plans/{plan}/goals", tag="Plans", name="Goals", get_id="listGoals", summary="List a plan's goals",
      description="The plan's goals in plan order, each with its objectives, paginated.",
      content_type="application/json", schema=ref("schemas", "GoalCollection"),
      examples={"all": ex("All goals", page(goal_docs)),
                "first-page": ex("First page with limit=2", page(goal_docs[:2], 2, GOALS_CURSOR,
                                 f"/v1/plans/{PLAN_ID}/goals?limit=2&cursor={GOALS_CURSOR}"))},
      path_params=("Plan",), query=("Limit", "Cursor"), collection=True, s503=True)
route("/v1/plans/{plan}/goals/{goal}", tag="Plans", name="Goal", get_id="getGoal", summary="Get a goal",
      description="One goal with its objectives.", content_type="application/json", schema=ref("schemas", "Goal"),
      examples={"quality": ex("The Quality goal", goal_by_id["quality"])},
      path_params=("Plan", "Goal"), s503=True)
route("/v1/plans/{plan}/objectives", tag="Plans", name="Objectives", get_id="listObjectives",
      summary="List a plan's objectives",
      description="The plan's objectives in plan order (position 1..14), optionally of one goal, paginated.",
      content_type="application/json", schema=ref("schemas", "ObjectiveCollection"),
      examples={"quality": ex("goal=quality", page([o for o in objective_docs if o["goal"] == "quality"])),
                "first-page": ex("First page with limit=5", page(objective_docs[:5], 5, OBJ_CURSOR,
                                 f"/v1/plans/{PLAN_ID}/objectives?limit=5&cursor={OBJ_CURSOR}"))},
      path_params=("Plan",), query=("Goal-Filter", "Limit", "Cursor"), collection=True, s503=True)
route("/v1/plans/{plan}/objectives/{objective}", tag="Plans", name="Objective", get_id="getObjective",
      summary="Get an objective", description="One objective of the plan.", content_type="application/json",
      schema=ref("schemas", "Objective"), examples={"reduce-blight": ex("Reduce blight", obj_by_title["Reduce blight"])},
      path_params=("Plan", "Objective"), s503=True)
route("/v1/plans/{plan}/priorities", tag="Plans", name="Priorities", get_id="listPriorities",
      summary="List a plan's priorities",
      description="The plan's yearly priorities, by year descending then rank ascending, optionally of one year, paginated.",
      content_type="application/json", schema=ref("schemas", "PriorityCollection"),
      examples={"2021": ex("year=2021", page(priority_docs))},
      path_params=("Plan",), query=("Year-Filter", "Limit", "Cursor"), collection=True, s503=True)
route("/v1/surveys", tag="Surveys", name="Surveys", get_id="listSurveys", summary="List surveys",
      description="Summaries of the community surveys (without questions), paginated.",
      content_type="application/json", schema=ref("schemas", "SurveyCollection"),
      examples={"all": ex("All surveys", page([survey_summary]))},
      query=("Limit", "Cursor"), collection=True, s503=True)
route("/v1/surveys/{survey}", tag="Surveys", name="Survey", get_id="getSurvey", summary="Get a survey",
      description="One survey with its questions.", content_type="application/json", schema=ref("schemas", "Survey"),
      examples={"community-survey-2020-21": ex("The 2020-21 community survey", survey_doc)},
      path_params=("Survey",), s503=True)
route("/healthz", tag="Health", name="Health", get_id="getHealth", summary="Liveness probe",
      description="200 while the service answers; does not touch the database.", content_type="application/json",
      schema=ref("schemas", "Health"), examples={"ok": ex("Alive", {"status": "ok"})}, cache="Cache-Control-No-Store")
route("/readyz", tag="Health", name="Readiness", get_id="getReadiness", summary="Readiness probe",
      description="200 when the database answers; 503 problem (Retry-After: 1) when it does not.",
      content_type="application/json", schema=ref("schemas", "Readiness"),
      examples={"ready": ex("Ready", {"status": "ready", "database": "ok"})}, cache="Cache-Control-No-Store", s503=True)
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

# ----------------------------------------------------------------- document
description = f"""Read-only JSON API over the strategic plan of the City of Independence, Missouri:
**Independence for All**, the 2021 Strategic Plan Update (4 goals, 14 objectives, the City
Council's 2021 priorities) and the 2020-21 community survey about it.

## Conventions
- **Media types**: `application/json` (UTF-8); errors are RFC 9457 problem documents,
  `application/problem+json`, described by the `Problem` schema. An `Accept` header that excludes
  JSON gets 406.
- **Ids** are slugs (`^[a-z0-9]+(-[a-z0-9]+)*$`, at most 100 characters). The plan id `current`
  names the newest adopted plan.
- **Caching**: every 200 to a GET carries a strong `ETag` and `Cache-Control` (`public, max-age=60`
  on read routes, `no-store` on `/healthz`, `/readyz` and problems). `If-None-Match` (one tag, a
  list, `W/` tags compared weakly, or `*`) that matches gives 304 with an empty body.
- **HEAD** works on every GET route: same headers, no body.
- **Pagination**: collections take `limit` (1..200, default 50) and `cursor` (opaque, from the
  previous page) plus their own filters. Unknown, repeated or invalid parameters and bad cursors
  get 400 `/problems/invalid-parameter`. The body is `{{"items", "limit", "next_cursor", "next"}}`;
  when there is a next page, `Link: <next>; rel="next"` is sent too.
- **Request ids**: `X-Request-Id` is echoed when it is 1..128 characters of `[A-Za-z0-9._:-]`,
  otherwise replaced by a generated 32-hex-digit id; problems repeat it as `request_id`.
- **Methods**: every path answers GET, HEAD and OPTIONS; other methods get 405 with `Allow`.
  Unknown paths get 404.
- **CORS**: every response has `Vary: Origin`. Origins listed in `CIVIC_CORS_ORIGINS` get
  `Access-Control-Allow-Origin` and `Access-Control-Expose-Headers`; their preflights (OPTIONS)
  get `Access-Control-Allow-Methods`, `-Allow-Headers` and `-Max-Age: 600`.

## Problem types
| type | status | title | when |
|---|---|---|---|
{problem_table}
"""

doc = OrderedDict()
doc["openapi"] = "3.1.0"
doc["info"] = OrderedDict([
    ("title", "Civic Plan API"), ("version", "0.1.0"), ("summary", "The City of Independence, Missouri strategic plan as a read-only JSON API."),
    ("description", description),
    ("license", OrderedDict([("name", "MIT"), ("identifier", "MIT")])),
])

doc["servers"] = [{"url": "http://127.0.0.1:8888", "description": "Local service (default CIVIC_BIND:CIVIC_PORT)"}]
doc["security"] = []
doc["tags"] = [{"name": k, "description": v} for k, v in TAGS.items()]
doc["paths"] = paths
doc["components"] = OrderedDict([("schemas", schemas), ("responses", responses),
                                 ("parameters", parameters), ("headers", headers)])

with open(OUT, "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=2, ensure_ascii=False)
    f.write("\n")
print("wrote", OUT)

"""Helpers for the issue 4 tests: plans, goals, objectives and priorities
written by admins, If-Match, the audit log and plan history.

Every test makes plans of its own (ids with a random suffix) and never writes
the seed plan, which the issue 1 and 2 tests compare byte for byte. Most
plans here stay drafts, which anonymous callers never see; plans that must be
adopted are adopted on PAST (2001-01-01), before the seed plan's 2017-02-06,
so that /v1/plans/current stays the seed plan. Few plans are adopted (well
under the 50 of one default page of /v1/plans, which test_collections.py
expects to hold every plan a caller without a key sees).

Requests go over the keep-alive session of partners.py: the worker that took
a write serves it on the next request, which goes to that same worker.

Every request has a timeout; every loop is bounded in count and in time, and
every wait polls up to waiting.WAIT_LIMIT_S.
"""

import re
import secrets
import uuid

import pytest

import partners as p
import waiting

ADMIN = p.ADMIN_KEY
PAST = "2001-01-01"               # an adoption date before the seed plan's
STALE_TAG = '"0123456789abcdef"'  # well-formed, and no representation's tag
ETAG_RE = re.compile(r'^"[0-9a-f]{16}"$')
UTC_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")
LINK_RE = re.compile(r'^<([^<>]+)>;\s*rel="next"$')

PLAN_FIELDS = {"id", "city", "name", "title", "status", "adopted_on", "period",
               "update_period", "purpose_statement", "mission", "goals", "priorities"}
SUMMARY_FIELDS = {"id", "city", "name", "title", "status", "adopted_on", "period",
                  "update_period"}
GOAL_FIELDS = {"id", "plan", "position", "title", "statement", "status", "objectives"}
OBJECTIVE_FIELDS = {"id", "plan", "goal", "position", "title", "status"}
PRIORITY_LIST_FIELDS = {"year", "decided_on", "decided_by", "items"}
AUDIT_FIELDS = {"id", "at", "actor", "request_id", "resource", "path", "plan", "action",
                "before", "after"}
HISTORY_FIELDS = AUDIT_FIELDS - {"actor", "request_id"}
RESOURCES = ["plan", "goal", "objective", "priorities", "survey", "key", "response"]
PLAN_TABLES = ["plans", "goals", "objectives", "priority_sets", "priorities"]


# --- names and paths -----------------------------------------------------------------

def hexid(n=10):
    return uuid.uuid4().hex[:n]


def new_id(prefix="tp"):
    return "%s-%s" % (prefix, hexid())


def unknown_key():
    """Shaped like a key (cpk_ + 43 base64url characters), never issued."""
    return "cpk_" + secrets.token_urlsafe(32)[:43]


def plan_path(plan):
    return "/v1/plans/" + plan


def goal_path(plan, goal=None):
    return plan_path(plan) + "/goals" + ("/" + goal if goal else "")


def objective_path(plan, objective=None):
    return plan_path(plan) + "/objectives" + ("/" + objective if objective else "")


def priorities_path(plan, year):
    return "%s/priorities/%s" % (plan_path(plan), year)


def history_path(plan):
    return plan_path(plan) + "/history"


def without(doc, *names):
    return {k: v for k, v in doc.items() if k not in names}


# --- requests ------------------------------------------------------------------------

def put(path, body=None, key=None, **kw):
    return p.call("PUT", path, key, body=body, **kw)


def fetch(path, key=ADMIN):
    """(body, ETag) of a 200 GET."""
    r = p.get(path, key)
    return p.ok_json(r), r.headers.get("ETag")


def written(r, status=200, location=None, path=None, key=ADMIN):
    """A successful write: the status, a JSON body, Cache-Control: no-store,
    a strong ETag that the next GET of the item shows, with the same body
    (path: the item, default location), and Location on a 201. The body."""
    doc = p.ok_json(r, status)
    assert r.headers.get("Cache-Control") == "no-store", r.headers
    tag = r.headers.get("ETag")
    assert tag is not None and ETAG_RE.match(tag), r.headers
    if status == 201:
        assert r.headers.get("Location") == location, r.headers
    after = p.get(path or location, key)
    assert p.ok_json(after) == doc
    assert after.headers.get("ETag") == tag, (after.headers.get("ETag"), tag)
    return doc


def covers(found, pointer):
    """Whether a pointer of `found` is `pointer` or points inside it."""
    return any(f == pointer or f.startswith(pointer + "/") for f in found)


def error_detail(response, pointer):
    """The detail of the errors[] entry at `pointer` of a 422."""
    found = [x["detail"] for x in response.json()["errors"] if x["pointer"] == pointer]
    assert found, response.json()
    return found[0]


# --- making plans --------------------------------------------------------------------

def plan_body(**overrides):
    body = {"id": new_id(), "title": "Test plan " + hexid(6), "city": "Testville, Missouri",
            "name": "Testville for All"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not DROP}


DROP = object()   # plan_body(title=DROP) leaves the member out


def create_plan(**overrides):
    return p.ok_json(p.post("/v1/plans", plan_body(**overrides), ADMIN), 201)


def create_goal(plan, **body):
    body.setdefault("title", "Goal " + hexid(6))
    return p.ok_json(p.post(goal_path(plan), body, ADMIN), 201)


def create_objective(plan, goal, **body):
    body.setdefault("title", "Objective " + hexid(6))
    body["goal"] = goal
    return p.ok_json(p.post(objective_path(plan), body, ADMIN), 201)


def priorities_body(objectives, **overrides):
    body = {"decided_on": "2030-01-15", "decided_by": "City Council",
            "objectives": list(objectives)}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not DROP}


def put_priorities(plan, year, objectives, status=201, **overrides):
    r = put(priorities_path(plan, year), priorities_body(objectives, **overrides), ADMIN)
    return p.ok_json(r, status)


def adopt(plan):
    return p.ok_json(p.patch(plan_path(plan), {"status": "adopted", "adopted_on": PAST}, ADMIN))


class World:
    """A plan made for one test: its id, goal ids g1..gn in order, and the
    objective ids (o1, o2, ... in plan order) of each goal."""

    def __init__(self, plan, goals, objectives):
        self.plan = plan
        self.goals = goals
        self.objectives = objectives

    @property
    def all_objectives(self):
        return [o for g in self.goals for o in self.objectives[g]]


def build(shape=(2, 1), adopted=False, **plan_overrides):
    """A new draft plan with one goal per entry of shape (g1, g2, ...), goal i
    holding shape[i-1] objectives; adopted (on PAST) at the end if asked."""
    plan = create_plan(**plan_overrides)["id"]
    goals, objectives, n = [], {}, 0
    for i, count in enumerate(shape, 1):
        gid = create_goal(plan, id="g%d" % i, title="Goal %d" % i,
                          statement="Statement %d" % i)["id"]
        goals.append(gid)
        objectives[gid] = []
        for _ in range(count):
            n += 1
            objectives[gid].append(
                create_objective(plan, gid, id="o%d" % n, title="Objective %d" % n)["id"])
    if adopted:
        adopt(plan)
    return World(plan, goals, objectives)


def expected_priorities(plan, year, objectives, decided_on="2030-01-15",
                        decided_by="City Council"):
    """A year's list as GET .../priorities/{year} must serve it, built from the
    objective and goal items."""
    items = []
    for rank, oid in enumerate(objectives, 1):
        o, _ = fetch(objective_path(plan, oid))
        g, _ = fetch(goal_path(plan, o["goal"]))
        items.append({"year": year, "rank": rank,
                      "objective": {"id": oid, "title": o["title"]},
                      "goal": {"id": g["id"], "title": g["title"]},
                      "decided_on": decided_on, "decided_by": decided_by})
    return {"year": year, "decided_on": decided_on, "decided_by": decided_by, "items": items}


def ids(items):
    return [x["id"] for x in items]


# --- nothing written -----------------------------------------------------------------

def audit_head():
    """The id of the newest audit entry (None when there is none)."""
    items = p.ok_json(p.get("/v1/audit?limit=1", ADMIN))["items"]
    return items[0]["id"] if items else None


def plan_tables():
    """A digest of every row of the plan tables."""
    return p.psql("SELECT " + ", ".join(
        "(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM %s t)"
        % name for name in PLAN_TABLES))


def state():
    """What a refused write must leave as it was: every row of the plan
    tables, what partners.db_fingerprint digests (surveys, keys, responses),
    and the newest audit entry."""
    return {"plan_tables": plan_tables(), "surveys_and_keys": p.db_fingerprint(),
            "audit_head": audit_head()}


# --- the audit log -------------------------------------------------------------------

def audit_page(query="", key=ADMIN):
    return p.ok_json(p.get("/v1/audit" + ("?" + query if query else ""), key))


def entries_for(response):
    """The audit entries written by the request that got `response` (same
    request_id), among the 50 newest (the tests write one at a time, and
    look right after the write)."""
    rid = response.headers.get("X-Request-Id")
    assert rid, response.headers
    return [x for x in audit_page("limit=50")["items"] if x["request_id"] == rid]


def entry_for(response, resource, path):
    """The one audit entry of that request about that resource."""
    found = [x for x in entries_for(response) if x["resource"] == resource and x["path"] == path]
    assert len(found) == 1, (resource, path, entries_for(response))
    return found[0]


def walk_pages(path, key=ADMIN, max_pages=200):
    """Every page from path on, following `next` (bounded): a list of bodies.
    Each page's Link header names the same next page as its body."""
    pages = []
    for _ in range(max_pages):
        r = p.get(path, key)
        body = p.ok_json(r)
        link = r.headers.get("Link")
        if body["next"] is None:
            assert link is None and body["next_cursor"] is None, (link, body)
            pages.append(body)
            return pages
        m = LINK_RE.match(link or "")
        assert m and m.group(1) == body["next"], (link, body["next"])
        pages.append(body)
        path = body["next"]
    pytest.fail("walk of %s did not end within %d pages" % (path, max_pages))


def wait_for(fetch_fn, check, what="the expected state"):
    """fetch_fn() until check(result) (polling, up to the suite's limit);
    the result."""
    return waiting.wait_until(fetch_fn, check, what)


def settle():
    """Wait until every worker serves the same published data, so that the
    tests after this module's writes find the same bytes on every worker
    (partners.wait_workers_agree)."""
    p.wait_workers_agree()

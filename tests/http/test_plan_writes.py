"""Plans, goals, objectives and priorities written by admins (issue 4):
POST/PATCH of plans, POST/PATCH/DELETE of goals and objectives, PUT of a
year's priorities; the 401/403 matrix, If-Match (412, "*", lists, weak tags,
400 for a malformed header), 404s, 409 for goals and objectives still in use,
422 with JSON Pointers, derived slugs, position shifting, archiving, drafts
seen by admins only, and every worker serving a write within a second.

Every refused write is checked to leave every row of the plan tables, the
surveys and keys, and the newest audit entry as they were (plan_edits.state).
The tests make plans of their own; the seed plan is never written."""

import json
import time

import pytest

import partners as p
import plan_edits as e
import seed_expected as seed
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

pytestmark = p.needs_harness

ADMIN = e.ADMIN


@pytest.fixture(scope="module", autouse=True)
def settle_workers():
    yield
    e.settle()


@pytest.fixture(scope="module")
def keys():
    """A partner key, and a revoked key."""
    partner, revoked = p.create_key(), p.create_key()
    p.revoke_key(revoked["id"])
    return {"partner": partner["key"], "revoked": revoked["key"]}


# --- who may write: the 401/403 matrix --------------------------------------------------

@pytest.fixture(scope="module")
def matrix_world():
    """g1: o1, o2; g2: o3; g3 without objectives; no priorities."""
    return e.build(shape=(2, 1, 0))


def write_routes(w):
    """(method, path, valid body) of every write route, each of which would
    succeed with the admin key."""
    return {
        "create-plan": ("POST", "/v1/plans", e.plan_body()),
        "patch-plan": ("PATCH", e.plan_path(w.plan), {"title": "Taken over"}),
        "create-goal": ("POST", e.goal_path(w.plan), {"title": "Intruder goal"}),
        "patch-goal": ("PATCH", e.goal_path(w.plan, "g1"), {"title": "Taken over"}),
        "delete-goal": ("DELETE", e.goal_path(w.plan, "g3"), None),
        "create-objective": ("POST", e.objective_path(w.plan),
                             {"goal": "g1", "title": "Intruder objective"}),
        "patch-objective": ("PATCH", e.objective_path(w.plan, "o1"), {"title": "Taken over"}),
        "delete-objective": ("DELETE", e.objective_path(w.plan, "o3"), None),
        "put-priorities": ("PUT", e.priorities_path(w.plan, 2030),
                           e.priorities_body(["o2", "o1"])),
    }


WRITE_ROUTES = ["create-plan", "patch-plan", "create-goal", "patch-goal", "delete-goal",
                "create-objective", "patch-objective", "delete-objective", "put-priorities"]
CREDENTIALS = ["no-key", "malformed-key", "unknown-key", "revoked-key", "partner-key"]


def authorization(keys, kind):
    return {
        "no-key": None,
        "malformed-key": "Bearer not-a-key",
        "unknown-key": "Bearer " + e.unknown_key(),
        "revoked-key": "Bearer " + keys["revoked"],
        "partner-key": "Bearer " + keys["partner"],
    }[kind]


@pytest.mark.parametrize("kind", CREDENTIALS)
@pytest.mark.parametrize("route", WRITE_ROUTES)
def test_a_write_without_an_admin_key_is_refused_and_writes_nothing(matrix_world, keys, route,
                                                                    kind):
    method, path, body = write_routes(matrix_world)[route]
    value = authorization(keys, kind)
    headers = {"Authorization": value} if value else {}
    before = e.state()
    r = p.call(method, path, body=body, headers=headers)
    if kind == "partner-key":
        p.problem(r, 403, "forbidden", path)
    else:
        p.assert_unauthorized(r, token_sent=value is not None)
        if value is None:
            p.assert_bare_challenge(r)
    assert e.state() == before


def test_after_the_refusals_every_target_of_the_matrix_is_as_it_was(matrix_world):
    w = matrix_world
    plan, _ = e.fetch(e.plan_path(w.plan))
    assert plan["title"] != "Taken over"
    assert e.ids(plan["goals"]) == ["g1", "g2", "g3"]
    assert [e.ids(g["objectives"]) for g in plan["goals"]] == [["o1", "o2"], ["o3"], []]
    assert plan["priorities"] == []


# The documented order: what the request itself carries first (the key's
# shape, If-Match's syntax, the body's media type and syntax), then, in the
# database, the key, the path, If-Match, the body's content.
@pytest.mark.parametrize("case", [
    "partner-on-an-unknown-plan", "unknown-goal-with-a-malformed-if-match",
    "malformed-if-match-with-a-bad-body", "stale-if-match-with-a-bad-body",
    "stale-if-match-with-a-non-json-body", "unknown-goal-with-a-stale-if-match",
])
def test_the_checks_come_in_the_documented_order(matrix_world, keys, case):
    w = matrix_world
    g1 = e.goal_path(w.plan, "g1")
    before = e.state()
    if case == "partner-on-an-unknown-plan":
        path = e.plan_path("no-such-plan-" + e.hexid(6))
        p.problem(p.patch(path, {"title": "x"}, keys["partner"]), 403, "forbidden", path)
    elif case == "unknown-goal-with-a-malformed-if-match":
        path = e.goal_path(w.plan, "no-such-goal")
        r = p.patch(path, {"title": "x"}, ADMIN, headers={"If-Match": "not-a-tag"})
        p.problem(r, 400, "invalid-header", path)
    elif case == "unknown-goal-with-a-stale-if-match":
        path = e.goal_path(w.plan, "no-such-goal")
        r = p.patch(path, {"title": "x"}, ADMIN, headers={"If-Match": e.STALE_TAG})
        p.problem(r, 404, "not-found", path)
    elif case == "malformed-if-match-with-a-bad-body":
        r = p.patch(g1, {"colour": "red"}, ADMIN, headers={"If-Match": "not-a-tag"})
        p.problem(r, 400, "invalid-header", g1)
    elif case == "stale-if-match-with-a-bad-body":
        r = p.patch(g1, {"colour": "red"}, ADMIN, headers={"If-Match": e.STALE_TAG})
        p.problem(r, 412, "precondition-failed", g1)
    else:
        r = p.call("PATCH", g1, ADMIN, data=b"title=x",
                   headers={"If-Match": e.STALE_TAG, "Content-Type": "text/plain"})
        p.problem(r, 415, "unsupported-media-type", g1)
    assert e.state() == before


# --- 404, 405, 415, 400 -----------------------------------------------------------------

@pytest.mark.parametrize("case", [
    "patch-plan", "create-goal", "create-objective", "put-priorities-of-unknown-plan",
    "patch-goal", "delete-goal", "patch-objective", "delete-objective",
    "year-1899", "year-3000", "year-not-a-number",
])
def test_a_write_to_something_missing_is_404_and_writes_nothing(matrix_world, case):
    plan = matrix_world.plan
    nowhere = "no-such-plan-" + e.hexid(6)
    method, path, body = {
        "patch-plan": ("PATCH", e.plan_path(nowhere), {"title": "x"}),
        "create-goal": ("POST", e.goal_path(nowhere), {"title": "x"}),
        "create-objective": ("POST", e.objective_path(nowhere), {"goal": "g1", "title": "x"}),
        "put-priorities-of-unknown-plan": ("PUT", e.priorities_path(nowhere, 2030),
                                           e.priorities_body(["o1"])),
        "patch-goal": ("PATCH", e.goal_path(plan, "no-such-goal"), {"title": "x"}),
        "delete-goal": ("DELETE", e.goal_path(plan, "no-such-goal"), None),
        "patch-objective": ("PATCH", e.objective_path(plan, "no-such-objective"),
                            {"title": "x"}),
        "delete-objective": ("DELETE", e.objective_path(plan, "no-such-objective"), None),
        "year-1899": ("PUT", e.priorities_path(plan, 1899), e.priorities_body(["o1"])),
        "year-3000": ("PUT", e.priorities_path(plan, 3000), e.priorities_body(["o1"])),
        "year-not-a-number": ("PUT", e.priorities_path(plan, "20x1"),
                              e.priorities_body(["o1"])),
    }[case]
    before = e.state()
    p.problem(p.call(method, path, ADMIN, body=body), 404, "not-found", path)
    assert e.state() == before


def test_plans_cannot_be_deleted_405_with_allow(matrix_world):
    path = e.plan_path(matrix_world.plan)
    before = e.state()
    r = p.delete(path, ADMIN)
    p.problem(r, 405, "method-not-allowed", path)
    allowed = {t.strip().upper() for t in r.headers.get("Allow", "").split(",")}
    assert {"GET", "PATCH"} <= allowed and "DELETE" not in allowed, r.headers
    assert e.state() == before


@pytest.mark.parametrize("route", ["create-plan", "patch-goal", "put-priorities"])
def test_a_body_not_declared_json_is_415_and_writes_nothing(matrix_world, route):
    method, path, body = write_routes(matrix_world)[route]
    before = e.state()
    r = p.call(method, path, ADMIN, data=json.dumps(body),
               headers={"Content-Type": "text/plain"})
    p.problem(r, 415, "unsupported-media-type", path)
    assert e.state() == before


@pytest.mark.parametrize("route", ["create-plan", "patch-goal", "put-priorities"])
def test_a_body_that_is_not_json_is_400_and_writes_nothing(matrix_world, route):
    method, path, _ = write_routes(matrix_world)[route]
    before = e.state()
    r = p.call(method, path, ADMIN, data=b'{"title": ',
               headers={"Content-Type": "application/json"})
    p.problem(r, 400, "malformed-body", path)
    assert e.state() == before


# --- If-Match ---------------------------------------------------------------------------

IF_MATCH_ROUTES = ["patch-plan", "patch-goal", "delete-goal", "patch-objective",
                   "delete-objective", "put-priorities", "patch-survey"]


def if_match_target(route):
    """A fresh target for route: (method, path, body, key to GET it with)."""
    if route == "patch-survey":
        survey = p.make_survey()
        return "PATCH", "/v1/surveys/" + survey["id"], {"title": "Retitled " + e.hexid(6)}, None
    plan = e.create_plan()["id"]
    if route == "patch-plan":
        return "PATCH", e.plan_path(plan), {"title": "Retitled " + e.hexid(6)}, ADMIN
    e.create_goal(plan, id="g1")
    if route == "patch-goal":
        return "PATCH", e.goal_path(plan, "g1"), {"title": "Retitled " + e.hexid(6)}, ADMIN
    if route == "delete-goal":
        return "DELETE", e.goal_path(plan, "g1"), None, ADMIN
    e.create_objective(plan, "g1", id="o1")
    if route == "patch-objective":
        return ("PATCH", e.objective_path(plan, "o1"), {"title": "Retitled " + e.hexid(6)},
                ADMIN)
    if route == "delete-objective":
        return "DELETE", e.objective_path(plan, "o1"), None, ADMIN
    e.create_objective(plan, "g1", id="o2")
    e.put_priorities(plan, 2030, ["o1"])
    return "PUT", e.priorities_path(plan, 2030), e.priorities_body(["o2", "o1"]), ADMIN


def assert_succeeded(route, r, path, key, old_tag):
    if route.startswith("delete"):
        assert r.status_code == 204 and r.content == b"", (r.status_code, r.content[:300])
        p.problem(p.get(path, key), 404, "not-found", path)
    elif route == "patch-survey":
        doc = p.ok_json(r)
        assert p.ok_json(p.get(path, key))["title"] == doc["title"]
    else:
        e.written(r, 200, path=path, key=key)
        assert r.headers["ETag"] != old_tag


@pytest.mark.parametrize("route", IF_MATCH_ROUTES)
def test_a_stale_or_weak_if_match_is_412_and_a_malformed_one_400_changing_nothing(route):
    """Each refusal on the same target: a stale tag (412 naming the current
    tag), the current tag made weak (weak tags never match: 412), and a
    malformed header (400); the item and every table are as they were."""
    method, path, body, key = if_match_target(route)
    doc, tag = e.fetch(path, key)
    before = e.state()
    r = p.call(method, path, ADMIN, body=body, headers={"If-Match": e.STALE_TAG})
    problem = p.problem(r, 412, "precondition-failed", path)
    assert problem.get("etag") == tag, problem
    assert e.state() == before
    r = p.call(method, path, ADMIN, body=body, headers={"If-Match": "W/" + tag})
    p.problem(r, 412, "precondition-failed", path)
    assert e.state() == before
    r = p.call(method, path, ADMIN, body=body, headers={"If-Match": "not-a-tag"})
    p.problem(r, 400, "invalid-header", path)
    assert e.state() == before
    assert e.fetch(path, key) == (doc, tag)


@pytest.mark.parametrize("route", IF_MATCH_ROUTES)
def test_if_match_star_succeeds(route):
    method, path, body, key = if_match_target(route)
    _, tag = e.fetch(path, key)
    r = p.call(method, path, ADMIN, body=body, headers={"If-Match": "*"})
    assert_succeeded(route, r, path, key, tag)


@pytest.mark.parametrize("route", IF_MATCH_ROUTES)
def test_the_current_tag_succeeds_alone_and_in_a_list(route):
    method, path, body, key = if_match_target(route)
    _, tag = e.fetch(path, key)
    value = e.STALE_TAG + ", " + tag if route.startswith("delete") else tag
    r = p.call(method, path, ADMIN, body=body, headers={"If-Match": value})
    assert_succeeded(route, r, path, key, tag)
    if not route.startswith("delete"):
        # And again with the new tag in a list, on the changed item.
        _, tag = e.fetch(path, key)
        if isinstance(body, dict) and "title" in body:
            body = dict(body, title="Again " + e.hexid(6))
        else:
            body = e.priorities_body(["o1"])
        r = p.call(method, path, ADMIN, body=body,
                   headers={"If-Match": '"%s", %s' % ("f" * 16, tag)})
        assert_succeeded(route, r, path, key, tag)


@pytest.mark.parametrize("value", ['"0123456789abcdef', '0123456789abcdef"',
                                   '"a" "b"', 'W/0123456789abcdef', '"a",,"b" x'],
                         ids=["unterminated", "unopened", "no-comma", "weak-unquoted",
                              "trailing-garbage"])
def test_malformed_if_match_values_are_400(matrix_world, value):
    path, body = e.goal_path(matrix_world.plan, "g1"), {"title": "Never"}
    before = e.state()
    r = p.patch(path, body, ADMIN, headers={"If-Match": value})
    p.problem(r, 400, "invalid-header", path)
    assert e.state() == before


@pytest.mark.parametrize("value", ["*", e.STALE_TAG])
def test_if_match_on_a_year_without_a_list_is_412_and_creates_nothing(matrix_world, value):
    path = e.priorities_path(matrix_world.plan, 2031)
    before = e.state()
    r = e.put(path, e.priorities_body(["o1"]), ADMIN, headers={"If-Match": value})
    p.problem(r, 412, "precondition-failed", path)
    assert e.state() == before
    p.problem(p.get(path, ADMIN), 404, "not-found", path)


# --- plans: POST ------------------------------------------------------------------------

def test_creating_a_plan_answers_201_with_location_etag_and_the_plan_document():
    body = e.plan_body(purpose_statement="Why we plan", mission="What we do",
                       status="adopted", adopted_on=e.PAST,
                       period={"start": 2001, "end": 2005},
                       update_period={"start": 2003, "end": 2004})
    r = p.post("/v1/plans", body, ADMIN)
    doc = e.written(r, 201, location=e.plan_path(body["id"]))
    assert set(doc) == e.PLAN_FIELDS, doc
    assert {k: doc[k] for k in body} == body
    assert (doc["goals"], doc["priorities"]) == ([], [])
    # Adopted: served the same to callers without a key, listed, and not current.
    anonymous = p.get(e.plan_path(body["id"]))
    assert (p.ok_json(anonymous), anonymous.headers.get("ETag")) == (doc, r.headers["ETag"])
    listed = [x for x in p.walk("/v1/plans?limit=200", None) if x["id"] == body["id"]]
    assert listed == [{k: doc[k] for k in e.SUMMARY_FIELDS}]
    assert p.ok_json(p.get("/v1/plans/current"))["id"] == seed.PLAN_ID


def test_a_new_plan_is_a_draft_with_empty_texts_by_default():
    body = e.plan_body()
    doc = e.written(p.post("/v1/plans", body, ADMIN), 201, location=e.plan_path(body["id"]))
    assert (doc["status"], doc["adopted_on"], doc["purpose_statement"], doc["mission"]) == (
        "draft", None, "", "")
    assert {k: doc[k] for k in ("id", "title", "city", "name")} == body


def test_the_longest_allowed_texts_are_accepted():
    longest_id = ("max-" + e.hexid() + "-" + "x" * 100)[:100]
    body = e.plan_body(title="T" * 200, city="C" * 200, name="N" * 200,
                       purpose_statement="P" * 5000, mission="M" * 5000, id=longest_id)
    doc = e.written(p.post("/v1/plans", body, ADMIN), 201, location=e.plan_path(longest_id))
    assert {k: doc[k] for k in body} == body


def test_a_plan_without_an_id_gets_one_derived_from_its_title_then_suffixed():
    tag = "X" + e.hexid(8).upper()
    title = "[Draft] Hello, World: 2030 Plan (%s)!!" % tag
    expected = "draft-hello-world-2030-plan-" + tag.lower()
    made = []
    for suffix in ("", "-2", "-3"):
        r = p.post("/v1/plans", {"title": title, "city": "Testville", "name": "Test"}, ADMIN)
        doc = e.written(r, 201, location=e.plan_path(expected + suffix))
        assert (doc["id"], doc["title"]) == (expected + suffix, title)
        made.append(doc["id"])
    assert len(set(made)) == 3


def test_a_taken_plan_id_is_422_at_id():
    before = e.state()
    r = p.post("/v1/plans", e.plan_body(id=seed.PLAN_ID), ADMIN)
    assert "/id" in p.invalid_body(r, "/v1/plans")
    assert e.error_detail(r, "/id") == "A plan has this id."
    assert e.state() == before


@pytest.mark.parametrize("change, pointer", [
    ({"colour": "red"}, "/colour"),
    ({"goals": []}, "/goals"),
    ({"title": e.DROP}, "/title"),
    ({"city": e.DROP}, "/city"),
    ({"name": e.DROP}, "/name"),
    ({"title": ""}, "/title"),
    ({"title": "x" * 201}, "/title"),
    ({"title": 5}, "/title"),
    ({"city": "x" * 201}, "/city"),
    ({"name": ""}, "/name"),
    ({"id": "Not A Slug"}, "/id"),
    ({"id": "-leading"}, "/id"),
    ({"id": "double--hyphen"}, "/id"),
    ({"id": "a" * 101}, "/id"),
    ({"status": "paused"}, "/status"),
    ({"status": "adopted"}, "/adopted_on"),
    ({"adopted_on": "2021-02-30"}, "/adopted_on"),
    ({"adopted_on": "06/02/2017"}, "/adopted_on"),
    ({"period": {"start": 2010, "end": 2005}}, "/period"),
    ({"period": {"start": 1800, "end": 2005}}, "/period"),
    ({"update_period": {"start": "2001", "end": 2005}}, "/update_period"),
    ({"purpose_statement": "x" * 5001}, "/purpose_statement"),
    ({"mission": "x" * 5001}, "/mission"),
], ids=["unknown-member", "goals-member", "no-title", "no-city", "no-name", "empty-title",
        "long-title", "title-not-text", "long-city", "empty-name", "bad-slug",
        "slug-leading-hyphen", "slug-double-hyphen", "long-slug", "bad-status",
        "adopted-without-date", "impossible-date", "date-not-iso", "period-backwards",
        "period-year-out-of-range", "update-period-year-not-integer", "long-purpose",
        "long-mission"])
def test_a_bad_plan_body_is_422_naming_the_member_and_writes_nothing(change, pointer):
    before = e.state()
    found = p.invalid_body(p.post("/v1/plans", e.plan_body(**change), ADMIN), "/v1/plans")
    assert e.covers(found, pointer), found
    assert e.state() == before


# --- plans: PATCH -----------------------------------------------------------------------

def test_patch_changes_each_member_given_and_keeps_the_others():
    plan = e.create_plan()
    change = {"title": "New title", "city": "New city", "name": "New name",
              "purpose_statement": "New purpose", "mission": "New mission",
              "period": {"start": 2030, "end": 2034},
              "update_period": {"start": 2032, "end": 2033}}
    path = e.plan_path(plan["id"])
    doc = e.written(p.patch(path, change, ADMIN), 200, path=path)
    assert doc == dict(plan, **change)
    doc = e.written(p.patch(path, {"mission": "Only this"}, ADMIN), 200, path=path)
    assert doc == dict(plan, **dict(change, mission="Only this"))


def test_an_empty_patch_changes_nothing_and_records_nothing():
    w = e.build(shape=(1,))
    path = e.plan_path(w.plan)
    doc, tag = e.fetch(path)
    before = e.state()
    r = p.patch(path, {}, ADMIN)
    assert e.written(r, 200, path=path) == doc
    assert r.headers["ETag"] == tag
    assert e.state()["audit_head"] == before["audit_head"]


def test_a_draft_plan_may_change_its_id_and_its_goals_follow():
    w = e.build(shape=(1,))
    old, new = e.plan_path(w.plan), e.plan_path(w.plan + "-renamed")
    doc = e.written(p.patch(old, {"id": w.plan + "-renamed"}, ADMIN), 200, path=new)
    assert doc["id"] == w.plan + "-renamed"
    p.problem(p.get(old, ADMIN), 404, "not-found", old)
    goal, _ = e.fetch(e.goal_path(w.plan + "-renamed", "g1"))
    assert goal["plan"] == w.plan + "-renamed"
    assert [o["plan"] for o in goal["objectives"]] == [w.plan + "-renamed"]


def test_adopting_a_plan_shows_it_to_everyone_and_current_stays_the_newest():
    w = e.build(shape=(1,))
    path = e.plan_path(w.plan)
    p.problem(p.get(path), 404, "not-found", path)
    doc = e.written(p.patch(path, {"status": "adopted", "adopted_on": e.PAST}, ADMIN), 200,
                    path=path)
    assert (doc["status"], doc["adopted_on"]) == ("adopted", e.PAST)
    assert p.ok_json(p.get(path)) == doc
    assert w.plan in e.ids(p.walk("/v1/plans?limit=200", None))
    assert p.ok_json(p.get("/v1/plans/current"))["id"] == seed.PLAN_ID


def test_an_archived_plan_stays_readable_by_everyone():
    w = e.build(shape=(1,), adopted=True)
    path = e.plan_path(w.plan)
    doc = e.written(p.patch(path, {"status": "archived"}, ADMIN), 200, path=path)
    assert doc["status"] == "archived"
    assert p.ok_json(p.get(path)) == doc
    assert p.ok_json(p.get(e.goal_path(w.plan, "g1")))["id"] == "g1"


@pytest.fixture(scope="module")
def adopted_world():
    """An adopted plan (on PAST): g1 with o1."""
    return e.build(shape=(1,), adopted=True)


@pytest.mark.parametrize("change, pointer", [
    ({"id": "changed-after-adoption"}, "/id"),
    ({"status": "draft"}, "/status"),
    ({"adopted_on": None}, "/adopted_on"),
], ids=["id-after-adoption", "back-to-draft", "adopted-without-date"])
def test_an_adopted_plan_keeps_its_id_and_never_goes_back_to_draft(adopted_world, change,
                                                                   pointer):
    w = adopted_world
    path = e.plan_path(w.plan)
    doc, tag = e.fetch(path)
    before = e.state()
    if "id" in change:
        change = {"id": w.plan + "-x"}
    assert pointer in p.invalid_body(p.patch(path, change, ADMIN), path)
    assert e.state() == before
    assert e.fetch(path) == (doc, tag)


def test_an_archived_plan_that_was_adopted_cannot_go_back_to_draft():
    w = e.build(shape=(1,), adopted=True)
    path = e.plan_path(w.plan)
    p.ok_json(p.patch(path, {"status": "archived"}, ADMIN))
    before = e.state()
    assert "/status" in p.invalid_body(p.patch(path, {"status": "draft"}, ADMIN), path)
    assert "/id" in p.invalid_body(p.patch(path, {"id": w.plan + "-x"}, ADMIN), path)
    assert e.state() == before


@pytest.mark.parametrize("change, pointer", [
    ({"colour": "red"}, "/colour"),
    ({"title": ""}, "/title"),
    ({"id": seed.PLAN_ID}, "/id"),
    ({"id": "Bad Slug"}, "/id"),
    ({"status": "paused"}, "/status"),
    ({"status": "adopted"}, "/adopted_on"),
    ({"priorities": []}, "/priorities"),
], ids=["unknown-member", "empty-title", "taken-id", "bad-slug", "bad-status",
        "adopted-without-date", "priorities-member"])
def test_a_bad_plan_patch_is_422_and_changes_nothing(matrix_world, change, pointer):
    path = e.plan_path(matrix_world.plan)
    before = e.state()
    assert pointer in p.invalid_body(p.patch(path, change, ADMIN), path)
    assert e.state() == before


# --- drafts -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def draft():
    """A draft plan: g1 with o1, priorities for 2030."""
    w = e.build(shape=(1,))
    e.put_priorities(w.plan, 2030, ["o1"])
    return w


DRAFT_SUBPATHS = ["", "/goals", "/goals/g1", "/objectives", "/objectives/o1", "/priorities",
                  "/priorities/2030", "/history"]


@pytest.mark.parametrize("sub", DRAFT_SUBPATHS)
def test_a_draft_is_404_to_callers_without_a_key_and_to_partners(draft, keys, sub):
    path = e.plan_path(draft.plan) + sub
    p.problem(p.get(path), 404, "not-found", path)
    p.problem(p.get(path, keys["partner"]), 404, "not-found", path)


@pytest.mark.parametrize("sub", DRAFT_SUBPATHS)
def test_a_draft_is_served_to_admins(draft, sub):
    r = p.get(e.plan_path(draft.plan) + sub, ADMIN)
    p.ok_json(r)
    if sub != "/history":
        assert e.ETAG_RE.match(r.headers.get("ETag", "")), r.headers


def test_drafts_are_listed_for_admins_only(draft, keys):
    assert draft.plan not in e.ids(p.walk("/v1/plans?limit=200", None))
    assert draft.plan not in e.ids(p.walk("/v1/plans?limit=200", keys["partner"]))
    doc, _ = e.fetch(e.plan_path(draft.plan))
    listed = [x for x in p.walk("/v1/plans?limit=200", ADMIN) if x["id"] == draft.plan]
    assert listed == [{k: doc[k] for k in e.SUMMARY_FIELDS}]
    assert seed.PLAN_ID in e.ids(p.walk("/v1/plans?limit=200", ADMIN))


def test_a_draft_is_never_current(draft):
    assert p.ok_json(p.get("/v1/plans/current", ADMIN))["id"] == seed.PLAN_ID


@pytest.mark.parametrize("kind", ["malformed-key", "unknown-key", "revoked-key"])
@pytest.mark.parametrize("path", ["/v1/plans", "/v1/plans/" + seed.PLAN_ID])
def test_a_get_with_an_authorization_that_is_not_a_live_key_is_401(keys, kind, path):
    r = p.get(path, headers={"Authorization": authorization(keys, kind)})
    p.assert_unauthorized(r, token_sent=True)


def test_answers_to_requests_with_a_key_are_private_and_plan_routes_vary_on_it(draft):
    path = e.plan_path(draft.plan)
    r = p.get(path, ADMIN)
    assert r.status_code == 200
    assert r.headers.get("Cache-Control") == "private, no-cache", r.headers
    assert "authorization" in vary(r), r.headers
    public = p.get("/v1/plans/" + seed.PLAN_ID)
    assert public.status_code == 200
    assert "authorization" in vary(public), public.headers


def vary(response):
    return [t.strip().lower() for t in response.headers.get("Vary", "").split(",")]


# --- goals ------------------------------------------------------------------------------

def test_creating_a_goal_answers_201_with_location_etag_and_the_goal():
    w = e.build(shape=(0, 0))
    body = {"id": "parks", "title": "Parks", "statement": "Green spaces for all"}
    r = p.post(e.goal_path(w.plan), body, ADMIN)
    doc = e.written(r, 201, location=e.goal_path(w.plan, "parks"))
    assert doc == {"id": "parks", "plan": w.plan, "position": 3, "title": "Parks",
                   "statement": "Green spaces for all", "status": "active", "objectives": []}
    plan, _ = e.fetch(e.plan_path(w.plan))
    assert e.ids(plan["goals"]) == ["g1", "g2", "parks"]
    assert plan["goals"][2] == doc


def test_a_goal_without_an_id_gets_one_from_its_title_then_suffixed_and_defaults():
    w = e.build(shape=())
    title = "Safe Streets & Parks!"
    first = e.written(p.post(e.goal_path(w.plan), {"title": title}, ADMIN), 201,
                      location=e.goal_path(w.plan, "safe-streets-parks"))
    assert (first["id"], first["statement"], first["status"], first["position"]) == (
        "safe-streets-parks", "", "active", 1)
    second = e.written(p.post(e.goal_path(w.plan), {"title": title}, ADMIN), 201,
                       location=e.goal_path(w.plan, "safe-streets-parks-2"))
    assert (second["id"], second["position"]) == ("safe-streets-parks-2", 2)


def test_the_same_goal_id_may_be_used_by_two_plans():
    one, two = e.build(shape=(0,)), e.build(shape=(0,))
    assert e.create_goal(one.plan, id="shared")["id"] == "shared"
    assert e.create_goal(two.plan, id="shared")["id"] == "shared"


def test_a_taken_goal_id_is_422_at_id():
    w = e.build(shape=(0,))
    before = e.state()
    r = p.post(e.goal_path(w.plan), {"id": "g1", "title": "Again"}, ADMIN)
    assert "/id" in p.invalid_body(r, e.goal_path(w.plan))
    assert e.error_detail(r, "/id") == "A goal of this plan has this id."
    assert e.state() == before


def goal_order(plan):
    items = p.ok_json(p.get(e.goal_path(plan) + "?limit=200", ADMIN))["items"]
    return [(g["id"], g["position"]) for g in items]


def test_a_goal_created_at_a_position_shifts_the_others_down():
    w = e.build(shape=(0, 0, 0))
    doc = e.written(p.post(e.goal_path(w.plan), {"id": "first", "title": "First",
                                                 "position": 1}, ADMIN), 201,
                    location=e.goal_path(w.plan, "first"))
    assert doc["position"] == 1
    assert goal_order(w.plan) == [("first", 1), ("g1", 2), ("g2", 3), ("g3", 4)]
    e.create_goal(w.plan, id="middle", position=3)
    assert goal_order(w.plan) == [("first", 1), ("g1", 2), ("middle", 3), ("g2", 4),
                                  ("g3", 5)]
    assert e.fetch(e.goal_path(w.plan, "g3"))[0]["position"] == 5


def test_moving_a_goal_shifts_the_goals_between():
    w = e.build(shape=(0, 0, 0))
    path = e.goal_path(w.plan, "g3")
    doc = e.written(p.patch(path, {"position": 1}, ADMIN), 200, path=path)
    assert doc["position"] == 1
    assert goal_order(w.plan) == [("g3", 1), ("g1", 2), ("g2", 3)]
    path = e.goal_path(w.plan, "g1")
    e.written(p.patch(path, {"position": 3}, ADMIN), 200, path=path)
    assert goal_order(w.plan) == [("g3", 1), ("g2", 2), ("g1", 3)]
    plan, _ = e.fetch(e.plan_path(w.plan))
    assert [(g["id"], g["position"]) for g in plan["goals"]] == goal_order(w.plan)


def test_patching_a_goal_changes_its_title_and_statement_everywhere():
    w = e.build(shape=(1,))
    path = e.goal_path(w.plan, "g1")
    old, _ = e.fetch(path)
    doc = e.written(p.patch(path, {"title": "Renamed", "statement": "Restated"}, ADMIN), 200,
                    path=path)
    assert doc == dict(old, title="Renamed", statement="Restated")
    plan, _ = e.fetch(e.plan_path(w.plan))
    assert plan["goals"] == [doc]


def test_a_goal_of_a_draft_may_change_its_id_and_its_objectives_follow():
    w = e.build(shape=(2,))
    old, new = e.goal_path(w.plan, "g1"), e.goal_path(w.plan, "renamed")
    doc = e.written(p.patch(old, {"id": "renamed"}, ADMIN), 200, path=new)
    assert doc["id"] == "renamed"
    assert [o["goal"] for o in doc["objectives"]] == ["renamed", "renamed"]
    assert e.fetch(e.objective_path(w.plan, "o1"))[0]["goal"] == "renamed"
    p.problem(p.get(old, ADMIN), 404, "not-found", old)


def test_a_goal_of_an_adopted_plan_keeps_its_id(adopted_world):
    w = adopted_world
    path = e.goal_path(w.plan, "g1")
    before = e.state()
    assert "/id" in p.invalid_body(p.patch(path, {"id": "renamed"}, ADMIN), path)
    assert e.state() == before
    # Other members still change.
    assert e.written(p.patch(path, {"title": "Still editable"}, ADMIN), 200,
                     path=path)["title"] == "Still editable"


def test_an_archived_goal_leaves_the_plan_document_but_stays_readable():
    w = e.build(shape=(1, 1))
    path = e.goal_path(w.plan, "g1")
    doc = e.written(p.patch(path, {"status": "archived"}, ADMIN), 200, path=path)
    assert doc["status"] == "archived"
    plan, _ = e.fetch(e.plan_path(w.plan))
    assert e.ids(plan["goals"]) == ["g2"]
    listed = {g["id"]: g for g in p.ok_json(p.get(e.goal_path(w.plan), ADMIN))["items"]}
    assert {g: x["status"] for g, x in listed.items()} == {"g1": "archived", "g2": "active"}
    assert listed["g1"] == doc
    assert e.fetch(e.objective_path(w.plan, "o1"))[0]["goal"] == "g1"
    # And back.
    e.written(p.patch(path, {"status": "active"}, ADMIN), 200, path=path)
    assert sorted(e.ids(e.fetch(e.plan_path(w.plan))[0]["goals"])) == ["g1", "g2"]


def test_deleting_a_goal_without_objectives_is_204_and_it_is_gone():
    w = e.build(shape=(1, 0))
    path = e.goal_path(w.plan, "g2")
    r = p.delete(path, ADMIN)
    assert r.status_code == 204 and r.content == b"", (r.status_code, r.content[:300])
    p.problem(p.get(path, ADMIN), 404, "not-found", path)
    assert [g for g, _ in goal_order(w.plan)] == ["g1"]


def test_deleting_a_goal_with_objectives_is_409_naming_them_and_deletes_nothing():
    w = e.build(shape=(2, 1))
    path = e.goal_path(w.plan, "g1")
    before = e.state()
    problem = p.problem(p.delete(path, ADMIN), 409, "in-use", path)
    assert sorted(problem["referenced_by"], key=lambda x: x["path"]) == [
        {"type": "objective", "path": e.objective_path(w.plan, "o1")},
        {"type": "objective", "path": e.objective_path(w.plan, "o2")}]
    assert e.state() == before
    assert e.fetch(path)[0]["id"] == "g1"


def test_deleting_a_goal_whose_objectives_are_archived_is_409_too():
    w = e.build(shape=(1,))
    p.ok_json(p.patch(e.objective_path(w.plan, "o1"), {"status": "archived"}, ADMIN))
    path = e.goal_path(w.plan, "g1")
    before = e.state()
    problem = p.problem(p.delete(path, ADMIN), 409, "in-use", path)
    assert problem["referenced_by"] == [{"type": "objective",
                                         "path": e.objective_path(w.plan, "o1")}]
    assert e.state() == before


@pytest.fixture(scope="module")
def two_goals():
    return e.build(shape=(0, 0))


@pytest.mark.parametrize("body, pointer", [
    ({}, "/title"),
    ({"title": ""}, "/title"),
    ({"title": "x" * 201}, "/title"),
    ({"title": "T", "statement": "x" * 2001}, "/statement"),
    ({"title": "T", "id": "Bad Id"}, "/id"),
    ({"title": "T", "position": 0}, "/position"),
    ({"title": "T", "position": 4}, "/position"),
    ({"title": "T", "position": "1"}, "/position"),
    ({"title": "T", "position": 1.5}, "/position"),
    ({"title": "T", "status": "deleted"}, "/status"),
    ({"title": "T", "colour": "red"}, "/colour"),
    ({"title": "T", "objectives": []}, "/objectives"),
    ({"title": "T", "plan": "elsewhere"}, "/plan"),
], ids=["no-title", "empty-title", "long-title", "long-statement", "bad-slug", "position-0",
        "position-past-n+1", "position-text", "position-fraction", "bad-status",
        "unknown-member", "objectives-member", "plan-member"])
def test_a_bad_goal_body_is_422_naming_the_member_and_writes_nothing(two_goals, body,
                                                                     pointer):
    path = e.goal_path(two_goals.plan)
    before = e.state()
    assert e.covers(p.invalid_body(p.post(path, body, ADMIN), path), pointer)
    assert e.state() == before


@pytest.mark.parametrize("body, pointer", [
    ({"position": 3}, "/position"),
    ({"position": 0}, "/position"),
    ({"id": "g2"}, "/id"),
    ({"id": "Bad Id"}, "/id"),
    ({"title": ""}, "/title"),
    ({"status": "gone"}, "/status"),
    ({"colour": "red"}, "/colour"),
], ids=["position-past-n", "position-0", "taken-id", "bad-slug", "empty-title",
        "bad-status", "unknown-member"])
def test_a_bad_goal_patch_is_422_and_changes_nothing(two_goals, body, pointer):
    path = e.goal_path(two_goals.plan, "g1")
    before = e.state()
    assert e.covers(p.invalid_body(p.patch(path, body, ADMIN), path), pointer)
    assert e.state() == before


# --- objectives -------------------------------------------------------------------------

def objective_order(plan):
    items = p.ok_json(p.get(e.objective_path(plan) + "?limit=200", ADMIN))["items"]
    return [(o["id"], o["goal"], o["position"]) for o in items]


def test_creating_an_objective_puts_it_after_the_last_of_its_goal_by_default():
    w = e.build(shape=(2, 1))
    body = {"goal": "g1", "id": "new", "title": "A new objective"}
    r = p.post(e.objective_path(w.plan), body, ADMIN)
    doc = e.written(r, 201, location=e.objective_path(w.plan, "new"))
    assert doc == {"id": "new", "plan": w.plan, "goal": "g1", "position": 3,
                   "title": "A new objective", "status": "active"}
    assert objective_order(w.plan) == [("o1", "g1", 1), ("o2", "g1", 2), ("new", "g1", 3),
                                       ("o3", "g2", 4)]
    goal, _ = e.fetch(e.goal_path(w.plan, "g1"))
    assert goal["objectives"][2] == doc
    plan, _ = e.fetch(e.plan_path(w.plan))
    assert [e.ids(g["objectives"]) for g in plan["goals"]] == [["o1", "o2", "new"], ["o3"]]


def test_an_objective_created_at_a_position_shifts_the_others_down():
    w = e.build(shape=(2, 1))
    doc = e.written(p.post(e.objective_path(w.plan),
                           {"goal": "g1", "id": "first", "title": "First", "position": 1},
                           ADMIN), 201, location=e.objective_path(w.plan, "first"))
    assert doc["position"] == 1
    assert objective_order(w.plan) == [("first", "g1", 1), ("o1", "g1", 2), ("o2", "g1", 3),
                                       ("o3", "g2", 4)]


def test_an_objective_without_an_id_gets_one_from_its_title_then_suffixed():
    w = e.build(shape=(0,))
    title = "Fix the Roads, Now!"
    first = e.written(p.post(e.objective_path(w.plan), {"goal": "g1", "title": title}, ADMIN),
                      201, location=e.objective_path(w.plan, "fix-the-roads-now"))
    second = e.written(p.post(e.objective_path(w.plan), {"goal": "g1", "title": title},
                              ADMIN), 201,
                       location=e.objective_path(w.plan, "fix-the-roads-now-2"))
    assert (first["id"], second["id"]) == ("fix-the-roads-now", "fix-the-roads-now-2")
    assert (first["status"], first["position"], second["position"]) == ("active", 1, 2)


def test_a_taken_objective_id_is_422_at_id_even_under_another_goal():
    w = e.build(shape=(1, 0))
    path = e.objective_path(w.plan)
    before = e.state()
    assert "/id" in p.invalid_body(p.post(path, {"goal": "g2", "id": "o1", "title": "T"},
                                          ADMIN), path)
    assert e.state() == before


def test_moving_an_objective_to_another_goal_puts_it_after_that_goals_last():
    w = e.build(shape=(2, 1))
    path = e.objective_path(w.plan, "o1")
    doc = e.written(p.patch(path, {"goal": "g2"}, ADMIN), 200, path=path)
    assert (doc["goal"], doc["position"]) == ("g2", 3)
    assert objective_order(w.plan) == [("o2", "g1", 1), ("o3", "g2", 2), ("o1", "g2", 3)]
    assert e.ids(e.fetch(e.goal_path(w.plan, "g1"))[0]["objectives"]) == ["o2"]
    assert e.ids(e.fetch(e.goal_path(w.plan, "g2"))[0]["objectives"]) == ["o3", "o1"]
    plan, _ = e.fetch(e.plan_path(w.plan))
    assert [e.ids(g["objectives"]) for g in plan["goals"]] == [["o2"], ["o3", "o1"]]


def test_moving_an_objective_within_its_goal_shifts_the_others():
    w = e.build(shape=(3, 1))
    path = e.objective_path(w.plan, "o3")
    doc = e.written(p.patch(path, {"position": 1}, ADMIN), 200, path=path)
    assert doc["position"] == 1
    assert objective_order(w.plan) == [("o3", "g1", 1), ("o1", "g1", 2), ("o2", "g1", 3),
                                       ("o4", "g2", 4)]


def test_patching_an_objective_title_changes_it_in_its_goal_and_the_plan():
    w = e.build(shape=(1,))
    path = e.objective_path(w.plan, "o1")
    old, _ = e.fetch(path)
    doc = e.written(p.patch(path, {"title": "Retitled"}, ADMIN), 200, path=path)
    assert doc == dict(old, title="Retitled")
    assert e.fetch(e.goal_path(w.plan, "g1"))[0]["objectives"] == [doc]
    assert e.fetch(e.plan_path(w.plan))[0]["goals"][0]["objectives"] == [doc]


def test_an_objective_of_an_adopted_plan_keeps_its_id(adopted_world):
    w = adopted_world
    path = e.objective_path(w.plan, "o1")
    before = e.state()
    assert "/id" in p.invalid_body(p.patch(path, {"id": "renamed"}, ADMIN), path)
    assert e.state() == before


def test_an_archived_objective_stays_readable_and_in_the_priorities_naming_it():
    w = e.build(shape=(2,))
    e.put_priorities(w.plan, 2030, ["o2", "o1"])
    priorities_before, _ = e.fetch(e.priorities_path(w.plan, 2030))
    path = e.objective_path(w.plan, "o1")
    doc = e.written(p.patch(path, {"status": "archived"}, ADMIN), 200, path=path)
    assert doc["status"] == "archived"
    goal, _ = e.fetch(e.goal_path(w.plan, "g1"))
    assert e.ids(goal["objectives"]) == ["o2"]
    plan, _ = e.fetch(e.plan_path(w.plan))
    assert e.ids(plan["goals"][0]["objectives"]) == ["o2"]
    listed = {o["id"]: o for o in
              p.ok_json(p.get(e.objective_path(w.plan) + "?limit=200", ADMIN))["items"]}
    assert {o: x["status"] for o, x in listed.items()} == {"o1": "archived", "o2": "active"}
    assert listed["o1"] == doc
    by_goal = p.ok_json(p.get(e.objective_path(w.plan) + "?goal=g1", ADMIN))["items"]
    assert sorted(e.ids(by_goal)) == ["o1", "o2"]
    priorities, _ = e.fetch(e.priorities_path(w.plan, 2030))
    assert priorities == priorities_before
    assert [x["objective"]["id"] for x in priorities["items"]] == ["o2", "o1"]
    assert plan["priorities"] == [priorities]


def test_deleting_an_unreferenced_objective_is_204_and_it_is_gone():
    w = e.build(shape=(2,))
    path = e.objective_path(w.plan, "o2")
    r = p.delete(path, ADMIN)
    assert r.status_code == 204 and r.content == b"", (r.status_code, r.content[:300])
    p.problem(p.get(path, ADMIN), 404, "not-found", path)
    assert e.ids(e.fetch(e.goal_path(w.plan, "g1"))[0]["objectives"]) == ["o1"]


def test_deleting_an_objective_named_by_priorities_is_409_with_the_rank():
    w = e.build(shape=(3,))
    e.put_priorities(w.plan, 2030, ["o3", "o2"])
    path = e.objective_path(w.plan, "o2")
    before = e.state()
    problem = p.problem(p.delete(path, ADMIN), 409, "in-use", path)
    assert problem["referenced_by"] == [
        {"type": "priorities", "path": e.priorities_path(w.plan, 2030), "rank": 2}]
    assert e.state() == before
    assert e.fetch(path)[0]["status"] == "active"


def objectives_survey(plan, **overrides):
    """An open survey of plan with one objectives question ("top", one choice)."""
    return p.make_survey(plan=plan, questions=[
        {"id": "top", "prompt": "Your top priority?", "type": "objectives", "min": 1,
         "max": 1}], **overrides)


def test_deleting_an_objective_named_by_survey_responses_is_409_with_their_count():
    w = e.build(shape=(2,), adopted=True)
    survey = objectives_survey(w.plan)
    partner = p.create_key()
    for _ in range(2):
        p.submit_ok(survey["id"], {"external_id": "ext-" + e.hexid(),
                                   "answers": {"top": ["o1"]}}, partner["key"])
    p.patch_survey(survey["id"], {"status": "closed"})
    path = e.objective_path(w.plan, "o1")
    before = e.state()
    problem = p.problem(p.delete(path, ADMIN), 409, "in-use", path)
    assert problem["referenced_by"] == [
        {"type": "responses", "survey": "/v1/surveys/" + survey["id"], "count": 2}]
    assert e.state() == before
    # A closed survey holds back only the objectives its responses chose.
    r = p.delete(e.objective_path(w.plan, "o2"), ADMIN)
    assert r.status_code == 204, (r.status_code, r.content[:300])


def test_deleting_an_objective_while_an_open_survey_asks_for_objectives_is_409():
    w = e.build(shape=(2,), adopted=True)
    survey = objectives_survey(w.plan)
    path = e.objective_path(w.plan, "o2")
    before = e.state()
    problem = p.problem(p.delete(path, ADMIN), 409, "in-use", path)
    assert problem["referenced_by"] == [
        {"type": "open-survey", "survey": "/v1/surveys/" + survey["id"]}]
    assert e.state() == before


def test_new_responses_cannot_choose_an_archived_objective_but_tallies_keep_it():
    w = e.build(shape=(2,), adopted=True)
    survey = objectives_survey(w.plan)
    partner = p.create_key()
    p.submit_ok(survey["id"], {"external_id": "ext-" + e.hexid(), "answers": {"top": ["o1"]}},
                partner["key"])
    p.ok_json(p.patch(e.objective_path(w.plan, "o1"), {"status": "archived"}, ADMIN))
    r = p.submit(survey["id"], {"external_id": "ext-" + e.hexid(), "answers": {"top": ["o1"]}},
                 partner["key"])
    assert "/answers/top/0" in p.invalid_body(r, p.responses_path(survey["id"]))
    p.submit_ok(survey["id"], {"external_id": "ext-" + e.hexid(), "answers": {"top": ["o2"]}},
                partner["key"])
    top = p.question_tally(p.tallies(survey["id"]), "top")
    votes = {x["id"]: x["votes"] for x in top["objectives"]}
    assert (votes.get("o1"), votes.get("o2")) == (1, 1), top


@pytest.fixture(scope="module")
def objectives_world():
    """g1: o1, o2; g2: o3; g3 empty."""
    return e.build(shape=(2, 1, 0))


@pytest.mark.parametrize("body, pointer", [
    ({"title": "T"}, "/goal"),
    ({"goal": "no-such-goal", "title": "T"}, "/goal"),
    ({"goal": 1, "title": "T"}, "/goal"),
    ({"goal": "g1"}, "/title"),
    ({"goal": "g1", "title": ""}, "/title"),
    ({"goal": "g1", "title": "x" * 301}, "/title"),
    ({"goal": "g1", "title": "T", "id": "Bad Id"}, "/id"),
    ({"goal": "g1", "title": "T", "id": "o3"}, "/id"),
    ({"goal": "g1", "title": "T", "position": 0}, "/position"),
    ({"goal": "g1", "title": "T", "position": 5}, "/position"),
    ({"goal": "g1", "title": "T", "status": "done"}, "/status"),
    ({"goal": "g1", "title": "T", "colour": "red"}, "/colour"),
    ({"goal": "g1", "title": "T", "plan": "elsewhere"}, "/plan"),
], ids=["no-goal", "unknown-goal", "goal-not-text", "no-title", "empty-title", "long-title",
        "bad-slug", "taken-id", "position-0", "position-past-n+1", "bad-status",
        "unknown-member", "plan-member"])
def test_a_bad_objective_body_is_422_naming_the_member_and_writes_nothing(
        objectives_world, body, pointer):
    path = e.objective_path(objectives_world.plan)
    before = e.state()
    assert e.covers(p.invalid_body(p.post(path, body, ADMIN), path), pointer)
    assert e.state() == before


def test_an_objective_goal_must_be_of_the_same_plan(objectives_world):
    path = e.objective_path(objectives_world.plan)
    before = e.state()
    r = p.post(path, {"goal": "quality", "title": "Borrowed goal"}, ADMIN)  # a seed goal
    assert "/goal" in p.invalid_body(r, path)
    assert e.state() == before


@pytest.mark.parametrize("body, pointer", [
    ({"goal": "no-such-goal"}, "/goal"),
    ({"position": 4}, "/position"),
    ({"position": 0}, "/position"),
    ({"id": "o2"}, "/id"),
    ({"title": "x" * 301}, "/title"),
    ({"status": "done"}, "/status"),
    ({"colour": "red"}, "/colour"),
], ids=["unknown-goal", "position-past-n", "position-0", "taken-id", "long-title",
        "bad-status", "unknown-member"])
def test_a_bad_objective_patch_is_422_and_changes_nothing(objectives_world, body, pointer):
    path = e.objective_path(objectives_world.plan, "o1")
    before = e.state()
    assert e.covers(p.invalid_body(p.patch(path, body, ADMIN), path), pointer)
    assert e.state() == before


# --- priorities -------------------------------------------------------------------------

def test_putting_a_new_years_priorities_is_201_with_location_and_the_list():
    w = e.build(shape=(2, 2))
    path = e.priorities_path(w.plan, 2030)
    r = e.put(path, e.priorities_body(["o3", "o1", "o4"]), ADMIN)
    doc = e.written(r, 201, location=path)
    assert set(doc) == e.PRIORITY_LIST_FIELDS
    assert doc == e.expected_priorities(w.plan, 2030, ["o3", "o1", "o4"])
    plan, _ = e.fetch(e.plan_path(w.plan))
    assert plan["priorities"] == [doc]
    listed = p.ok_json(p.get(e.plan_path(w.plan) + "/priorities?year=2030", ADMIN))["items"]
    assert listed == doc["items"]


def test_putting_priorities_again_replaces_the_list_with_200():
    w = e.build(shape=(3,))
    path = e.priorities_path(w.plan, 2030)
    e.put_priorities(w.plan, 2030, ["o1", "o2"])
    r = e.put(path, e.priorities_body(["o3"], decided_on="2030-03-01",
                                      decided_by="Mayor and Council"), ADMIN)
    doc = e.written(r, 200, path=path)
    assert doc == e.expected_priorities(w.plan, 2030, ["o3"], "2030-03-01",
                                        "Mayor and Council")


def test_each_year_has_its_own_list():
    w = e.build(shape=(2,))
    one = e.put_priorities(w.plan, 2030, ["o1"])
    two = e.put_priorities(w.plan, 2031, ["o2", "o1"])
    plan, _ = e.fetch(e.plan_path(w.plan))
    assert sorted(plan["priorities"], key=lambda x: x["year"]) == [one, two]
    assert e.fetch(e.priorities_path(w.plan, 2030))[0] == one


def test_a_year_without_a_list_is_404():
    w = e.build(shape=(1,))
    path = e.priorities_path(w.plan, 2030)
    p.problem(p.get(path, ADMIN), 404, "not-found", path)


def test_if_none_match_star_creates_but_never_replaces():
    w = e.build(shape=(2,))
    path = e.priorities_path(w.plan, 2030)
    r = e.put(path, e.priorities_body(["o1"]), ADMIN, headers={"If-None-Match": "*"})
    doc = e.written(r, 201, location=path)
    before = e.state()
    r = e.put(path, e.priorities_body(["o2"]), ADMIN, headers={"If-None-Match": "*"})
    p.problem(r, 412, "precondition-failed", path)
    assert e.state() == before
    assert e.fetch(path)[0] == doc


def test_a_new_priorities_list_has_a_strong_etag_and_answers_304():
    w = e.build(shape=(1,))
    path = e.priorities_path(w.plan, 2030)
    e.put_priorities(w.plan, 2030, ["o1"])
    _, tag = e.fetch(path)
    r = p.get(path, ADMIN, headers={"If-None-Match": tag})
    assert r.status_code == 304, (r.status_code, r.content[:300])


@pytest.fixture(scope="module")
def priorities_world():
    """g1: o1, o2, o3, o4 (archived); and a list for 2030."""
    w = e.build(shape=(4,))
    p.ok_json(p.patch(e.objective_path(w.plan, "o4"), {"status": "archived"}, ADMIN))
    e.put_priorities(w.plan, 2030, ["o1"])
    return w


@pytest.mark.parametrize("change, pointer", [
    ({"decided_on": e.DROP}, "/decided_on"),
    ({"decided_on": "2030-02-30"}, "/decided_on"),
    ({"decided_on": "15 January 2030"}, "/decided_on"),
    ({"decided_by": e.DROP}, "/decided_by"),
    ({"decided_by": ""}, "/decided_by"),
    ({"decided_by": "x" * 201}, "/decided_by"),
    ({"objectives": e.DROP}, "/objectives"),
    ({"objectives": []}, "/objectives"),
    ({"objectives": "o1"}, "/objectives"),
    ({"objectives": ["o%d" % i for i in range(1, 52)]}, "/objectives"),
    ({"objectives": ["o1", "o2", "nope"]}, "/objectives/2"),
    ({"objectives": ["o1", "o2", "o4"]}, "/objectives/2"),
    ({"objectives": ["o1", "o2", "o1"]}, "/objectives/2"),
    ({"objectives": ["o1", "o2", "reduce-blight"]}, "/objectives/2"),
    ({"objectives": ["o1", "o2", 3]}, "/objectives/2"),
    ({"colour": "red"}, "/colour"),
    ({"year": 2030}, "/year"),
], ids=["no-decided_on", "impossible-date", "date-not-iso", "no-decided_by",
        "empty-decided_by", "long-decided_by", "no-objectives", "no-objective",
        "objectives-not-an-array", "51-objectives", "unknown-objective",
        "archived-objective", "duplicate-objective", "objective-of-another-plan",
        "objective-not-text", "unknown-member", "year-member"])
def test_a_bad_priorities_body_is_422_naming_the_fault_and_writes_nothing(
        priorities_world, change, pointer):
    path = e.priorities_path(priorities_world.plan, 2030)
    body = {k: v for k, v in dict(e.priorities_body(["o1", "o2"]), **change).items()
            if v is not e.DROP}
    before = e.state()
    found = p.invalid_body(e.put(path, body, ADMIN), path)
    assert pointer in found, found
    assert e.state() == before


@pytest.mark.parametrize("third", ["nope", "o4", "o1"],
                         ids=["unknown-objective", "archived-objective", "duplicate-objective"])
def test_a_bad_new_years_list_is_422_and_creates_nothing(priorities_world, third):
    path = e.priorities_path(priorities_world.plan, 2032)
    before = e.state()
    found = p.invalid_body(e.put(path, e.priorities_body(["o1", "o2", third]), ADMIN), path)
    assert "/objectives/2" in found, found
    assert e.state() == before
    p.problem(p.get(path, ADMIN), 404, "not-found", path)


# --- every worker ------------------------------------------------------------------------

def test_a_write_changes_the_plan_document_and_its_etag_on_every_worker_within_a_second():
    """Written on each worker in turn (a connection of its own): the worker
    that took the write serves the new document and tag on its next
    request, and every other worker within 1 s of the write (README:
    Freshness), measured by polling each worker (waiting.Staleness) from
    the moment the write was sent."""
    w = e.build(shape=(1,), adopted=True)
    path = e.plan_path(w.plan)
    p.every_worker_serves(path, lambda got: got.status_code == 200, time.monotonic())
    for writer in p.each_worker():
        old = writer.request("GET", path)
        assert old.status_code == 200, old
        t0 = time.monotonic()   # the write commits after this, and before its answer
        r = writer.request("PATCH", path, body={"mission": "Mission " + e.hexid()},
                           key=ADMIN)
        doc, tag = p.ok_json(r), r.headers.get("ETag")
        assert tag != old.headers.get("ETag")
        seen = p.every_worker_serves(
            path, lambda got: (got.status_code == 200 and got.headers.get("ETag") == tag
                               and got.json() == doc), t0,
            what="the new plan document on every worker")
        assert seen[writer.pid].polls == 1, (
            "the worker that took the write served the old document: %r" % seen[writer.pid])
        p.assert_fresh_within(seen, 1.0, "the plan document after a write")


# --- found in review: surveys of drafts, renames, long If-Match lists, tallies' tag ----

def test_a_survey_on_a_draft_plan_is_422_at_plan_and_nothing_is_written():
    w = e.build(shape=(1,))
    before = p.db_fingerprint()
    r = p.post("/v1/surveys", p.survey_body(plan=w.plan), ADMIN)
    assert e.covers(p.invalid_body(r, "/v1/surveys"), "/plan"), r.content[:300]
    assert p.db_fingerprint() == before


def test_renaming_an_objective_an_open_survey_may_name_is_409():
    # Archived straight from draft, the plan was never adopted: its ids may
    # change, but not one that answers may name.
    w = e.build(shape=(2,), status="archived")
    survey = objectives_survey(w.plan)
    path = e.objective_path(w.plan, "o1")
    before = e.state()
    problem = p.problem(p.patch(path, {"id": "o1-renamed"}, ADMIN), 409, "in-use", path)
    assert problem["referenced_by"] == [
        {"type": "open-survey", "survey": "/v1/surveys/" + survey["id"]}]
    assert e.state() == before
    # Its title can change.
    r = p.patch(path, {"title": "Retitled"}, ADMIN)
    assert r.status_code == 200, (r.status_code, r.content[:300])


def test_an_if_match_list_longer_than_the_service_compares_is_a_400():
    w = e.build(shape=(1,))
    path = e.goal_path(w.plan, "g1")
    _, etag = e.fetch(path)
    tags = ", ".join(['"%016x"' % i for i in range(40)] + [etag])
    before = e.state()
    p.problem(p.patch(path, {"title": "x"}, ADMIN, headers={"If-Match": tags}), 400,
              "invalid-header", path)
    assert e.state() == before


def test_the_tallies_etag_changes_when_the_plan_gains_an_objective():
    w = e.build(shape=(1,), adopted=True)
    survey = objectives_survey(w.plan)
    path = "/v1/surveys/%s/tallies" % survey["id"]
    first = p.get(path)
    assert first.status_code == 200
    e.create_objective(w.plan, "g1", id="o-new", title="New objective")
    doc = e.wait_for(lambda: p.get(path).json(),
                     lambda d: "o-new" in json.dumps(d), "the new objective in the tallies")
    r = p.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert r.status_code == 200 and r.headers["ETag"] != first.headers["ETag"], doc

"""The audit log and plan history (issue 4): every change to plans, goals,
objectives, priorities, surveys, keys and response voids is recorded in the
same transaction as the change, with the key that made it and the request id
(a refused write records nothing); changes made with plain SQL are recorded
too, row by row, with actor type "database". GET /v1/audit (admins):
newest first, filters, cursor pages. GET /v1/plans/{plan}/history (public,
drafts for admins only): the same entries of one plan, without the actor.

This module runs first of the suite (file names in order): the plans it
makes are drafts, or adopted on 2001-01-01 so that /v1/plans/current stays
the seed plan, and it waits at its end until every worker serves its last
write."""

import datetime
import json
import urllib.parse

import pytest

import partners as p
import plan_edits as e
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

pytestmark = p.needs_harness

ADMIN = e.ADMIN
PLAN_RESOURCES = {"plan", "goal", "objective", "priorities"}


@pytest.fixture(scope="module", autouse=True)
def settle_workers():
    yield
    e.settle()


@pytest.fixture(scope="module")
def partner():
    return p.create_key()


@pytest.fixture(scope="module")
def harness_admin():
    """The harness's admin key as GET /v1/keys lists it."""
    found = [k for k in p.all_keys() if k["prefix"] == ADMIN[:len(k["prefix"])]
             and k["role"] == "admin"]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="module")
def auditor():
    """An admin key made over the API, with a name of its own."""
    return p.create_key("admin", name="auditor " + e.hexid(6))


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def query(**params):
    return urllib.parse.urlencode(params)


def plan_part(doc):
    """A plan as audit entries show it: the document without goals and priorities."""
    return e.without(doc, "goals", "priorities")


def assert_entry(entry):
    """The shape every audit entry has."""
    assert set(entry) == e.AUDIT_FIELDS, entry
    assert isinstance(entry["id"], int) and not isinstance(entry["id"], bool), entry
    assert isinstance(entry["at"], str) and e.UTC_TIME_RE.match(entry["at"]), entry
    # A UTC time of this test run (the database runs on this machine's
    # clock): not in the future, not from another day.
    now = datetime.datetime.now(datetime.timezone.utc)
    at = parse_time(entry["at"])
    assert now - datetime.timedelta(days=1) < at <= now + datetime.timedelta(seconds=1), (
        entry["at"], now)
    assert entry["resource"] in e.RESOURCES, entry
    assert entry["action"] in ("create", "update", "delete"), entry
    # Null only for a row changed outside the API whose path cannot be told
    # any more (OpenAPI: AuditEntry.path), e.g. a survey's questions deleted
    # in psql with the survey, as the tests' clean-up does.
    assert (isinstance(entry["path"], str) and entry["path"].startswith("/v1/")) or (
        entry["path"] is None and entry["actor"]["type"] == "database"), entry
    assert entry["request_id"] is None or isinstance(entry["request_id"], str), entry
    assert entry["before"] is None or isinstance(entry["before"], dict), entry
    assert entry["after"] is None or isinstance(entry["after"], dict), entry


def key_actor(record):
    return {"type": "key", "key": record["id"], "name": record["name"]}


# --- who may read the log ----------------------------------------------------------------

@pytest.mark.parametrize("kind", ["no-key", "malformed-key", "unknown-key", "partner-key"])
def test_the_audit_log_is_for_admins_only(partner, kind):
    value = {"no-key": None, "malformed-key": "Bearer not-a-key",
             "unknown-key": "Bearer " + e.unknown_key(),
             "partner-key": "Bearer " + partner["key"]}[kind]
    r = p.get("/v1/audit", headers={"Authorization": value} if value else {})
    if kind == "partner-key":
        p.problem(r, 403, "forbidden", "/v1/audit")
    else:
        p.assert_unauthorized(r, token_sent=value is not None)
        if value is None:
            p.assert_bare_challenge(r)


def test_the_audit_log_is_a_collection_with_limit_50_by_default():
    e.create_plan()
    body = e.audit_page()
    assert set(body) == {"items", "limit", "next_cursor", "next"}, body
    assert body["limit"] == 50 and 1 <= len(body["items"]) <= 50
    for entry in body["items"]:
        assert_entry(entry)


# --- what an entry says ------------------------------------------------------------------

def test_creating_a_plan_is_recorded_with_the_key_the_request_id_and_the_new_plan(auditor):
    body = e.plan_body()
    r = p.post("/v1/plans", body, auditor["key"])
    doc = p.ok_json(r, 201)
    entry = e.entry_for(r, "plan", e.plan_path(body["id"]))
    assert_entry(entry)
    assert entry["actor"] == key_actor(auditor)
    assert entry["request_id"] == r.headers["X-Request-Id"]
    assert (entry["plan"], entry["action"], entry["before"]) == (body["id"], "create", None)
    assert entry["after"] == plan_part(doc)
    assert len(e.entries_for(r)) == 1, e.entries_for(r)


def test_updating_a_plan_records_it_before_and_after(harness_admin):
    plan = e.create_plan()
    path = e.plan_path(plan["id"])
    r = p.patch(path, {"title": "After", "mission": "Changed"}, ADMIN)
    doc = p.ok_json(r)
    entry = e.entry_for(r, "plan", path)
    assert_entry(entry)
    assert entry["actor"] == key_actor(harness_admin)
    assert (entry["action"], entry["plan"]) == ("update", plan["id"])
    assert entry["before"] == plan_part(plan)
    assert entry["after"] == plan_part(doc)


def test_goal_changes_are_recorded_with_the_goal_before_and_after():
    w = e.build(shape=(0,))
    path = e.goal_path(w.plan, "g2")
    r = p.post(e.goal_path(w.plan), {"id": "g2", "title": "Second"}, ADMIN)
    created = p.ok_json(r, 201)
    entry = e.entry_for(r, "goal", path)
    assert_entry(entry)
    assert (entry["action"], entry["plan"], entry["before"], entry["after"]) == (
        "create", w.plan, None, created)

    r = p.patch(path, {"title": "Second, renamed"}, ADMIN)
    updated = p.ok_json(r)
    entry = e.entry_for(r, "goal", path)
    assert (entry["action"], entry["before"], entry["after"]) == ("update", created, updated)

    r = p.delete(path, ADMIN)
    assert r.status_code == 204, (r.status_code, r.content[:300])
    entry = e.entry_for(r, "goal", path)
    assert_entry(entry)
    assert (entry["action"], entry["plan"], entry["before"], entry["after"]) == (
        "delete", w.plan, updated, None)


def test_objective_changes_are_recorded_with_the_objective_before_and_after():
    w = e.build(shape=(1,))
    path = e.objective_path(w.plan, "o2")
    r = p.post(e.objective_path(w.plan), {"goal": "g1", "id": "o2", "title": "Two"}, ADMIN)
    created = p.ok_json(r, 201)
    entry = e.entry_for(r, "objective", path)
    assert_entry(entry)
    assert (entry["action"], entry["plan"], entry["before"], entry["after"]) == (
        "create", w.plan, None, created)

    r = p.patch(path, {"title": "Two, renamed"}, ADMIN)
    updated = p.ok_json(r)
    entry = e.entry_for(r, "objective", path)
    assert (entry["action"], entry["before"], entry["after"]) == ("update", created, updated)

    r = p.delete(path, ADMIN)
    assert r.status_code == 204, (r.status_code, r.content[:300])
    entry = e.entry_for(r, "objective", path)
    assert (entry["action"], entry["before"], entry["after"]) == ("delete", updated, None)


def test_priorities_are_recorded_as_the_years_list():
    w = e.build(shape=(2,))
    path = e.priorities_path(w.plan, 2030)
    r = e.put(path, e.priorities_body(["o1"]), ADMIN)
    first = p.ok_json(r, 201)
    entry = e.entry_for(r, "priorities", path)
    assert_entry(entry)
    assert (entry["action"], entry["plan"], entry["before"], entry["after"]) == (
        "create", w.plan, None, first)
    r = e.put(path, e.priorities_body(["o2", "o1"]), ADMIN)
    second = p.ok_json(r)
    entry = e.entry_for(r, "priorities", path)
    assert (entry["action"], entry["before"], entry["after"]) == ("update", first, second)


def test_survey_changes_are_recorded_with_the_survey():
    body = p.survey_body(title="Audited survey")
    r = p.post_survey(body)
    p.ok_json(r, 201)
    path = "/v1/surveys/" + body["id"]
    entry = e.entry_for(r, "survey", path)
    assert_entry(entry)
    assert (entry["action"], entry["plan"], entry["before"]) == ("create", body["plan"], None)
    served = p.wait_served(body["id"])
    assert e.without(entry["after"], "partners") == served

    tag = p.get(path).headers["ETag"]
    r = p.patch(path, {"title": "Audited survey, renamed"}, ADMIN, headers={"If-Match": tag})
    p.ok_json(r)
    entry = e.entry_for(r, "survey", path)
    assert entry["action"] == "update"
    assert (entry["before"]["title"], entry["after"]["title"]) == (
        "Audited survey", "Audited survey, renamed")
    assert e.without(entry["before"], "title") == e.without(entry["after"], "title")


def test_keys_are_recorded_when_made_and_revoked_never_with_their_secret(auditor):
    r = p.post("/v1/keys", {"name": "audited " + e.hexid(6), "role": "partner"},
               auditor["key"])
    made = p.ok_json(r, 201)
    path = "/v1/keys/" + made["id"]
    entry = e.entry_for(r, "key", path)
    assert_entry(entry)
    assert entry["actor"] == key_actor(auditor)
    assert (entry["action"], entry["plan"], entry["before"]) == ("create", None, None)
    assert entry["after"] == e.without(made, "key")
    secret = made["key"][len(made["prefix"]):]
    assert made["key"] not in json.dumps(entry) and secret not in json.dumps(entry)

    r = p.delete(path, ADMIN)
    assert r.status_code == 204, (r.status_code, r.content[:300])
    found = [x for x in e.entries_for(r) if x["resource"] == "key"]
    assert len(found) == 1, found
    entry = found[0]
    assert_entry(entry)
    assert entry["path"] == path
    assert entry["action"] in ("update", "delete"), entry
    assert entry["before"] == e.without(made, "key")
    if entry["after"] is not None:
        assert entry["after"] == p.key_record(made["id"])
        assert entry["after"]["revoked_at"] is not None
    text = json.dumps(entry)
    assert made["key"] not in text and secret not in text and "secret" not in text


def test_voiding_a_response_is_recorded_with_the_response_before_and_after():
    survey = p.make_survey()
    partner = p.create_key()
    created = p.submit_ok(survey["id"], p.response_body(), partner["key"])
    path = p.responses_path(survey["id"]) + "/" + created["id"]
    r = p.post(path + "/void", {"reason": "Duplicate paper form"}, ADMIN)
    voided = p.ok_json(r)
    entry = e.entry_for(r, "response", path)
    assert_entry(entry)
    assert entry["action"] == "update"
    assert (entry["before"], entry["after"]) == (created, voided)
    assert (entry["before"]["status"], entry["after"]["status"]) == ("counted", "voided")


def test_a_refused_write_records_nothing(partner):
    w = e.build(shape=(1,))
    plan = e.plan_path(w.plan)
    head = e.audit_head()
    refused = [
        p.post("/v1/plans", e.plan_body(colour="red"), ADMIN),
        p.patch(plan, {"title": "x"}, ADMIN, headers={"If-Match": e.STALE_TAG}),
        p.patch(plan, {"title": "x"}, ADMIN, headers={"If-Match": "not-a-tag"}),
        p.delete(e.goal_path(w.plan, "g1"), ADMIN),
        p.patch(plan, {"title": "x"}, partner["key"]),
        p.patch(plan, {"title": "x"}),
        p.patch(e.goal_path(w.plan, "no-such-goal"), {"title": "x"}, ADMIN),
        e.put(e.priorities_path(w.plan, 2030), e.priorities_body(["o1", "nope"]), ADMIN),
        e.put(e.priorities_path(w.plan, 2030), e.priorities_body(["o1"]), ADMIN,
              headers={"If-Match": "*"}),
        p.delete(plan, ADMIN),
    ]
    assert [r.status_code for r in refused] == [422, 412, 400, 409, 403, 401, 404, 422, 412,
                                                405]
    assert e.audit_head() == head
    ids = {r.headers.get("X-Request-Id") for r in refused}
    assert not [x for x in e.audit_page("limit=50")["items"] if x["request_id"] in ids]


def test_a_rolled_back_sql_change_records_nothing():
    w = e.build(shape=(1,))
    head = e.audit_head()
    title = "Rolled back " + e.hexid(6)
    p.psql("BEGIN; UPDATE goals SET title = %s WHERE slug = 'g1' AND plan_id = "
           "(SELECT id FROM plans WHERE slug = %s); ROLLBACK"
           % (p.sql_text(title), p.sql_text(w.plan)))
    assert e.audit_head() == head
    assert e.fetch(e.goal_path(w.plan, "g1"))[0]["title"] == "Goal 1"


# --- changes made with plain SQL ----------------------------------------------------------

def sql_retitle_goal(plan, goal, title):
    """UPDATE a goal's title with plain SQL (as psql would, outside the API);
    the audit entries of goals that now show that title."""
    p.psql("UPDATE goals SET title = %s WHERE slug = %s AND plan_id = "
           "(SELECT id FROM plans WHERE slug = %s)"
           % (p.sql_text(title), p.sql_text(goal), p.sql_text(plan)))
    return [x for x in e.audit_page(query(resource="goal", limit=50))["items"]
            if (x["after"] or {}).get("title") == title]


def test_a_plain_sql_update_is_recorded_with_actor_database():
    w = e.build(shape=(1, 1), adopted=True)
    path = e.goal_path(w.plan, "g1")
    title = "Retitled in SQL " + e.hexid(6)
    found = sql_retitle_goal(w.plan, "g1", title)
    role = p.psql("SELECT current_user")
    assert len(found) == 1, found
    entry = found[0]
    assert_entry(entry)
    assert entry["actor"] == {"type": "database", "user": role}
    assert (entry["request_id"], entry["resource"], entry["action"], entry["plan"],
            entry["path"]) == (None, "goal", "update", w.plan, path)
    assert (entry["before"]["title"], entry["after"]["title"]) == ("Goal 1", title)
    # In the public history too, without the actor.
    history = p.ok_json(p.get(e.history_path(w.plan)))["items"]
    assert [x for x in history if x["id"] == entry["id"]] == [
        e.without(entry, "actor", "request_id")]
    # And served, as any change to the plan tables is.
    e.wait_for(lambda: p.ok_json(p.get(path))["title"], lambda t: t == title,
               "the SQL change served")


def test_a_plain_sql_update_is_recorded_with_the_rows_values():
    """A change made outside the API is recorded as the table row it changed,
    before and after (the API's own writes record representations)."""
    w = e.build(shape=(1, 1))
    path = e.goal_path(w.plan, "g1")
    old, _ = e.fetch(path)
    title = "Retitled in SQL " + e.hexid(6)
    found = sql_retitle_goal(w.plan, "g1", title)
    assert len(found) == 1, found
    before, after = found[0]["before"], found[0]["after"]
    assert (before["slug"], before["title"], before["statement"]) == (
        old["id"], old["title"], old["statement"])
    assert (after["slug"], after["title"]) == (old["id"], title)
    assert {k for k in before if before[k] != after[k]} == {"title"}
    assert found[0]["path"] == path


def test_a_plain_sql_update_of_two_rows_is_recorded_row_by_row():
    w = e.build(shape=(0, 0, 0))
    statement = "Restated in SQL " + e.hexid(6)
    p.psql("UPDATE goals SET statement = %s WHERE slug IN ('g1', 'g3') AND plan_id = "
           "(SELECT id FROM plans WHERE slug = %s)" % (p.sql_text(statement),
                                                       p.sql_text(w.plan)))
    found = [x for x in e.audit_page(query(resource="goal", limit=50))["items"]
             if (x["after"] or {}).get("statement") == statement]
    assert sorted(x["path"] for x in found) == [e.goal_path(w.plan, "g1"),
                                                e.goal_path(w.plan, "g3")]
    assert {x["actor"]["type"] for x in found} == {"database"}
    assert {x["action"] for x in found} == {"update"}
    assert len({x["id"] for x in found}) == 2


# --- filters and pages ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def one_of_each():
    """One fresh entry of each of the seven resources: {resource: request id},
    and the time of the first."""
    rids = {}
    r = p.post("/v1/plans", e.plan_body(), ADMIN)
    plan = p.ok_json(r, 201)["id"]
    rids["plan"] = r
    r = p.post(e.goal_path(plan), {"id": "g1", "title": "G"}, ADMIN)
    rids["goal"] = r
    r = p.post(e.objective_path(plan), {"goal": "g1", "id": "o1", "title": "O"}, ADMIN)
    rids["objective"] = r
    rids["priorities"] = e.put(e.priorities_path(plan, 2030), e.priorities_body(["o1"]), ADMIN)
    rids["survey"] = p.post_survey(p.survey_body())
    rids["key"] = p.post("/v1/keys", {"name": "filter " + e.hexid(6), "role": "partner"}, ADMIN)
    survey = p.make_survey()
    created = p.submit_ok(survey["id"], p.response_body(), p.create_key()["key"])
    rids["response"] = p.post(p.responses_path(survey["id"]) + "/" + created["id"] + "/void",
                              {"reason": "spam"}, ADMIN)
    for resource, r in rids.items():
        assert r.status_code in (200, 201), (resource, r.status_code, r.content[:300])
    first = [x for x in e.entries_for(rids["plan"]) if x["resource"] == "plan"]
    assert first, "no entry for the new plan"
    return {"since": first[0]["at"],
            "rids": {k: r.headers["X-Request-Id"] for k, r in rids.items()}}


@pytest.mark.parametrize("resource", e.RESOURCES)
def test_the_resource_filter_lists_that_resource_only(one_of_each, resource):
    items = e.audit_page(query(resource=resource, since=one_of_each["since"],
                               limit=200))["items"]
    assert {x["resource"] for x in items} == {resource}, items
    assert one_of_each["rids"][resource] in [x["request_id"] for x in items]


def test_since_and_until_bound_the_entries_by_time():
    w = e.build(shape=(0,))
    path = e.goal_path(w.plan, "g1")
    one, two, three = [
        e.entry_for(p.patch(path, {"statement": "Take %d" % i}, ADMIN), "goal", path)
        for i in range(3)]
    at = parse_time(two["at"])

    items = e.audit_page(query(resource="goal", since=two["at"], limit=200))["items"]
    got = [x["id"] for x in items]
    assert two["id"] in got and three["id"] in got, got
    assert (one["id"] in got) == (parse_time(one["at"]) >= at), (one, two)
    assert all(parse_time(x["at"]) >= at for x in items), items

    items = e.audit_page(query(resource="goal", since=one["at"], until=two["at"],
                               limit=200))["items"]
    got = [x["id"] for x in items]
    assert two["id"] not in got and three["id"] not in got, got
    assert (one["id"] in got) == (parse_time(one["at"]) < at), (one, two)
    assert all(parse_time(x["at"]) < at for x in items), items

    tomorrow = p.rfc3339(p.now_utc() + datetime.timedelta(days=1))
    assert e.audit_page(query(since=tomorrow))["items"] == []
    assert e.audit_page(query(until="2000-01-01T00:00:00Z"))["items"] == []


def test_pages_of_the_log_neither_repeat_nor_skip_while_entries_arrive():
    w = e.build(shape=(0,))
    path = e.goal_path(w.plan, "g1")
    written = [e.entry_for(p.patch(path, {"statement": "Take %d" % i}, ADMIN), "goal", path)
               for i in range(7)]
    base = query(resource="goal", since=written[0]["at"])
    whole = e.audit_page(base + "&limit=200")["items"]
    assert whole[0]["id"] == written[-1]["id"], "the newest entry comes first"
    assert {x["id"] for x in written} <= {x["id"] for x in whole}
    ids = [x["id"] for x in whole]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids), ids
    times = [parse_time(x["at"]) for x in whole]
    assert times == sorted(times, reverse=True), times

    r = p.get("/v1/audit?" + base + "&limit=2", ADMIN)
    first = p.ok_json(r)
    assert first["limit"] == 2 and len(first["items"]) == 2
    assert isinstance(first["next_cursor"], str) and first["next_cursor"], first
    assert r.headers.get("Link") == '<%s>; rel="next"' % first["next"], r.headers
    p.ok_json(p.patch(path, {"statement": "Meanwhile"}, ADMIN))   # a newer entry
    walked = first["items"]
    for page in e.walk_pages(first["next"]):
        assert len(page["items"]) <= 2
        walked += page["items"]
    assert walked == whole


@pytest.mark.parametrize("q, parameter", [
    ("resource=bogus", "resource"),
    ("resource=plans", "resource"),
    ("since=yesterday", "since"),
    ("until=2021-01-01", "until"),
    ("limit=0", "limit"),
    ("limit=201", "limit"),
    ("cursor=nonsense", "cursor"),
    ("plan=independence-2021", "plan"),
    ("resource=plan&resource=goal", "resource"),
])
def test_a_bad_audit_parameter_is_400_naming_it(q, parameter):
    body = p.problem(p.get("/v1/audit?" + q, ADMIN), 400, "invalid-parameter", "/v1/audit")
    assert parameter in [x.get("parameter") for x in body.get("errors", [])], body


# --- plan history ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chronicle():
    """An adopted plan with a goal, an objective, priorities and a renamed goal;
    a survey of it (not part of its history); and a change to another plan."""
    w = e.build(shape=(1,), adopted=True)
    e.put_priorities(w.plan, 2030, ["o1"])
    p.ok_json(p.patch(e.goal_path(w.plan, "g1"), {"title": "Renamed goal"}, ADMIN))
    p.make_survey(wait=False, plan=w.plan, status="draft", questions=[
        {"id": "agree", "prompt": "Is this the right plan?", "type": "agreement"}])
    e.create_plan()
    return w


def test_history_is_public_newest_first_and_shows_no_actor(chronicle):
    w = chronicle
    r = p.get(e.history_path(w.plan) + "?limit=200")
    body = p.ok_json(r)
    assert set(body) == {"items", "limit", "next_cursor", "next"}
    items = body["items"]
    for x in items:
        assert set(x) == e.HISTORY_FIELDS, x
        assert x["plan"] == w.plan and x["resource"] in PLAN_RESOURCES, x
    ids = [x["id"] for x in items]
    assert ids == sorted(ids, reverse=True), ids
    plan, goal, objective = (e.plan_path(w.plan), e.goal_path(w.plan, "g1"),
                             e.objective_path(w.plan, "o1"))
    story = [(x["resource"], x["action"], x["path"]) for x in reversed(items)]
    expected = [("plan", "create", plan), ("goal", "create", goal),
                ("objective", "create", objective), ("plan", "update", plan),
                ("priorities", "create", e.priorities_path(w.plan, 2030)),
                ("goal", "update", goal)]
    it = iter(story)
    assert all(step in it for step in expected), story   # in this order
    assert story[0] == expected[0], story


def test_history_holds_exactly_the_plans_audit_entries_without_actor(chronicle):
    w = chronicle
    history = p.ok_json(p.get(e.history_path(w.plan) + "?limit=200"))["items"]
    oldest = history[-1]
    audit = [x for x in e.audit_page(query(since=oldest["at"], limit=200))["items"]
             if x["plan"] == w.plan and x["resource"] in PLAN_RESOURCES]
    assert history == [e.without(x, "actor", "request_id") for x in audit]


def test_history_pages_neither_repeat_nor_skip(chronicle):
    path = e.history_path(chronicle.plan)
    whole = p.ok_json(p.get(path + "?limit=200"))["items"]
    walked = []
    for page in e.walk_pages(path + "?limit=2", key=None):
        assert page["limit"] == 2 and len(page["items"]) <= 2
        walked += page["items"]
    assert walked == whole and len(whole) >= 6


def test_history_since_and_until_bound_the_entries_by_time(chronicle):
    path = e.history_path(chronicle.plan)
    whole = p.ok_json(p.get(path + "?limit=200"))["items"]
    middle = whole[len(whole) // 2]
    at = parse_time(middle["at"])
    since = p.ok_json(p.get(path + "?" + query(since=middle["at"], limit=200)))["items"]
    until = p.ok_json(p.get(path + "?" + query(until=middle["at"], limit=200)))["items"]
    assert since == [x for x in whole if parse_time(x["at"]) >= at]
    assert until == [x for x in whole if parse_time(x["at"]) < at]
    assert middle in since and middle not in until


def test_history_of_a_draft_is_404_without_an_admin_key(partner):
    w = e.build(shape=(1,))
    path = e.history_path(w.plan)
    p.problem(p.get(path), 404, "not-found", path)
    p.problem(p.get(path, partner["key"]), 404, "not-found", path)
    items = p.ok_json(p.get(path + "?limit=200", ADMIN))["items"]
    assert ("plan", "create") in [(x["resource"], x["action"]) for x in items]
    assert all(set(x) == e.HISTORY_FIELDS for x in items), items


def test_history_of_an_unknown_plan_is_404():
    path = e.history_path("no-such-plan-" + e.hexid(6))
    p.problem(p.get(path), 404, "not-found", path)
    p.problem(p.get(path, ADMIN), 404, "not-found", path)


@pytest.mark.parametrize("q, parameter", [
    ("foo=bar", "foo"),
    ("resource=plan", "resource"),
    ("since=yesterday", "since"),
    ("until=tomorrow", "until"),
    ("limit=0", "limit"),
    ("limit=201", "limit"),
    ("cursor=nonsense", "cursor"),
])
def test_a_bad_history_parameter_is_400_naming_it(chronicle, q, parameter):
    path = e.history_path(chronicle.plan)
    body = p.problem(p.get(path + "?" + q), 400, "invalid-parameter", path)
    assert parameter in [x.get("parameter") for x in body.get("errors", [])], body


def test_truncating_a_recorded_table_is_refused():
    before = e.audit_head()
    with pytest.raises(AssertionError) as err:
        p.psql("TRUNCATE priorities, priority_sets")
    assert "unrecorded" in str(err.value)
    assert e.audit_head() == before
    assert p.db_count("priority_sets") >= 1


def test_a_time_with_more_than_nine_fraction_digits_is_a_400_naming_it():
    path = e.history_path("independence-2021")
    r = p.get(path + "?until=2020-01-01T00:00:00." + "1" * 150 + "Z")
    assert p.problem(r, 400, "invalid-parameter", path)


def test_responses_deleted_in_sql_are_recorded_one_entry_each():
    survey = p.make_survey()
    partner = p.create_key()
    ids = [p.submit_ok(survey["id"], p.response_body(), partner["key"])["id"]
           for _ in range(3)]
    quoted = ", ".join(p.sql_text(i) for i in ids[:2])
    p.psql("BEGIN; DELETE FROM response_answers WHERE response_id IN (SELECT id FROM "
           "responses WHERE public_id IN (%s)); DELETE FROM responses WHERE public_id "
           "IN (%s); COMMIT" % (quoted, quoted))
    found = [x for x in e.audit_page(query(resource="response", limit=50))["items"]
             if x["action"] == "delete" and (x["before"] or {}).get("public_id") in ids]
    assert sorted(x["path"] for x in found) == sorted(
        "/v1/surveys/%s/responses/%s" % (survey["id"], i) for i in ids[:2])
    assert {x["actor"]["type"] for x in found} == {"database"}
    assert all(x["after"] is None and "body_hash" not in x["before"] for x in found)

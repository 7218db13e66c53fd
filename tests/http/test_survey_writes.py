"""Surveys written by admins (issue 3): POST /v1/surveys and PATCH
/v1/surveys/{survey} (title, window, status, partners, results_visibility,
typed questions), 422 for bad bodies with JSON Pointers (unknown members at
the top level and inside question objects too), and questions that can no
longer change once the survey has responses (409)."""

import datetime
import uuid

import pytest

import partners as p
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

pytestmark = p.needs_harness

DOCUMENT_FIELDS = {"id", "plan", "title", "description", "opens_at", "closes_at", "timezone",
                   "status", "results_visibility", "questions"}


def questions_of(doc):
    """The questions without the server's position numbers."""
    return [{k: v for k, v in q.items() if k != "position"} for q in doc["questions"]]


# --- POST -------------------------------------------------------------------------------

def test_an_admin_creates_a_survey_with_201_location_and_its_document():
    body = p.survey_body(description="About the plan", timezone="America/Chicago",
                         results_visibility="admin")
    r = p.post_survey(body)
    doc = p.ok_json(r, 201)
    assert r.headers.get("Location") == "/v1/surveys/" + body["id"], r.headers
    assert set(doc) == DOCUMENT_FIELDS | {"partners"}, doc
    for field in ("id", "plan", "title", "description", "opens_at", "closes_at", "timezone",
                  "status", "results_visibility"):
        assert doc[field] == body[field], field
    assert doc["partners"] == []


def test_a_created_survey_is_served_with_its_questions_in_order():
    created = p.make_survey()
    served = p.ok_json(p.get("/v1/surveys/" + created["id"]))
    assert served == {k: v for k, v in created.items() if k != "partners"}
    assert [q["position"] for q in served["questions"]] == [1, 2, 3, 4, 5]
    assert [(q["id"], q["type"]) for q in served["questions"]] == [
        ("agree", "agreement"), ("top", "objectives"), ("color", "choice"),
        ("tags", "choices"), ("comment", "text")]


def test_a_created_survey_is_listed_in_the_survey_collection():
    created = p.make_survey()
    items = p.walk("/v1/surveys?limit=200", None)
    assert created["id"] in [s["id"] for s in items]


def test_each_question_type_keeps_its_settings():
    created = p.make_survey(wait=False)
    by_id = {q["id"]: q for q in created["questions"]}
    assert by_id["agree"]["options"] == p.AGREEMENT_LEVELS
    assert (by_id["top"]["min"], by_id["top"]["max"]) == (1, 3)
    assert by_id["color"]["options"] == ["red", "green", "blue"]
    assert (by_id["tags"]["options"], by_id["tags"]["min"], by_id["tags"]["max"]) == (
        ["a", "b", "c", "d"], 1, 2)
    assert by_id["comment"]["max_length"] == 20
    assert [q["required"] for q in created["questions"]] == [True, True, False, False, False]


def test_status_defaults_to_draft_visibility_to_after_close_required_to_true():
    body = p.survey_body(questions=[{"id": "say", "prompt": "Say", "type": "text"}])
    del body["status"], body["results_visibility"]
    doc = p.ok_json(p.post_survey(body), 201)
    assert (doc["status"], doc["results_visibility"]) == ("draft", "after_close")
    assert doc["questions"][0]["required"] is True
    assert doc["questions"][0]["max_length"] == 1000


def test_a_survey_limited_to_partners_lists_their_key_ids():
    one, two = p.create_key(), p.create_key()
    doc = p.make_survey(wait=False, partners=[one["id"], two["id"]])
    assert sorted(doc["partners"]) == sorted([one["id"], two["id"]])


@pytest.mark.parametrize("change, pointer", [
    ({"colour": "red"}, "/colour"),
    ({"created_at": "2021-01-01T00:00:00Z"}, "/created_at"),
    ({"counts": {}}, "/counts"),
    ({"status": "paused"}, "/status"),
    ({"results_visibility": "everyone"}, "/results_visibility"),
    ({"opens_at": "tomorrow"}, "/opens_at"),
    ({"closes_at": "2020-01-01T00:00:00"}, "/closes_at"),
    ({"title": ""}, "/title"),
    ({"id": "Not A Slug"}, "/id"),
    ({"plan": "springfield-2030"}, "/plan"),
    ({"partners": ["key_0000000000000000"]}, "/partners"),
    ({"questions": []}, "/questions"),
], ids=["unknown-member", "server-owned-created_at", "server-owned-counts", "bad-status",
        "bad-visibility", "bad-opens_at", "closes_at-without-zone", "empty-title", "bad-id",
        "unknown-plan", "unknown-partner", "no-questions"])
def test_a_bad_survey_body_is_422_naming_the_member_and_writes_nothing(change, pointer):
    body = p.survey_body(**change)
    before = p.db_fingerprint()
    assert pointer in p.invalid_body(p.post_survey(body), "/v1/surveys")
    assert p.db_fingerprint() == before


@pytest.mark.parametrize("question, pointer", [
    ({"id": "q", "prompt": "P", "type": "agreement", "colour": "red"}, "/questions/1/colour"),
    ({"id": "q", "prompt": "P", "type": "agreement", "position": 2}, "/questions/1/position"),
    ({"id": "q", "prompt": "P", "type": "rating"}, "/questions/1/type"),
    ({"id": "q", "prompt": "P"}, "/questions/1/type"),
    ({"id": "Q 1", "prompt": "P", "type": "agreement"}, "/questions/1/id"),
    ({"id": "agree", "prompt": "P", "type": "agreement"}, "/questions/1/id"),
    ({"id": "q", "type": "agreement"}, "/questions/1/prompt"),
    ({"id": "q", "prompt": "P", "type": "choice", "options": ["only"]}, "/questions/1/options"),
    ({"id": "q", "prompt": "P", "type": "choices", "options": ["a", "a"]},
     "/questions/1/options"),
    ({"id": "q", "prompt": "P", "type": "objectives", "max": 15}, "/questions/1/max"),
    ({"id": "q", "prompt": "P", "type": "text", "max_length": 0}, "/questions/1/max_length"),
    ({"id": "q", "prompt": "P", "type": "agreement", "required": "yes"},
     "/questions/1/required"),
], ids=["unknown-member", "server-owned-position", "unknown-type", "no-type", "bad-id",
        "duplicate-id", "no-prompt", "one-option", "duplicate-options", "max-above-objectives",
        "zero-max-length", "required-not-boolean"])
def test_a_bad_question_is_422_with_a_pointer_into_the_question(question, pointer):
    body = p.survey_body(questions=[{"id": "agree", "prompt": "A", "type": "agreement"},
                                    question])
    before = p.db_fingerprint()
    assert pointer in p.invalid_body(p.post_survey(body), "/v1/surveys")
    assert p.db_fingerprint() == before


def test_a_survey_that_closes_before_it_opens_is_422():
    now = p.now_utc()
    body = p.survey_body(opens_at=p.rfc3339(now), closes_at=p.rfc3339(
        now - datetime.timedelta(hours=1)))
    assert "/closes_at" in p.invalid_body(p.post_survey(body), "/v1/surveys")


def test_every_fault_of_a_survey_body_is_reported():
    body = p.survey_body(status="paused", colour="red",
                         questions=[{"id": "q", "prompt": "P", "type": "rating"}])
    found = p.invalid_body(p.post_survey(body), "/v1/surveys")
    assert {"/status", "/colour", "/questions/0/type"} <= set(found), found


# --- PATCH ------------------------------------------------------------------------------

def test_patch_changes_title_window_status_partners_and_visibility():
    created = p.make_survey(wait=False, status="draft", results_visibility="after_close")
    one = p.create_key()
    now = p.now_utc()
    change = {
        "title": "Renamed " + uuid.uuid4().hex[:6],
        "description": "New words",
        "opens_at": p.rfc3339(now - datetime.timedelta(days=1)),
        "closes_at": p.rfc3339(now + datetime.timedelta(days=1)),
        "status": "open",
        "results_visibility": "public",
        "partners": [one["id"]],
    }
    r = p.patch("/v1/surveys/" + created["id"], change, p.ADMIN_KEY)
    doc = p.ok_json(r)
    assert {k: doc[k] for k in change} == change
    assert doc["questions"] == created["questions"]
    served = p.wait_served(created["id"], lambda d: d["title"] == change["title"])
    assert {k: served[k] for k in change if k != "partners"} == {
        k: v for k, v in change.items() if k != "partners"}


def test_patching_partners_limits_who_may_submit():
    one, two = p.create_key(), p.create_key()
    created = p.make_survey()
    p.submit_ok(created["id"], p.response_body(), two["key"])
    doc = p.ok_json(p.patch("/v1/surveys/" + created["id"], {"partners": [one["id"]]},
                            p.ADMIN_KEY))
    assert doc["partners"] == [one["id"]]
    path = p.responses_path(created["id"])
    p.problem(p.submit(created["id"], p.response_body(), two["key"]), 403, "forbidden", path)
    p.submit_ok(created["id"], p.response_body(), one["key"])
    doc = p.ok_json(p.patch("/v1/surveys/" + created["id"], {"partners": []}, p.ADMIN_KEY))
    assert doc["partners"] == []
    p.submit_ok(created["id"], p.response_body(), two["key"])


def test_patch_of_one_member_keeps_the_others():
    created = p.make_survey(wait=False)
    doc = p.ok_json(p.patch("/v1/surveys/" + created["id"], {"title": "Only the title"},
                            p.ADMIN_KEY))
    assert doc == dict(created, title="Only the title")


def test_patch_of_an_unknown_survey_is_404():
    path = "/v1/surveys/no-such-survey-" + uuid.uuid4().hex[:6]
    p.problem(p.patch(path, {"title": "x"}, p.ADMIN_KEY), 404, "not-found", path)


@pytest.mark.parametrize("change, pointer", [
    ({"id": "another-id"}, "/id"),
    ({"plan": p.PLAN}, "/plan"),
    ({"status": "paused"}, "/status"),
    ({"colour": "red"}, "/colour"),
    ({"questions": [{"id": "q", "prompt": "P", "type": "agreement", "weight": 2}]},
     "/questions/0/weight"),
], ids=["id", "plan", "bad-status", "unknown-member", "unknown-question-member"])
def test_a_bad_patch_is_422_and_changes_nothing(change, pointer):
    created = p.make_survey(wait=False)
    before = p.db_fingerprint()
    path = "/v1/surveys/" + created["id"]
    assert pointer in p.invalid_body(p.patch(path, change, p.ADMIN_KEY), path)
    assert p.db_fingerprint() == before


def test_questions_change_while_the_survey_has_no_responses():
    created = p.make_survey(wait=False)
    new = [{"id": "only", "prompt": "The one question", "type": "choice",
            "options": ["yes", "no"]}]
    doc = p.ok_json(p.patch("/v1/surveys/" + created["id"], {"questions": new}, p.ADMIN_KEY))
    assert questions_of(doc) == [dict(new[0], required=True)]
    served = p.wait_served(created["id"], lambda d: d["questions"][0]["id"] == "only")
    assert served["questions"] == doc["questions"]


def test_questions_cannot_change_once_the_survey_has_responses():
    created = p.make_survey()
    partner = p.create_key()
    p.submit_ok(created["id"], p.response_body(), partner["key"])
    before = p.db_fingerprint()
    path = "/v1/surveys/" + created["id"]
    new = [{"id": "only", "prompt": "The one question", "type": "agreement"}]
    p.problem(p.patch(path, {"questions": new}, p.ADMIN_KEY), 409, "survey-has-responses",
              path)
    assert p.db_fingerprint() == before
    assert p.ok_json(p.get(path))["questions"] == created["questions"]


def test_a_patch_with_questions_and_a_title_on_a_survey_with_responses_changes_neither():
    created = p.make_survey()
    partner = p.create_key()
    p.submit_ok(created["id"], p.response_body(), partner["key"])
    path = "/v1/surveys/" + created["id"]
    r = p.patch(path, {"title": "Sneaky", "questions": [
        {"id": "only", "prompt": "P", "type": "agreement"}]}, p.ADMIN_KEY)
    p.problem(r, 409, "survey-has-responses", path)
    assert p.psql("SELECT title FROM surveys WHERE slug = %s" % p.sql_text(created["id"])) \
        == created["title"]


def test_other_members_still_change_once_the_survey_has_responses():
    created = p.make_survey()
    partner = p.create_key()
    p.submit_ok(created["id"], p.response_body(), partner["key"])
    doc = p.ok_json(p.patch("/v1/surveys/" + created["id"], {"title": "Still editable"},
                            p.ADMIN_KEY))
    assert doc["title"] == "Still editable" and doc["questions"] == created["questions"]


def test_the_seeded_survey_is_closed():
    doc = p.ok_json(p.get("/v1/surveys/" + p.SEED_SURVEY))
    assert doc["status"] == "closed"


def test_a_created_survey_is_served_by_every_worker_within_a_second():
    """Made on each worker in turn: served at once by that worker, and by
    every other within 1 s (README: Freshness), measured by polling each
    worker (waiting.Staleness) from the moment the write was sent."""
    for writer in p.each_worker():
        body = p.survey_body()
        t0 = p.time.monotonic()   # the write commits after this, and before its answer
        r = writer.request("POST", "/v1/surveys", body=body, key=p.ADMIN_KEY)
        p.ok_json(r, 201)
        p.remember_survey(body["id"])
        seen = p.every_worker_serves("/v1/surveys/" + body["id"],
                                     lambda got: got.status_code == 200, t0)
        assert seen[writer.pid].polls == 1, (
            "the worker that took the write did not serve it at once: %r" % seen[writer.pid])
        p.assert_fresh_within(seen, 1.0, "a new survey")

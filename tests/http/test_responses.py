"""Survey responses (issue 3): submitting (201 + Location + the stored
response), 422 with JSON Pointers for every fault, 409 when the survey is not
open, 403 when the key may not submit, exactly once per external_id, batches,
reading (admin: all, partner: its own; order, since, cursor pages that
neither skip nor repeat while responses arrive), and voiding."""

import datetime
import json
import re
import threading
import time
import uuid

import pytest

import partners as p
import waiting
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

pytestmark = p.needs_harness

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def shared():
    """One survey and partner key for the tests that must store nothing
    (refused bodies): they share it, and each checks it stays empty."""
    survey = p.make_survey()
    return {"survey": survey["id"], "key": p.create_key()["key"]}


# --- submitting ---------------------------------------------------------------------------

def test_a_valid_submission_is_201_with_location_and_the_stored_response(survey, partner):
    o = p.objectives()
    body = {"external_id": "paper-0001",
            "answers": {"agree": "strongly_agree", "top": [o[3], o[0], o[7]], "color": "blue",
                        "tags": ["d", "a"], "comment": "Fix roads, please"},
            "submitted_at": "2020-12-01T15:04:05Z", "channel": "paper"}
    r = p.submit(survey, body, partner["key"])
    got = p.ok_json(r, 201)
    assert set(got) == p.RESPONSE_FIELDS, got
    assert UUID_RE.match(got["id"]), got
    assert r.headers.get("Location") == p.responses_path(survey) + "/" + got["id"]
    assert (got["survey"], got["partner"], got["external_id"]) == (
        survey, partner["id"], "paper-0001")
    assert got["answers"] == body["answers"]
    assert parse_time(got["submitted_at"]) == parse_time(body["submitted_at"])
    assert got["channel"] == "paper"
    assert (got["status"], got["voided_at"], got["void_reason"]) == ("counted", None, None)
    assert TIME_RE.match(got["created_at"])
    assert abs(parse_time(got["created_at"]) - p.now_utc()) < datetime.timedelta(minutes=1)


def test_the_location_of_a_new_response_serves_the_same_response(survey, partner):
    r = p.submit(survey, p.response_body(), partner["key"])
    created = p.ok_json(r, 201)
    assert p.ok_json(p.get(r.headers["Location"], partner["key"])) == created


def test_a_submission_is_stored_once_with_one_answer_row_per_chosen_value(survey, partner):
    o = p.objectives()
    created = p.submit_ok(survey, p.response_body(top=o[:3], tags=["a", "b"]), partner["key"])
    assert p.survey_response_count(survey) == 1
    rows = p.psql("SELECT question || '=' || value FROM response_answers a JOIN responses r "
                  "ON r.id = a.response_id WHERE r.public_id = '%s' ORDER BY 1" % created["id"])
    assert sorted(rows.split("\n")) == sorted(
        ["agree=agree", "tags=a", "tags=b"] + ["top=" + x for x in o[:3]])


def test_optional_questions_may_be_left_out(survey, partner):
    created = p.submit_ok(survey, p.response_body(), partner["key"])
    assert set(created["answers"]) == {"agree", "top"}


def test_text_length_counts_characters_not_bytes(survey, partner):
    created = p.submit_ok(survey, p.response_body(comment="é" * 20), partner["key"])
    assert created["answers"]["comment"] == "é" * 20


def test_an_admin_key_may_submit_too(survey):
    created = p.submit_ok(survey, p.response_body(), p.ADMIN_KEY)
    assert created["status"] == "counted"


def _o(i):
    return p.objectives()[i]


# (name, body maker, pointer) for bodies that break one rule.
FAULTS = [
    ("unknown-question", lambda: p.response_body(mood="happy"), "/answers/mood"),
    ("question-id-pointer-is-escaped", lambda: p.response_body(**{"a/b~c": 1}),
     "/answers/a~1b~0c"),
    ("missing-required-agreement", lambda: p.response_body(agree=None), "/answers/agree"),
    ("missing-required-objectives", lambda: p.response_body(top=None), "/answers/top"),
    ("agreement-wrong-type", lambda: p.response_body(agree=4), "/answers/agree"),
    ("agreement-not-a-level", lambda: p.response_body(agree="yes"), "/answers/agree"),
    ("objectives-wrong-type", lambda: p.response_body(top=_o(0)), "/answers/top"),
    ("objective-wrong-type", lambda: p.response_body(top=[_o(0), 7]), "/answers/top/1"),
    ("objective-not-in-plan", lambda: p.response_body(top=[_o(0), "build-a-moon-base"]),
     "/answers/top/1"),
    ("goal-is-not-an-objective", lambda: p.response_body(top=["quality"]), "/answers/top/0"),
    ("duplicate-objective", lambda: p.response_body(top=[_o(2), _o(5), _o(2)]),
     "/answers/top/2"),
    ("too-many-objectives", lambda: p.response_body(top=[_o(0), _o(1), _o(2), _o(3)]),
     "/answers/top"),
    ("too-few-objectives", lambda: p.response_body(top=[]), "/answers/top"),
    ("choice-not-an-option", lambda: p.response_body(color="purple"), "/answers/color"),
    ("choice-wrong-type", lambda: p.response_body(color=["red"]), "/answers/color"),
    ("choices-wrong-type", lambda: p.response_body(tags="a"), "/answers/tags"),
    ("choices-not-an-option", lambda: p.response_body(tags=["a", "z"]), "/answers/tags/1"),
    ("duplicate-choice", lambda: p.response_body(tags=["b", "b"]), "/answers/tags/1"),
    ("too-many-choices", lambda: p.response_body(tags=["a", "b", "c"]), "/answers/tags"),
    ("too-few-choices", lambda: p.response_body(tags=[]), "/answers/tags"),
    ("text-too-long", lambda: p.response_body(comment="x" * 21), "/answers/comment"),
    ("text-wrong-type", lambda: p.response_body(comment=42), "/answers/comment"),
    ("unknown-member", lambda: dict(p.response_body(), colour="red"), "/colour"),
    ("server-owned-id", lambda: dict(p.response_body(), id=str(uuid.uuid4())), "/id"),
    ("server-owned-partner", lambda: dict(p.response_body(), partner="key_0000000000000000"),
     "/partner"),
    ("server-owned-created_at", lambda: dict(p.response_body(),
                                             created_at="2021-01-01T00:00:00Z"), "/created_at"),
    ("server-owned-status", lambda: dict(p.response_body(), status="counted"), "/status"),
    ("server-owned-counts", lambda: dict(p.response_body(), counts={"agree": 1}), "/counts"),
    ("server-owned-survey", lambda: dict(p.response_body(), survey=p.SEED_SURVEY), "/survey"),
    ("server-owned-voided_at", lambda: dict(p.response_body(), voided_at=None), "/voided_at"),
    ("missing-external_id", lambda: {"answers": p.response_body()["answers"]},
     "/external_id"),
    ("empty-external_id", lambda: p.response_body(external_id=None) | {"external_id": ""},
     "/external_id"),
    ("long-external_id", lambda: p.response_body(external_id="x" * 201), "/external_id"),
    ("external_id-wrong-type", lambda: p.response_body() | {"external_id": 12},
     "/external_id"),
    ("missing-answers", lambda: {"external_id": "e-" + uuid.uuid4().hex}, "/answers"),
    ("answers-not-an-object", lambda: p.response_body() | {"answers": ["agree"]}, "/answers"),
    ("submitted_at-in-the-future", lambda: p.response_body() | {
        "submitted_at": p.rfc3339(p.now_utc() + datetime.timedelta(days=1))}, "/submitted_at"),
    ("submitted_at-not-rfc3339", lambda: p.response_body() | {"submitted_at": "yesterday"},
     "/submitted_at"),
    ("submitted_at-without-zone", lambda: p.response_body() | {
        "submitted_at": "2020-12-01T10:00:00"}, "/submitted_at"),
    ("channel-too-long", lambda: p.response_body() | {"channel": "c" * 51}, "/channel"),
]


@pytest.mark.parametrize("make, pointer", [(m, ptr) for _, m, ptr in FAULTS],
                         ids=[name for name, _, _ in FAULTS])
def test_a_faulty_body_is_422_with_a_pointer_to_the_fault_and_stores_nothing(
        shared, make, pointer):
    before = p.db_fingerprint()
    path = p.responses_path(shared["survey"])
    found = p.invalid_body(p.submit(shared["survey"], make(), shared["key"]), path)
    assert pointer in found, found
    assert p.db_fingerprint() == before


def test_every_fault_of_a_body_is_reported_in_one_422(shared):
    body = {"external_id": "", "id": "mine", "answers": {
        "agree": "maybe", "top": [_o(0), _o(0)], "color": "purple", "comment": "x" * 21,
        "weather": "sunny"}}
    found = p.invalid_body(p.submit(shared["survey"], body, shared["key"]))
    assert {"/external_id", "/id", "/answers/agree", "/answers/top/1", "/answers/color",
            "/answers/comment", "/answers/weather"} <= set(found), found


def test_a_body_that_is_not_json_is_400_and_stores_nothing(shared):
    before = p.db_fingerprint()
    r = p.call("POST", p.responses_path(shared["survey"]), shared["key"],
               data=b'{"external_id": "x", "answers": {', headers={
                   "Content-Type": "application/json"})
    p.problem(r, 400, "malformed-body", p.responses_path(shared["survey"]))
    assert p.db_fingerprint() == before


def test_a_body_that_is_not_declared_json_is_415_and_stores_nothing(shared):
    before = p.db_fingerprint()
    r = p.call("POST", p.responses_path(shared["survey"]), shared["key"],
               data=json.dumps(p.response_body()), headers={"Content-Type": "text/plain"})
    p.problem(r, 415, "unsupported-media-type", p.responses_path(shared["survey"]))
    assert p.db_fingerprint() == before


def test_a_submission_to_an_unknown_survey_is_404(shared):
    path = p.responses_path("no-such-survey-" + uuid.uuid4().hex[:6])
    before = p.db_fingerprint()
    p.problem(p.post(path, p.response_body(), shared["key"]), 404, "not-found", path)
    assert p.db_fingerprint() == before


# --- survey not open, key not allowed ------------------------------------------------------

def test_a_submission_to_the_closed_seed_survey_is_409_survey_not_open(partner):
    body = {"external_id": "late-" + uuid.uuid4().hex,
            "answers": {"right-plan": "agree", "top-priorities": ["reduce-blight"]}}
    before = p.db_fingerprint()
    path = p.responses_path(p.SEED_SURVEY)
    p.problem(p.post(path, body, partner["key"]), 409, "survey-not-open", path)
    assert p.db_fingerprint() == before


NOT_OPEN = {  # status, window start and end in hours from now
    "draft": ("draft", -1, 1),
    "closed": ("closed", -1, 1),
    "open-but-not-yet": ("open", 1, 2),
    "open-but-over": ("open", -2, -1),
}


@pytest.fixture(scope="module")
def not_open_surveys():
    """One survey per NOT_OPEN case, made together (one wait for the workers)."""
    now = p.now_utc()
    hours = datetime.timedelta(hours=1)
    made = p.make_surveys([{"status": status, "opens_at": p.rfc3339(now + opens * hours),
                            "closes_at": p.rfc3339(now + closes * hours)}
                           for status, opens, closes in NOT_OPEN.values()])
    return dict(zip(NOT_OPEN, made))


@pytest.mark.parametrize("case", list(NOT_OPEN))
def test_a_submission_to_a_survey_that_is_not_open_is_409_and_stores_nothing(
        partner, not_open_surveys, case):
    survey = not_open_surveys[case]
    before = p.db_fingerprint()
    path = p.responses_path(survey["id"])
    p.problem(p.post(path, p.response_body(), partner["key"]), 409, "survey-not-open", path)
    assert p.db_fingerprint() == before


def test_a_survey_closed_by_patch_stops_taking_responses(partner):
    survey = p.make_survey()
    p.submit_ok(survey["id"], p.response_body(), partner["key"])
    p.patch_survey(survey["id"], {"status": "closed"})
    path = p.responses_path(survey["id"])
    p.problem(p.post(path, p.response_body(), partner["key"]), 409, "survey-not-open", path)
    assert p.survey_response_count(survey["id"]) == 1


def test_a_partner_not_in_the_surveys_partner_list_is_403_and_stores_nothing():
    allowed, other = p.create_key(), p.create_key()
    survey = p.make_survey(partners=[allowed["id"]])
    before = p.db_fingerprint()
    path = p.responses_path(survey["id"])
    p.problem(p.post(path, p.response_body(), other["key"],
                     headers={"Idempotency-Key": uuid.uuid4().hex}), 403, "forbidden", path)
    assert p.db_fingerprint() == before


def test_a_partner_in_the_surveys_partner_list_may_submit():
    allowed = p.create_key()
    survey = p.make_survey(partners=[allowed["id"]])
    p.submit_ok(survey["id"], p.response_body(), allowed["key"])


# --- exactly once -----------------------------------------------------------------------------

def test_the_same_external_id_and_body_again_is_200_with_the_original(survey, partner):
    body = p.response_body(top=p.objectives()[:3], comment="twice")
    first = p.submit(survey, body, partner["key"])
    created = p.ok_json(first, 201)
    again = p.submit(survey, body, partner["key"])
    assert p.ok_json(again, 200) == created
    assert again.headers.get("Location") == first.headers["Location"]
    assert p.survey_response_count(survey) == 1


def test_the_same_body_with_members_in_another_order_is_the_same_submission(survey, partner):
    body = p.response_body(color="red", comment="order")
    created = p.submit_ok(survey, body, partner["key"])
    reordered = {"answers": dict(reversed(list(body["answers"].items()))),
                 "external_id": body["external_id"]}
    assert p.submit_ok(survey, reordered, partner["key"], status=200)["id"] == created["id"]
    assert p.survey_response_count(survey) == 1


def test_another_body_with_the_same_external_id_is_409_naming_the_existing_response(
        survey, partner):
    body = p.response_body(agree="agree")
    first = p.submit(survey, body, partner["key"])
    created = p.ok_json(first, 201)
    other = dict(body, answers=dict(body["answers"], agree="disagree"))
    path = p.responses_path(survey)
    problem = p.problem(p.submit(survey, other, partner["key"]), 409, "duplicate-response",
                        path)
    assert problem["existing_response"] == first.headers["Location"]
    assert p.survey_response_count(survey) == 1
    stored = p.ok_json(p.get(first.headers["Location"], partner["key"]))
    assert stored == created


def test_the_unique_constraint_holds_in_the_database(survey, partner):
    created = p.submit_ok(survey, p.response_body(), partner["key"])
    out = p.subprocess.run(
        ["psql", "-X", "-qtA", p.DATABASE_URL, "-c",
         "INSERT INTO responses (survey_id, key_id, external_id, body_hash, answers) "
         "SELECT survey_id, key_id, external_id, body_hash, answers FROM responses "
         "WHERE public_id = '%s'" % created["id"]], capture_output=True, text=True,
        timeout=waiting.WAIT_LIMIT_S)
    assert out.returncode != 0 and "duplicate key" in out.stderr, out
    assert p.survey_response_count(survey) == 1


# --- batches ---------------------------------------------------------------------------------

def batch_path(survey):
    return p.responses_path(survey) + "/batch"


def test_a_batch_answers_one_result_per_item_in_order(survey, partner):
    bodies = [p.response_body(agree=level) for level in p.AGREEMENT_LEVELS]
    got = p.ok_json(p.post(batch_path(survey), {"responses": bodies}, partner["key"]))
    assert set(got) == {"results"}
    results = got["results"]
    assert [x["index"] for x in results] == list(range(5))
    assert [x["status"] for x in results] == [201] * 5
    assert [x["response"]["external_id"] for x in results] == [b["external_id"] for b in bodies]
    assert [x["response"]["answers"]["agree"] for x in results] == p.AGREEMENT_LEVELS
    assert p.survey_response_count(survey) == 5
    for x in results:
        assert p.ok_json(p.get(p.responses_path(survey) + "/" + x["response"]["id"],
                               partner["key"])) == x["response"]


def test_one_bad_item_does_not_reject_the_others(survey, partner):
    bodies = [p.response_body(), p.response_body(top=["build-a-moon-base"]),
              p.response_body(), dict(p.response_body(), id="mine")]
    results = p.ok_json(p.post(batch_path(survey), {"responses": bodies}, partner["key"]))[
        "results"]
    assert [x["status"] for x in results] == [201, 422, 201, 422]
    assert "response" in results[0] and "response" in results[2]
    for i, pointer in ((1, "/answers/top/0"), (3, "/id")):
        problem = results[i]["problem"]
        assert problem["type"] == "/problems/invalid-body" and problem["status"] == 422
        assert pointer in p.pointers(problem), problem
        assert "response" not in results[i]
    assert p.survey_response_count(survey) == 2


def test_a_batch_repeating_an_external_id_stores_it_once(survey, partner):
    body = p.response_body(agree="neutral")
    conflicting = dict(body, answers=dict(body["answers"], agree="agree"))
    results = p.ok_json(p.post(batch_path(survey), {"responses": [body, body, conflicting]},
                               partner["key"]))["results"]
    assert [x["status"] for x in results] == [201, 200, 409]
    assert results[1]["response"] == results[0]["response"]
    assert results[2]["problem"]["type"] == "/problems/duplicate-response"
    assert results[2]["problem"]["existing_response"].endswith("/" + results[0]["response"]["id"])
    assert p.survey_response_count(survey) == 1


def test_a_batch_of_500_is_stored_whole(survey, partner):
    bodies = [p.response_body(external_id="b500-%03d" % i) for i in range(500)]
    results = p.ok_json(p.post(batch_path(survey), {"responses": bodies}, partner["key"]))[
        "results"]
    assert [x["index"] for x in results] == list(range(500))
    assert {x["status"] for x in results} == {201}
    assert len({x["response"]["id"] for x in results}) == 500
    assert p.survey_response_count(survey) == 500


def test_a_batch_of_501_is_422_and_stores_nothing(survey, partner):
    bodies = [p.response_body(external_id="b501-%03d" % i) for i in range(501)]
    before = p.db_fingerprint()
    r = p.post(batch_path(survey), {"responses": bodies}, partner["key"])
    p.problem(r, 422, "invalid-body", batch_path(survey))
    assert p.db_fingerprint() == before


# --- reading ---------------------------------------------------------------------------------

def test_an_admin_lists_every_response_and_a_partner_only_its_own(survey):
    one, two = p.create_key(), p.create_key()
    mine = {p.submit_ok(survey, p.response_body(), one["key"])["id"] for _ in range(3)}
    theirs = {p.submit_ok(survey, p.response_body(), two["key"])["id"] for _ in range(2)}
    path = p.responses_path(survey)
    assert {x["id"] for x in p.walk(path, p.ADMIN_KEY)} == mine | theirs
    listed = p.walk(path, one["key"])
    assert {x["id"] for x in listed} == mine
    assert {x["partner"] for x in listed} == {one["id"]}
    assert {x["id"] for x in p.walk(path, two["key"])} == theirs


def test_listed_responses_equal_the_stored_ones(survey, partner):
    body = dict(p.response_body(comment="listed"), channel="web",
                submitted_at="2021-01-02T03:04:05Z")
    created = p.submit_ok(survey, body, partner["key"])
    assert p.walk(p.responses_path(survey), partner["key"]) == [created]


def test_the_list_is_newest_first_by_default_and_oldest_first_with_order_asc(survey, partner):
    made = [p.submit_ok(survey, p.response_body(), partner["key"])["id"] for _ in range(5)]
    path = p.responses_path(survey)
    assert [x["id"] for x in p.walk(path, partner["key"])] == made[::-1]
    assert [x["id"] for x in p.walk(path + "?order=desc", partner["key"])] == made[::-1]
    assert [x["id"] for x in p.walk(path + "?order=asc", partner["key"])] == made


def test_pages_of_2_keep_the_order_and_carry_a_link_to_the_next(survey, partner):
    made = [p.submit_ok(survey, p.response_body(), partner["key"])["id"] for _ in range(5)]
    path = p.responses_path(survey) + "?order=asc&limit=2"
    seen = []
    for _ in range(5):
        r = p.get(path, partner["key"])
        body = p.ok_json(r)
        assert body["limit"] == 2
        seen += [x["id"] for x in body["items"]]
        if body["next"] is None:
            assert "Link" not in r.headers
            break
        assert r.headers.get("Link") == '<%s>; rel="next"' % body["next"]
        path = body["next"]
    assert seen == made


def test_since_lists_only_responses_created_at_or_after_it(survey, partner):
    early = [p.submit_ok(survey, p.response_body(), partner["key"]) for _ in range(2)]
    # created_at is shown to the second: the next ones in a later second (the
    # database runs on this machine's clock).
    waiting.wait_until(p.now_utc, lambda now: now.replace(microsecond=0) > parse_time(
        early[-1]["created_at"]), "a second after the last early response")
    late = [p.submit_ok(survey, p.response_body(), partner["key"]) for _ in range(2)]
    since = late[0]["created_at"]
    assert parse_time(since) > parse_time(early[-1]["created_at"])
    path = p.responses_path(survey)
    got = p.walk(path + "?" + p.requests.compat.urlencode({"since": since}), partner["key"])
    assert {x["id"] for x in got} == {x["id"] for x in late}
    got = p.walk(path + "?order=asc&since=" + p.requests.utils.quote(
        p.rfc3339(p.now_utc() + datetime.timedelta(hours=1))), partner["key"])
    assert got == []


@pytest.mark.parametrize("query, parameter", [
    ("order=newest", "order"), ("since=yesterday", "since"), ("limit=0", "limit"),
    ("limit=201", "limit"), ("cursor=nonsense", "cursor"), ("sort=id", "sort"),
    ("order=asc&order=desc", "order"),
])
def test_a_bad_list_parameter_is_400_naming_it(shared, query, parameter):
    path = p.responses_path(shared["survey"])
    r = p.get(path + "?" + query, shared["key"])
    body = p.problem(r, 400, "invalid-parameter", path)
    assert parameter in [e.get("parameter") for e in body.get("errors", [])], body


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_walking_pages_of_7_while_responses_arrive_neither_skips_nor_repeats(
        survey, partner, order):
    seeded = p.ok_json(p.post(p.responses_path(survey) + "/batch", {"responses": [
        p.response_body(external_id="pre-%02d" % i) for i in range(40)]}, partner["key"]))
    existing = {x["response"]["id"] for x in seeded["results"]}
    assert len(existing) == 40

    stop = threading.Event()
    written, refused = [], []

    def writer():
        with p.requests.Session() as s:
            for i in range(300):
                if stop.is_set():
                    return
                r = p.submit(survey, p.response_body(external_id="live-%03d" % i),
                             partner["key"], session=s)
                if r.status_code != 201:
                    refused.append((r.status_code, r.content[:300]))
                    return
                written.append(r.json()["id"])

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        waiting.wait_until(lambda: (len(written), list(refused)),
                           lambda seen: seen[0] >= 3 or seen[1],
                           "three responses written during the walk")
        ids, path = [], p.responses_path(survey) + "?limit=7&order=" + order
        for _ in range(100):
            body = p.ok_json(p.get(path, p.ADMIN_KEY))
            assert len(body["items"]) <= 7
            ids += [x["id"] for x in body["items"]]
            if body["next"] is None:
                break
            path = body["next"]
            time.sleep(0.01)
        else:
            pytest.fail("the walk did not end within 100 pages")
    finally:
        stop.set()
        thread.join(timeout=waiting.WAIT_LIMIT_S)
    assert not thread.is_alive(), "the writer did not stop"
    assert refused == []
    assert len(written) > 0, "the writer wrote nothing during the walk"
    assert len(ids) == len(set(ids)), "a response was listed twice"
    assert existing <= set(ids), "responses that existed before the walk were skipped"
    assert set(ids) <= existing | set(written)


# --- voiding ---------------------------------------------------------------------------------

def void_path(survey, response_id):
    return p.responses_path(survey) + "/" + response_id + "/void"


def test_voiding_keeps_the_response_with_status_voided_and_the_reason(survey, partner):
    created = p.submit_ok(survey, p.response_body(), partner["key"])
    r = p.post(void_path(survey, created["id"]), {"reason": "Duplicate paper form"},
               p.ADMIN_KEY)
    voided = p.ok_json(r)
    assert (voided["id"], voided["status"], voided["void_reason"]) == (
        created["id"], "voided", "Duplicate paper form")
    assert TIME_RE.match(voided["voided_at"])
    assert {k: v for k, v in voided.items() if k not in ("status", "voided_at", "void_reason")
            } == {k: v for k, v in created.items()
                  if k not in ("status", "voided_at", "void_reason")}
    assert p.ok_json(p.get(p.responses_path(survey) + "/" + created["id"], partner["key"])) \
        == voided
    assert p.survey_response_count(survey) == 1
    assert [x["status"] for x in p.walk(p.responses_path(survey), p.ADMIN_KEY)] == ["voided"]


def test_a_voided_response_no_longer_counts_in_the_tallies(survey, partner):
    keep = p.submit_ok(survey, p.response_body(agree="agree"), partner["key"])
    drop = p.submit_ok(survey, p.response_body(agree="disagree"), partner["key"])
    before = p.tallies(survey)
    assert before["total"] == 2
    p.ok_json(p.post(void_path(survey, drop["id"]), {"reason": "spam"}, p.ADMIN_KEY))
    after = p.tallies(survey)
    assert after["total"] == 1
    agree = p.question_tally(after, "agree")
    assert agree["counts"]["disagree"] == 0 and agree["counts"]["agree"] == 1
    assert agree["answered"] == 1
    assert keep["id"] != drop["id"]


def test_voiding_again_is_409_already_voided(survey, partner):
    created = p.submit_ok(survey, p.response_body(), partner["key"])
    path = void_path(survey, created["id"])
    p.ok_json(p.post(path, {"reason": "first"}, p.ADMIN_KEY))
    before = p.db_fingerprint()
    p.problem(p.post(path, {"reason": "second"}, p.ADMIN_KEY), 409, "already-voided", path)
    assert p.db_fingerprint() == before
    stored = p.ok_json(p.get(p.responses_path(survey) + "/" + created["id"], p.ADMIN_KEY))
    assert stored["void_reason"] == "first"


def test_a_partner_voiding_its_own_response_is_403_and_it_still_counts(survey, partner):
    created = p.submit_ok(survey, p.response_body(), partner["key"])
    path = void_path(survey, created["id"])
    p.problem(p.post(path, {"reason": "mine"}, partner["key"]), 403, "forbidden", path)
    stored = p.ok_json(p.get(p.responses_path(survey) + "/" + created["id"], partner["key"]))
    assert stored["status"] == "counted"
    assert p.tallies(survey)["total"] == 1


@pytest.mark.parametrize("body, pointer", [
    ({}, "/reason"), ({"reason": ""}, "/reason"), ({"reason": "r" * 501}, "/reason"),
    ({"reason": "ok", "by": "me"}, "/by"),
], ids=["no-reason", "empty-reason", "long-reason", "unknown-member"])
def test_voiding_with_a_bad_body_is_422_and_voids_nothing(survey, partner, body, pointer):
    created = p.submit_ok(survey, p.response_body(), partner["key"])
    path = void_path(survey, created["id"])
    assert pointer in p.invalid_body(p.post(path, body, p.ADMIN_KEY), path)
    assert p.survey_response_count(survey, "AND r.voided_at IS NULL") == 1


def test_voiding_an_unknown_response_is_404(survey):
    path = void_path(survey, str(uuid.uuid4()))
    p.problem(p.post(path, {"reason": "gone"}, p.ADMIN_KEY), 404, "not-found", path)

"""Idempotency-Key on POST /v1/surveys/{survey}/responses (issue 3): retries
with one key store one response and answer the first status and body again;
the same key with another body is 422 idempotency-key-reused; keys are
scoped per API key."""

import uuid

import pytest

import partners as p
import waiting
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

pytestmark = p.needs_harness


def idem_rows(key_id, idem_key):
    return p.db_count("idempotency_keys i JOIN api_keys k ON k.id = i.key_id "
                      "WHERE k.public_id = %s AND i.idem_key = %s"
                      % (p.sql_text(key_id), p.sql_text(idem_key)))


def test_twenty_retries_with_one_key_store_one_response_and_answer_the_same(survey, partner):
    idem = "retry-" + uuid.uuid4().hex
    body = p.response_body(top=p.objectives()[:2], color="green")
    answers = []
    with p.requests.Session() as s:
        for _ in range(20):
            r = p.submit(survey, body, partner["key"], headers={"Idempotency-Key": idem},
                         session=s)
            answers.append((r.status_code, r.content, r.headers.get("Location")))
    assert answers[0][0] == 201, answers[0]
    assert len(set(answers)) == 1, set(answers)
    assert p.survey_response_count(survey) == 1
    assert idem_rows(partner["id"], idem) == 1


def test_retries_on_fresh_connections_answer_the_same(survey, partner):
    idem = "fresh-" + uuid.uuid4().hex
    body = p.response_body()
    answers = [p.submit(survey, body, partner["key"], headers={"Idempotency-Key": idem},
                        fresh=True) for _ in range(10)]
    assert {(r.status_code, r.content) for r in answers} == {
        (201, answers[0].content)}
    assert p.survey_response_count(survey) == 1


def test_the_same_key_with_another_body_is_422_idempotency_key_reused(survey, partner):
    idem = "reuse-" + uuid.uuid4().hex
    first = p.submit(survey, p.response_body(), partner["key"],
                     headers={"Idempotency-Key": idem})
    p.ok_json(first, 201)
    before = p.db_fingerprint()
    path = p.responses_path(survey)
    r = p.submit(survey, p.response_body(), partner["key"], headers={"Idempotency-Key": idem})
    p.problem(r, 422, "idempotency-key-reused", path)
    assert p.db_fingerprint() == before
    assert p.survey_response_count(survey) == 1


def test_the_first_answer_still_comes_back_after_a_reused_key_was_refused(survey, partner):
    idem = "after-" + uuid.uuid4().hex
    body = p.response_body()
    first = p.submit(survey, body, partner["key"], headers={"Idempotency-Key": idem})
    assert first.status_code == 201
    p.submit(survey, p.response_body(), partner["key"], headers={"Idempotency-Key": idem})
    again = p.submit(survey, body, partner["key"], headers={"Idempotency-Key": idem})
    assert (again.status_code, again.content) == (201, first.content)


def test_keys_are_scoped_per_api_key(survey):
    one, two = p.create_key(), p.create_key()
    idem = "shared-" + uuid.uuid4().hex
    body = p.response_body()
    a = p.ok_json(p.submit(survey, body, one["key"], headers={"Idempotency-Key": idem}), 201)
    b = p.ok_json(p.submit(survey, body, two["key"], headers={"Idempotency-Key": idem}), 201)
    assert a["id"] != b["id"]
    assert (a["partner"], b["partner"]) == (one["id"], two["id"])
    assert p.survey_response_count(survey) == 2


def test_a_key_reused_on_another_survey_never_answers_the_first_surveys_response(partner):
    first, second = p.make_surveys([{}, {}])
    idem = "cross-" + uuid.uuid4().hex
    body = p.response_body()
    p.ok_json(p.submit(first["id"], body, partner["key"], headers={"Idempotency-Key": idem}),
              201)
    r = p.submit(second["id"], body, partner["key"], headers={"Idempotency-Key": idem})
    # Either refused as a reused key, or stored in the second survey; never
    # the first survey's response passed off as the answer for the second.
    if r.status_code == 422:
        p.problem(r, 422, "idempotency-key-reused", p.responses_path(second["id"]))
        assert p.survey_response_count(second["id"]) == 0
    else:
        got = p.ok_json(r, 201)
        assert got["survey"] == second["id"], got
        assert r.headers["Location"].startswith(p.responses_path(second["id"]) + "/")
        assert p.survey_response_count(second["id"]) == 1


def test_an_idempotency_key_longer_than_255_characters_is_refused_and_stores_nothing(
        survey, partner):
    before = p.db_fingerprint()
    r = p.submit(survey, p.response_body(), partner["key"],
                 headers={"Idempotency-Key": "k" * 256})
    assert 400 <= r.status_code < 500, (r.status_code, r.content[:300])
    assert p.media_type(r) == "application/problem+json"
    assert p.db_fingerprint() == before


def test_an_idempotency_key_of_255_characters_is_accepted(survey, partner):
    idem = ("k" * 223) + uuid.uuid4().hex
    assert len(idem) == 255
    body = p.response_body()
    first = p.submit(survey, body, partner["key"], headers={"Idempotency-Key": idem})
    again = p.submit(survey, body, partner["key"], headers={"Idempotency-Key": idem})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.content == again.content


def test_a_refusal_while_a_worker_has_not_loaded_the_survey_does_not_pin_the_key(partner):
    """A survey made a moment ago is not yet in every worker's snapshot
    (they poll five times a second). What such a worker answers is
    transient: a retry with the same Idempotency-Key once the survey is
    loaded must store the response, not replay a refusal for 24 hours."""
    workers = p.each_worker()
    if len(workers) < 2:
        pytest.skip("one worker: every survey is loaded by the worker that made it")
    writer, other = workers[0], workers[1]
    for _ in range(12):
        body = p.survey_body()
        survey = body["id"]
        # Sent, and its answer read only once `other` has been asked: the
        # writer answers after loading the survey itself, by which time the
        # other worker may have loaded it too.
        writer.send("POST", "/v1/surveys", body=body, key=p.ADMIN_KEY)
        waiting.wait_until(lambda: p.db_count("surveys WHERE slug = %s" % p.sql_text(survey)),
                           lambda n: n == 1, "survey %s in the database" % survey)
        unseen = other.request("GET", "/v1/surveys/" + survey).status_code == 404
        if unseen:
            idem = "stale-" + uuid.uuid4().hex
            answer = p.response_body()
            headers = {"Idempotency-Key": idem}
            first = other.request("POST", p.responses_path(survey), body=answer,
                                  key=partner["key"], headers=headers)
        p.ok_json(writer.receive(), 201)
        p.remember_survey(survey)
        if unseen:
            break
    else:
        pytest.skip("the other worker had always loaded the new survey (12 tries)")
    p.wait_served(survey)
    retry = other.request("POST", p.responses_path(survey), body=answer, key=partner["key"],
                          headers=headers)
    assert retry.status_code == 201, "first: %s %s\nretry: %s %s" % (
        first.status_code, first.text[:400], retry.status_code, retry.text[:400])
    assert p.survey_response_count(survey) == 1

"""Concurrent submissions (issue 3): exactly once under a race (the
database's constraints, not luck, keep one row), and tallies that equal a
direct count in the database after 1,000 concurrent submissions from five
partners."""

import collections
import random
import threading
import uuid

import partners as p
import waiting
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

pytestmark = p.needs_harness

THREADS = 20


def race(n, fn):
    """fn(i) for i in range(n), each thread starting at the same moment (a
    barrier), every call on its own connection."""
    barrier = threading.Barrier(n, timeout=waiting.WAIT_LIMIT_S)

    def one(i):
        barrier.wait()
        return fn(i)

    return p.concurrently(one, range(n), threads=n)


def test_50_concurrent_identical_submissions_store_exactly_one_response():
    survey = p.make_survey()["id"]
    partner = p.create_key()
    body = p.response_body(top=p.objectives()[:3], tags=["a", "c"])
    results = race(50, lambda i: p.submit(survey, body, partner["key"], fresh=True))
    statuses = collections.Counter(r.status_code for r in results)
    assert statuses == {201: 1, 200: 49}, statuses
    assert len({r.json()["id"] for r in results}) == 1
    assert len({r.headers.get("Location") for r in results}) == 1
    assert p.survey_response_count(survey) == 1
    assert p.db_count("response_answers a JOIN responses r ON r.id = a.response_id "
                      "WHERE r.public_id = '%s'" % results[0].json()["id"]) == 6
    assert p.tallies(survey)["total"] == 1


def test_50_concurrent_different_bodies_with_one_external_id_store_exactly_one():
    survey = p.make_survey()["id"]
    partner = p.create_key()
    external_id = "race-" + uuid.uuid4().hex
    levels = p.AGREEMENT_LEVELS

    def submit(i):
        body = p.response_body(external_id=external_id, agree=levels[i % 5],
                               top=[p.objectives()[i % 14]])
        return p.submit(survey, body, partner["key"], fresh=True)

    results = race(50, submit)
    statuses = collections.Counter(r.status_code for r in results)
    assert statuses[201] == 1, statuses
    assert set(statuses) <= {200, 201, 409}, statuses
    winner = [r for r in results if r.status_code == 201][0]
    for r in results:
        if r.status_code == 409:
            assert r.json()["type"] == "/problems/duplicate-response"
            assert r.json()["existing_response"] == winner.headers["Location"]
        elif r.status_code == 200:
            assert r.json() == winner.json()
    assert p.survey_response_count(survey) == 1
    assert p.tallies(survey)["total"] == 1


def test_50_concurrent_submissions_with_one_idempotency_key_store_exactly_one():
    survey = p.make_survey()["id"]
    partner = p.create_key()
    idem = "race-" + uuid.uuid4().hex
    body = p.response_body()
    results = race(50, lambda i: p.submit(survey, body, partner["key"], fresh=True,
                                          headers={"Idempotency-Key": idem}))
    statuses = collections.Counter(r.status_code for r in results)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] >= 1, statuses
    assert len({r.content for r in results if r.status_code == 201}) == 1
    for r in results:
        if r.status_code == 409:
            assert r.json()["type"] == "/problems/idempotency-key-in-use", r.json()
    assert p.survey_response_count(survey) == 1


def random_body(rng, objectives):
    answers = {"agree": rng.choice(p.AGREEMENT_LEVELS),
               "top": rng.sample(objectives, rng.randint(1, 3))}
    if rng.random() < 0.7:
        answers["color"] = rng.choice(["red", "green", "blue"])
    if rng.random() < 0.5:
        answers["tags"] = rng.sample(["a", "b", "c", "d"], rng.randint(1, 2))
    if rng.random() < 0.3:
        answers["comment"] = "note %d" % rng.randint(0, 999)
    return {"external_id": "load-" + uuid.uuid4().hex, "answers": answers}


def db_tallies(survey):
    """Counted responses and answer rows per (question, value), counted
    directly in the database."""
    total = p.survey_response_count(survey, "AND r.voided_at IS NULL")
    rows = p.psql(
        "SELECT a.question, a.value, count(*) FROM response_answers a "
        "JOIN responses r ON r.id = a.response_id JOIN surveys s ON s.id = r.survey_id "
        "WHERE s.slug = %s AND r.voided_at IS NULL GROUP BY 1, 2" % p.sql_text(survey))
    counts = collections.Counter()
    for line in filter(None, rows.split("\n")):
        q, v, n = line.split("|")
        counts[(q, v)] = int(n)
    answered = collections.Counter()
    rows = p.psql(
        "SELECT a.question, count(DISTINCT a.response_id) FROM response_answers a "
        "JOIN responses r ON r.id = a.response_id JOIN surveys s ON s.id = r.survey_id "
        "WHERE s.slug = %s AND r.voided_at IS NULL GROUP BY 1" % p.sql_text(survey))
    for line in filter(None, rows.split("\n")):
        q, n = line.split("|")
        answered[q] = int(n)
    return total, counts, answered


def test_1000_concurrent_submissions_from_5_partners_tally_exactly_the_database_count():
    survey = p.make_survey()["id"]
    keys = [p.create_key()["key"] for _ in range(5)]
    objectives = p.objectives()
    rng = random.Random(20210121)
    bodies = [random_body(rng, objectives) for _ in range(1000)]
    local = threading.local()

    def submit(i):
        s = getattr(local, "session", None)
        if s is None:
            s = local.session = p.requests.Session()
        r = p.submit(survey, bodies[i], keys[i % 5], session=s)
        return r.status_code, (r.content[:200] if r.status_code != 201 else None)

    results = p.concurrently(submit, range(1000), threads=THREADS)
    assert collections.Counter(s for s, _ in results) == {201: 1000}, [
        x for x in results if x[0] != 201][:5]

    expected = collections.Counter()
    for b in bodies:
        for q, v in b["answers"].items():
            if q != "comment":
                for value in (v if isinstance(v, list) else [v]):
                    expected[(q, value)] += 1

    total, counts, answered = db_tallies(survey)
    doc = p.tallies(survey)
    assert total == 1000
    assert doc["total"] == total
    assert counts == expected

    agree = p.question_tally(doc, "agree")
    assert agree["answered"] == answered["agree"] == 1000
    assert agree["counts"] == {lv: counts[("agree", lv)] for lv in p.AGREEMENT_LEVELS}
    top = p.question_tally(doc, "top")
    assert top["answered"] == answered["top"] == 1000
    votes = {o["id"]: o["votes"] for o in top["objectives"]}
    assert {k: v for k, v in votes.items() if v} == {
        value: n for (q, value), n in counts.items() if q == "top"}
    assert sum(votes.values()) == sum(len(b["answers"]["top"]) for b in bodies)
    for qid, options in (("color", ["red", "green", "blue"]), ("tags", ["a", "b", "c", "d"])):
        t = p.question_tally(doc, qid)
        assert t["answered"] == answered[qid]
        assert t["counts"] == {o: counts[(qid, o)] for o in options}
    per_partner = p.psql(
        "SELECT count(*) FROM responses r JOIN surveys s ON s.id = r.survey_id "
        "WHERE s.slug = %s GROUP BY r.key_id ORDER BY 1" % p.sql_text(survey))
    assert per_partner.split("\n") == ["200"] * 5

"""Group commit: the submissions that reach a worker while its stores run
are stored together, with one call in one transaction, and each request
still gets the answer it would get alone; none is answered before its
group has committed (a crash of the database under load loses no response
that was acknowledged).

The 50 identical submissions and the 1,000 from five partners, which now
go through the same groups, are in test_concurrency.py."""

import collections
import os
import subprocess
import threading
import uuid

import pytest

import partners as p
import server
import waiting
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)
from test_db_recovery import database  # noqa: F401  (the cluster, crashed and started again)
from test_metrics import TOKEN, needs_token, samples, value

pytestmark = [p.needs_harness, needs_token, server.needs_server_pid]

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PG_DIR = os.environ.get("CIVIC_PG_DIR")
PG_PORT = os.environ.get("CIVIC_PG_PORT")
STORES = 2          # stores at once per worker (src/dbq.c, DBQ_GROUPS)
NEW_PER_WORKER = 3  # new responses in each worker's group


def waiting_in_workers():
    """Requests waiting for the database, summed over the workers
    (civic_db_queue_waiting, scraped with the token: no database)."""
    r = p.get("/metrics", headers={"Authorization": "Bearer " + TOKEN})
    assert r.status_code == 200, r.content[:300]
    return value(samples(r.text), "civic_db_queue_waiting")


class KeysLocked:
    """A psql session holding api_keys locked: every store of submissions
    waits in the database (api_submit_check reads the key) until release()."""

    def __init__(self):
        self.psql = subprocess.Popen(
            ["psql", "-X", "-qtA", "-v", "ON_ERROR_STOP=1", p.DATABASE_URL],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        self.psql.stdin.write("BEGIN;\nLOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE;\n"
                              "\\echo locked\n")
        self.psql.stdin.flush()
        assert self.psql.stdout.readline().strip() == "locked"

    def release(self):
        if self.psql.stdin.closed:
            return
        self.psql.stdin.write("COMMIT;\n")
        self.psql.stdin.close()
        self.psql.wait(timeout=waiting.WAIT_LIMIT_S)


def test_a_group_with_every_kind_of_result_answers_each_request_as_alone():
    """Per worker: its stores held by a lock, a dozen submissions of every
    kind wait, then go together in one store (their new rows share one
    transaction id) and each is answered as it would be alone: 201, 200,
    409 (a conflict, a closed survey), 422 (faults, an Idempotency-Key
    reused), 401, 403, and an Idempotency-Key's replay."""
    survey, other, closed = p.make_surveys([{}, {}, {"status": "closed"}])
    survey, other, closed = survey["id"], other["id"], closed["id"]
    key = p.create_key()
    limited = p.create_key(surveys=[other])
    revoked = p.create_key()
    p.revoke_key(revoked["id"])
    path = p.responses_path(survey)

    stored = p.response_body()
    first = p.submit(survey, stored, key["key"])
    assert first.status_code == 201, first.content[:300]

    def idempotent():
        """An Idempotency-Key, a body and the first answer to them."""
        idem, body = "group-" + uuid.uuid4().hex, p.response_body()
        r = p.submit(survey, body, key["key"], headers={"Idempotency-Key": idem})
        assert r.status_code == 201, r.content[:300]
        return idem, body, r

    def requests(idem, idem_body):
        """(name, path, body, key, headers) of one worker's group."""
        out = [("new", path, p.response_body(), key["key"], {})
               for _ in range(NEW_PER_WORKER)]
        out += [
            ("again", path, stored, key["key"], {}),
            ("conflict", path, dict(stored, answers={"agree": "neutral",
                                                     "top": p.objectives()[1:2]}),
             key["key"], {}),
            ("faults", path, p.response_body(agree="maybe"), key["key"], {}),
            ("revoked", path, p.response_body(), revoked["key"], {}),
            ("forbidden", path, p.response_body(), limited["key"], {}),
            ("closed", p.responses_path(closed), p.response_body(), key["key"], {}),
            ("replay", path, idem_body, key["key"], {"Idempotency-Key": idem}),
            ("reused", path, p.response_body(), key["key"], {"Idempotency-Key": idem}),
        ]
        return out

    # One Idempotency-Key per worker: the same key in two groups at once
    # is a 409 (in progress), as it is for two requests alone.
    pools = server.connect_each_worker(per_worker=STORES + len(requests("", {})))
    replays = {pid: idempotent() for pid in pools}
    # Each worker learns every key first (its request log names a key it
    # knows; the first request of a key looks it up, alone).
    for conns in pools.values():
        for k in (key, limited, revoked):
            r = conns[0].get(path + "?limit=1", key=k["key"])
            assert r.status_code in (200, 401, 403), r

    sent = {}
    locked = KeysLocked()
    try:
        for pid, conns in pools.items():
            for wc in conns[:STORES]:
                wc.send("POST", path, p.response_body(), key=key["key"])
        waiting.wait_until(
            lambda: int(p.psql("SELECT count(*) FROM pg_locks WHERE NOT granted "
                               "AND relation = 'api_keys'::regclass")),
            lambda n: n >= STORES * len(pools),
            "%d stores waiting for the lock" % (STORES * len(pools)))
        base = waiting_in_workers()
        for pid, conns in pools.items():
            sent[pid] = requests(*replays[pid][:2])
            for wc, (name, where, body, k, headers) in zip(conns[STORES:], sent[pid]):
                wc.send("POST", where, body, key=k, headers=headers)
        want = base + sum(len(r) for r in sent.values())
        waiting.wait_until(waiting_in_workers, lambda n: n >= want,
                           "%d submissions gathered in the workers" % want)
    finally:
        locked.release()

    for pid, conns in pools.items():
        for wc in conns[:STORES]:
            r = wc.receive()
            assert r.status_code == 201, r
        got = {}
        for wc, (name, _, body, _, _) in zip(conns[STORES:], sent[pid]):
            got.setdefault(name, []).append((wc.receive(), body))

        ids = []
        for r, body in got["new"]:
            doc = p.ok_json(r, 201)
            assert doc["external_id"] == body["external_id"]
            assert r.headers["Location"] == "%s/%s" % (path, doc["id"])
            ids.append(doc["id"])
        txids = p.psql("SELECT DISTINCT txid FROM responses WHERE public_id IN (%s)"
                       % ", ".join("'%s'" % i for i in ids)).split()
        assert len(txids) == 1, "the new rows of worker %d: transactions %s" % (pid, txids)

        r, _ = got["again"][0]
        assert p.ok_json(r, 200) == first.json()
        assert r.headers["Location"] == first.headers["Location"]
        r, _ = got["conflict"][0]
        doc = p.problem(r, 409, "duplicate-response")
        assert doc["existing_response"] == first.headers["Location"]
        assert r.headers["Location"] == first.headers["Location"]
        r, _ = got["faults"][0]
        assert "/answers/agree" in p.pointers(p.problem(r, 422, "invalid-body"))
        p.problem(got["revoked"][0][0], 401, "unauthorized")
        p.problem(got["forbidden"][0][0], 403, "forbidden")
        p.problem(got["closed"][0][0], 409, "survey-not-open")
        r, _ = got["replay"][0]
        replayed = replays[pid][2]
        assert (r.status_code, r.json()) == (201, replayed.json())
        assert r.headers["Location"] == replayed.headers["Location"]
        p.problem(got["reused"][0][0], 422, "idempotency-key-reused")
        for conns_ in conns:
            conns_.close()

    # Each response once, and counted once.
    new = (NEW_PER_WORKER + STORES + 1) * len(pools) + 1
    assert p.survey_response_count(survey) == new
    assert p.tallies(survey)["total"] == new


def superuser(sql):
    """Run sql as the cluster's superuser (over its unix socket)."""
    sock = subprocess.run([os.path.join(REPO, "tools", "pg.sh"), "sockdir", PG_DIR],
                          capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["psql", "-X", "-qtA", "-v", "ON_ERROR_STOP=1",
                    "host=%s port=%s dbname=civicplan user=postgres" % (sock, PG_PORT),
                    "-c", sql], check=True, capture_output=True, timeout=waiting.WAIT_LIMIT_S)


@pytest.fixture
def durable_commits():
    """The throwaway cluster runs with synchronous_commit off (a commit is
    acknowledged before its WAL is written): on for the test, as in
    production, so that a crash keeps every commit acknowledged."""
    superuser("ALTER SYSTEM SET synchronous_commit = on")
    superuser("SELECT pg_reload_conf()")
    try:
        yield
    finally:
        superuser("ALTER SYSTEM RESET synchronous_commit")
        superuser("SELECT pg_reload_conf()")


def submitter(survey, key, acked, answers, stop):
    """Submit new responses one after another until stop is set; record
    every acknowledged one (2xx: id and external_id) in acked, and every
    status in answers."""
    session = p.requests.Session()
    while not stop.is_set():
        body = p.response_body()
        try:
            r = p.submit(survey, body, key, session=session)
        except p.requests.RequestException:
            answers["connection error"] += 1
            session = p.requests.Session()
            continue
        answers[r.status_code] += 1
        if r.status_code in (200, 201):
            acked.append((r.json()["id"], body["external_id"]))


def test_every_acknowledged_submission_is_stored_after_a_crash_under_load(
        durable_commits, database):
    """PostgreSQL stopped with -m immediate while 16 clients submit: once it
    is back, every response that was answered 201 is there; the others were
    answered with a 503 problem (or lost with their connection), never 201."""
    survey = p.make_survey()["id"]
    key = p.create_key()["key"]
    acked, answers, stop = [], collections.Counter(), threading.Event()
    threads = [threading.Thread(target=submitter, args=(survey, key, acked, answers, stop))
               for _ in range(16)]
    for t in threads:
        t.start()
    try:
        waiting.wait_until(lambda: len(acked), lambda n: n >= 300,
                           "300 acknowledged submissions before the crash")
        database.crash()
        waiting.wait_until(lambda: answers[503], lambda n: n >= 16,
                           "503s while the database is down")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=waiting.WAIT_LIMIT_S)
        if database.down:
            database.start()
    assert not any(t.is_alive() for t in threads)
    assert set(answers) <= {201, 503, "connection error"}, answers

    # Every worker reaches the database again, then count.
    for w in server.workers():
        waiting.wait_until(lambda: w.get("/readyz"), lambda r: r.status_code == 200,
                           "/readyz 200 on worker %d after the restart" % w.pid)
    # psql's own session was cut by the crash: the first query after it
    # only reconnects.
    p.psql("SELECT 1")
    ids = [i for i, _ in acked]
    stored = dict(line.split("|") for line in p.psql(
        "SELECT public_id, external_id FROM responses r JOIN surveys s "
        "ON s.id = r.survey_id WHERE s.slug = %s" % p.sql_text(survey)).split())
    missing = [(i, e) for i, e in acked if stored.get(i) != e]
    assert not missing, "%d of %d acknowledged responses are missing: %s" % (
        len(missing), len(ids), missing[:5])
    assert p.tallies(survey)["total"] == len(stored)

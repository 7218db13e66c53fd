"""Database loss and recovery.

Each test crashes the throwaway cluster itself (the `database_down` fixture:
tools/pg.sh crash, pg_ctl -m immediate) and, whatever happens, leaves it
running again, with every worker ready, for the tests that follow: no test
here depends on another having run before it. Every worker is checked, on a
connection of its own (server.py).
"""

import os
import subprocess
import time

import pytest

import partners as p
import seed_expected as seed
import server
import waiting
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PG_SH = os.path.join(REPO, "tools", "pg.sh")
PG_DIR = os.environ.get("CIVIC_PG_DIR")
PG_PORT = os.environ.get("CIVIC_PG_PORT")
PLAN = "/v1/plans/" + seed.PLAN_ID
PLAN_ROUTES = [
    "/v1/plans/current",
    PLAN,
    PLAN + "/goals",
    PLAN + "/goals/quality",
    PLAN + "/objectives",
    PLAN + "/objectives?goal=quality",
    PLAN + "/objectives/reduce-blight",
    PLAN + "/priorities",
    PLAN + "/priorities?year=2021",
    "/v1/surveys",
    "/v1/surveys/" + seed.SURVEY_ID,
]
READY_STREAK = 20
RECOVERY_LIMIT_S = 2.0      # readyz steadily 200 after the database is back
FRESHNESS_LIMIT_S = 1.0     # every worker serves a write (README, Freshness)
SLOTS = 5                   # pooled connections for requests (conf: 9; 2 kept for
                            # the background, 2 for the stores of submissions)

pytestmark = [
    pytest.mark.skipif(not (PG_DIR and PG_PORT),
                       reason="CIVIC_PG_DIR/CIVIC_PG_PORT not set (run through tools/test.sh)"),
    server.needs_server_pid,
]


def pg(*args):
    # pg.sh bounds its own waits (pg_ctl -t 30, a few tries): this only
    # guards against a hang.
    return subprocess.run([PG_SH, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=4 * waiting.WAIT_LIMIT_S)


def readyz(api):
    """One /readyz on a fresh connection (any worker may take it)."""
    return api.get("/readyz", fresh=True)


def documents(conn):
    """{path: (status, ETag, bytes)} of PLAN_ROUTES as worker conn serves them."""
    out = {}
    for path in PLAN_ROUTES:
        r = conn.get(path)
        out[path] = (r.status_code, r.headers.get("etag"), r.content)
    return out


def fill_pools():
    """Make every worker open all the pooled connections its requests may
    hold (as any busy moment does): while a psql session locks the API
    keys, SLOTS requests per worker wait in the database, each on a
    connection of its own."""
    pools = server.connect_each_worker(per_worker=SLOTS)
    want = SLOTS * len(pools)
    locker = subprocess.Popen(
        ["psql", "-X", "-qtA", "-v", "ON_ERROR_STOP=1", p.DATABASE_URL],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        locker.stdin.write("BEGIN;\nLOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE;\n"
                           "\\echo locked\n")
        locker.stdin.flush()
        assert locker.stdout.readline().strip() == "locked"
        for conns in pools.values():
            for w in conns:
                w.conn.request("GET", "/v1/keys?limit=1", headers={
                    "Host": "%s:%d" % (server.HOST, server.PORT),
                    "Authorization": "Bearer " + p.ADMIN_KEY})
        waiting.wait_until(
            lambda: int(p.psql("SELECT count(*) FROM pg_locks WHERE NOT granted "
                               "AND relation = 'api_keys'::regclass")),
            lambda n: n >= want, "%d requests waiting for the lock" % want)
    finally:
        locker.stdin.write("COMMIT;\n")
        locker.stdin.close()
        locker.wait(timeout=waiting.WAIT_LIMIT_S)
    for pid, conns in pools.items():
        for w in conns:
            r = w.conn.getresponse()
            r.read()
            assert r.status == 200, (pid, r.status)
    for conns in pools.values():
        for w in conns:
            w.close()


class Database:
    """The throwaway cluster, crashed and started by the test that holds it."""

    def __init__(self):
        self.down = False

    def crash(self):
        crashed = pg("crash", PG_DIR)
        self.down = True
        assert crashed.returncode == 0, crashed.stderr

    def start(self):
        """Start it again (pg.sh waits until it accepts connections); the
        time.monotonic() it was ready."""
        started = pg("start", PG_DIR, PG_PORT)
        self.down = False
        assert started.returncode == 0, started.stderr
        return time.monotonic()


@pytest.fixture
def database():
    """The cluster, for the test to crash and start; whatever happens, it is
    running again afterwards and every worker answers /readyz with 200."""
    db = Database()
    try:
        yield db
    finally:
        if db.down:
            db.start()
        for w in server.workers():
            waiting.wait_until(lambda: w.get("/readyz"), lambda r: r.status_code == 200,
                               "/readyz 200 on worker %d after the restart" % w.pid)


@pytest.fixture
def database_down(database):
    """The cluster crashed; a dict with "db" (the Database) and "before"
    (what every worker served just before the crash). server.workers()
    gives a connection to each worker."""
    workers = server.workers()
    # Every worker at the same published data (an earlier write may still
    # be on its way to one of them): these are the bytes to keep.
    before = waiting.wait_until(
        lambda: [documents(w) for w in workers],
        lambda docs: all(d == docs[0] for d in docs) and all(
            status == 200 for status, _, _ in docs[0].values()),
        "the same plan documents on every worker")
    for w in workers:
        r = w.get("/readyz")
        assert r.status_code == 200, "readyz must be 200 before the crash: %r" % r
    database.crash()
    yield {"db": database, "before": before[0]}


def first_503(conn):
    """Poll /readyz on conn until it answers 503; return that response."""
    return waiting.wait_until(lambda: conn.get("/readyz"), lambda r: r.status_code == 503,
                              "/readyz 503 on worker %d" % conn.pid)


def test_readyz_is_a_503_problem_with_retry_after_while_the_database_is_down(
        api, problem, database_down):
    first_503(server.workers()[0])
    r = readyz(api)
    problem(r, 503, "service-unavailable", "/readyz")
    assert r.headers.get("Retry-After") == "1"


def test_readyz_stays_503_and_answers_fast_while_the_database_is_down(database_down):
    """Without the database, readyz answers at once (the unix socket refuses
    the connection) and never waits out libpq's connect_timeout (3 s)."""
    for w in server.workers():
        first_503(w)
        took = []
        for _ in range(10):
            started = time.monotonic()
            r = w.get("/readyz")
            took.append(time.monotonic() - started)
            assert r.status_code == 503, r
        took.sort()
        assert took[len(took) // 2] < 3.0, "worker %d: readyz took %r s" % (w.pid, took)


def test_plan_routes_keep_serving_the_same_bytes_while_the_database_is_down(
        database_down):
    for w in server.workers():
        first_503(w)
    for w in server.workers():
        assert documents(w) == database_down["before"], "worker %d" % w.pid


def test_healthz_stays_200_while_the_database_is_down(database_down):
    for w in server.workers():
        first_503(w)
        r = w.get("/healthz")
        assert r.status_code == 200, r
        assert r.json() == {"status": "ok"}


def test_readyz_is_steadily_200_on_every_worker_within_2_s_of_the_database_restart(
        database_down):
    """Polled on each worker in turn until each answers READY_STREAK 200s in
    a row; the time is the latest 503 seen (sent after the restart), which
    a slow test machine can only make smaller."""
    for w in server.workers():
        first_503(w)
    t0 = database_down["db"].start()
    workers = server.workers()
    seen = {w.pid: waiting.Staleness(t0) for w in workers}
    streak = {w.pid: 0 for w in workers}

    def poll():
        for w in workers:
            sent = time.monotonic()
            r = w.get("/readyz")
            if r.status_code == 200:
                streak[w.pid] += 1
                seen[w.pid].fresh(time.monotonic(), r.status_code)
            else:
                streak[w.pid] = 0
                seen[w.pid].stale(sent, r.status_code)
        return dict(streak)

    waiting.wait_until(poll, lambda s: min(s.values()) >= READY_STREAK,
                       "readyz steadily 200 on every worker", interval_s=0)
    late = {pid: s for pid, s in seen.items() if s.proven >= RECOVERY_LIMIT_S}
    assert not late, "readyz not steadily 200 within %.1f s of the restart: %r" % (
        RECOVERY_LIMIT_S, late)


@p.needs_harness
def test_every_worker_serves_a_write_within_a_second_of_a_database_restart(database):
    """A database restart leaves the connections in each worker's pool dead.
    A worker must not stop following the published data for it, even one
    that no request sent to the database since: a survey made right after
    the restart is served by every worker within 1 s of the request that
    made it (README: Freshness)."""
    fill_pools()
    database.crash()
    database.start()
    workers = server.workers()     # (none of these asks the database)
    body = p.survey_body()
    path = "/v1/surveys/" + body["id"]
    t0 = time.monotonic()   # the write commits after this, and before its answer
    created = workers[0].request("POST", "/v1/surveys", body=body, key=p.ADMIN_KEY)
    assert created.status_code == 201, created
    p.remember_survey(body["id"])
    seen = {w.pid: waiting.Staleness(t0) for w in workers}

    def poll():
        for w in workers:
            if seen[w.pid].bound is not None:
                continue
            sent = time.monotonic()
            r = w.get(path)
            if r.status_code == 200:
                assert r.json()["title"] == body["title"], (w.pid, r)
                seen[w.pid].fresh(time.monotonic(), r.status_code)
            else:
                seen[w.pid].stale(sent, r.status_code)
        return seen

    waiting.wait_until(poll, lambda s: all(x.bound is not None for x in s.values()),
                       "the new survey served by every worker")
    late = {pid: s for pid, s in seen.items() if s.proven >= FRESHNESS_LIMIT_S}
    assert not late, "workers still without the survey %.1f s after it was made: %r" % (
        FRESHNESS_LIMIT_S, late)

"""Database loss and recovery.

The module-scoped `database_down` fixture crashes the throwaway cluster
(tools/pg.sh crash: pg_ctl -m immediate) and, whatever happens, restarts it in
its finalizer. The recovery test restarts it itself and times readiness; it is
marked last_in_file so the "while down" tests run before it.
"""

import os
import subprocess
import time

import pytest

import seed_expected as seed

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
RECOVERY_LIMIT_S = 2.0

pytestmark = pytest.mark.skipif(
    not (PG_DIR and PG_PORT),
    reason="CIVIC_PG_DIR/CIVIC_PG_PORT not set (run through tools/test.sh)")


def pg(*args):
    return subprocess.run([PG_SH, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=90)


def readyz(api):
    """One /readyz on a fresh connection (any worker may take it)."""
    return api.get("/readyz", fresh=True, timeout=5)


@pytest.fixture(scope="module")
def database_down(api):
    """Crash the cluster; yield a dict the tests read and update.
    state["down"] is cleared by whoever starts the cluster again."""
    # Earlier tests write surveys: let every worker reach the last content
    # revision (they poll it every 0.5 s) before taking the reference bytes.
    time.sleep(1.2)
    before = {}
    for path in PLAN_ROUTES:
        r = api.get(path)
        assert r.status_code == 200, (path, r.status_code)
        before[path] = (r.content, r.headers.get("ETag"))
    r = readyz(api)
    assert r.status_code == 200, "readyz must be 200 before the crash: %r" % r.content[:300]

    crashed = pg("crash", PG_DIR)
    state = {"down": True, "before": before}
    try:
        assert crashed.returncode == 0, crashed.stderr
        yield state
    finally:
        if state["down"]:
            started = pg("start", PG_DIR, PG_PORT)
            state["down"] = False
            assert started.returncode == 0, started.stderr
            # Leave a ready server to the modules that follow (bounded wait).
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and readyz(api).status_code != 200:
                time.sleep(0.05)


def first_503(api, seconds=5.0):
    """Poll /readyz until it answers 503 (bounded); return that response."""
    deadline = time.monotonic() + seconds
    last = None
    for _ in range(500):
        last = readyz(api)
        if last.status_code == 503 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    return last


def test_readyz_is_a_503_problem_with_retry_after_while_the_database_is_down(
        api, problem, database_down):
    r = first_503(api)
    problem(r, 503, "service-unavailable", "/readyz")
    assert r.headers.get("Retry-After") == "1"


def test_readyz_stays_503_and_answers_fast_while_the_database_is_down(api, database_down):
    first_503(api)
    for _ in range(10):
        started = time.monotonic()
        r = readyz(api)
        assert r.status_code == 503, r.content[:300]
        assert time.monotonic() - started < 4.0  # connect_timeout=3 at worst


def test_plan_routes_keep_serving_the_same_bytes_while_the_database_is_down(
        api, database_down):
    first_503(api)
    for path in PLAN_ROUTES:
        r = api.get(path, fresh=True)
        assert r.status_code == 200, (path, r.status_code, r.content[:300])
        assert (r.content, r.headers.get("ETag")) == database_down["before"][path], path


def test_healthz_stays_200_while_the_database_is_down(api, database_down):
    first_503(api)
    r = api.get("/healthz", fresh=True)
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


@pytest.mark.last_in_file
def test_readyz_is_steadily_200_within_2_s_of_the_database_restart(api, database_down):
    assert first_503(api).status_code == 503, "the database should be down before restart"
    started = pg("start", PG_DIR, PG_PORT)
    database_down["down"] = False
    assert started.returncode == 0, started.stderr
    t0 = time.monotonic()

    streak = 0
    answers = []
    deadline = t0 + 10
    while streak < READY_STREAK and time.monotonic() < deadline:
        code = readyz(api).status_code
        answers.append(code)
        streak = streak + 1 if code == 200 else 0
    elapsed = time.monotonic() - t0

    assert streak == READY_STREAK, "readyz never steadily 200 in 10 s: %r" % answers[-40:]
    assert elapsed < RECOVERY_LIMIT_S, (
        "readyz steadily 200 only %.2f s after the restart (answers: %r)"
        % (elapsed, answers[-40:]))


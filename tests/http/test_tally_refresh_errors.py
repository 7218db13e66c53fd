"""Background tally refreshes that fail (tallies.c): a refresh query that
hits the service's statement_timeout (5 s) while a psql session locks the
counters must leave the worker alive and serving, and the refreshes must
start again once the lock is gone. A worker that died would also show after
the module (conftest.py: the workers' pids and the server log)."""

import subprocess
import time

import partners as p
import waiting
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

pytestmark = p.needs_harness

LOCK_S = 6.5    # over the service's statement_timeout (5 s)


def tallies_path(survey):
    return "/v1/surveys/%s/tallies" % survey


def test_a_refresh_that_times_out_leaves_the_worker_serving_and_refreshes_resume():
    survey = p.make_survey()["id"]
    partner = p.create_key()
    for _ in range(3):   # read: the worker keeps it fresh in the background
        p.ok_json(p.get(tallies_path(survey)))
        time.sleep(0.1)
    p.submit_ok(survey, p.response_body(), partner["key"])
    locker = subprocess.Popen(
        ["psql", "-X", "-qtA", "-v", "ON_ERROR_STOP=1", p.DATABASE_URL, "-c",
         "BEGIN; LOCK TABLE tally_counters IN ACCESS EXCLUSIVE MODE; "
         "SELECT pg_sleep(%s); COMMIT;" % LOCK_S],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + LOCK_S
        while time.monotonic() < deadline:
            # Served from memory meanwhile (the cache is served up to 10 s
            # old), never a cut connection.
            r = p.get(tallies_path(survey))
            assert r.status_code == 200, r.status_code
            assert p.get("/healthz").status_code == 200
            time.sleep(0.25)
    finally:
        locker.wait(timeout=LOCK_S + waiting.WAIT_LIMIT_S)
    assert p.get("/healthz").status_code == 200
    p.submit_ok(survey, p.response_body(), partner["key"])
    want = p.survey_response_count(survey)
    # Polling (as a dashboard does) sees the new count: refreshes resumed.
    waiting.wait_until(lambda: p.ok_json(p.get(tallies_path(survey))),
                       lambda doc: doc["total"] == want, "the tallies at %d responses" % want)

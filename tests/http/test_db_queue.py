"""Requests beyond the database pool (src/dbq.c): each worker lets a few
requests hold a pooled connection and queues the others, first come, first
served; submissions wait for the next of its stores. While PostgreSQL is
held up (a psql session holds a lock that every submission waits for), more
submissions than the stores take wait without an error and all complete
once it lets go; clients that give up while waiting leave no slot behind."""

import collections
import concurrent.futures
import subprocess

import partners as p
import waiting
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

pytestmark = p.needs_harness

# More than both workers' stores and pools (conf/app.conf: pgsql_conn_max 9
# per worker; 2 of them for the stores of submissions, 5 for requests).
WAITING = 40
STORES = 2


class Held:
    """A psql session holding SHARE on responses: inserts wait for it."""

    def __enter__(self):
        self.proc = subprocess.Popen(
            ["psql", "-X", "-qtA", "-v", "ON_ERROR_STOP=1", p.DATABASE_URL],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        self.proc.stdin.write("BEGIN;\nLOCK TABLE responses IN SHARE MODE;\n"
                              "\\echo locked\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "locked"
        return self

    def __exit__(self, *exc):
        self.proc.stdin.write("COMMIT;\n")
        self.proc.stdin.close()
        self.proc.wait(timeout=waiting.WAIT_LIMIT_S)

    @staticmethod
    def waiting():
        """Sessions waiting for the lock, or behind one that waits for it
        (each a store, or a request, holding a pooled connection)."""
        return int(p.psql("SELECT count(DISTINCT pid) FROM pg_locks "
                          "WHERE NOT granted"))


def submit_all(survey, key, n, timeout=waiting.WAIT_LIMIT_S):
    def one(i):
        try:
            return p.post(p.responses_path(survey), p.response_body(), key, fresh=True,
                          timeout=timeout).status_code
        except p.requests.exceptions.RequestException as e:
            return type(e).__name__
    return p.concurrently(one, range(n), threads=n)


def test_submissions_beyond_the_pool_wait_and_all_complete():
    survey = p.make_survey()["id"]
    partner = p.create_key()
    before = p.survey_response_count(survey)
    with Held() as held:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        pending = pool.submit(submit_all, survey, partner["key"], WAITING)
        # At least one worker's stores waiting for the lock; the other
        # submissions wait in its queue, for the next store.
        waiting.wait_until(held.waiting, lambda n: n >= STORES,
                           "%d stores waiting for the lock" % STORES)
        assert not pending.done(), "submissions did not wait for the lock"
        assert p.survey_response_count(survey) == before
    statuses = collections.Counter(pending.result(timeout=2 * waiting.WAIT_LIMIT_S))
    pool.shutdown()
    assert statuses == {201: WAITING}, statuses
    assert p.survey_response_count(survey) == before + WAITING


def test_clients_that_give_up_while_waiting_leave_no_slot_behind():
    first, then = (s["id"] for s in p.make_surveys([{}, {}]))
    partner = p.create_key()
    with Held():
        # The lock is held until every client has given up: none can be
        # answered in time, however slow the machine.
        gave_up = submit_all(first, partner["key"], WAITING, timeout=0.5)
    assert set(gave_up) == {"ReadTimeout"}, collections.Counter(gave_up)
    # Every slot is free again: as many submissions as before, at once,
    # all stored (a leaked slot would leave some waiting until the timeout).
    statuses = collections.Counter(submit_all(then, partner["key"], WAITING))
    assert statuses == {201: WAITING}, statuses
    assert p.survey_response_count(then) == WAITING

"""Waiting in the HTTP tests: one generous limit, and polls that say what they saw.

No test waits a fixed time and then asserts: it polls until what it expects
is served, for at most WAIT_LIMIT_S (CIVIC_TEST_WAIT_S, default 30 s), and a
wait that runs out fails with the last thing it saw. The limit only decides
how long a broken service is waited for; it is never what a test measures.
Where the service promises a time ("every worker serves a write within
1 s"), the test measures it from its own observations and asserts the
promise separately (see Staleness).
"""

import os
import time

import pytest

WAIT_LIMIT_S = float(os.environ.get("CIVIC_TEST_WAIT_S") or 30.0)
POLL_S = 0.02


def wait_until(fetch, check=bool, what="the expected state", limit_s=None,
               interval_s=POLL_S):
    """fetch() until check(result) holds, for at most limit_s (default
    WAIT_LIMIT_S); returns the result that passed. When the time runs out,
    fails the test naming `what` and the last result."""
    limit_s = WAIT_LIMIT_S if limit_s is None else limit_s
    deadline = time.monotonic() + limit_s
    tries = 0
    while True:
        result = fetch()
        tries += 1
        if check(result):
            return result
        if time.monotonic() > deadline:
            pytest.fail("not %s after %.1f s (%d tries); last seen: %s"
                        % (what, limit_s, tries, _show(result)))
        time.sleep(interval_s)


def _show(value):
    text = repr(value)
    return text if len(text) <= 2000 else text[:2000] + "..."


class Staleness:
    """How long something stayed stale after a moment t0, as far as polls
    can tell, without counting the tests' own delays against the service.

    A poll sent at `sent` that still sees the old state proves the service
    was stale at least until then: `proven` is the latest such send time
    after t0 (0 if the first poll already saw the new state). A poll
    answered at `answered` with the new state bounds it from above: `bound`.
    A promise "within N s" is broken for certain when proven > N, however
    slowly the test itself ran (a loaded machine only delays polls, which
    makes `bound` larger, never `proven`)."""

    def __init__(self, t0):
        self.t0 = t0
        self.proven = 0.0
        self.bound = None
        self.polls = 0
        self.last = None

    def stale(self, sent, seen):
        self.polls += 1
        self.last = seen
        self.proven = max(self.proven, sent - self.t0)

    def fresh(self, answered, seen):
        self.polls += 1
        self.last = seen
        if self.bound is None:
            self.bound = answered - self.t0

    def __repr__(self):
        return ("stale for at least %.3f s%s (%d polls, last seen: %s)"
                % (self.proven, "" if self.bound is None else
                   ", served within %.3f s" % self.bound, self.polls, _show(self.last)))

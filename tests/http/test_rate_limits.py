"""Rate limits (src/limits.c, src/ratelimit.c): per API key, or per address
without a live key, counted across every worker; a separate, generous quota
for the cached public reads; RateLimit and RateLimit-Policy on the answers
(draft-ietf-httpapi-ratelimit-headers), 429 problems with Retry-After.

The suite's server (tools/test.sh) has limits far above what the suite sends
from its one address, over a window of an hour: the tests here give a key a
small limit of its own. The limits per address and for public reads are
tested on a server of this module's own (two workers, small limits), on
TEST_PORT + 5 (CIVIC_RATELIMIT_TEST_PORT), against the same database.

Every loop is bounded in count and in time; waits poll (waiting.py).
"""

import json
import os
import re
import signal
import socket
import subprocess
import time
import http.client
import uuid

import pytest

import partners as p
import server
import test_metrics as metrics
import waiting
from test_contract import OPENAPI, Contract

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
# Any non-public route that answers without changing anything: a survey that
# does not exist (404 once the key is checked).
COUNTED = "/v1/surveys/no-such-survey-for-rate-limits/responses"

# RFC 8941 Items as the draft writes them: a String, then parameters.
ITEM = re.compile(r'^"([a-z]+)"((?:;[a-z]+=[0-9]+)+)$')


def sf_item(value):
    """(name, {param: int}) of a RateLimit or RateLimit-Policy value; fails
    on anything that is not an sf-item of a String and Integer parameters."""
    assert value is not None, "no such field"
    m = ITEM.match(value)
    assert m, "not a structured field item: %r" % value
    params = {}
    for part in m.group(2).split(";")[1:]:
        k, v = part.split("=")
        assert k not in params, value
        assert len(v) <= 15, value          # sf-integer: at most 15 digits
        params[k] = int(v)
    return m.group(1), params


def fields(r):
    """The policy name, q, w, r and t of an answer, checked to agree."""
    pname, policy = sf_item(r.headers.get("RateLimit-Policy"))
    lname, limit = sf_item(r.headers.get("RateLimit"))
    assert pname == lname, (pname, lname)
    assert set(policy) == {"q", "w"} and set(limit) == {"r", "t"}, (policy, limit)
    assert 0 <= limit["r"] < policy["q"], (policy, limit)
    assert 0 <= limit["t"] <= policy["w"], (policy, limit)
    return pname, policy["q"], policy["w"], limit["r"], limit["t"]


def too_many(r, name, q):
    """A 429 too-many-requests problem of policy name and quota q."""
    p.problem(r, 429, "too-many-requests")
    retry = r.headers.get("Retry-After")
    assert retry is not None and re.fullmatch(r"[1-9][0-9]*", retry), r.headers
    got = fields(r)
    assert got[:2] == (name, q) and got[3] == 0, got
    assert got[4] == int(retry), (got, retry)    # t is the moment Retry-After names
    assert int(retry) <= got[2], (retry, got)
    return int(retry)


# --------------------------------------------------------------- the suite's server

def test_answers_carry_well_formed_ratelimit_fields():
    r = p.get("/v1/plans")
    assert r.status_code == 200
    name, q, w, left, _ = fields(r)
    assert name == "public" and q >= 1 and 1 <= w <= 86400, r.headers
    r = p.get("/v1/keys")
    assert r.status_code == 401
    assert fields(r)[0] == "address", r.headers
    r = p.get("/v1/keys", key=p.ADMIN_KEY)
    assert r.status_code == 200
    assert fields(r)[0] == "key", r.headers
    # Not counted: OPTIONS, and answers given before the limiter.
    r = p.call("OPTIONS", "/v1/keys")
    assert r.status_code == 204 and "RateLimit" not in r.headers, r.headers


def _contract():
    with open(OPENAPI, encoding="utf-8") as f:
        return Contract(json.load(f))


def _charged_to_key(wc, key):
    """A request on worker connection wc with key: (its answer, whether the
    worker counted it against the key)."""
    r = wc.request("GET", COUNTED, key=key)
    return r, fields(r)[0] == "key"


def _until_every_worker_knows(conns, key):
    """Poll each worker with key until it counts against the key (a worker
    learns a new key within its poll); returns the answers charged to the
    key (one per worker)."""
    charged = {}

    def poll():
        for wc in conns:
            if wc.pid not in charged:
                r, known = _charged_to_key(wc, key)
                if known:
                    charged[wc.pid] = r
        return charged

    waiting.wait_until(poll, lambda c: len(c) == len(conns),
                       "the key counted by every worker")
    return list(charged.values())


@server.needs_server_pid
def test_a_keys_limit_of_n_lets_exactly_n_through_across_both_workers():
    n = 8
    # Made with its limit: a worker never counts it against another quota.
    made = p.ok_json(p.post("/v1/keys", {"name": "rate limited %s" % uuid.uuid4().hex[:8],
                                         "role": "partner", "rate_limit": n}, p.ADMIN_KEY), 201)
    assert made["rate_limit"] == n
    conns = server.each_worker_connections()
    assert len(conns) >= 2, conns
    before = metrics.samples(metrics.scrape())
    try:
        first = _until_every_worker_knows(conns, made["key"])
        assert [r.status_code for r in first] == [404] * len(conns), first
        assert [fields(r)[1] for r in first] == [n] * len(conns), first
        # Then requests alternate between the workers; each knows the key.
        answers = []
        for i in range(3 * n):
            wc = conns[i % len(conns)]
            r, known = _charged_to_key(wc, made["key"])
            assert known, r.headers
            answers.append((wc.pid, r))
        passed = [(pid, r) for pid, r in answers if r.status_code != 429]
        refused = [(pid, r) for pid, r in answers if r.status_code == 429]
        assert len(first) + len(passed) == n, [r.status_code for _, r in answers]
        # The first n - len(first) passed, every later one was refused.
        assert [r.status_code for _, r in answers[:len(passed)]] == [404] * len(passed)
        assert {pid for pid, _ in passed} == {wc.pid for wc in conns}, passed
        assert {pid for pid, _ in refused} == {wc.pid for wc in conns}, refused
        lefts = [fields(r)[3] for r in first] + [fields(r)[3] for _, r in passed]
        assert sorted(lefts, reverse=True) == list(range(n - 1, -1, -1)), lefts
        for _, r in refused:
            retry = too_many(r, "key", n)
            # One request comes back every w / n seconds (GCRA).
            assert retry <= fields(r)[2] // n + 1, (retry, r.headers)
        contract = _contract()
        for r in (passed[0][1], refused[0][1]):
            contract.check("/v1/surveys/{survey}/responses", "get", r)
        # /metrics counts every refusal, whichever worker made it.
        after = metrics.samples(metrics.scrape())
        assert (metrics.value(after, "civic_ratelimit_rejected_total") -
                metrics.value(before, "civic_ratelimit_rejected_total")) == len(refused)
    finally:
        for wc in conns:
            wc.close()
        p.revoke_key(made["id"])


@server.needs_server_pid
def test_a_changed_limit_applies_in_every_worker_within_a_second():
    made = p.create_key(name="limit changed %s" % uuid.uuid4().hex[:8])
    assert made["rate_limit"] is None
    conns = server.each_worker_connections()
    try:
        for r in _until_every_worker_knows(conns, made["key"]):
            assert fields(r)[1] > 1000, r.headers       # the suite's default
        body = p.ok_json(p.patch("/v1/keys/" + made["id"], {"rate_limit": 3}, p.ADMIN_KEY))
        t0 = time.monotonic()
        assert body["rate_limit"] == 3 and set(body) == p.KEY_FIELDS, body
        seen = {wc.pid: waiting.Staleness(t0) for wc in conns}

        def poll():
            for wc in conns:
                sent = time.monotonic()
                r = wc.request("GET", COUNTED, key=made["key"])
                q = fields(r)[1]
                if q == 3:
                    seen[wc.pid].fresh(time.monotonic(), q)
                else:
                    seen[wc.pid].stale(sent, q)
            return seen

        waiting.wait_until(poll, lambda s: all(x.bound is not None for x in s.values()),
                           "the new limit in every worker")
        p.assert_fresh_within(seen, 1.0, "a key's new rate limit")
        # Back to the default: null.
        body = p.ok_json(p.patch("/v1/keys/" + made["id"], {"rate_limit": None}, p.ADMIN_KEY))
        assert body["rate_limit"] is None, body
        waiting.wait_until(
            lambda: [fields(wc.request("GET", COUNTED, key=made["key"]))[1] for wc in conns],
            lambda qs: all(q > 1000 for q in qs), "the default limit back in every worker")
    finally:
        for wc in conns:
            wc.close()
        p.revoke_key(made["id"])


# Integers past 64 bits are past the JSON parser (a 400 malformed-body, below).
HOSTILE = [-1, 0, 10000001, 2 ** 63 - 1, 1e30, 1.5, 1.0, -0.0, "5", True, [], {}]


@pytest.mark.parametrize("value", HOSTILE, ids=[repr(v) for v in HOSTILE])
def test_a_hostile_rate_limit_is_a_422_naming_it(value):
    r = p.post("/v1/keys", {"name": "hostile %r" % (value,), "role": "partner",
                            "rate_limit": value}, p.ADMIN_KEY)
    assert p.invalid_body(r, "/v1/keys") == ["/rate_limit"]
    made = p.create_key(name="hostile patch")
    try:
        r = p.patch("/v1/keys/" + made["id"], {"rate_limit": value}, p.ADMIN_KEY)
        assert p.invalid_body(r, "/v1/keys/" + made["id"]) == ["/rate_limit"]
        assert [k for k in p.all_keys() if k["id"] == made["id"]][0]["rate_limit"] is None
    finally:
        p.revoke_key(made["id"])


def test_an_integer_past_64_bits_is_a_malformed_body():
    r = p.post("/v1/keys", {"name": "huge", "role": "partner", "rate_limit": 10 ** 30},
               p.ADMIN_KEY)
    assert "too big integer" in p.problem(r, 400, "malformed-body", "/v1/keys")["detail"]


def test_a_key_is_made_with_its_own_limit_and_null_is_the_default():
    r = p.post("/v1/keys", {"name": "own limit", "role": "partner", "rate_limit": 25}, p.ADMIN_KEY)
    made = p.ok_json(r, 201)
    try:
        assert made["rate_limit"] == 25
        listed = [k for k in p.all_keys() if k["id"] == made["id"]][0]
        assert listed["rate_limit"] == 25 and set(listed) == p.KEY_FIELDS
    finally:
        p.revoke_key(made["id"])
    made = p.ok_json(p.post("/v1/keys", {"name": "default limit", "role": "partner",
                                         "rate_limit": None}, p.ADMIN_KEY), 201)
    p.revoke_key(made["id"])
    assert made["rate_limit"] is None


def test_only_an_admin_changes_a_key(partner):
    made = p.create_key(name="not yours")
    try:
        r = p.patch("/v1/keys/" + made["id"], {"rate_limit": 1}, partner["key"])
        p.problem(r, 403, "forbidden")
        r = p.patch("/v1/keys/" + made["id"], {"rate_limit": 1})
        p.assert_unauthorized(r, False)
        r = p.patch("/v1/keys/key_0000000000000000", {"rate_limit": 1}, p.ADMIN_KEY)
        p.problem(r, 404, "not-found")
        r = p.patch("/v1/keys/" + made["id"], {"rate_limit": 5, "role": "admin"}, p.ADMIN_KEY)
        assert p.invalid_body(r) == ["/role"]
    finally:
        p.revoke_key(made["id"])


def test_a_limit_change_is_in_the_audit_log():
    made = p.create_key(name="audited limit")
    try:
        p.ok_json(p.patch("/v1/keys/" + made["id"], {"rate_limit": 9}, p.ADMIN_KEY))
        r = p.get("/v1/audit?resource=key&limit=200", p.ADMIN_KEY)
        entries = [e for e in p.ok_json(r)["items"]
                   if e["path"] == "/v1/keys/" + made["id"] and e["action"] == "update"]
        assert entries, "no audit entry for the change"
        assert entries[0]["before"]["rate_limit"] is None
        assert entries[0]["after"]["rate_limit"] == 9
    finally:
        p.revoke_key(made["id"])


# --------------------------------------------------------------- a server of our own

OWN_PORT = int(os.environ.get("CIVIC_RATELIMIT_TEST_PORT") or server.PORT + 5)
# Finding each worker opens bursts of connections that each read /healthz
# (server.py) from 127.0.0.1: the public quota leaves room for many.
PUBLIC_Q = 1000
OWN_LIMITS = {"CIVIC_RATELIMIT_WINDOW": "3600", "CIVIC_RATELIMIT_ADDRESS": "4",
              "CIVIC_RATELIMIT_PUBLIC": str(PUBLIC_Q), "CIVIC_RATELIMIT_KEY": "5"}


@pytest.fixture(scope="module")
def own_server():
    """Kore with small limits on OWN_PORT (tools/serve.sh, its own CIVIC_VAR
    and log); server.py's helpers pointed at it while it runs."""
    if not p.DATABASE_URL:
        pytest.skip("CIVIC_DATABASE_URL not set (run through tools/test.sh)")
    build = os.path.dirname(os.environ.get("CIVIC_ADMIN_BIN") or "build/civic-admin")
    log_path = os.path.join(ROOT, "var", "test-ratelimit-server.log")
    env = dict(os.environ, DATABASE_URL=p.DATABASE_URL, CIVIC_BIND="127.0.0.1",
               CIVIC_PORT=str(OWN_PORT), CIVIC_DOCS_DIR="build/docs",
               CIVIC_VAR="var/test-run-ratelimit",
               CIVIC_MODULE=os.path.join(build, "civicplan.so"), **OWN_LIMITS)
    log = open(log_path, "wb")
    proc = subprocess.Popen([os.path.join(ROOT, "tools", "serve.sh")], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    saved = (server.SERVER_PID, server.PORT)
    try:
        def up():
            assert proc.poll() is None, "the server exited: see %s" % log_path
            try:
                c = http.client.HTTPConnection("127.0.0.1", OWN_PORT, timeout=5)
                c.request("OPTIONS", "/healthz")    # not counted
                return c.getresponse().status
            except OSError:
                return None
        waiting.wait_until(up, lambda s: s == 204, "the rate-limit test server up")
        server.SERVER_PID, server.PORT = proc.pid, OWN_PORT
        yield proc
    finally:
        server.SERVER_PID, server.PORT = saved
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=waiting.WAIT_LIMIT_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=waiting.WAIT_LIMIT_S)
        log.close()
        with open(log_path, encoding="utf-8", errors="replace") as f:
            trouble = [line for line in f if server._DEATH_RE.search(line)]
        assert not trouble, "the rate-limit test server: %s" % trouble


def _from(source, method, path, headers=None):
    """One request on a new connection from the loopback address source."""
    c = http.client.HTTPConnection("127.0.0.1", OWN_PORT, timeout=waiting.WAIT_LIMIT_S,
                                   source_address=(source, 0))
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return server.Reply(r.status, r.getheaders(), r.read())
    finally:
        c.close()


def test_without_a_key_an_address_gets_exactly_its_quota_across_both_workers(own_server):
    conns = server.each_worker_connections()
    assert len(conns) >= 2, conns
    try:
        answers = []
        for i in range(12):
            wc = conns[i % len(conns)]
            answers.append((wc.pid, wc.request("GET", "/v1/keys")))
        statuses = [r.status_code for _, r in answers]
        assert statuses == [401] * 4 + [429] * 8, statuses
        for _, r in answers[:4]:
            assert fields(r)[:2] == ("address", 4), r.headers
        assert {pid for pid, r in answers if r.status_code == 401} == {wc.pid for wc in conns}
        assert {pid for pid, r in answers if r.status_code == 429} == {wc.pid for wc in conns}
        for _, r in answers[4:]:
            too_many(r, "address", 4)
        contract = _contract()
        for _, r in (answers[0], answers[4]):
            contract.check("/v1/keys", "get", r)
        # A made-up key buys no fresh quota: it pays as its address does.
        r = conns[0].request("GET", "/v1/keys", key="cpk_" + "B" * 43)
        too_many(r, "address", 4)
        # The operator's scraper is not a client: /metrics with the scrape
        # token is answered from an address over its quota, by every worker;
        # without the token it is refused like anything else.
        if metrics.TOKEN:
            for wc in conns:
                r = wc.request("GET", "/metrics", key=metrics.TOKEN)
                assert r.status_code == 200, (r.status_code, r.content[:200])
                assert "ratelimit" not in {h.lower() for h in r.headers}, r.headers
            too_many(conns[0].request("GET", "/metrics"), "address", 4)
        # Another address has its own.
        r = _from("127.0.0.2", "GET", "/v1/keys")
        assert r.status_code == 401 and fields(r)[:4] == ("address", 4, 3600, 3), r.headers
    finally:
        for wc in conns:
            wc.close()


def test_public_reads_have_their_own_generous_quota(own_server):
    source = "127.0.0.3"
    for _ in range(4):
        assert _from(source, "GET", "/v1/keys").status_code == 401
    too_many(_from(source, "GET", "/v1/keys"), "address", 4)
    # The same address still reads the plan, the surveys, tallies, docs, health.
    paths = ["/v1/plans", "/v1/plans/independence-2021/goals", "/v1/surveys",
             "/v1/surveys/community-survey-2020-21/tallies", "/openapi.json", "/healthz",
             "/v1/plans/independence-2021/priorities", "/readyz"]
    left = []
    for path in paths:
        r = _from(source, "GET", path)
        assert r.status_code == 200, (path, r)
        name, q, _, r_left, _ = fields(r)
        assert (name, q) == ("public", PUBLIC_Q), (path, r.headers)
        left.append(r_left)
    assert left == list(range(PUBLIC_Q - 1, PUBLIC_Q - 1 - len(paths), -1)), left
    # ... and is limited there too, apart from everything else.
    c = http.client.HTTPConnection("127.0.0.1", OWN_PORT, timeout=waiting.WAIT_LIMIT_S,
                                   source_address=(source, 0))
    statuses = []
    try:
        for _ in range(PUBLIC_Q - len(paths) + 2):
            c.request("HEAD", "/v1/plans")
            r = c.getresponse()
            r.read()
            statuses.append(r.status)
    finally:
        c.close()
    assert statuses == [200] * (PUBLIC_Q - len(paths)) + [429] * 2, (
        statuses.count(200), statuses.count(429))
    too_many(_from(source, "GET", "/v1/plans"), "public", PUBLIC_Q)


def test_progress_as_it_stands_is_a_public_read_and_as_of_is_not(own_server):
    # The progress documents are served from memory like the plan (the
    # dashboard polls them): the public quota.  An as_of read asks the
    # database: the address's.
    source = "127.0.0.5"
    plan = "/v1/plans/independence-2021"
    for path in (plan + "/progress", plan + "/indicators", plan + "/initiatives?limit=200",
                 "/v1/status-rules", "/v1/status-rules/ratio"):
        r = _from(source, "GET", path)
        assert r.status_code == 200 and fields(r)[:2] == ("public", PUBLIC_Q), (path, r.headers)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for path in (plan + "/progress?as_of=" + now, plan + "/indicators?as_of=" + now,
                 "/v1/status-rules/ratio?as_of=" + now):
        r = _from(source, "GET", path)
        assert r.status_code == 200 and fields(r)[:2] == ("address", 4), (path, r.headers)


def test_a_key_without_a_limit_of_its_own_gets_the_default(own_server):
    # The admin key is live: once this server's workers loaded the keys, it
    # counts against the default for keys, not against the address.
    def fetch():
        return _from("127.0.0.4", "GET", "/v1/keys",
                     headers={"Authorization": "Bearer " + p.ADMIN_KEY})
    r = waiting.wait_until(fetch, lambda r: fields(r)[0] == "key", "the admin key known")
    assert r.status_code == 200 and fields(r)[:2] == ("key", 5), r.headers

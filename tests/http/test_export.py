"""A whole survey in one download (issue 11):
GET /v1/surveys/{survey}/responses/export, admin only. CSV by default (the
paged CSV's columns and formula-cell neutralising), NDJSON on request; the
counted responses, the voided ones with include_voided=true; one snapshot;
chunked, so that a cut export cannot pass for a whole one; and a client that
stops reading holds neither the worker nor its memory."""

import csv
import http.client
import io
import json
import os
import socket
import time
import urllib.parse

import pytest

import partners as p
import server
import waiting
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

pytestmark = p.needs_harness

CSV = {"Accept": "text/csv"}
NDJSON = {"Accept": "application/x-ndjson"}
_u = urllib.parse.urlsplit(p.BASE_URL)
HOST, PORT = _u.hostname, _u.port or 80


def export_path(survey, query=""):
    return "/v1/surveys/%s/responses/export%s" % (survey, query)


def paged_csv(survey):
    """The paged CSV (oldest first): its header and every page's rows."""
    path = p.responses_path(survey) + "?order=asc&limit=200"
    header, rows = None, []
    for _ in range(100):
        r = p.get(path, p.ADMIN_KEY, headers=CSV)
        assert r.status_code == 200, r.content[:300]
        lines = list(csv.reader(io.StringIO(r.content.decode("utf-8"), newline="")))
        header = lines[0]
        rows += lines[1:]
        link = r.headers.get("Link")
        if not link:
            return header, rows
        path = link.split(";")[0].strip().strip("<>")
    pytest.fail("the paged CSV did not end")


def load(survey, n, voided_every=0, pad=0):
    """n responses stored straight in the database (fast), in one statement:
    one in voided_every voided, each comment pad characters longer."""
    p.psql(
        "INSERT INTO responses (survey_id, key_id, external_id, body_hash, answers, "
        "channel, voided_at, void_reason) "
        "SELECT s.id, (SELECT id FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL "
        "ORDER BY id LIMIT 1), 'load-' || g, sha256(g::text::bytea), "
        "jsonb_build_object('agree', 'agree', 'top', jsonb_build_array('reduce-blight'), "
        "'comment', 'c' || g || repeat('x', %(pad)d)), 'kiosk', "
        "CASE WHEN %(v)d > 0 AND g %% %(v)d = 0 THEN now() END, "
        "CASE WHEN %(v)d > 0 AND g %% %(v)d = 0 THEN 'test' END "
        "FROM generate_series(1, %(n)d) g, surveys s WHERE s.slug = %(s)s"
        % {"n": n, "v": voided_every, "s": p.sql_text(survey), "pad": pad})


# Rows of about 2 KB: 3,000 of them (6 MB and more) are more than the
# largest socket buffers hold (net.ipv4.tcp_wmem: 4 MB), so that an export
# must wait for a client that stops reading.
BIG = 2000


class SlowClient:
    """An export read off a socket whose receive buffer is small, so that
    the server soon has more queued than the client took: the client reads
    when the test says so, and http.client decodes the chunks (it raises
    IncompleteRead when the last chunk never comes)."""

    def __init__(self, survey, accept="application/x-ndjson", query=""):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(waiting.WAIT_LIMIT_S)
        self.sock.connect((HOST, PORT))
        self.conn = http.client.HTTPConnection(HOST, PORT, timeout=waiting.WAIT_LIMIT_S)
        self.conn.sock = self.sock
        self.conn.request("GET", export_path(survey, query), headers={
            "Authorization": "Bearer " + p.ADMIN_KEY, "Accept": accept})
        self.response = self.conn.getresponse()

    def worker(self):
        pids = server.worker_pids()
        owners = server._sockets(pids)
        return owners.get(server._server_inodes().get(self.sock.getsockname()[1]))

    def read(self, n=None):
        return self.response.read(n) if n is not None else self.response.read()

    def close(self):
        self.conn.close()


def export_sessions():
    """The database sessions inside an export's transaction (idle between
    two FETCHes, or running one)."""
    return int(p.psql(
        "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
        "AND xact_start IS NOT NULL AND query LIKE '%responses\\_export%' "
        "AND query NOT LIKE '%export\\_check%'"))


def stalled_export():
    """Wait until an export waits on its client: its transaction is idle, and
    stays idle over two looks a moment apart."""
    def look():
        first = export_sessions()
        time.sleep(0.3)
        return first and export_sessions()
    waiting.wait_until(look, bool, "an export waiting for its client to read")


# --- content ------------------------------------------------------------------

def test_the_csv_export_is_the_paged_csv_whole(survey, partner):
    o = p.objectives()
    bodies = [
        p.response_body(agree="strongly_agree", top=[o[13], o[0], o[6]], color="green",
                        tags=["d", "b"], comment='He said "hi", twice'),
        p.response_body(agree="disagree", top=[o[5]], comment="line one\nline two"),
        dict(p.response_body(agree="agree", top=[o[8]], color="red"), channel="phone, desk",
             submitted_at="2021-01-02T03:04:05Z"),
        p.response_body(comment="Ünïcödé ✓, ok"),
    ]
    made = [p.submit_ok(survey, b, partner["key"])["id"] for b in bodies]
    p.ok_json(p.post(p.responses_path(survey) + "/" + made[1] + "/void",
                     {"reason": "dup"}, p.ADMIN_KEY))
    load(survey, 1100)      # three batches
    header, rows = paged_csv(survey)
    assert len(rows) == 1104

    r = p.get(export_path(survey, "?include_voided=true"), p.ADMIN_KEY)
    assert r.status_code == 200, r.content[:300]
    assert p.media_type(r) == "text/csv"
    assert r.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in r.headers
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8"), newline="")))
    assert lines[0] == header
    assert lines[1:] == rows
    # The same bytes as the paged CSV's, line for line.
    assert r.content.decode("utf-8").endswith("\r\n")


def test_the_ndjson_export_is_the_paged_json_whole(survey, partner):
    for _ in range(3):
        p.submit_ok(survey, p.response_body(comment="x"), partner["key"])
    load(survey, 1200)
    listed = p.walk(p.responses_path(survey) + "?order=asc&limit=200", p.ADMIN_KEY)
    r = p.get(export_path(survey), p.ADMIN_KEY, headers=NDJSON)
    assert r.status_code == 200, r.content[:300]
    assert p.media_type(r) == "application/x-ndjson"
    text = r.content.decode("utf-8")
    assert text.endswith("\n")
    items = [json.loads(line) for line in text.split("\n")[:-1]]
    assert items == listed
    assert len(items) == 1203


def test_an_empty_survey_exports_a_header_or_nothing(survey):
    header, _ = paged_csv(survey)
    r = p.get(export_path(survey), p.ADMIN_KEY)
    assert r.status_code == 200
    assert list(csv.reader(io.StringIO(r.content.decode("utf-8"), newline=""))) == [header]
    r = p.get(export_path(survey), p.ADMIN_KEY, headers=NDJSON)
    assert r.status_code == 200 and r.content == b""


def test_csv_export_neutralises_formula_cells_as_the_paged_csv(survey, partner):
    body = dict(p.response_body(external_id="=HYPERLINK(\"http://x\")", comment="@SUM(A1)"),
                channel="+kiosk")
    p.submit_ok(survey, body, partner["key"])
    p.submit_ok(survey, p.response_body(external_id="-1", comment="'quoted"), partner["key"])
    r = p.get(export_path(survey), p.ADMIN_KEY)
    text = r.content.decode("utf-8")
    assert '"\'=HYPERLINK(""http://x"")"' in text
    assert '"\'@SUM(A1)"' in text and '"\'+kiosk"' in text
    assert '"\'-1"' in text and '"\'\'quoted"' in text
    _, rows = paged_csv(survey)
    assert list(csv.reader(io.StringIO(text, newline="")))[1:] == rows


def test_voided_responses_are_left_out_unless_asked_for(survey, partner):
    made = [p.submit_ok(survey, p.response_body(), partner["key"])["id"] for _ in range(4)]
    p.ok_json(p.post(p.responses_path(survey) + "/" + made[2] + "/void",
                     {"reason": "test entry"}, p.ADMIN_KEY))

    def ids(query):
        r = p.get(export_path(survey, query), p.ADMIN_KEY, headers=NDJSON)
        assert r.status_code == 200, r.content[:300]
        return [(x["id"], x["status"]) for x in map(json.loads, r.content.splitlines())]

    counted = [(i, "counted") for i in made if i != made[2]]
    assert ids("") == counted
    assert ids("?include_voided=false") == counted
    assert ids("?include_voided=true") == [
        (i, "voided" if i == made[2] else "counted") for i in made]


def test_head_answers_the_head_of_the_export(survey):
    r = p.call("HEAD", export_path(survey), p.ADMIN_KEY)
    assert r.status_code == 200
    assert p.media_type(r) == "text/csv"
    assert r.content == b""


# --- one snapshot -------------------------------------------------------------

def test_rows_stored_or_voided_during_an_export_are_wholly_in_or_out(survey, partner):
    load(survey, 3000, pad=BIG)
    before = [x["id"] for x in map(json.loads, p.get(
        export_path(survey), p.ADMIN_KEY, headers=NDJSON).content.splitlines())]
    assert len(before) == 3000

    slow = SlowClient(survey)
    try:
        first = slow.read(100)
        stalled_export()
        # A concurrent client stores responses and voids one in the middle.
        added = [p.submit_ok(survey, p.response_body(), partner["key"])["id"]
                 for _ in range(5)]
        voided = before[1500]
        p.ok_json(p.post(p.responses_path(survey) + "/" + voided + "/void",
                         {"reason": "meanwhile"}, p.ADMIN_KEY))
        # The export was still open while they were written.
        assert export_sessions() == 1
        rest = slow.read()
    finally:
        slow.close()
    items = [json.loads(line) for line in (first + rest).splitlines()]
    got = [x["id"] for x in items]
    assert got == before, "the export is not the snapshot it started from"
    assert len(set(got)) == len(got)
    assert not set(added) & set(got)
    assert [x["status"] for x in items if x["id"] == voided] == ["counted"]

    after = [x["id"] for x in map(json.loads, p.get(
        export_path(survey), p.ADMIN_KEY, headers=NDJSON).content.splitlines())]
    assert after == [i for i in before if i != voided] + added


# --- clients that stop reading, and cuts ---------------------------------------

def test_a_client_that_stops_reading_holds_neither_the_worker_nor_its_memory(survey):
    load(survey, 3000, pad=BIG)
    # How long the whole export takes a client that reads.
    t0 = time.monotonic()
    whole = p.get(export_path(survey), p.ADMIN_KEY, headers=NDJSON)
    took = time.monotonic() - t0
    assert whole.status_code == 200 and len(whole.content.splitlines()) == 3000
    slow = SlowClient(survey)
    try:
        slow.read(100)
        stalled_export()
        pid = slow.worker()
        assert pid is not None, "the export's worker was not found"
        conns = server.connect_each_worker()[pid]
        wc = conns[0]
        for _ in range(20):
            t0 = time.monotonic()
            assert wc.get("/v1/plans/current").status_code == 200
            # A query of its own on the same worker, while the export holds
            # a connection of its pool.
            r = wc.get(p.responses_path(survey) + "?limit=1",
                       headers={"Authorization": "Bearer " + p.ADMIN_KEY})
            assert r.status_code == 200, r
            assert time.monotonic() - t0 < waiting.WAIT_LIMIT_S
        wc.close()
        # It waits for its client: three times as long as the whole export
        # took, it is still open (it would have ended on its own by then).
        end = time.monotonic() + min(10.0, max(1.0, 3 * took))
        while time.monotonic() < end:
            assert export_sessions() == 1, "the export did not wait for its client"
            time.sleep(0.1)
    finally:
        slow.close()
    # Gone: the export's transaction and connection are given back.
    waiting.wait_until(export_sessions, lambda n: n == 0,
                       "the export's transaction to end once its client left")


def test_an_export_cut_by_the_database_is_seen_incomplete(survey):
    load(survey, 3000, pad=BIG)
    slow = SlowClient(survey)
    try:
        slow.read(100)
        stalled_export()
        p.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
               "WHERE query LIKE 'FETCH%responses_export'")
        with pytest.raises(http.client.IncompleteRead):
            slow.read()
    finally:
        slow.close()
    # The worker still answers, with the database again.
    r = p.get(export_path(survey), p.ADMIN_KEY, headers=NDJSON, fresh=True)
    assert r.status_code == 200 and len(r.content.splitlines()) == 3000


# --- refusals -----------------------------------------------------------------

def test_an_export_needs_a_key(survey):
    r = p.get(export_path(survey))
    p.problem(r, 401, "unauthorized")
    r = p.get(export_path(survey), "cpk_" + "x" * 43)
    p.problem(r, 401, "unauthorized")


def test_an_export_needs_an_admin_key(survey, partner):
    p.submit_ok(survey, p.response_body(), partner["key"])
    p.problem(p.get(export_path(survey), partner["key"]), 403, "forbidden")


def test_an_unknown_survey_is_404():
    p.problem(p.get(export_path("no-such-survey"), p.ADMIN_KEY), 404, "not-found")


def test_an_export_is_csv_or_ndjson_else_406(survey):
    for accept in ("application/json", "text/html", "text/csv;q=0, application/x-ndjson;q=0"):
        r = p.get(export_path(survey), p.ADMIN_KEY, headers={"Accept": accept})
        p.problem(r, 406, "not-acceptable")
    for accept, want in (("*/*", "text/csv"), ("text/*", "text/csv"),
                         ("application/*", "application/x-ndjson"),
                         ("text/csv;q=0.5, application/x-ndjson", "application/x-ndjson")):
        r = p.get(export_path(survey), p.ADMIN_KEY, headers={"Accept": accept})
        assert r.status_code == 200 and p.media_type(r) == want, (accept, r.headers)


@pytest.mark.parametrize("query, parameter", [
    ("?include_voided=yes", "include_voided"),
    ("?include_voided=", "include_voided"),
    ("?include_voided=TRUE", "include_voided"),
    ("?limit=10", "limit"),
])
def test_a_bad_query_parameter_is_400(survey, query, parameter):
    r = p.get(export_path(survey, query), p.ADMIN_KEY)
    body = p.problem(r, 400, "invalid-parameter")
    assert parameter in [e.get("parameter") for e in body.get("errors", [])], body


def test_a_worker_runs_two_exports_at_once_and_answers_503_to_a_third(survey):
    load(survey, 3000, pad=BIG)
    clients, by_worker = [], {}
    try:
        # Exports that wait for their clients, until one worker runs two.
        for _ in range(8):
            slow = SlowClient(survey)
            clients.append(slow)
            slow.read(100)
            pid = slow.worker()
            by_worker.setdefault(pid, []).append(slow)
            if len(by_worker[pid]) == 2:
                break
        pid = [w for w, c in by_worker.items() if len(c) == 2][0]
        wc = server.connect_each_worker()[pid][0]
        r = wc.get(export_path(survey), headers={"Authorization": "Bearer " + p.ADMIN_KEY})
        body = p.problem(r, 503, "service-unavailable")
        assert "exports" in body["detail"], body
        assert r.headers.get("Retry-After") == "1"
        # The worker's other queries go on.
        assert wc.get(p.responses_path(survey) + "?limit=1",
                      headers={"Authorization": "Bearer " + p.ADMIN_KEY}).status_code == 200
        wc.close()
    finally:
        for slow in clients:
            slow.close()
    waiting.wait_until(export_sessions, lambda n: n == 0,
                       "the exports' transactions to end once their clients left")
    # With them gone, the worker exports again.
    r = p.get(export_path(survey), p.ADMIN_KEY, headers=NDJSON, fresh=True)
    assert r.status_code == 200 and len(r.content.splitlines()) == 3000

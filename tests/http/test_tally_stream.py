"""The event stream of a survey's tallies: GET /v1/surveys/{survey}/tallies/stream.

Server-Sent Events: the first event is the tallies document (unless the
client's Last-Event-ID names it), then one whenever the numbers change, on
every worker's streams, at most one every 250 ms per survey; the event's id
is the tallies' ETag. A comment every 15 s keeps the connection alive, past
Kore's own timers. Visibility is the tallies'; an admin key opens the
tallies that are not public. A worker holds CIVIC_STREAMS_PER_WORKER
streams (tools/test.sh: 64), more get a 503 problem with Retry-After; a
reader that falls CIVIC_STREAM_BUFFER bytes behind (tools/test.sh: 16 KB)
is dropped.

Every read polls up to the suite's limit; nothing waits a fixed time."""

import json
import os
import re
import socket
import time

import pytest
import requests

import partners as p
import server
import waiting
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

pytestmark = p.needs_harness

TOKEN = os.environ.get("CIVIC_METRICS_TOKEN", "")
STREAMS_PER_WORKER = 64     # tools/test.sh
HEARTBEAT_S = 15


def stream_path(survey):
    return "/v1/surveys/%s/tallies/stream" % survey


def tallies_path(survey):
    return "/v1/surveys/%s/tallies" % survey


class Stream:
    """One event stream read off a raw socket: its head, then its events
    ({"id", "event", "data"}) and comments, parsed as the SSE rules say."""

    def __init__(self, survey=None, key=None, headers=None, sock=None, path=None,
                 rcvbuf=None, extra=b""):
        if sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if rcvbuf:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.settimeout(waiting.WAIT_LIMIT_S)
            sock.connect((server.HOST, server.PORT))
        self.sock = sock
        h = {"Host": "%s:%d" % (server.HOST, server.PORT), "Accept": "text/event-stream"}
        if key:
            h["Authorization"] = "Bearer " + key
        h.update(headers or {})
        head = "GET %s HTTP/1.1\r\n%s\r\n" % (path or stream_path(survey), "".join(
            "%s: %s\r\n" % kv for kv in h.items()))
        sock.sendall(head.encode() + extra)
        self.buf = b""
        self.closed = False
        self.status = None
        self.headers = {}
        self.body = b""
        self.events = []
        self.comments = []
        self.times = []         # when each event was parsed (monotonic)

    def _recv(self, limit_s):
        self.sock.settimeout(max(limit_s, 0.01))
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.closed = True
        self.buf += chunk

    def read_head(self):
        deadline = time.monotonic() + waiting.WAIT_LIMIT_S
        while b"\r\n\r\n" not in self.buf:
            if self.closed or time.monotonic() > deadline:
                pytest.fail("no answer head; got %r" % self.buf[:500])
            self._recv(deadline - time.monotonic())
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            k, v = line.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        return self

    def _parse(self):
        while b"\n\n" in self.buf:
            block, self.buf = self.buf.split(b"\n\n", 1)
            self.body += block + b"\n\n"
            event = {}
            for line in block.decode("utf-8").split("\n"):
                if line.startswith(":"):
                    self.comments.append(line)
                    continue
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "data":
                    event["data"] = event["data"] + "\n" + value if "data" in event else value
                elif name in ("id", "event", "retry"):
                    event[name] = value
            if "data" in event:
                event["doc"] = json.loads(event["data"])
                self.events.append(event)
                self.times.append(time.monotonic())

    def wait(self, check, what, limit_s=None):
        """Read until check(self) holds (up to the limit); fails naming what."""
        limit_s = waiting.WAIT_LIMIT_S if limit_s is None else limit_s
        deadline = time.monotonic() + limit_s
        while True:
            self._parse()
            if check(self):
                return self
            if self.closed or time.monotonic() > deadline:
                pytest.fail("not %s within %.0f s (closed: %s); events %r, comments %r, "
                            "left %r" % (what, limit_s, self.closed,
                                         [e.get("id") for e in self.events],
                                         self.comments, self.buf[:300]))
            self._recv(min(1.0, deadline - time.monotonic()))

    def wait_event(self, check=lambda doc: True, what="an event"):
        n = len(self.events)
        return self.wait(lambda s: any(check(e["doc"]) for e in s.events[n:]), what) \
            .events[-1]

    def wait_closed(self, what="the stream closed by the server"):
        deadline = time.monotonic() + waiting.WAIT_LIMIT_S
        while not self.closed:
            if time.monotonic() > deadline:
                pytest.fail("not %s within %.0f s" % (what, waiting.WAIT_LIMIT_S))
            self._recv(min(1.0, deadline - time.monotonic()))
        if self.status is None:
            self.read_head()
        self._parse()

    def close(self):
        self.sock.close()


def open_stream(survey, **kw):
    s = Stream(survey, **kw).read_head()
    assert s.status == 200, (s.status, s.headers, s.buf[:500])
    return s


@pytest.fixture
def streams():
    """Streams a test opens, closed when it ends."""
    held = []
    yield held
    for s in held:
        s.close()


def submit_one(survey, partner, **answers):
    return p.submit_ok(survey, p.response_body(**answers), partner["key"])


def metric(name):
    r = requests.get(p.url("/metrics"), headers={"Authorization": "Bearer " + TOKEN},
                     timeout=waiting.WAIT_LIMIT_S)
    assert r.status_code == 200, r.text[:300]
    m = re.search(r"^%s (\d+)$" % re.escape(name), r.text, re.M)
    assert m, "%s not in /metrics" % name
    return int(m.group(1))


# --- the events --------------------------------------------------------------------------


def test_a_stream_starts_with_the_tallies_document_and_its_etag_as_id(survey, streams):
    s = open_stream(survey)
    streams.append(s)
    assert s.headers["content-type"] == "text/event-stream"
    assert s.headers["cache-control"] == "no-store"
    assert "content-length" not in s.headers
    first = s.wait_event(what="the first event")
    got = p.get(tallies_path(survey))
    doc = p.ok_json(got)
    assert first["event"] == "tallies"
    assert first["id"] == got.headers["ETag"]
    assert {k: v for k, v in first["doc"].items() if k != "as_of"} == \
        {k: v for k, v in doc.items() if k != "as_of"}
    assert s.body.startswith(b"retry: ")


def test_a_submission_is_an_event_on_the_streams_of_every_worker(survey, partner, streams):
    """Each worker polls the counters: a stream on any worker gets the
    change stored by any other."""
    conns = server.connect_each_worker()
    assert len(conns) >= 2, "the suite's server runs two workers"
    for pid, wcs in conns.items():
        sock = wcs[0].conn.sock
        wcs[0].conn.sock = None
        s = Stream(survey, sock=sock).read_head()
        assert s.status == 200
        s.pid = pid
        streams.append(s)
        s.wait_event(lambda d: d["total"] == 0, "the first event")
    submit_one(survey, partner)
    for s in streams:
        s.wait_event(lambda d: d["total"] == 1, "the submission on worker %d" % s.pid)
    # The same event everywhere: the document GET answers, its ETag the id.
    got = waiting.wait_until(lambda: p.get(tallies_path(survey)),
                             lambda r: r.json()["total"] == 1, "the GET tallies counting it")
    assert {s.events[-1]["id"] for s in streams} == {got.headers["ETag"]}
    assert streams[0].events[-1]["doc"]["questions"] == got.json()["questions"]


def test_events_come_at_most_every_250_ms_per_survey(survey, partner, streams):
    s = open_stream(survey)
    streams.append(s)
    s.wait_event(what="the first event")
    start = time.monotonic()
    p.concurrently(lambda i: submit_one(survey, partner), range(40), threads=8)
    s.wait_event(lambda d: d["total"] == 40, "every submission counted")
    elapsed = s.times[-1] - start
    changes = len(s.events) - 1
    # One event per 250 ms at most (and the one the first change sends at once).
    assert changes <= elapsed / 0.25 + 2, (changes, elapsed)
    assert changes < 40, "one event per submission: nothing was held back"
    versions = [e["doc"]["version"] for e in s.events]
    assert len(set(e["id"] for e in s.events)) == len(s.events), "an event repeated"
    assert versions == sorted(versions, key=int)


def test_last_event_id_resumes_without_an_event_while_unchanged(survey, partner, streams):
    etag = p.get(tallies_path(survey)).headers["ETag"]
    resumed = open_stream(survey, headers={"Last-Event-ID": etag})
    streams.append(resumed)
    stale = open_stream(survey, headers={"Last-Event-ID": '"stale-0-0"'})
    streams.append(stale)
    stale.wait_event(lambda d: d["total"] == 0, "the current document for a stale id")
    submit_one(survey, partner)
    first = resumed.wait_event(what="the next change")
    assert first["doc"]["total"] == 1, "an event was sent while the tallies were unchanged"
    assert len(resumed.events) == 1
    assert first["id"] != etag


def test_a_heartbeat_comment_keeps_the_stream_open_past_kores_timers(survey, streams):
    """Comments every 15 s; two of them: 30 s, Kore's keep-alive time."""
    s = open_stream(survey)
    streams.append(s)
    s.wait(lambda x: len(x.comments) >= 2, "two heartbeats", limit_s=4 * HEARTBEAT_S)
    assert not s.closed
    assert len(s.events) == 1


def test_a_request_sent_on_a_stream_is_not_answered(survey, partner, streams):
    s = Stream(survey, extra=b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").read_head()
    streams.append(s)
    assert s.status == 200
    s.wait_event(what="the first event")
    submit_one(survey, partner)
    s.wait_event(lambda d: d["total"] == 1, "the change")
    assert b"HTTP/1.1" not in s.body


# --- what is refused ---------------------------------------------------------------------


def test_a_stream_of_an_unknown_survey_is_a_404_problem():
    r = p.get(stream_path("no-such-survey"), headers={"Accept": "text/event-stream"})
    p.problem(r, 404, "not-found")


def test_a_stream_takes_no_query_parameters(survey):
    r = p.get(stream_path(survey) + "?x=1", headers={"Accept": "text/event-stream"})
    p.problem(r, 400, "invalid-parameter")


def test_a_stream_for_a_client_that_takes_only_json_is_406(survey):
    r = p.get(stream_path(survey), headers={"Accept": "application/json"})
    p.problem(r, 406, "not-acceptable")


def test_head_of_a_stream_is_its_head_alone(survey):
    r = requests.head(p.url(stream_path(survey)), timeout=waiting.WAIT_LIMIT_S)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/event-stream"
    assert r.content == b""


# --- visibility --------------------------------------------------------------------------


def test_hidden_tallies_stream_to_an_admin_key_only(partner, streams):
    survey = p.make_survey(results_visibility="admin")["id"]
    r = p.get(stream_path(survey), headers={"Accept": "text/event-stream"})
    p.assert_unauthorized(r, token_sent=False)
    r = p.get(stream_path(survey), partner["key"], headers={"Accept": "text/event-stream"})
    p.problem(r, 403, "forbidden")
    s = open_stream(survey, key=p.ADMIN_KEY)
    streams.append(s)
    s.wait_event(lambda d: d["total"] == 0, "the first event")
    submit_one(survey, partner)
    s.wait_event(lambda d: d["total"] == 1, "the change on the admin's stream")


def test_a_stream_ends_when_its_tallies_stop_being_public(streams):
    survey = p.make_survey()["id"]
    s = open_stream(survey)
    streams.append(s)
    s.wait_event(what="the first event")
    p.patch_survey(survey, {"results_visibility": "admin"})
    s.wait_closed("the public stream ended once its tallies are hidden")
    r = p.get(stream_path(survey), headers={"Accept": "text/event-stream"})
    p.assert_unauthorized(r, token_sent=False)


def test_an_admins_stream_of_hidden_tallies_ends_when_its_key_is_revoked(streams):
    survey = p.make_survey(results_visibility="admin")["id"]
    admin = p.create_key("admin")
    s = open_stream(survey, key=admin["key"])
    streams.append(s)
    s.wait_event(what="the first event")
    p.revoke_key(admin["id"])
    s.wait_closed("the admin's stream ended once a key changed")
    r = p.get(stream_path(survey), admin["key"], headers={"Accept": "text/event-stream"})
    p.assert_unauthorized(r, token_sent=True)


# --- limits ------------------------------------------------------------------------------


def test_streams_past_the_workers_limit_get_a_503_problem_with_retry_after(survey, streams):
    workers = len(server.worker_pids())
    refused = None
    for _ in range(STREAMS_PER_WORKER * workers + 1):
        s = Stream(survey).read_head()
        if s.status != 200:
            refused = s
            break
        streams.append(s)
    assert refused is not None, "no stream was refused past %d per worker" % STREAMS_PER_WORKER
    assert refused.status == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    body = refused.buf
    length = int(refused.headers["content-length"])
    refused.wait(lambda x: len(x.buf) >= length, "the problem's body")
    problem = json.loads(refused.buf[:length])
    assert problem["type"].endswith("/problems/service-unavailable")
    assert problem["status"] == 503, body
    refused.close()
    # Once streams end, new ones are let in again.
    for s in streams:
        s.close()
    del streams[:]

    def again():
        s = Stream(survey).read_head()
        s.close()
        return s.status
    waiting.wait_until(again, lambda status: status == 200, "a stream let in again")


@pytest.mark.skipif(not TOKEN, reason="CIVIC_METRICS_TOKEN not set (run through tools/test.sh)")
def test_a_reader_that_falls_behind_is_dropped(survey, partner, streams):
    before = metric("civic_streams_dropped_total")
    slow = Stream(survey, rcvbuf=4096)
    streams.append(slow)
    fast = open_stream(survey)
    streams.append(fast)
    # The slow one reads nothing while the numbers change, event after event.
    deadline = time.monotonic() + 4 * waiting.WAIT_LIMIT_S
    n = 0
    while metric("civic_streams_dropped_total") == before:
        assert time.monotonic() < deadline, "a reader that reads nothing was never dropped"
        n += 1
        submit_one(survey, partner)
        fast.wait_event(lambda d, n=n: d["total"] == n, "the change on the reading stream")
    # It has its head and what was sent before, then the end.
    slow.wait_closed("the slow reader's stream ended")
    assert slow.status == 200
    assert len(slow.events) < n + 1
    assert not fast.closed
    submit_one(survey, partner)
    fast.wait_event(lambda d: d["total"] == n + 1, "the reading stream goes on")

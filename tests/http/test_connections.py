"""What one connection can make the server do (src/conn.c).

- Bounded output: a client that sends requests and never reads its answers
  holds at most about 64 KB of queued output (and one answer) per
  connection: 300 such clients, each pipelining 200 requests for the 1.7 MB
  docs bundle, leave every worker's memory within MEMORY_BOUND_MB of where
  it was (Kore alone kept every answer: 3.9 GB).
- Pipelining: requests sent back to back on one connection are answered,
  in order, however they arrive, and however slowly the client reads.
- Framing (RFC 9112): bytes after a body (a CR LF) do not stall the
  request; Content-Length with Transfer-Encoding, Content-Length fields
  that differ, or a body on a method whose body is not read, get a 400
  problem and the connection is closed.

Worker memory is read from /proc/PID/status (VmRSS) of the children of
Kore's parent, whose PID is in CIVIC_KORE_PIDFILE (set by tools/test.sh).
"""

import os
import re
import socket
import time

import pytest

import partners as p
from conftest import _parse_raw

PIDFILE = os.environ.get("CIVIC_KORE_PIDFILE", "")
BUNDLE = "/docs/swagger-ui-bundle.js"
BUNDLE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                           "build", "docs", "swagger-ui-bundle.js")
CLIENTS = 300
REQUESTS_PER_CLIENT = 200
MEMORY_BOUND_MB = 64    # most a worker's RSS may grow by, with CLIENTS such clients
WAIT_S = 30.0           # the most any wait here polls for
SETTLE_S = 2.0          # worker memory unchanged this long: done growing


def host_port():
    return p.BASE_URL.split("//", 1)[1].split(":")[0], int(p.BASE_URL.rsplit(":", 1)[1])


def worker_pids():
    """The PIDs of Kore's workers (the children of its parent)."""
    if not PIDFILE:
        pytest.skip("CIVIC_KORE_PIDFILE is not set (tools/test.sh sets it)")
    with open(PIDFILE) as f:
        parent = f.read().strip()
    pids = []
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[1] == parent:
                    pids.append(int(pid))
        except (OSError, IndexError):
            continue
    assert pids, "no worker of Kore's parent %s" % parent
    return pids


def rss_kb(pids):
    """{pid: VmRSS in kB}; fails if a worker is gone."""
    out = {}
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        out[pid] = int(line.split()[1])
        except OSError:
            pytest.fail("worker %d is gone" % pid)
    return out


def read_responses(sock, count, deadline):
    """Read `count` whole responses (Content-Length framed) from sock; returns
    [(status, headers dict, body)]. Fails the test at the deadline."""
    buf, out, want = bytearray(), [], None

    while len(out) < count:
        if want is None:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                status = int(lines[0].split()[1])
                length = int(headers.get("content-length", "0"))
                if status in (204, 304):
                    length = 0
                del buf[:end + 4]
                want = (status, headers, length)
        if want is not None and len(buf) >= want[2]:
            out.append((want[0], want[1], bytes(buf[:want[2]])))
            del buf[:want[2]]
            want = None
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail("%d of %d answers within the time limit; then %r"
                        % (len(out), count, bytes(buf[:200])))
        sock.settimeout(left)
        try:
            chunk = sock.recv(1 << 20)
        except socket.timeout:
            continue
        if not chunk:
            pytest.fail("connection closed after %d of %d answers; then %r"
                        % (len(out), count, bytes(buf[:200])))
        buf += chunk
    return out


def slow_reader(host, port):
    """A connection with a small receive buffer (set before connecting, so
    that TCP's window fits it): the server's answers wait on its side."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(p.TIMEOUT)
    s.connect((host, port))
    return s


def test_clients_that_never_read_leave_worker_memory_bounded():
    host, port = host_port()
    pids = worker_pids()
    before = rss_kb(pids)
    request = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (BUNDLE, host, port)).encode()
    bound_kb = MEMORY_BOUND_MB * 1024
    socks, peak = [], {pid: 0 for pid in before}

    def grown():
        for pid, kb in rss_kb(pids).items():
            peak[pid] = max(peak[pid], kb - before[pid])
        return max(peak.values())

    try:
        for _ in range(CLIENTS):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect((host, port))
            s.setblocking(False)
            socks.append(s)
        # One request per client per round, each in its own segment, so that
        # the server may read each one as it comes; never a read.
        for _ in range(REQUESTS_PER_CLIENT):
            for s in socks:
                try:
                    s.send(request)
                except BlockingIOError:
                    pass
            assert grown() < bound_kb, (
                "a worker grew by %d MB (bound %d MB): %s"
                % (max(peak.values()) // 1024, MEMORY_BOUND_MB, peak))
            time.sleep(0.005)
        # The server stays responsive while they wait.
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                if p.get("/healthz", fresh=True).status_code == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "/healthz not answered"
        # The workers may still be answering what they read: poll until their
        # memory has not grown for SETTLE_S (or WAIT_S has passed).
        deadline = time.monotonic() + WAIT_S
        last, since = grown(), time.monotonic()
        while time.monotonic() - since < SETTLE_S and time.monotonic() < deadline:
            time.sleep(0.1)
            now = grown()
            if now != last:
                last, since = now, time.monotonic()
        assert last < bound_kb, (
            "a worker grew by %d MB (bound %d MB): %s"
            % (last // 1024, MEMORY_BOUND_MB, peak))
    finally:
        for s in socks:
            s.close()
    print("worker RSS growth (kB):", peak)


def test_pipelined_requests_are_all_answered_in_order_to_a_slow_reader():
    host, port = host_port()
    with open(BUNDLE_FILE, "rb") as f:
        bundle = f.read()
    paths = [BUNDLE, "/healthz", BUNDLE, "/v1/plans", BUNDLE, "/readyz"] * 3
    data = b"".join(("GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (path, host, port)).encode()
                    for path in paths)
    with slow_reader(host, port) as s:
        s.sendall(data)     # one write: the requests arrive together
        answers = read_responses(s, len(paths), time.monotonic() + WAIT_S)
    assert [status for status, _, _ in answers] == [200] * len(paths)
    for path, (_, headers, body) in zip(paths, answers):
        if path == BUNDLE:
            assert body == bundle
            assert headers["content-type"].startswith("text/javascript")
        else:
            assert headers["content-type"] == "application/json", (path, headers)
    assert answers[1][2] != answers[5][2]   # /healthz and /readyz, not mixed up


def test_requests_sent_one_by_one_while_answers_wait_are_all_answered():
    host, port = host_port()
    with slow_reader(host, port) as s:
        for _ in range(10):
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n"
                       % (BUNDLE, host, port)).encode())
            time.sleep(0.01)
        answers = read_responses(s, 10, time.monotonic() + WAIT_S)
    assert [status for status, _, _ in answers] == [200] * 10
    assert len({body for _, _, body in answers}) == 1


def post_keys(extra, host, port):
    """A POST /v1/keys (no key: 401) with a JSON body and `extra` after it."""
    body = b'{"name": "x", "role": "partner"}'
    return (b"POST /v1/keys HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (host.encode(), port, len(body))) + body + extra


@pytest.mark.parametrize("extra", [b"\r\n", b"\r\n\r\n", b"\n"], ids=["crlf", "two-crlf", "lf"])
def test_bytes_after_a_body_do_not_stall_the_request(extra):
    host, port = host_port()
    with socket.create_connection((host, port), timeout=p.TIMEOUT) as s:
        s.sendall(post_keys(extra, host, port))     # one segment
        (status, headers, body), = read_responses(s, 1, time.monotonic() + p.TIMEOUT)
        assert status == 401, body
        assert headers["content-type"] == "application/problem+json"
        # The connection is still in step: the next request is answered.
        s.sendall(("GET /healthz HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host, port)).encode())
        (status, _, _), = read_responses(s, 1, time.monotonic() + p.TIMEOUT)
        assert status == 200


def test_a_body_followed_by_the_next_request_in_one_segment():
    host, port = host_port()
    with socket.create_connection((host, port), timeout=p.TIMEOUT) as s:
        s.sendall(post_keys(b"\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", host, port))
        answers = read_responses(s, 2, time.monotonic() + p.TIMEOUT)
    assert [status for status, _, _ in answers] == [401, 200]


def test_a_body_read_as_it_arrives_with_a_crlf_after_it():
    if not p.ADMIN_KEY:
        pytest.skip("CIVIC_ADMIN_KEY is not set")
    host, port = host_port()
    body = b'{"title": 5}'
    head = (b"POST /v1/plans HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % (host.encode(), port, p.ADMIN_KEY.encode(), len(body)))
    with socket.create_connection((host, port), timeout=p.TIMEOUT) as s:
        s.sendall(head)
        time.sleep(0.05)
        s.sendall(body + b"\r\n")
        (status, headers, answer), = read_responses(s, 1, time.monotonic() + p.TIMEOUT)
    assert status == 422, answer
    assert b'"/title"' in answer


FRAMING = [
    ("cl-and-te", "POST", "/v1/keys", [("Content-Length", "5"), ("Transfer-Encoding", "chunked")],
     b"0\r\n\r\n"),
    ("te-and-cl", "POST", "/v1/keys", [("Transfer-Encoding", "chunked"), ("Content-Length", "0")],
     b""),
    ("cl-and-te-on-get", "GET", "/healthz", [("Content-Length", "0"), ("Transfer-Encoding", "chunked")],
     b""),
    ("te-on-get", "GET", "/v1/plans", [("Transfer-Encoding", "chunked")], b"0\r\n\r\n"),
    ("two-cl", "POST", "/v1/keys", [("Content-Length", "2"), ("Content-Length", "3")], b"{}"),
    ("cl-bad-and-good", "PUT", "/v1/keys", [("Content-Length", "x"), ("Content-Length", "2")], b"{}"),
    ("body-on-get", "GET", "/healthz", [("Content-Length", "36")],
     b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n\r\n"),
    ("body-on-delete", "DELETE", "/v1/keys/key_0123456789abcdef", [("content-length", "2")], b"{}"),
]


@pytest.mark.parametrize("method,path,headers,body",
                         [f[1:] for f in FRAMING], ids=[f[0] for f in FRAMING])
def test_ambiguous_framing_is_a_400_problem_and_the_connection_closes(method, path, headers, body):
    host, port = host_port()
    data = ("%s %s HTTP/1.1\r\nHost: %s:%d\r\n" % (method, path, host, port)).encode()
    data += b"".join(("%s: %s\r\n" % h).encode() for h in headers) + b"\r\n" + body
    # Then a request that must not be answered: the connection closes.
    data += ("GET /healthz HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host, port)).encode()
    chunks = []
    deadline = time.monotonic() + p.TIMEOUT
    with socket.create_connection((host, port), timeout=p.TIMEOUT) as s:
        s.sendall(data)
        while True:
            assert time.monotonic() < deadline, "the connection stayed open"
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    assert len(re.findall(rb"HTTP/1\.1 \d{3}", raw)) == 1, raw
    r = _parse_raw(raw)
    assert r.headers.get("Connection") == "close"
    body = p.problem(r, 400, "invalid-header", path.split("?")[0])
    assert "Content-Length" in body["detail"] or "Transfer-Encoding" in body["detail"]
    ordinary = p.get("/healthz")
    assert r.headers.get("Server") == ordinary.headers.get("Server")
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-Id"])


def test_head_with_ambiguous_framing_gets_the_headers_only():
    host, port = host_port()
    data = ("HEAD /healthz HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: 0\r\n"
            "Transfer-Encoding: chunked\r\n\r\n" % (host, port)).encode()
    with socket.create_connection((host, port), timeout=p.TIMEOUT) as s:
        s.sendall(data)
        raw = b""
        deadline = time.monotonic() + p.TIMEOUT
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), raw
    assert rest == b""
    assert int(re.search(rb"(?i)content-length: (\d+)", head).group(1)) > 0


@pytest.mark.parametrize("method,path,headers,body,status", [
    ("GET", "/healthz", [("Content-Length", "0")], b"", 200),
    ("POST", "/v1/keys", [("Content-Length", "2"), ("Content-Length", "2")], b"{}", 401),
    ("POST", "/v1/keys", [("Transfer-Encoding", "chunked")], b"0\r\n\r\n", 411),
], ids=["get-with-content-length-0", "the-same-content-length-twice", "chunked-post"])
def test_framing_that_is_not_ambiguous_is_left_to_kore(method, path, headers, body, status):
    host, port = host_port()
    data = ("%s %s HTTP/1.1\r\nHost: %s:%d\r\n" % (method, path, host, port)).encode()
    data += b"".join(("%s: %s\r\n" % h).encode() for h in headers) + b"\r\n" + body
    with socket.create_connection((host, port), timeout=p.TIMEOUT) as s:
        s.sendall(data)
        (got, _, _), = read_responses(s, 1, time.monotonic() + p.TIMEOUT)
    assert got == status

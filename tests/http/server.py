"""The server under test as processes: its workers, a connection to each.

Kore's workers share one listening socket and take turns accepting from it
(an accept lock that moves only when the holder is busy), so a test cannot
choose the worker a new connection reaches. It can find out: the harness
(tools/test.sh) exports CIVIC_SERVER_PID, the Kore parent; its children are
the workers, and the worker that holds the server's end of a connection in
its file table is the one that serves it (/proc/net/tcp names the socket,
/proc/PID/fd its owner). The tests run on the same machine as the server,
as root (or as its user): both are readable.

connect_each_worker() opens connections in bursts (a burst of more than
worker_accept_threshold connections makes the holder pass the lock on)
until every worker holds one, and keeps one per worker: a keep-alive
connection that never reconnects, so every request on it is served by the
same worker.
"""

import http.client
import json
import os
import socket
import time
import urllib.parse

import pytest

import waiting

BASE_URL = os.environ.get("CIVIC_BASE_URL", "http://127.0.0.1:8899").rstrip("/")
SERVER_PID = int(os.environ.get("CIVIC_SERVER_PID") or 0)
_target = urllib.parse.urlsplit(BASE_URL)
HOST, PORT = _target.hostname, _target.port or 80
BURST = 40          # connections opened at once (Kore's worker_accept_threshold: 16)
MAX_OPEN = 3000     # bound on the connections held while looking for every worker

needs_server_pid = pytest.mark.skipif(
    not SERVER_PID, reason="CIVIC_SERVER_PID not set (run through tools/test.sh)")


def worker_pids():
    """The pids of the server's workers now (the parent's children)."""
    pids = set()
    task_dir = "/proc/%d/task" % SERVER_PID
    try:
        for task in os.listdir(task_dir):
            with open("%s/%s/children" % (task_dir, task)) as f:
                pids.update(int(x) for x in f.read().split())
    except FileNotFoundError:
        pytest.fail("the server (pid %d) is not running" % SERVER_PID)
    return pids


def _hexaddr(ip, port):
    """127.0.0.1:8899 as /proc/net/tcp writes it (host byte order)."""
    packed = socket.inet_aton(ip)
    return "%08X:%04X" % (int.from_bytes(packed, "little"), port)


def _server_inodes():
    """{client port: inode of the server's end} of the loopback connections
    to the server."""
    local = _hexaddr(socket.gethostbyname(HOST), PORT)
    found = {}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[1] == local and fields[2].startswith("0100007F:"):
                found[int(fields[2].split(":")[1], 16)] = int(fields[9])
    return found


def _sockets(pids):
    """{socket inode: pid} of the sockets in the file tables of pids."""
    owners = {}
    for pid in pids:
        fd_dir = "/proc/%d/fd" % pid
        try:
            fds = os.listdir(fd_dir)
        except FileNotFoundError:
            continue
        for fd in fds:
            try:
                link = os.readlink("%s/%s" % (fd_dir, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                owners[int(link[8:-1])] = pid
    return owners


class Reply:
    """A response read off a WorkerConnection."""

    def __init__(self, status, headers, content):
        self.status_code = status
        self.headers = headers
        self.content = content

    def json(self):
        return json.loads(self.content.decode("utf-8"))

    def __repr__(self):
        return "<%s %r>" % (self.status_code, self.content[:300])


class WorkerConnection:
    """One keep-alive connection, served by worker `pid`. It never
    reconnects: if the server closes it, the next request fails instead of
    reaching whichever worker accepts a new one."""

    def __init__(self, conn, pid):
        self.conn = conn
        self.pid = pid

    def request(self, method, path, body=None, headers=None, key=None):
        h = {"Host": "%s:%d" % (HOST, PORT)}
        if key:
            h["Authorization"] = "Bearer " + key
        if body is not None:
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        content = r.read()
        return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, content)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def close(self):
        self.conn.close()

    def __repr__(self):
        return "<connection to worker %d>" % self.pid


def _open_one():
    conn = http.client.HTTPConnection(HOST, PORT, timeout=waiting.WAIT_LIMIT_S)
    conn.connect()
    conn.auto_open = 0
    return conn


def connect_each_worker(per_worker=1):
    """{pid: [WorkerConnection, ...]} with per_worker connections to each
    worker, found within the generous limit; fails the test naming the
    workers it reached."""
    pids = worker_pids()
    assert pids, "the server has no workers"
    found, held = {pid: [] for pid in pids}, []

    def short():
        return [pid for pid, conns in found.items() if len(conns) < per_worker]

    deadline = time.monotonic() + waiting.WAIT_LIMIT_S
    kept = set()
    try:
        while short():
            if time.monotonic() > deadline or len(held) > MAX_OPEN:
                pytest.fail("reached workers %r of %s with %d connections in %.0f s"
                            % ({pid: len(c) for pid, c in found.items()}, sorted(pids),
                               len(held), waiting.WAIT_LIMIT_S))
            burst = [_open_one() for _ in range(BURST)]
            held += burst
            for conn in burst:
                r = WorkerConnection(conn, None).get("/healthz")   # accepted by now
                assert r.status_code == 200, r
            inodes, owners = _server_inodes(), _sockets(pids)
            for conn in burst:
                pid = owners.get(inodes.get(conn.sock.getsockname()[1]))
                if pid is not None and len(found[pid]) < per_worker:
                    found[pid].append(WorkerConnection(conn, pid))
                    kept.add(id(conn))
    finally:
        for conn in held:
            if id(conn) not in kept:
                conn.close()
    return found


def each_worker_connections():
    """One connection to each worker (connect_each_worker), ordered by pid."""
    return [conns[0] for _, conns in sorted(connect_each_worker().items())]


def at_once(conns, method, path):
    """The same request sent on every connection before any answer is read
    (a worker then has them all in flight together); the replies, in order."""
    for wc in conns:
        wc.conn.request(method, path, headers={"Host": "%s:%d" % (HOST, PORT)})
    replies = []
    for wc in conns:
        r = wc.conn.getresponse()
        replies.append(Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()))
    return replies

"""The server under test as processes: its workers, a connection to each.

Kore's workers share one listening socket and take turns accepting from it
(an accept lock that moves only when the holder is busy), so a test cannot
choose the worker a new connection reaches. It can find out: the harness
(tools/test.sh) exports CIVIC_SERVER_PID, the Kore parent; its children are
the workers, and the worker that holds the server's end of a connection in
its file table is the one that serves it (/proc/net/tcp names the socket,
/proc/PID/fd its owner). The tests run on the same machine as the server,
as root (or as its user): both are readable.

connect_each_worker() opens connections in bursts until every worker holds
one, and keeps one per worker: a keep-alive connection that never
reconnects, so every request on it is served by the same worker. The holder
passes the lock on only when it finds more than worker_accept_threshold
connections waiting at once (kore.c: kore_listener_accept); an idle worker
on a loaded machine takes each connection as it comes, and once took all
3,040 of a CI run. So each burst is opened while the workers are stopped
(SIGSTOP): when they go on, the whole burst is waiting, and the holder
passes the lock after its first 16, or sooner once it holds 8 more than
the other worker (src/conn.c balances the workers' connections). A worker stopped inside a blocking
libpq call (a snapshot load) goes on through restart_syscall when let go:
the suite does this hundreds of times, and a worker that died of it (as
before src/app.c allowed that call) fails the module's check (conftest.py).
"""

import http.client
import json
import os
import re
import signal
import socket
import time
import urllib.parse

import threading

import pytest
from requests.structures import CaseInsensitiveDict

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
    if not os.path.isdir("/proc/%d" % SERVER_PID):
        pytest.fail("the server (pid %d) is not running" % SERVER_PID)
    pids = set()
    task_dir = "/proc/%d/task" % SERVER_PID
    try:
        for task in os.listdir(task_dir):
            with open("%s/%s/children" % (task_dir, task)) as f:
                pids.update(int(x) for x in f.read().split())
        return pids
    except FileNotFoundError:
        pass    # a kernel without /proc/PID/task/TID/children: read every ppid
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == SERVER_PID:
                pids.add(int(entry))
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
    """A response read off a WorkerConnection (shaped like requests')."""

    def __init__(self, status, headers, content):
        self.status_code = status
        self.headers = CaseInsensitiveDict(headers)
        self.content = content

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content.decode("utf-8"))

    def __repr__(self):
        return "<%s %r>" % (self.status_code, self.content[:300])


class WorkerConnection:
    """One keep-alive connection, served by worker `pid`. It never
    reconnects to whichever worker accepts a new connection: when it was
    closed or idle too long (IDLE_S), it is replaced by a new connection to
    the same worker."""

    def __init__(self, conn, pid):
        self.conn = conn
        self.pid = pid
        self.used = time.monotonic()

    def request(self, method, path, body=None, headers=None, key=None):
        self.send(method, path, body, headers, key)
        return self.receive()

    def send(self, method, path, body=None, headers=None, key=None):
        """Send a request without reading its answer (receive() does)."""
        if self.conn.sock is None or time.monotonic() - self.used > IDLE_S:
            self._reconnect()
        h = {"Host": "%s:%d" % (HOST, PORT)}
        if key:
            h["Authorization"] = "Bearer " + key
        if body is not None:
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        self.conn.request(method, path, body=body, headers=h)

    def receive(self):
        r = self.conn.getresponse()
        content = r.read()
        self.used = time.monotonic()
        return Reply(r.status, r.getheaders(), content)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def _reconnect(self):
        """A new connection to the same worker (this one may have been
        closed by the server while idle)."""
        found = connect_each_worker()
        if self.pid not in found:
            pytest.fail("worker %d is gone (workers now: %s)" % (self.pid, sorted(found)))
        for pid, conns in found.items():
            for wc in conns:
                if pid != self.pid:
                    wc.close()
        self.conn.close()
        self.conn = found[self.pid][0].conn
        self.used = time.monotonic()

    def close(self):
        self.conn.close()

    def __repr__(self):
        return "<connection to worker %d>" % self.pid


def _open_one():
    conn = http.client.HTTPConnection(HOST, PORT, timeout=waiting.WAIT_LIMIT_S)
    conn.connect()
    conn.auto_open = 0
    return conn


def _open_burst(pids):
    """BURST connections, all waiting in the listening socket's backlog
    together when the workers go on (the workers are stopped meanwhile;
    they are let go again whatever happens)."""
    stopped = []
    try:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
            except ProcessLookupError:
                pass
        return [_open_one() for _ in range(BURST)]
    finally:
        for pid in stopped:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass


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
            burst = _open_burst(pids)
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
        replies.append(Reply(r.status, r.getheaders(), r.read()))
    return replies


# Kore 4.1.0 arms its header timeout (http_header_timeout, 10 s) again after
# each answer: a keep-alive connection idle that long gets an unasked 408 and
# is closed (http.c: http_start_recv, http_check_timeout). A WorkerConnection
# idle for IDLE_S is replaced by a new one to the same worker before use.
IDLE_S = 5
_kept = []
_kept_lock = threading.Lock()


def workers():
    """One connection to each worker, ordered by pid, kept from call to call
    (made again when the workers changed). For one thread at a time."""
    global _kept
    with _kept_lock:
        if not _kept or {w.pid for w in _kept} != worker_pids():
            for w in _kept:
                w.close()
            _kept = each_worker_connections()
        return list(_kept)


# --- the server's log -----------------------------------------------------------------

LOG = os.environ.get("CIVIC_SERVER_LOG")

# Kore 4.1.0 answers a dead worker's client with an empty reply, restarts the
# worker and only says so in its log; with `worker_death_policy terminate` it
# even exits 0. The messages are the ones the parent prints in worker_reaper()
# (/usr/share/kore/src/worker.c) and kore_seccomp_trace() (seccomp.c), as
# kore_log() formats them ("[parent]: ..."):
#
#   worker [wrk 1] (1234) exited with status 11
#   worker 1 (pid: 1234) (hdlr: civic_plan) gone
#   worker 1 died from sandbox violation
#   hdlr civic_plan has caused 1 error(s)
#   worker policy is 'terminate', stopping
#   restarting worker 1
#   seccomp violation, [wrk 1] pid=1234, syscall=262:newfstatat
#
# An orderly shutdown prints "worker [wrk 1] exited" (no status), which is not
# matched. Sanitizer reports (ASan/UBSan builds) count as well.
DEATH_SIGNS = {
    "abnormal-exit": r"worker \[[^\]]+\] \(\d+\) exited with status (?!0\b)\d+",
    "worker-gone": r"worker \d+ \(pid: \d+\) \(hdlr: [^)]*\) gone",
    "sandbox-violation-death": r"worker \d+ died from sandbox violation",
    "handler-errors": r"hdlr \S+ has caused \d+ error\(s\)",
    "terminate-policy": r"worker policy is 'terminate', stopping",
    "restart": r"restarting worker \d+",
    "seccomp-violation": r"seccomp violation, ",
    "keymgr-gone": r"keymgr or acme process gone",
    "asan": r"ERROR: AddressSanitizer|ERROR: LeakSanitizer",
    "ubsan": r"\.c:\d+:\d+: runtime error: ",
}
_DEATH_RE = re.compile("|".join("(?:%s)" % x for x in DEATH_SIGNS.values()))
_KORE_LINE = re.compile(rb"^(\[parent\]|\[wrk \d+\]): ", re.M)
_log_read = 0       # bytes of the log already checked


def new_log_trouble():
    """The lines the server log gained since the last call (whole lines
    only) that show a dead worker or a sanitizer report. The first call
    reads it from the start, and fails if it is not a Kore log at all (the
    wrong or an empty file)."""
    global _log_read
    assert os.path.isfile(LOG), "server log %s does not exist" % LOG
    with open(LOG, "rb") as f:
        if _log_read == 0:
            head = f.read(65536)
            assert _KORE_LINE.search(head), "%s is not Kore's log: %r" % (LOG, head[-2000:])
        f.seek(_log_read)
        data = f.read()
    end = data.rfind(b"\n") + 1
    _log_read += end
    text = data[:end].decode("utf-8", "replace")
    return [line for line in text.splitlines() if _DEATH_RE.search(line)]

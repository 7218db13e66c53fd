#!/usr/bin/python3
"""accept-probe: how long a new client waits while many idle ones are held.

Opens IDLE keep-alive connections, BATCH at a time (each asks for /healthz
once, reads the answer and then stays open, idle), then, while they are
held, times SAMPLES new clients, one every --gap-ms: connect, GET /healthz,
read the whole answer. Prints the distribution and, with --pidfile (Kore's),
how the held connections are spread over the workers. Exits 1 unless every
idle connection was answered within --open-timeout seconds, every new client
within --limit-ms, and no idle connection was closed (or written to) by the
server meanwhile.

    bench/accept-probe.py --port 8888 [--idle 3000] [--samples 200]
        [--limit-ms 100] [--pidfile var/run/kore.pid]

Everything is on loopback; every wait is bounded.
"""

import argparse
import os
import selectors
import socket
import statistics
import sys
import time

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: probe\r\n\r\n"
CLOSE_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n"


def complete(data):
    """True once data holds one whole response (with its Content-Length)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return len(body) >= length


def open_idle(host, port, count, batch, timeout):
    """count keep-alive connections, opened batch at a time, each asking once.
    Returns (answered, unanswered): the connections answered within timeout
    seconds in all, and those still waiting then (kept open as well)."""
    held = []
    sel = selectors.DefaultSelector()
    deadline = time.monotonic() + timeout
    pending = {}
    sent = set()
    opened = 0
    while (opened < count or pending) and time.monotonic() < deadline:
        if opened < count and len(pending) < batch:
            for _ in range(min(batch - len(pending), count - opened)):
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex((host, port))
                pending[s] = b""
                sel.register(s, selectors.EVENT_WRITE)
                opened += 1
        left = deadline - time.monotonic()
        for key, _ in sel.select(max(0, min(left, 0.2))):
            s = key.fileobj
            if s not in sent:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    sys.exit("accept-probe: connect failed")
                s.send(REQUEST)
                sent.add(s)
                sel.modify(s, selectors.EVENT_READ)
                continue
            chunk = s.recv(65536)
            if not chunk:
                sys.exit("accept-probe: the server closed an idle "
                         "connection before answering")
            pending[s] += chunk
            if complete(pending[s]):
                sel.unregister(s)
                del pending[s]
                held.append(s)
    sel.close()
    return held, list(pending), opened


def one_request(host, port, timeout):
    """Seconds for connect + GET + the whole answer on a new connection."""
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(CLOSE_REQUEST)
        data = b""
        while not complete(data):
            left = timeout - (time.monotonic() - started)
            if left <= 0:
                return None
            s.settimeout(left)
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                break
            data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        return None
    return time.monotonic() - started


def still_open(held):
    """How many held connections the server neither closed nor wrote to
    (Kore answers an idle connection it gives up on with a 408)."""
    n = 0
    for s in held:
        s.setblocking(False)
        try:
            s.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            n += 1
        except OSError:
            pass
    return n


def worker_sockets(pidfile):
    """{worker pid: open sockets} for the children of Kore's parent."""
    try:
        parent = open(pidfile).read().strip()
    except OSError:
        return {}
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                ppid = f.read().rsplit(")", 1)[1].split()[1]
            if ppid != parent:
                continue
            fds = os.listdir("/proc/%s/fd" % pid)
        except OSError:
            continue
        n = 0
        for fd in fds:
            try:
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)).startswith("socket:"):
                    n += 1
            except OSError:
                pass
        out[int(pid)] = n
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--idle", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--gap-ms", type=float, default=20.0)
    ap.add_argument("--limit-ms", type=float, default=100.0)
    ap.add_argument("--open-timeout", type=float, default=5.0,
                    help="seconds for all idle connections to be answered")
    ap.add_argument("--timeout", type=float, default=30.0,
                    help="seconds a new client may wait at most")
    ap.add_argument("--pidfile")
    args = ap.parse_args()

    started = time.monotonic()
    held, waiting, opened = open_idle(args.host, args.port, args.idle,
                                      args.batch, args.open_timeout)
    print("idle connections answered: %d of %d in %.1f s (%d opened and "
          "waiting, %d not opened)"
          % (len(held), args.idle, time.monotonic() - started, len(waiting),
             args.idle - opened))
    if args.pidfile:
        print("sockets per worker:", worker_sockets(args.pidfile))

    times, failed = [], 0
    for _ in range(args.samples):
        t = one_request(args.host, args.port, args.timeout)
        if t is None:
            failed += 1
        else:
            times.append(t * 1000)
        time.sleep(args.gap_ms / 1000)

    sampled = time.monotonic() - started
    open_after = still_open(held)
    for s in held + waiting:
        s.close()

    if not times:
        sys.exit("accept-probe: no new client was answered")
    times.sort()

    def p(q):
        return times[min(len(times) - 1, int(q * len(times)))]

    print("new clients: %d answered, %d failed; ms: min %.1f median %.1f "
          "p95 %.1f p99 %.1f max %.1f; over %.0f ms: %d"
          % (len(times), failed, times[0], statistics.median(times), p(0.95),
             p(0.99), times[-1], args.limit_ms,
             sum(1 for t in times if t > args.limit_ms)))
    print("idle connections still open and unanswered-to after %.1f s: %d of %d"
          % (sampled, open_after, len(held)))
    ok = (failed == 0 and len(held) == args.idle and
          times[-1] <= args.limit_ms and open_after == len(held))
    print("result:", "ok" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

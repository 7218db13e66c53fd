#!/usr/bin/python3
"""noread-probe: what clients that never read their answers cost a worker.

CLIENTS connections each send REQUESTS requests for PATH, one per round (a
round sends one request on every connection, then pauses --gap-ms), and
never read. Prints the largest growth of each worker's resident memory
(VmRSS of the children of Kore's parent, from --pidfile) while they do and
for --settle seconds after. Stops early, closing everything, once a worker
has grown by --cap-mb (a safety for machines shared with others).

    bench/noread-probe.py --port 8888 --pidfile var/run/kore.pid
        [--clients 300] [--requests 200] [--path /docs/swagger-ui-bundle.js]
        [--cap-mb 2048] [--bound-mb 64]

Exits 1 when a worker grew by --bound-mb or more.
"""

import argparse
import os
import socket
import sys
import time


def workers(pidfile):
    with open(pidfile) as f:
        parent = f.read().strip()
    pids = []
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[1] == parent:
                    pids.append(int(pid))
        except (OSError, IndexError):
            continue
    return sorted(pids)


def rss_kb(pids):
    out = {}
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        out[pid] = int(line.split()[1])
        except OSError:
            out[pid] = 0
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pidfile", required=True)
    ap.add_argument("--clients", type=int, default=300)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--path", default="/docs/swagger-ui-bundle.js")
    ap.add_argument("--gap-ms", type=float, default=5.0)
    ap.add_argument("--settle", type=float, default=3.0)
    ap.add_argument("--cap-mb", type=float, default=2048.0)
    ap.add_argument("--bound-mb", type=float, default=64.0)
    args = ap.parse_args()

    pids = workers(args.pidfile)
    if not pids:
        sys.exit("noread-probe: no worker under the parent in %s" % args.pidfile)
    before = rss_kb(pids)
    peak = {pid: 0 for pid in pids}
    request = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n"
               % (args.path, args.host, args.port)).encode()

    def sample():
        for pid, kb in rss_kb(pids).items():
            peak[pid] = max(peak[pid], kb - before[pid])
        return max(peak.values()) / 1024

    socks, sent, capped = [], 0, False
    started = time.monotonic()
    try:
        for _ in range(args.clients):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect((args.host, args.port))
            s.setblocking(False)
            socks.append(s)
        for _ in range(args.requests):
            for s in socks:
                try:
                    s.send(request)
                    sent += 1
                except BlockingIOError:
                    pass
            if sample() >= args.cap_mb:
                capped = True
                break
            time.sleep(args.gap_ms / 1000)
        end = time.monotonic() + args.settle
        while not capped and time.monotonic() < end:
            if sample() >= args.cap_mb:
                capped = True
            time.sleep(0.05)
    finally:
        for s in socks:
            s.close()

    print("%d clients, %d requests sent in %.1f s%s" % (
        len(socks), sent, time.monotonic() - started,
        " (stopped: a worker reached the %.0f MB cap)" % args.cap_mb if capped else ""))
    print("worker RSS before (MB):", {p: round(kb / 1024, 1) for p, kb in before.items()})
    print("largest growth (MB):   ", {p: round(kb / 1024, 1) for p, kb in peak.items()})
    total = sum(peak.values()) / 1024
    print("total %.1f MB; bound per worker %.0f MB: %s" % (
        total, args.bound_mb,
        "ok" if max(peak.values()) / 1024 < args.bound_mb else "EXCEEDED"))
    return 0 if max(peak.values()) / 1024 < args.bound_mb else 1


if __name__ == "__main__":
    sys.exit(main())

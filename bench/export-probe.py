#!/usr/bin/python3
"""export-probe.py: what a whole-survey export costs.

Makes a survey over the API, loads --rows responses into it with one SQL
statement (every 50th voided), then exports it once as CSV and once as
NDJSON (GET /v1/surveys/{survey}/responses/export) and, for each, prints:

  - the time, the bytes and the rows received, and that the body ended with
    the last chunk (complete) and held every counted response once;
  - the VmRSS of the worker that served it before and after, and its
    highest VmRSS sampled every 50 ms meanwhile (VmHWM, before and after,
    too): the growth must stay under --max-growth-mb (50);
  - the plan (GET /v1/plans/current) asked for on a keep-alive connection
    to each worker, one request after the other, while the export runs:
    how many were answered, their median and highest latency, on the
    exporting worker and on the other.

bench/export.sh runs it against a server it starts (make export-bench).

    bench/export-probe.py --url http://127.0.0.1:8896 --pidfile var/x/kore.pid \\
        --database "host=... dbname=civicplan" --key cpk_... [--rows 100000]

Exits non-zero when an export is incomplete or wrong, a plan request fails,
or the memory grew by more than the limit.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid


def workers(pidfile):
    """Kore's workers: the children of the parent in pidfile."""
    with open(pidfile) as f:
        parent = int(f.read().split()[0])
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == parent:
                    pids.append(int(pid))
        except (OSError, ValueError, IndexError):
            continue
    return sorted(pids)


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def socket_owner(sock, pids):
    """The worker whose descriptors hold the server side of sock."""
    port = sock.getsockname()[1]
    inode = None
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    # The server side: its remote port is ours.
                    if int(fields[2].split(":")[1], 16) == port:
                        inode = fields[9]
        except OSError:
            continue
    if inode is None:
        return None
    for pid in pids:
        try:
            for fd in os.listdir("/proc/%d/fd" % pid):
                try:
                    if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "socket:[%s]" % inode:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


class Api:
    def __init__(self, url, key):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.key = u.hostname, u.port or 80, key

    def conn(self):
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        c.connect()
        return c

    def call(self, method, path, body=None, conn=None, headers=None):
        c = conn or self.conn()
        h = {"Authorization": "Bearer " + self.key}
        if body is not None:
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        return r.status, data


def make_survey(api):
    slug = "export-bench-" + uuid.uuid4().hex[:8]
    body = {
        "id": slug, "plan": "independence-2021", "title": "export bench",
        "opens_at": "2020-01-01T00:00:00Z", "closes_at": "2099-01-01T00:00:00Z",
        "status": "open", "results_visibility": "admin",
        "questions": [
            {"id": "agree", "prompt": "Right plan?", "type": "agreement"},
            {"id": "top", "prompt": "Top three?", "type": "objectives", "min": 1, "max": 3},
            {"id": "comment", "prompt": "Anything else?", "type": "text", "required": False},
        ]}
    status, data = api.call("POST", "/v1/surveys", body)
    if status != 201:
        sys.exit("cannot make the survey: %d %s" % (status, data[:300]))
    # Every worker serves it within a second (the CSV's columns need it).
    deadline = time.monotonic() + 30
    seen = 0
    while seen < 10:
        if time.monotonic() > deadline:
            sys.exit("the survey is not served by every worker")
        status, _ = api.call("GET", "/v1/surveys/" + slug)
        seen = seen + 1 if status == 200 else 0
        time.sleep(0.1)
    return slug


def load(database, slug, rows):
    sql = """
    INSERT INTO responses (survey_id, key_id, external_id, body_hash, answers,
        channel, voided_at, void_reason)
    SELECT s.id, k.id, 'bench-' || g, sha256(g::text::bytea),
        jsonb_build_object('agree', (ARRAY['agree', 'neutral', 'disagree'])[1 + g %% 3],
            'top', jsonb_build_array('reduce-blight', 'enhance-public-health'),
            'comment', CASE WHEN g %% 7 = 0 THEN '=SUM(A1:A9) ' || g END),
        CASE WHEN g %% 10 = 0 THEN 'kiosk' END,
        CASE WHEN g %% 50 = 0 THEN now() END,
        CASE WHEN g %% 50 = 0 THEN 'bench' END
    FROM generate_series(1, %d) g, surveys s,
        (SELECT id FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL
         ORDER BY id LIMIT 1) k
    WHERE s.slug = '%s'
    """ % (rows, slug)
    t0 = time.monotonic()
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", database, "-c", sql],
                   check=True)
    return time.monotonic() - t0


def prober(api, conn, stop, out):
    """The plan, one request after the other on conn, until stop."""
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            conn.request("GET", "/v1/plans/current")
            r = conn.getresponse()
            r.read()
            status = r.status
        except (OSError, http.client.HTTPException) as e:
            status = repr(e)
            conn.close()
            conn = api.conn()
        out.append((status, time.monotonic() - t0))
        time.sleep(0.01)


def export(api, slug, accept, pids, probes):
    c = api.conn()
    c.request("GET", "/v1/surveys/%s/responses/export" % slug,
              headers={"Authorization": "Bearer " + api.key, "Accept": accept})
    owner = socket_owner(c.sock, pids)
    before = {p: (status_kb(p, "VmRSS"), status_kb(p, "VmHWM")) for p in pids}
    peak = {p: 0 for p in pids}
    stop = threading.Event()
    results = {p: [] for p in probes}
    threads = [threading.Thread(target=prober, args=(api, probes[p], stop, results[p]))
               for p in probes]

    def sample():
        while not stop.is_set():
            for p in pids:
                peak[p] = max(peak[p], status_kb(p, "VmRSS"))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    for t in threads:
        t.start()
    t0 = time.monotonic()
    r = c.getresponse()
    size, lines, tail, complete = 0, 0, b"", True
    try:
        while True:
            chunk = r.read(256 * 1024)
            if not chunk:
                break
            size += len(chunk)
            lines += chunk.count(b"\n")
            tail = (tail + chunk)[-4096:]
    except http.client.IncompleteRead:
        complete = False
    elapsed = time.monotonic() - t0
    stop.set()
    for t in threads:
        t.join()
    sampler.join()
    after = {p: (status_kb(p, "VmRSS"), status_kb(p, "VmHWM")) for p in pids}
    c.close()
    return {"status": r.status, "elapsed": elapsed, "bytes": size, "lines": lines,
            "complete": complete, "owner": owner, "before": before, "after": after,
            "peak": peak, "probes": results}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--pidfile", required=True)
    ap.add_argument("--database", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--max-growth-mb", type=float, default=50.0)
    args = ap.parse_args()

    api = Api(args.url, args.key)
    slug = make_survey(api)
    took = load(args.database, slug, args.rows)
    counted = args.rows - args.rows // 50
    print("loaded %d responses (%d counted, %d voided) into %s in %.1f s"
          % (args.rows, counted, args.rows // 50, slug, took))

    pids = workers(args.pidfile)
    ok = True
    for accept, header_lines in (("text/csv", 1), ("application/x-ndjson", 0)):
        # A keep-alive connection to each worker for the plan requests.
        probes, spare = {}, []
        for _ in range(64):
            if len(probes) == len(pids):
                break
            c = api.conn()
            c.request("GET", "/healthz")
            c.getresponse().read()
            p = socket_owner(c.sock, pids)
            if p is not None and p not in probes:
                probes[p] = c
            else:
                spare.append(c)
        for c in spare:
            c.close()
        res = export(api, slug, accept, pids, probes)
        for c in probes.values():
            c.close()
        w = res["owner"]
        rss0, hwm0 = res["before"][w]
        rss1, hwm1 = res["after"][w]
        growth = (max(res["peak"][w], rss1) - rss0) / 1024.0
        rows = res["lines"] - header_lines
        print("%s: %d, %.1f s, %.1f MB, %d rows, %s" % (
            accept, res["status"], res["elapsed"], res["bytes"] / 1e6, rows,
            "complete (last chunk)" if res["complete"] else "CUT"))
        print("  worker %d: VmRSS %.1f MB before, %.1f MB after, highest sampled %.1f MB "
              "(growth %.1f MB); VmHWM %.1f -> %.1f MB" % (
                  w, rss0 / 1024.0, rss1 / 1024.0, res["peak"][w] / 1024.0, growth,
                  hwm0 / 1024.0, hwm1 / 1024.0))
        for p, got in sorted(res["probes"].items()):
            lat = sorted(t for _, t in got)
            bad = [s for s, _ in got if s != 200]
            print("  GET /v1/plans/current on worker %d%s: %d answered, %d not 200, "
                  "median %.1f ms, max %.1f ms" % (
                      p, " (the exporting one)" if p == w else "", len(got), len(bad),
                      1000 * statistics.median(lat) if lat else 0,
                      1000 * lat[-1] if lat else 0))
            if bad or not got:
                ok = False
        if res["status"] != 200 or not res["complete"] or rows != counted:
            print("  FAILED: expected %d rows, complete" % counted)
            ok = False
        if growth >= args.max_growth_mb:
            print("  FAILED: the worker grew by %.1f MB (limit %.0f MB)"
                  % (growth, args.max_growth_mb))
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""make cluster-test: nginx, 3 instances, a PostgreSQL primary and its
streaming replica on loopback (tests/cluster/cluster.py), and what they must
hold:

  1. an instance killed with SIGKILL under a mixed load through nginx, then
     started again: 0 failed GETs, 0 submissions lost, 0 stored twice;
  2. a rolling restart of every instance, each drained through nginx first:
     0 failed requests;
  3. a plan change made through the API shows on every instance, which read
     it from the replica, within 2 s;
  4. failover: with synchronous replication on, the primary stopped with
     -m immediate, the replica promoted by tools/failover.sh and the
     instances restarted against it: every submission acknowledged before
     the crash is there;
and nginx's own part: hostile clients (one that never reads, bytes after a
body), problem documents, the request id, gzip with a weak ETag, TLS with
HSTS. Each case prints its figures; the last line is "N passed, N failed".

A load's client retries what a client may: a GET on a connection the proxy
closed while idle (it never reached an instance), and a submission, with
its Idempotency-Key, until it is answered. Everything else counts."""

import concurrent.futures
import datetime
import gzip
import os
import re
import socket
import ssl
import sys
import threading
import time
import traceback
import uuid

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster  # noqa: E402
from cluster import poll, WAIT_S  # noqa: E402

PLAN = "independence-2021"
FRESH_PROMISE_S = 2.0
# Rate limits far above what the load sends through one proxy address.
BASE_ENV = {"CIVIC_RATELIMIT_WINDOW": "3600", "CIVIC_RATELIMIT_KEY": "10000000",
            "CIVIC_RATELIMIT_ADDRESS": "10000000", "CIVIC_RATELIMIT_PUBLIC": "10000000"}
for k in ("CIVIC_READ_MAX_LAG_MS",):
    if os.environ.get(k):
        BASE_ENV[k] = os.environ[k]

results = []


def case(name):
    def wrap(fn):
        def run(*a):
            print("== %s" % name, flush=True)
            t0 = time.monotonic()
            try:
                fn(*a)
                results.append((name, True))
                print("   PASS (%.1f s)" % (time.monotonic() - t0), flush=True)
            except Exception as e:  # noqa: BLE001: every failure is reported
                results.append((name, False))
                print("   FAIL: %s" % e, flush=True)
                traceback.print_exc(limit=3)
        return run
    return wrap


def figure(label, value):
    print("   %-44s %s" % (label, value), flush=True)


def session(retry_idle=True):
    s = requests.Session()
    if retry_idle:
        # A GET or HEAD whose connection failed before any answer (nginx
        # closed it while idle, at a reload: an HTTP client may retry
        # idempotent requests so, RFC 9110 9.2.2).
        r = Retry(total=3, connect=3, read=3, status=0, other=0,
                  allowed_methods=frozenset(["GET", "HEAD"]), raise_on_status=False)
        s.mount("http://", HTTPAdapter(max_retries=r))
    return s


class Setup:
    def __init__(self, db, nginx):
        self.db, self.nginx = db, nginx
        self.admin = cluster.run("build/civic-admin", "create-key", "--name", "cluster admin",
                                 "--role", "admin", env=dict(os.environ,
                                 DATABASE_URL=db.primary_url())).split()[-1]
        self.objectives = [o["id"] for o in requests.get(
            nginx.url("/v1/plans/%s/objectives?limit=200" % PLAN), timeout=30).json()["items"]]

    def auth(self, key):
        return {"Authorization": "Bearer " + key, "Content-Type": "application/json"}

    def survey(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        slug = "cluster-%s" % uuid.uuid4().hex[:10]
        body = {"id": slug, "plan": PLAN, "title": "Cluster test survey",
                "opens_at": (now - datetime.timedelta(hours=1)).strftime(fmt),
                "closes_at": (now + datetime.timedelta(hours=6)).strftime(fmt),
                "status": "open", "results_visibility": "public",
                # The questions bench/submit.lua answers.
                "questions": [{"id": "right-plan", "prompt": "Right plan?",
                               "type": "agreement"},
                              {"id": "top-priorities", "prompt": "Top three?",
                               "type": "objectives", "min": 1, "max": 3}]}
        r = requests.post(self.nginx.url("/v1/surveys"), json=body,
                          headers=self.auth(self.admin), timeout=30)
        assert r.status_code == 201, (r.status_code, r.text[:300])
        r = requests.post(self.nginx.url("/v1/keys"), json={
            "name": "cluster partner " + slug, "role": "partner", "surveys": [slug]},
            headers=self.auth(self.admin), timeout=30)
        assert r.status_code == 201, (r.status_code, r.text[:300])
        key = r.json()["key"]
        # Every instance serves the survey before the load starts.
        for i in self.nginx.instances:
            poll("survey on instance %d" % i.n, lambda i=i: requests.get(
                i.url("/v1/surveys/" + slug), timeout=10).status_code == 200)
        return slug, key


class Load:
    """GET readers and submitters through nginx, until stop()."""

    def __init__(self, setup, slug, key, readers=4, writers=3, read_key=False):
        self.setup, self.slug, self.key = setup, slug, key
        self.readers, self.writers, self.read_key = readers, writers, read_key
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.gets = self.get_failed = 0
        self.get_failures = []
        self.acked = {}          # external_id -> (response id, time acked)
        self.posts = self.post_retries = self.post_resent = self.post_failed = 0
        self.post_failures = []
        self.retry_reasons = []
        self.threads = []

    def start(self):
        for n in range(self.readers):
            self.threads.append(threading.Thread(target=self.reader, args=(n,), daemon=True))
        for n in range(self.writers):
            self.threads.append(threading.Thread(target=self.writer, daemon=True))
        for t in self.threads:
            t.start()
        return self

    def reader(self, n):
        s = session()
        paths = ["/v1/plans/" + PLAN, "/v1/surveys/%s/tallies" % self.slug,
                 "/v1/plans/%s/objectives" % PLAN]
        headers = {"Authorization": "Bearer " + self.key} if self.read_key else {}
        i = n
        while not self.stop_ev.is_set():
            path = paths[i % len(paths)]
            i += 1
            try:
                r = s.get(self.setup.nginx.url(path), headers=headers, timeout=30)
                ok = r.status_code == 200
                why = "%d %s" % (r.status_code, r.text[:120])
            except requests.RequestException as e:
                ok, why = False, repr(e)[:160]
            with self.lock:
                self.gets += 1
                if not ok:
                    self.get_failed += 1
                    if len(self.get_failures) < 5:
                        self.get_failures.append("%s: %s" % (path, why))

    def writer(self):
        s = session(retry_idle=False)
        url = self.setup.nginx.url("/v1/surveys/%s/responses" % self.slug)
        objs = self.setup.objectives
        while not self.stop_ev.is_set():
            ext = "ext-" + uuid.uuid4().hex
            body = {"external_id": ext, "answers": {"right-plan": "agree",
                    "top-priorities": [objs[hash(ext) % len(objs)]]}}
            headers = dict(self.setup.auth(self.key), **{"Idempotency-Key": uuid.uuid4().hex})
            end = time.monotonic() + WAIT_S
            delay = 0.05
            while True:
                answered = True
                try:
                    r = s.post(url, json=body, headers=headers, timeout=30)
                    if r.status_code in (200, 201):
                        with self.lock:
                            self.posts += 1
                            self.acked[ext] = (r.json()["id"], time.monotonic())
                        break
                    retry = r.status_code >= 500
                    why = "%d %s" % (r.status_code, " ".join(r.text[:160].split()))
                    if not r.headers.get("Content-Type", "").startswith(
                            "application/problem+json"):
                        retry, why = False, "not a problem document: " + why
                except requests.ConnectionError as e:
                    # No answer: the connection was closed under it (nginx
                    # closes idle keep-alive connections at a reload).
                    answered, retry, why = False, True, repr(e)[:160]
                    s = session(retry_idle=False)
                except requests.RequestException as e:
                    retry, why = True, repr(e)[:160]
                    s = session(retry_idle=False)
                if not retry or time.monotonic() > end:
                    with self.lock:
                        self.post_failed += 1
                        if len(self.post_failures) < 5:
                            self.post_failures.append(why)
                    break
                with self.lock:
                    if answered:
                        self.post_retries += 1
                        if len(self.retry_reasons) < 3:
                            self.retry_reasons.append(why)
                    else:
                        self.post_resent += 1
                time.sleep(delay if answered else 0.01)
                if answered:
                    delay = min(delay * 2, 1.0)

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(timeout=WAIT_S)

    def check_stored(self, db, acked=None):
        """Every acknowledged submission stored once; nothing else stored.
        Returns (acked, present, twice, unacked rows)."""
        acked = self.acked if acked is None else acked
        rows = db.psql("SELECT r.external_id, count(*) FROM responses r JOIN surveys s "
                       "ON s.id = r.survey_id WHERE s.slug = '%s' GROUP BY 1" % self.slug)
        stored = {}
        for line in rows.splitlines():
            ext, _, n = line.partition("|")
            stored[ext] = int(n)
        present = sum(1 for e in acked if stored.get(e, 0) >= 1)
        twice = sum(1 for n in stored.values() if n > 1)
        return len(acked), present, twice, len(set(stored) - set(self.acked))


def run_for(load, seconds, during=None):
    load.start()
    time.sleep(seconds / 2)
    if during:
        during()
    time.sleep(seconds / 2)
    load.stop()


def report_load(load):
    figure("GETs through nginx", "%d, failed %d" % (load.gets, load.get_failed))
    figure("submissions acknowledged", "%d, failed %d" % (load.posts, load.post_failed))
    figure("  retried after a 5xx answer", load.post_retries)
    figure("  resent, connection closed before an answer", load.post_resent)
    for f in load.get_failures + load.post_failures:
        figure("  failure", f)
    for f in load.retry_reasons:
        figure("  a 5xx answer", f)


@case("1. an instance killed with SIGKILL under load, then started again")
def case_kill(setup, db, nginx, instances):
    slug, key = setup.survey()
    load = Load(setup, slug, key)
    victim = instances[1]

    def crash():
        victim.kill()
        figure("killed", "instance %d (SIGKILL to its process group)" % victim.n)
        time.sleep(2)
        victim.start(db.env())
        figure("started again", "instance %d" % victim.n)
    run_for(load, 12, crash)
    report_load(load)
    acked, present, twice, extra = load.check_stored(db)
    figure("acknowledged / stored / stored twice", "%d / %d / %d" % (acked, present, twice))
    assert load.get_failed == 0, "failed GETs"
    assert load.post_failed == 0, "submissions never acknowledged"
    assert present == acked, "lost: %d" % (acked - present)
    assert twice == 0 and extra == 0, "stored twice %d, unacknowledged rows %d" % (twice, extra)
    assert acked > 100, "too little load to prove anything"


@case("2. a rolling restart of every instance, drained through nginx")
def case_rolling(setup, db, nginx, instances):
    slug, key = setup.survey()
    load = Load(setup, slug, key)
    timings = []

    def roll():
        for inst in instances:
            t = [time.monotonic()]
            nginx.take_out(inst)          # returns once in-flight requests are done
            t.append(time.monotonic())
            inst.stop()
            t.append(time.monotonic())
            inst.start(db.env())
            t.append(time.monotonic())
            nginx.put_back(inst)
            t.append(time.monotonic())
            timings.append("/".join("%.1f" % (b - a) for a, b in zip(t, t[1:])))
    load.start()
    time.sleep(2)
    roll()
    time.sleep(2)
    load.stop()
    report_load(load)
    figure("per instance: drain/stop/start/back, s", ", ".join(timings))
    acked, present, twice, extra = load.check_stored(db)
    figure("acknowledged / stored / stored twice", "%d / %d / %d" % (acked, present, twice))
    assert load.get_failed == 0 and load.post_failed == 0, "failed requests"
    assert load.post_retries == 0, "submissions answered 5xx: %d" % load.post_retries
    assert present == acked and twice == 0 and extra == 0


def change_shows(setup, nginx, instances, goal):
    """PATCH the goal's title through nginx; the seconds until the slowest
    instance, asked directly, shows it (and keeps showing it 20 times); with
    instances None, until a read through nginx shows it."""
    title = "Cluster check %s" % uuid.uuid4().hex[:8]
    r = requests.patch(nginx.url("/v1/plans/%s/goals/%s" % (PLAN, goal["id"])),
                       json={"title": title}, headers=setup.auth(setup.admin), timeout=30)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    t0 = time.monotonic()
    worst = 0.0
    if instances is None:       # through nginx (and its cache), anonymously
        s = session()
        while title not in [g["title"] for g in s.get(nginx.url("/v1/plans/" + PLAN),
                                                       timeout=30).json()["goals"]]:
            assert time.monotonic() < t0 + WAIT_S, "nginx never showed it"
            time.sleep(0.01)
        return time.monotonic() - t0
    for inst in instances:
        s = session()
        streak, first = 0, None
        end = t0 + WAIT_S
        while streak < 20:
            doc = s.get(inst.url("/v1/plans/" + PLAN), timeout=30).json()
            if title in [g["title"] for g in doc["goals"]]:
                first = first or time.monotonic() - t0
                streak += 1
            else:
                assert first is None, "instance %d went back to the old plan" % inst.n
                assert time.monotonic() < end, "instance %d never showed it" % inst.n
                time.sleep(0.01)
        worst = max(worst, first)
    return worst


@case("3. a plan change through the API shows on every instance, read through the replica, within 2 s")
def case_fresh(setup, db, nginx, instances):
    reads = int(db.replica_psql("SELECT count(*) FROM pg_stat_activity WHERE "
                                "application_name = 'civicplan-read'") or 0)
    figure("instances' connections on the replica", reads)
    assert reads >= len(instances), "the instances do not read from the replica"
    def on_replica():
        said = [i.n for i in instances
                if "published data read from the replica" in i.log_text()]
        return said if len(said) == len(instances) else None
    figure("instances that say they read the replica",
           poll("every instance reading the replica", on_replica))
    goal = requests.get(nginx.url("/v1/plans/%s/goals" % PLAN), timeout=30).json()["items"][0]
    worst = max(change_shows(setup, nginx, instances, goal) for _ in range(3))
    figure("slowest instance to show a change", "%.0f ms (promise %.0f ms)" % (
        worst * 1000, FRESH_PROMISE_S * 1000))
    assert worst <= FRESH_PROMISE_S, "stale for %.0f ms" % (worst * 1000)
    # nginx keeps a public read one second (deploy/nginx/proxy.conf).
    slowest = max(change_shows(setup, nginx, None, goal) for _ in range(3))
    figure("the same through nginx's cache", "%.0f ms (promise %.0f ms)" % (
        slowest * 1000, (FRESH_PROMISE_S + 1) * 1000))
    assert slowest <= FRESH_PROMISE_S + 1, "stale for %.0f ms" % (slowest * 1000)
    # The bound holds whatever the replica does: with its replay paused,
    # the instances read the primary once it lags CIVIC_READ_MAX_LAG_MS.
    db.pause_replay(True)
    try:
        worst = change_shows(setup, nginx, instances, goal)
    finally:
        db.pause_replay(False)
    figure("the same with the replica's replay paused", "%.0f ms" % (worst * 1000))
    assert worst <= FRESH_PROMISE_S, "stale for %.0f ms" % (worst * 1000)
    moved = [i.n for i in instances if "read from the primary: the replica lags"
             in i.log_text()]
    figure("instances that moved to the primary", moved)
    assert len(moved) >= len(instances) - 1, "the lag did not move the reads"


@case("4. failover: synchronous replication, primary crashed, replica promoted")
def case_failover(setup, db, nginx, instances):
    slug, key = setup.survey()
    db.sync(True)
    figure("synchronous_standby_names", db.psql("SHOW synchronous_standby_names"))
    load = Load(setup, slug, key)
    load.start()
    time.sleep(4)
    with load.lock:
        acked_before = dict(load.acked)
    t0 = time.monotonic()
    db.crash_primary()
    with load.lock:
        # Acknowledged up to the crash: all of them must survive it.
        acked_before = dict(load.acked)
    figure("acknowledged before the crash", len(acked_before))
    db.failover()
    promoted = time.monotonic() - t0
    for inst in instances:
        nginx.take_out(inst)
        inst.stop()
        inst.start(db.env())
        nginx.put_back(inst)
    ready = time.monotonic() - t0
    time.sleep(3)
    load.stop()
    report_load(load)
    figure("crash to promoted / to every instance on it", "%.1f s / %.1f s" % (promoted, ready))
    acked, present, twice, extra = load.check_stored(db, acked_before)
    figure("acknowledged before the crash, present after", "%d / %d" % (acked, present))
    all_acked, all_present, twice, extra = load.check_stored(db)
    figure("all acknowledged / present / twice", "%d / %d / %d" % (all_acked, all_present, twice))
    assert acked > 50, "too little load before the crash"
    assert present == acked, "lost in the failover: %d" % (acked - present)
    assert all_present == all_acked and twice == 0 and extra == 0
    assert load.post_failed == 0, "submissions never acknowledged"


@case("sync replication's cost on the submission rate (wrk through nginx)")
def case_sync_cost(setup, db, nginx, instances):
    rates = {False: [], True: []}
    for mode in (False, True, False, True):
        db.sync(mode)
        slug, key = setup.survey()
        env = dict(os.environ, BENCH_PATH="/v1/surveys/%s/responses" % slug, BENCH_KEY=key,
                   BENCH_RUN=uuid.uuid4().hex[:8])
        out = cluster.run("wrk", "-t2", "-c32", "-d5s", "--latency", "-s", "bench/submit.lua",
                          nginx.url("/"), env=env)
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        assert bad is None, "wrk: %s non-2xx answers" % bad.group(1)
        stored = int(db.psql("SELECT count(*) FROM responses r JOIN surveys s ON "
                             "s.id = r.survey_id WHERE s.slug = '%s'" % slug))
        assert stored >= rps * 4, "wrk's answers are not in the database"
        rates[mode].append(rps)
    off, on = max(rates[False]), max(rates[True])
    figure("submissions/s, asynchronous replica", " / ".join("%.0f" % r for r in rates[False]))
    figure("submissions/s, synchronous replica", " / ".join("%.0f" % r for r in rates[True]))
    figure("synchronous, best against best", "%.2fx" % (on / off))
    db.sync(False)


@case("hostile: a client that never reads its answers")
def case_noread(setup, db, nginx, instances):
    before = {i.n: i.worker_rss_kb() for i in instances}
    req = ("GET /v1/plans/%s HTTP/1.1\r\nHost: x\r\n\r\n" % PLAN).encode()
    socks = []
    for _ in range(4):
        c = socket.create_connection(("127.0.0.1", cluster.HTTP_PORT))
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.setblocking(False)
        sent = 0
        end = time.monotonic() + 3
        while time.monotonic() < end and sent < 64 << 20:
            try:
                sent += c.send(req * 64)
            except BlockingIOError:
                time.sleep(0.05)
            except OSError:
                break
        socks.append((c, sent))
    time.sleep(1)
    after = {i.n: i.worker_rss_kb() for i in instances}
    growth = max(after[n] - before[n] for n in before) / 1024
    figure("requests written, never read", "%d MB on 4 connections" % (
        sum(s for _, s in socks) >> 20))
    figure("largest instance's worker RSS growth", "%.1f MB" % growth)
    r = requests.get(nginx.url("/v1/plans/current"), timeout=30)
    for c, _ in socks:
        c.close()
    assert r.status_code == 200, "others not served while it hangs"
    assert growth < 16, "workers hold what the client does not read"


@case("hostile: bytes after a request body")
def case_trailing(setup, db, nginx, instances):
    body = b'{"name": "x", "role": "partner"}'
    raw = (b"POST /v1/keys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Authorization: Bearer " + setup.admin.encode() +
           b"\r\nContent-Length: %d\r\n\r\n" % len(body)) + body + b"GARBAGE\r\n\r\n"
    c = socket.create_connection(("127.0.0.1", cluster.HTTP_PORT), timeout=30)
    t0 = time.monotonic()
    c.sendall(raw)
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = c.recv(65536)
        if not chunk:
            break
        got += chunk
    took = time.monotonic() - t0
    c.close()
    status = int(got.split(b" ", 2)[1]) if got.startswith(b"HTTP/") else None
    figure("answered", "%s in %.3f s" % (status, took))
    assert status == 201, got[:300]
    for i in instances:
        assert i.proc is not None and i.proc.poll() is None


@case("nginx: problem documents, request id, gzip and a weak ETag, TLS with HSTS")
def case_proxy(setup, db, nginx, instances):
    def problem(r, status):
        assert r.status_code == status, (r.status_code, r.text[:200])
        assert r.headers["Content-Type"].startswith("application/problem+json"), r.headers
        doc = r.json()
        assert doc["status"] == status and doc["type"].startswith("/problems/"), doc
        assert doc["request_id"] == r.headers["X-Request-Id"], (doc, r.headers)
        return doc
    problem(requests.post(nginx.url("/v1/keys"), data=b"x" * (1 << 20 | 1),
                          headers=setup.auth(setup.admin), timeout=30), 413)
    problem(requests.get(nginx.url("/v1/plans/" + "a" * 9000), timeout=30), 414)
    problem(requests.get(nginx.url("/v1/plans"), headers={"X-Big": "b" * 9000}, timeout=30), 431)
    c = socket.create_connection(("127.0.0.1", cluster.HTTP_PORT), timeout=30)
    c.sendall(b"GET / HTTP/9.9\r\nHost: x\r\n\r\n")
    head = c.recv(65536)
    c.close()
    figure("a bad request line", head.split(b"\r\n")[0].decode())
    assert b"application/problem+json" in head, head[:300]
    figure("nginx's 400, 413, 414, 431", "problem documents with the request id")

    r = requests.get(nginx.url("/v1/plans/current"), timeout=30)
    rid = r.headers["X-Request-Id"]
    r2 = requests.get(nginx.url("/v1/plans/current"), headers={"X-Request-Id": "mine-1.2:3"},
                      timeout=30)
    assert r2.headers["X-Request-Id"] == "mine-1.2:3"
    r3 = requests.get(nginx.url("/v1/plans/current"), headers={"X-Request-Id": "bad id!"},
                      timeout=30)
    own = r3.headers["X-Request-Id"]
    assert own != "bad id!" and re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", own), own
    nginx.proc.send_signal(__import__("signal").SIGUSR1)   # reopen: flushes the buffer
    logged = poll("access log line", lambda: [e for e in nginx.access_log()
                                              if e.get("request_id") == rid], limit=30)
    figure("request id in the answer and in nginx's JSON log", rid)
    # An instance answered it, or nginx's cache did (then no upstream).
    assert logged[0]["status"] == 200, logged[0]
    assert logged[0]["upstream"] or logged[0]["cache"] in ("HIT", "STALE", "UPDATING"), logged[0]

    # The same document gzipped and plain: the two reads may straddle a
    # change of the plan (a cache entry refreshed between them), so the
    # pair is read again until they are of one version (same strong tag).
    def pair():
        r = requests.get(nginx.url("/v1/plans/" + PLAN), headers={"Accept-Encoding": "gzip"},
                         timeout=30, stream=True)
        raw = r.raw.read()
        plain = requests.get(nginx.url("/v1/plans/" + PLAN), timeout=30)
        same = r.headers["ETag"].lstrip("W/") == plain.headers["ETag"].lstrip("W/")
        return (r, raw, plain) if same else None
    r, raw, plain = poll("a gzipped and a plain read of one version", pair)
    assert r.headers.get("Content-Encoding") == "gzip", r.headers
    etag = r.headers["ETag"]
    figure("gzip", "%d bytes for %d" % (len(raw), len(plain.content)))
    assert gzip.decompress(raw) == plain.content
    assert etag.startswith('W/"'), etag
    r = requests.get(nginx.url("/v1/plans/" + PLAN), timeout=30,
                     headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    figure("If-None-Match: " + etag, r.status_code)
    assert r.status_code == 304

    # The cache of public reads: a read nginx answers itself carries this
    # request's id; a 304 comes from it too; a read with a key goes past it.
    path = "/v1/plans/" + PLAN
    def hit():
        r = requests.get(nginx.url(path), headers={"X-Request-Id": "cache-%d" % time.monotonic_ns()},
                         timeout=30)
        return r if r.headers.get("X-Cache") == "HIT" else None
    r = poll("a read answered from nginx's cache", hit)
    assert r.headers["X-Request-Id"].startswith("cache-") and r.content == plain.content
    again = requests.get(nginx.url(path), headers={"If-None-Match": r.headers["ETag"]}, timeout=30)
    keyed = requests.get(nginx.url(path), headers=setup.auth(setup.admin), timeout=30)
    slug, _ = setup.survey()
    stream = requests.get(nginx.url("/v1/surveys/%s/tallies/stream" % slug), stream=True,
                          headers={"Accept": "text/event-stream"}, timeout=30)
    stream.close()
    figure("nginx's cache: a public read", "%s, request id its own" % r.headers["X-Cache"])
    figure("nginx's cache: If-None-Match, a keyed read, the stream",
           "%d %s; %s; %s" % (again.status_code, again.headers.get("X-Cache"),
                              keyed.headers.get("X-Cache"), stream.headers.get("X-Cache")))
    assert again.status_code == 304
    assert keyed.status_code == 200 and keyed.headers.get("X-Cache") == "BYPASS"
    # nginx's own id: $request_id when an instance answers (passed to it as
    # X-Request-Id), its serial of the request when its cache does.
    assert re.fullmatch(r"[0-9a-f]{32}", keyed.headers["X-Request-Id"]), keyed.headers
    def own_hit():
        h = requests.get(nginx.url(path), timeout=30)
        return h if h.headers.get("X-Cache") == "HIT" else None
    h = poll("a hit with nginx's own id", own_hit)
    figure("nginx's own request id", "%s passed on, %s for a hit"
           % (keyed.headers["X-Request-Id"], h.headers["X-Request-Id"]))
    assert re.fullmatch(r"n[0-9]+\.[0-9]{3}-[0-9]+-[0-9]+-[0-9]+", h.headers["X-Request-Id"]), h.headers
    assert stream.status_code == 200 and stream.headers.get("X-Cache") == "BYPASS", stream.headers

    r = requests.get(nginx.tls_url("/v1/plans/current"), verify=nginx.cert, timeout=30)
    assert r.status_code == 200
    hsts = r.headers.get("Strict-Transport-Security", "")
    ctx = ssl.create_default_context(cafile=nginx.cert)
    with socket.create_connection(("127.0.0.1", cluster.TLS_PORT), timeout=30) as c:
        with ctx.wrap_socket(c, server_hostname="127.0.0.1") as t:
            version = t.version()
    figure("TLS (a certificate made by the test)", "%s, HSTS: %s" % (version, hsts))
    assert "max-age=63072000" in hsts


def main():
    for p in (cluster.HTTP_PORT, cluster.TLS_PORT, cluster.PG_PORT, cluster.PG_REPLICA_PORT,
              *[cluster.INSTANCE_PORT + n for n in range(1, cluster.INSTANCES + 1)]):
        if not cluster.free_port(p):
            print("cluster-test: port %d is taken (CLUSTER_*_PORT change them)" % p)
            print("0 passed, 1 failed")
            return 1
    db = cluster.Database()
    instances = [cluster.Instance(n, BASE_ENV) for n in range(1, cluster.INSTANCES + 1)]
    nginx = cluster.Nginx(instances)
    t0 = time.monotonic()
    try:
        print("== up: primary :%d, replica :%d, %d instances from :%d, nginx :%d (TLS :%d)" % (
            cluster.PG_PORT, cluster.PG_REPLICA_PORT, len(instances),
            cluster.INSTANCE_PORT + 1, cluster.HTTP_PORT, cluster.TLS_PORT), flush=True)
        db.up()
        with concurrent.futures.ThreadPoolExecutor(len(instances)) as ex:
            list(ex.map(lambda i: i.start(db.env()), instances))
        nginx.start()
        setup = Setup(db, nginx)
        args = (setup, db, nginx, instances)
        only = os.environ.get("CLUSTER_CASES", "").split(",")
        for name, fn in (("proxy", case_proxy), ("trailing", case_trailing),
                         ("noread", case_noread), ("fresh", case_fresh), ("kill", case_kill),
                         ("rolling", case_rolling), ("sync", case_sync_cost),
                         ("failover", case_failover)):
            if only == [""] or name in only:
                fn(*args)
        # Kore's parent logs a worker that ended otherwise than asked.
        died = [i.n for i in instances
                if re.search(r"worker \d+ \(pid: \d+\) \(hdlr: .*\) gone", i.log_text())]
        print("== no worker died: %s" % ("yes" if not died else "no, on %s" % died))
        results.append(("no worker died", not died))
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        results.append(("set-up: %s" % e, False))
    finally:
        nginx.stop()
        for i in instances:
            i.stop()
        db.down()
    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print("cluster-test took %.0f s" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

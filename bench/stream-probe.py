#!/usr/bin/env python3
"""stream-probe.py: many clients on the tallies' event stream (bench/stream.sh).

Makes a survey with public results and a partner key (over the API, with an
admin key), then, in --rounds rounds: the plan's rate (wrk on
GET /v1/plans/current) without stream clients; --clients clients opening
GET /v1/surveys/{survey}/tallies/stream, each until its first event; in the
first round, --events submissions one after the other, each timed from its
201 to the moment every client has read the event that counts it; the
plan's rate again with every client connected (and reading). The clients
close at the end of each round. Prints the figures; exits 1 when a client
misses an event or gets one later than 1 s after its 201, or when the plan's
rate with the clients is under 80% of the rate without (the sums over the
rounds). The survey, its responses and the partner key are removed at the
end.
"""

import argparse
import asyncio
import datetime
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

LIMIT_S = 1.0           # an event within this of its submission's 201
RATIO_MIN = 0.8         # the plan's rate with the clients / without
CONNECT_LIMIT_S = 120   # for every client to get its first event


def request(base, method, path, key=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Client:
    """One stream: the first moment each total was seen."""

    def __init__(self):
        self.seen = {}
        self.first = asyncio.get_running_loop().create_future()
        self.error = None
        self.writer = None

    async def run(self, host, port, path):
        try:
            reader, self.writer = await asyncio.open_connection(host, port, limit=1 << 20)
            self.writer.write(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream"
                               "\r\n\r\n" % (path, host, port)).encode())
            await self.writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(None, 2)[1])
            if status != 200:
                raise RuntimeError("status %d: %r" % (status, head[:200]))
            while True:
                line = await reader.readline()
                if not line:
                    raise RuntimeError("the server closed the stream")
                if line.startswith(b"data: "):
                    now = time.monotonic()
                    total = json.loads(line[6:])["total"]
                    self.seen.setdefault(total, now)
                    if not self.first.done():
                        self.first.set_result(now)
        except asyncio.CancelledError:
            raise
        except Exception as e:   # noqa: BLE001: any failure is the client's result
            self.error = str(e)
            if not self.first.done():
                self.first.set_exception(e)

    def close(self):
        if self.writer is not None:
            self.writer.close()


async def wrk(url, args):
    proc = await asyncio.create_subprocess_exec(
        "wrk", "-t%d" % args.threads, "-c%d" % args.connections, "-d" + args.duration,
        url + "/v1/plans/current", stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out = (await proc.communicate())[0].decode()
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not m or bad:
        print(out)
        raise SystemExit("wrk: no rate, or answers that are not 2xx/3xx")
    return float(m.group(1))


def survey_body(slug, plan):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return {"id": slug, "plan": plan, "title": "Stream benchmark survey",
            "opens_at": (now - datetime.timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
            "closes_at": (now + datetime.timedelta(days=1)).isoformat().replace("+00:00", "Z"),
            "status": "open", "results_visibility": "public",
            "questions": [{"id": "agree", "prompt": "Is this the right plan?",
                           "type": "agreement"},
                          {"id": "top", "prompt": "Your top three?", "type": "objectives",
                           "min": 1, "max": 3}]}


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--database", required=True)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--events", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--duration", default="10s")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    target = urllib.parse.urlsplit(args.url)
    host, port = target.hostname, target.port

    run_id = "stream-bench-" + uuid.uuid4().hex[:8]
    plan = request(args.url, "GET", "/v1/plans/current")[1]
    status, body = request(args.url, "POST", "/v1/surveys", args.key,
                           survey_body(run_id, plan["id"]))
    if status != 201:
        raise SystemExit("cannot make the survey: %s %s" % (status, body))
    status, partner = request(args.url, "POST", "/v1/keys", args.key,
                              {"name": run_id, "role": "partner"})
    if status != 201:
        raise SystemExit("cannot make the partner key: %s %s" % (status, partner))
    objectives = [o["id"] for g in plan["goals"] for o in g["objectives"]]
    path = "/v1/surveys/%s/tallies/stream" % run_id
    # Every worker serves the new survey within a second.
    for _ in range(100):
        if all(request(args.url, "GET", "/v1/surveys/" + run_id)[0] == 200 for _ in range(8)):
            break
        await asyncio.sleep(0.1)

    loop = asyncio.get_running_loop()
    failures = []
    without, with_ = [], []
    delays = []     # every client's delay for every submission
    worst = []      # per submission: the slowest client
    total = 0
    try:
        for rnd in range(args.rounds):
            without.append(await wrk(args.url, args))

            clients = [Client() for _ in range(args.clients)]
            tasks = [asyncio.create_task(c.run(host, port, path)) for c in clients]
            t0 = time.monotonic()
            done, pending = await asyncio.wait([c.first for c in clients],
                                               timeout=CONNECT_LIMIT_S)
            errors = [c.error for c in clients if c.error]
            if pending or errors:
                raise SystemExit("round %d: %d clients without a first event within %d s, "
                                 "%d failed (%s)" % (rnd + 1, len(pending), CONNECT_LIMIT_S,
                                                    len(errors), errors[:3]))
            print("round %d: %d clients connected, each with its first event, in %.1f s"
                  % (rnd + 1, len(clients), time.monotonic() - t0))

            if rnd == 0:
                for i in range(args.events):
                    body = {"external_id": "%s-%d" % (run_id, i),
                            "answers": {"agree": "agree", "top": objectives[i % 14:i % 14 + 1]}}
                    status, _ = await loop.run_in_executor(
                        None, request, args.url, "POST", "/v1/surveys/%s/responses" % run_id,
                        partner["key"], body)
                    stored = time.monotonic()
                    if status != 201:
                        raise SystemExit("submission %d: %s" % (i, status))
                    total += 1
                    deadline = stored + 10 * LIMIT_S
                    while time.monotonic() < deadline and not all(
                            any(t >= total for t in c.seen) for c in clients):
                        await asyncio.sleep(0.01)
                    got = [min((at for t, at in c.seen.items() if t >= total), default=None)
                           for c in clients]
                    missing = sum(1 for g in got if g is None)
                    d = [max(0.0, g - stored) for g in got if g is not None]
                    delays.extend(d)
                    worst.append(max(d) if d else float("inf"))
                    late = sum(1 for x in d if x > LIMIT_S)
                    print("  submission %2d: every client had it %.0f ms after the 201 "
                          "(median %.0f ms)%s" % (i + 1, 1000 * worst[-1],
                                                  1000 * sorted(d)[len(d) // 2] if d else 0,
                                                  "; %d missed, %d late" % (missing, late)
                                                  if missing or late else ""))
                    if missing or late:
                        failures.append("submission %d: %d clients missed its event, %d got it "
                                        "later than %.1f s" % (i + 1, missing, late, LIMIT_S))
                    # The next one after the rate limit of events (250 ms).
                    await asyncio.sleep(0.5)

            with_.append(await wrk(args.url, args))
            dropped = [c.error for c in clients if c.error]
            if dropped:
                failures.append("round %d: %d clients lost their stream (%s)"
                                % (rnd + 1, len(dropped), dropped[:3]))
            print("round %d: GET /v1/plans/current %.0f req/s without stream clients, "
                  "%.0f req/s with %d connected" % (rnd + 1, without[-1], with_[-1],
                                                      len(clients)))
            for c in clients:
                c.close()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", args.database, "-c",
                        "DELETE FROM response_answers WHERE response_id IN (SELECT r.id FROM "
                        "responses r JOIN surveys s ON s.id = r.survey_id WHERE s.slug = '%(s)s'); "
                        "DELETE FROM responses WHERE survey_id IN (SELECT id FROM surveys WHERE "
                        "slug = '%(s)s'); DELETE FROM tally_counters WHERE survey_id IN (SELECT "
                        "id FROM surveys WHERE slug = '%(s)s'); DELETE FROM survey_questions "
                        "WHERE survey_id IN (SELECT id FROM surveys WHERE slug = '%(s)s'); "
                        "DELETE FROM surveys WHERE slug = '%(s)s'; UPDATE api_keys SET "
                        "revoked_at = now() WHERE name = '%(s)s'" % {"s": run_id}],
                       check=False)

    delays.sort()
    ratio = sum(with_) / sum(without)
    print("events: %d clients x %d submissions: median %.0f ms, p99 %.0f ms, max %.0f ms "
          "from the 201 (limit %.0f ms)" % (
              args.clients, args.events, 1000 * delays[len(delays) // 2],
              1000 * delays[int(len(delays) * 0.99)], 1000 * delays[-1], 1000 * LIMIT_S))
    print("plan rate with the clients connected: %.2f of the rate without (sums over %d "
          "rounds; at least %.2f)" % (ratio, args.rounds, RATIO_MIN))
    if ratio < RATIO_MIN:
        failures.append("the plan's rate with the clients is %.2f of the rate without" % ratio)
    for f in failures:
        print("FAIL " + f)
    print("stream bench: %s" % ("FAILED" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

"""Several Kore workers serve the same bytes. The requests here spread over
keep-alive and fresh connections so that more than one worker answers (the
accept lock gives no guarantee of which), once every worker serves the last
write made before (partners.wait_workers_agree). conftest.py checks after
every module that no worker died."""

import collections
import concurrent.futures
import json
import urllib.parse

import pytest
import requests

import partners as p
import seed_expected as seed
import server
import waiting

CURRENT = "/v1/plans/current"
OBJECTIVES = "/v1/plans/" + seed.PLAN_ID + "/objectives"
KEEPALIVE_CONNECTIONS = 10
REQUESTS_PER_CONNECTION = 15
FRESH_REQUESTS = 150  # each on its own connection
THREADS = 20


def test_many_requests_over_many_connections_get_identical_bytes_and_etag(api):
    p.wait_workers_agree()
    def keepalive(_):
        out = []
        with requests.Session() as s:
            for _ in range(REQUESTS_PER_CONNECTION):
                r = s.get(api.url(CURRENT), timeout=waiting.WAIT_LIMIT_S)
                out.append((r.status_code, r.headers.get("ETag"), r.content))
        return out

    def fresh(_):
        r = api.get(CURRENT, fresh=True)
        return [(r.status_code, r.headers.get("ETag"), r.content)]

    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=THREADS) as pool:
        jobs = [pool.submit(keepalive, i) for i in range(KEEPALIVE_CONNECTIONS)]
        jobs += [pool.submit(fresh, i) for i in range(FRESH_REQUESTS)]
        for job in jobs:   # each request is bounded by its timeout
            results += job.result(timeout=REQUESTS_PER_CONNECTION * 2 * waiting.WAIT_LIMIT_S)

    assert len(results) == KEEPALIVE_CONNECTIONS * REQUESTS_PER_CONNECTION + FRESH_REQUESTS
    assert {status for status, _, _ in results} == {200}
    assert len({etag for _, etag, _ in results}) == 1
    assert len({body for _, _, body in results}) == 1
    reference = api.get("/v1/plans/" + seed.PLAN_ID)
    assert results[0][2] == reference.content
    assert results[0][1] == reference.headers["ETag"]


def test_a_cursor_from_one_connection_works_on_fresh_connections(api):
    first = api.get(OBJECTIVES + "?limit=3")
    cursor = urllib.parse.quote(first.json()["next_cursor"], safe="")
    path = OBJECTIVES + "?limit=3&cursor=" + cursor

    def one(_):
        r = api.get(path, fresh=True)
        return r.status_code, r.content

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(40)))
    assert {status for status, _ in results} == {200}
    assert len({body for _, body in results}) == 1
    assert [o["id"] for o in json.loads(results[0][1])["items"]] == seed.OBJECTIVE_IDS[3:6]


def test_etags_agree_across_connections_for_every_route(api):
    p.wait_workers_agree()
    paths = ["/v1/plans", CURRENT, OBJECTIVES, "/v1/surveys",
             "/v1/plans/" + seed.PLAN_ID + "/priorities"]

    def etags(_):
        return tuple(api.get(p, fresh=True).headers.get("ETag") for p in paths)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        seen = set(pool.map(etags, range(16)))
    assert len(seen) == 1, seen
    assert None not in next(iter(seen))


BALANCE_SLACK = 8        # src/conn.c: CONN_BALANCE_SLACK
ONE_AT_A_TIME = 40


def _held_per_worker(pids):
    """{pid: the connections to the server that worker holds now}."""
    inodes, owners = server._server_inodes(), server._sockets(pids)
    held = collections.Counter(owners.get(inode) for inode in inodes.values())
    return {pid: held[pid] for pid in pids}


@server.needs_server_pid
def test_connections_that_come_one_at_a_time_spread_over_the_workers():
    """Kore's accept lock moves only when its holder accepts 16 connections
    in one go: alone, it gave every connection that came one at a time to
    one worker (wrk's 64 split 57/7). conn.c keeps each worker within
    CONN_BALANCE_SLACK of the least loaded, whatever each held before."""
    pids = server.worker_pids()
    if len(pids) < 2:
        pytest.skip("one worker")
    before = _held_per_worker(pids)
    conns = []
    try:
        for _ in range(ONE_AT_A_TIME):
            conn = server._open_one()
            r = server.WorkerConnection(conn, None).get("/healthz")   # accepted
            assert r.status_code == 200, r
            conns.append(conn)
        inodes, owners = server._server_inodes(), server._sockets(pids)
        ours = collections.Counter(owners.get(inodes.get(c.sock.getsockname()[1]))
                                   for c in conns)
        assert set(ours) <= pids, ours
        after = _held_per_worker(pids)
        # Each worker's word is at most 10 ms old (CONN_BALANCE_TICK_MS):
        # the slack twice over is the most two of them can drift apart.
        assert max(after.values()) - min(after.values()) <= 2 * BALANCE_SLACK, \
            (before, after, ours)
    finally:
        for conn in conns:
            conn.close()

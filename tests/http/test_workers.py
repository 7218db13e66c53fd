"""Several Kore workers serve the same bytes. The requests here spread over
keep-alive and fresh connections so that more than one worker answers (the
accept lock gives no guarantee of which), once every worker serves the last
write made before (partners.wait_workers_agree). conftest.py checks after
every module that no worker died."""

import concurrent.futures
import json
import urllib.parse

import requests

import partners as p
import seed_expected as seed
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

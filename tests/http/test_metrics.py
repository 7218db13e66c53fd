"""GET /metrics: the Prometheus text format (0.0.4), for an admin key or the
scrape token (CIVIC_METRICS_TOKEN, set by tools/test.sh), summed over every
worker.

The counters are checked by difference: a scrape, then requests this test
sends (on a connection to each worker: every worker counts its own, the
scrape sums them), then a scrape again. Nothing else talks to the server
while a test runs, so each counter moves by exactly what the test sent; the
scrapes themselves count under route "/metrics" only.
"""

import json
import os
import re
import shutil
import subprocess

import pytest

import partners as p
import server
import waiting
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

TOKEN = os.environ.get("CIVIC_METRICS_TOKEN", "")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

needs_token = pytest.mark.skipif(not TOKEN, reason="CIVIC_METRICS_TOKEN not set "
                                 "(run through tools/test.sh)")
pytestmark = [needs_token, p.needs_harness]

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(key=None):
    """The text of /metrics, scraped with the token (or with key)."""
    r = p.get("/metrics", headers={"Authorization": "Bearer " + (key or TOKEN)})
    assert r.status_code == 200, (r.status_code, r.content[:300])
    assert r.headers["Content-Type"] == CONTENT_TYPE
    return r.text


def samples(text):
    """{(name, frozenset of (label, value)): value} of a scrape."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        labels = frozenset(_LABEL.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def value(s, name, **labels):
    return s.get((name, frozenset(labels.items())), 0.0)


def moved(before, after):
    """The samples whose value changed, and by how much."""
    keys = set(before) | set(after)
    return {k: after.get(k, 0.0) - before.get(k, 0.0) for k in keys
            if after.get(k, 0.0) != before.get(k, 0.0)}


def test_metrics_pass_promtool_check_metrics(tmp_path):
    """After requests of several kinds (so that every family has samples),
    the exposition passes `promtool check metrics` (Prometheus' own linter)
    with no finding at all."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: tools/deps.sh test installs prometheus"
    p.get("/v1/plans")
    p.get("/no/such/path")
    p.get("/v1/keys", key=p.ADMIN_KEY)
    text = scrape()
    result = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                            capture_output=True, timeout=p.TIMEOUT)
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), \
        (result.returncode, result.stdout[:2000], result.stderr[:2000])
    assert text.endswith("\n")


def test_every_named_metric_is_exposed_with_its_type():
    text = scrape()
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    assert types == {
        "civic_http_requests_total": "counter",
        "civic_http_request_duration_seconds": "histogram",
        "civic_db_queue_waiting": "gauge",
        "civic_db_pool_in_use": "gauge",
        "civic_db_query_duration_seconds": "histogram",
        "civic_submissions_total": "counter",
        "civic_tally_cache_total": "counter",
        "civic_content_reloads_total": "counter",
        "civic_worker_starts_total": "counter",
        "civic_ratelimit_rejected_total": "counter",
        "civic_streams_open": "gauge",
        "civic_streams_dropped_total": "counter",
        "civic_build_info": "gauge",
    }, types


def test_build_info_names_the_api_version_and_kore():
    s = samples(scrape())
    info = [labels for (name, labels), v in s.items() if name == "civic_build_info" and v == 1]
    assert len(info) == 1, info
    labels = dict(info[0])
    version = json.loads(p.get("/openapi.json").content)["info"]["version"]
    assert labels == {"version": version, "kore": "4.1.0"}, labels


def test_request_counters_move_by_exactly_the_requests_sent_to_every_worker():
    """3 GETs of a plan, 2 of a path no route names and 1 unauthenticated
    POST, on a connection to each worker: the sum over the workers moves by
    exactly that, labelled by route template (never the raw path), and
    nothing else moves but the scrapes' own "/metrics" samples and the
    database gauges."""
    conns = server.workers()
    assert len(conns) == 2, "the suite's server runs 2 workers: %r" % conns
    # A kept connection idle past server.IDLE_S (a slow test ran before) is
    # replaced on its first use, with /healthz probes: not between the scrapes.
    for w in conns:
        assert w.get("/healthz").status_code == 200
    before = samples(scrape())
    for w in conns:
        for _ in range(3):
            assert w.get("/v1/plans/%s" % p.PLAN).status_code == 200
        for path in ("/nothing/here", "/v1/plans/%s/nope" % p.PLAN):
            assert w.get(path).status_code == 404
        assert w.request("POST", "/v1/plans", body={}).status_code == 401
    after = samples(scrape())

    want = {
        ("civic_http_requests_total", frozenset({
            ("route", "/v1/plans/{plan}"), ("method", "GET"), ("status", "200")})): 6,
        ("civic_http_requests_total", frozenset({
            ("route", "unmatched"), ("method", "GET"), ("status", "404")})): 4,
        ("civic_http_requests_total", frozenset({
            ("route", "/v1/plans"), ("method", "POST"), ("status", "401")})): 2,
        ("civic_http_request_duration_seconds_count",
         frozenset({("route", "/v1/plans/{plan}")})): 6,
        ("civic_http_request_duration_seconds_bucket",
         frozenset({("route", "/v1/plans/{plan}"), ("le", "+Inf")})): 6,
        ("civic_http_request_duration_seconds_count", frozenset({("route", "unmatched")})): 4,
        ("civic_http_request_duration_seconds_bucket",
         frozenset({("route", "unmatched"), ("le", "+Inf")})): 4,
        ("civic_http_request_duration_seconds_count", frozenset({("route", "/v1/plans")})): 2,
        ("civic_http_request_duration_seconds_bucket",
         frozenset({("route", "/v1/plans"), ("le", "+Inf")})): 2,
        ("civic_http_requests_total", frozenset({
            ("route", "/metrics"), ("method", "GET"), ("status", "200")})): 1,
        ("civic_http_request_duration_seconds_count", frozenset({("route", "/metrics")})): 1,
        ("civic_http_request_duration_seconds_bucket",
         frozenset({("route", "/metrics"), ("le", "+Inf")})): 1,
    }
    got = {k: v for k, v in moved(before, after).items()
           if not k[0].endswith("_sum") and not k[0].startswith("civic_db_")
           and not (k[0] == "civic_http_request_duration_seconds_bucket"
                    and dict(k[1])["le"] != "+Inf")}
    assert got == want, {"unexpected": {k: v for k, v in got.items() if want.get(k) != v},
                         "missing": {k: v for k, v in want.items() if got.get(k) != v}}
    # Buckets are cumulative and end at the count.
    for route in ("/v1/plans/{plan}", "unmatched"):
        series = [(float(dict(l)["le"]), v) for (n, l), v in after.items()
                  if n == "civic_http_request_duration_seconds_bucket"
                  and dict(l)["route"] == route]
        counts = [v for _, v in sorted(series)]
        assert counts == sorted(counts), series
        assert counts[-1] == value(after, "civic_http_request_duration_seconds_count",
                                   route=route)


def test_route_labels_are_templates_never_paths():
    """Whatever paths were asked (an id, junk, a query string), every route
    label is a template of the document or "unmatched"."""
    p.get("/v1/plans/%s/goals/quality" % p.PLAN)
    p.get("/v1/surveys/%s?x=%%3Cscript%%3E" % p.SEED_SURVEY)
    p.get("/definitely/not/a/route/%3Cscript%3E")
    s = samples(scrape())
    routes = {dict(l)["route"] for (n, l) in s if "route" in dict(l)}
    paths = set(json.loads(p.get("/openapi.json").content)["paths"])
    assert "/v1/plans/{plan}/goals/{goal}" in routes, routes
    assert routes <= paths | {"unmatched"}, routes - paths
    assert not any("quality" in r or "script" in r or "not" in r for r in routes), routes


def test_worker_starts_count_every_worker():
    s = samples(scrape())
    assert value(s, "civic_worker_starts_total") >= len(server.worker_pids()) == 2


def test_submissions_count_stored_duplicate_and_rejected():
    """One response stored (201), the same again (200: the stored one), one
    refused (422), and a batch of one new and one bad item: stored +2,
    duplicate +1, rejected +2."""
    survey = p.make_survey()["id"]
    key = p.create_key()["key"]
    before = samples(scrape())
    body = p.response_body(external_id="m-1")
    assert p.submit(survey, body, key).status_code == 201
    assert p.submit(survey, body, key).status_code == 200
    assert p.submit(survey, {"external_id": "m-2", "answers": {"nope": 1}},
                    key).status_code == 422
    r = p.post(p.responses_path(survey) + "/batch", key=key, body={"responses": [
        p.response_body(external_id="m-3"), {"external_id": "m-4", "answers": {}}]})
    assert r.status_code == 200, r.content[:300]
    assert [i["status"] for i in r.json()["results"]] == [201, 422]
    after = samples(scrape())
    got = {res: value(after, "civic_submissions_total", result=res)
           - value(before, "civic_submissions_total", result=res)
           for res in ("stored", "duplicate", "rejected")}
    assert got == {"stored": 2, "duplicate": 1, "rejected": 2}, got


def test_tally_cache_counts_a_miss_then_hits():
    """The first read of a survey's public tallies asks the database (a
    miss); reads right after on the same worker are served from its memory
    (hits)."""
    survey = p.make_survey()["id"]      # public results
    w = server.workers()[0]
    before = samples(scrape())
    path = "/v1/surveys/%s/tallies" % survey
    for _ in range(4):
        assert w.get(path).status_code == 200
    after = samples(scrape())
    miss = value(after, "civic_tally_cache_total", result="miss") - \
        value(before, "civic_tally_cache_total", result="miss")
    hit = value(after, "civic_tally_cache_total", result="hit") - \
        value(before, "civic_tally_cache_total", result="hit")
    assert miss >= 1 and hit >= 1 and miss + hit == 4, (miss, hit)


def test_content_reloads_count_a_published_change():
    """A write of published data (a new survey): every worker loads the new
    snapshot, so the sum moves by at least the number of workers."""
    before = value(samples(scrape()), "civic_content_reloads_total")
    p.make_survey(wait=False, title="reload counted")
    waiting.wait_until(lambda: value(samples(scrape()), "civic_content_reloads_total"),
                       lambda now: now >= before + 2, "both workers counted a reload")


def test_the_db_gauges_and_query_histogram_are_there():
    p.get("/readyz")
    s = samples(scrape())
    assert value(s, "civic_db_query_duration_seconds_count") >= 1
    assert value(s, "civic_db_queue_waiting") >= 0
    assert value(s, "civic_db_pool_in_use") >= 0
    assert value(s, "civic_ratelimit_rejected_total") == 0


# --- access -------------------------------------------------------------------------

def test_metrics_without_credentials_is_the_401_problem():
    r = p.get("/metrics")
    p.assert_unauthorized(r, token_sent=False)
    p.assert_bare_challenge(r)
    assert "civic_" not in r.text


def test_metrics_with_a_wrong_token_is_401():
    for bad in (TOKEN[:-1], TOKEN + "x", "x" * len(TOKEN), ""):
        r = p.get("/metrics", headers={"Authorization": "Bearer " + bad})
        p.assert_unauthorized(r, token_sent=True)
        assert "civic_" not in r.text


def test_metrics_with_a_partner_key_is_403_and_an_admin_key_works():
    key = p.create_key()["key"]
    r = p.get("/metrics", key=key)
    p.problem(r, 403, "forbidden")
    assert "civic_" not in r.text
    assert "civic_http_requests_total" in scrape(key=p.ADMIN_KEY)


def test_metrics_with_an_unknown_key_is_401():
    r = p.get("/metrics", key="cpk_" + "A" * 43)
    p.assert_unauthorized(r, token_sent=True)


def test_metrics_carry_no_secret():
    """Neither the scrape token nor any key, nor a hash of them, nor the
    database's connection string appears in the metrics."""
    p.get("/v1/keys", key=p.ADMIN_KEY)
    text = scrape()
    for secret in (TOKEN, p.ADMIN_KEY, "cpk_", "key_", "postgres", "password"):
        assert secret not in text, secret


def test_metrics_take_no_query_and_only_read_methods():
    r = p.get("/metrics?x=1", headers={"Authorization": "Bearer " + TOKEN})
    p.problem(r, 400, "invalid-parameter")
    r = p.post("/metrics", body={}, headers={"Authorization": "Bearer " + TOKEN})
    p.problem(r, 405, "method-not-allowed")

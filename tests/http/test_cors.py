"""CORS: the allowed origin (CIVIC_CORS_TEST_ORIGIN) and any other origin,
simple requests, preflights and plain OPTIONS."""

import os

import pytest

import seed_expected as seed

CORS_ORIGIN = os.environ.get("CIVIC_CORS_TEST_ORIGIN", "http://allowed.test")

PLAN = "/v1/plans/" + seed.PLAN_ID
EXPOSED = ["ETag", "Link", "X-Request-Id", "Retry-After", "Location", "RateLimit",
           "RateLimit-Policy"]
PREFLIGHT_HEADERS = ["Accept", "Authorization", "Content-Type", "Idempotency-Key",
                     "If-Match", "If-None-Match", "X-Request-Id"]
ROUTES = ["/healthz", "/v1/plans", PLAN, PLAN + "/objectives", "/v1/surveys"]


def lower_tokens(tokens, response, name):
    return [t.lower() for t in tokens(response, name)]


def aca_headers(response):
    return sorted(n for n in response.headers if n.lower().startswith("access-control-"))


def _look_alikes(allowed):
    scheme, _, host = allowed.partition("://")
    other_scheme = "https" if scheme == "http" else "http"
    return {
        "other-host": "http://evil.test",
        "suffix": allowed + ".evil.test",
        "trailing-slash": allowed + "/",
        "sub-domain": scheme + "://evil." + host,
        "upper-case": allowed.upper(),
        "other-scheme": other_scheme + "://" + host,
        "other-port": allowed + ":8443",
        "null": "null",
    }


# Origins that must not be allowed: exact comparison only.
LOOK_ALIKES = _look_alikes(CORS_ORIGIN)


@pytest.mark.parametrize("path", ROUTES)
def test_allowed_origin_is_echoed_in_allow_origin(api, cors_origin, path):
    r = api.get(path, headers={"Origin": cors_origin})
    assert r.status_code == 200
    assert r.headers.get("Access-Control-Allow-Origin") == cors_origin


def test_allow_origin_is_sent_once(api, cors_origin):
    r = api.raw("GET", PLAN, headers=[("Origin", cors_origin)])
    values = [v for n, v in r.header_list if n.lower() == "access-control-allow-origin"]
    assert values == [cors_origin]


def test_allowed_origin_response_varies_on_origin(api, tokens, cors_origin):
    r = api.get(PLAN, headers={"Origin": cors_origin})
    assert "origin" in lower_tokens(tokens, r, "Vary")


def test_allowed_origin_can_read_etag_link_and_request_id(api, tokens, cors_origin):
    r = api.get(PLAN + "/objectives?limit=3", headers={"Origin": cors_origin})
    exposed = lower_tokens(tokens, r, "Access-Control-Expose-Headers")
    for name in ("etag", "link", "x-request-id"):
        assert name in exposed, exposed


def test_exposed_headers_are_the_contract_list(api, tokens, cors_origin):
    r = api.get(PLAN, headers={"Origin": cors_origin})
    assert sorted(lower_tokens(tokens, r, "Access-Control-Expose-Headers")) == sorted(
        h.lower() for h in EXPOSED)


def test_allowed_origin_gets_cors_headers_on_problems_too(api, cors_origin):
    r = api.get("/v1/nope", headers={"Origin": cors_origin})
    assert r.status_code == 404
    assert r.headers.get("Access-Control-Allow-Origin") == cors_origin


def test_allowed_origin_gets_cors_headers_on_a_304(api, cors_origin):
    etag = api.get(PLAN).headers["ETag"]
    r = api.get(PLAN, headers={"Origin": cors_origin, "If-None-Match": etag})
    assert r.status_code == 304
    assert r.headers.get("Access-Control-Allow-Origin") == cors_origin


@pytest.mark.parametrize("origin", list(LOOK_ALIKES.values()), ids=list(LOOK_ALIKES))
def test_disallowed_origin_gets_no_allow_origin(api, origin):
    r = api.get(PLAN, headers={"Origin": origin})
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers, (origin, r.headers)
    assert "Access-Control-Expose-Headers" not in r.headers, origin


def test_request_without_origin_gets_no_cors_headers(api):
    assert aca_headers(api.get(PLAN)) == []


@pytest.mark.parametrize("case", ["no-origin", "disallowed", "404", "options", "304"])
def test_every_response_varies_on_origin(api, tokens, case):
    if case == "no-origin":
        r = api.get(PLAN)
    elif case == "disallowed":
        r = api.get(PLAN, headers={"Origin": "http://evil.test"})
    elif case == "404":
        r = api.get("/v1/nope")
    elif case == "options":
        r = api.options(PLAN)
    else:
        r = api.get(PLAN, headers={"If-None-Match": api.get(PLAN).headers["ETag"]})
    assert "origin" in lower_tokens(tokens, r, "Vary"), (case, r.status_code, r.headers)


# --- preflight ------------------------------------------------------------------------

def preflight(api, path, origin, method="GET", headers=None):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        h["Access-Control-Request-Headers"] = headers
    return api.options(path, headers=h)


@pytest.mark.parametrize("path", ROUTES)
def test_preflight_from_allowed_origin_is_a_204_allowing_get(api, tokens, cors_origin, path):
    r = preflight(api, path, cors_origin)
    assert r.status_code == 204
    assert r.headers.get("Access-Control-Allow-Origin") == cors_origin
    assert "GET" in [t.upper() for t in tokens(r, "Access-Control-Allow-Methods")]


def test_preflight_allows_the_routes_methods(api, tokens, cors_origin):
    r = preflight(api, PLAN, cors_origin, method="PATCH")
    assert sorted(t.upper() for t in tokens(r, "Access-Control-Allow-Methods")) == [
        "GET", "HEAD", "OPTIONS", "PATCH"]


def test_preflight_is_cached_for_600_seconds(api, cors_origin):
    assert preflight(api, PLAN, cors_origin).headers.get("Access-Control-Max-Age") == "600"


def test_preflight_allows_the_contract_request_headers(api, tokens, cors_origin):
    r = preflight(api, PLAN, cors_origin, headers="if-none-match, x-request-id")
    allowed = lower_tokens(tokens, r, "Access-Control-Allow-Headers")
    assert sorted(allowed) == sorted(h.lower() for h in PREFLIGHT_HEADERS)


def test_preflight_has_an_empty_body(api, cors_origin):
    r = api.raw("OPTIONS", PLAN, headers=[("Origin", cors_origin),
                                          ("Access-Control-Request-Method", "GET")])
    assert r.status_code == 204
    assert r.content == b""


def test_preflight_for_a_method_the_route_lacks_does_not_allow_it(api, tokens, cors_origin):
    r = preflight(api, PLAN, cors_origin, method="DELETE")
    assert r.status_code == 204
    assert "DELETE" not in [t.upper() for t in tokens(r, "Access-Control-Allow-Methods")]


def test_preflight_from_disallowed_origin_is_a_204_without_cors_headers(api):
    r = preflight(api, PLAN, "http://evil.test")
    assert r.status_code == 204
    assert aca_headers(r) == []


@pytest.mark.parametrize("origin", list(LOOK_ALIKES.values()), ids=list(LOOK_ALIKES))
def test_preflight_from_a_look_alike_origin_gets_no_cors_headers(api, origin):
    r = preflight(api, PLAN, origin)
    assert r.status_code == 204
    assert aca_headers(r) == [], origin


# --- plain OPTIONS --------------------------------------------------------------------

@pytest.mark.parametrize("path,writes", [
    ("/healthz", []), ("/readyz", []), ("/v1/plans", ["POST"]), (PLAN, ["PATCH"]),
    (PLAN + "/goals/quality", ["DELETE", "PATCH"]), (PLAN + "/objectives", ["POST"]),
    (PLAN + "/priorities", []), (PLAN + "/priorities/2021", ["PUT"]),
])
def test_plain_options_is_a_204_with_allow(api, tokens, path, writes):
    r = api.options(path)
    assert r.status_code == 204
    assert sorted(t.upper() for t in tokens(r, "Allow")) == sorted(
        ["GET", "HEAD", "OPTIONS"] + writes)


@pytest.mark.parametrize("path", ["/v1/surveys", "/v1/surveys/" + seed.SURVEY_ID])
def test_plain_options_on_survey_routes_allows_at_least_reading(api, tokens, path):
    # Issue 3 adds POST /v1/surveys and PATCH /v1/surveys/{survey}.
    r = api.options(path)
    assert r.status_code == 204
    assert {"GET", "HEAD", "OPTIONS"} <= {t.upper() for t in tokens(r, "Allow")}


def test_plain_options_has_an_empty_body_and_no_cors_headers(api):
    r = api.raw("OPTIONS", PLAN)
    assert r.status_code == 204
    assert r.content == b""
    assert [n for n, _ in r.header_list if n.lower().startswith("access-control-")] == []


def test_options_on_an_unknown_route_is_a_404_problem(api, problem):
    problem(api.options("/v1/nope"), 404, "not-found", "/v1/nope")

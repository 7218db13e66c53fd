"""Common HTTP behaviour: ETag and If-None-Match, HEAD, Cache-Control,
Content-Type, X-Request-Id, Server header, no HSTS."""

import concurrent.futures
import re

import pytest

import seed_expected as seed

ETAG_RE = re.compile(r'^"[0-9a-f]{16}"$')
REQUEST_ID_RE = re.compile(r"^[0-9a-f]{32}$")

PLAN = "/v1/plans/" + seed.PLAN_ID
READ_ROUTES = [
    "/v1/plans",
    PLAN,
    "/v1/plans/current",
    PLAN + "/goals",
    PLAN + "/goals/quality",
    PLAN + "/objectives",
    PLAN + "/objectives/reduce-blight",
    PLAN + "/priorities",
    "/v1/surveys",
    "/v1/surveys/" + seed.SURVEY_ID,
]
HEALTH_ROUTES = ["/healthz", "/readyz"]
GET_ROUTES = READ_ROUTES + HEALTH_ROUTES
OTHER_ETAG = '"0123456789abcdef"'  # well-formed, never a real one


def ok(api, path, **kwargs):
    r = api.get(path, **kwargs)
    assert r.status_code == 200, (path, r.status_code, r.content[:300])
    return r


# --- ETag / If-None-Match ---------------------------------------------------------

@pytest.mark.parametrize("path", GET_ROUTES)
def test_get_200_has_a_strong_etag_of_16_lowercase_hex(api, path):
    etag = ok(api, path).headers.get("ETag")
    assert etag is not None and ETAG_RE.match(etag), etag


def test_etag_is_stable_across_requests(api):
    assert ok(api, PLAN).headers["ETag"] == ok(api, PLAN, fresh=True).headers["ETag"]


def test_different_representations_have_different_etags(api):
    etags = [ok(api, p).headers["ETag"] for p in READ_ROUTES if p != "/v1/plans/current"]
    assert len(set(etags)) == len(etags), etags


def test_pages_of_a_collection_have_different_etags(api):
    first = ok(api, PLAN + "/objectives?limit=3")
    second = ok(api, first.json()["next"])
    assert first.headers["ETag"] != second.headers["ETag"]


@pytest.mark.parametrize("path", READ_ROUTES)
def test_if_none_match_with_the_exact_etag_is_a_304(api, path):
    etag = ok(api, path).headers["ETag"]
    r = api.get(path, headers={"If-None-Match": etag})
    assert r.status_code == 304, r.content[:300]


def test_304_has_an_empty_body_and_the_same_etag(api):
    etag = ok(api, PLAN).headers["ETag"]
    r = api.raw("GET", PLAN, headers=[("If-None-Match", etag)])
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers.get("ETag") == etag


def test_304_has_no_content_length_other_than_the_200s(api):
    full = ok(api, PLAN)
    r = api.raw("GET", PLAN, headers=[("If-None-Match", full.headers["ETag"])])
    assert r.status_code == 304
    assert r.headers.get("Content-Length") in (None, str(len(full.content))), r.headers


def test_304_keeps_cache_control_and_request_id(api):
    etag = ok(api, PLAN).headers["ETag"]
    r = api.get(PLAN, headers={"If-None-Match": etag, "X-Request-Id": "conditional-1"})
    assert r.status_code == 304
    assert r.headers.get("Cache-Control") == "public, max-age=60"
    assert r.headers.get("X-Request-Id") == "conditional-1"


def test_if_none_match_list_containing_the_etag_is_a_304(api):
    etag = ok(api, PLAN).headers["ETag"]
    r = api.get(PLAN, headers={"If-None-Match": '%s, %s, "ffffffffffffffff"' % (OTHER_ETAG, etag)})
    assert r.status_code == 304
    assert r.headers.get("ETag") == etag


def test_if_none_match_list_without_spaces_is_a_304(api):
    etag = ok(api, PLAN).headers["ETag"]
    r = api.get(PLAN, headers={"If-None-Match": "%s,%s" % (OTHER_ETAG, etag)})
    assert r.status_code == 304


def test_weak_if_none_match_of_the_etag_is_a_304(api):
    etag = ok(api, PLAN).headers["ETag"]
    r = api.get(PLAN, headers={"If-None-Match": "W/" + etag})
    assert r.status_code == 304
    assert r.headers.get("ETag") == etag


def test_weak_etag_inside_a_list_is_a_304(api):
    etag = ok(api, PLAN).headers["ETag"]
    r = api.get(PLAN, headers={"If-None-Match": 'W/%s, W/%s' % (OTHER_ETAG, etag)})
    assert r.status_code == 304


def test_if_none_match_star_is_a_304(api):
    etag = ok(api, PLAN).headers["ETag"]
    r = api.get(PLAN, headers={"If-None-Match": "*"})
    assert r.status_code == 304
    assert r.headers.get("ETag") == etag


@pytest.mark.parametrize("value", [
    OTHER_ETAG, "W/" + OTHER_ETAG, '"0123456789abcdef", "fedcba9876543210"',
])
def test_non_matching_if_none_match_is_a_full_200(api, value):
    full = ok(api, PLAN)
    r = api.get(PLAN, headers={"If-None-Match": value})
    assert r.status_code == 200
    assert r.content == full.content


def test_unquoted_etag_does_not_match(api):
    etag = ok(api, PLAN).headers["ETag"]
    r = api.get(PLAN, headers={"If-None-Match": etag.strip('"')})
    assert r.status_code == 200


def test_etag_of_another_route_does_not_match(api):
    other = ok(api, PLAN + "/goals").headers["ETag"]
    r = api.get(PLAN, headers={"If-None-Match": other})
    assert r.status_code == 200


def test_if_none_match_on_head_is_a_304(api):
    etag = ok(api, PLAN).headers["ETag"]
    r = api.head(PLAN, headers={"If-None-Match": etag})
    assert r.status_code == 304
    assert r.headers.get("ETag") == etag


# --- HEAD -------------------------------------------------------------------------

@pytest.mark.parametrize("path", GET_ROUTES)
def test_head_has_the_same_status_and_headers_as_get(api, path):
    get = ok(api, path, headers={"X-Request-Id": "same-id"})
    head = api.head(path, headers={"X-Request-Id": "same-id"})
    assert head.status_code == 200
    for name in ("ETag", "Content-Type", "Cache-Control", "Content-Length", "Vary",
                 "Server", "X-Request-Id"):
        assert head.headers.get(name) == get.headers.get(name), name


@pytest.mark.parametrize("path", [PLAN, PLAN + "/objectives", "/healthz"])
def test_head_sends_no_body(api, path):
    r = api.raw("HEAD", path)
    assert r.status_code == 200
    assert r.content == b""


def test_head_content_length_is_the_get_body_length(api):
    get = ok(api, PLAN)
    head = api.raw("HEAD", PLAN)
    assert head.headers.get("Content-Length") == str(len(get.content))


def test_head_of_an_unknown_route_is_a_404_without_body(api):
    r = api.raw("HEAD", "/v1/nope")
    assert r.status_code == 404
    assert r.content == b""


# --- Cache-Control / Content-Type ------------------------------------------------

@pytest.mark.parametrize("path", READ_ROUTES)
def test_read_routes_are_cacheable_for_60_seconds(api, path):
    assert ok(api, path).headers.get("Cache-Control") == "public, max-age=60"


@pytest.mark.parametrize("path", HEALTH_ROUTES)
def test_health_routes_are_not_stored(api, path):
    assert ok(api, path).headers.get("Cache-Control") == "no-store"


@pytest.mark.parametrize("path", GET_ROUTES)
def test_json_routes_answer_application_json(api, json_body, path):
    json_body(ok(api, path))


def test_problems_answer_application_problem_json(api, mtype):
    r = api.get("/v1/nope")
    assert mtype(r)[0] == "application/problem+json"


def test_json_body_is_utf8_encoded(api):
    r = ok(api, PLAN)
    r.content.decode("utf-8")  # raises if not UTF-8
    assert r.json()["city"] == "Independence, Missouri"


# --- X-Request-Id -------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "abc", "A-Z.a_z:0-9", "0123456789abcdef0123456789abcdef", "x" * 128, "1",
])
def test_sane_request_id_is_echoed(api, value):
    assert ok(api, "/healthz", headers={"X-Request-Id": value}).headers["X-Request-Id"] == value


@pytest.mark.parametrize("value", [
    "x" * 129, "abc def", "abc/def", "a;b", "<script>", 'q"q', "a,b", "a@b", "%41",
    "x" * 1000,
])
def test_insane_request_id_is_replaced_by_a_generated_one(api, value):
    got = ok(api, "/healthz", headers={"X-Request-Id": value}).headers["X-Request-Id"]
    assert got != value
    assert REQUEST_ID_RE.match(got), got


def test_missing_request_id_is_generated_as_32_hex(api):
    got = ok(api, "/healthz").headers.get("X-Request-Id")
    assert got is not None and REQUEST_ID_RE.match(got), got


def test_generated_request_ids_are_unique_across_requests_and_connections(api):
    def one(_):
        return api.get("/healthz", fresh=True).headers["X-Request-Id"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(one, range(100)))
    assert len(set(ids)) == 100


def test_request_id_is_on_problem_responses_too(api, problem):
    r = api.get("/v1/nope", headers={"X-Request-Id": "trace-404"})
    assert r.headers.get("X-Request-Id") == "trace-404"
    assert problem(r, 404, "not-found", "/v1/nope")["request_id"] == "trace-404"


def test_request_id_is_on_options_responses(api):
    r = api.options(PLAN, headers={"X-Request-Id": "trace-options"})
    assert r.headers.get("X-Request-Id") == "trace-options"


def test_request_id_is_sent_once(api):
    r = api.raw("GET", "/healthz", headers=[("X-Request-Id", "once")])
    assert [v for n, v in r.header_list if n.lower() == "x-request-id"] == ["once"]


# --- Server / HSTS --------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/healthz", PLAN, "/v1/nope"])
def test_server_header_is_civicplan_without_a_version(api, path):
    server = api.get(path).headers.get("Server")
    assert server == "civicplan"
    assert not any(c.isdigit() for c in server)


@pytest.mark.parametrize("path", ["/healthz", PLAN, "/v1/nope"])
def test_no_strict_transport_security_over_plain_http(api, path):
    assert "Strict-Transport-Security" not in api.get(path).headers

"""Odd request targets never get a 5xx and never hang: each gets a 4xx
problem document (or a 200 where the input is actually fine), not Kore's
own empty 408 after its header timeout, nor silence.

Targets are sent byte for byte over a raw socket (api.raw): requests and
http.client would normalise or refuse them. Adding a case is adding a line."""

import pytest

import seed_expected as seed

PLAN = "/v1/plans/" + seed.PLAN_ID
OBJECTIVES = PLAN + "/objectives"
NOT_FOUND = {404}
REJECTED = {400, 404}

PATH_CASES = [
    ("slug-101-chars", "/v1/plans/" + "a" * 101, NOT_FOUND),
    ("slug-1500-chars", "/v1/plans/" + "a" * 1500, NOT_FOUND),
    ("goal-slug-1500-chars", PLAN + "/goals/" + "a" * 1500, NOT_FOUND),
    ("objective-slug-1500-chars", PLAN + "/objectives/" + "b-" * 700 + "c", NOT_FOUND),
    ("pct-encoded-unreserved", "/v1/plans/%69ndependence-2021", {200, 404}),
    ("pct-junk", "/v1/plans/%zz", REJECTED),
    ("pct-truncated", "/v1/plans/independence-2021%", REJECTED),
    ("pct-nul", "/v1/plans/%00", REJECTED),
    ("pct-nul-after-id", "/v1/plans/independence-2021%00", REJECTED),
    ("pct-slash", "/v1/plans/independence-2021%2Fgoals", REJECTED),
    ("pct-utf8", "/v1/plans/ind%C3%A9pendance-2021", REJECTED),
    ("pct-invalid-utf8", "/v1/plans/%ff%fe", REJECTED),
    ("dot-dot", "/v1/plans/../plans", REJECTED),
    ("dot-dot-goals", PLAN + "/goals/../objectives", REJECTED),
    ("pct-dot-dot", "/v1/plans/%2e%2e/plans", REJECTED),
    ("dot", "/v1/plans/./" + seed.PLAN_ID, REJECTED),
    ("unicode-raw", "/v1/plans/indépendance-2021".encode("utf-8"), REJECTED),
    ("unicode-raw-goal", (PLAN + "/goals/qualité").encode("utf-8"), REJECTED),
    ("latin1-raw", b"/v1/plans/ind\xe9pendance", REJECTED),
    ("invalid-utf8-raw-goal", PLAN.encode("ascii") + b"/goals/\xff", REJECTED),
    ("invalid-utf8-raw-objective", PLAN.encode("ascii") + b"/objectives/\xc3", REJECTED),
    ("invalid-utf8-raw-survey", b"/v1/surveys/\xfe\xff", REJECTED),
    ("emoji-raw", "/v1/surveys/\U0001F5F3".encode("utf-8"), REJECTED),
    ("trailing-slash-plans", "/v1/plans/", NOT_FOUND),
    ("trailing-slash-plan", PLAN + "/", NOT_FOUND),
    ("trailing-slash-goals", PLAN + "/goals/", NOT_FOUND),
    ("trailing-slash-healthz", "/healthz/", NOT_FOUND),
    ("double-slash-leading", "//v1/plans", NOT_FOUND),
    ("double-slash-inside", "/v1//plans", NOT_FOUND),
    ("double-slash-before-sub", PLAN + "//goals", NOT_FOUND),
    ("too-deep", PLAN + "/goals/quality/objectives", NOT_FOUND),
    ("upper-case", "/V1/PLANS", NOT_FOUND),
    ("leading-hyphen", "/v1/plans/-independence-2021", NOT_FOUND),
    ("double-hyphen", "/v1/plans/independence--2021", NOT_FOUND),
    ("trailing-hyphen", PLAN + "/goals/quality-", NOT_FOUND),
    ("underscore", PLAN + "/goals/customer_focused", NOT_FOUND),
    ("backslash", "/v1/plans\\independence-2021", REJECTED),
    ("semicolon-params", PLAN + ";x=1", REJECTED),
    ("fragment", "/v1/plans#top", REJECTED),
    ("asterisk", "*", {400, 404}),
]

QUERY_CASES = [
    ("empty-query", "?", {200}),
    ("lone-percent", "?%", {400}),
    ("pct-junk-name", "?%zz", {400}),
    ("pct-junk-value", "?limit=%zz", {400}),
    ("pct-truncated-value", "?limit=5%", {400}),
    ("double-ampersand", "?&&", {200, 400}),
    ("single-ampersand", "?&", {200, 400}),
    ("trailing-ampersand", "?limit=5&", {200, 400}),
    ("empty-name", "?=5", {400}),
    ("name-without-value", "?limit", {400}),
    ("limit-exponent", "?limit=1e3", {400}),
    ("limit-negative", "?limit=-1", {400}),
    ("limit-plus", "?limit=+5", {400}),
    ("limit-leading-space", "?limit=%205", {400}),
    ("limit-nul", "?limit=5%00", {400}),
    ("limit-utf8", "?limit=%C3%A9", {400}),
    ("limit-huge", "?limit=" + "9" * 400, {400}),
    ("semicolon-separator", "?limit=5;cursor=x", {400}),
    ("bracket-name", "?limit[]=5", {400}),
    ("many-parameters", "?" + "&".join("p%d=1" % i for i in range(250)), {400}),
    ("goal-with-nul", "?goal=quality%00", {400}),
    ("goal-unicode-raw", "?goal=qualité".encode("utf-8"), {400}),
    ("goal-invalid-utf8", "?goal=%ff", {400}),
    ("goal-invalid-utf8-raw", b"?goal=\xff", {400}),
    ("name-unicode-raw", "?é=1".encode("utf-8"), {400}),
    ("name-invalid-utf8", "?%ff=1", {400}),
    ("name-invalid-utf8-raw", b"?\xff=1", {400}),
    ("name-control-char", "?%01=1", {400}),
    ("cursor-binary", "?cursor=" + "%ff" * 50, {400}),
    ("cursor-1500-chars", "?cursor=" + "A" * 1500, {400}),
]


def check(response, allowed, problem):
    assert response.status_code is not None, "connection closed without an answer"
    assert response.status_code < 500, response
    assert response.status_code in allowed, response
    if response.status_code != 200:
        body = problem(response, response.status_code,
                       {400: "invalid-parameter", 404: "not-found"}[response.status_code])
        return body
    return response.json()


@pytest.mark.parametrize("target,allowed", [(t, a) for _, t, a in PATH_CASES],
                         ids=[name for name, _, _ in PATH_CASES])
def test_odd_path_is_a_4xx_problem(api, problem, target, allowed):
    check(api.raw("GET", target), allowed, problem)


@pytest.mark.parametrize("query,allowed", [(q, a) for _, q, a in QUERY_CASES],
                         ids=[name for name, _, _ in QUERY_CASES])
def test_odd_query_string_is_a_4xx_problem(api, problem, query, allowed):
    if isinstance(query, str):
        query = query.encode("ascii")
    target = OBJECTIVES.encode("ascii") + query
    check(api.raw("GET", target), allowed, problem)


def test_empty_query_serves_the_same_bytes_as_no_query(api):
    assert api.raw("GET", OBJECTIVES + "?").content == api.raw("GET", OBJECTIVES).content


def test_request_line_over_kores_uri_limit_is_a_4xx(api):
    # 2500 bytes > HTTP_URI_LEN (2000): Kore itself answers 414 (no problem body).
    r = api.raw("GET", "/v1/plans/" + "a" * 2500)
    assert r.status_code is not None and 400 <= r.status_code < 500, r


@pytest.mark.parametrize("path", [PLAN, PLAN + "/goals/quality", "/v1/surveys/" + seed.SURVEY_ID])
def test_query_parameter_on_a_document_route_is_a_400(api, invalid_parameter, path):
    invalid_parameter(api.get(path + "?limit=5"), "limit", path)


def test_server_still_answers_after_every_odd_request(api):
    for _, target, _ in PATH_CASES:
        api.raw("GET", target)
    for _, query, _ in QUERY_CASES:
        api.raw("GET", OBJECTIVES.encode("ascii") + (
            query.encode("ascii") if isinstance(query, str) else query))
    assert api.get("/healthz", fresh=True).status_code == 200
    assert api.get(PLAN, fresh=True).status_code == 200

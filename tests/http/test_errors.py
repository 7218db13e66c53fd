"""Problem documents: 404 for unknown paths and ids, 405 for other methods,
406 for an Accept header that excludes JSON."""

import pytest

import seed_expected as seed

PLAN = "/v1/plans/" + seed.PLAN_ID
# Routes that only ever read: every other method is a 405 with exactly this Allow.
READ_ONLY_ROUTES = [
    "/healthz",
    "/readyz",
    PLAN + "/priorities",
    PLAN + "/history",
    "/v1/audit",
]
# The plan's routes take admin writes (issue 4); these methods stay not
# allowed on them.
PLAN_ROUTES_AND_OTHER_METHODS = [
    (path, method)
    for path, methods in [
        ("/v1/plans", ["PUT", "PATCH", "DELETE"]),
        (PLAN, ["POST", "PUT", "DELETE"]),
        (PLAN + "/goals", ["PUT", "PATCH", "DELETE"]),
        (PLAN + "/goals/quality", ["POST", "PUT"]),
        (PLAN + "/objectives", ["PUT", "PATCH", "DELETE"]),
        (PLAN + "/objectives/reduce-blight", ["POST", "PUT"]),
        (PLAN + "/priorities/2021", ["POST", "PATCH", "DELETE"]),
    ]
    for method in methods
]
# Survey routes gain admin writes in issue 3 (POST /v1/surveys, PATCH
# /v1/surveys/{survey}); the methods below stay not allowed.
SURVEY_ROUTES_AND_OTHER_METHODS = [
    ("/v1/surveys", "PUT"),
    ("/v1/surveys", "PATCH"),
    ("/v1/surveys", "DELETE"),
    ("/v1/surveys/" + seed.SURVEY_ID, "POST"),
    ("/v1/surveys/" + seed.SURVEY_ID, "PUT"),
    ("/v1/surveys/" + seed.SURVEY_ID, "DELETE"),
]


# --- 404 ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/nope", "/v1", "/v1/", "/v2/plans", "/v1/goals", "/v1/plans/" + seed.PLAN_ID + "/nope",
    "/v1/surveys/" + seed.SURVEY_ID + "/questions", "/favicon.ico", "/index.html",
])
def test_unknown_path_is_a_404_problem(api, problem, path):
    problem(api.get(path), 404, "not-found", path)


def test_404_problem_has_exactly_the_rfc_9457_fields_and_request_id(api, problem):
    body = problem(api.get("/nope"), 404, "not-found", "/nope")
    assert set(body) == {"type", "title", "status", "detail", "instance", "request_id"}


def test_unknown_plan_is_a_404_problem(api, problem):
    problem(api.get("/v1/plans/springfield-2030"), 404, "not-found", "/v1/plans/springfield-2030")


@pytest.mark.parametrize("sub", ["/goals", "/goals/quality", "/objectives",
                                 "/objectives/reduce-blight", "/priorities"])
def test_subresource_of_an_unknown_plan_is_a_404_problem(api, problem, sub):
    path = "/v1/plans/springfield-2030" + sub
    problem(api.get(path), 404, "not-found", path)


def test_unknown_goal_is_a_404_problem(api, problem):
    path = PLAN + "/goals/happiness"
    problem(api.get(path), 404, "not-found", path)


def test_objective_id_is_not_a_goal_id(api, problem):
    path = PLAN + "/goals/reduce-blight"
    problem(api.get(path), 404, "not-found", path)


def test_unknown_objective_is_a_404_problem(api, problem):
    path = PLAN + "/objectives/build-a-moon-base"
    problem(api.get(path), 404, "not-found", path)


def test_goal_id_is_not_an_objective_id(api, problem):
    path = PLAN + "/objectives/quality"
    problem(api.get(path), 404, "not-found", path)


def test_unknown_survey_is_a_404_problem(api, problem):
    path = "/v1/surveys/community-survey-1999"
    problem(api.get(path), 404, "not-found", path)


@pytest.mark.parametrize("path", [
    "/v1/plans/Independence-2021", PLAN + "/goals/Quality", PLAN + "/objectives/Reduce-Blight",
    "/v1/surveys/" + seed.SURVEY_ID.upper(),
])
def test_ids_are_case_sensitive_slugs(api, problem, path):
    problem(api.get(path), 404, "not-found", path)


def test_post_to_an_unknown_path_is_a_404_problem(api, problem):
    problem(api.request("POST", "/v1/nope"), 404, "not-found", "/v1/nope")


# --- 405 ----------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", READ_ONLY_ROUTES)
def test_other_methods_on_read_routes_are_a_405_problem_with_allow(api, problem, tokens,
                                                                   path, method):
    r = api.request(method, path)
    problem(r, 405, "method-not-allowed", path)
    assert sorted(t.upper() for t in tokens(r, "Allow")) == ["GET", "HEAD", "OPTIONS"]


@pytest.mark.parametrize("path,method", SURVEY_ROUTES_AND_OTHER_METHODS +
                         PLAN_ROUTES_AND_OTHER_METHODS)
def test_methods_a_route_lacks_are_a_405_problem_with_allow(api, problem, tokens,
                                                            path, method):
    r = api.request(method, path)
    problem(r, 405, "method-not-allowed", path)
    allow = {t.upper() for t in tokens(r, "Allow")}
    assert {"GET", "HEAD", "OPTIONS"} <= allow
    assert method not in allow


def test_put_with_a_json_body_is_still_a_405(api, problem):
    r = api.request("PUT", PLAN + "/objectives", json={"title": "Build a moon base"})
    problem(r, 405, "method-not-allowed", PLAN + "/objectives")


def test_405_does_not_change_what_get_serves(api):
    before = api.get(PLAN + "/objectives").content
    api.request("DELETE", PLAN + "/objectives/reduce-blight")
    api.request("PUT", PLAN + "/objectives/reduce-blight", json={"title": "x"})
    assert api.get(PLAN + "/objectives").content == before


# --- 406 / Accept ---------------------------------------------------------------------

@pytest.mark.parametrize("accept", ["text/html", "application/xml", "text/plain",
                                    "image/png", "application/json;q=0"])
def test_accept_excluding_json_is_a_406_problem(api, problem, accept):
    problem(api.get(PLAN, headers={"Accept": accept}), 406, "not-acceptable", PLAN)


@pytest.mark.parametrize("accept", [
    "application/json", "*/*", "application/*", None,
    "application/json; charset=utf-8", "text/html, application/json;q=0.5",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "APPLICATION/JSON",
])
def test_accept_admitting_json_is_a_200(api, json_body, accept):
    r = api.get(PLAN, headers={"Accept": accept})  # None: no Accept header at all
    assert r.status_code == 200, (accept, r.status_code, r.content[:300])
    assert json_body(r)["id"] == seed.PLAN_ID


def test_406_applies_to_collections_too(api, problem):
    path = PLAN + "/objectives"
    problem(api.get(path, headers={"Accept": "text/html"}), 406, "not-acceptable", path)

"""Plan, goal, objective and survey routes: what each one serves."""

import pytest

import seed_expected as seed

PLAN = "/v1/plans/" + seed.PLAN_ID
CURRENT = "/v1/plans/" + seed.CURRENT


def test_current_plan_serves_the_same_bytes_and_etag_as_the_plan_id(api):
    by_id = api.get(PLAN)
    current = api.get(CURRENT)
    assert (by_id.status_code, current.status_code) == (200, 200)
    assert current.content == by_id.content
    assert current.headers["ETag"] == by_id.headers["ETag"]


def test_current_plan_document_names_the_plan_id_not_current(api, json_body):
    assert json_body(api.get(CURRENT))["id"] == seed.PLAN_ID


@pytest.mark.parametrize("sub", ["/goals", "/goals/quality", "/objectives",
                                 "/objectives/reduce-blight", "/priorities"])
def test_current_alias_serves_the_same_subresources(api, sub):
    by_id = api.get(PLAN + sub)
    current = api.get(CURRENT + sub)
    assert (by_id.status_code, current.status_code) == (200, 200)
    assert current.content == by_id.content


def test_goals_collection_lists_the_four_goals_with_their_objectives(api, json_body):
    body = json_body(api.get(PLAN + "/goals"))
    assert body["items"] == seed.GOALS


@pytest.mark.parametrize("goal", seed.GOALS, ids=seed.GOAL_IDS)
def test_goal_route_serves_one_goal_with_its_objectives(api, json_body, goal):
    r = api.get(PLAN + "/goals/" + goal["id"])
    assert r.status_code == 200, r.content[:300]
    assert json_body(r) == goal


def test_objectives_collection_lists_all_fourteen_in_plan_order(api, json_body):
    body = json_body(api.get(PLAN + "/objectives"))
    assert body["items"] == seed.OBJECTIVES


def test_plan_document_goals_equal_the_goals_collection(api, json_body):
    doc = json_body(api.get(PLAN))
    goals = json_body(api.get(PLAN + "/goals"))
    assert doc["goals"] == goals["items"]


def test_survey_route_serves_the_survey_with_questions(api, json_body):
    r = api.get("/v1/surveys/" + seed.SURVEY_ID)
    assert r.status_code == 200
    body = json_body(r)
    assert body["id"] == seed.SURVEY_ID
    assert body["questions"] == seed.SURVEY_QUESTIONS


def test_top_priorities_question_allows_one_to_three_choices(api, json_body):
    body = json_body(api.get("/v1/surveys/" + seed.SURVEY_ID))
    q = {q["id"]: q for q in body["questions"]}["top-priorities"]
    assert (q["min"], q["max"], q["required"]) == (1, 3, True)

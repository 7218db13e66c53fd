"""The seed plan and survey, field by field, against the plan document
(seed_expected.py transcribes it)."""

import re

import pytest

import seed_expected as seed

PLAN = "/v1/plans/" + seed.PLAN_ID


@pytest.fixture(scope="module")
def plan_doc(api, json_body):
    r = api.get(PLAN)
    assert r.status_code == 200, r.content[:300]
    return json_body(r)


@pytest.fixture(scope="module")
def survey_doc(api, json_body):
    r = api.get("/v1/surveys/" + seed.SURVEY_ID)
    assert r.status_code == 200, r.content[:300]
    return json_body(r)


def test_plan_collection_lists_the_seed_plan_summary_exactly_once(api, json_body):
    # Other modules (test_audit.py, test_plan_writes.py) add plans of their
    # own, adopted before the seed plan; the seed's summary is unchanged.
    body = json_body(api.get("/v1/plans"))
    assert [p for p in body["items"] if p["id"] == seed.PLAN_ID] == [seed.PLAN_SUMMARY]


def test_plan_document_has_exactly_the_contract_fields(plan_doc):
    assert set(plan_doc) == seed.PLAN_DOCUMENT_KEYS


@pytest.mark.parametrize("field", sorted(seed.PLAN_SUMMARY))
def test_plan_document_field_matches_the_plan(plan_doc, field):
    assert plan_doc[field] == seed.PLAN_SUMMARY[field]


def test_plan_was_adopted_on_2017_02_06_for_2017_to_2021(plan_doc):
    assert (plan_doc["adopted_on"], plan_doc["period"], plan_doc["status"]) == (
        "2017-02-06", {"start": 2017, "end": 2021}, "adopted")


def test_plan_update_period_is_2021_to_2022(plan_doc):
    assert plan_doc["update_period"] == {"start": 2021, "end": 2022}


def test_plan_purpose_statement_is_the_exact_text(plan_doc):
    assert plan_doc["purpose_statement"] == seed.PURPOSE_STATEMENT


def test_plan_mission_is_the_exact_text(plan_doc):
    assert plan_doc["mission"] == seed.MISSION


def test_plan_has_the_four_goals_in_plan_order(plan_doc):
    assert [g["id"] for g in plan_doc["goals"]] == [
        "customer-focused", "financially-sustainable", "economy", "quality"]


def test_goal_titles_are_exactly_as_written_in_the_plan(plan_doc):
    assert [g["title"] for g in plan_doc["goals"]] == [
        "Customer-Focused", "Financially Sustainable", "Economy", "Quality"]


@pytest.mark.parametrize("goal", seed.GOALS, ids=seed.GOAL_IDS)
def test_goal_in_plan_document_matches_the_plan(plan_doc, goal):
    served = {g["id"]: g for g in plan_doc["goals"]}[goal["id"]]
    assert served == goal


@pytest.mark.parametrize("goal", seed.GOALS, ids=seed.GOAL_IDS)
def test_goal_statement_is_the_exact_text(plan_doc, goal):
    served = {g["id"]: g for g in plan_doc["goals"]}[goal["id"]]
    assert served["statement"] == goal["statement"]


def test_plan_has_fourteen_objectives_in_plan_order(plan_doc):
    served = [o["id"] for g in plan_doc["goals"] for o in g["objectives"]]
    assert served == seed.OBJECTIVE_IDS
    assert len(served) == 14


def test_objective_positions_run_from_1_to_14_in_plan_order(plan_doc):
    served = [o["position"] for g in plan_doc["goals"] for o in g["objectives"]]
    assert served == list(range(1, 15))


@pytest.mark.parametrize("objective", seed.OBJECTIVES, ids=seed.OBJECTIVE_IDS)
def test_objective_route_serves_the_objective_of_the_plan(api, json_body, objective):
    r = api.get(PLAN + "/objectives/" + objective["id"])
    assert r.status_code == 200, r.content[:300]
    assert json_body(r) == objective


def test_objective_titles_are_exactly_as_written_in_the_plan(plan_doc):
    served = [o["title"] for g in plan_doc["goals"] for o in g["objectives"]]
    assert served == [o["title"] for o in seed.OBJECTIVES]


def test_objective_ids_are_their_titles_lowercased_and_hyphenated(plan_doc):
    for g in plan_doc["goals"]:
        for o in g["objectives"]:
            assert o["id"] == re.sub(r"[^a-z0-9]+", "-", o["title"].lower()).strip("-"), o


def test_every_objective_names_its_goal(plan_doc):
    for g in plan_doc["goals"]:
        for o in g["objectives"]:
            assert (o["goal"], o["plan"]) == (g["id"], seed.PLAN_ID), o


def test_plan_document_holds_the_2021_priorities_decided_on_2021_01_21(plan_doc):
    assert plan_doc["priorities"] == seed.PRIORITY_SETS


def test_priorities_are_the_councils_five_in_its_order(api, json_body):
    body = json_body(api.get(PLAN + "/priorities"))
    assert [(p["rank"], p["objective"]["id"]) for p in body["items"]] == [
        (1, "reduce-crime-and-disorder"),
        (2, "enhance-public-health"),
        (3, "reduce-blight"),
        (4, "stabilize-and-revitalize-neighborhoods"),
        (5, "communicate-more-effectively-internally-and-externally"),
    ]


def test_priorities_collection_items_are_exactly_the_seed(api, json_body):
    body = json_body(api.get(PLAN + "/priorities"))
    assert body["items"] == seed.PRIORITIES_2021


def test_each_priority_names_its_objective_and_goal_as_the_plan_does(api, json_body):
    body = json_body(api.get(PLAN + "/priorities"))
    assert len(body["items"]) == 5
    for p in body["items"]:
        objective = seed.OBJECTIVE_BY_ID[p["objective"]["id"]]
        goal = seed.GOAL_BY_ID[objective["goal"]]
        assert p["objective"] == {"id": objective["id"], "title": objective["title"]}
        assert p["goal"] == {"id": goal["id"], "title": goal["title"]}
        assert (p["decided_on"], p["decided_by"]) == ("2021-01-21", "City Council")


def test_survey_collection_lists_the_survey_summary_without_questions(api, json_body):
    body = json_body(api.get("/v1/surveys"))
    # Other tests' surveys may be listed too: the seed's is there once, and
    # no item carries its questions.
    ours = [item for item in body["items"] if item["id"] == seed.SURVEY_ID]
    assert len(ours) == 1, [item["id"] for item in body["items"]]
    assert all(set(item) == seed.SURVEY_SUMMARY_KEYS for item in body["items"])
    summary = ours[0]
    assert {k: summary[k] for k in seed.SURVEY_FIXED_FIELDS} == seed.SURVEY_FIXED_FIELDS


def test_survey_document_has_the_summary_fields_and_questions(survey_doc):
    assert set(survey_doc) == seed.SURVEY_SUMMARY_KEYS | {"questions"}


@pytest.mark.parametrize("field", sorted(seed.SURVEY_FIXED_FIELDS))
def test_survey_field_matches_the_plan(survey_doc, field):
    assert survey_doc[field] == seed.SURVEY_FIXED_FIELDS[field]


def test_survey_window_is_2020_11_02_to_2021_01_15_central_time(survey_doc):
    assert (survey_doc["opens_at"], survey_doc["closes_at"], survey_doc["timezone"]) == (
        "2020-11-02T06:00:00Z", "2021-01-16T06:00:00Z", "America/Chicago")


def test_survey_is_closed(survey_doc):
    assert survey_doc["status"] == "closed"


def test_survey_description_is_non_empty_text(survey_doc):
    assert isinstance(survey_doc["description"], str)
    assert survey_doc["description"].strip()


def test_survey_has_the_two_questions_with_their_types(survey_doc):
    assert [(q["id"], q["type"]) for q in survey_doc["questions"]] == [
        ("right-plan", "agreement"), ("top-priorities", "objectives")]


def test_survey_questions_are_exactly_the_seed(survey_doc):
    assert survey_doc["questions"] == seed.SURVEY_QUESTIONS


def test_survey_summary_in_collection_equals_survey_document_without_questions(
        api, json_body, survey_doc):
    summary = json_body(api.get("/v1/surveys"))["items"][0]
    assert summary == {k: v for k, v in survey_doc.items() if k != "questions"}

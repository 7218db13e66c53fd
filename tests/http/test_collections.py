"""Collections: limit, cursor pagination, Link headers, filters and the 400
invalid-parameter problems for bad query strings.

Query strings with percent-encoding go through api.raw: requests would
re-quote them."""

import re
import urllib.parse

import pytest

import seed_expected as seed

PLAN = "/v1/plans/" + seed.PLAN_ID
OBJECTIVES = PLAN + "/objectives"
GOALS = PLAN + "/goals"
PRIORITIES = PLAN + "/priorities"
COLLECTIONS = ["/v1/plans", "/v1/surveys", GOALS, OBJECTIVES, PRIORITIES]
LINK_RE = re.compile(r'^<([^<>]+)>;\s*rel="next"$')
MAX_PAGES = 20


def fetch(api, path, query=""):
    r = api.get(path + ("?" + query if query else ""))
    assert r.status_code == 200, (path, query, r.status_code, r.content[:300])
    return r, r.json()


def walk(api, path, query):
    """Follow next_cursor from the first page; bounded in pages (and each
    request in time)."""
    pages = []
    r, body = fetch(api, path, query)
    pages.append((r, body))
    while body["next_cursor"] is not None:
        assert len(pages) < MAX_PAGES, "pagination does not end"
        q = query + "&cursor=" + urllib.parse.quote(body["next_cursor"], safe="")
        r, body = fetch(api, path, q.lstrip("&"))
        pages.append((r, body))
    return pages


def mutate(cursor, where):
    """A different cursor of the same alphabet, changed at one position."""
    i = {"first": 0, "middle": len(cursor) // 2}[where]
    other = next((c for c in cursor if c != cursor[i]), None)
    if other is None:
        other = "A" if cursor[i] != "A" else "B"
    return cursor[:i] + other + cursor[i + 1:]


@pytest.fixture(scope="module")
def second_page_cursor(api):
    _, body = fetch(api, OBJECTIVES, "limit=3")
    assert isinstance(body["next_cursor"], str) and body["next_cursor"], body
    return body["next_cursor"]


# --- shape and limit -------------------------------------------------------

@pytest.mark.parametrize("path", COLLECTIONS)
def test_collection_body_has_items_limit_next_cursor_and_next(api, json_body, path):
    body = json_body(api.get(path))
    assert set(body) == {"items", "limit", "next_cursor", "next"}
    assert isinstance(body["items"], list) and body["items"]


@pytest.mark.parametrize("path", COLLECTIONS)
def test_default_limit_is_50_and_one_page_holds_the_seed(api, path):
    r, body = fetch(api, path)
    assert body["limit"] == 50
    assert (body["next_cursor"], body["next"]) == (None, None)
    assert "Link" not in r.headers


def test_limit_200_is_the_largest_accepted(api):
    _, body = fetch(api, OBJECTIVES, "limit=200")
    assert body["limit"] == 200
    assert len(body["items"]) == 14


def test_limit_1_returns_one_item_and_a_next_cursor(api):
    _, body = fetch(api, OBJECTIVES, "limit=1")
    assert body["limit"] == 1
    assert [o["id"] for o in body["items"]] == [seed.OBJECTIVE_IDS[0]]
    assert isinstance(body["next_cursor"], str) and body["next_cursor"]


def test_limit_5_returns_the_first_five_objectives(api):
    _, body = fetch(api, OBJECTIVES, "limit=5")
    assert [o["id"] for o in body["items"]] == seed.OBJECTIVE_IDS[:5]


@pytest.mark.parametrize("value", [
    "0", "201", "abc", "", "-1", "1e3", "1.5", "3x", "0x10",
    "99999999999999999999", "%205", "5%20", "%2B5", "+5",
])
def test_invalid_limit_is_a_400_naming_limit(api, invalid_parameter, value):
    r = api.raw("GET", OBJECTIVES + "?limit=" + value)
    invalid_parameter(r, "limit", OBJECTIVES)


@pytest.mark.parametrize("path", COLLECTIONS)
def test_invalid_limit_is_rejected_on_every_collection(api, invalid_parameter, path):
    invalid_parameter(api.get(path + "?limit=0"), "limit", path)


@pytest.mark.parametrize("query,parameter", [
    ("limit=5&limit=5", "limit"),
    ("limit=5&limit=6", "limit"),
    ("goal=quality&goal=quality", "goal"),
    ("goal=quality&goal=economy", "goal"),
])
def test_repeated_parameter_is_a_400_naming_it(api, invalid_parameter, query, parameter):
    invalid_parameter(api.get(OBJECTIVES + "?" + query), parameter, OBJECTIVES)


def test_repeated_cursor_is_a_400_naming_cursor(api, invalid_parameter, second_page_cursor):
    c = urllib.parse.quote(second_page_cursor, safe="")
    r = api.get(OBJECTIVES + "?limit=3&cursor=%s&cursor=%s" % (c, c))
    invalid_parameter(r, "cursor", OBJECTIVES)


@pytest.mark.parametrize("path", COLLECTIONS)
def test_unknown_parameter_is_a_400_naming_it(api, invalid_parameter, path):
    invalid_parameter(api.get(path + "?foo=bar"), "foo", path)


def test_unknown_parameter_is_rejected_next_to_valid_ones(api, invalid_parameter):
    invalid_parameter(api.get(OBJECTIVES + "?limit=3&page=2"), "page", OBJECTIVES)


def test_parameter_names_are_case_sensitive(api, invalid_parameter):
    invalid_parameter(api.get(OBJECTIVES + "?Limit=5"), "Limit", OBJECTIVES)


@pytest.mark.parametrize("path,query,parameter", [
    (OBJECTIVES, "year=2021", "year"),
    (PRIORITIES, "goal=quality", "goal"),
    (GOALS, "goal=quality", "goal"),
    ("/v1/plans", "year=2021", "year"),
])
def test_filter_of_another_collection_is_an_unknown_parameter(
        api, invalid_parameter, path, query, parameter):
    invalid_parameter(api.get(path + "?" + query), parameter, path)


def test_invalid_parameter_problem_instance_is_the_path_without_query(api, invalid_parameter):
    body = invalid_parameter(api.get(OBJECTIVES + "?limit=abc"), "limit", OBJECTIVES)
    assert "?" not in body["instance"]


# --- cursors -----------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "garbage", "", "AAAA", "0", "3", "-1", "%21%21%21", "%00", "x" * 500,
])
def test_bad_cursor_is_a_400_naming_cursor(api, invalid_parameter, value):
    r = api.raw("GET", OBJECTIVES + "?limit=3&cursor=" + value)
    invalid_parameter(r, "cursor", OBJECTIVES)


@pytest.mark.parametrize("how", ["first", "middle"])
def test_cursor_with_one_character_changed_is_a_400_naming_cursor(
        api, invalid_parameter, second_page_cursor, how):
    tampered = mutate(second_page_cursor, how)
    assert tampered != second_page_cursor
    r = api.get(OBJECTIVES + "?limit=3&cursor=" + urllib.parse.quote(tampered, safe=""))
    invalid_parameter(r, "cursor", OBJECTIVES)


def test_truncated_cursor_is_a_400_naming_cursor(api, invalid_parameter, second_page_cursor):
    tampered = second_page_cursor[:-4]
    r = api.get(OBJECTIVES + "?limit=3&cursor=" + urllib.parse.quote(tampered, safe=""))
    invalid_parameter(r, "cursor", OBJECTIVES)


def test_extended_cursor_is_a_400_naming_cursor(api, invalid_parameter, second_page_cursor):
    tampered = second_page_cursor + second_page_cursor[:4]
    r = api.get(OBJECTIVES + "?limit=3&cursor=" + urllib.parse.quote(tampered, safe=""))
    invalid_parameter(r, "cursor", OBJECTIVES)


def test_cursor_is_accepted_again_with_the_same_result(api, second_page_cursor):
    q = "limit=3&cursor=" + urllib.parse.quote(second_page_cursor, safe="")
    first, _ = fetch(api, OBJECTIVES, q)
    again, _ = fetch(api, OBJECTIVES, q)
    assert again.content == first.content


# --- walking pages -------------------------------------------------------------

def test_walking_objectives_3_at_a_time_visits_all_14_in_order_once(api):
    pages = walk(api, OBJECTIVES, "limit=3")
    ids = [o["id"] for _, body in pages for o in body["items"]]
    assert ids == seed.OBJECTIVE_IDS
    assert len(set(ids)) == 14
    assert [len(body["items"]) for _, body in pages] == [3, 3, 3, 3, 2]


def test_every_page_reports_the_requested_limit(api):
    pages = walk(api, OBJECTIVES, "limit=3")
    assert [body["limit"] for _, body in pages] == [3] * len(pages)


def test_link_header_is_present_iff_next_cursor_and_equals_next(api):
    pages = walk(api, OBJECTIVES, "limit=3")
    for r, body in pages:
        links = r.headers.get("Link")
        if body["next_cursor"] is None:
            assert links is None, links
            assert body["next"] is None
        else:
            m = LINK_RE.match(links or "")
            assert m, links
            assert m.group(1) == body["next"]


def test_next_is_a_relative_path_and_query_carrying_the_cursor(api):
    _, body = fetch(api, OBJECTIVES, "limit=3")
    split = urllib.parse.urlsplit(body["next"])
    assert (split.scheme, split.netloc, split.path) == ("", "", OBJECTIVES)
    query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
    assert query["cursor"] == [body["next_cursor"]]
    assert query.get("limit") == ["3"]
    assert set(query) <= {"limit", "cursor"}


def test_following_next_returns_the_same_page_as_passing_the_cursor(api):
    _, body = fetch(api, OBJECTIVES, "limit=3")
    by_next = api.get(body["next"])
    q = "limit=3&cursor=" + urllib.parse.quote(body["next_cursor"], safe="")
    by_cursor, _ = fetch(api, OBJECTIVES, q)
    assert by_next.status_code == 200
    assert by_next.content == by_cursor.content


def test_last_page_has_null_next_and_no_link_header(api):
    r, body = walk(api, OBJECTIVES, "limit=3")[-1]
    assert (body["next_cursor"], body["next"]) == (None, None)
    assert "Link" not in r.headers


def test_a_limit_equal_to_the_size_has_no_next_page(api):
    r, body = fetch(api, OBJECTIVES, "limit=14")
    assert len(body["items"]) == 14
    assert (body["next_cursor"], body["next"]) == (None, None)
    assert "Link" not in r.headers


def test_walking_goals_one_at_a_time_visits_all_four_in_order(api):
    pages = walk(api, GOALS, "limit=1")
    assert [g["id"] for _, body in pages for g in body["items"]] == seed.GOAL_IDS


def test_walking_priorities_two_at_a_time_keeps_the_council_order(api):
    pages = walk(api, PRIORITIES, "limit=2")
    assert [p["rank"] for _, body in pages for p in body["items"]] == [1, 2, 3, 4, 5]


# --- filters ------------------------------------------------------------------

@pytest.mark.parametrize("goal", seed.GOALS, ids=seed.GOAL_IDS)
def test_goal_filter_lists_only_that_goals_objectives_in_order(api, goal):
    _, body = fetch(api, OBJECTIVES, "goal=" + goal["id"])
    assert body["items"] == goal["objectives"]


def test_goal_filter_is_kept_when_following_next(api):
    items = []
    r, body = fetch(api, OBJECTIVES, "goal=quality&limit=3")
    items += body["items"]
    for _ in range(MAX_PAGES):
        if body["next"] is None:
            break
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(body["next"]).query)
        assert query.get("goal") == ["quality"], body["next"]
        r = api.get(body["next"])
        assert r.status_code == 200, r.content[:300]
        body = r.json()
        items += body["items"]
    assert [o["id"] for o in items] == [o["id"] for o in seed.GOAL_BY_ID["quality"]["objectives"]]


def test_goal_filter_value_may_be_percent_encoded(api):
    r = api.raw("GET", OBJECTIVES + "?goal=%71uality")
    assert r.status_code == 200, r
    assert [o["goal"] for o in r.json()["items"]] == ["quality"] * 7


@pytest.mark.parametrize("value", ["nope", "Quality", "", "quality-", "reduce-blight"])
def test_unknown_goal_in_filter_is_a_400_naming_goal(api, invalid_parameter, value):
    r = api.get(OBJECTIVES + "?goal=" + value)
    invalid_parameter(r, "goal", OBJECTIVES)


def test_year_2021_lists_the_five_priorities_in_rank_order(api):
    _, body = fetch(api, PRIORITIES, "year=2021")
    assert body["items"] == seed.PRIORITIES_2021


def test_year_without_priorities_is_an_empty_page(api):
    r, body = fetch(api, PRIORITIES, "year=2020")
    assert body["items"] == []
    assert (body["next_cursor"], body["next"]) == (None, None)
    assert "Link" not in r.headers


@pytest.mark.parametrize("value", ["abc", "", "2021x", "20.21", "-2021"])
def test_non_numeric_year_is_a_400_naming_year(api, invalid_parameter, value):
    invalid_parameter(api.get(PRIORITIES + "?year=" + value), "year", PRIORITIES)

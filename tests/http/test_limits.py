"""Limits the OpenAPI document states (maxLength, maxItems) and the code keeps:
a client that sends more gets a 422 naming the member, and what the service
quotes back in a problem is cut to the documented length.

- a date-time takes at most 9 digits of fraction (TimestampInput, maxLength 35);
- a survey lists at most 100 partner keys, a key at most 100 surveys;
- a fault's or a problem's detail is at most 1000 characters, even when it
  quotes a member name the client sent.
"""

import pytest

import partners as p
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

pytestmark = p.needs_harness


def faults(response, instance):
    """The {pointer: detail} of a 422 invalid-body problem."""
    doc = p.problem(response, 422, "invalid-body", instance)
    return {e["pointer"]: e["detail"] for e in doc["errors"]}


def test_a_date_time_with_nine_digits_of_fraction_is_taken():
    body = p.survey_body(opens_at="2026-12-01T06:00:00.123456789Z")
    r = p.post_survey(body)
    assert r.status_code == 201, (r.status_code, r.text[:500])


def test_a_date_time_with_ten_digits_of_fraction_is_422_at_its_member():
    body = p.survey_body(opens_at="2026-12-01T06:00:00.1234567890Z")
    before = p.db_fingerprint()
    assert "/opens_at" in faults(p.post_survey(body), "/v1/surveys")
    assert p.db_fingerprint() == before


def test_a_survey_with_more_than_100_partners_is_422_at_partners():
    partner = p.create_key()
    before = p.db_fingerprint()
    body = p.survey_body(partners=[partner["id"]] * 101)
    assert faults(p.post_survey(body), "/v1/surveys").get("/partners") == \
        "At most 100 partner key ids."
    assert p.db_fingerprint() == before


def test_a_key_limited_to_more_than_100_surveys_is_422_at_surveys():
    before = p.db_fingerprint()
    r = p.post("/v1/keys", {"name": "many surveys", "role": "partner",
                            "surveys": [p.SEED_SURVEY] * 101}, p.ADMIN_KEY)
    assert faults(r, "/v1/keys").get("/surveys") == "At most 100 survey ids."
    assert p.db_fingerprint() == before


@pytest.mark.parametrize("length", [5000, 100000])
def test_a_detail_that_quotes_a_long_member_name_is_cut_to_1000_characters(length):
    name = "m" * length
    r = p.post("/v1/keys", {"name": "n", "role": "partner", name: 1}, p.ADMIN_KEY)
    found = faults(r, "/v1/keys")
    assert "/" + name in found, sorted(k[:40] for k in found)
    assert found["/" + name].startswith("Unknown member 'mmm"), found["/" + name][:80]
    assert len(found["/" + name]) == 1000, len(found["/" + name])
    assert len(r.json()["detail"]) <= 1000

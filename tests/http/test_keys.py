"""API keys (issue 3): admin and partner roles, Authorization: Bearer, shown
once, stored hashed, limited to named surveys, revoked at once; admins manage
them over POST/GET /v1/keys and DELETE /v1/keys/{key}. And the auth matrix:
every request without the right key gets the right status and writes nothing."""

import datetime
import re
import secrets
import uuid

import pytest

import partners as p
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

pytestmark = p.needs_harness

KEY_RE = re.compile(r"^cpk_[A-Za-z0-9_-]{43}$")
KEY_ID_RE = re.compile(r"^key_[0-9a-f]{16}$")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def unknown_key():
    """Shaped like a key (cpk_ + 43 base64url characters), never issued."""
    return "cpk_" + secrets.token_urlsafe(32)[:43]


# --- creating, listing, revoking ------------------------------------------------------

def test_creating_a_partner_key_answers_201_with_location_and_the_key():
    name = "partner " + uuid.uuid4().hex[:8]
    r = p.post("/v1/keys", {"name": name, "role": "partner"}, p.ADMIN_KEY)
    body = p.ok_json(r, 201)
    assert set(body) == p.KEY_FIELDS | {"key"}, body
    assert KEY_ID_RE.match(body["id"]), body
    assert r.headers.get("Location") == "/v1/keys/" + body["id"], r.headers
    assert KEY_RE.match(body["key"]), body
    assert body["prefix"] == body["key"][:12], body
    assert (body["name"], body["role"], body["surveys"]) == (name, "partner", [])
    assert (body["last_used_at"], body["revoked_at"]) == (None, None)
    assert TIME_RE.match(body["created_at"]), body


def test_creating_an_admin_key_answers_201_with_role_admin():
    body = p.create_key("admin")
    assert body["role"] == "admin"
    assert KEY_RE.match(body["key"]), body


def test_two_keys_are_different_secrets_with_different_ids():
    a, b = p.create_key(), p.create_key()
    assert a["key"] != b["key"] and a["id"] != b["id"]


def test_the_key_list_shows_every_key_without_its_secret():
    made = p.create_key()
    r = p.get("/v1/keys?limit=200", p.ADMIN_KEY)
    assert made["key"].encode() not in r.content
    items = p.all_keys()
    record = [k for k in items if k["id"] == made["id"]]
    assert len(record) == 1, made["id"]
    assert set(record[0]) == p.KEY_FIELDS, record[0]
    assert all("key" not in k for k in items)
    assert {k: v for k, v in made.items() if k != "key"} == record[0]


def test_the_key_list_is_a_paginated_collection():
    for _ in range(3):
        p.create_key()
    first = p.ok_json(p.get("/v1/keys?limit=2", p.ADMIN_KEY))
    assert set(first) == {"items", "limit", "next_cursor", "next"}
    assert first["limit"] == 2 and len(first["items"]) == 2
    assert first["next"] is not None
    second = p.ok_json(p.get(first["next"], p.ADMIN_KEY))
    assert not {k["id"] for k in first["items"]} & {k["id"] for k in second["items"]}


def test_the_key_records_name_role_and_creation_time():
    before = p.now_utc().replace(microsecond=0) - datetime.timedelta(seconds=1)
    made = p.create_key("partner", name="records " + uuid.uuid4().hex[:6])
    record = p.key_record(made["id"])
    assert (record["name"], record["role"]) == (made["name"], "partner")
    created = parse_time(record["created_at"])
    assert before <= created <= p.now_utc() + datetime.timedelta(seconds=1), record


def test_a_key_records_its_last_use():
    survey = p.make_survey()
    made = p.create_key()
    assert p.key_record(made["id"])["last_used_at"] is None
    p.submit_ok(survey["id"], p.response_body(), made["key"])
    record = p.key_record(made["id"])
    assert record["last_used_at"] is not None, record
    assert parse_time(record["last_used_at"]) >= parse_time(record["created_at"]), record
    assert parse_time(record["last_used_at"]) <= p.now_utc() + datetime.timedelta(seconds=1)


def test_the_database_keeps_no_plaintext_key_only_a_32_byte_hash():
    made = p.create_key()
    rows = p.psql("SELECT string_agg(k::text, E'\\n') FROM api_keys k")
    secret = made["key"][len(made["prefix"]):]
    assert made["key"] not in rows
    assert secret not in rows
    assert p.psql("SELECT octet_length(secret_hash) FROM api_keys WHERE public_id = %s"
                  % p.sql_text(made["id"])) == "32"
    stored = p.psql("SELECT encode(secret_hash, 'escape') FROM api_keys WHERE public_id = %s"
                    % p.sql_text(made["id"]))
    assert made["key"] not in stored and secret not in stored


def test_the_key_never_appears_in_the_server_log():
    if not p.SERVER_LOG:
        pytest.skip("CIVIC_SERVER_LOG not set")
    made = p.create_key()
    p.get("/v1/keys", made["key"])              # a 403
    p.post("/v1/keys", {"name": "x"}, made["key"])
    # Kore's output is line-buffered (tools/serve.sh): whatever a request
    # logs is in the file before its answer is sent.
    with open(p.SERVER_LOG, "rb") as f:
        log = f.read().decode("utf-8", "replace")
    assert made["key"] not in log
    assert made["key"][len(made["prefix"]):] not in log


@pytest.mark.parametrize("body, pointer", [
    ({"role": "partner"}, "/name"),
    ({"name": "", "role": "partner"}, "/name"),
    ({"name": "x" * 101, "role": "partner"}, "/name"),
    ({"name": "n"}, "/role"),
    ({"name": "n", "role": "superuser"}, "/role"),
    ({"name": "n", "role": "partner", "colour": "red"}, "/colour"),
    ({"name": "n", "role": "partner", "key": "cpk_" + "a" * 43}, "/key"),
    ({"name": "n", "role": "partner", "surveys": ["no-such-survey"]}, "/surveys"),
    ({"name": "n", "role": "admin", "surveys": [p.SEED_SURVEY]}, "/surveys"),
], ids=["no-name", "empty-name", "long-name", "no-role", "bad-role", "unknown-member",
        "server-owned-key", "unknown-survey", "admin-limited-to-surveys"])
def test_a_bad_key_body_is_422_naming_the_member_and_makes_no_key(body, pointer):
    before = p.db_fingerprint()
    r = p.post("/v1/keys", body, p.ADMIN_KEY)
    assert pointer in p.invalid_body(r, "/v1/keys")
    assert p.db_fingerprint() == before


def test_an_admin_key_made_over_the_api_can_make_keys():
    admin = p.create_key("admin")
    r = p.post("/v1/keys", {"name": "made by a new admin", "role": "partner"}, admin["key"])
    assert p.ok_json(r, 201)["role"] == "partner"


def test_revoking_a_key_is_204_and_shows_revoked_at():
    made = p.create_key()
    r = p.delete("/v1/keys/" + made["id"], p.ADMIN_KEY)
    assert r.status_code == 204 and r.content == b"", (r.status_code, r.content[:200])
    record = p.key_record(made["id"])
    assert record["revoked_at"] is not None and TIME_RE.match(record["revoked_at"]), record


def test_revoking_a_key_again_is_204_and_keeps_the_first_revocation_time():
    made = p.create_key()
    p.revoke_key(made["id"])
    first = p.key_record(made["id"])["revoked_at"]
    r = p.delete("/v1/keys/" + made["id"], p.ADMIN_KEY)
    assert r.status_code == 204, (r.status_code, r.content[:200])
    assert p.key_record(made["id"])["revoked_at"] == first


def test_revoking_an_unknown_key_is_404():
    p.problem(p.delete("/v1/keys/key_0000000000000000", p.ADMIN_KEY), 404, "not-found",
              "/v1/keys/key_0000000000000000")


def test_a_revoked_key_is_refused_at_once_on_every_worker():
    survey = p.make_survey()
    made = p.create_key()
    p.submit_ok(survey["id"], p.response_body(), made["key"])
    path = p.responses_path(survey["id"])
    workers = p.each_worker()
    # Used first on every worker (should any of them remember keys).
    for w in workers:
        p.ok_json(w.request("GET", path, key=made["key"]))
    p.revoke_key(made["id"])
    before = p.db_fingerprint()

    def attempt(i, w=None):
        if w is not None:
            if i % 2:
                return w.request("GET", path, key=made["key"])
            return w.request("POST", path, body=p.response_body(), key=made["key"])
        if i % 2:
            return p.get(path, made["key"], fresh=True)
        return p.submit(survey["id"], p.response_body(), made["key"], fresh=True)

    # Right away on every worker, and on new connections at once.
    results = [attempt(i, w) for w in workers for i in range(6)]
    results += p.concurrently(attempt, range(6), threads=6)
    assert len(results) == 6 * len(workers) + 6
    for r in results:
        p.assert_unauthorized(r, token_sent=True)
    assert p.db_fingerprint() == before
    assert p.survey_response_count(survey["id"]) == 1


def test_a_partner_key_limited_to_a_survey_may_submit_to_it():
    survey = p.make_survey()
    made = p.create_key(surveys=[survey["id"]])
    assert made["surveys"] == [survey["id"]]
    p.submit_ok(survey["id"], p.response_body(), made["key"])
    assert p.survey_response_count(survey["id"]) == 1


def test_a_partner_key_limited_to_another_survey_is_403_and_writes_nothing():
    mine, other = p.make_survey(), p.make_survey()
    made = p.create_key(surveys=[mine["id"]])
    before = p.db_fingerprint()
    r = p.submit(other["id"], p.response_body(), made["key"],
                 headers={"Idempotency-Key": uuid.uuid4().hex})
    p.problem(r, 403, "forbidden", p.responses_path(other["id"]))
    assert p.db_fingerprint() == before


# --- the auth matrix ------------------------------------------------------------------

@pytest.fixture(scope="module")
def world():
    """A survey, two partners, a response of partner one, a revoked key (that
    worked before it was revoked) and an unused admin-made partner key."""
    survey = p.make_survey()
    one, two, victim = p.create_key(), p.create_key(), p.create_key()
    revoked = p.create_key()
    response = p.submit_ok(survey["id"], p.response_body(), one["key"])
    p.submit_ok(survey["id"], p.response_body(), revoked["key"])
    p.revoke_key(revoked["id"])
    return {"survey": survey["id"], "one": one, "two": two, "victim": victim,
            "revoked": revoked, "response": response["id"]}


def route(world, name):
    """(method, path, body, headers) of a route, with a valid body."""
    s, rid = world["survey"], world["response"]
    resp = p.responses_path(s)
    return {
        "create-key": ("POST", "/v1/keys", {"name": "intruder", "role": "admin"}, {}),
        "list-keys": ("GET", "/v1/keys", None, {}),
        "revoke-key": ("DELETE", "/v1/keys/" + world["victim"]["id"], None, {}),
        "create-survey": ("POST", "/v1/surveys", p.survey_body(), {}),
        "patch-survey": ("PATCH", "/v1/surveys/" + s, {"title": "Taken over"}, {}),
        "submit": ("POST", resp, p.response_body(),
                   {"Idempotency-Key": uuid.uuid4().hex}),
        "batch": ("POST", resp + "/batch", {"responses": [p.response_body()]}, {}),
        "list-responses": ("GET", resp, None, {}),
        "list-responses-csv": ("GET", resp, None, {"Accept": "text/csv"}),
        "get-response": ("GET", resp + "/" + rid, None, {}),
        "void": ("POST", resp + "/" + rid + "/void", {"reason": "spam"}, {}),
    }[name]


ALL_ROUTES = ["create-key", "list-keys", "revoke-key", "create-survey", "patch-survey",
              "submit", "batch", "list-responses", "list-responses-csv", "get-response",
              "void"]
ADMIN_ROUTES = ["create-key", "list-keys", "revoke-key", "create-survey", "patch-survey",
                "void"]


def credential(world, kind):
    return {
        "no-key": None,
        "malformed-key": "Bearer not-a-key",
        "unknown-key": "Bearer " + unknown_key(),
        "revoked-key": "Bearer " + world["revoked"]["key"],
    }[kind]


@pytest.mark.parametrize("kind", ["no-key", "malformed-key", "unknown-key", "revoked-key"])
@pytest.mark.parametrize("name", ALL_ROUTES)
def test_a_request_without_a_valid_key_is_401_and_writes_nothing(world, name, kind):
    method, path, body, headers = route(world, name)
    headers = dict(headers)
    value = credential(world, kind)
    if value is not None:
        headers["Authorization"] = value
    before = p.db_fingerprint()
    r = p.call(method, path, body=body, headers=headers)
    p.assert_unauthorized(r, token_sent=value is not None)
    assert p.db_fingerprint() == before


@pytest.mark.parametrize("name", ALL_ROUTES)
def test_a_request_without_a_key_gets_a_bearer_challenge_without_an_error_code(world, name):
    method, path, body, headers = route(world, name)
    p.assert_bare_challenge(p.call(method, path, body=body, headers=headers))


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_bearer_scheme_name_is_case_insensitive(world, scheme):
    r = p.get(p.responses_path(world["survey"]),
              headers={"Authorization": scheme + " " + world["one"]["key"]})
    assert p.ok_json(r)["items"][0]["id"] == world["response"]


@pytest.mark.parametrize("value", [
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Token {key}",
    "{key}",
    "Bearer {key}x",
    "Bearer {short}",
    "Bearer cpk_" + "!" * 43,
], ids=["scheme-only", "empty-token", "basic", "other-scheme", "no-scheme", "too-long",
        "too-short", "bad-alphabet"])
def test_a_malformed_authorization_header_is_401_invalid_token(world, value):
    key = world["one"]["key"]
    value = value.format(key=key, short=key[:-1])
    before = p.db_fingerprint()
    r = p.call("POST", p.responses_path(world["survey"]), body=p.response_body(),
               headers={"Authorization": value})
    p.assert_unauthorized(r, token_sent=True)
    assert p.db_fingerprint() == before


@pytest.mark.parametrize("name", ADMIN_ROUTES)
def test_a_partner_on_an_admin_route_is_403_and_writes_nothing(world, name):
    method, path, body, headers = route(world, name)
    before = p.db_fingerprint()
    r = p.call(method, path, world["one"]["key"], body=body, headers=headers)
    p.problem(r, 403, "forbidden", path)
    assert p.db_fingerprint() == before


def test_a_partner_revoking_a_key_leaves_it_working(world):
    r = p.delete("/v1/keys/" + world["victim"]["id"], world["one"]["key"])
    p.problem(r, 403, "forbidden")
    r = p.get(p.responses_path(world["survey"]), world["victim"]["key"])
    assert r.status_code == 200, (r.status_code, r.content[:300])


def test_a_partner_reading_another_partners_response_is_404_and_writes_nothing(world):
    path = p.responses_path(world["survey"]) + "/" + world["response"]
    before = p.db_fingerprint()
    r = p.get(path, world["two"]["key"])
    p.problem(r, 404, "not-found", path)
    assert p.db_fingerprint() == before


def test_the_owner_and_an_admin_read_the_response(world):
    path = p.responses_path(world["survey"]) + "/" + world["response"]
    mine = p.ok_json(p.get(path, world["one"]["key"]))
    theirs = p.ok_json(p.get(path, p.ADMIN_KEY))
    assert mine == theirs and mine["id"] == world["response"]

"""The request log: one JSON object per line, per answered request, in the
file CIVIC_LOG names (tools/test.sh sets it; CIVIC_REQUEST_LOG tells the
tests where).

Each worker buffers its lines and writes them at least every 250 ms, so a
test finds its lines by polling (up to the suite's limit) for the request
ids it sent.
"""

import json
import os
import re
import uuid

import pytest

import partners as p
import server
import waiting

LOG = os.environ.get("CIVIC_REQUEST_LOG", "")
TOKEN = os.environ.get("CIVIC_METRICS_TOKEN", "")
FIELDS = {"time", "request_id", "method", "route", "status", "bytes", "duration_ms",
          "key_id", "remote_addr", "user_agent"}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

pytestmark = [pytest.mark.skipif(not LOG, reason="CIVIC_REQUEST_LOG not set "
                                 "(run through tools/test.sh)"), p.needs_harness]


def log_lines():
    """Every line of the log, parsed; fails on a line that is not a whole
    JSON object (a torn or mixed line, a hostile agent that broke out)."""
    with open(LOG, "rb") as f:
        data = f.read()
    assert data == b"" or data.endswith(b"\n"), data[-300:]
    out = []
    for raw in data.splitlines():
        line = json.loads(raw.decode("utf-8"))
        assert isinstance(line, dict) and set(line) == FIELDS, raw[:500]
        out.append(line)
    return out


def lines_for(ids):
    """The log lines of these request ids, once every one is there."""
    ids = set(ids)

    def fetch():
        return {l["request_id"]: l for l in log_lines() if l["request_id"] in ids}
    return waiting.wait_until(fetch, lambda got: set(got) == ids,
                              "log lines for %d request ids" % len(ids))


def rid():
    return "t-" + uuid.uuid4().hex


def test_a_request_is_logged_with_every_field():
    r_id = rid()
    r = p.get("/v1/plans/%s/goals" % p.PLAN,
              headers={"X-Request-Id": r_id, "User-Agent": "civic-test/1.0"})
    assert r.status_code == 200
    line = lines_for([r_id])[r_id]
    assert TIME.match(line["time"]), line
    assert line["method"] == "GET"
    assert line["route"] == "/v1/plans/{plan}/goals"
    assert line["status"] == 200
    assert line["bytes"] == len(r.content)
    assert isinstance(line["duration_ms"], float) and 0 <= line["duration_ms"] < 30000
    assert line["key_id"] is None
    assert line["remote_addr"] == "127.0.0.1"
    assert line["user_agent"] == "civic-test/1.0"


def test_errors_and_unknown_paths_are_logged_by_template_not_path():
    ids = [rid(), rid(), rid()]
    assert p.get("/secret/path/of/someone", headers={"X-Request-Id": ids[0]}).status_code == 404
    assert p.get("/v1/plans/no-such-plan", headers={"X-Request-Id": ids[1]}).status_code == 404
    assert p.call("PUT", "/v1/plans", headers={"X-Request-Id": ids[2]}).status_code == 405
    got = lines_for(ids)
    assert (got[ids[0]]["route"], got[ids[0]]["status"]) == ("unmatched", 404)
    assert (got[ids[1]]["route"], got[ids[1]]["status"]) == ("/v1/plans/{plan}", 404)
    assert (got[ids[2]]["route"], got[ids[2]]["method"], got[ids[2]]["status"]) == \
        ("/v1/plans", "PUT", 405)
    text = open(LOG, encoding="utf-8").read()
    assert "/secret/path" not in text and "no-such-plan" not in text


def test_a_key_is_logged_by_its_public_id_and_never_itself():
    """A partner's requests name its key's public id (on every worker: each
    finds it once), and neither the key, its hash nor the scrape token is
    anywhere in the log."""
    made = p.create_key()
    key, key_id = made["key"], made["id"]
    ids = {}
    for w in server.workers():
        for path in ("/v1/keys", "/v1/surveys/%s/responses" % p.SEED_SURVEY):
            r_id = rid()
            ids[r_id] = w.request("GET", path, key=key, headers={"X-Request-Id": r_id}).status_code
    r_id = rid()
    assert p.get("/metrics", headers={"Authorization": "Bearer " + TOKEN,
                                      "X-Request-Id": r_id}).status_code == 200
    got = lines_for(list(ids) + [r_id])
    for i, status in ids.items():
        assert got[i]["status"] == status and status in (200, 403), got[i]
        assert got[i]["key_id"] == key_id, got[i]
    assert got[r_id]["key_id"] is None
    text = open(LOG, encoding="utf-8").read()
    import hashlib
    for secret in (key, key[4:], p.ADMIN_KEY, p.ADMIN_KEY[4:], TOKEN,
                   hashlib.sha256(key.encode()).hexdigest()):
        assert secret not in text


def test_an_unknown_key_is_logged_without_an_id():
    r_id = rid()
    r = p.get("/v1/keys", key="cpk_" + "B" * 43, headers={"X-Request-Id": r_id})
    assert r.status_code == 401
    line = lines_for([r_id])[r_id]
    assert line["key_id"] is None and line["status"] == 401
    assert "B" * 43 not in open(LOG, encoding="utf-8").read()


HOSTILE_AGENTS = [
    'x", "status": 200, "injected": "1',
    'back\\slash \\" \\u0000 \\n',
    '}{"time":"0"}',
    "</script><script>alert(1)</script>",
    "'; DROP TABLE api_keys; --",
    "a" * 3000,
]


@pytest.mark.parametrize("agent", HOSTILE_AGENTS, ids=range(len(HOSTILE_AGENTS)))
def test_a_hostile_user_agent_stays_inside_its_string(agent):
    """Every line of the log stays one JSON object with exactly the fields,
    and the agent reads back as sent (its first 512 bytes)."""
    r_id = rid()
    assert p.get("/healthz", headers={"X-Request-Id": r_id, "User-Agent": agent}).status_code == 200
    line = lines_for([r_id])[r_id]
    assert line["user_agent"] == agent[:512]
    assert line["status"] == 200 and line["route"] == "/healthz"


def test_every_worker_logs_whole_lines():
    """Many requests on both workers at once: every one is logged once, and
    every line of the file is a whole JSON object (log_lines)."""
    conns = server.workers()
    ids = []
    for _ in range(50):
        for w in conns:
            r_id = rid()
            ids.append(r_id)
            w.send("GET", "/v1/plans/%s" % p.PLAN, headers={"X-Request-Id": r_id})
        for w in conns:
            assert w.receive().status_code == 200
    got = lines_for(ids)
    assert len(got) == 100
    counts = {}
    for l in log_lines():
        if l["request_id"] in got:
            counts[l["request_id"]] = counts.get(l["request_id"], 0) + 1
    assert set(counts.values()) == {1}

"""Progress on the plan over HTTP: indicators with dated targets, append-only
observations and corrections, the status rule's answers (direction, ranges,
several targets, no_data, not_due), overrides, as_of, initiatives and their
progress, the roll-up, the CSV import (dry run, all or nothing, 10,000 rows)
and the exports (StratML Part 2 validated against PerformancePlanOrReport.xsd,
JSON against its schema).

Every measure here is made up for the test, on a plan of its own (the seed
plan has no measures and gets none).
"""

import datetime
import hashlib
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

import waiting
from test_contract import Contract, OPENAPI

import json

ADMIN_KEY = os.environ.get("CIVIC_ADMIN_KEY", "")
XSD = Path(__file__).resolve().parent / "stratml" / "PerformancePlanOrReport.xsd"
CSV_HEADER = "indicator,period_start,period_end,value,quality,source_uri,note,supersedes"

pytestmark = pytest.mark.skipif(not ADMIN_KEY, reason="needs CIVIC_ADMIN_KEY (tools/test.sh sets it)")


def admin(headers=None):
    return dict(headers or {}, Authorization="Bearer " + ADMIN_KEY)


@pytest.fixture(scope="module")
def contract():
    with OPENAPI.open(encoding="utf-8") as f:
        return Contract(json.load(f))


def make_plan(api):
    """An adopted plan of the test's own: one goal, two objectives."""
    slug = "progress-test-" + uuid.uuid4().hex[:8]
    r = api.request("POST", "/v1/plans", headers=admin(), json={
        "id": slug, "title": "Progress test plan (made up)", "city": "Test City", "name": "Test"})
    assert r.status_code == 201, r.content[:300]
    r = api.request("POST", f"/v1/plans/{slug}/goals", headers=admin(),
                    json={"id": "safety", "title": "Safety (test)", "statement": "A made-up goal."})
    assert r.status_code == 201, r.content[:300]
    for obj in ("faster-response", "cleaner-streets"):
        r = api.request("POST", f"/v1/plans/{slug}/objectives", headers=admin(),
                        json={"id": obj, "goal": "safety", "title": obj.replace("-", " ").title() + " (test)"})
        assert r.status_code == 201, r.content[:300]
    # Adopted before the seed plan, so that `current` stays the seed plan.
    r = api.request("PATCH", f"/v1/plans/{slug}", headers=admin(),
                    json={"status": "adopted", "adopted_on": "2001-01-01"})
    assert r.status_code == 200, r.content[:300]
    return slug


@pytest.fixture(scope="module")
def plan(api):
    return make_plan(api)


@pytest.fixture(scope="module")
def bulk_plan(api):
    """A plan for the 10,000 observations alone: the others' documents stay small."""
    return make_plan(api)


def indicator(api, plan, slug, direction, objective="faster-response", **extra):
    body = {"id": slug, "code": "T-" + slug, "title": "Test measure " + slug + " (made up)",
            "objective": objective, "unit": {"code": "{incidents}", "label": "incidents"},
            "direction": direction}
    body.update(extra)
    r = api.request("POST", f"/v1/plans/{plan}/indicators", headers=admin(), json=body)
    assert r.status_code == 201, r.content[:500]
    return r


def target(api, plan, ind, start, end, **values):
    r = api.request("POST", f"/v1/plans/{plan}/indicators/{ind}/targets", headers=admin(),
                    json=dict({"period": {"start": start, "end": end}}, **values))
    assert r.status_code == 201, r.content[:500]
    return r.json()


def observe(api, plan, ind, start, end, value, quality="final", **extra):
    r = api.request("POST", f"/v1/plans/{plan}/indicators/{ind}/observations", headers=admin(),
                    json=dict({"period": {"start": start, "end": end}, "value": value, "quality": quality},
                              **extra))
    assert r.status_code == 201, r.content[:500]
    return r.json()


def read(api, path, check=None, what="the written state"):
    """GET path from memory until check(json) holds (another worker may
    serve it up to a second late)."""
    return waiting.wait_until(lambda: api.get(path), lambda r: r.status_code == 200 and
                              (check is None or check(r.json())), what=what)


# --------------------------------------------------------------- the status rule over HTTP

def test_an_indicator_s_story_targets_observations_a_correction_and_its_status(api, plan, contract):
    path = f"/v1/plans/{plan}/indicators/story"
    r = indicator(api, plan, "story", "decrease", baseline={"value": 9.5, "period": {
        "start": "2024-01-01", "end": "2024-12-31"}})
    assert r.headers["Location"] == path and r.headers.get("ETag"), r.headers
    contract.check("/v1/plans/{plan}/indicators", "post", r)
    assert r.json()["status"] == "not_due" and r.json()["computed"]["target"] is None

    t25 = target(api, plan, "story", "2025-01-01", "2025-12-31", value=150, rationale="at most 150")
    doc = read(api, path, lambda d: len(d["targets"]) == 1).json()
    assert doc["status"] == "no_data", doc["computed"]

    o1 = observe(api, plan, "story", "2025-01-01", "2025-12-31", 119, "provisional",
                 source_uri="https://data.example.org/story.csv")
    r = read(api, path, lambda d: len(d["observations"]) == 1)
    contract.check("/v1/plans/{plan}/indicators/{indicator}", "get", r)
    c = r.json()["computed"]
    # "At most 150" showing 119 is on track, not red.
    assert (c["status"], c["target"]["id"], [o["id"] for o in c["observations"]]) == \
        ("on_track", t25["id"], [o1["id"]]), c
    assert c["rule"] == {"id": "ratio", "version": 1, "href": "/v1/status-rules/ratio"}, c

    # The correction in a later second than the first figure (as_of below).
    t0 = o1["recorded_at"]
    waiting.wait_until(lambda: datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                       lambda now: now > t0, what="the next second")
    fix = observe(api, plan, "story", "2025-01-01", "2025-12-31", 160, "revised", supersedes=o1["id"],
                  note="the first figure missed a district")
    r = read(api, path, lambda d: len(d["observations"]) == 2)
    d = r.json()
    assert d["status"] == "at_risk" and d["computed"]["observations"][0]["id"] == fix["id"], d["computed"]
    old = next(o for o in d["observations"] if o["id"] == o1["id"])
    assert (old["in_force"], old["superseded_by"], old["value"]) == (False, fix["id"], 119), old

    # as_of the moment before the correction: what was public then.
    r = api.get(path, params={"as_of": o1["recorded_at"]})
    assert r.status_code == 200, r.content[:300]
    contract.check("/v1/plans/{plan}/indicators/{indicator}", "get", r)
    then = r.json()
    assert then["status"] == "on_track" and [o["id"] for o in then["observations"]] == [o1["id"]], then
    assert then["observations"][0]["in_force"] is True and then["computed"]["observations"][0]["id"] == o1["id"]


def test_several_dated_targets_each_observation_against_its_period_s(api, plan):
    indicator(api, plan, "dated", "increase")
    t25 = target(api, plan, "dated", "2025-01-01", "2025-12-31", value=100)
    t26 = target(api, plan, "dated", "2026-01-01", "2026-12-31", value=120)
    observe(api, plan, "dated", "2025-01-01", "2025-12-31", 110)
    d = read(api, f"/v1/plans/{plan}/indicators/dated", lambda d: len(d["observations"]) == 1).json()
    assert (d["status"], d["computed"]["target"]["id"]) == ("on_track", t25["id"]), d["computed"]
    observe(api, plan, "dated", "2026-01-01", "2026-06-30", 110)
    d = read(api, f"/v1/plans/{plan}/indicators/dated", lambda d: len(d["observations"]) == 2).json()
    assert (d["status"], d["computed"]["target"]["id"]) == ("at_risk", t26["id"]), d["computed"]
    # A later target supersedes 2026's: both stay visible, the new one is used.
    t26b = target(api, plan, "dated", "2026-01-01", "2026-12-31", value=105, supersedes=t26["id"])
    d = read(api, f"/v1/plans/{plan}/indicators/dated", lambda d: len(d["targets"]) == 3).json()
    assert (d["status"], d["computed"]["target"]["id"]) == ("on_track", t26b["id"]), d["computed"]
    assert [t["superseded_by"] for t in d["targets"] if t["id"] == t26["id"]] == [t26b["id"]], d["targets"]


def test_a_range_target_and_not_due(api, plan, contract):
    indicator(api, plan, "band", "range")
    r = api.request("POST", f"/v1/plans/{plan}/indicators/band/targets", headers=admin(),
                    json={"period": {"start": "2025-01-01", "end": "2025-12-31"}, "value": 3})
    assert r.status_code == 422 and [e["pointer"] for e in r.json()["errors"]] == ["/min"], r.json()
    contract.check("/v1/plans/{plan}/indicators/{indicator}/targets", "post", r)
    target(api, plan, "band", "2025-01-01", "2025-12-31", min=10, max=20)
    observe(api, plan, "band", "2025-01-01", "2025-12-31", 25)
    d = read(api, f"/v1/plans/{plan}/indicators/band", lambda d: len(d["observations"]) == 1).json()
    assert (d["status"], d["computed"]["ratio"]) == ("off_track", 0.8), d["computed"]

    indicator(api, plan, "future", "increase")
    target(api, plan, "future", "2099-01-01", "2099-12-31", value=1)
    d = read(api, f"/v1/plans/{plan}/indicators/future", lambda d: len(d["targets"]) == 1).json()
    assert d["status"] == "not_due", d["computed"]


def test_observations_are_append_only(api, plan, contract):
    indicator(api, plan, "append", "increase")
    o = observe(api, plan, "append", "2025-01-01", "2025-12-31", 1)
    for method in ("PUT", "DELETE", "PATCH"):
        r = api.request(method, f"/v1/plans/{plan}/indicators/append/observations", data=b"",
                        headers=admin({"Content-Length": "0"}))
        assert r.status_code == 405 and r.headers["Allow"] == "POST, OPTIONS", (method, r.status_code)
    observe(api, plan, "append", "2025-01-01", "2025-12-31", 2, supersedes=o["id"])
    r = api.request("POST", f"/v1/plans/{plan}/indicators/append/observations", headers=admin(),
                    json={"period": {"start": "2025-01-01", "end": "2025-12-31"}, "value": 3,
                          "quality": "revised", "supersedes": o["id"]})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/supersedes", r.json()
    contract.check("/v1/plans/{plan}/indicators/{indicator}/observations", "post", r)


def test_an_override_needs_a_reason_and_the_computed_status_stays_visible(api, plan, contract):
    indicator(api, plan, "judged", "increase")
    target(api, plan, "judged", "2025-01-01", "2025-12-31", value=10)
    observe(api, plan, "judged", "2025-01-01", "2025-12-31", 5)
    opath = f"/v1/plans/{plan}/indicators/judged/overrides"
    r = api.request("POST", opath, headers=admin(), json={"status": "on_track"})
    assert r.status_code == 422 and [e["pointer"] for e in r.json()["errors"]] == ["/reason"], r.json()
    r = api.request("POST", opath, headers=admin(),
                    json={"status": "on_track", "reason": "The count missed a month (test)."})
    assert r.status_code == 201, r.content[:300]
    contract.check("/v1/plans/{plan}/indicators/{indicator}/overrides", "post", r)
    d = r.json()
    assert (d["status"], d["computed"]["status"], d["override"]["reason"]) == \
        ("on_track", "off_track", "The count missed a month (test)."), d
    before = d["override"]["recorded_at"]
    waiting.wait_until(lambda: datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                       lambda now: now > before, what="the next second")
    r = api.request("POST", opath, headers=admin(), json={"status": None, "reason": "Reviewed (test)."})
    assert r.status_code == 201 and r.json()["override"] is None and r.json()["status"] == "off_track"
    r = api.get(f"/v1/plans/{plan}/indicators/judged", params={"as_of": before})
    assert r.status_code == 200 and r.json()["override"]["status"] == "on_track", r.content[:300]


def test_definitions_take_if_match_and_bad_bodies_name_their_faults(api, plan, contract):
    r = indicator(api, plan, "defined", "increase")
    etag = r.headers["ETag"]
    ipath = f"/v1/plans/{plan}/indicators/defined"
    r = api.request("PATCH", ipath, headers=admin({"If-Match": '"0000000000000000"'}),
                    json={"owner_department": "Test"})
    assert r.status_code == 412 and r.json()["etag"] == etag, r.content[:300]
    contract.check("/v1/plans/{plan}/indicators/{indicator}", "patch", r)
    r = api.request("PATCH", ipath, headers=admin({"If-Match": etag}), json={"owner_department": "Test"})
    assert r.status_code == 200 and r.json()["version"] == 2, r.content[:300]
    contract.check("/v1/plans/{plan}/indicators/{indicator}", "patch", r)
    r = api.request("POST", f"/v1/plans/{plan}/indicators", headers=admin(),
                    json={"code": "X", "title": "x", "objective": "nope", "direction": "up",
                          "unit": {"code": "a b"}, "bogus": 1})
    assert r.status_code == 422, r.content[:300]
    contract.check("/v1/plans/{plan}/indicators", "post", r)
    assert sorted(e["pointer"] for e in r.json()["errors"]) == \
        ["/bogus", "/direction", "/objective", "/unit/code", "/unit/label"], r.json()


def test_as_of_is_checked_and_shows_nothing_before_it_existed(api, plan):
    indicator(api, plan, "young", "increase")
    base = f"/v1/plans/{plan}/indicators/young"
    assert api.get(base, params={"as_of": "2020-01-01"}).status_code == 404
    for bad in ("yesterday", "2026-02-30", "2999-01-01T00:00:00Z"):
        r = api.get(base, params={"as_of": bad})
        assert r.status_code == 400 and r.json()["errors"][0]["parameter"] == "as_of", (bad, r.content[:300])
    r = api.get(f"/v1/plans/{plan}/indicators", params={"as_of": "2020-01-01"})
    assert r.status_code == 200 and r.json()["items"] == [], r.content[:300]


# --------------------------------------------------------------- initiatives and the roll-up

def test_initiatives_progress_by_milestones_and_updates(api, plan, contract):
    r = api.request("POST", f"/v1/plans/{plan}/initiatives", headers=admin(), json={
        "id": "lights", "title": "Replace street lights (test)", "objectives": ["cleaner-streets"],
        "progress_method": "milestones", "weight": 2,
        "milestones": [{"title": "Contract", "due": "2025-03-31", "completed_on": "2025-03-01"},
                       {"title": "Done", "due": "2099-12-31"}]})
    assert r.status_code == 201, r.content[:300]
    contract.check("/v1/plans/{plan}/initiatives", "post", r)
    assert r.json()["progress"] == {"method": "milestones", "percent": 50, "detail": "1 of 2 milestones done"}
    r = api.request("POST", f"/v1/plans/{plan}/initiatives/lights/updates", headers=admin(), json={
        "date": "2025-04-01", "reported_status": "on_track", "progress_pct": 50,
        "text": "Half done (test).", "author": "Test"})
    assert r.status_code == 201, r.content[:300]
    contract.check("/v1/plans/{plan}/initiatives/{initiative}/updates", "post", r)
    r = api.request("POST", f"/v1/plans/{plan}/objectives/cleaner-streets/updates", headers=admin(), json={
        "date": "2025-04-01", "text": "Going well (test).", "author": "Test"})
    assert r.status_code == 201, r.content[:300]
    r = read(api, f"/v1/plans/{plan}/initiatives/lights", lambda d: len(d["updates"]) == 1)
    contract.check("/v1/plans/{plan}/initiatives/{initiative}", "get", r)


def test_the_roll_up_publishes_its_method_and_weights(api, plan, contract):
    indicator(api, plan, "roll-a", "increase", objective="cleaner-streets", weight=3)
    indicator(api, plan, "roll-b", "increase", objective="cleaner-streets", weight=1)
    for ind, value in (("roll-a", 10), ("roll-b", 1)):
        target(api, plan, ind, "2025-01-01", "2025-12-31", value=10)
        observe(api, plan, ind, "2025-01-01", "2025-12-31", value)

    def objective(doc):
        return next(o for g in doc["goals"] for o in g["objectives"] if o["id"] == "cleaner-streets")

    r = read(api, f"/v1/plans/{plan}/progress", lambda d: len(objective(d)["indicators"]) >= 2)
    contract.check("/v1/plans/{plan}/progress", "get", r)
    doc = r.json()
    assert doc["method"]["id"] == "weighted-mean" and doc["method"]["points"]["at_risk"] == 0.5
    o = objective(doc)
    pts = {i["id"]: (i["points"], i["weight"]) for i in o["indicators"]}
    assert pts["roll-a"] == (1, 3) and pts["roll-b"] == (0, 1), o
    # (3 x 1 + 1 x 0) / 4
    assert (o["score"], o["status"]) == (0.75, "at_risk"), o
    r = api.get(f"/v1/plans/{plan}/progress")
    assert api.get(f"/v1/plans/{plan}/progress", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_status_rules_are_published_and_versioned(api, contract):
    r = api.get("/v1/status-rules/ratio")
    assert r.status_code == 200, r.content[:300]
    contract.check("/v1/status-rules/{rule}", "get", r)
    assert r.json()["version"] >= 1 and r.json()["versions"][0]["version"] == 1
    r = api.get("/v1/status-rules/ratio", params={"as_of": "2025-01-01"})
    assert r.status_code == 404, r.content[:300]


# --------------------------------------------------------------- import

def csv_file(rows):
    return ("\r\n".join([CSV_HEADER] + rows) + "\r\n").encode("utf-8")


def post_csv(api, plan, body, dry_run=None):
    params = {"dry_run": dry_run} if dry_run is not None else None
    return api.request("POST", f"/v1/plans/{plan}/imports", params=params, data=body,
                       headers=admin({"Content-Type": "text/csv"}))


def count_observations(api, plan):
    return len(api.get(f"/v1/plans/{plan}/observations").text.splitlines()) - 1


def test_a_dry_run_answers_every_row_s_faults_and_changes_nothing(api, plan, contract):
    indicator(api, plan, "imported", "increase")
    body = csv_file(["imported,2025-01-01,2025-12-31,7,final,,,",
                     "imported,2025-02-30,2025-12-31,x,good,,,",
                     "nope,2025-01-01,2025-12-31,1,final,,,"])
    before = count_observations(api, plan)
    r = post_csv(api, plan, body, "true")
    assert r.status_code == 200, r.content[:300]
    contract.check("/v1/plans/{plan}/imports", "post", r)
    got = [(e["row"], e["column"]) for e in r.json()["errors"]]
    assert got == [(3, "period_start"), (3, "value"), (3, "quality"), (4, "indicator")], r.json()
    assert r.json()["sha256"] == hashlib.sha256(body).hexdigest()
    r = post_csv(api, plan, body)
    assert r.status_code == 422 and len(r.json()["errors"]) == 4, r.content[:300]
    contract.check("/v1/plans/{plan}/imports", "post", r)
    assert count_observations(api, plan) == before
    r = post_csv(api, plan, b'indicator,"period_start\r\n', "true")
    assert r.status_code == 200 and r.json()["errors"][0]["row"] == 1, r.content[:300]


# Last: the 10,000 observations make the published data 4.6 MB, and then
# every reload blocks each worker for seconds on a loaded machine (README.md,
# "Progress on the plan", Limits): the tests after it would wait on reloads
# (a worker that accepts nothing for 30 s, a keep-alive connection reset).
@pytest.mark.last
def test_an_import_of_10000_rows_is_all_or_nothing_with_provenance(api, bulk_plan, contract):
    plan = bulk_plan
    indicator(api, plan, "bulk", "increase")
    day = datetime.date(2000, 1, 1)
    rows = ["bulk,%s,%s,%s,final,https://data.example.org/bulk.csv,,"
            % (day + datetime.timedelta(days=i), day + datetime.timedelta(days=i), i % 97)
            for i in range(10000)]
    bad = list(rows)
    bad[9998] = "bulk,2030-01-01,2029-01-01,1,final,,,"
    before = count_observations(api, plan)
    r = post_csv(api, plan, csv_file(bad))
    assert r.status_code == 422, r.content[:300]
    assert [(e["row"], e["column"]) for e in r.json()["errors"]] == [(10000, "period_end")], r.json()
    assert count_observations(api, plan) == before, "a refused import stored rows"

    body = csv_file(rows)
    r = post_csv(api, plan, body)
    assert r.status_code == 201, r.content[:300]
    contract.check("/v1/plans/{plan}/imports", "post", r)
    assert r.json()["rows"] == 10000 and r.json()["sha256"] == hashlib.sha256(body).hexdigest()
    d = read(api, f"/v1/plans/{plan}/indicators/bulk", lambda d: len(d["observations"]) == 10000).json()
    last = d["observations"][-1]["provenance"]
    assert (last["method"], last["file_sha256"], last["row"], last["import_id"]) == \
        ("import", hashlib.sha256(body).hexdigest(), "10001", r.json()["id"]), last
    assert count_observations(api, plan) == before + 10000


def test_the_observations_csv_is_what_the_import_reads(api, plan, contract):
    indicator(api, plan, "roundtrip", "increase")
    o = observe(api, plan, "roundtrip", "2025-01-01", "2025-12-31", 4.5, note="=1+1 (test)")
    r = read(api, f"/v1/plans/{plan}/indicators/roundtrip", lambda d: len(d["observations"]) == 1)
    r = api.get(f"/v1/plans/{plan}/observations")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    contract.check("/v1/plans/{plan}/observations", "get", r)
    lines = r.text.split("\r\n")
    assert lines[0] == CSV_HEADER
    mine = [line for line in lines if line.startswith("roundtrip,")]
    assert mine == ["roundtrip,2025-01-01,2025-12-31,4.5,final,,\"'=1+1 (test)\","], mine
    # A correction of it, in the same format.
    fix = mine[0].replace(",4.5,final,", ",4.75,revised,") + str(o["id"])
    r = post_csv(api, plan, csv_file([fix]), "true")
    assert r.status_code == 200 and r.json()["valid"] is True, r.content[:300]


# --------------------------------------------------------------- exports

@pytest.mark.skipif(shutil.which("xmllint") is None, reason="needs xmllint (libxml2-utils)")
def test_the_stratml_export_is_valid_against_the_part_2_schema(api, plan, tmp_path):
    indicator(api, plan, "exported", "decrease", objective="cleaner-streets")
    target(api, plan, "exported", "2025-01-01", "2025-12-31", value=5, rationale="fewer <&> (test)")
    observe(api, plan, "exported", "2025-01-01", "2025-12-31", 4)
    read(api, f"/v1/plans/{plan}/indicators/exported", lambda d: len(d["observations"]) == 1)
    r = api.get(f"/v1/plans/{plan}/export", params={"format": "stratml"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/xml", r.content[:300]
    out = tmp_path / "export.xml"
    out.write_bytes(r.content)
    run = subprocess.run(["xmllint", "--noout", "--schema", str(XSD), str(out)], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    text = r.text
    assert "<Identifier>indicator-exported</Identifier>" in text and "<TargetResult>" in text
    assert "<ActualResult>" in text and "Direction: decrease" in text and "Status: on_track" in text


def test_the_json_export_follows_its_schema(api, plan, contract):
    r = api.get(f"/v1/plans/{plan}/export")
    assert r.status_code == 200, r.content[:300]
    contract.check("/v1/plans/{plan}/export", "get", r)
    assert r.json()["schema"] == "/openapi.json#/components/schemas/PlanExport"
    r = api.get(f"/v1/plans/{plan}/export", params={"format": "pdf"})
    assert r.status_code == 400, r.content[:300]


def test_every_progress_write_is_in_the_plan_s_history(api, plan):
    indicator(api, plan, "recorded", "increase")
    target(api, plan, "recorded", "2025-01-01", "2025-12-31", value=1)
    observe(api, plan, "recorded", "2025-01-01", "2025-12-31", 1)
    r = api.get(f"/v1/plans/{plan}/history", params={"limit": "200"})
    assert r.status_code == 200, r.content[:300]
    kinds = {(e["resource"], e["path"]) for e in r.json()["items"]}
    path = f"/v1/plans/{plan}/indicators/recorded"
    assert {("indicator", path), ("target", path), ("observation", path)} <= kinds, kinds

"""GET /dashboard: the plan and a survey's results, live, for the city to show or frame.

The page (docs/dashboard.html, its script and stylesheet) is served from this
server only, with a Content-Security-Policy that allows nothing from
elsewhere and lets this server and the origins of CIVIC_CORS_ORIGINS frame
it. In headless Chromium (tests/browser/dashboard.mjs) its numbers are the
API's, a submission shows within 2 s, the seed plan says it has no measures,
a made-up plan's initiatives and indicators show with the API's statuses,
numbers and one chart mark per observation, and it fetches nothing from outside;
the browser's screenshot goes to CIVIC_DASHBOARD_PNG (var/dashboard.png; the
README's is docs/dashboard.png, taken by `make dashboard-shot`)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

import partners as p
import waiting
from conftest import BASE_URL
from partners import cleanup_surveys  # noqa: F401  (autouse: drops this module's surveys)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "browser" / "dashboard.mjs"
CHROMIUM = Path("/usr/bin/chromium")
ORIGIN = os.environ.get("CIVIC_CORS_TEST_ORIGIN", "")


def csp(response):
    return {d.strip().split()[0]: d.strip().split()[1:]
            for d in response.headers["Content-Security-Policy"].split(";") if d.strip()}


def test_the_dashboard_is_a_page_that_loads_only_this_servers_assets():
    r = requests.get(BASE_URL + "/dashboard", timeout=waiting.WAIT_LIMIT_S)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers.get("ETag")
    policy = csp(r)
    assert policy["default-src"] == ["'none'"]
    for d in ("script-src", "style-src", "connect-src"):
        assert policy[d] == ["'self'"], (d, policy)
    assert '<meta name="viewport"' in r.text
    for asset, media in (("/dashboard/dashboard.js", "text/javascript; charset=utf-8"),
                         ("/dashboard/dashboard.css", "text/css; charset=utf-8")):
        assert 'src="%s"' % asset in r.text or 'href="%s"' % asset in r.text
        a = requests.get(BASE_URL + asset, timeout=waiting.WAIT_LIMIT_S)
        assert a.status_code == 200 and a.headers["Content-Type"] == media
        assert a.content == (ROOT / "docs" / asset.rsplit("/", 1)[1]).read_bytes()


@pytest.mark.skipif(not ORIGIN, reason="CIVIC_CORS_TEST_ORIGIN not set (run through tools/test.sh)")
def test_the_city_website_may_frame_the_dashboard_and_call_the_api():
    r = requests.get(BASE_URL + "/dashboard", timeout=waiting.WAIT_LIMIT_S)
    assert csp(r)["frame-ancestors"] == ["'self'", ORIGIN]
    # Its script's requests from the city's page (a small script embedding it).
    t = requests.get(BASE_URL + "/v1/surveys/%s/tallies" % p.SEED_SURVEY,
                     headers={"Origin": ORIGIN}, timeout=waiting.WAIT_LIMIT_S)
    assert t.headers.get("Access-Control-Allow-Origin") == ORIGIN
    t = requests.get(BASE_URL + "/v1/surveys/%s/tallies" % p.SEED_SURVEY,
                     headers={"Origin": "https://elsewhere.test"}, timeout=waiting.WAIT_LIMIT_S)
    assert "Access-Control-Allow-Origin" not in t.headers


def test_the_dashboard_shows_the_apis_numbers_live_in_headless_chromium():
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("node_modules/playwright-core is missing: run `npm ci` in the repository root")
    if not CHROMIUM.exists():
        pytest.fail("%s is missing: `tools/deps.sh test` installs Debian's chromium" % CHROMIUM)
    survey = p.make_survey(title="Community pulse survey")["id"]
    partner = p.create_key()
    objectives = p.objectives()
    answers = [("agree", objectives[:3]), ("strongly_agree", objectives[7:9]),
               ("neutral", objectives[7:8]), ("disagree", objectives[2:4]),
               ("agree", [objectives[7], objectives[2], objectives[11]])]
    for i, (level, top) in enumerate(answers):
        p.submit_ok(survey, {"external_id": "dash-%d" % i,
                             "answers": {"agree": level, "top": top}}, partner["key"])
    shot = os.environ.get("CIVIC_DASHBOARD_PNG") or str(ROOT / "var" / "dashboard.png")
    env = dict(os.environ, CIVIC_BASE_URL=BASE_URL, CIVIC_DASHBOARD_SURVEY=survey,
               CIVIC_PARTNER_KEY=partner["key"], CIVIC_ADMIN_KEY=p.ADMIN_KEY, CIVIC_DASHBOARD_PNG=shot,
               CIVIC_TEST_WAIT_S=str(waiting.WAIT_LIMIT_S))
    run = subprocess.run([shutil.which("node") or "node", str(SCRIPT)], cwd=ROOT, env=env,
                         capture_output=True, text=True,
                         timeout=10 * waiting.WAIT_LIMIT_S)   # a guard against a hung browser only
    print(run.stdout)
    assert run.returncode == 0, (
        "the dashboard failed in headless Chromium (tests/browser/dashboard.mjs):\n"
        + run.stdout[-6000:] + run.stderr[-3000:])
    assert Path(shot).stat().st_size > 0

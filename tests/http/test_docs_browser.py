"""The docs page in a real browser (tests/browser/docs-page.mjs).

Headless Chromium (Debian's chromium, installed by tools/deps.sh test),
driven by playwright-core (package.json, installed by npm ci), opens /docs,
runs "Try it out" on the plan and, authorized with the admin key, on the key
list, and must see 200s there; every request the page makes must go to the
service itself.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import waiting
from conftest import BASE_URL

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "browser" / "docs-page.mjs"
CHROMIUM = Path("/usr/bin/chromium")


def test_docs_page_try_it_out_gets_200s_and_fetches_only_from_the_service():
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("node_modules/playwright-core is missing: run `npm ci` in the repository root")
    if not CHROMIUM.exists():
        pytest.fail("%s is missing: `tools/deps.sh test` installs Debian's chromium" % CHROMIUM)
    if not os.environ.get("CIVIC_ADMIN_KEY"):
        pytest.fail("CIVIC_ADMIN_KEY is not set (tools/test.sh sets it)")
    env = dict(os.environ, CIVIC_BASE_URL=BASE_URL,
               CIVIC_TEST_WAIT_S=str(waiting.WAIT_LIMIT_S))
    run = subprocess.run([shutil.which("node") or "node", str(SCRIPT)], cwd=ROOT, env=env,
                         capture_output=True, text=True,
                         timeout=10 * waiting.WAIT_LIMIT_S)   # a guard against a hung browser only
    print(run.stdout)
    assert run.returncode == 0, (
        "the docs page failed in headless Chromium (tests/browser/docs-page.mjs):\n"
        + run.stdout[-6000:] + run.stderr[-3000:])

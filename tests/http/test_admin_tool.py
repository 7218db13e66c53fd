"""The admin tool (civic-admin, CIVIC_ADMIN_BIN) on its failure paths: each
exits non-zero with one clear message and leaves no key behind.

Run by make sanitize, the tool is the sanitizer build, and its standard error
must carry no sanitizer report: LeakSanitizer found the database connection
(and the last query's result) left open on each of these failures.
"""

import os
import subprocess
import uuid

import pytest

import partners as p

ADMIN_BIN = os.environ.get("CIVIC_ADMIN_BIN")
RUN_TIMEOUT = 60  # seconds: a bound, not an expectation

pytestmark = pytest.mark.skipif(
    not ADMIN_BIN, reason="CIVIC_ADMIN_BIN not set (run through tools/test.sh)")

SANITIZER_SIGNS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


def run_admin(args, database_url):
    env = dict(os.environ, DATABASE_URL=database_url)
    r = subprocess.run([ADMIN_BIN, *args], env=env, capture_output=True,
                       timeout=RUN_TIMEOUT, check=False)
    err = r.stderr.decode("utf-8", "replace")
    for sign in SANITIZER_SIGNS:
        assert sign not in err, err
    return r.returncode, r.stdout.decode("utf-8", "replace"), err


def test_an_unreachable_database_exits_1_with_the_connection_error():
    url = "host=/nonexistent port=1 dbname=civicplan connect_timeout=2"
    status, out, err = run_admin(["create-key", "--name", "nobody"], url)
    assert status == 1, err
    assert out == ""
    assert err.startswith("civic-admin: ") and "/nonexistent" in err, err


def test_an_unknown_survey_exits_1_and_makes_no_key():
    name = "admin tool test " + uuid.uuid4().hex[:8]
    survey = "no-such-survey-" + uuid.uuid4().hex[:8]
    status, out, err = run_admin(
        ["create-key", "--name", name, "--role", "partner", "--survey", survey],
        p.DATABASE_URL)
    assert status == 1, err
    assert out == ""
    assert err == "civic-admin: no survey '%s'\n" % survey
    assert p.db_count("api_keys WHERE name = %s" % p.sql_text(name)) == 0


def test_a_bad_role_exits_2_with_the_usage():
    status, out, err = run_admin(
        ["create-key", "--name", "x", "--role", "root"], p.DATABASE_URL)
    assert status == 2
    assert out == ""
    assert err.startswith("usage: civic-admin create-key"), err

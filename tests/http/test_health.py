"""Liveness and readiness with the database up (the database-down case is in
test_db_recovery.py)."""

import time


def test_healthz_is_200_ok(api, json_body):
    r = api.get("/healthz")
    assert r.status_code == 200
    assert json_body(r) == {"status": "ok"}


def test_readyz_is_200_ready_with_the_database_up(api, json_body):
    r = api.get("/readyz")
    assert r.status_code == 200, r.content[:300]
    assert json_body(r) == {"status": "ready", "database": "ok"}


def test_readyz_answers_200_within_a_second_on_fresh_connections(api):
    """Twenty in a row, each on a new connection: all 200, and typically
    (the median: one slow answer on a loaded machine is not the service
    waiting on something) within a second."""
    took = []
    for _ in range(20):
        started = time.monotonic()
        r = api.get("/readyz", fresh=True)
        took.append(time.monotonic() - started)
        assert r.status_code == 200, r.content[:300]
    assert sorted(took)[len(took) // 2] < 1.0, ["%.3f" % t for t in took]


def test_readyz_has_no_retry_after_when_ready(api):
    assert "Retry-After" not in api.get("/readyz").headers

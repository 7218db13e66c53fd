#!/usr/bin/env bash
#
# test.sh: the whole suite.  The layers of src/ and the unit tests first (no
# server), then a throwaway PostgreSQL cluster, migrations, the SQL tests,
# the server on a test port, and the HTTP tests against it.  Everything
# started here is stopped here, by PID.
#
#   CIVIC_BUILD		where the unit tests, the admin tool and the module
#			are (default build; make sanitize: build/sanitize)
#   CIVIC_TEST_LOG	the server's log (default var/test-server.log)
#
# The server's own environment passes through tools/serve.sh (e.g.
# CIVIC_KORE_FLAGS, CIVIC_KORE_PRELOAD).
set -uo pipefail
cd "$(dirname "$0")/.."

TEST_PG_DIR=${TEST_PG_DIR:-var/test-pg}
TEST_PG_PORT=${TEST_PG_PORT:-5434}
TEST_PORT=${TEST_PORT:-8899}
BUILD=${CIVIC_BUILD:-build}
LOG=${CIVIC_TEST_LOG:-var/test-server.log}
ORIGIN=http://allowed.test

server_pid=
stuck=

# One run at a time per checkout: a second waits for the first.
mkdir -p var
exec 9>var/test.lock
if ! flock -n 9; then
	echo "test.sh: another test run holds var/test.lock; waiting for it"
	flock 9
fi

cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid"
		# A sanitizer build checks for leaks in every process as it
		# exits: that takes seconds.
		for _ in $(seq 1 600); do
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$server_pid" 2>/dev/null; then
			echo "test.sh: the server (pid $server_pid) did not stop" \
			    "within 60 s of SIGTERM: killed" >&2
			# shellcheck disable=SC2046
			kill -KILL $(ps -o pid= --ppid "$server_pid") \
			    "$server_pid" 2>/dev/null
			stuck=1
		fi
	fi
	tools/pg.sh stop "$TEST_PG_DIR" || true
	[ -z "$stuck" ] || exit 1
}
trap cleanup EXIT

# A merge's conflict markers left in any tracked file (a README once kept
# them through a full run: nothing else reads it).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
    git grep -nE '^(<<<<<<<|>>>>>>>)( |$)' -- . ':!node_modules'; then
	echo "conflict markers left in the files above"
	exit 1
fi

echo "== the layers of src/ (a circle fails)"
python3 tools/layers.py || exit 1

echo "== unit tests"
"$BUILD/unit-tests" --jobs 2 || exit 1

echo "== throwaway cluster and migrations"
tools/pg.sh crash "$TEST_PG_DIR" >/dev/null 2>&1 || true
rm -rf "$TEST_PG_DIR"
tools/pg.sh start "$TEST_PG_DIR" "$TEST_PG_PORT" throwaway || exit 1
url=$(tools/pg.sh url "$TEST_PG_DIR" "$TEST_PG_PORT")
tools/migrate.sh "$url" || exit 1

echo "== SQL tests (pgTAP) and the takeover of a database of before"
sock=$(tools/pg.sh sockdir "$TEST_PG_DIR")
tools/sql-test.sh "host=$sock port=$TEST_PG_PORT dbname=civicplan user=postgres" || exit 1
tests/sql/takeover.sh "$sock" "$TEST_PG_PORT" || exit 1
admin_key=$(DATABASE_URL=$url "$BUILD/civic-admin" create-key --name "test admin" \
    --role admin 2>var/test-admin.err) ||
    { cat var/test-admin.err; echo "cannot make the test admin key"; exit 1; }

echo "== server on 127.0.0.1:$TEST_PORT"
mkdir -p var
# Rate limits far above what the suite sends from its one address and few
# keys, over a long window; the rate-limit tests give a key a small limit
# of its own, or start a server of their own.
export CIVIC_RATELIMIT_WINDOW=${CIVIC_RATELIMIT_WINDOW:-3600}
export CIVIC_RATELIMIT_KEY=${CIVIC_RATELIMIT_KEY:-10000000}
export CIVIC_RATELIMIT_ADDRESS=${CIVIC_RATELIMIT_ADDRESS:-10000000}
export CIVIC_RATELIMIT_PUBLIC=${CIVIC_RATELIMIT_PUBLIC:-10000000}
# The scrape token of /metrics, and the request log, for test_metrics.py
# and test_request_log.py.
# Small stream limits, that test_tally_stream.py reaches.
export CIVIC_STREAMS_PER_WORKER=${CIVIC_STREAMS_PER_WORKER:-64}
export CIVIC_STREAM_BUFFER=${CIVIC_STREAM_BUFFER:-16384}
metrics_token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
request_log=$PWD/var/test-request.log
rm -f "$request_log"
CIVIC_METRICS_TOKEN=$metrics_token CIVIC_LOG=$request_log \
DATABASE_URL=$url CIVIC_BIND=127.0.0.1 CIVIC_PORT=$TEST_PORT \
    CIVIC_DOCS_DIR=build/docs CIVIC_CORS_ORIGINS=$ORIGIN \
    CIVIC_VAR=var/test-run CIVIC_MODULE=${CIVIC_MODULE:-$BUILD/civicplan.so} \
    tools/serve.sh >"$LOG" 2>&1 &
server_pid=$!

for _ in $(seq 1 600); do
	curl -fsS -o /dev/null "http://127.0.0.1:$TEST_PORT/healthz" 2>/dev/null && break
	kill -0 "$server_pid" 2>/dev/null || { cat "$LOG"; echo "server exited"; exit 1; }
	sleep 0.1
done

echo "== HTTP tests"
CIVIC_BASE_URL=http://127.0.0.1:$TEST_PORT CIVIC_SERVER_LOG=$LOG \
    CIVIC_PG_DIR=$TEST_PG_DIR CIVIC_PG_PORT=$TEST_PG_PORT \
    CIVIC_CORS_TEST_ORIGIN=$ORIGIN CIVIC_ADMIN_KEY=$admin_key \
    CIVIC_DATABASE_URL=$url CIVIC_SERVER_PID=$server_pid \
    CIVIC_ADMIN_BIN=$BUILD/civic-admin \
    CIVIC_METRICS_TOKEN=$metrics_token CIVIC_REQUEST_LOG=$request_log \
    /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/http

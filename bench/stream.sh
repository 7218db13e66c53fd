#!/usr/bin/env bash
#
# bench/stream.sh: the tallies' event stream under load (bench/stream-probe.py),
# against the server in its shipped configuration (conf/app.conf) and the
# durable private cluster (or DATABASE_URL), as make bench uses them.
# make stream-bench runs it.
#
#   STREAM_BENCH_CLIENTS   concurrent stream clients (1000)
#   STREAM_BENCH_EVENTS    submissions whose events are timed (10)
#   BENCH_PORT             where the server listens (8898)
#   BENCH_ROUNDS           rounds of the plan's rate without, then with, the
#                          clients connected (2)
#   BENCH_DURATION, BENCH_CONNECTIONS, BENCH_THREADS   wrk's load (10s, 64, 2)
#
# Checks: every client gets the event of every submission within 1 s of its
# 201; the plan's rate with the clients connected >= 80% of the rate without
# (the sums over the rounds).  Exits non-zero otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

PORT=${BENCH_PORT:-8898}
LOG=var/stream-bench-server.log

. bench/serve.sh
trap bench_stop EXIT

tools/db.sh up >/dev/null || exit 1
url=$(tools/db.sh url)
mkdir -p var
key=$(DATABASE_URL=$url build/civic-admin create-key --name "stream bench" \
    --role admin 2>/dev/null) || { echo "cannot make an admin key"; exit 1; }

# One address sends everything: no rate limit within reach.  The client
# count is over one worker's share on purpose (the accept lock may pile them
# onto one worker): each worker may hold them all.
bench_unlimited
bench_serve "$PORT" var/stream-bench-run "$LOG" CIVIC_LOG=off DATABASE_URL="$url"

# The probe holds a socket per client.
ulimit -n 8192
/usr/bin/python3 bench/stream-probe.py --url "http://127.0.0.1:$PORT" \
    --key "$key" --database "$url" \
    --clients "${STREAM_BENCH_CLIENTS:-1000}" --events "${STREAM_BENCH_EVENTS:-10}" \
    --rounds "${BENCH_ROUNDS:-2}" --duration "${BENCH_DURATION:-10s}" \
    --connections "${BENCH_CONNECTIONS:-64}" --threads "${BENCH_THREADS:-2}"
rc=$?
if grep -q "dead\|died\|fatal" "$LOG"; then
	echo "stream bench: the server log reports trouble:"
	grep "dead\|died\|fatal" "$LOG" | head
	rc=1
fi
exit $rc

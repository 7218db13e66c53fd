#!/usr/bin/env bash
#
# bench/conn.sh: the connection probes, on loopback, against the server in
# its shipped configuration (conf/app.conf) and the private cluster (or
# DATABASE_URL).  make conn-bench runs it.
#
#   bench/accept-probe.py  3,000 idle keep-alive connections held, then 200
#                          new clients timed: each must be answered within
#                          100 ms, and none of the idle ones dropped
#   bench/noread-probe.py  300 clients each send 200 requests for the docs
#                          bundle (1.7 MB) and never read: each worker's
#                          memory must grow by less than 64 MB
#
# CONN_BENCH_PORT (8897) is where the server listens; CONN_BENCH_IDLE and
# CONN_BENCH_CLIENTS change the counts.  Exits non-zero if a probe fails.
set -uo pipefail
cd "$(dirname "$0")/.."

PORT=${CONN_BENCH_PORT:-8897}
IDLE=${CONN_BENCH_IDLE:-3000}
CLIENTS=${CONN_BENCH_CLIENTS:-300}
VAR=var/conn-bench
LOG=var/conn-bench-server.log

. bench/serve.sh
trap bench_stop EXIT

tools/db.sh up >/dev/null || exit 1
mkdir -p var
# It measures throughput from one address: no rate limit within reach.
bench_unlimited
bench_serve "$PORT" "$VAR" "$LOG" DATABASE_URL="$(tools/db.sh url)"

# Both probes hold thousands of sockets.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -H -n)"

rc=0
echo "== $IDLE idle connections, then new clients (bench/accept-probe.py)"
bench/accept-probe.py --port "$PORT" --idle "$IDLE" --pidfile "$VAR/kore.pid" ||
    rc=1
echo "== $CLIENTS clients that never read (bench/noread-probe.py)"
bench/noread-probe.py --port "$PORT" --clients "$CLIENTS" \
    --pidfile "$VAR/kore.pid" || rc=1
exit $rc

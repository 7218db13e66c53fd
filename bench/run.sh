#!/usr/bin/env bash
#
# bench/run.sh: load benchmark on loopback, in the configuration the service
# ships with (conf/app.conf, the durable private cluster or DATABASE_URL).
#
# Measures with wrk, one run after the other:
#   GET /healthz                      the framework's ceiling here
#   GET /v1/plans/current             the plan document (200)
#   GET /v1/plans/current + If-None-Match  the same, revalidated (304)
# and checks the targets: plan >= 70% and 304 >= 80% of the /healthz rate,
# with no response other than 2xx/304.
set -uo pipefail
cd "$(dirname "$0")/.."

PORT=${BENCH_PORT:-8898}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
LOG=var/bench-server.log
BASE=http://127.0.0.1:$PORT

server_pid=
cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid"
		wait "$server_pid" 2>/dev/null
	fi
}
trap cleanup EXIT

tools/db.sh up >/dev/null || exit 1
mkdir -p var
DATABASE_URL=$(tools/db.sh url) CIVIC_PORT=$PORT CIVIC_DOCS_DIR=build/docs \
    stdbuf -oL -eL kore -f -n -r -c conf/app.conf >"$LOG" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
	curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break
	sleep 0.1
done

etag=$(curl -fsS -D - -o /dev/null "$BASE/v1/plans/current" |
    tr -d '\r' | awk 'tolower($1) == "etag:" { print $2 }')
[ -n "$etag" ] || { echo "bench: no ETag from /v1/plans/current"; exit 1; }

# run NAME PATH [HEADER]: prints "NAME rps p99 bad" and records them.
declare -A rps p99 bad
run() {
	local name=$1 path=$2 out
	shift 2
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" \
	    "$BASE$path" 2>&1)
	rps[$name]=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	p99[$name]=$(awk '$1 == "99%" { print $2 }' <<<"$out")
	bad[$name]=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
	bad[$name]=${bad[$name]:-0}
	local errs
	errs=$(awk '/Socket errors:/ { print }' <<<"$out")
	printf '%-14s %12s req/s   p99 %-9s non-2xx/3xx %s %s\n' "$name" \
	    "${rps[$name]}" "${p99[$name]}" "${bad[$name]}" "$errs"
}

echo "wrk: $THREADS threads, $CONNS connections, $DURATION each, $BASE"
run healthz /healthz
run plan-200 /v1/plans/current
run plan-304 /v1/plans/current -H "If-None-Match: $etag"

status=0
check() {
	local name=$1 want=$2 ratio
	ratio=$(awk -v a="${rps[$name]}" -v b="${rps[healthz]}" \
	    'BEGIN { printf "%.2f", a / b }')
	if awk -v r="$ratio" -v w="$want" 'BEGIN { exit !(r >= w) }' &&
	    [ "${bad[$name]}" = 0 ]; then
		echo "PASS $name: ${ratio} of /healthz (target >= $want), 0 bad responses"
	else
		echo "FAIL $name: ${ratio} of /healthz (target >= $want), ${bad[$name]} bad responses"
		status=1
	fi
}
check plan-200 0.70
check plan-304 0.80

if grep -qE "exited with|died|restarting" "$LOG"; then
	echo "FAIL: a worker died during the benchmark (see $LOG)"
	status=1
fi
exit $status

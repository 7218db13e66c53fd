#!/usr/bin/env bash
#
# bench/run.sh: load benchmark on loopback, in the configuration the service
# ships with (conf/app.conf, the durable private cluster or DATABASE_URL).
#
# Measures with wrk, one run after the other:
#   GET /healthz                      the framework's ceiling here
#   GET /v1/plans/current             the plan document (200)
#   GET /v1/plans/current + If-None-Match  the same, revalidated (304)
#   GET /v1/plans/current/progress    the roll-up (200, and 304 with
#                                     If-None-Match)
#   POST .../responses                new responses, unique external_ids,
#                                     in BENCH_ROUNDS rounds (2): each a lone
#                                     client (1 connection: its latency),
#                                     then the full load, then pgbench at
#                                     the same concurrency: PostgreSQL's own
#                                     ceiling for storing a response (the row
#                                     and its answer rows, nothing else, one
#                                     transaction each); PostgreSQL's CPU per
#                                     submission (its processes in /proc)
#   GET /v1/plans/current with the request log on (the server above, its log
#                                     to a file) and off (a second server,
#                                     CIVIC_LOG=off, on BENCH_NOLOG_PORT), in
#                                     BENCH_ROUNDS rounds each, interleaved
#   GET /healthz again, then GET .../tallies (200, and 304 with If-None-Match)
#   GET /v1/plans/current and POST .../responses directly and through
#                                     nginx in front of the same server
#                                     (bench/nginx.sh), interleaved rounds
# Checks: plan and roll-up >= 70% and their 304s >= 80% of /healthz; through
# nginx, the plan >= 80% and submissions >= 90% of the same directly; the plan with the log
# on >= 90% of the same with it off (sums over the rounds); submissions >= 100%
# of the pgbench rate (sums over the rounds), their p99 <= 50 ms in every
# round, with tallies equal to a count in the database; tally 304s
# >= 80% of /healthz measured just before them (the write phase leaves the
# database busy for a while); no 5xx, and nothing but 2xx/304 on the reads.
set -uo pipefail
cd "$(dirname "$0")/.."

PORT=${BENCH_PORT:-8898}
NOLOG_PORT=${BENCH_NOLOG_PORT:-$((PORT + 1))}
REQUEST_LOG=$PWD/var/bench-request.log
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
LOG=var/bench-server.log
BASE=http://127.0.0.1:$PORT

. bench/serve.sh
nginx_pid=
cleanup() {
	bench_stop
	if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
		kill -TERM "$nginx_pid"
		wait "$nginx_pid" 2>/dev/null
	fi
	rm -f "$REQUEST_LOG"
}
trap cleanup EXIT

tools/db.sh up >/dev/null || exit 1
mkdir -p var
# It measures throughput from one address: no rate limit within reach.
bench_unlimited
rm -f "$REQUEST_LOG"
bench_serve "$PORT" var/bench-run "$LOG" DATABASE_URL="$(tools/db.sh url)" \
    CIVIC_LOG="$REQUEST_LOG"
# The same without the request log, for the log's cost.
bench_serve "$NOLOG_PORT" var/bench-run-nolog var/bench-nolog-server.log \
    DATABASE_URL="$(tools/db.sh url)" CIVIC_LOG=off

etag=$(curl -fsS -D - -o /dev/null "$BASE/v1/plans/current" |
    tr -d '\r' | awk 'tolower($1) == "etag:" { print $2 }')
[ -n "$etag" ] || { echo "bench: no ETag from /v1/plans/current"; exit 1; }
petag=$(curl -fsS -D - -o /dev/null "$BASE/v1/plans/current/progress" |
    tr -d '\r' | awk 'tolower($1) == "etag:" { print $2 }')
[ -n "$petag" ] || { echo "bench: no ETag from /v1/plans/current/progress"; exit 1; }

# wrk's latency (850.00us, 12.34ms, 1.02s) in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000
		else if (v ~ /ms$/) n += 0
		else if (v ~ /s$/) n *= 1000
		else if (v ~ /m$/) n *= 60000
		printf "%.2f", n }'
}

# run NAME PATH [HEADER]: prints "NAME rps p99 bad" and records them (and
# the median, and the requests made).  RUN_CONNS and RUN_THREADS change the
# load of one run.
declare -A rps p50 p99 bad reqs
run() {
	local name=$1 path=$2 out
	shift 2
	out=$(wrk -t"${RUN_THREADS:-$THREADS}" -c"${RUN_CONNS:-$CONNS}" \
	    -d"$DURATION" --latency "$@" "$BASE$path" 2>&1)
	rps[$name]=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	p50[$name]=$(awk '$1 == "50%" { print $2 }' <<<"$out")
	p99[$name]=$(awk '$1 == "99%" { print $2 }' <<<"$out")
	reqs[$name]=$(awk '/ requests in / { print $1 }' <<<"$out")
	bad[$name]=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
	bad[$name]=${bad[$name]:-0}
	local errs
	errs=$(awk '/Socket errors:/ { print }' <<<"$out")
	printf '%-14s %12s req/s   p99 %-9s non-2xx/3xx %s %s\n' "$name" \
	    "${rps[$name]}" "${p99[$name]}" "${bad[$name]}" "$errs"
}

url=$(tools/db.sh url)
psql_() { psql -X -q -tA -v ON_ERROR_STOP=1 "$url" "$@"; }

# A survey and a partner key of this run's own, made over the API.
run_id=bench$(date +%s)
admin=$(DATABASE_URL=$url build/civic-admin create-key --name "$run_id admin" \
    --role admin 2>/dev/null) || { echo "bench: cannot make an admin key"; exit 1; }
api() {
	curl -fsS -H "Authorization: Bearer $admin" \
	    -H "Content-Type: application/json" "$@"
}
api -X POST -d "$(bench_survey_body "$run_id")" "$BASE/v1/surveys" >/dev/null ||
    { echo "bench: cannot create the survey"; exit 1; }
api -X POST -d "$(bench_survey_body "$run_id-pg")" "$BASE/v1/surveys" >/dev/null ||
    { echo "bench: cannot create the pgbench survey"; exit 1; }
partner=$(api -X POST -d '{"name":"'"$run_id"' partner","role":"partner"}' \
    "$BASE/v1/keys" | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
[ -n "$partner" ] || { echo "bench: cannot create a partner key"; exit 1; }
for _ in $(seq 1 30); do
	curl -fsS -o /dev/null "$BASE/v1/surveys/$run_id" 2>/dev/null && break
	sleep 0.1
done
sleep 0.6	# every worker has the new survey

cleanup_data() {
	psql_ -c "
	    DELETE FROM response_answers WHERE response_id IN (SELECT r.id FROM
		responses r JOIN surveys s ON s.id = r.survey_id
		WHERE s.slug LIKE '$run_id%');
	    DELETE FROM responses WHERE survey_id IN
		(SELECT id FROM surveys WHERE slug LIKE '$run_id%');
	    DELETE FROM tally_counters WHERE survey_id IN
		(SELECT id FROM surveys WHERE slug LIKE '$run_id%');
	    DELETE FROM survey_questions WHERE survey_id IN
		(SELECT id FROM surveys WHERE slug LIKE '$run_id%');
	    DELETE FROM surveys WHERE slug LIKE '$run_id%';
	    UPDATE api_keys SET revoked_at = now() WHERE name LIKE '$run_id%';" \
	    >/dev/null
}
trap 'cleanup_data; cleanup' EXIT

echo "wrk: $THREADS threads, $CONNS connections, $DURATION each, $BASE"
run healthz /healthz
run plan-200 /v1/plans/current
run plan-304 /v1/plans/current -H "If-None-Match: $etag"
run progress-200 /v1/plans/current/progress
run progress-304 /v1/plans/current/progress -H "If-None-Match: $petag"

# The request log's cost: the plan with the log on and off, in rounds
# interleaved A B B A ..., so that a drift of the machine weighs on both.
rounds=${BENCH_ROUNDS:-2}
rps[log-on]=0 rps[log-off]=0 bad[log-on]=0 bad[log-off]=0
log_round() {
	if [ "$2" = on ]; then
		run "log-on-$1" /v1/plans/current
	else
		BASE=http://127.0.0.1:$NOLOG_PORT run "log-off-$1" /v1/plans/current
	fi
	rps[log-$2]=$(awk -v a="${rps[log-$2]}" -v b="${rps[log-$2-$1]:-0}" \
	    'BEGIN { print a + b }')
	bad[log-$2]=$((bad[log-$2] + bad[log-$2-$1]))
}
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) = 1 ]; then
		log_round "$r" on; log_round "$r" off
	else
		log_round "$r" off; log_round "$r" on
	fi
done
sleep 0.5	# the last lines flushed
log_lines=$(wc -l <"$REQUEST_LOG")
echo "request log: $log_lines lines in $REQUEST_LOG"
: >"$REQUEST_LOG"	# hundreds of MB (the server appends on)

# Submissions and PostgreSQL's ceiling, in alternating rounds: the rate of
# both drifts on this shared machine (the pgbench rate alone moved from
# 4,600 to 6,900 tx/s between runs), so each round of one is measured next
# to a round of the other, and the ratio is of their sums.
ids=$(psql_ -c "SELECT s.id, k.id FROM surveys s, api_keys k
    WHERE s.slug = '$run_id-pg' AND k.name = '$run_id partner'")
pgbench_round() {
	local out tps
	out=$(pgbench -n -c "$CONNS" -j "$THREADS" -T "${DURATION%s}" \
	    -f bench/insert.sql -D survey="${ids%|*}" -D key="${ids#*|}" \
	    "$url" 2>&1)
	tps=$(awk '/^tps = / { print $3; exit }' <<<"$out")
	printf '%-14s %12s tx/s    (pgbench, %s clients, response row + answer rows)\n' \
	    "pgbench-$1" "$tps" "$CONNS"
	rps[pgbench-$1]=$tps
}
# PostgreSQL's CPU time so far (user and system, in clock ticks): the
# private cluster's postmaster and every process it started.  Nothing when
# DATABASE_URL names another database (perhaps on another machine).
pg_ticks() {
	local pm pid
	[ -z "${DATABASE_URL:-}" ] || return 0
	pm=$(head -n 1 "${RUN_PG_DIR:-var/pg}/data/postmaster.pid" \
	    2>/dev/null) || return 0
	for pid in $pm $(ps -o pid= --ppid "$pm"); do
		cat "/proc/$pid/stat" 2>/dev/null
	done | awk '{ t += $14 + $15 } END { print t + 0 }'
}
hz=$(getconf CLK_TCK)
# submit NAME: one round of submissions, with PostgreSQL's CPU per
# submission (microseconds) over it.
submit() {
	local t0 t1
	t0=$(pg_ticks)
	BENCH_PATH=/v1/surveys/$run_id/responses BENCH_KEY=$partner \
	    BENCH_RUN=$run_id-$1 \
	    run "$1" /v1/surveys/$run_id/responses -s bench/submit.lua
	t1=$(pg_ticks)
	if [ -n "$t0" ] && [ -n "$t1" ] && [ "${reqs[$1]:-0}" -gt 0 ]; then
		cpu[$1]=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="${reqs[$1]}" \
		    'BEGIN { printf "%.0f", d / hz / n * 1e6 }')
		printf '%-14s PostgreSQL CPU %s us per submission (%s requests)\n' \
		    "$1" "${cpu[$1]}" "${reqs[$1]}"
	fi
}
declare -A cpu
rounds=${BENCH_ROUNDS:-2}
rps[submit]=0 rps[pgbench]=0 bad[submit]=0
for r in $(seq 1 "$rounds"); do
	# A lone client first: its latency, with nothing to batch with.
	RUN_CONNS=1 RUN_THREADS=1 submit "lone-$r"
	bad[submit]=$((bad[submit] + bad[lone-$r]))
	submit "submit-$r"
	pgbench_round "$r"
	rps[submit]=$(awk -v a="${rps[submit]}" -v b="${rps[submit-$r]:-0}" \
	    'BEGIN { print a + b }')
	rps[pgbench]=$(awk -v a="${rps[pgbench]}" -v b="${rps[pgbench-$r]:-0}" \
	    'BEGIN { print a + b }')
	bad[submit]=$((bad[submit] + bad[submit-$r]))
done

sleep 0.5	# past the tallies' per-worker cache
tally=$(curl -fsS "$BASE/v1/surveys/$run_id/tallies")
tally_total=$(sed -n 's/.*"total":\([0-9]*\).*/\1/p' <<<"$tally")
db_total=$(psql_ -c "SELECT count(*) FROM responses r JOIN surveys s
    ON s.id = r.survey_id WHERE s.slug = '$run_id' AND r.voided_at IS NULL")
votes_ok=$(psql_ -c "
    SELECT count(*) = 0 FROM (
	SELECT a.value, count(*) AS n FROM response_answers a
	JOIN responses r ON r.id = a.response_id
	JOIN surveys s ON s.id = r.survey_id
	WHERE s.slug = '$run_id' AND a.question = 'top-priorities'
	AND r.voided_at IS NULL GROUP BY a.value
	EXCEPT
	SELECT t.bucket, sum(t.n) FROM tally_counters t
	JOIN surveys s ON s.id = t.survey_id
	WHERE s.slug = '$run_id' AND t.question = 'top-priorities'
	AND t.bucket NOT LIKE '~%' GROUP BY t.bucket) d")
echo "tallies: total $tally_total, database $db_total, votes per objective equal: $votes_ok"

tetag=$(curl -fsS -D - -o /dev/null "$BASE/v1/surveys/$run_id/tallies" |
    tr -d '\r' | awk 'tolower($1) == "etag:" { print $2 }')
# The reference for the tallies, measured again now: after the write phase
# the database is still busy (autovacuum, a checkpoint) on the same cores.
run healthz-again /healthz
run tally-200 "/v1/surveys/$run_id/tallies"
run tally-304 "/v1/surveys/$run_id/tallies" -H "If-None-Match: $tetag"

# The same through nginx (bench/nginx.sh).
. bench/nginx.sh

status=0
check() {
	local name=$1 want=$2 base=${3:-healthz} ratio
	# A rate not measured (a run too short for pgbench, say) is no
	# ground for a ratio: a ratio over nothing must not pass.
	if ! awk -v b="${rps[$base]:-0}" 'BEGIN { exit !(b > 0) }'; then
		echo "FAIL $name: no rate of $base measured to compare with"
		status=1
		return
	fi
	ratio=$(awk -v a="${rps[$name]}" -v b="${rps[$base]}" \
	    'BEGIN { printf "%.2f", a / b }')
	if awk -v r="$ratio" -v w="$want" 'BEGIN { exit !(r >= w) }' &&
	    [ "${bad[$name]}" = 0 ]; then
		echo "PASS $name: ${ratio} of $base (target >= $want), 0 bad responses"
	else
		echo "FAIL $name: ${ratio} of $base (target >= $want), ${bad[$name]} bad responses"
		status=1
	fi
}
check plan-200 0.70
check plan-304 0.80
check progress-200 0.70
check progress-304 0.80
check log-on 0.90 log-off
if [ "${log_lines:-0}" -lt 1000 ]; then
	echo "FAIL request log: only ${log_lines:-0} lines while the log was on"
	status=1
fi
check submit 1.00 pgbench
# The tail: the worst p99 of the submission rounds.
worst=0
for r in $(seq 1 "$rounds"); do
	worst=$(awk -v a="$worst" -v b="$(to_ms "${p99[submit-$r]}")" \
	    'BEGIN { print (b > a ? b : a) }')
done
if awk -v w="$worst" 'BEGIN { exit !(w <= 50) }'; then
	echo "PASS submit p99: ${worst} ms at most (target <= 50 ms)"
else
	echo "FAIL submit p99: ${worst} ms (target <= 50 ms)"
	status=1
fi
for r in $(seq 1 "$rounds"); do
	echo "lone client round $r: ${rps[lone-$r]} req/s, median ${p50[lone-$r]}," \
	    "p99 ${p99[lone-$r]}; PostgreSQL CPU per submission:" \
	    "${cpu[submit-$r]:-?} us at $CONNS connections," \
	    "${cpu[lone-$r]:-?} us alone"
done
check tally-304 0.80 healthz-again
check plan-nginx 0.80 plan-direct
check submit-nginx 0.90 submit-direct
if [ -n "$tally_total" ] && [ "$tally_total" = "$db_total" ] && [ "$votes_ok" = t ]; then
	echo "PASS tallies exact: $tally_total counted responses"
else
	echo "FAIL tallies: total $tally_total, database $db_total, votes equal: $votes_ok"
	status=1
fi

if grep -qE "exited with|died|restarting" "$LOG" var/bench-nolog-server.log; then
	echo "FAIL: a worker died during the benchmark (see $LOG)"
	status=1
fi
exit $status

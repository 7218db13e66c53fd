#!/usr/bin/env bash
#
# bench/lone.sh: a lone client's submissions, this checkout against an
# earlier commit (LONE_BEFORE, 9ad43ff: the last before group commit), on
# loopback.  make lone-bench runs it.
#
# The earlier commit is built in a worktree of its own (var/lone-before).
# Each side gets a fresh private cluster (durable settings) of its own, so
# that neither reads a bigger table than the other, and a server in its
# shipped configuration without the request log.  Then LONE_ROUNDS (16)
# rounds of LONE_DURATION (4s) each: one wrk connection on each side in
# turn, the first side changing every round, so that a drift of the
# machine weighs on both.  wrk's median of each round is compared with the
# other side's in the same round.  Which side starts first gets the better
# place on the cores: the same commit on both sides, started in one order,
# came out 4 % apart, and the side started first won 11 rounds of 16.  So
# both sides are started again, the other first, for the second half of
# the rounds.
#
# Check: the mean of this checkout's medians is at most LONE_SLACK (1.05)
# times the earlier one's.
set -uo pipefail
cd "$(dirname "$0")/.."

BEFORE=${LONE_BEFORE:-9ad43ff}
ROUNDS=${LONE_ROUNDS:-16}
DURATION=${LONE_DURATION:-4s}
SLACK=${LONE_SLACK:-1.05}
WT=var/lone-before
declare -A dir port pgport url partner run
dir[now]=$PWD dir[before]=$PWD/$WT
port[now]=${LONE_PORT:-8893} port[before]=$((${LONE_PORT:-8893} + 1))
pgport[now]=${LONE_PG_PORT:-5443} pgport[before]=$((${LONE_PG_PORT:-5443} + 1))

. bench/serve.sh
bench_unlimited
top=$PWD

cleanup() {
	local s
	bench_stop
	for s in now before; do
		[ -d "${dir[$s]}/var/lone-pg" ] &&
		    (cd "${dir[$s]}" && tools/pg.sh stop var/lone-pg)
	done
}
trap cleanup EXIT

# The earlier commit, built once (again when LONE_BEFORE names another).
mkdir -p var
if [ "$(git -C "$WT" rev-parse HEAD 2>/dev/null)" != \
    "$(git rev-parse "$BEFORE^{commit}")" ]; then
	git worktree remove --force "$WT" 2>/dev/null
	rm -rf "$WT"
	git worktree prune
	git worktree add --detach "$WT" "$BEFORE" >/dev/null || exit 1
fi
make -C "$WT" build docs-assets >var/lone-before-build.log 2>&1 ||
    { tail -20 var/lone-before-build.log; exit 1; }

# up FIRST SECOND: a fresh cluster and a server for each side, in this
# order, with a survey and a partner key of their own.
up() {
	local s admin
	for s in "$@"; do
		(
		cd "${dir[$s]}" || exit 1
		[ -d var/lone-pg ] && tools/pg.sh stop var/lone-pg
		rm -rf var/lone-pg
		RUN_PG_DIR=var/lone-pg RUN_PG_PORT=${pgport[$s]} tools/db.sh up \
		    >/dev/null
		) || return 1
		url[$s]=$(cd "${dir[$s]}" && RUN_PG_DIR=var/lone-pg \
		    RUN_PG_PORT=${pgport[$s]} tools/db.sh url)
		# Its server, from its own checkout.
		cd "${dir[$s]}" || return 1
		bench_serve "${port[$s]}" var/lone-run \
		    "$top/var/lone-$s-server.log" DATABASE_URL="${url[$s]}" \
		    CIVIC_LOG=off
		cd "$top" || return 1

		# A survey and a partner key of this run's own, made over the API.
		run[$s]=lone$s$(date +%s)
		admin=$(cd "${dir[$s]}" && DATABASE_URL="${url[$s]}" \
		    build/civic-admin create-key --name "${run[$s]} admin" \
		    --role admin 2>/dev/null) ||
		    { echo "lone: no admin key ($s)"; return 1; }
		curl -fsS -H "Authorization: Bearer $admin" \
		    -H "Content-Type: application/json" -o /dev/null \
		    -d "$(bench_survey_body "${run[$s]}")" \
		    "http://127.0.0.1:${port[$s]}/v1/surveys" ||
		    { echo "lone: no survey ($s)"; return 1; }
		partner[$s]=$(curl -fsS -H "Authorization: Bearer $admin" \
		    -H "Content-Type: application/json" \
		    -d '{"name":"'"${run[$s]}"' partner","role":"partner"}' \
		    "http://127.0.0.1:${port[$s]}/v1/keys" |
		    sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
		[ -n "${partner[$s]}" ] ||
		    { echo "lone: no partner key ($s)"; return 1; }
	done
}

echo "a lone client: $(git rev-parse --short HEAD) (now) against" \
    "$(git rev-parse --short "$BEFORE") (before), $ROUNDS rounds of $DURATION"
results=var/lone-results.txt
: >"$results"
for r in $(seq 1 "$ROUNDS"); do
	if [ "$r" = 1 ]; then
		up now before || exit 1
		echo "started: now, then before"
	elif [ "$r" = $((ROUNDS / 2 + 1)) ]; then
		cleanup
		up before now || exit 1
		echo "started again: before, then now"
	fi
	order="now before"
	[ $((r % 2)) = 0 ] && order="before now"
	for s in $order; do
		out=$(BENCH_PATH=/v1/surveys/${run[$s]}/responses \
		    BENCH_KEY=${partner[$s]} BENCH_RUN=${run[$s]}-$r \
		    wrk -t1 -c1 -d"$DURATION" --latency -s bench/submit.lua \
		    "http://127.0.0.1:${port[$s]}/v1/surveys/${run[$s]}/responses")
		p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
		bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
		# In ms, whatever unit wrk chose.
		ms=$(awk -v v="$p50" 'BEGIN { u = v; sub(/^[0-9.]+/, "", u);
		    n = v + 0; if (u == "us") n /= 1000; else if (u == "s") n *= 1000;
		    printf "%.3f", n }')
		printf '%s %s %s %s\n' "$r" "$s" "$ms" "${bad:-0}" >>"$results"
		printf 'round %2s %-6s median %s ms, p99 %s%s\n' "$r" "$s" "$ms" \
		    "$(awk '$1 == "99%" { print $2 }' <<<"$out")" \
		    "$([ -n "$bad" ] && echo ", $bad non-2xx")"
	done
done

awk -v slack="$SLACK" '
	{ m[$2, $1] = $3; sum[$2] += $3; n[$2]++; bad += $4 }
	END {
		for (r = 1; r <= n["now"]; r++) {
			d = m["now", r] - m["before", r]
			if (d < 0) faster++; else if (d > 0) slower++
		}
		a = sum["now"] / n["now"]; b = sum["before"] / n["before"]
		printf "mean of the medians: now %.3f ms, before %.3f ms (%.3f);" \
		    " now faster in %d rounds, slower in %d\n", a, b, a / b,
		    faster, slower
		if (bad > 0) { print "FAIL: " bad " answers were not 2xx"; exit 1 }
		if (a > b * slack) {
			printf "FAIL: a lone client is slower than before" \
			    " (bound %.2f)\n", slack
			exit 1
		}
		printf "PASS: a lone client is no slower than before (bound %.2f)\n",
		    slack
	}' "$results"

# bench/serve.sh, sourced by the benches: the service started for a bench
# in its shipped configuration (tools/serve.sh), and stopped when the bench
# ends, by PID.
#
#   bench_unlimited			no rate limit within reach of one
#					address (the caller's own values win)
#   bench_serve PORT VAR LOG [NAME=VALUE...]
#					start it on PORT, its files under VAR,
#					its log to LOG, with these variables
#					too; back once /healthz answers (the
#					log, and exit 1, if it dies first)
#   bench_stop				stop every one started
#   bench_survey_body ID			the body of an open survey ID with
#					public results: an agreement question
#					and up to three objectives

bench_pids=()

bench_unlimited() {
	export CIVIC_RATELIMIT_KEY=${CIVIC_RATELIMIT_KEY:-10000000}
	export CIVIC_RATELIMIT_ADDRESS=${CIVIC_RATELIMIT_ADDRESS:-10000000}
	export CIVIC_RATELIMIT_PUBLIC=${CIVIC_RATELIMIT_PUBLIC:-10000000}
}

bench_serve() {
	local port=$1 var=$2 log=$3 pid
	shift 3
	env "$@" CIVIC_PORT="$port" CIVIC_DOCS_DIR=build/docs CIVIC_VAR="$var" \
	    tools/serve.sh >"$log" 2>&1 &
	pid=$!
	bench_pids+=("$pid")
	for _ in $(seq 1 100); do
		curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null &&
		    return 0
		kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
		sleep 0.1
	done
}

bench_stop() {
	local pid
	for pid in "${bench_pids[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid"
			wait "$pid" 2>/dev/null
		fi
	done
	bench_pids=()
}

bench_survey_body() {
	cat <<JSON
{"id":"$1","plan":"independence-2021","title":"Benchmark $1",
 "opens_at":"2000-01-01T00:00:00Z","closes_at":"2999-01-01T00:00:00Z",
 "status":"open","results_visibility":"public",
 "questions":[{"id":"right-plan","prompt":"Right plan?","type":"agreement"},
  {"id":"top-priorities","prompt":"Top three?","type":"objectives","min":1,"max":3}]}
JSON
}

#!/usr/bin/env bash
#
# fuzz.sh HARNESS...: run each libFuzzer harness (built by make fuzz-build
# into $FUZZ_DIR/bin) for $FUZZ_SECONDS, one after another, on a copy of
# its seeds (tests/fuzz/corpus/HARNESS/, never written) with its dictionary
# (tests/fuzz/HARNESS.dict) if it has one.  One line per harness (its
# executions and crashes), then a summary line; exits 1 if any harness
# crashed, leaked, timed out, broke an invariant or made a sanitizer report.
#
#   FUZZ_DIR	 where the binaries are and what a run leaves (var/fuzz):
#		 corpus/HARNESS/ (seeds and what was found), crashes/HARNESS/
#		 (the inputs that broke it), logs/HARNESS.log
#   FUZZ_SECONDS time per harness (60)
#   FUZZ_TIMEOUT seconds one input may take before it counts as a hang (25:
#		 wall-clock time, on a machine that may be loaded)
#   FUZZ_ARGS	 more libFuzzer flags (e.g. -max_len=8192), after the
#		 harness's own (tests/fuzz/HARNESS.options: one flag per
#		 line, # comments, each saying why)
set -uo pipefail

FUZZ_DIR=${FUZZ_DIR:-var/fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-25}
FUZZ_ARGS=${FUZZ_ARGS:-}

# Any sanitizer report is fatal; leaks are looked for.  A quarantine of
# 16 MB (not 256) of freed memory, never handed back to the kernel: each
# malloc then reuses memory instead of faulting in new pages, which on this
# kind of machine halves the cost of a cheap input.  A use after free within
# one input (a few KB) is caught all the same.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:quarantine_size_mb=16:allocator_release_to_os_interval_ms=-1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

total_execs=0
total_crashes=0
failed=()

for h in "$@"; do
	bin=$FUZZ_DIR/bin/$h
	seeds=tests/fuzz/corpus/$h
	work=$FUZZ_DIR/corpus/$h
	crashes=$FUZZ_DIR/crashes/$h
	log=$FUZZ_DIR/logs/$h.log
	if [ ! -x "$bin" ]; then
		echo "fuzz.sh: no $bin (make fuzz-build)" >&2
		exit 2
	fi
	mkdir -p "$work" "$crashes" "$(dirname "$log")"
	if [ -d "$seeds" ]; then
		cp "$seeds"/* "$work"/ 2>/dev/null
	fi
	dict=()
	[ -f "tests/fuzz/$h.dict" ] && dict=(-dict="tests/fuzz/$h.dict")
	opts=()
	if [ -f "tests/fuzz/$h.options" ]; then
		mapfile -t opts < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' \
		    -e '/^$/d' "tests/fuzz/$h.options")
	fi
	stamp=$FUZZ_DIR/logs/$h.start
	touch "$stamp"

	# shellcheck disable=SC2086
	"$bin" -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" \
	    -print_final_stats=1 -artifact_prefix="$crashes/" "${dict[@]}" "${opts[@]}" \
	    $FUZZ_ARGS "$work" >"$log" 2>&1
	rc=$?

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	if [ -z "$execs" ]; then
		execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
	fi
	execs=${execs:-0}
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	# What broke it (crash-, leak-, timeout-, oom-), not a slow-unit-.
	ncrash=$(find "$crashes" -type f -newer "$stamp" ! -name 'slow-unit-*' |
	    wc -l)
	reports=$(grep -c -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant failed|SUMMARY: ' "$log")
	corpus=$(find "$work" -type f | wc -l)

	status=ok
	if [ "$rc" -ne 0 ] || [ "$ncrash" -gt 0 ] || [ "$reports" -gt 0 ]; then
		status=FAILED
		failed+=("$h")
		[ "$ncrash" -eq 0 ] && ncrash=1
	fi
	printf 'fuzz %-20s %11s execs  %7s/s  %s crashes  %6s inputs  %s\n' \
	    "$h" "$execs" "${speed:-?}" "$ncrash" "$corpus" "$status"
	if [ "$status" != ok ]; then
		grep -m 5 -E 'ERROR:|runtime error:|invariant failed|SUMMARY:|Test unit written' "$log" | sed 's/^/    /'
		find "$crashes" -type f -newer "$stamp" ! -name 'slow-unit-*' |
		    sed 's/^/    input: /'
		echo "    log: $log; again: $bin <input>"
	fi
	total_execs=$((total_execs + execs))
	total_crashes=$((total_crashes + ncrash))
done

if [ ${#failed[@]} -eq 0 ]; then
	echo "fuzz: $# harnesses, $total_execs execs, 0 crashes, ${FUZZ_SECONDS} s each: ok"
	exit 0
fi
echo "fuzz: $# harnesses, $total_execs execs, $total_crashes crashes (${failed[*]}), ${FUZZ_SECONDS} s each: FAILED"
exit 1

#!/usr/bin/env bash
#
# sanitize.sh BUILD: the whole suite (tools/test.sh) against the sanitizer
# build in BUILD (make sanitize builds it there first), then a search of
# everything the suite printed and of the server's log for sanitizer
# reports.  Any report fails the run, and is shown.
#
# Where reports go: each sanitized process writes its reports to its
# standard error.  The unit tests (Criterion runs each test in a child)
# and the admin tool write into the suite's output (var/sanitize.out);
# Kore's parent and its workers into the server's log
# (var/sanitize-server.log), restarted workers too, since each is forked
# from the parent with the same descriptors.  LeakSanitizer reports when a
# process exits: the log is read after the server has stopped, and only if
# the parent got to its last line ("goodbye"), after its workers exited.
# A report does not always fail a test (Criterion counts a test that
# leaked as passed), hence the search.
#
# Kore runs with the sanitizer runtimes preloaded (they must come first),
# without chroot (-n: the sanitizers read /proc, which var/ does not have)
# and with the module's seccomp filter relaxed (-DCIVIC_SANITIZE, see
# src/app.c).  tools/lsan.supp names the leaks that are Kore's own.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)

BUILD=${1:-build/sanitize}
OUT=var/sanitize.out
LOG=var/sanitize-server.log
CC=${CC:-cc}

runtime() {
	local f
	f=$("$CC" -print-file-name="$1")
	[ -f "$f" ] || { echo "sanitize.sh: no $1 ($CC -print-file-name)" >&2; exit 1; }
	printf '%s\n' "$f"
}
asan=$(runtime libasan.so) || exit 1
ubsan=$(runtime libubsan.so) || exit 1
for f in "$BUILD/civicplan.so" "$BUILD/unit-tests" "$BUILD/civic-admin" \
    "$BUILD/sanitize-preload.so"; do
	[ -f "$f" ] || { echo "sanitize.sh: no $f: run make sanitize" >&2; exit 1; }
done

# Stop at the first error (UBSan's too: the code is built with
# -fno-sanitize-recover=all).  fast_unwind_on_malloc=0: Kore is built
# without frame pointers, and only the slow unwinder sees past kore_malloc()
# to the Kore function that allocated (tools/lsan.supp names those).
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:fast_unwind_on_malloc=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/tools/lsan.supp
export CIVIC_BUILD=$BUILD CIVIC_TEST_LOG=$LOG
export CIVIC_KORE_PRELOAD=$asan:$ubsan:$root/$BUILD/sanitize-preload.so
export CIVIC_KORE_FLAGS=-n

mkdir -p var
started=$(date +%s)
tools/test.sh 2>&1 | tee "$OUT"
rc=${PIPESTATUS[0]}
echo "== sanitizer reports (suite: $OUT, server: $LOG)"

# A report's first line, and where it ends (SUMMARY: ...).
first='==[0-9]+==ERROR: (AddressSanitizer|LeakSanitizer)|==[0-9]+==WARNING: (AddressSanitizer|LeakSanitizer)|: runtime error: |Sanitizer CHECK failed|LeakSanitizer has encountered a fatal error'
reports=0
for f in "$OUT" "$LOG"; do
	[ -f "$f" ] || continue
	n=$(grep -Ec "$first" "$f")
	[ "$n" -eq 0 ] && continue
	reports=$((reports + n))
	echo "-- $n in $f:"
	awk -v re="$first" '
		$0 ~ re { on = 1; lines = 0 }
		on && lines < 80 { print; lines++ }
		on && /^SUMMARY: / { on = 0; print "" }
	' "$f" | head -n 400
done

status=0
if [ "$reports" -gt 0 ]; then
	echo "sanitize: $reports sanitizer report(s)"
	status=1
fi
if ! grep -q '^\[parent\]: goodbye' "$LOG" 2>/dev/null; then
	echo "sanitize: the server did not finish its shutdown (no \"goodbye\" in $LOG):" \
	    "its leak checks did not all run"
	status=1
fi
if [ "$rc" -ne 0 ]; then
	echo "sanitize: the suite failed (exit $rc)"
	status=1
fi
[ "$status" -eq 0 ] && echo "sanitize: no sanitizer report"
echo "sanitize: $(( $(date +%s) - started )) s"
exit "$status"

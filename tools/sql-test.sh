#!/usr/bin/env bash
#
# sql-test.sh CONNINFO: the tests of the rules that live in SQL
# (tests/sql/*_test.sql, with pgTAP), against a migrated database.  The
# role must be a superuser (pgTAP is an untrusted extension); each test file
# runs in one transaction that it rolls back.  Prints each failure, then
# "sql: N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

[ $# -eq 1 ] || { echo "usage: sql-test.sh CONNINFO" >&2; exit 2; }
url=$1

psql -X -q -v ON_ERROR_STOP=1 "$url" \
    -c "SET client_min_messages = warning" \
    -c "CREATE EXTENSION IF NOT EXISTS pgtap" || exit 1

passed=0
failed=0
for f in tests/sql/*_test.sql; do
	out=$(psql -X -q -tA -v ON_ERROR_STOP=1 "$url" -f "$f" 2>&1)
	rc=$?
	ok=$(grep -c '^ok ' <<<"$out")
	bad=$(grep -c '^not ok ' <<<"$out")
	planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$out" | head -n 1)
	passed=$((passed + ok))
	failed=$((failed + bad))
	if [ "$rc" -ne 0 ] || [ "$bad" -ne 0 ] || [ "${planned:-0}" -ne $((ok + bad)) ] ||
	    grep -q '^# Looks like' <<<"$out"; then
		echo "sql: $f failed (exit $rc, planned ${planned:-?}, ran $((ok + bad))):"
		grep -Ev '^(ok |\\x|[0-9]+$|$)' <<<"$out" | sed 's/^/    /'
		[ "$bad" -eq 0 ] && failed=$((failed + 1))
	fi
done
echo "sql: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

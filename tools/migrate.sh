#!/usr/bin/env bash
#
# migrate.sh CONNINFO: apply the numbered migrations in sql/ in order, each once.
#
# Applied migrations are recorded in schema_migrations.  Each migration runs in
# one transaction together with its record, under an advisory lock, so two
# concurrent runs cannot apply the same file twice.  Released migrations are
# never edited: a change is a new file.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: migrate.sh CONNINFO" >&2; exit 1; }
url=$1
top=$(cd "$(dirname "$0")/.." && pwd)

psql_() { psql -X -q -v ON_ERROR_STOP=1 "$url" "$@"; }

psql_ -c "CREATE TABLE IF NOT EXISTS schema_migrations (
	version		text PRIMARY KEY,
	applied_at	timestamptz NOT NULL DEFAULT now())" 2>&1 | grep -v '^NOTICE' || true

applied=0
for f in "$top"/sql/[0-9][0-9][0-9]_*.sql; do
	v=$(basename "$f" .sql)
	done_=$(psql_ -tAc "SELECT 1 FROM schema_migrations WHERE version = '$v'")
	[ -n "$done_" ] && continue
	# The lock and the re-check run inside the migration's own transaction.
	psql_ -1 \
	    -c "SELECT pg_advisory_xact_lock(7101)" \
	    -c "INSERT INTO schema_migrations (version) VALUES ('$v')" \
	    -f "$f" >/dev/null
	echo "migrate: applied $v"
	applied=$((applied + 1))
done
echo "migrate: $applied applied, schema up to date"

#!/usr/bin/env bash
#
# tests/sql/takeover.sh SOCKDIR PORT: a database made by the numbered
# migrations of before (up to 016_strict_values, when functions and
# tables still shared files) is taken over by tools/migrate.sh with no data
# lost, and then has exactly the API of a new database.
#
# The dump tests/sql/fixtures/at-016.sql was made at 016 with rows in every
# table (tests/sql/fixtures/at-016.populate.sql, through that version's own
# functions and by plain SQL).  It is loaded into a scratch database of the
# throwaway cluster, every table's rows are fingerprinted, the database is
# migrated, and the fingerprints must be the same; its functions, views and
# triggers must be those of the suite's database (migrated from nothing),
# and the SQL tests must pass on it.  Prints "takeover: ok" or the
# differences; exits non-zero on any.
set -uo pipefail
cd "$(dirname "$0")/../.."

[ $# -eq 2 ] || { echo "usage: takeover.sh SOCKDIR PORT" >&2; exit 2; }
sock=$1
port=$2
db=civicplan_before
su="host=$sock port=$port user=postgres"
url="host=$sock port=$port dbname=$db user=civicplan"
fresh="host=$sock port=$port dbname=civicplan user=civicplan"
fail=0

q() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -tA -v ON_ERROR_STOP=1 "$@"; }

q "$su dbname=postgres" -c "DROP DATABASE IF EXISTS $db" \
    -c "CREATE DATABASE $db OWNER civicplan" >/dev/null || exit 1
trap 'q "$su dbname=postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
q "$url" -f tests/sql/fixtures/at-016.sql >/dev/null || exit 1

# The tables and columns of the database as it was made (table.column, comma
# separated): what a later migration adds (a column, a table) is not data of
# before.
columns() {
	q "$1" -c "SELECT string_agg(c.relname || '.' || a.attname, ',')
	    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
	    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
	    AND a.attnum > 0 AND NOT a.attisdropped"
}

# Every table's rows (but the migrations' own record), as one digest each,
# of the columns in $2 (columns()).
rows() {
	q "$1" -v cols="$2" <<'SQL'
SELECT set_config('civic.cols', :'cols', false) \gset
DO $$
DECLARE
	t	text;
	sel	text;
BEGIN
	CREATE TEMP TABLE fp (tbl text, n bigint, digest text);
	FOR t IN SELECT c.relname FROM pg_class c
	    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
	    AND c.relname NOT IN ('schema_migrations', 'schema_api')
	    ORDER BY 1
	LOOP
		SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
		INTO sel FROM pg_attribute a
		WHERE a.attrelid = format('%I', t)::regclass AND a.attnum > 0
		AND NOT a.attisdropped AND t || '.' || a.attname =
		    ANY (string_to_array(current_setting('civic.cols'), ','));
		CONTINUE WHEN sel IS NULL;
		EXECUTE format('INSERT INTO fp SELECT %L, count(*), '
		    'md5(COALESCE(string_agg(x::text, E''\n'' ORDER BY x::text), '''')) '
		    'FROM (SELECT %s FROM %I) x', t, sel, t);
	END LOOP;
END
$$;
SELECT tbl || ' ' || n || ' ' || digest FROM fp ORDER BY tbl;
SQL
}

# The API's objects: functions with their text, views, triggers.
api() {
	q "$1" <<'SQL'
SELECT 'function ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid))
FROM pg_proc p
WHERE p.pronamespace = 'public'::regnamespace AND p.prokind = 'f'
AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
    AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT 'view ' || c.relname || ' ' || md5(pg_get_viewdef(c.oid))
FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v'
AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
    AND d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT 'trigger ' || t.tgrelid::regclass || '.' || t.tgname || ' ' ||
    md5(pg_get_triggerdef(t.oid))
FROM pg_trigger t WHERE NOT t.tgisinternal
ORDER BY 1;
SQL
}

cols=$(columns "$url") || exit 1
before=$(rows "$url" "$cols") || exit 1
versions=$(q "$url" -c "SELECT count(*) FROM schema_migrations")
tools/migrate.sh "$url" >/dev/null || { echo "takeover: migrate failed"; exit 1; }
after=$(rows "$url" "$cols") || exit 1

if [ "$before" != "$after" ]; then
	echo "takeover: rows changed:"
	diff <(echo "$before") <(echo "$after") | sed 's/^/    /'
	fail=1
fi
n=$(wc -l <<<"$before")
total=$(awk '{ s += $2 } END { print s }' <<<"$before")

recorded=$(q "$url" -c "SELECT count(*) FILTER (WHERE checksum IS NOT NULL) || '/' ||
    count(*) FROM schema_migrations")
want=$(ls sql/schema/*.sql | wc -l)
if [ "$recorded" != "$want/$want" ]; then
	echo "takeover: schema_migrations records $recorded with checksums, want $want/$want"
	fail=1
fi

if [ "$(api "$url")" != "$(api "$fresh")" ]; then
	echo "takeover: the API differs from a new database's:"
	diff <(api "$fresh") <(api "$url") | sed 's/^/    /' | head -40
	fail=1
fi

if ! tools/sql-test.sh "$su dbname=$db" >/dev/null; then
	echo "takeover: the SQL tests fail on the database taken over:"
	tools/sql-test.sh "$su dbname=$db" | sed 's/^/    /'
	fail=1
fi

if [ $fail -eq 0 ]; then
	echo "takeover: ok ($versions versions of before, $n tables, $total rows kept;" \
	    "the API as a new database's; the SQL tests pass on it)"
fi
exit $fail

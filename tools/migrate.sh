#!/usr/bin/env bash
#
# migrate.sh CONNINFO: bring a database to this checkout's schema and API.
#
# sql/ holds two kinds of file:
#
#   sql/schema/NNN_*.sql  the data's shape: tables, types, indexes and seed
#                         rows.  Each is applied once, in order, and recorded
#                         in schema_migrations with its SHA-256.  An applied
#                         file is never edited: one whose checksum changed
#                         is refused, by name, and nothing is applied.  A
#                         change is a new file.
#   sql/api/*.sql         the behaviour: every function, view and trigger,
#                         one file per area.  They are dropped and made
#                         again whenever any of them changed (their combined
#                         SHA-256 is kept in schema_api), so a rule has one
#                         current text and changing it is an edit.
#
# Everything runs in one transaction, under an advisory lock: the API is
# dropped, the pending schema files are applied (they must not call the API:
# it is gone while they run), the API is made again.  A failure anywhere
# leaves the database as it was.  Every function and view in the schema
# public that no extension owns belongs to the service and is dropped.
#
# A database made by the numbered migrations of before (sql/001 to 016,
# which mixed the two kinds) is taken over as it is: the versions whose
# shape lives on in sql/schema are recorded with their checksum, the others
# are retired, and the API is made from sql/api.
#
# Environment: MIGRATE_FORCE=1 makes the API again even when unchanged.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: migrate.sh CONNINFO" >&2; exit 1; }
url=$1
top=$(cd "$(dirname "$0")/.." && pwd)

psql_() { psql -X -q -v ON_ERROR_STOP=1 "$url" "$@"; }
sum() { sha256sum "$@" | cut -d' ' -f1; }

schema=("$top"/sql/schema/[0-9][0-9][0-9]_*.sql)
api=("$top"/sql/api/*.sql)
# The order the API files are made in: what the others use comes first.
api_order=(common keys progress content tallies responses surveys plans audit)
[ ${#api[@]} -eq ${#api_order[@]} ] ||
    { echo "migrate: sql/api has files that api_order does not list" >&2; exit 1; }
api_sum=$(for a in "${api_order[@]}"; do cat "$top/sql/api/$a.sql"; done | sum -)

# Versions of before whose shape now lives in sql/schema under the same
# name, and those whose content was all behaviour (now in sql/api).
retired="'003_api_views', '007_survey_results_view', '009_partner_api',
	'010_survey_writes', '013_plan_writes', '014_submit_fewer_statements',
	'015_submit_one_statement', '016_strict_values'"

script=$(mktemp)
trap 'rm -f "$script"' EXIT

{
	cat <<EOF
\\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
SELECT pg_advisory_xact_lock(7101) AS locked \gset
CREATE TABLE IF NOT EXISTS schema_migrations (
	version		text PRIMARY KEY,
	applied_at	timestamptz NOT NULL DEFAULT now());
ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text;
CREATE TABLE IF NOT EXISTS schema_api (
	id		integer PRIMARY KEY CHECK (id = 1),
	checksum	text NOT NULL,
	applied_at	timestamptz NOT NULL DEFAULT now());
DELETE FROM schema_migrations WHERE checksum IS NULL AND version IN ($retired);
EOF
	for f in "${schema[@]}"; do
		v=$(basename "$f" .sql)
		c=$(sum "$f")
		cat <<EOF
UPDATE schema_migrations SET checksum = '$c'
	WHERE version = '$v' AND checksum IS NULL;
DO \$\$ BEGIN
	IF EXISTS (SELECT 1 FROM schema_migrations
	    WHERE version = '$v' AND checksum <> '$c') THEN
		RAISE EXCEPTION 'sql/schema/$v.sql was edited after it was applied'
		    USING HINT = 'An applied schema file is never edited: put the change in a new file, and restore this one (git log sql/schema/$v.sql).';
	END IF;
END \$\$;
EOF
	done
	cat <<EOF
DO \$\$ BEGIN
	IF EXISTS (SELECT 1 FROM schema_migrations WHERE checksum IS NULL) THEN
		RAISE EXCEPTION 'schema_migrations records versions this checkout does not have: %',
		    (SELECT string_agg(version, ', ') FROM schema_migrations
		    WHERE checksum IS NULL);
	END IF;
END \$\$;
SELECT count(*) AS pending FROM (VALUES $(
	sep=
	for f in "${schema[@]}"; do
		printf "%s('%s')" "$sep" "$(basename "$f" .sql)"
		sep=", "
	done)) AS f (v)
	WHERE v NOT IN (SELECT version FROM schema_migrations) \\gset
SELECT :pending > 0 OR NOT EXISTS (SELECT 1 FROM schema_api
	WHERE checksum = '$api_sum') OR '${MIGRATE_FORCE:-0}' = '1' AS remake \\gset
\\if :remake
DO \$\$
DECLARE
	o	text;
	v	oid;
BEGIN
	-- A view dropped with another's CASCADE is skipped.
	FOR v IN SELECT c.oid FROM pg_class c
	    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v'
	    AND NOT EXISTS (SELECT 1 FROM pg_depend d
		WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
		AND d.deptype = 'e')
	LOOP
		IF EXISTS (SELECT 1 FROM pg_class WHERE oid = v) THEN
			EXECUTE format('DROP VIEW IF EXISTS %s CASCADE',
			    v::regclass);
		END IF;
	END LOOP;
	FOR o IN SELECT format('DROP FUNCTION IF EXISTS %s CASCADE',
		p.oid::regprocedure)
	    FROM pg_proc p
	    WHERE p.pronamespace = 'public'::regnamespace AND p.prokind = 'f'
	    AND NOT EXISTS (SELECT 1 FROM pg_depend d
		WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
		AND d.deptype = 'e')
	LOOP
		EXECUTE o;
	END LOOP;
	DROP TYPE IF EXISTS api_result CASCADE;
END
\$\$;
\\endif
EOF
	for f in "${schema[@]}"; do
		v=$(basename "$f" .sql)
		cat <<EOF
SELECT NOT EXISTS (SELECT 1 FROM schema_migrations WHERE version = '$v')
	AS todo \\gset
\\if :todo
\\echo migrate: applying sql/schema/$v.sql
\\i '$f'
INSERT INTO schema_migrations (version, checksum) VALUES ('$v', '$(sum "$f")');
\\endif
EOF
	done
	cat <<EOF
\\if :remake
\\echo migrate: making the API from sql/api
SET check_function_bodies = off;
EOF
	for a in "${api_order[@]}"; do
		echo "\\i '$top/sql/api/$a.sql'"
	done
	cat <<EOF
RESET check_function_bodies;
INSERT INTO schema_api (id, checksum) VALUES (1, '$api_sum')
	ON CONFLICT (id) DO UPDATE SET checksum = EXCLUDED.checksum,
	applied_at = now();
\\endif
COMMIT;
EOF
} >"$script"

if ! out=$(psql_ -f "$script" 2>&1); then
	printf '%s\n' "$out" >&2
	echo "migrate: failed, nothing changed" >&2
	exit 1
fi
[ -z "$out" ] || printf '%s\n' "$out"
echo "migrate: schema and API up to date"

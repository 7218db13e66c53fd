#!/usr/bin/env bash
#
# db.sh up:    the database the service uses is running and migrated.
# db.sh url:   print its connection string.
# db.sh serve: exec the server against it, in the foreground.
#
# With DATABASE_URL set, that database is used as it is; otherwise the
# private cluster in $RUN_PG_DIR (durable settings) is created and started.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_PG_DIR=${RUN_PG_DIR:-var/pg}
RUN_PG_PORT=${RUN_PG_PORT:-5433}

url() {
	if [ -n "${DATABASE_URL:-}" ]; then
		printf '%s\n' "$DATABASE_URL"
	else
		tools/pg.sh url "$RUN_PG_DIR" "$RUN_PG_PORT"
	fi
}

case "${1:-}" in
up)
	if [ -z "${DATABASE_URL:-}" ]; then
		tools/pg.sh start "$RUN_PG_DIR" "$RUN_PG_PORT" durable
	fi
	tools/migrate.sh "$(url)"
	;;
url)
	url
	;;
serve)
	export DATABASE_URL
	DATABASE_URL=$(url)
	export CIVIC_DOCS_DIR=${CIVIC_DOCS_DIR:-build/docs}
	echo "civicplan: serving on http://${CIVIC_BIND:-127.0.0.1}:${CIVIC_PORT:-8888} (Ctrl-C stops)"
	exec tools/serve.sh
	;;
*)
	echo "usage: db.sh up|url|serve" >&2
	exit 1
	;;
esac

#!/usr/bin/env bash
#
# bench/export.sh: what a whole-survey export costs (bench/export-probe.py),
# against the server in its shipped configuration (conf/app.conf) and a
# throwaway cluster of its own in var/export-bench-pg (100,000 responses are
# loaded and thrown away with it).  make export-bench runs it.
#
#   EXPORT_BENCH_PORT     where the server listens (8896)
#   EXPORT_BENCH_PG_PORT  the cluster's port (5436)
#   EXPORT_BENCH_ROWS     responses loaded (100000)
#
# Exits non-zero if the probe fails (an incomplete export, a plan request
# not answered, a worker that grew by 50 MB or more).
set -uo pipefail
cd "$(dirname "$0")/.."

PORT=${EXPORT_BENCH_PORT:-8896}
PG_PORT=${EXPORT_BENCH_PG_PORT:-5436}
ROWS=${EXPORT_BENCH_ROWS:-100000}
PG_DIR=var/export-bench-pg
VAR=var/export-bench
LOG=var/export-bench-server.log

. bench/serve.sh
cleanup() {
	bench_stop
	tools/pg.sh stop "$PG_DIR" >/dev/null 2>&1 || true
	rm -rf "$PG_DIR"
}
trap cleanup EXIT

mkdir -p var
tools/pg.sh crash "$PG_DIR" >/dev/null 2>&1 || true
rm -rf "$PG_DIR"
tools/pg.sh start "$PG_DIR" "$PG_PORT" throwaway >/dev/null || exit 1
url=$(tools/pg.sh url "$PG_DIR" "$PG_PORT")
tools/migrate.sh "$url" >/dev/null || exit 1
key=$(DATABASE_URL=$url build/civic-admin create-key --name "export bench" \
    --role admin 2>/dev/null) || { echo "cannot make an admin key"; exit 1; }

bench_serve "$PORT" "$VAR" "$LOG" DATABASE_URL="$url"

echo "== export of $ROWS responses, CSV then NDJSON (bench/export-probe.py)"
/usr/bin/python3 bench/export-probe.py --url "http://127.0.0.1:$PORT" \
    --pidfile "$VAR/kore.pid" --database "$url" --key "$key" --rows "$ROWS"

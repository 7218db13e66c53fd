#!/usr/bin/env bash
#
# failover.sh ENV_FILE REPLICA_DIR REPLICA_PORT: the replica becomes the
# primary, and the instances' environment names it.
#
# Run it once the primary is gone (crashed, or stopped with pg_ctl stop -m
# immediate) and must stay gone: it is fenced by the operator (its host off,
# or its data directory moved away) before this runs, so that two primaries
# never take writes.  Then:
#   1. the replica is promoted (pg_ctl promote) and waited for until it
#      takes writes;
#   2. ENV_FILE (the instances' DATABASE_URL, DATABASE_READ_URL) is
#      rewritten: DATABASE_URL names the new primary, and reads go to it
#      too until a new replica is made (replica.sh make);
#   3. the instances are restarted one at a time with it (docs/deploy.md:
#      systemctl restart civicplan@N, each drained through nginx): that step
#      is the caller's, as it depends on how the instances run.
# With synchronous replication on, every commit acknowledged before the
# crash is on the new primary.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -eq 3 ] || { echo "usage: failover.sh ENV_FILE REPLICA_DIR REPLICA_PORT" >&2; exit 1; }
env_file=$1 rdir=$2 rport=$3

tools/replica.sh promote "$rdir"
url=$(tools/pg.sh url "$rdir" "$rport")
tmp=$env_file.tmp
{
	grep -v -e '^DATABASE_URL=' -e '^DATABASE_READ_URL=' "$env_file" 2>/dev/null || true
	printf 'DATABASE_URL=%s\n' "$url"
} >"$tmp"
mv "$tmp" "$env_file"
echo "failover.sh: $rdir is the primary; $env_file names it"

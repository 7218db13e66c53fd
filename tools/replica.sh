#!/usr/bin/env bash
#
# replica.sh: a physical streaming replica of a private cluster (pg.sh), on
# loopback, under the repository's var/.
#
#   replica.sh make PRIMARY_DIR PRIMARY_PORT REPLICA_DIR REPLICA_PORT
#	pg_basebackup of the running primary into REPLICA_DIR, with its own
#	replication slot (WAL is kept for it while it is away) and
#	application_name civic_replica, then started; waits until it streams
#   replica.sh sync on|off PRIMARY_DIR PRIMARY_PORT
#	synchronous replication: a commit on the primary is acknowledged only
#	once the replica has it on disk (synchronous_standby_names)
#   replica.sh promote REPLICA_DIR
#	make the replica a primary (pg_ctl promote); waits until it takes
#	writes
#   replica.sh lag PRIMARY_DIR PRIMARY_PORT
#	the replica's write, flush and replay lag as the primary sees them
set -euo pipefail
cd "$(dirname "$0")/.."

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
NAME=civic_replica

die() { echo "replica.sh: $*" >&2; exit 1; }
as_pg() { (cd / && runuser -u postgres -- "$@"); }
sql() {	# DIR PORT SQL: as the superuser, over the cluster's socket
	psql -X -q -h "$(tools/pg.sh sockdir "$1")" -p "$2" -U postgres -d postgres \
	    -v ON_ERROR_STOP=1 -tAc "$3"
}

make_replica() {
	local pdir=$1 pport=$2 rdir rport=$4 psock rsock i
	rdir=$(realpath -m "$3")
	psock=$(tools/pg.sh sockdir "$pdir")
	[ ! -f "$rdir/data/PG_VERSION" ] || die "$rdir already holds a cluster"
	mkdir -p "$rdir"
	chown postgres: "$rdir"
	chmod 755 "$rdir"
	if [ -z "$(sql "$pdir" "$pport" "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$NAME'")" ]; then
		sql "$pdir" "$pport" "SELECT pg_create_physical_replication_slot('$NAME')" >/dev/null
	fi
	# The local socket trusts local users for replication (initdb's
	# pg_hba.conf): nothing secret is written anywhere.
	as_pg "$PGBIN/pg_basebackup" -h "$psock" -p "$pport" -U postgres \
	    -D "$rdir/data" -X stream -c fast -R -S "$NAME"
	rsock=$(tools/pg.sh sockdir "$rdir")
	{
		echo "# civicplan (streaming replica of $pdir)"
		echo "port = $rport"
		echo "unix_socket_directories = '$rsock'"
		echo "hot_standby = on"
		echo "hot_standby_feedback = on"
		echo "primary_conninfo = 'host=$psock port=$pport user=postgres application_name=$NAME'"
		echo "primary_slot_name = '$NAME'"
	} | as_pg tee -a "$rdir/data/postgresql.conf" >/dev/null
	# pg_basebackup -R wrote its own primary_conninfo there: ours wins.
	as_pg sed -i '/^primary_conninfo/d' "$rdir/data/postgresql.auto.conf"
	as_pg cp "$pdir/mode" "$rdir/mode" 2>/dev/null || true
	tools/pg.sh start "$rdir" "$rport"
	for i in $(seq 1 300); do
		[ "$(sql "$pdir" "$pport" "SELECT count(*) FROM pg_stat_replication WHERE application_name = '$NAME' AND state = 'streaming'")" = 1 ] && return 0
		sleep 0.1
	done
	die "the replica in $rdir does not stream (see $rdir/postgres.log)"
}

sync_mode() {
	local mode=$1 pdir=$2 pport=$3
	case "$mode" in
	on)	sql "$pdir" "$pport" "ALTER SYSTEM SET synchronous_standby_names = '$NAME'" ;;
	off)	sql "$pdir" "$pport" "ALTER SYSTEM RESET synchronous_standby_names" ;;
	*)	die "sync on|off" ;;
	esac
	sql "$pdir" "$pport" "SELECT pg_reload_conf()" >/dev/null
	# The setting is the postmaster's once every backend reloaded it;
	# the replica is "sync" once the primary counts it so.
	local want=async i
	[ "$mode" = on ] && want=sync
	for i in $(seq 1 300); do
		[ "$(sql "$pdir" "$pport" "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$NAME'")" = "$want" ] && return 0
		sleep 0.1
	done
	die "the replica is not $want after 30 s"
}

promote() {
	local rdir i port
	rdir=$(realpath -m "$1")
	as_pg "$PGBIN/pg_ctl" -D "$rdir/data" -w -t 60 promote >/dev/null
	port=$(sed -n 4p "$rdir/data/postmaster.pid")
	for i in $(seq 1 600); do
		[ "$(sql "$rdir" "$port" "SELECT pg_is_in_recovery()")" = f ] && return 0
		sleep 0.1
	done
	die "$rdir still in recovery after 60 s"
}

case "${1:-}" in
make)	[ $# -eq 5 ] || die "make PRIMARY_DIR PRIMARY_PORT REPLICA_DIR REPLICA_PORT"
	make_replica "$2" "$3" "$4" "$5" ;;
sync)	[ $# -eq 4 ] || die "sync on|off PRIMARY_DIR PRIMARY_PORT"
	sync_mode "$2" "$3" "$4" ;;
promote) [ $# -eq 2 ] || die "promote REPLICA_DIR"
	promote "$2" ;;
lag)	[ $# -eq 3 ] || die "lag PRIMARY_DIR PRIMARY_PORT"
	sql "$2" "$3" "SELECT application_name, sync_state, write_lag, flush_lag, replay_lag FROM pg_stat_replication" ;;
*)	die "usage: replica.sh make|sync|promote|lag ..." ;;
esac

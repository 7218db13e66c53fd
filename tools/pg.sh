#!/usr/bin/env bash
#
# pg.sh: a private PostgreSQL 15 cluster kept in a directory of the repository.
#
#   pg.sh start DIR PORT [durable|throwaway]   create (once) and start; wait until ready
#   pg.sh stop DIR                             fast shutdown
#   pg.sh crash DIR                            immediate shutdown (as a crash would)
#   pg.sh url DIR PORT                         print the service's conninfo (unix socket)
#   pg.sh sockdir DIR                          print the socket directory
#
# PostgreSQL refuses to run as root: initdb and pg_ctl run as the postgres user.
# A durable cluster keeps fsync and synchronous_commit on; a throwaway one (tests)
# turns them off.  The role and database "civicplan" are created with password
# "civicplan" for TCP clients on loopback (the container test); the unix socket
# trusts local users.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DBNAME=civicplan
DBUSER=civicplan

die() { echo "pg.sh: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: pg.sh start|stop|crash|url|sockdir DIR [PORT] [mode]"
cmd=$1
dir=$(realpath -m "$2")
data=$dir/data

# The socket path must fit in 107 bytes: keep it under the cluster when short
# enough, else fall back to a short directory named after the cluster's path.
sockdir() {
	local s=$dir/sock
	if [ ${#s} -gt 80 ]; then
		s=/tmp/civicplan-pg-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)
	fi
	printf '%s\n' "$s"
}

as_pg() { (cd / && runuser -u postgres -- "$@"); }

running() {
	[ -f "$data/postmaster.pid" ] || return 1
	local port sock
	port=$(sed -n 4p "$data/postmaster.pid" 2>/dev/null)
	sock=$(sockdir)
	"$PGBIN/pg_isready" -q -h "$sock" -p "$port" >/dev/null 2>&1
}

init_cluster() {
	local port=$1 mode=$2 sock
	sock=$(sockdir)
	id postgres >/dev/null 2>&1 || die "no postgres user: install postgresql-15"
	mkdir -p "$dir" "$sock"
	chown postgres: "$dir" "$sock"
	if ! as_pg test -x "$dir"; then
		# Name the outermost directory it cannot pass (e.g. /root, 0700).
		local p=$dir
		while [ "$p" != / ] && ! as_pg test -x "$(dirname "$p")"; do
			p=$(dirname "$p")
		done
		die "the postgres user cannot reach $dir: $p ($(stat -c %A "$p")) lets no other user through; clone the repository elsewhere (e.g. /srv, see README.md)"
	fi
	as_pg "$PGBIN/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
	    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
	{
		echo "# civicplan ($mode cluster)"
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $port"
		echo "unix_socket_directories = '$sock'"
		echo "max_connections = 200"
		echo "logging_collector = off"
		if [ "$mode" = throwaway ]; then
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
		else
			echo "fsync = on"
			echo "synchronous_commit = on"
			# Group commit: with many sessions committing at once,
			# a committer waits up to 100 us for others to flush
			# with it.  Each commit is still on disk before it is
			# acknowledged.
			echo "commit_delay = 100"
		fi
	} | as_pg tee -a "$data/postgresql.conf" >/dev/null
	echo "$mode" | as_pg tee "$dir/mode" >/dev/null
}

start() {
	local port=$1 mode=${2:-durable} sock i
	if [ ! -f "$data/PG_VERSION" ]; then
		init_cluster "$port" "$mode"
	fi
	sock=$(sockdir)
	mkdir -p "$sock" && chown postgres: "$sock"
	# The data directory is initdb's (0700); the service's workers, which
	# run as their own user, reach the socket through these two.
	chmod 755 "$dir" "$sock"
	if ! running; then
		# Right after a crash the first start can fail: retry a few times.
		# The server keeps no descriptor of its starter's: a lock taken
		# around the start (flock FILE make bench) would be held for as
		# long as the server runs.
		for i in 1 2 3; do
			(
				for fd in /proc/self/fd/*; do
					fd=${fd##*/}
					[ "$fd" -gt 2 ] && eval "exec $fd>&-"
				done
				as_pg "$PGBIN/pg_ctl" -D "$data" -l "$dir/postgres.log" \
				    -w -t 30 -o "-p $port" start >/dev/null
			) && break
			sleep 1
		done
	fi
	for i in $(seq 1 100); do
		"$PGBIN/pg_isready" -q -h "$sock" -p "$port" && break
		sleep 0.1
	done
	"$PGBIN/pg_isready" -q -h "$sock" -p "$port" || die "cluster in $dir did not start (see $dir/postgres.log)"
	ensure_db "$port"
}

ensure_db() {
	local port=$1 sock q
	sock=$(sockdir)
	q() { psql -X -q -h "$sock" -p "$port" -U postgres -d "$1" -v ON_ERROR_STOP=1 -tAc "$2"; }
	if [ -z "$(q postgres "SELECT 1 FROM pg_roles WHERE rolname = '$DBUSER'")" ]; then
		q postgres "CREATE ROLE $DBUSER LOGIN PASSWORD '$DBUSER'"
	fi
	if [ -z "$(q postgres "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'")" ]; then
		q postgres "CREATE DATABASE $DBNAME OWNER $DBUSER"
	fi
}

stop() {
	local mode=$1
	[ -f "$data/PG_VERSION" ] || return 0
	if [ -f "$data/postmaster.pid" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$data" -m "$mode" -w -t 30 stop >/dev/null 2>&1 || true
	fi
}

case "$cmd" in
start)	[ $# -ge 3 ] || die "start needs DIR PORT"; start "$3" "${4:-durable}" ;;
stop)	stop fast ;;
crash)	stop immediate ;;
url)	[ $# -ge 3 ] || die "url needs DIR PORT"
	echo "host=$(sockdir) port=$3 dbname=$DBNAME user=$DBUSER" ;;
sockdir) sockdir ;;
*)	die "unknown command $cmd" ;;
esac

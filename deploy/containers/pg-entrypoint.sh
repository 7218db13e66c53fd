#!/usr/bin/env bash
#
# pg-entrypoint.sh: PostgreSQL as ROLE says, on port $PGPORT of the
# container's network (passwords asked of every client but local ones).
#   ROLE=primary  initdb once (roles civicplan and replicator, the database
#                 civicplan, the replica's slot), then serve
#   ROLE=replica  once: pg_basebackup of the primary at
#                 $PRIMARY_HOST:$PRIMARY_PORT; then serve, streaming from it
# Passwords: CIVIC_DB_PASSWORD, REPLICATION_PASSWORD.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
: "${ROLE:?primary or replica}" "${CIVIC_DB_PASSWORD:?}" "${REPLICATION_PASSWORD:?}"

conf() {
	cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = '*'
port = $PGPORT
unix_socket_directories = '/tmp'
max_connections = 200
fsync = on
synchronous_commit = on
hot_standby = on
hot_standby_feedback = on
CONF
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	case "$ROLE" in
	primary)
		"$BIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 \
		    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
		conf
		# The containers' own network only (samenet), with passwords.
		{
			echo "host all all samenet scram-sha-256"
			echo "host replication replicator samenet scram-sha-256"
		} >>"$PGDATA/pg_hba.conf"
		"$BIN/pg_ctl" -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
		psql -X -q -h /tmp -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 \
		    -v pw="$CIVIC_DB_PASSWORD" -v rpw="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE civicplan LOGIN PASSWORD :'pw';
CREATE ROLE replicator LOGIN REPLICATION PASSWORD :'rpw';
CREATE DATABASE civicplan OWNER civicplan;
SELECT pg_create_physical_replication_slot('civic_replica');
SQL
		"$BIN/pg_ctl" -D "$PGDATA" -w stop >/dev/null
		;;
	replica)
		export PGPASSWORD=$REPLICATION_PASSWORD
		for _ in $(seq 1 120); do
			"$BIN/pg_isready" -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" && break
			sleep 1
		done
		"$BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U replicator \
		    -D "$PGDATA" -X stream -c fast -R -S civic_replica
		unset PGPASSWORD
		# A volume's top directory is not initdb's: 0700 as PostgreSQL asks.
		chmod 0700 "$PGDATA"
		conf
		# -R wrote the password into primary_conninfo; the data directory
		# is the postgres user's alone (0700).
		echo "primary_conninfo = 'host=$PRIMARY_HOST port=$PRIMARY_PORT user=replicator password=$REPLICATION_PASSWORD application_name=civic_replica'" \
		    >>"$PGDATA/postgresql.auto.conf"
		;;
	*)	echo "ROLE must be primary or replica" >&2; exit 1 ;;
	esac
fi
exec "$BIN/postgres" -D "$PGDATA"

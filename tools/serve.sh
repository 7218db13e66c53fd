#!/usr/bin/env bash
#
# serve.sh: run Kore with this repository's module in the foreground (exec).
#
# Each instance keeps its files in a directory of its own, CIVIC_VAR
# (default var/run): the Kore configuration made from conf/app.conf, and its
# pidfile.  Two instances never share either.
#
#   CIVIC_VAR	the instance's directory (default var/run)
#   CIVIC_MODULE	the module to load (default build/civicplan.so)
#   CIVIC_KORE_FLAGS	more flags for kore (e.g. -n, no chroot)
#   CIVIC_KORE_PRELOAD	libraries preloaded into kore alone, first (make
#			sanitize: the sanitizer runtimes)
#
# As root, Kore's parent keeps root only to start workers, and each worker
# runs as the system user civicplan (tools/deps.sh makes it), chrooted into
# the repository's var/ when the database is reached there through a unix
# socket (the private cluster); otherwise it is not chrooted, and the
# module says why.  Not root (the container), kore runs with -n -r: no
# chroot and no change of user, both of which need root.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

CIVIC_VAR=${CIVIC_VAR:-var/run}
CIVIC_MODULE=${CIVIC_MODULE:-build/civicplan.so}
RUNAS=civicplan

mkdir -p "$CIVIC_VAR"
var=$(cd "$CIVIC_VAR" && pwd)
conf=$var/kore.conf

[ -f "$CIVIC_MODULE" ] || { echo "serve.sh: no $CIVIC_MODULE: run make build" >&2; exit 1; }

flags=(-f)
{
	echo "# Made by tools/serve.sh from conf/app.conf: edit that file instead."
	if [ "$(id -u)" -eq 0 ]; then
		id "$RUNAS" >/dev/null 2>&1 ||
		    { echo "serve.sh: no user $RUNAS: run tools/deps.sh run" >&2; exit 1; }
		echo "runas			$RUNAS"
		echo "chroot			$root/var"
	else
		flags+=(-n -r)
	fi
	sed -e "s|^load[[:space:]].*|load			$root/$CIVIC_MODULE|" \
	    -e "s|^pidfile[[:space:]].*|pidfile			$var/kore.pid|" \
	    conf/app.conf
} >"$conf.tmp"
mv "$conf.tmp" "$conf"

if [ -n "${CIVIC_KORE_PRELOAD:-}" ]; then
	export LD_PRELOAD="$CIVIC_KORE_PRELOAD${LD_PRELOAD:+:$LD_PRELOAD}"
fi
# shellcheck disable=SC2086
exec stdbuf -oL -eL kore "${flags[@]}" ${CIVIC_KORE_FLAGS:-} -c "$conf"

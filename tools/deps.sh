#!/usr/bin/env bash
#
# deps.sh GROUP...: install the Debian packages a task needs, if missing.
#   run    build and serve: Kore, jansson, libpq, PostgreSQL 15, Node.js (docs assets)
#   test   the suite: Criterion, pytest, requests
#   bench  the benchmark: wrk, pgbench (PostgreSQL contrib)
set -euo pipefail

declare -A groups=(
	[run]="kore libjansson-dev libpq-dev libssl-dev gcc make postgresql-15 postgresql-client-15 nodejs npm coreutils curl"
	[test]="libcriterion-dev python3 python3-pytest python3-requests python3-jsonschema"
	[bench]="wrk postgresql-contrib"
)

# Node.js may come from elsewhere than Debian (with npm built in): any
# working npm will do, it only fetches the docs page assets and the linter.
have_npm=0
command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 && have_npm=1

want=()
for g in "$@"; do
	[ -n "${groups[$g]:-}" ] || { echo "deps.sh: unknown group $g" >&2; exit 1; }
	for p in ${groups[$g]}; do
		case "$p" in nodejs|npm) [ $have_npm = 1 ] && continue ;; esac
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
			want+=("$p")
		fi
	done
done

[ ${#want[@]} -eq 0 ] && exit 0

echo "deps: installing ${want[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages and not root: apt-get install ${want[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null

#!/usr/bin/env bash
#
# deps.sh GROUP...: install the Debian packages a task needs, if missing.
#   build  the module: Kore, jansson, libpq, gcc, make
#   run    serve it: PostgreSQL 15, Node.js (docs assets), and the
#          unprivileged user the workers run as (civicplan)
#   test   the suite: Criterion, pytest, requests, pgTAP, and Chromium (the
#          docs page in a real browser, driven by npm's playwright-core),
#          promtool (prometheus: /metrics' format)
#   bench  the benchmark: wrk, pgbench (PostgreSQL contrib)
#   fuzz   the fuzzers: clang 14 and its libFuzzer and sanitizer runtimes
#   cluster  make cluster-test: nginx (in front), openssl (its test
#          certificate), wrk (the submission rate with a synchronous replica);
#          Debian's nginx service is not started by the install
set -euo pipefail

declare -A groups=(
	[build]="kore libjansson-dev libpq-dev libssl-dev gcc make"
	[run]="postgresql-15 postgresql-client-15 nodejs npm coreutils curl passwd"
	[test]="libcriterion-dev python3 python3-pytest python3-requests python3-jsonschema postgresql-15-pgtap chromium prometheus"
	[bench]="wrk postgresql-contrib"
	[fuzz]="clang-14 libclang-rt-14-dev"
	[cluster]="nginx openssl wrk"
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

install() {
	[ ${#want[@]} -eq 0 ] && return 0
	echo "deps: installing ${want[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: missing packages and not root: apt-get install ${want[*]}" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# Installed packages start no services (nginx's would take port 80):
	# the service runs its own, on its own ports.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	# Another apt (unattended upgrades, a parallel make) may hold the lock.
	apt-get -o DPkg::Lock::Timeout=300 update -qq
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
	    --no-install-recommends "${want[@]}" >/dev/null
}

# The user Kore's workers run as when the server is started as root
# (tools/serve.sh): a system account with no shell and no home.
runas_user() {
	id civicplan >/dev/null 2>&1 && return 0
	[ "$(id -u)" -eq 0 ] || return 0
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin civicplan
	echo "deps: made the system user civicplan (Kore's workers run as it)"
}

install
for g in "$@"; do
	[ "$g" = run ] && runas_user
done
exit 0

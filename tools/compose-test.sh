#!/usr/bin/env bash
#
# compose-test.sh: deploy/compose.yaml with podman, checked (make
# compose-test): the service's image (tools/image-test.sh --build), the
# database's and nginx's (deploy/containers), podman-compose up, then
# through nginx: the plan, a submission, and the instances' connections on
# the replica; then down, volumes removed.  nginx is published on the
# compose file's 127.0.0.1:28080 and 28443.  Last line: "N passed, N
# failed".
set -uo pipefail
cd "$(dirname "$0")/.."

PROJECT=civicplancompose
compose() { podman-compose -p "$PROJECT" -f deploy/compose.yaml "$@"; }
passed=0 failed=0
check() {	# NAME COMMAND...
	local name=$1
	shift
	if "$@"; then
		echo "PASS $name"; passed=$((passed + 1))
	else
		echo "FAIL $name"; failed=$((failed + 1))
	fi
}
finish() {
	compose down -v >/dev/null 2>&1
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}

IMAGE=localhost/civicplan tools/image-test.sh --build || { echo "0 passed, 1 failed"; exit 1; }
# podman-compose, and the CNI plugin that gives containers their names.
want=()
for p in podman-compose golang-github-containernetworking-plugin-dnsname; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || want+=("$p")
done
[ ${#want[@]} = 0 ] ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null ||
    { echo "compose-test: cannot install ${want[*]}"; echo "0 passed, 1 failed"; exit 1; }
conf=$(mktemp -d)
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n' \
    >"$conf/containers.conf"
export CONTAINERS_CONF=$conf/containers.conf
trap 'finish; rc=$?; rm -rf "$conf"; exit $rc' EXIT

podman build --pull=never --network=host -q -t localhost/civicplan-pg \
    -f deploy/containers/postgres.Containerfile deploy/containers >/dev/null &&
podman build --pull=never --network=host -q -t localhost/civicplan-nginx \
    -f deploy/containers/nginx.Containerfile . >/dev/null ||
    { echo "compose-test: an image did not build"; failed=1; exit 1; }

compose down -v >/dev/null 2>&1
compose up -d >/dev/null 2>&1 || { echo "compose-test: up failed"; failed=1; exit 1; }

B=http://127.0.0.1:28080
ready() {
	local i
	for i in $(seq 1 240); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$B/v1/plans/current")" = 200 ] &&
		    return 0
		sleep 0.5
	done
	compose logs 2>&1 | tail -40
	return 1
}
check "the plan through nginx (3 instances, migrated once)" ready
on_replica() {
	local n
	n=$(podman exec "${PROJECT}_replica_1" psql -X -tA -h /tmp -p 5432 -U postgres \
	    -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'civicplan-read'")
	echo "   the instances' connections on the replica: $n"
	[ "${n:-0}" -ge 3 ]
}
check "the instances read the published data from the replica" on_replica
streaming() {
	[ "$(podman exec "${PROJECT}_primary_1" psql -X -tA -h /tmp -p 5432 -U postgres \
	    -c "SELECT state FROM pg_stat_replication")" = streaming ]
}
check "the replica streams from the primary" streaming
problem() {
	head -c 2000000 /dev/zero >"$conf/big"
	curl -s -D - -o /dev/null -X POST --data-binary @"$conf/big" \
	    "$B/v1/keys" --max-time 30 | tr -d '\r' |
	    grep -qi '^content-type: application/problem+json'
}
check "nginx's own 413 is a problem document" problem

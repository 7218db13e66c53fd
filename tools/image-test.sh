#!/usr/bin/env bash
# Build the container image with podman and smoke-test it against the private
# PostgreSQL cluster.  No Docker engine is needed: podman builds from a base
# image made locally with debootstrap, and runs with runc and explicit
# ulimits.
#
#   tools/image-test.sh            prepare, build, run, check (the make image-test target)
#   tools/image-test.sh --prepare  only install podman and create the base image
#   tools/image-test.sh --build    prepare and build the image, no run (make compose-test)
#
# Environment:
#   IMAGE                      image tag to build (default localhost/civicplan:test)
#   IMAGE_TEST_PORT            host port the container listens on (default 18888)
#   IMAGE_TEST_DATABASE_URL    DATABASE_URL given to the container, and migrated by
#                              `make db-up` (default: the private cluster, which `make db-up`
#                              starts, over TCP at 127.0.0.1:5433)
#   IMAGE_TEST_READY_TIMEOUT   seconds to wait for GET /readyz 200 (default 30)
#   IMAGE_TEST_NPM_CA          CA bundle given to the build's npm step as the build secret
#                              npm_ca (default /etc/ssl/certs/ca-certificates.crt, the host's
#                              trust store; needed behind a TLS-intercepting proxy; "none" to
#                              omit). It is mounted for that step only, never stored in the image.
#   IMAGE_TEST_SKIP_DB=1       do not run `make db-up` (the database is managed elsewhere)
#
# Exit status 0 and a final "image-test: PASS" line on success, non-zero and
# "image-test: FAIL: <reason>" otherwise. The container is always removed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

IMAGE=${IMAGE:-localhost/civicplan:test}
BASE_IMAGE=localhost/debian:bookworm-slim
PORT=${IMAGE_TEST_PORT:-18888}
READY_TIMEOUT=${IMAGE_TEST_READY_TIMEOUT:-30}
DB_URL=${IMAGE_TEST_DATABASE_URL:-postgresql://civicplan:civicplan@127.0.0.1:5433/civicplan?gssencmode=disable&connect_timeout=3}
NAME=civicplan-image-test-$$
BASE_URL=http://127.0.0.1:$PORT

log() { printf 'image-test: %s\n' "$*" >&2; }
fail() {
	printf 'image-test: FAIL: %s\n' "$*"
	exit 1
}
now() { date +%s.%N; }
# podman without systemd complains about healthcheck timers on run/stop/rm: drop that noise
pm() {
	local err rc=0
	err=$(mktemp)
	podman "$@" 2>"$err" || rc=$?
	grep -v 'unable to get systemd connection' "$err" >&2 || true
	rm -f "$err"
	return "$rc"
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# --- 1. podman, runc, debootstrap ------------------------------------------
ensure_tools() {
	local missing=()
	command -v podman >/dev/null || missing+=(podman)
	command -v runc >/dev/null || missing+=(runc)
	command -v debootstrap >/dev/null || missing+=(debootstrap)
	command -v curl >/dev/null || missing+=(curl)
	if ((${#missing[@]})); then
		[ "$(id -u)" = 0 ] || fail "need root to install: ${missing[*]}"
		log "installing ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
			{ apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2; } ||
			fail "could not install ${missing[*]}"
	fi
}

# --- 2. containers.conf: runc (this host mixes cgroup v1/v2) + explicit ulimits
CONF_DIR=
write_containers_conf() {
	CONF_DIR=$(mktemp -d "${TMPDIR:-/tmp}/civic-image-test.XXXXXX")
	cat >"$CONF_DIR/containers.conf" <<'EOF'
[containers]
default_ulimits = [
  "nofile=20000:20000",
  "nproc=32768:32768",
]

[engine]
runtime = "runc"
EOF
	export CONTAINERS_CONF="$CONF_DIR/containers.conf"
}

# --- 3. base image from Debian itself (no registry is reachable) ------------
debian_mirror() {
	local src=/etc/apt/sources.list.d/debian.sources mirror=
	if [ -r "$src" ]; then
		# first URIs line of the first stanza (the main archive, not -security)
		mirror=$(awk '/^URIs:/ { print $2; exit }' "$src")
	fi
	if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
		mirror=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)
	fi
	printf '%s\n' "${mirror:-http://deb.debian.org/debian}"
}

ensure_base_image() {
	if podman image exists "$BASE_IMAGE"; then
		log "base image $BASE_IMAGE present"
		return
	fi
	[ "$(id -u)" = 0 ] || fail "need root to debootstrap the base image"
	local mirror rootfs t0
	mirror=$(debian_mirror)
	rootfs=$(mktemp -d /var/tmp/civic-rootfs.XXXXXX)
	t0=$(now)
	log "creating $BASE_IMAGE with debootstrap (minbase bookworm from $mirror)"
	if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1; then
		tail -20 "$rootfs.log" >&2
		rm -rf "$rootfs" "$rootfs.log"
		fail "debootstrap failed"
	fi
	# slim it a little like the official -slim image: no apt lists or caches
	rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
	tar -C "$rootfs" -c . | podman import \
		--change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		- "$BASE_IMAGE" >&2 || { rm -rf "$rootfs" "$rootfs.log"; fail "podman import failed"; }
	rm -rf "$rootfs" "$rootfs.log"
	log "base image created in $(elapsed "$t0" "$(now)") s"
}

ensure_tools
write_containers_conf
CID=
body=
hdrs=
cleanup() {
	local rc=$?
	rm -f "$body" "$hdrs"
	if [ -n "$CID" ]; then
		if [ "$rc" != 0 ]; then
			log "container log (last 40 lines):"
			podman logs "$CID" 2>&1 | tail -40 >&2 || true
		fi
		pm stop -t 5 "$CID" >/dev/null 2>&1 || true
		pm rm -f "$CID" >/dev/null 2>&1 || true
	fi
	[ -n "$CONF_DIR" ] && rm -rf "$CONF_DIR"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_base_image
if [ "${1:-}" = "--prepare" ]; then
	log "prepared (podman $(podman --version | awk '{print $3}'), base image $BASE_IMAGE)"
	exit 0
fi

# --- 4. build ----------------------------------------------------------------
[ -f Dockerfile ] || fail "no Dockerfile in $ROOT"
t0=$(now)
build_args=(--pull=never --network=host --format docker -t "$IMAGE")
NPM_CA=${IMAGE_TEST_NPM_CA:-/etc/ssl/certs/ca-certificates.crt}
if [ "$NPM_CA" != none ] && [ -s "$NPM_CA" ]; then
	build_args+=(--secret "id=npm_ca,src=$NPM_CA")
fi
log "podman build ${build_args[*]} ."
podman build "${build_args[@]}" . >&2 || fail "podman build failed"
BUILD_S=$(elapsed "$t0" "$(now)")
SIZE=$(podman image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1000000 }')
log "built $IMAGE in ${BUILD_S} s ($SIZE)"
if [ "${1:-}" = "--build" ]; then
	exit 0
fi

# --- 5. database --------------------------------------------------------------
if [ "${IMAGE_TEST_SKIP_DB:-0}" != 1 ]; then
	# the Makefile migrates $DATABASE_URL when set, else starts the private cluster
	if [ -n "${IMAGE_TEST_DATABASE_URL:-}" ]; then
		log "make db-up (DATABASE_URL=IMAGE_TEST_DATABASE_URL)"
		DATABASE_URL=$DB_URL make --no-print-directory db-up >&2 || fail "make db-up failed"
	else
		log "make db-up (private cluster)"
		env -u DATABASE_URL make --no-print-directory db-up >&2 || fail "make db-up failed"
	fi
fi

# --- 6. run -------------------------------------------------------------------
if command -v ss >/dev/null; then
	[ -z "$(ss -Hltn "sport = :$PORT")" ] || fail "port $PORT is already in use (set IMAGE_TEST_PORT)"
elif curl -s -o /dev/null --max-time 2 "$BASE_URL/" 2>/dev/null; then
	fail "port $PORT is already in use (set IMAGE_TEST_PORT)"
fi
t0=$(now)
# --health-interval=disable: no systemd timer here; the check is run once by hand below
CID=$(pm run -d --name "$NAME" --network=host --health-interval=disable \
	--read-only --cap-drop=all --security-opt=no-new-privileges \
	-e DATABASE_URL="$DB_URL" -e CIVIC_PORT="$PORT" -e CIVIC_WORKERS=2 \
	"$IMAGE") || fail "podman run failed"
log "started container ${CID:0:12} ($NAME) on port $PORT"

code=000
deadline=$(awk -v t="$t0" -v d="$READY_TIMEOUT" 'BEGIN { printf "%d", t + d }')
while :; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE_URL/readyz" 2>/dev/null) || code=000
	[ "$code" = 200 ] && break
	[ "$(podman inspect -f '{{.State.Running}}' "$CID" 2>/dev/null)" = true ] ||
		fail "container exited before /readyz answered (exit code $(podman inspect -f '{{.State.ExitCode}}' "$CID" 2>/dev/null))"
	[ "$(date +%s)" -lt "$deadline" ] || fail "GET /readyz not 200 within ${READY_TIMEOUT} s (last status $code)"
	sleep 0.5
done
READY_S=$(elapsed "$t0" "$(now)")
log "GET /readyz 200 after ${READY_S} s"

# --- 7. checks ------------------------------------------------------------------
body=$(mktemp)
hdrs=$(mktemp)

code=$(curl -s -D "$hdrs" -o "$body" -w '%{http_code}' --max-time 5 -H 'Accept: application/json' "$BASE_URL/v1/plans/current") || code=000
[ "$code" = 200 ] || fail "GET /v1/plans/current returned $code"
grep -qi '^content-type: *application/json' "$hdrs" || fail "GET /v1/plans/current: Content-Type is not application/json"
if command -v jq >/dev/null; then
	id=$(jq -er .id "$body" 2>/dev/null) || fail "GET /v1/plans/current: body is not JSON with an id"
	[ "$id" = independence-2021 ] || fail "GET /v1/plans/current: id is '$id', want independence-2021"
else
	grep -q '"id"[[:space:]]*:[[:space:]]*"independence-2021"' "$body" || fail "GET /v1/plans/current: no \"id\":\"independence-2021\""
fi
log "GET /v1/plans/current 200 application/json, id independence-2021"

# the docs assets were copied into the image
for path in /openapi.json /docs /docs/swagger-ui.css /docs/swagger-ui-bundle.js; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE_URL$path") || code=000
	[ "$code" = 200 ] || fail "GET $path returned $code (docs assets missing from the image?)"
done
log "GET /openapi.json, /docs and its assets 200"

# not running as root: every process in the container, and the default exec user
users=$(podman top "$CID" user 2>/dev/null | tail -n +2 | sort -u | tr '\n' ' ') || users=
[ -n "$users" ] || fail "podman top returned no processes"
case " $users " in
*" root "* | *" 0 "*) fail "processes in the container run as root ($users)" ;;
esac
uid=$(podman exec "$CID" id -u) || fail "podman exec id -u failed"
[ "$uid" != 0 ] || fail "container user is root"
log "container processes run as: $users(uid $uid)"

# the image's HEALTHCHECK (GET /healthz through bash's /dev/tcp) works
if [ "$(podman image inspect -f '{{if .HealthCheck}}yes{{end}}' "$IMAGE" 2>/dev/null)" = yes ]; then
	podman healthcheck run "$CID" >/dev/null 2>&1 || fail "the image's HEALTHCHECK failed"
	log "HEALTHCHECK healthy"
fi

# no worker died (seccomp violations kill workers; kore restarts them silently)
logs=$(podman logs "$CID" 2>&1) || fail "podman logs failed"
if grep -E 'worker [0-9]+ \(pid: [0-9]+\).* gone|sandbox violation|seccomp violation' <<<"$logs" >&2; then
	fail "a kore worker died (see the lines above)"
fi

# SIGTERM stops it promptly (kore is PID 1 through stdbuf's exec)
t0=$(now)
pm stop -t 10 "$CID" >/dev/null || fail "podman stop failed"
STOP_S=$(elapsed "$t0" "$(now)")
status=$(podman inspect -f '{{.State.ExitCode}}' "$CID")
log "stopped in ${STOP_S} s, exit code $status"
awk -v s="$STOP_S" 'BEGIN { exit !(s < 9) }' || fail "container did not stop on SIGTERM (killed after 10 s)"

printf 'image-test: PASS (%s, %s, build %s s, first /readyz 200 after %s s)\n' "$IMAGE" "$SIZE" "$BUILD_S" "$READY_S"

#!/usr/bin/env bash
#
# fresh-test.sh: a fresh Debian 12 machine gets the service the tests passed.
#
# In a clean debian:bookworm container (a minbase debootstrap imported into
# podman: no registry is needed), from a clean clone of the committed HEAD,
# it runs what README.md tells a new user to run, as root:
#
#	apt-get update && apt-get install -y --no-install-recommends git make ca-certificates
#	cd /srv && git clone <repository URL> civicplan && cd civicplan
#	make test
#	make run
#
# then, with `make run` serving, a smoke test of the three kinds of user
# (public, admin with `make admin-key`, partner), and checks that Kore's
# workers run as the user civicplan, chrooted into var/, with the pidfile
# under var/.  Everything it starts is stopped by PID, and the container is
# always removed.
#
# The container has a network namespace of its own (podman's bridge, with
# outbound access for apt and npm), so its servers use the README's default
# ports without meeting any server on the host.  Nothing of the project is
# installed in the image beforehand.  Reused between runs: the base image
# and the downloads (.deb files, npm's cache) under FRESH_TEST_CACHE.
#
# Environment:
#   FRESH_TEST_BASE       base image (default localhost/civicplan-fresh-base:bookworm-2)
#   FRESH_TEST_REBUILD=1  debootstrap the base image again even if present
#   FRESH_TEST_CACHE      host download cache (default /var/cache/civicplan-fresh)
#   FRESH_TEST_NETWORK    bridge (default) or host; with host the container
#                         shares the host's ports, and these are used:
#                         FRESH_TEST_PORT (28899), FRESH_TEST_PG_PORT (25434),
#                         FRESH_CIVIC_PORT (28888), FRESH_RUN_PG_PORT (25433)
#   FRESH_TEST_CA_DIR     local CA certificates (*.crt) the machine trusts,
#                         given to the container's ca-certificates (default
#                         /usr/local/share/ca-certificates; "none" to omit)
#   FRESH_TEST_LOGS       where the logs are kept (default var/fresh-test)
#   FRESH_TEST_REF        the commit to clone (default HEAD)
#   CI                    passed into the container when set (-Werror)
#   PYTEST_ADDOPTS        passed into the container when set (a part of the
#                         suite, e.g. "-k health": for working on this script)
#
# Prints one line per phase with its time, and ends with exactly one of
# "fresh-test: PASS" or "fresh-test: FAIL: <reason>" (exit status 1),
# after the tail of the log concerned.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

# The tag names the recipe (make_base): a new recipe makes a new image.
BASE=${FRESH_TEST_BASE:-localhost/civicplan-fresh-base:bookworm-2}
CACHE=${FRESH_TEST_CACHE:-/var/cache/civicplan-fresh}
NET=${FRESH_TEST_NETWORK:-bridge}
CA_DIR=${FRESH_TEST_CA_DIR:-/usr/local/share/ca-certificates}
LOGS=${FRESH_TEST_LOGS:-$ROOT/var/fresh-test}
NAME=civicplan-fresh-$$

# What README.md says, word for word (checked below, so the two stay one).
PREREQ='apt-get update && apt-get install -y --no-install-recommends git make ca-certificates'
CLONE='cd /srv && git clone <repository URL> civicplan && cd civicplan'
APP=/srv/civicplan
ADMIN_KEY_CMD='make admin-key NAME="City of Independence"'

CID=
WORK=
T_START=$(date +%s)
PHASES=()
FAIL_LOG=

say() { printf 'fresh-test: %s\n' "$*"; }
fail() {
	if [ -n "$FAIL_LOG" ] && [ -s "$FAIL_LOG" ]; then
		say "last 40 lines of $FAIL_LOG:"
		tail -n 40 "$FAIL_LOG" | sed 's/^/  | /'
	fi
	say_times
	printf 'fresh-test: FAIL: %s\n' "$*"
	exit 1
}

# phase NAME: start timing a phase; done_phase ends it.
P_NAME=
P_T0=
phase() {
	P_NAME=$1
	P_T0=$(date +%s.%N)
	say "== $P_NAME"
}
done_phase() {
	local s
	s=$(awk -v a="$P_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	PHASES+=("$(printf '%-34s %7s s' "$P_NAME" "$s")")
	say "   $P_NAME: ${s} s${1:+ ($1)}"
}
say_times() {
	local l
	[ ${#PHASES[@]} -gt 0 ] || return 0
	say "times:"
	for l in "${PHASES[@]}"; do say "  $l"; done
	say "  $(printf '%-34s %7s s' total "$(($(date +%s) - T_START))")"
}

# podman without systemd complains about timers and cgroups: drop that noise.
pm() {
	podman "$@" 2> >(grep -v -e 'unable to get systemd connection' \
	    -e 'Falling back to --cgroup-manager=cgroupfs' >&2)
}

# in_ctr CMD: run a shell command in the container (as root, like the
# README's user); in_ctr_stdin gives it this script's standard input.
in_ctr() {
	pm exec "${ENVS[@]}" "$CID" bash -c "$1" </dev/null
}
in_ctr_stdin() {
	pm exec -i "${ENVS[@]}" "$CID" bash -c "$1"
}

cleanup() {
	local rc=$?
	if [ -n "$CID" ]; then
		pm cp "$CID:/var/log/civicplan-run.log" "$LOGS/make-run.log" \
		    >/dev/null 2>&1 || true
		pm rm -f -t 5 "$CID" >/dev/null 2>&1 ||
		    echo "fresh-test: could not remove container $NAME" >&2
	fi
	if [ -n "$WORK" ]; then
		for f in "$WORK"/apt/*.deb; do
			if [ ! -f "$f" ] || [ -e "$CACHE/apt/${f##*/}" ]; then
				continue
			fi
			ln "$f" "$CACHE/apt/${f##*/}" 2>/dev/null ||
			    { cp "$f" "$CACHE/apt/.${f##*/}.$$" &&
			      mv -f "$CACHE/apt/.${f##*/}.$$" "$CACHE/apt/${f##*/}"; }
		done
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

mkdir -p "$LOGS"
# One run at a time per log directory: a second waits for the first.
exec 7>"$LOGS/.lock"
if ! flock -n 7; then
	say "another fresh-test holds $LOGS/.lock; waiting for it"
	flock 7
fi
rm -f "$LOGS"/*.log

# --- the README says what this runs ------------------------------------------
for line in "$PREREQ" "$CLONE" "make test" "make run" "$ADMIN_KEY_CMD"; do
	grep -qF -- "$line" README.md ||
	    fail "README.md no longer says: $line (update it and this script together)"
done
REF=${FRESH_TEST_REF:-HEAD}
HEAD=$(git rev-parse --verify -q "$REF^{commit}") || fail "no commit $REF here"
if [ "$REF" = HEAD ] && [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	say "note: uncommitted changes are not tested (the clone is of HEAD)"
fi

# --- 1. podman, runc, debootstrap on the host ---------------------------------
phase "host tools"
[ "$(id -u)" -eq 0 ] || fail "run as root (rootful podman, debootstrap)"
missing=()
for t in podman runc debootstrap git; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}"
	FAIL_LOG=$LOGS/host-tools.log
	{ DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
	    install -y --no-install-recommends "${missing[@]}" ||
	  { apt-get -o DPkg::Lock::Timeout=300 update &&
	    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
	    install -y --no-install-recommends "${missing[@]}"; }; } \
	    >"$FAIL_LOG" 2>&1 || fail "could not install ${missing[*]}"
	FAIL_LOG=
fi
WORK=$(mktemp -d /var/tmp/civicplan-fresh.XXXXXX)
# This host mixes cgroup v1 and v2: runc, not crun; and explicit ulimits.
cat >"$WORK/containers.conf" <<'EOF'
[containers]
default_ulimits = [
  "nofile=20000:20000",
  "nproc=32768:32768",
]

[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF=$WORK/containers.conf
done_phase "podman $(podman --version | awk '{ print $3 }')"

# --- 2. the base image: debootstrap, minbase, like debian:bookworm -------------
debian_mirror() {
	local src=/etc/apt/sources.list.d/debian.sources m=
	[ -r "$src" ] && m=$(awk '/^URIs:/ { print $2; exit }' "$src")
	if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
		m=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' \
		    /etc/apt/sources.list)
	fi
	printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

make_base() {
	local mirror rootfs
	mirror=$(debian_mirror)
	rootfs=$WORK/rootfs
	FAIL_LOG=$LOGS/debootstrap.log
	say "debootstrap --variant=minbase bookworm from $mirror"
	mkdir -p "$CACHE/debootstrap"
	debootstrap --variant=minbase --cache-dir="$CACHE/debootstrap" \
	    bookworm "$rootfs" "$mirror" >"$FAIL_LOG" 2>&1 ||
	    fail "debootstrap failed"
	# As the official image: apt sources in deb822 form (with updates
	# and security), no package lists, no downloaded packages.
	rm -f "$rootfs/etc/apt/sources.list"
	cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<-EOF
	Types: deb
	URIs: $mirror
	Suites: bookworm bookworm-updates
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

	Types: deb
	URIs: ${mirror%/debian}/debian-security
	Suites: bookworm-security
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	# The official image's settings for dpkg and apt: no fsync per file
	# (a container is thrown away, not recovered), no translations,
	# compressed package lists.
	echo 'force-unsafe-io' >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
	echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
	printf '%s\n' 'Acquire::GzipIndexes "true";' \
	    'Acquire::CompressionTypes::Order:: "gz";' \
	    >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
	rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
	    "$rootfs"/var/cache/apt/archives/*.deb
	mkdir -p "$rootfs/var/lib/apt/lists/partial"
	tar -C "$rootfs" -c . | pm import --change 'CMD ["bash"]' \
	    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	    - "$BASE" >>"$FAIL_LOG" 2>&1 || fail "podman import failed"
	rm -rf "$rootfs"
	FAIL_LOG=
}

phase "base image"
mkdir -p "$CACHE"
exec 8>"$CACHE/base.lock"
flock 8
if [ "${FRESH_TEST_REBUILD:-0}" = 1 ] && pm image exists "$BASE"; then
	pm rmi -f "$BASE" >/dev/null 2>&1 || true
fi
if pm image exists "$BASE"; then
	how="cached, made $(pm image inspect -f '{{.Created}}' "$BASE" | cut -c1-19)"
else
	make_base
	how="made with debootstrap"
fi
flock -u 8
done_phase "$BASE, $how"

# --- 3. the source: a bundle of HEAD (or FRESH_TEST_REF), cloned inside ---------
phase "source"
mkdir -p "$WORK/src"
FAIL_LOG=$WORK/bundle.log
if [ "$REF" = HEAD ]; then
	refs=(HEAD)
	branch=$(git symbolic-ref -q HEAD) && refs+=("$branch")
	git bundle create "$WORK/src/civicplan.bundle" "${refs[@]}" >"$FAIL_LOG" 2>&1 ||
	    fail "git bundle failed"
else
	# Another commit: a shared clone here (it sees every object of this
	# repository), its HEAD on that commit, bundled as it is.
	{ git clone -q --shared --no-checkout "$ROOT" "$WORK/ref" &&
	  git -C "$WORK/ref" update-ref refs/heads/fresh-test "$HEAD" &&
	  git -C "$WORK/ref" symbolic-ref HEAD refs/heads/fresh-test &&
	  git -C "$WORK/ref" bundle create "$WORK/src/civicplan.bundle" \
	    HEAD refs/heads/fresh-test; } >"$FAIL_LOG" 2>&1 || fail "git bundle of $REF failed"
fi
FAIL_LOG=
done_phase "$REF, commit ${HEAD:0:7}"

# --- 4. the container -----------------------------------------------------------
phase "container"
# Containers of this script whose run died without removing them.
for old in $(pm ps -a --filter name='^civicplan-fresh-[0-9]+$' --format '{{.Names}}'); do
	kill -0 "${old##*-}" 2>/dev/null && continue
	say "removing $old, left by an earlier run"
	pm rm -f -t 0 "$old" >/dev/null 2>&1 || true
done
ENVS=()
case "$NET" in
bridge)	;;
host)
	ENVS+=(-e "TEST_PORT=${FRESH_TEST_PORT:-28899}"
	    -e "TEST_PG_PORT=${FRESH_TEST_PG_PORT:-25434}"
	    -e "CIVIC_PORT=${FRESH_CIVIC_PORT:-28888}"
	    -e "RUN_PG_PORT=${FRESH_RUN_PG_PORT:-25433}")
	say "host network: ports ${ENVS[*]}" ;;
*)	fail "FRESH_TEST_NETWORK must be bridge or host" ;;
esac
[ -n "${CI:-}" ] && ENVS+=(-e "CI=$CI")
[ -n "${PYTEST_ADDOPTS:-}" ] && ENVS+=(-e "PYTEST_ADDOPTS=$PYTEST_ADDOPTS")
mounts=(-v "$WORK/src:/media/src:ro")
# The container's apt archive starts with hard links to the .deb files
# downloaded before (its own directory: apt locks it, and other runs may be
# going on); new ones go back to the cache at the end.  npm's cache is made
# for sharing.
mkdir -p "$CACHE/apt" "$CACHE/npm" "$WORK/apt/partial"
find "$CACHE/apt" -maxdepth 1 -name '*.deb' -exec cp -l -t "$WORK/apt" {} + 2>/dev/null ||
    find "$CACHE/apt" -maxdepth 1 -name '*.deb' -exec cp -t "$WORK/apt" {} +
mounts+=(-v "$WORK/apt:/var/cache/apt/archives" -v "$CACHE/npm:/root/.npm")
if [ "$CA_DIR" != none ] && compgen -G "$CA_DIR/*.crt" >/dev/null; then
	mounts+=(-v "$CA_DIR:/usr/local/share/ca-certificates:ro")
fi
# PID 1 waits for its children, so that orphans are reaped.
# CAP_SYS_PTRACE, which a machine's root has and podman's default set has
# not: root then reads /proc/PID/root of the workers (another user's).
CID=$(pm run -d --name "$NAME" --hostname fresh-debian --network "$NET" \
    --cap-add SYS_PTRACE \
    "${mounts[@]}" "$BASE" \
    bash -c 'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done') ||
    fail "podman run failed"
netns=$(pm inspect -f '{{.HostConfig.NetworkMode}}' "$CID")
done_phase "${CID:0:12}, network $netns"

# --- 5. what a new user installs first -----------------------------------------
phase "prerequisites (README)"
FAIL_LOG=$LOGS/prerequisites.log
in_ctr "$PREREQ" >"$FAIL_LOG" 2>&1 ||
    fail "the README's first command failed: $PREREQ"
FAIL_LOG=
# shellcheck disable=SC2016
done_phase "$(in_ctr 'dpkg-query -W -f "\${Status}\n" | grep -c "install ok installed"') packages installed"

phase "clone (README)"
FAIL_LOG=$LOGS/clone.log
in_ctr "${CLONE/<repository URL>//media/src/civicplan.bundle}" >"$FAIL_LOG" 2>&1 ||
    fail "git clone failed"
got=$(in_ctr "git -C $APP rev-parse HEAD") || fail "no clone in $APP"
[ "$got" = "$HEAD" ] || fail "the clone is at $got, not $REF $HEAD"
[ -z "$(in_ctr "ls -A $APP/var $APP/build $APP/node_modules 2>/dev/null")" ] ||
    fail "the clone is not clean"
FAIL_LOG=
done_phase "$APP at ${HEAD:0:7}"

# --- 6. make test -------------------------------------------------------------------
phase "make test (README)"
FAIL_LOG=$LOGS/make-test.log
# 2>&1 in the container: one stream, in the order a terminal shows it.
t0=$SECONDS
in_ctr "cd $APP && make test 2>&1" | tee "$FAIL_LOG" |
    while IFS= read -r l; do
	case $l in
	'== '* | 'deps: '* | 'npm ci '* | *'Synthesis: '*) ;;
	"cc "*) [ -z "${cc:-}" ] || continue; cc=1; l="build: $l" ;;
	*) continue ;;
	esac
	printf 'fresh-test:    [%4d s] %s\n' $((SECONDS - t0)) "${l:0:100}"
    done
rc=${PIPESTATUS[0]}
last=$(tail -n 1 "$FAIL_LOG")
[ "$rc" -eq 0 ] || fail "make test exited $rc: $last"
# pytest's summary: counts, then the time; no failures and no errors.
summary_re='^(=+ )?[0-9]+ passed(, [0-9]+ (skipped|deselected|xfailed|xpassed|warnings?))* in [0-9.]+s( \([0-9:]+\))?( =+)?$'
grep -qE "$summary_re" <<<"$last" ||
    fail "make test exited 0, but its last line is not a clean pytest summary: $last"
SUMMARY=$last
FAIL_LOG=
done_phase "$SUMMARY"

# --- 7. make run, in the background ---------------------------------------------------
phase "make run (README)"
RUN_LOG=$LOGS/make-run.log
FAIL_LOG=$RUN_LOG
# setsid: make is the leader of a process group of its own, stopped as one.
RUN_PID=$(in_ctr "cd $APP && { setsid make run </dev/null \
    >/var/log/civicplan-run.log 2>&1 & echo \$!; }") || fail "could not start make run"
[[ $RUN_PID =~ ^[0-9]+$ ]] || fail "make run: no PID ($RUN_PID)"
# Ready when /readyz answers 200; a first run installs nothing more but
# makes the durable cluster and migrates: up to 10 minutes on a slow host.
ready=$(in_ctr "port=\${CIVIC_PORT:-8888}
	for i in \$(seq 1 1200); do
		kill -0 $RUN_PID 2>/dev/null || { echo exited; exit 1; }
		code=\$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		    http://127.0.0.1:\$port/readyz) || code=000
		[ \"\$code\" = 200 ] && { echo \$i; exit 0; }
		sleep 0.5
	done
	echo \"last status \$code\"; exit 1") ||
	{ pm cp "$CID:/var/log/civicplan-run.log" "$RUN_LOG" >/dev/null 2>&1;
	  fail "make run: GET /readyz never answered 200 ($ready)"; }
FAIL_LOG=
done_phase "make PID $RUN_PID, /readyz 200"

# --- 8. the three kinds of user, and how the workers run ----------------------------------
phase "smoke: public, admin, partner"
FAIL_LOG=$LOGS/smoke.log
in_ctr_stdin "cd $APP && APP=$APP /usr/bin/python3 -" >"$FAIL_LOG" 2>&1 <<'PY'
import datetime, json, os, pwd, re, subprocess, sys, time, urllib.error, urllib.request

APP = os.environ["APP"]
B = "http://127.0.0.1:%s" % os.environ.get("CIVIC_PORT", "8888")
LIMIT_S = 60.0


def say(msg):
    print("smoke: " + msg, flush=True)


def check(cond, msg):
    if not cond:
        say("FAIL: " + msg)
        sys.exit(1)


def call(method, path, key=None, body=None, headers=None):
    h = dict(headers or {})
    if key:
        h["Authorization"] = "Bearer " + key
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    req = urllib.request.Request(B + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, hdrs, raw = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, e.headers, e.read()
    ctype = hdrs.get("Content-Type", "")
    doc = json.loads(raw) if raw and "json" in ctype else raw
    return status, hdrs, doc


def poll(what, fn):
    """fn() until it returns something true, up to LIMIT_S; says what it last saw."""
    deadline = time.monotonic() + LIMIT_S
    seen = None
    while time.monotonic() < deadline:
        ok, seen = fn()
        if ok:
            return seen
        time.sleep(0.1)
    check(False, "%s: not within %.0f s; last seen: %r" % (what, LIMIT_S, seen))


# --- public --------------------------------------------------------------------
s, h, d = call("GET", "/readyz")
check(s == 200, "GET /readyz: %s %r" % (s, d))
s, h, d = call("GET", "/v1/plans/current")
check(s == 200 and d.get("id") == "independence-2021",
      "GET /v1/plans/current: %s %r" % (s, d if s != 200 else d.get("id")))
check(len(d.get("goals", [])) == 4, "the plan has %d goals, not 4" % len(d.get("goals", [])))
say("public: /readyz 200; /v1/plans/current is independence-2021 with 4 goals")

for sent in ("fresh-test.public-1", None, "not valid!"):
    s, h, d = call("GET", "/v1/plans/no-such-plan",
                   headers={"X-Request-Id": sent} if sent else None)
    rid = h.get("X-Request-Id")
    check(s == 404 and h.get("Content-Type", "").startswith("application/problem+json"),
          "GET /v1/plans/no-such-plan: %s %s" % (s, h.get("Content-Type")))
    check(isinstance(d, dict) and d.get("type") == "/problems/not-found", "problem: %r" % d)
    check(rid and d.get("request_id") == rid,
          "problem request_id %r, X-Request-Id header %r" % (d.get("request_id"), rid))
    if sent == "fresh-test.public-1":
        check(rid == sent, "a valid X-Request-Id was not kept: %r" % rid)
    elif sent:
        check(rid != sent, "an invalid X-Request-Id was echoed: %r" % rid)
    say("public: 404 problem, request_id %r = X-Request-Id (sent %r)" % (rid, sent))

# --- admin -----------------------------------------------------------------------
out = subprocess.run(["make", "admin-key", "NAME=City of Independence"], cwd=APP,
                     capture_output=True, text=True, timeout=600)
check(out.returncode == 0, "make admin-key exited %d: %s" % (out.returncode, out.stderr))
keys = [l for l in out.stdout.splitlines() if re.fullmatch(r"cpk_[A-Za-z0-9_-]+", l)]
check(len(keys) == 1, "make admin-key printed no single key: %r" % out.stdout)
A = keys[0]
s, h, d = call("GET", "/v1/keys", A)
check(s == 200, "GET /v1/keys as admin: %s %r" % (s, d))
say("admin: make admin-key printed a key; GET /v1/keys 200 with it")

now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
survey = {
    "id": "fresh-pulse", "plan": "independence-2021", "title": "Fresh machine pulse survey",
    "opens_at": iso(now - datetime.timedelta(hours=1)),
    "closes_at": iso(now + datetime.timedelta(days=1)),
    "status": "open", "results_visibility": "public",
    "questions": [
        {"id": "right-plan", "prompt": "Is this the right plan?", "type": "agreement"},
        {"id": "top-priorities", "prompt": "Your top three?", "type": "objectives",
         "min": 1, "max": 3}]}
s, h, d = call("POST", "/v1/surveys", A, survey)
check(s == 201, "POST /v1/surveys as admin: %s %r" % (s, d))
poll("GET /v1/surveys/fresh-pulse 200",
     lambda: (lambda r: (r[0] == 200, r[0]))(call("GET", "/v1/surveys/fresh-pulse")))
say("admin: POST /v1/surveys 201; the survey is served")

# --- partner ---------------------------------------------------------------------
s, h, d = call("POST", "/v1/keys", A,
               {"name": "Mid-Continent Public Library", "role": "partner"})
check(s == 201 and str(d.get("key", "")).startswith("cpk_"), "POST /v1/keys: %s %r" % (s, d))
P = d["key"]
check(d.get("role") == "partner", "the new key's role: %r" % d.get("role"))
three = ["reduce-crime-and-disorder", "enhance-public-health", "reduce-blight"]
s, h, d = call("POST", "/v1/surveys/fresh-pulse/responses", P, {
    "external_id": "library-kiosk-000123",
    "answers": {"right-plan": "agree", "top-priorities": three},
    "channel": "kiosk"}, headers={"Idempotency-Key": "fresh-test-0001"})
check(s == 201, "POST a response as the partner: %s %r" % (s, d))
check(d.get("external_id") == "library-kiosk-000123", "the response: %r" % d)
say("partner: a partner key made over the API; POST response 201 (%s)" % d.get("id"))


def tallied():
    s, h, d = call("GET", "/v1/surveys/fresh-pulse/tallies")
    if s != 200 or d.get("total") != 1:
        return False, (s, d)
    q = {x["id"]: x for x in d["questions"]}
    votes = {o["id"]: o["votes"] for o in q["top-priorities"]["objectives"] if o["votes"]}
    return (q["right-plan"]["counts"].get("agree") == 1
            and votes == {o: 1 for o in three}), d


poll("the public tallies show the response", tallied)
say("partner: GET tallies (no key) shows 1 response: agree 1, one vote each for %s"
    % ", ".join(three))

# --- Kore's processes --------------------------------------------------------------
def procs():
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            with open("/proc/%s/status" % pid) as f:
                st = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
        except OSError:
            continue
        try:
            root = os.readlink("/proc/%s/root" % pid)
        except OSError as e:
            root = "(unreadable: %s)" % e
        yield int(pid), cmd, st, root


kore = [p for p in procs() if p[1].startswith("kore [")]
parents = [p for p in kore if p[1] == "kore [parent]"]
workers = [p for p in kore if p[1].startswith("kore [wrk")]
check(len(parents) == 1, "kore parents: %r" % [p[:2] for p in parents])
check(len(workers) == 2, "kore workers: %r (all kore processes: %r)"
      % ([p[:2] for p in workers], [p[:2] for p in kore]))
user = pwd.getpwnam("civicplan")
for pid, cmd, st, root in workers:
    uids = st["Uid"].split()
    gids = st["Gid"].split()
    check(all(int(u) == user.pw_uid for u in uids),
          "%s (%d) runs as uids %s, not civicplan (%d)" % (cmd, pid, uids, user.pw_uid))
    check(all(int(g) == user.pw_gid for g in gids),
          "%s (%d) runs as gids %s" % (cmd, pid, gids))
    check(int(st["PPid"]) == parents[0][0], "%s (%d) is not the parent's" % (cmd, pid))
    check(root == APP + "/var", "%s (%d) has root %s, not %s/var" % (cmd, pid, root, APP))
ppid, _, pst, proot = parents[0]
pidfile = APP + "/var/run/kore.pid"
with open(pidfile) as f:
    written = f.read().strip()
check(written == str(ppid), "%s says %r, the parent is %d" % (pidfile, written, ppid))
check(not os.path.exists("/tmp/kore.pid"), "a pidfile in /tmp")
say("processes: kore [parent] %d (uid %s); workers %s as civicplan (uid %d), root %s/var;"
    " pidfile %s" % (ppid, pst["Uid"].split()[0], [w[0] for w in workers], user.pw_uid,
                     APP, pidfile))
say("ok")
PY
rc=$?
sed 's/^/fresh-test:    /' "$FAIL_LOG"
[ "$rc" -eq 0 ] || fail "smoke: $(grep 'smoke: FAIL' "$FAIL_LOG" | tail -n 1 |
    sed 's/^smoke: FAIL: //')"
FAIL_LOG=
done_phase

# --- 9. stop everything by PID ---------------------------------------------------------
phase "stop"
FAIL_LOG=$LOGS/stop.log
in_ctr "kill -TERM -- -$RUN_PID
	for i in \$(seq 1 600); do
		kill -0 -- -$RUN_PID 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 -- -$RUN_PID 2>/dev/null; then
		echo 'make run did not stop within 60 s'; exit 1
	fi
	cd $APP && make stop" >"$FAIL_LOG" 2>&1 || fail "could not stop make run"
# Nothing of the project may be left running (zombies aside).
left=$(in_ctr_stdin "/usr/bin/python3 -" <<'PY'
import os
for pid in os.listdir("/proc"):
    if not pid.isdigit() or int(pid) in (1, os.getpid()):
        continue
    try:
        with open("/proc/%s/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                continue
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        continue
    if any(w in cmd for w in ("kore", "postgres", "make")):
        print("%s: %s" % (pid, cmd))
PY
)
[ -z "$left" ] || { echo "$left" >>"$FAIL_LOG"; fail "left running after make stop: $left"; }
FAIL_LOG=
done_phase "make run stopped by its process group, make stop"

say_times
say "make test: $SUMMARY"
printf 'fresh-test: PASS\n'

# bench/nginx.sh, sourced by bench/run.sh once its server ($BASE) is
# measured: the same plan reads and submissions through nginx
# (deploy/nginx, as tools/nginx-conf.sh makes it) in front of that server,
# in BENCH_ROUNDS rounds interleaved with the same directly, so that a drift
# of the machine weighs on both.  nginx runs on the same 2 cores as the
# server, the database and wrk: what it costs is in the ratios.
# Checks: reads through nginx >= 0.80 of direct, submissions >= 0.90.

NGINX_PORT=${BENCH_NGINX_PORT:-$((PORT + 2))}
NGINX_PREFIX=var/bench-nginx
NGINX_BASE=http://127.0.0.1:$NGINX_PORT

mkdir -p "$NGINX_PREFIX/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -keyout "$NGINX_PREFIX/tls/key.pem" -out "$NGINX_PREFIX/tls/cert.pem" \
    >/dev/null 2>&1
tools/nginx-conf.sh "$NGINX_PREFIX" "127.0.0.1:$NGINX_PORT" \
    "127.0.0.1:$((NGINX_PORT + 1))" "$NGINX_PREFIX/tls/cert.pem" \
    "$NGINX_PREFIX/tls/key.pem" "127.0.0.1:$PORT"
# Its access log is part of what it costs, as in production.
/usr/sbin/nginx -p "$PWD/$NGINX_PREFIX" -c "$PWD/$NGINX_PREFIX/nginx.conf" \
    -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 1 100); do
	curl -fsS -o /dev/null "$NGINX_BASE/healthz" 2>/dev/null && break
	sleep 0.1
done

rps[plan-direct]=0 rps[plan-nginx]=0 bad[plan-direct]=0 bad[plan-nginx]=0
rps[submit-direct]=0 rps[submit-nginx]=0 bad[submit-direct]=0 bad[submit-nginx]=0
# nginx_round WHAT VIA ROUND
nginx_round() {
	local what=$1 via=$2 r=$3 base=$BASE
	[ "$via" = nginx ] && base=$NGINX_BASE
	if [ "$what" = plan ]; then
		BASE=$base run "$what-$via-$r" /v1/plans/current
	else
		BENCH_PATH=/v1/surveys/$run_id/responses BENCH_KEY=$partner \
		    BENCH_RUN=$run_id-$via-$r BASE=$base \
		    run "$what-$via-$r" /v1/surveys/$run_id/responses \
		    -s bench/submit.lua
	fi
	rps[$what-$via]=$(awk -v a="${rps[$what-$via]}" \
	    -v b="${rps[$what-$via-$r]:-0}" 'BEGIN { print a + b }')
	bad[$what-$via]=$((bad[$what-$via] + bad[$what-$via-$r]))
}
echo "nginx in front of the same server: $NGINX_BASE"
for r in $(seq 1 "${BENCH_ROUNDS:-2}"); do
	for what in plan submit; do
		if [ $((r % 2)) = 1 ]; then
			nginx_round "$what" direct "$r"; nginx_round "$what" nginx "$r"
		else
			nginx_round "$what" nginx "$r"; nginx_round "$what" direct "$r"
		fi
	done
done
kill -QUIT "$nginx_pid" 2>/dev/null
wait "$nginx_pid" 2>/dev/null
nginx_pid=

#!/usr/bin/env bash
#
# nginx-conf.sh: make nginx's configuration for the service from
# deploy/nginx/ (the templates a city copies).
#
#   nginx-conf.sh PREFIX HTTP_LISTEN TLS_LISTEN CERT KEY INSTANCE...
#
# INSTANCE is host:port, or host:port:down for one taken out of the
# upstream (a rolling restart drains it so).  Writes PREFIX/civicplan.conf
# and PREFIX/nginx.conf (an nginx of its own, everything under PREFIX);
# check it with nginx -t -c PREFIX/nginx.conf, and a running nginx takes a
# new one on SIGHUP, its old workers finishing what they are doing.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 6 ] || { echo "usage: nginx-conf.sh PREFIX HTTP_LISTEN TLS_LISTEN CERT KEY INSTANCE..." >&2; exit 1; }
prefix=$(realpath -m "$1"); http=$2; tls=$3; cert=$(realpath -m "$4"); key=$(realpath -m "$5")
shift 5
dir=$(pwd)/deploy/nginx

upstreams=
for i in "$@"; do
	case "$i" in
	*:down)	upstreams+="	server ${i%:down} down;"$'\n' ;;
	*)	upstreams+="	server $i max_fails=1 fail_timeout=2s;"$'\n' ;;
	esac
done

mkdir -p "$prefix/tmp" "$prefix/cache"
# sed replacement text: & and | and \ would be read as sed's own.
esc() { printf '%s' "$1" | sed -e 's/[&|\\]/\\&/g'; }
awk -v ups="$upstreams" '{ if ($0 == "@UPSTREAMS@") printf "%s", ups; else print }' \
    "$dir/civicplan.conf.in" |
    sed -e "s|@HTTP_LISTEN@|$(esc "$http")|g" -e "s|@TLS_LISTEN@|$(esc "$tls")|g" \
	-e "s|@TLS_CERT@|$(esc "$cert")|g" -e "s|@TLS_KEY@|$(esc "$key")|g" \
	-e "s|@NGINX_DIR@|$(esc "$prefix")|g" -e "s|@LOG_DIR@|$(esc "$prefix")|g" \
	-e "s|@CACHE_DIR@|$(esc "$prefix/cache")|g" \
    >"$prefix/civicplan.conf.tmp"
# PREFIX holds all of it, as /etc/nginx/civicplan/ would on a city's host.
sed -e "s|@NGINX_DIR@|$(esc "$prefix")|g" "$dir/proxy.conf" >"$prefix/proxy.conf"
cp "$dir/errors.conf" "$prefix/errors.conf"
rm -rf "$prefix/problems"
cp -r "$dir/problems" "$prefix/problems"
mv "$prefix/civicplan.conf.tmp" "$prefix/civicplan.conf"
sed -e "s|@PREFIX@|$(esc "$prefix")|g" -e "s|@CONF@|$(esc "$prefix/civicplan.conf")|g" \
    "$dir/nginx.conf.in" >"$prefix/nginx.conf"

#!/usr/bin/env bash
#
# nginx-entrypoint.sh: nginx on $HTTP_LISTEN and $TLS_LISTEN in front of
# $UPSTREAMS (host:port, space separated).  The certificate is
# /etc/civicplan/tls/{cert,key}.pem when mounted, else a self-signed one
# made now (for a first try only).
set -euo pipefail
prefix=/var/lib/civicplan-nginx
tls=/etc/civicplan/tls
if [ ! -s "$tls/cert.pem" ]; then
	tls=$prefix/tls
	mkdir -p "$tls"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
	    -keyout "$tls/key.pem" -out "$tls/cert.pem" >/dev/null 2>&1
fi
# shellcheck disable=SC2086
/srv/civicplan/tools/nginx-conf.sh "$prefix" "${HTTP_LISTEN:-127.0.0.1:8080}" \
    "${TLS_LISTEN:-127.0.0.1:8443}" "$tls/cert.pem" "$tls/key.pem" $UPSTREAMS
exec nginx -p "$prefix" -c "$prefix/nginx.conf" -g 'daemon off;'

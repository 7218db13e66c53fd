/*
 * The connection string the service hands to libpq.  The operator gives a
 * conninfo or URI in DATABASE_URL; we keep every setting in it and add what
 * a server process needs when the operator did not say otherwise: a short
 * connect timeout, no GSSAPI negotiation (it reads files the worker sandbox
 * forbids), an application name, statement and idle-in-transaction
 * timeouts so that no request can hold a connection for long, and no JIT
 * compilation (it made a reload of the published data take 0.8 s instead
 * of 0.03 s; our queries are short).
 */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "civic.h"

#define CONN_OPTIONS \
	"-c statement_timeout=5000 -c idle_in_transaction_session_timeout=10000 " \
	"-c jit=off"

struct conn_default {
	const char	*key;
	const char	*value;
};

static const struct conn_default conn_defaults[] = {
	{ "connect_timeout",	"3" },
	{ "gssencmode",		"disable" },
	{ "application_name",	NULL },		/* the caller's */
	{ NULL,			NULL },
};

static int
conn_append(char **buf, size_t *len, const char *key, const char *value)
{
	size_t	 need, i;
	char	*nb, *w;

	need = strlen(key) + 4 + 2 * strlen(value) + 1;
	if ((nb = realloc(*buf, *len + need + 1)) == NULL)
		return (-1);
	*buf = nb;

	w = nb + *len;
	if (*len > 0)
		*w++ = ' ';
	w += sprintf(w, "%s='", key);
	for (i = 0; value[i] != '\0'; i++) {
		if (value[i] == '\'' || value[i] == '\\')
			*w++ = '\\';
		*w++ = value[i];
	}
	*w++ = '\'';
	*w = '\0';
	*len = (size_t)(w - nb);

	return (0);
}

/* url parsed by libpq, or NULL with the reason (what: whose it is) in err. */
static PQconninfoOption *
conn_parse(const char *url, const char *what, char *err, size_t errlen)
{
	PQconninfoOption	*opts;
	char			*msg;

	msg = NULL;
	if ((opts = PQconninfoParse(url, &msg)) == NULL) {
		(void)snprintf(err, errlen, "%s: %s", what,
		    msg != NULL ? msg : "cannot be parsed");
		PQfreemem(msg);
	}
	return (opts);
}

/*
 * The end of a build: buf, or NULL (buf freed) when err says why, or when
 * an append failed or nothing was appended (then out of memory).
 */
static char *
conn_done(char *buf, int failed, char *err, size_t errlen)
{
	if (err[0] == '\0' && !failed && buf != NULL)
		return (buf);
	free(buf);
	if (err[0] == '\0')
		(void)snprintf(err, errlen, "out of memory");
	return (NULL);
}

/*
 * Returns a new string (free() it) or NULL with the reason in err.
 */
char *
conninfo_build(const char *url, char *err, size_t errlen)
{
	return (conninfo_build_as(url, "DATABASE_URL", "civicplan", err,
	    errlen));
}

/*
 * The same for the URL in the variable var, whose connections are named
 * app in pg_stat_activity unless the URL names them (the replica's reads
 * are "civicplan-read").
 */
char *
conninfo_build_as(const char *url, const char *var, const char *app,
    char *err, size_t errlen)
{
	PQconninfoOption	*opts, *o;
	const struct conn_default *d;
	char			*buf, *joined;
	size_t			 len;
	int			 have, have_options, failed;

	if ((opts = conn_parse(url, var, err, errlen)) == NULL)
		return (NULL);

	err[0] = '\0';
	buf = NULL;
	len = 0;
	failed = 0;
	have_options = 0;

	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "options") == 0) {
			have_options = 1;
			/* Ours first: the operator's settings win. */
			if (asprintf(&joined, "%s %s", CONN_OPTIONS,
			    o->val) == -1) {
				failed = 1;
				break;
			}
			failed |= conn_append(&buf, &len, o->keyword, joined);
			free(joined);
			continue;
		}
		failed |= conn_append(&buf, &len, o->keyword, o->val);
	}

	for (d = conn_defaults; !failed && d->key != NULL; d++) {
		have = 0;
		for (o = opts; o->keyword != NULL; o++) {
			if (o->val != NULL && strcmp(o->keyword, d->key) == 0)
				have = 1;
		}
		if (!have)
			failed |= conn_append(&buf, &len, d->key,
			    d->value != NULL ? d->value : app);
	}
	if (!failed && !have_options)
		failed |= conn_append(&buf, &len, "options", CONN_OPTIONS);

	PQconninfoFree(opts);
	return (conn_done(buf, failed, err, errlen));
}

/*
 * Keywords whose values name files: a worker chrooted away from them could
 * not read them.
 */
static const char *const conn_files[] = {
	"passfile", "service", "sslcert", "sslkey", "sslrootcert", "sslcrl",
	"sslcrldir", NULL
};

/*
 * The same conninfo as seen from inside a chroot at root: every host must be
 * a unix socket directory under root, and it becomes a path from root.
 * Returns a new string (free() it), or NULL with the reason in err when the
 * database cannot be reached from inside (a TCP host needs the resolver's
 * files, a file-valued keyword its file).
 */
char *
conninfo_chroot(const char *conninfo, const char *root, char *err,
    size_t errlen)
{
	PQconninfoOption	*opts, *o;
	const char *const	*f;
	char			*buf, *host, *h, *next;
	size_t			 len, rlen;
	int			 failed;

	if ((opts = conn_parse(conninfo, "conninfo", err, errlen)) == NULL)
		return (NULL);

	rlen = strlen(root);
	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	buf = NULL;
	host = NULL;
	len = 0;
	failed = 0;
	err[0] = '\0';

	for (o = opts; o->keyword != NULL && err[0] == '\0'; o++) {
		if (o->val == NULL)
			continue;
		for (f = conn_files; *f != NULL; f++) {
			if (strcmp(o->keyword, *f) == 0)
				(void)snprintf(err, errlen, "%s names a file",
				    *f);
		}
		if (strcmp(o->keyword, "hostaddr") == 0)
			(void)snprintf(err, errlen, "the database is on TCP");
		if (strcmp(o->keyword, "host") != 0) {
			failed |= conn_append(&buf, &len, o->keyword, o->val);
			continue;
		}
		if ((host = malloc(strlen(o->val) + 1)) == NULL) {
			failed = 1;
			break;
		}
		host[0] = '\0';
		for (h = o->val; h != NULL && err[0] == '\0'; h = next) {
			if ((next = strchr(h, ',')) != NULL)
				*next++ = '\0';
			if (h[0] != '/' || strncmp(h, root, rlen) != 0 ||
			    (h[rlen] != '/' && h[rlen] != '\0') ||
			    strstr(h, "/..") != NULL) {
				(void)snprintf(err, errlen, "host %s is not a "
				    "socket directory under %s", h, root);
				break;
			}
			if (host[0] != '\0')
				strcat(host, ",");
			strcat(host, h[rlen] == '\0' ? "/" : h + rlen);
		}
		if (err[0] == '\0')
			failed |= conn_append(&buf, &len, "host", host);
		free(host);
	}
	if (err[0] == '\0' && host == NULL)
		(void)snprintf(err, errlen, "no host: libpq's default socket "
		    "is outside %s", root);

	PQconninfoFree(opts);
	return (conn_done(buf, failed, err, errlen));
}

/*
 * The same conninfo with the address of every host name in it, as libpq's
 * hostaddr, looked up now: the workers' sandbox allows no name lookups (a
 * worker that resolved "db.internal" itself was killed for it), so the
 * parent resolves them before it forks.  Socket directories and addresses
 * stay as they are (an empty hostaddr element); host still names the
 * server for TLS and the password file.  A conninfo without host names, or
 * with a hostaddr of its own, is copied.  Returns a new string (free() it),
 * or NULL with the reason in err.
 */
char *
conninfo_resolve(const char *conninfo, char *err, size_t errlen)
{
	PQconninfoOption	*opts, *o;
	struct addrinfo		 hints, *res;
	struct in6_addr		 a6;
	char			*buf, *hosts, *h, *next, *addrs;
	char			 ip[INET6_ADDRSTRLEN];
	const char		*host;
	size_t			 len, alen;
	int			 named, failed, rc;

	if ((opts = conn_parse(conninfo, "conninfo", err, errlen)) == NULL)
		return (NULL);
	host = NULL;
	named = 0;
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val != NULL && strcmp(o->keyword, "hostaddr") == 0)
			named = -1;
		if (o->val != NULL && strcmp(o->keyword, "host") == 0)
			host = o->val;
	}
	if (named == 0 && host != NULL && (hosts = strdup(host)) != NULL) {
		for (h = hosts; h != NULL; h = next) {
			if ((next = strchr(h, ',')) != NULL)
				*next++ = '\0';
			if (h[0] != '/' && h[0] != '@' && h[0] != '\0' &&
			    inet_pton(AF_INET6, h, &a6) != 1 &&
			    inet_pton(AF_INET, h, &a6) != 1)
				named = 1;
		}
		free(hosts);
	}
	if (named != 1) {
		PQconninfoFree(opts);
		if ((buf = strdup(conninfo)) == NULL)
			(void)snprintf(err, errlen, "out of memory");
		return (buf);
	}

	/* One hostaddr element per host element. */
	failed = 0;
	err[0] = '\0';
	alen = strlen(host) * 4 + INET6_ADDRSTRLEN + 1;
	if ((hosts = strdup(host)) == NULL || (addrs = calloc(1, alen)) == NULL) {
		free(hosts);
		PQconninfoFree(opts);
		(void)snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	for (h = hosts; h != NULL && err[0] == '\0'; h = next) {
		if ((next = strchr(h, ',')) != NULL)
			*next++ = '\0';
		ip[0] = '\0';
		if (h[0] != '/' && h[0] != '@' && h[0] != '\0') {
			memset(&hints, 0, sizeof(hints));
			hints.ai_family = AF_UNSPEC;
			hints.ai_socktype = SOCK_STREAM;
			if ((rc = getaddrinfo(h, NULL, &hints, &res)) != 0) {
				(void)snprintf(err, errlen, "host %s: %s", h,
				    gai_strerror(rc));
				break;
			}
			if (getnameinfo(res->ai_addr, res->ai_addrlen, ip,
			    sizeof(ip), NULL, 0, NI_NUMERICHOST) != 0)
				(void)snprintf(err, errlen, "host %s: no "
				    "address", h);
			freeaddrinfo(res);
		}
		if (strlen(addrs) + strlen(ip) + 2 > alen) {
			(void)snprintf(err, errlen, "too many hosts");
			break;
		}
		if (h != hosts)
			strcat(addrs, ",");
		strcat(addrs, ip);
	}
	free(hosts);

	buf = NULL;
	len = 0;
	for (o = opts; err[0] == '\0' && o->keyword != NULL; o++) {
		if (o->val != NULL)
			failed |= conn_append(&buf, &len, o->keyword, o->val);
	}
	if (err[0] == '\0')
		failed |= conn_append(&buf, &len, "hostaddr", addrs);
	free(addrs);
	PQconninfoFree(opts);
	return (conn_done(buf, failed, err, errlen));
}

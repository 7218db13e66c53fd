/*
 * Rate limits in the service (ratelimit.c does the arithmetic: GCRA).
 *
 * Who pays for a request: the API key it carries, when the key is one of
 * the live keys this worker knows; otherwise its client's address (an IPv4
 * address, or an IPv6 address's /64, which one client usually holds
 * whole).  A request with an unknown, revoked or malformed key pays as its
 * address does: made-up keys buy no fresh quota.
 *
 * Which quota: the cached public reads (GET and HEAD of the plan, its
 * goals, objectives and priorities, its progress as it stands now (not
 * as_of), the status rules, the surveys, the tallies, the docs and the
 * health checks) take the "public" policy, each client its own,
 * generous quota (CIVIC_RATELIMIT_PUBLIC), apart from everything else:
 * dashboards are never refused because of their other requests.  The rest
 * takes the "key" policy (a key's own rate_limit, else
 * CIVIC_RATELIMIT_KEY) or the "address" policy (CIVIC_RATELIMIT_ADDRESS).
 * Every quota is per CIVIC_RATELIMIT_WINDOW seconds.
 *
 * The tables live in memory the parent maps shared before it forks the
 * workers (limits_init), so every worker counts against the same numbers;
 * keys and addresses have tables of their own, so that a flood of
 * addresses cannot evict a key's entry.  Every worker starts with the
 * live keys and their own limits as the parent read them before the fork
 * (limits_load_first), and keeps them up to date: it polls their revision every
 * LIMITS_POLL_MS and reloads the list when it moved, so a changed limit,
 * a new or a revoked key applies in every worker within that time and a
 * query's (a query that never ends is given up after LIMITS_GIVEUP_MS).
 *
 * A request that passes through the limiter carries RateLimit-Policy and
 * RateLimit; one refused is a 429 too-many-requests problem with
 * Retry-After.  Answers that no handler gives (404 for an unknown path,
 * OPTIONS, 405, 406, Kore's own) are not counted.
 */

#include <sys/mman.h>
#include <sys/random.h>

#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"

#include <kore/pgsql.h>

#include "dbq.h"

#define LIMITS_KEY_SETS		1024	/* 8,192 entries for keys */
#define LIMITS_ADDR_SETS	8192	/* 65,536 entries for addresses */
#define LIMITS_POLL_MS		250
#define LIMITS_GIVEUP_MS	5000

#define LIMITS_QUERY		"SELECT revision, secret_hash, rate_limit " \
				"FROM api_key_limits($1::bigint)"
#define LIMITS_QUERY_FIRST	"SELECT revision, secret_hash, rate_limit " \
				"FROM api_key_limits(0)"

/* The partitions: the first byte of an entry's id. */
#define PART_KEY		1
#define PART_KEY_PUBLIC		2
#define PART_ADDR		3
#define PART_ADDR_PUBLIC	4

struct key_limit {
	unsigned char	hash[APIKEY_HASH_LEN];
	uint32_t	limit;		/* 0: the default */
};

static struct rl_table	*keys_table;
static struct rl_table	*addrs_table;

static struct key_limit	*known;		/* sorted by hash */
static size_t		 nknown;
static int64_t		 known_revision;	/* 0: none loaded */

static struct kore_pgsql watch_sql;
static int		 watch_busy;
static u_int64_t	 watch_started;

static void	limits_watch(void *, u_int64_t);
static void	limits_watched(struct kore_pgsql *, void *);
static void	limits_load(PGresult *);

/*
 * The parent, before the fork: the shared tables (about 4 MB).  Their
 * hash's seed is secret, so that no client can aim at one set.
 */
void
limits_init(void)
{
	unsigned char	 seed[16];
	size_t		 klen, alen;
	char		*mem;

	klen = rl_table_size(LIMITS_KEY_SETS);
	klen = (klen + 63) & ~(size_t)63;
	alen = rl_table_size(LIMITS_ADDR_SETS);
	mem = mmap(NULL, klen + alen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		fatalx("rate limits: cannot map the shared tables");
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		fatalx("rate limits: no randomness");
	keys_table = rl_table_init(mem, LIMITS_KEY_SETS, seed);
	addrs_table = rl_table_init(mem + klen, LIMITS_ADDR_SETS, seed);
	if (keys_table == NULL || addrs_table == NULL)
		fatalx("rate limits: cannot make the shared locks");
	explicit_bzero(seed, sizeof(seed));
}

/* A cached public read: the "public" policy. */
static int
limits_public(struct http_request *req, const struct route *r)
{
	if (req->method != HTTP_METHOD_GET && req->method != HTTP_METHOD_HEAD)
		return (0);
	switch (r->kind) {
	case ROUTE_HEALTHZ:
	case ROUTE_READYZ:
	case ROUTE_OPENAPI:
	case ROUTE_DOCS:
	case ROUTE_DOCS_CSS:
	case ROUTE_DOCS_JS:
	case ROUTE_DASHBOARD:
	case ROUTE_DASHBOARD_JS:
	case ROUTE_DASHBOARD_CSS:
	case ROUTE_PLANS:
	case ROUTE_PLAN:
	case ROUTE_GOALS:
	case ROUTE_GOAL:
	case ROUTE_OBJECTIVES:
	case ROUTE_OBJECTIVE:
	case ROUTE_PRIORITIES:
	case ROUTE_PRIORITY_YEAR:
	case ROUTE_SURVEYS:
	case ROUTE_SURVEY:
	case ROUTE_TALLIES:
	case ROUTE_TALLIES_STREAM:
		return (1);
	default:
		/* Progress as it stands now; an as_of read asks the database. */
		return (progress_from_memory(req, r));
	}
}

/* The client's address into out (RL_ID_LEN - 1 bytes, zeroed). */
static void
limits_address(struct http_request *req, unsigned char *out)
{
	const struct sockaddr_in6	*in6;

	if (req->owner == NULL)
		return;
	if (req->owner->family == AF_INET) {
		out[0] = 4;
		memcpy(out + 1, &req->owner->addr.ipv4.sin_addr, 4);
	} else if (req->owner->family == AF_INET6) {
		in6 = &req->owner->addr.ipv6;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			out[0] = 4;
			memcpy(out + 1, in6->sin6_addr.s6_addr + 12, 4);
		} else {
			out[0] = 6;
			memcpy(out + 1, in6->sin6_addr.s6_addr, 8);
		}
	}
}

static int
limits_cmp(const void *a, const void *b)
{
	return (memcmp(a, b, APIKEY_HASH_LEN));
}

/*
 * Count the request against its client's quota (see above), and add the
 * RateLimit fields to its answer.  Returns 1 when it may go on, 0 when it
 * was refused (the 429 is sent).  A table that cannot be used lets the
 * request through.
 */
int
limits_check(struct http_request *req, const struct route *r)
{
	struct rl_verdict	 v;
	struct timespec		 ts;
	struct key_limit	*k;
	struct rl_table		*t;
	unsigned char		 id[RL_ID_LEN], hash[APIKEY_HASH_LEN];
	const char		*field, *key, *name;
	char			 buf[64];
	uint32_t		 q;
	int			 pub;

	/* The operator's scraper is not a client: never refused. */
	if (r->kind == ROUTE_METRICS && request_scrape_token(req))
		return (1);

	pub = limits_public(req, r);
	memset(id, 0, sizeof(id));
	k = NULL;
	if (nknown > 0 && http_request_header(req, "authorization", &field) &&
	    (key = apikey_from_header(field)) != NULL) {
		apikey_hash(key, hash);
		k = bsearch(hash, known, nknown, sizeof(*known), limits_cmp);
	}
	if (k != NULL) {
		t = keys_table;
		id[0] = pub ? PART_KEY_PUBLIC : PART_KEY;
		memcpy(id + 1, hash, sizeof(hash));
		name = pub ? "public" : "key";
		q = pub ? civic_config.rl_public :
		    k->limit != 0 ? k->limit : civic_config.rl_key;
	} else {
		t = addrs_table;
		id[0] = pub ? PART_ADDR_PUBLIC : PART_ADDR;
		limits_address(req, id + 1);
		name = pub ? "public" : "address";
		q = pub ? civic_config.rl_public : civic_config.rl_address;
	}

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	if (rl_take(t, id, q, civic_config.rl_window,
	    (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, &v) == -1)
		return (1);

	if (rl_policy_field(buf, sizeof(buf), name, q,
	    civic_config.rl_window) == 0)
		http_response_header(req, "ratelimit-policy", buf);
	if (rl_limit_field(buf, sizeof(buf), name, &v) == 0)
		http_response_header(req, "ratelimit", buf);
	if (v.allowed)
		return (1);

	(void)snprintf(buf, sizeof(buf), "%u", v.retry_after);
	http_response_header(req, "retry-after", buf);
	metrics_ratelimit_rejected();
	api_error(req, PROBLEM_TOO_MANY_REQUESTS, "Over the rate limit: policy "
	    "'%s' allows %u requests per %u seconds %s; retry in %u s.", name,
	    q, civic_config.rl_window, k != NULL ? "to this API key" :
	    "to this address", v.retry_after);
	return (0);
}

/*
 * The parent, once the database answers (after the first snapshot): the
 * live keys' limits, which every worker starts with.  Without them a key
 * would pay as its address does until its worker's first poll.
 */
void
limits_load_first(void)
{
	PGconn		*pg;
	PGresult	*res;

	pg = PQconnectdb(civic_config.conninfo);
	if (PQstatus(pg) == CONNECTION_OK) {
		res = PQexec(pg, LIMITS_QUERY_FIRST);
		limits_load(res);
		PQclear(res);
	}
	PQfinish(pg);
	if (known_revision == 0)
		kore_log(LOG_NOTICE, "rate limits: the keys' limits are not "
		    "loaded yet; the workers will poll them");
}

/* A worker's watcher of the live keys' limits: every LIMITS_POLL_MS. */
void
limits_watch_start(void)
{
	kore_timer_add(limits_watch, LIMITS_POLL_MS, NULL, 0);
}

static void
limits_watch(void *arg, u_int64_t now)
{
	static char	rev[24];

	(void)arg;

	/* As snapshot.c's watcher: a query that never ends is given up. */
	if (watch_busy) {
		if (watch_sql.conn != NULL &&
		    now - watch_started < LIMITS_GIVEUP_MS)
			return;
		dbq_cleanup(&watch_sql);
		watch_busy = 0;
	}

	(void)snprintf(rev, sizeof(rev), "%lld", (long long)known_revision);
	kore_pgsql_init(&watch_sql);
	kore_pgsql_bind_callback(&watch_sql, limits_watched, NULL);
	if (!kore_pgsql_setup(&watch_sql, API_DB, KORE_PGSQL_ASYNC) ||
	    dbq_conn_check(&watch_sql) == -1 ||
	    !kore_pgsql_query_params(&watch_sql, LIMITS_QUERY, 0, 1,
	    rev, (int)strlen(rev), 0)) {
		/* Busy pool or no database: try again at the next tick. */
		dbq_cleanup(&watch_sql);
		return;
	}
	watch_busy = 1;
	watch_started = now;
}

/* Lower-case hex s (2 * len digits) into out; -1 when it is not. */
static int
limits_hex(const char *s, unsigned char *out, size_t len)
{
	static const char	 digits[] = "0123456789abcdef";
	const char		*hi, *lo;
	size_t			 i;

	if (strlen(s) != len * 2)
		return (-1);
	for (i = 0; i < len; i++) {
		if ((hi = strchr(digits, s[2 * i])) == NULL ||
		    (lo = strchr(digits, s[2 * i + 1])) == NULL ||
		    *hi == '\0' || *lo == '\0')
			return (-1);
		out[i] = (unsigned char)((hi - digits) << 4 | (lo - digits));
	}
	return (0);
}

/* The rows of api_key_limits(): the new list, when the revision moved. */
static void
limits_load(PGresult *res)
{
	struct key_limit	*fresh;
	int64_t			 rev;
	size_t			 n;
	int			 i, rows;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 3 ||
	    (rows = PQntuples(res)) < 1)
		return;
	rev = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	if (rev == known_revision)
		return;
	if ((fresh = calloc((size_t)rows, sizeof(*fresh))) == NULL)
		return;
	for (i = 0, n = 0; i < rows; i++) {
		if (limits_hex(PQgetvalue(res, i, 1), fresh[n].hash,
		    APIKEY_HASH_LEN) == -1)
			continue;	/* the one row of no key */
		fresh[n].limit = (uint32_t)strtoul(PQgetvalue(res, i, 2),
		    NULL, 10);
		if (fresh[n].limit > RL_QUOTA_MAX)
			fresh[n].limit = 0;
		n++;
	}
	qsort(fresh, n, sizeof(*fresh), limits_cmp);
	free(known);
	known = fresh;
	nknown = n;
	/* A key changed: an admin's stream may have lost its key. */
	if (known_revision != 0)
		stream_end_private();
	known_revision = rev;
}

static void
limits_watched(struct kore_pgsql *sql, void *arg)
{
	(void)arg;

	switch (sql->state) {
	case KORE_PGSQL_STATE_WAIT:
		break;
	case KORE_PGSQL_STATE_RESULT:
		limits_load(sql->result);
		kore_pgsql_continue(sql);
		break;
	case KORE_PGSQL_STATE_ERROR:
		/* As in snapshot.c: clean up once; COMPLETE follows. */
		dbq_cleanup(sql);
		watch_busy = 0;
		break;
	case KORE_PGSQL_STATE_COMPLETE:
		watch_busy = 0;
		break;
	default:
		kore_pgsql_continue(sql);
		break;
	}
}

/*
 * The module: configuration from the environment, the worker sandbox, the
 * database pool and the in-memory snapshot of the published data.
 *
 * The parent reads the settings and loads the snapshot before it forks the
 * workers, so every worker starts with the same bytes.  Settings:
 *
 *	DATABASE_URL		libpq conninfo or URI (required)
 *	CIVIC_BIND, CIVIC_PORT	where to listen (127.0.0.1, 8888)
 *	CIVIC_WORKERS		worker processes (from the config file)
 *	CIVIC_CORS_ORIGINS	origins allowed by CORS, comma separated
 *	CIVIC_DOCS_DIR		openapi.json and the docs page (./docs)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"

#include <kore/pgsql.h>
#include <kore/seccomp.h>

#define CONTENT_WAIT_SECONDS	15	/* for the database at start-up */
#define CONTENT_RETRY_SECONDS	1	/* between loads in a worker */
#define CONTENT_POLL_MS		200	/* between revision checks */

/*
 * Kore writes its Server line into every response, its own too (the 400,
 * 408, 411, 413... that no handler sees): the headers every response
 * carries ride on it.  It replaces conf/app.conf's http_server_version.
 */
#define SERVER_HEADERS		"civicplan\r\n" \
				"x-content-type-options: nosniff"

#if defined(CIVIC_SANITIZE)
/*
 * The sanitizer build only (make sanitize): every system call is allowed.
 * The sanitizer runtimes make calls Kore's allow-list lacks, at the worst
 * moment: LeakSanitizer, when a worker exits, stops the world (gettid,
 * clone, ptrace, prctl), and under the real filter the worker was killed
 * (SIGSYS, on gettid) before it could report anything.  The shipped build
 * keeps the filter below, and make test runs under it.
 */
KORE_SECCOMP_FILTER("civicplan",
	KORE_BPF_RET(SECCOMP_RET_ALLOW),
);
#else
/*
 * Debian 12's glibc implements stat() and fstat() with newfstatat, which
 * Kore 4.1.0's allow-list lacks: libpq's first connection needs it.
 */
KORE_SECCOMP_FILTER("civicplan",
	KORE_SYSCALL_ALLOW(newfstatat),
);
#endif

void	kore_parent_configure(int, char **);
void	kore_worker_configure(void);
int	app_not_found(struct http_request *);

struct civic_config	 civic_config;
struct content		*civic_content;

static time_t		 content_tried;
static struct kore_pgsql watch_sql;
static int		 watch_busy;
static u_int64_t	 watch_started;

static void	app_sandbox(void);
static void	content_watch(void *, u_int64_t);
static void	content_watched(struct kore_pgsql *, void *);

static const char *
env_or(const char *name, const char *fallback)
{
	const char	*v;

	if ((v = getenv(name)) == NULL || *v == '\0')
		return (fallback);
	return (v);
}

static void
app_bind(void)
{
	struct kore_server	*srv;
	const char		*ip, *port;

	ip = env_or("CIVIC_BIND", "127.0.0.1");
	port = env_or("CIVIC_PORT", "8888");

	if ((srv = kore_server_lookup("default")) == NULL)
		fatalx("conf: no server block named 'default'");
	/* conn_accept (conn.c) sets each connection up. */
	if (!kore_server_bind(srv, ip, port, "conn_accept"))
		fatalx("cannot listen on %s:%s", ip, port);
	kore_log(LOG_NOTICE, "civicplan listening on http://%s:%s", ip, port);
}

void
kore_parent_configure(int argc, char **argv)
{
	const char	*url, *v;
	char		 err[512];
	long		 n;
	int		 i;
	time_t		 deadline;

	(void)argc;
	(void)argv;

	if ((url = getenv("DATABASE_URL")) == NULL || *url == '\0')
		fatalx("DATABASE_URL is not set");
	if ((civic_config.conninfo = conninfo_build(url, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);

	if ((v = getenv("CIVIC_CORS_ORIGINS")) != NULL && *v != '\0')
		civic_config.cors_origins = kore_strdup(v);
	civic_config.docs_dir = kore_strdup(env_or("CIVIC_DOCS_DIR", "docs"));

	if ((v = getenv("CIVIC_WORKERS")) != NULL) {
		n = strtol(v, NULL, 10);
		if (n < 1 || n > 64)
			fatalx("CIVIC_WORKERS must be from 1 to 64");
		worker_count = (u_int8_t)n;
	}

	app_bind();
	http_server_version(SERVER_HEADERS);

	if (docs_load(civic_config.docs_dir, err, sizeof(err)) == -1)
		fatalx("docs: %s", err);

	/* Wait a bounded time, whatever each attempt costs. */
	deadline = time(NULL) + CONTENT_WAIT_SECONDS;
	for (i = 0; time(NULL) < deadline; i++) {
		if ((civic_content = content_load(civic_config.conninfo, err,
		    sizeof(err))) != NULL)
			break;
		if (i == 0)
			kore_log(LOG_NOTICE, "waiting for the database: %s",
			    err);
		usleep(250000);
	}
	if (civic_content == NULL) {
		kore_log(LOG_WARNING, "starting without plan data (%s); "
		    "workers will retry", err);
	}
	content_tried = time(NULL);

	app_sandbox();
}

/*
 * Where the workers live.  Started as root, Kore drops each worker to its
 * runas user and chroots it into its root directory (tools/serve.sh sets
 * both: the user civicplan, the instance's var/).  A chrooted worker sees
 * the database's socket directory from that root, so its conninfo is
 * rewritten; when the database cannot be reached from inside (TCP needs
 * the resolver's files), the workers stay outside, still unprivileged.
 */
static void
app_sandbox(void)
{
	char	 err[256], *jailed;

	if (skip_chroot)
		return;
	if ((jailed = conninfo_chroot(civic_config.conninfo, kore_root_path,
	    err, sizeof(err))) == NULL) {
		kore_log(LOG_NOTICE, "workers not chrooted: %s", err);
		skip_chroot = 1;
		return;
	}
	kore_log(LOG_NOTICE, "workers chrooted into %s", kore_root_path);
	free(civic_config.conninfo);
	civic_config.conninfo = jailed;
}

void
kore_worker_configure(void)
{
	api_init_worker();
	if (!kore_pgsql_register(API_DB, civic_config.conninfo))
		fatal("cannot register the database pool");
	kore_timer_add(content_watch, CONTENT_POLL_MS, NULL, 0);
}

/*
 * Every CONTENT_POLL_MS, ask the database for the content revision (a
 * query through the pool, without blocking the worker).  When it moved,
 * load a new snapshot: every worker serves a change within a fifth of a
 * second of its commit, and the time a load takes.
 */
static void
content_watch(void *arg, u_int64_t now)
{
	(void)arg;

	/*
	 * Kore drops a connection that fails under a callback without a word
	 * to it: a check that never ends is given up after 5 seconds.
	 */
	if (watch_busy) {
		if (now - watch_started < 5000)
			return;
		kore_pgsql_cleanup(&watch_sql);
		watch_busy = 0;
	}

	kore_pgsql_init(&watch_sql);
	kore_pgsql_bind_callback(&watch_sql, content_watched, NULL);
	if (!kore_pgsql_setup(&watch_sql, API_DB, KORE_PGSQL_ASYNC) ||
	    !kore_pgsql_query(&watch_sql,
	    "SELECT revision FROM content_revision")) {
		/* Busy pool or no database: try again at the next tick. */
		kore_pgsql_cleanup(&watch_sql);
		return;
	}
	watch_busy = 1;
	watch_started = now;
}

/*
 * Load a new snapshot now (a short blocking read): after this worker wrote
 * published data, and when the revision moved.
 */
void
app_content_reload(void)
{
	struct content	*fresh;
	char		 err[512];

	if ((fresh = content_load(civic_config.conninfo, err,
	    sizeof(err))) == NULL) {
		kore_log(LOG_NOTICE, "reload failed: %s", err);
		return;
	}
	content_free(civic_content);
	civic_content = fresh;
	/* Results visibility may have changed with it. */
	tallies_invalidate();
}

static void
content_watched(struct kore_pgsql *sql, void *arg)
{
	int64_t		 rev;

	(void)arg;

	switch (sql->state) {
	case KORE_PGSQL_STATE_WAIT:
		break;
	case KORE_PGSQL_STATE_RESULT:
		rev = kore_pgsql_ntuples(sql) == 1 ?
		    strtoll(kore_pgsql_getvalue(sql, 0, 0), NULL, 10) : 0;
		if (civic_content == NULL || rev != civic_content->revision)
			app_content_reload();
		kore_pgsql_continue(sql);
		break;
	case KORE_PGSQL_STATE_ERROR:
		/*
		 * Releases the connection, and calls back once more with
		 * COMPLETE from inside: clean up once (twice freed the error).
		 * A broken connection is reset by the next request that fails
		 * on it (dbq.c).
		 */
		kore_pgsql_cleanup(sql);
		watch_busy = 0;
		break;
	case KORE_PGSQL_STATE_COMPLETE:
		/* Released by Kore (or by the cleanup above): nothing left. */
		watch_busy = 0;
		break;
	default:
		kore_pgsql_continue(sql);
		break;
	}
}

/*
 * The snapshot requests are served from.  When the parent could not load
 * it, a worker tries again, at most once a second.
 */
struct content *
app_content(void)
{
	char	err[512];
	time_t	now;

	if (civic_content != NULL)
		return (civic_content);

	now = time(NULL);
	if (now - content_tried < CONTENT_RETRY_SECONDS)
		return (NULL);
	content_tried = now;

	civic_content = content_load(civic_config.conninfo, err, sizeof(err));
	if (civic_content == NULL)
		kore_log(LOG_NOTICE, "plan data still not loaded: %s", err);
	return (civic_content);
}

/* The snapshot admins read: the published data and the draft plans. */
struct content *
app_content_admin(void)
{
	struct content	*c;

	if ((c = app_content()) != NULL && c->all != NULL)
		return (c->all);
	return (c);
}

/*
 * The resource at path, for a write that needs it now: a survey made a
 * moment ago may be missing from this worker's snapshot until its next
 * poll, so a miss reloads at once (at most every MISS_RELOAD_MS).
 */
#define MISS_RELOAD_MS		250

const struct resource *
app_resource(const char *path)
{
	static u_int64_t	 last_miss;
	const struct resource	*r;
	u_int64_t		 now;

	if ((r = content_resource(app_content(), path)) != NULL)
		return (r);
	now = kore_time_ms();
	if (now - last_miss < MISS_RELOAD_MS)
		return (NULL);
	last_miss = now;
	app_content_reload();
	return (content_resource(app_content(), path));
}

/* The last route: anything no other route serves. */
int
app_not_found(struct http_request *req)
{
	api_headers(req);
	if (api_header_check(req) == -1)
		return (KORE_RESULT_OK);
	api_error(req, PROBLEM_NOT_FOUND, "Nothing is served at %s.",
	    req->path);
	return (KORE_RESULT_OK);
}

/*
 * The published content requests are served from: a snapshot of the plan
 * and survey documents (content.c), loaded by the parent before it forks
 * the workers, so that every worker starts with the same bytes, and kept
 * up to date by each worker's watcher.  Whoever keeps something made from
 * it (tallies.c) compares snapshot_revision() with the one it was made at.
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "api.h"

#include <kore/pgsql.h>

#include "dbq.h"
#include "obs.h"

#define SNAPSHOT_WAIT_SECONDS	15	/* for the database, at start */
#define SNAPSHOT_RETRY_SECONDS	1	/* between loads in a worker */
#define SNAPSHOT_POLL_MS	200	/* between revision checks */
#define SNAPSHOT_GIVEUP_MS	5000	/* a check that never ended */
#define SNAPSHOT_MISS_MS	250	/* between reloads on a miss */

static struct content	*snapshot;
static time_t		 snapshot_tried;
static struct kore_pgsql watch_sql;
static int		 watch_busy;
static u_int64_t	 watch_started;

static void	snapshot_watch(void *, u_int64_t);
static void	snapshot_watched(struct kore_pgsql *, void *);

/*
 * The parent's load, before the workers fork: the database is waited for
 * a bounded time, whatever each attempt costs; without it the workers
 * start empty and try again themselves.
 */
void
snapshot_load_first(void)
{
	char	err[512];
	time_t	deadline;
	int	i;

	deadline = time(NULL) + SNAPSHOT_WAIT_SECONDS;
	for (i = 0; time(NULL) < deadline; i++) {
		if ((snapshot = content_load(civic_config.conninfo, err,
		    sizeof(err))) != NULL)
			break;
		if (i == 0)
			kore_log(LOG_NOTICE, "waiting for the database: %s",
			    err);
		usleep(250000);
	}
	if (snapshot == NULL) {
		kore_log(LOG_WARNING, "starting without plan data (%s); "
		    "workers will retry", err);
	}
	snapshot_tried = time(NULL);
}

/* A worker's watcher: every SNAPSHOT_POLL_MS from now on. */
void
snapshot_watch_start(void)
{
	kore_timer_add(snapshot_watch, SNAPSHOT_POLL_MS, NULL, 0);
}

/*
 * Every SNAPSHOT_POLL_MS, ask the database for the content revision (a
 * query through the pool, without blocking the worker).  When it moved,
 * load a new snapshot: every worker serves a change within a fifth of a
 * second of its commit, and the time a load takes.
 */
static void
snapshot_watch(void *arg, u_int64_t now)
{
	(void)arg;

	/*
	 * Kore drops a connection that fails under a callback (epoll reports
	 * an error) without a word to it: it only takes the connection away.
	 * A check without one is over; one that never ends is given up after
	 * SNAPSHOT_GIVEUP_MS.
	 */
	if (watch_busy) {
		if (watch_sql.conn != NULL &&
		    now - watch_started < SNAPSHOT_GIVEUP_MS)
			return;
		kore_pgsql_cleanup(&watch_sql);
		watch_busy = 0;
	}

	kore_pgsql_init(&watch_sql);
	kore_pgsql_bind_callback(&watch_sql, snapshot_watched, NULL);
	if (!kore_pgsql_setup(&watch_sql, API_DB, KORE_PGSQL_ASYNC) ||
	    dbq_conn_check(&watch_sql) == -1 ||
	    !kore_pgsql_query(&watch_sql,
	    "SELECT version FROM api_content_version")) {
		/* Busy pool or no database: try again at the next tick. */
		kore_pgsql_cleanup(&watch_sql);
		return;
	}
	watch_busy = 1;
	watch_started = now;
}

static void
snapshot_watched(struct kore_pgsql *sql, void *arg)
{
	int64_t		 rev;

	(void)arg;

	switch (sql->state) {
	case KORE_PGSQL_STATE_WAIT:
		break;
	case KORE_PGSQL_STATE_RESULT:
		rev = kore_pgsql_ntuples(sql) == 1 ?
		    strtoll(kore_pgsql_getvalue(sql, 0, 0), NULL, 10) : 0;
		if (snapshot == NULL || rev != snapshot->revision)
			snapshot_reload();
		kore_pgsql_continue(sql);
		break;
	case KORE_PGSQL_STATE_ERROR:
		/*
		 * Releases the connection, and calls back once more with
		 * COMPLETE from inside: clean up once (twice freed the error).
		 * A broken connection is reconnected by the next query that
		 * takes it (dbq_conn_check).
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
 * Load a new snapshot now (a short blocking read): after this worker wrote
 * published data, and when the revision moved.
 */
void
snapshot_reload(void)
{
	struct content	*fresh;
	char		 err[512];

	if ((fresh = content_load(civic_config.conninfo, err,
	    sizeof(err))) == NULL) {
		kore_log(LOG_NOTICE, "reload failed: %s", err);
		return;
	}
	content_free(snapshot);
	snapshot = fresh;
	metrics_content_reload();
}

/*
 * The snapshot requests are served from.  When the parent could not load
 * it, a worker tries again, at most once a second.
 */
struct content *
snapshot_get(void)
{
	char	err[512];
	time_t	now;

	if (snapshot != NULL)
		return (snapshot);

	now = time(NULL);
	if (now - snapshot_tried < SNAPSHOT_RETRY_SECONDS)
		return (NULL);
	snapshot_tried = now;

	snapshot = content_load(civic_config.conninfo, err, sizeof(err));
	if (snapshot == NULL)
		kore_log(LOG_NOTICE, "plan data still not loaded: %s", err);
	return (snapshot);
}

/* The snapshot admins read: the published data and the draft plans. */
struct content *
snapshot_admin(void)
{
	struct content	*c;

	if ((c = snapshot_get()) != NULL && c->all != NULL)
		return (c->all);
	return (c);
}

/* The content revision of the snapshot served now (0: none loaded). */
int64_t
snapshot_revision(void)
{
	return (snapshot != NULL ? snapshot->revision : 0);
}

/*
 * The resource at path, for a write that needs it now: a survey made a
 * moment ago may be missing from this worker's snapshot until its next
 * poll, so a miss reloads at once (at most every SNAPSHOT_MISS_MS).
 */
const struct resource *
snapshot_resource(const char *path)
{
	static u_int64_t	 last_miss;
	const struct resource	*r;
	u_int64_t		 now;

	if ((r = content_resource(snapshot_get(), path)) != NULL)
		return (r);
	now = kore_time_ms();
	if (now - last_miss < SNAPSHOT_MISS_MS)
		return (NULL);
	last_miss = now;
	snapshot_reload();
	return (content_resource(snapshot_get(), path));
}

/* The survey slug, as this worker publishes it (snapshot_resource). */
const struct resource *
snapshot_survey(const char *slug)
{
	char	path[CIVIC_PATH_MAX];

	(void)snprintf(path, sizeof(path), "/v1/surveys/%s", slug);
	return (snapshot_resource(path));
}

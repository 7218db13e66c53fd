/*
 * The published content requests are served from: a snapshot of the plan
 * and survey documents (content.c), loaded by the parent before it forks
 * the workers, so that every worker starts with the same bytes, and kept
 * up to date by each worker's watcher.  Whoever keeps something made from
 * it (tallies.c) compares snapshot_revision() with the one it was made at.
 *
 * With a streaming replica (DATABASE_READ_URL), the watcher asks the
 * replica, and the snapshot and the public tallies are read from there
 * while the replica is fresh: it answered within REPLICA_SEEN_MS, and its
 * lag is within CIVIC_READ_MAX_LAG_MS.  The lag is the age of the last
 * transaction it replayed (an upper bound of how old what it shows is),
 * or 0 when it has replayed all it received from a primary it still
 * streams from.  A replica that lags or does not answer sends the reads to
 * the primary, and every other check asks it again, until it is fresh.
 * What a worker writes itself it reads back from the primary at once
 * (snapshot_reload), and a snapshot never goes back to an older revision.
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
#define REPLICA_SEEN_MS		1000	/* an older answer is not trusted */

/* The replica's lag in ms, as it says: see above. */
#define REPLICA_LAG_SQL \
	"CASE WHEN NOT pg_is_in_recovery() THEN 0 " \
	"WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AND " \
	"EXISTS (SELECT 1 FROM pg_stat_wal_receiver) THEN 0 " \
	"ELSE coalesce((extract(epoch FROM clock_timestamp() - " \
	"pg_last_xact_replay_timestamp()) * 1000)::bigint, -1) END"

static struct content	*snapshot;
static time_t		 snapshot_tried;
static struct kore_pgsql watch_sql;
static int		 watch_busy;
static u_int64_t	 watch_started;
static int		 watch_replica;		/* this check asks it */
static u_int64_t	 watch_ticks;
static u_int64_t	 replica_seen;		/* its last answer */
static int64_t		 replica_lag = -1;
static int		 replica_was_fresh = -1;

static void	snapshot_watch(void *, u_int64_t);
static void	snapshot_watched(struct kore_pgsql *, void *);
static void	snapshot_reload_from(const char *, int);
static int	replica_fresh(void);
static void	replica_note(int64_t);
static void	replica_log(void);

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
 * Every SNAPSHOT_POLL_MS, ask the database for the content revision and
 * the day (api_content_version: a status follows the calendar too), in a
 * query through the pool, without blocking the worker.  When it moved,
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
		dbq_cleanup(&watch_sql);
		watch_busy = 0;
	}

	replica_log();

	/* Without a fresh replica, every other check asks the primary. */
	watch_replica = civic_config.read_conninfo != NULL &&
	    (replica_fresh() || (watch_ticks++ & 1));

	kore_pgsql_init(&watch_sql);
	kore_pgsql_bind_callback(&watch_sql, snapshot_watched, NULL);
	if (!kore_pgsql_setup(&watch_sql, watch_replica ? API_READ_DB :
	    API_DB, KORE_PGSQL_ASYNC) ||
	    dbq_conn_check(&watch_sql) == -1 ||
	    !kore_pgsql_query(&watch_sql,
	    "SELECT version, " REPLICA_LAG_SQL " FROM api_content_version")) {
		/* Busy pool or no database: try again at the next tick. */
		dbq_cleanup(&watch_sql);
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
		if (kore_pgsql_ntuples(sql) != 1) {
			kore_pgsql_continue(sql);
			break;
		}
		rev = strtoll(kore_pgsql_getvalue(sql, 0, 0), NULL, 10);
		if (!watch_replica) {
			if (snapshot == NULL || rev != snapshot->revision)
				snapshot_reload();
		} else {
			replica_note(strtoll(kore_pgsql_getvalue(sql, 0, 1),
			    NULL, 10));
			if (replica_fresh() &&
			    (snapshot == NULL || rev > snapshot->revision))
				snapshot_reload_from(
				    civic_config.read_conninfo, 1);
		}
		kore_pgsql_continue(sql);
		break;
	case KORE_PGSQL_STATE_ERROR:
		/*
		 * Releases the connection, and calls back once more with
		 * COMPLETE from inside: clean up once (twice freed the error).
		 * A broken connection is reconnected by the next query that
		 * takes it (dbq_conn_check).
		 */
		dbq_cleanup(sql);
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
 * Load a new snapshot now (a short blocking read) from the primary: after
 * this worker wrote published data, and when the revision moved.
 */
void
snapshot_reload(void)
{
	snapshot_reload_from(civic_config.conninfo, 0);
}

/*
 * Load a new snapshot from conninfo; from a replica (newer), one older than
 * the snapshot served now is not taken.
 */
static void
snapshot_reload_from(const char *conninfo, int newer)
{
	struct content	*fresh;
	char		 err[512];

	if ((fresh = content_load(conninfo, err, sizeof(err))) == NULL) {
		kore_log(LOG_NOTICE, "reload failed: %s", err);
		return;
	}
	if (newer && snapshot != NULL && fresh->revision <= snapshot->revision) {
		content_free(fresh);
		return;
	}
	content_free(snapshot);
	snapshot = fresh;
	metrics_content_reload();
}

/* Is the replica there, answering, and within the lag allowed? */
static int
replica_fresh(void)
{
	return (civic_config.read_conninfo != NULL && replica_seen != 0 &&
	    kore_time_ms() - replica_seen <= REPLICA_SEEN_MS &&
	    replica_lag >= 0 && replica_lag <= civic_config.read_max_lag_ms);
}

/* The replica answered with its lag. */
static void
replica_note(int64_t lag)
{
	replica_lag = lag;
	replica_seen = kore_time_ms();
	replica_log();
}

/* The log says when the reads move, and why. */
static void
replica_log(void)
{
	int	fresh;

	if (civic_config.read_conninfo == NULL ||
	    (fresh = replica_fresh()) == replica_was_fresh)
		return;
	if (fresh) {
		kore_log(LOG_NOTICE, "published data read from the replica");
	} else if (replica_was_fresh == 1) {
		if (kore_time_ms() - replica_seen > REPLICA_SEEN_MS)
			kore_log(LOG_NOTICE, "published data read from the "
			    "primary: the replica does not answer");
		else
			kore_log(LOG_NOTICE, "published data read from the "
			    "primary: the replica lags %lld ms",
			    (long long)replica_lag);
	}
	replica_was_fresh = fresh;
}

/*
 * The pool the published data and the public tallies are read from: the
 * replica's while it is fresh, else the primary's.
 */
const char *
snapshot_read_db(void)
{
	return (replica_fresh() ? API_READ_DB : API_DB);
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

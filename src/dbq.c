/*
 * One asynchronous query per request, through Kore's pgsql pool.
 *
 * A handler that needs the database calls dbq_handle() with the request's
 * route (kept in the query's state, q->route) and two functions: prepare()
 * reads and checks the request and fills the query and its parameters (or
 * answers the request itself and returns 0); finish() reads the result and
 * answers.  In between, the request sleeps while PostgreSQL
 * works, so the worker serves others.  Writes are one statement (a call of
 * an SQL function that does the whole transaction), so no connection ever
 * goes back to the pool inside a transaction.
 *
 * Admission is first come, first served: at most dbq_slots() requests of a
 * worker hold a pooled connection at once, and the others wait in a queue
 * of our own, each handed the slot of the one that finishes.  Kore's own
 * wait queue puts a woken request back at its tail when a newcomer took
 * the connection first, and some requests then waited seconds.  Two
 * connections of the pool stay for background queries.  The pool
 * is small on purpose (pgsql_conn_max in conf/app.conf): PostgreSQL on a
 * few cores stores more responses per second with a dozen sessions than
 * with sixty.  When more than pgsql_queue_limit requests wait (500, under
 * Kore's own http_request_limit, which answers an empty 503), a new one
 * gets a 503 problem with Retry-After at once instead of a growing wait.
 *
 * Submissions (a request whose prepare() left q->item) are stored in
 * groups: see dbq_gather() below.
 *
 * A pooled connection can be stale after the database restarted.  Every
 * query, the background ones too, first checks the connection it was given
 * (dbq_conn_check): one the server closed is reconnected before the query
 * is sent.  A query that fails on a connection lost later is sent again on
 * the next; the functions we call are safe to repeat (idempotent by their
 * keys) or fail before they commit.
 */

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#include <kore/pgsql.h>

#include "dbq.h"

static int	dbq_admit(struct http_request *);
static int	dbq_setup(struct http_request *);
static int	dbq_wait(struct http_request *);
static int	dbq_finish(struct http_request *);
static int	dbq_error(struct http_request *);
static int	dbq_gather(struct http_request *);
static void	dbq_group_start(void);
static void	dbq_group_send(struct dbq_group *);
static void	dbq_group_query(struct dbq_group *);
static void	dbq_group_done(struct kore_pgsql *, void *);
static void	dbq_group_end(struct dbq_group *);
static void	dbq_group_tick(void *, u_int64_t);
static void	dbq_group_reap(void);
static PGresult	*dbq_group_row(const PGresult *, int);
static void	dbq_key_learned(struct http_request *, struct dbq *);
static u_int32_t dbq_slots(void);
static void	dbq_gauges(void);
static int	dbq_items_param(struct dbq *, json_t *const *, size_t);
static int	dbq_lone_params(struct dbq *, json_t *);

/* Connections kept for the snapshot watcher and the tally refreshes. */
#define DBQ_RESERVED	2u

/*
 * Stores of gathered submissions: at most DBQ_GROUPS at once per worker,
 * each on a connection of its own (not one of dbq_slots()), each of at
 * most DBQ_GROUP_MAX submissions.  One: at 64 connections on 2 cores, two
 * per worker ran 2,300-2,500 submissions a second at a p99 of 65-92 ms and
 * 480-600 us of PostgreSQL's CPU each; one, 3,350-3,430 at 50-51 ms and
 * 340-350 us (bigger groups, one WAL flush for more of them).
 */
#define DBQ_GROUPS		1u
#define DBQ_GROUP_MAX		64
#define DBQ_GROUP_TICK_MS	100

/* q->gathered: where a submission is. */
#define DBQ_GATHER_NONE		0
#define DBQ_GATHER_PENDING	1	/* in dbq_pending */
#define DBQ_GATHER_STORING	2	/* a member of q->group */
#define DBQ_GATHER_STORED	3	/* q->result is its row */
#define DBQ_GATHER_UNREACHABLE	4	/* its store could not reach the database */
#define DBQ_GATHER_REFUSED	5	/* the database refused its store */

struct dbq_group {
	struct kore_pgsql	 sql;
	struct dbq		*members[DBQ_GROUP_MAX];	/* NULL: gone */
	size_t			 n;
	PGresult		*result;
	const char		*query;
	int			 nparams;	/* its parameters, owned */
	char			*params[DBQ_PARAMS_MAX];
	int			 lengths[DBQ_PARAMS_MAX];
	int			 retried;
	int			 error;		/* 1: refused, 2: connection lost */
	int			 over;
	TAILQ_ENTRY(dbq_group)	 list;
};

#define DBQ_ADMIT	0
#define DBQ_SETUP	1
#define DBQ_WAIT	2
#define DBQ_FINISH	3
#define DBQ_ERROR	4
#define DBQ_GATHER	5

static struct http_state	dbq_states[] = {
	KORE_HTTP_STATE(dbq_admit),
	KORE_HTTP_STATE(dbq_setup),
	KORE_HTTP_STATE(dbq_wait),
	KORE_HTTP_STATE(dbq_finish),
	KORE_HTTP_STATE(dbq_error),
	KORE_HTTP_STATE(dbq_gather),
};

static TAILQ_HEAD(, dbq)	dbq_queue = TAILQ_HEAD_INITIALIZER(dbq_queue);
static u_int32_t		dbq_queued;	/* requests in dbq_queue */
static u_int32_t		dbq_running;	/* slots held */

static TAILQ_HEAD(, dbq)	dbq_pending = TAILQ_HEAD_INITIALIZER(dbq_pending);
static u_int32_t		dbq_npending;	/* submissions in dbq_pending */
static TAILQ_HEAD(, dbq_group)	dbq_groups = TAILQ_HEAD_INITIALIZER(dbq_groups);
static u_int32_t		dbq_ngroups;	/* stores running */
static TAILQ_HEAD(, dbq_group)	dbq_ended = TAILQ_HEAD_INITIALIZER(dbq_ended);
static struct kore_timer	*dbq_group_timer;

/*
 * Set parameter i to a copy of len bytes of value (len 0: a C string; value
 * NULL: SQL NULL).  format 1 sends the bytes as binary.
 */
void
dbq_param(struct dbq *q, int i, const void *value, size_t len, int format)
{
	if (i < 0 || i >= DBQ_PARAMS_MAX)
		fatal("dbq_param: index %d", i);
	kore_free(q->owned[i]);
	q->owned[i] = NULL;
	q->values[i] = NULL;
	q->lengths[i] = 0;
	q->formats[i] = format;

	if (value != NULL) {
		if (len == 0)
			len = strlen(value);
		q->owned[i] = kore_malloc(len + 1);
		memcpy(q->owned[i], value, len);
		q->owned[i][len] = '\0';
		q->values[i] = q->owned[i];
		q->lengths[i] = (int)len;
	}
	if (i >= q->nparams)
		q->nparams = i + 1;
}

/*
 * The query of n submissions (items, borrowed) in q: one call of
 * api_submit_group with their array, one row per item.  0, or -1 when
 * memory ran out.
 */
static int
dbq_items_param(struct dbq *q, json_t *const *items, size_t n)
{
	json_t	*list;
	char	*text;
	size_t	 i;

	if ((list = json_array()) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		if (json_array_append(list, items[i]) == -1) {
			json_decref(list);
			return (-1);
		}
	}
	text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (text == NULL)
		return (-1);
	q->query = "SELECT status, body, location FROM api_submit_group("
	    "$1::jsonb)";
	dbq_param(q, 0, text, 0, 0);
	free(text);
	return (0);
}

/* An item's members, in the order of api_submit_lone's parameters. */
static const char *const dbq_lone_members[] = {
	"key", "survey", "external_id", "answers", "submitted_at", "channel",
	"hash", "idem", "errors", "values"
};

/*
 * The query of a submission alone (item, borrowed) in q: api_submit_lone
 * with its members one by one (what a store carries at low load: neither
 * the array nor the table of a group to take apart, a lone client's
 * latency).  A member that is no string, object or array is NULL.  0, or
 * -1 when memory ran out.
 */
static int
dbq_lone_params(struct dbq *q, json_t *item)
{
	json_t		*v;
	char		*text;
	size_t		 i;

	for (i = 0; i < sizeof(dbq_lone_members) /
	    sizeof(dbq_lone_members[0]); i++) {
		v = json_object_get(item, dbq_lone_members[i]);
		if (json_is_string(v)) {
			dbq_param(q, (int)i, json_string_value(v), 0, 0);
		} else if (json_is_object(v) || json_is_array(v)) {
			if ((text = json_dumps(v, JSON_COMPACT)) == NULL)
				return (-1);
			dbq_param(q, (int)i, text, 0, 0);
			free(text);
		} else
			dbq_param(q, (int)i, NULL, 0, 0);
	}
	q->query = "SELECT status, body, location FROM api_submit_lone($1, "
	    "$2, $3, $4::jsonb, $5, $6, $7, $8, $9::jsonb, $10::jsonb)";
	return (0);
}

/*
 * Start req's query: the state made here keeps the route r (q->route) for
 * prepare() and finish(), and Kore calls the router again whenever req
 * wakes up, which hands it to dbq_resume().
 */
int
dbq_handle(struct http_request *req, const struct route *r,
    int (*prepare)(struct http_request *, struct dbq *),
    void (*finish)(struct http_request *, struct dbq *))
{
	struct dbq	*q;

	q = http_state_create(req, sizeof(*q), dbq_free);
	q->finish = finish;
	q->req = req;
	q->route = *r;
	kore_pgsql_init(&q->sql);
	kore_pgsql_bind_request(&q->sql, req);
	if (!prepare(req, q))
		return (KORE_RESULT_OK);
	/* What the log needs of it, kept while it sleeps. */
	q->log = *reqlog_current();
	q->key_lookup = reqlog_key_unknown(&q->log);
	q->began_ns = metrics_now_ns();
	req->fsm_state = DBQ_ADMIT;
	/*
	 * A submission is stored with others (dbq_gather), after the key's
	 * lookup when the log does not know its key yet (dbq_key_learned).
	 */
	if (q->item != NULL && !q->key_lookup)
		req->fsm_state = DBQ_GATHER;
	return (dbq_resume(req));
}

/*
 * Run req's query on from where it stopped (a request with a state), or
 * hand it to the state's own machine (q->resume: an export, export.c).
 */
int
dbq_resume(struct http_request *req)
{
	struct dbq	*q = http_state_get(req);

	reqlog_resume(&q->log);
	if (q->resume != NULL)
		return (q->resume(req));
	return (http_state_run(dbq_states,
	    sizeof(dbq_states) / sizeof(dbq_states[0]), req));
}

/*
 * Queries a worker's requests run at once: its pool, less DBQ_RESERVED for
 * the background queries and DBQ_GROUPS for the stores of submissions.
 */
static u_int32_t
dbq_slots(void)
{
	return (pgsql_conn_max > DBQ_RESERVED + DBQ_GROUPS ?
	    pgsql_conn_max - DBQ_RESERVED - DBQ_GROUPS : 1u);
}

/* The metrics' gauges: requests waiting (submissions too), slots held. */
static void
dbq_gauges(void)
{
	metrics_db_gauges(dbq_queued + dbq_npending, dbq_running);
}

/*
 * Take a free slot for q's request, or wait for one in turn: 1 when it
 * holds one, 0 when it waits (asleep, woken holding one), -1 when too many
 * wait (the 503 is answered).
 */
int
dbq_acquire(struct dbq *q)
{
	if (q->admitted)
		return (1);
	if (q->waiting)
		return (0);
	if (dbq_running >= dbq_slots() || dbq_queued > 0) {
		if (dbq_queued >= pgsql_queue_limit) {
			api_error(q->req, PROBLEM_UNAVAILABLE, "Too many "
			    "requests are waiting for the database; retry "
			    "shortly.");
			return (-1);
		}
		TAILQ_INSERT_TAIL(&dbq_queue, q, wait);
		q->waiting = 1;
		dbq_queued++;
		dbq_gauges();
		http_request_sleep(q->req);
		return (0);
	}
	q->admitted = 1;
	dbq_running++;
	dbq_gauges();
	return (1);
}

static int
dbq_admit(struct http_request *req)
{
	switch (dbq_acquire(http_state_get(req))) {
	case 0:
		return (HTTP_STATE_RETRY);
	case -1:
		return (HTTP_STATE_COMPLETE);
	}
	req->fsm_state = DBQ_SETUP;
	return (HTTP_STATE_CONTINUE);
}

/* Give up q's slot (or its place in the queue): the next in line gets it. */
void
dbq_leave(struct dbq *q)
{
	struct dbq	*next;

	if (q->waiting) {
		TAILQ_REMOVE(&dbq_queue, q, wait);
		q->waiting = 0;
		dbq_queued--;
		dbq_gauges();
		return;
	}
	if (!q->admitted)
		return;
	q->admitted = 0;

	if ((next = TAILQ_FIRST(&dbq_queue)) != NULL) {
		TAILQ_REMOVE(&dbq_queue, next, wait);
		dbq_queued--;
		next->waiting = 0;
		next->admitted = 1;
		http_request_wakeup(next->req);
	} else {
		dbq_running--;
	}
	dbq_gauges();
}

/*
 * Make the connection kore_pgsql_setup() just took from the pool usable:
 * returns 0, or -1 when the database cannot be reached.
 *
 * A connection whose server went away while it sat in the pool (a
 * database restart) is only found out when it is used: the query is sent
 * into a closed socket, epoll reports a hang-up, and Kore drops the
 * connection.  It wakes a request up, but never calls back a query bound
 * to a callback (the snapshot watcher in snapshot.c, the tally refreshes in
 * tallies.c), which then waited for its give-up timer: 5 seconds for every
 * dead connection the pool still held, and a worker that got no request
 * in the meantime served its old snapshot for half a minute after a
 * restart.  An idle connection has nothing to read, so a readable or
 * hung-up socket means the server closed it (after a last notice): it is
 * reconnected here, before a query is sent (a short blocking reconnect,
 * PQreset, as Kore itself connects).  So is one a failed reconnect left
 * broken, and one left inside a transaction, which no other query may
 * join.  The log says when the database became unreachable and when it
 * was reached again, not every failed try (the watcher tries five times a
 * second).
 */
int
dbq_conn_check(struct kore_pgsql *sql)
{
	static int	 unreachable[2];	/* the primary, the replica */
	struct pollfd	 pfd;
	PGconn		*db;
	int		 replica;

	if (sql->conn == NULL)
		return (-1);
	db = sql->conn->db;
	replica = !strcmp(sql->conn->name, API_READ_DB);

	if (PQstatus(db) == CONNECTION_OK &&
	    PQtransactionStatus(db) == PQTRANS_IDLE) {
		pfd.fd = PQsocket(db);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd == -1 || poll(&pfd, 1, 0) == 0)
			return (0);
	}

	PQreset(db);
	if (PQstatus(db) != CONNECTION_OK) {
		if (!unreachable[replica])
			kore_log(LOG_NOTICE, "%s unreachable: %s", replica ?
			    "replica" : "database", PQerrorMessage(db));
		unreachable[replica] = 1;
		return (-1);
	}
	if (unreachable[replica])
		kore_log(LOG_NOTICE, "%s reached again", replica ?
		    "replica" : "database");
	unreachable[replica] = 0;
	return (0);
}

static int
dbq_setup(struct http_request *req)
{
	struct dbq	*q = http_state_get(req);
	const char	*hash = (const char *)q->log.key_hash;
	int		 len = APIKEY_HASH_LEN, format = 1;

	if (!kore_pgsql_setup(&q->sql, API_DB, KORE_PGSQL_ASYNC)) {
		/* No free connection: queued, woken when one is. */
		if (q->sql.state == KORE_PGSQL_STATE_INIT)
			return (HTTP_STATE_RETRY);
		req->fsm_state = DBQ_ERROR;
		return (HTTP_STATE_CONTINUE);
	}

	/* The database could not be reached afresh: no use trying others. */
	if (dbq_conn_check(&q->sql) == -1) {
		api_error(req, PROBLEM_UNAVAILABLE, "The database is not "
		    "reachable.");
		return (HTTP_STATE_COMPLETE);
	}

	if (q->key_lookup == 1) {
		/* The log's public id of the key, first (once per worker). */
		q->key_lookup = 2;
		if (!kore_pgsql_query_param_fields(&q->sql, "SELECT public_id "
		    "FROM api_keys WHERE secret_hash = $1", 0, 1, &hash, &len,
		    &format)) {
			req->fsm_state = DBQ_ERROR;
			return (HTTP_STATE_CONTINUE);
		}
	} else if (!kore_pgsql_query_param_fields(&q->sql, q->query, 0,
	    q->nparams, q->values, q->lengths, q->formats)) {
		req->fsm_state = DBQ_ERROR;
		return (HTTP_STATE_CONTINUE);
	}

	req->fsm_state = DBQ_WAIT;
	return (HTTP_STATE_CONTINUE);
}

static int
dbq_wait(struct http_request *req)
{
	struct dbq	*q = http_state_get(req);

	switch (q->sql.state) {
	case KORE_PGSQL_STATE_WAIT:
		return (HTTP_STATE_RETRY);
	case KORE_PGSQL_STATE_COMPLETE:
		/* The connection is back in the pool. */
		if (q->key_lookup == 2) {
			dbq_key_learned(req, q);
			break;
		}
		metrics_db_query(metrics_now_ns() - q->began_ns);
		dbq_leave(q);
		req->fsm_state = DBQ_FINISH;
		break;
	case KORE_PGSQL_STATE_ERROR:
		req->fsm_state = DBQ_ERROR;
		break;
	case KORE_PGSQL_STATE_RESULT:
		/* Keep the rows: finish() reads them. */
		if (q->result != NULL)
			PQclear(q->result);
		q->result = q->sql.result;
		q->sql.result = NULL;
		kore_pgsql_continue(&q->sql);
		break;
	default:
		kore_pgsql_continue(&q->sql);
		break;
	}

	return (HTTP_STATE_CONTINUE);
}

/*
 * The key's public id came (or the lookup failed: the log shows none):
 * the request's own query goes next, on a connection taken afresh, with
 * the slot it holds; a submission leaves its slot and joins the next store,
 * as it would have with its key known (stored alone, the 32 submissions of
 * a key new to a worker at the start of a load took as many connections,
 * each a new backend: a p99 of 150 ms in that second).
 */
static void
dbq_key_learned(struct http_request *req, struct dbq *q)
{
	reqlog_key_learn(q->log.key_hash, q->result != NULL &&
	    PQntuples(q->result) == 1 ? PQgetvalue(q->result, 0, 0) : NULL);
	if (q->result != NULL) {
		PQclear(q->result);
		q->result = NULL;
	}
	q->key_lookup = 0;
	dbq_cleanup(&q->sql);
	kore_pgsql_init(&q->sql);
	kore_pgsql_bind_request(&q->sql, req);
	if (q->item != NULL) {
		dbq_leave(q);
		req->fsm_state = DBQ_GATHER;
		return;
	}
	req->fsm_state = DBQ_SETUP;
}

static int
dbq_finish(struct http_request *req)
{
	struct dbq	*q = http_state_get(req);

	q->finish(req, q);
	return (HTTP_STATE_COMPLETE);
}

static int
dbq_error(struct http_request *req)
{
	struct dbq	*q = http_state_get(req);
	int		 stale;

	stale = q->sql.conn == NULL ||
	    PQstatus(q->sql.conn->db) == CONNECTION_BAD;

	/* The log's lookup failed: the request's own query goes on. */
	if (q->key_lookup == 2 && !stale) {
		kore_pgsql_logerror(&q->sql);
		dbq_key_learned(req, q);
		return (HTTP_STATE_CONTINUE);
	}

	/*
	 * The server closed the connection after dbq_conn_check() found it
	 * alive (a restart just then): try again on the next, which the
	 * check reconnects if it is stale too, and this one is when it is
	 * next taken.
	 */
	if (stale && q->retried < pgsql_conn_max + 1) {
		q->retried++;
		/* A lookup is sent again, not the request's own query. */
		if (q->key_lookup == 2)
			q->key_lookup = 1;
		dbq_cleanup(&q->sql);
		kore_pgsql_init(&q->sql);
		kore_pgsql_bind_request(&q->sql, req);
		req->fsm_state = DBQ_SETUP;
		return (HTTP_STATE_CONTINUE);
	}

	kore_pgsql_logerror(&q->sql);
	if (stale) {
		api_error(req, PROBLEM_UNAVAILABLE, "The database is not "
		    "reachable.");
	} else {
		api_error(req, PROBLEM_INTERNAL, "The database refused the "
		    "request; it has been logged as %s.", api_request_id(req));
	}
	return (HTTP_STATE_COMPLETE);
}

/*
 * kore_pgsql_cleanup() of a query whose connection libpq has closed (the
 * server went away: PQsocket() is -1) takes the socket out of epoll, which
 * fails on -1 and ends the worker with fatal().  Closing the descriptor
 * took it out of epoll already: it is no longer scheduled.  Every cleanup
 * of an asynchronous query goes through here.
 */
void
dbq_cleanup(struct kore_pgsql *sql)
{
	if (sql->conn != NULL && (sql->flags & KORE_PGSQL_SCHEDULED) &&
	    PQsocket(sql->conn->db) == -1)
		sql->flags &= ~KORE_PGSQL_SCHEDULED;
	kore_pgsql_cleanup(sql);
}

/*
 * Group commit: a submission is stored with the others that reach the
 * worker while its stores run.  It waits in dbq_pending; whenever fewer
 * than DBQ_GROUPS stores run, the next store takes every submission
 * waiting (up to DBQ_GROUP_MAX) and writes them with one call of
 * api_submit_group, in one transaction, which answers one row per item,
 * each what the item would get alone (a store of one calls api_submit_lone
 * with the item's members: dbq_lone_params).  No timer: a submission that
 * finds a store free goes at once (alone, when it is alone), and a group forms
 * only from what came while the stores ran.  Each request gets its own row
 * (a one-row result, so finish() is the one of a lone query) once the
 * whole call is over: the transaction has committed.
 *
 * A store belongs to no request: a member whose client went away leaves
 * it (its row is dropped), and the store goes on for the others.  Its
 * query is bound to a callback (dbq_group_done); Kore calls back no query
 * whose connection it dropped, so a tick finds those.  A store whose
 * connection was lost is sent again on the next, as a lone query is
 * (every item is safe to repeat: exactly once by its keys), then its
 * members are answered 503; one the database refused, 500.  More than
 * pgsql_queue_limit submissions waiting: 503 at once.
 */
static int
dbq_gather(struct http_request *req)
{
	struct dbq	*q = http_state_get(req);

	dbq_group_reap();
	switch (q->gathered) {
	case DBQ_GATHER_NONE:
		if (dbq_npending >= pgsql_queue_limit) {
			api_error(req, PROBLEM_UNAVAILABLE, "Too many requests "
			    "are waiting for the database; retry shortly.");
			return (HTTP_STATE_COMPLETE);
		}
		TAILQ_INSERT_TAIL(&dbq_pending, q, wait);
		q->gathered = DBQ_GATHER_PENDING;
		dbq_npending++;
		dbq_group_start();
		dbq_gauges();
		break;
	case DBQ_GATHER_STORED:
		metrics_db_query(metrics_now_ns() - q->began_ns);
		req->fsm_state = DBQ_FINISH;
		return (HTTP_STATE_CONTINUE);
	case DBQ_GATHER_UNREACHABLE:
		api_error(req, PROBLEM_UNAVAILABLE, "The database is not "
		    "reachable.");
		return (HTTP_STATE_COMPLETE);
	case DBQ_GATHER_REFUSED:
		api_error(req, PROBLEM_INTERNAL, "The database refused the "
		    "request; it has been logged as %s.", api_request_id(req));
		return (HTTP_STATE_COMPLETE);
	}

	/* Its store may have ended at once (the database is unreachable). */
	if (q->gathered != DBQ_GATHER_PENDING &&
	    q->gathered != DBQ_GATHER_STORING)
		return (HTTP_STATE_CONTINUE);
	http_request_sleep(req);
	return (HTTP_STATE_RETRY);
}

/* Start stores while fewer than DBQ_GROUPS run and submissions wait. */
static void
dbq_group_start(void)
{
	struct dbq_group	*g;
	struct dbq		*q;

	if (dbq_group_timer == NULL)
		dbq_group_timer = kore_timer_add(dbq_group_tick,
		    DBQ_GROUP_TICK_MS, NULL, 0);

	while (dbq_ngroups < DBQ_GROUPS && !TAILQ_EMPTY(&dbq_pending)) {
		g = kore_calloc(1, sizeof(*g));
		while (g->n < DBQ_GROUP_MAX &&
		    (q = TAILQ_FIRST(&dbq_pending)) != NULL) {
			TAILQ_REMOVE(&dbq_pending, q, wait);
			dbq_npending--;
			q->gathered = DBQ_GATHER_STORING;
			q->group = g;
			q->member = g->n;
			g->members[g->n++] = q;
		}
		TAILQ_INSERT_TAIL(&dbq_groups, g, list);
		dbq_ngroups++;
		dbq_gauges();
		dbq_group_send(g);
	}
}

/*
 * Send g's query: its members' items, one array.  On any failure to send
 * it, the store ends at once (connection lost: it may be tried again).
 */
static void
dbq_group_send(struct dbq_group *g)
{
	struct dbq	 one;
	json_t		*items[DBQ_GROUP_MAX];
	size_t		 i, n;
	int		 rc;

	/* Members gone before a retry leave no hole in the array. */
	for (i = n = 0; i < g->n; i++) {
		if (g->members[i] == NULL)
			continue;
		g->members[n] = g->members[i];
		g->members[n]->member = n;
		items[n++] = g->members[i]->item;
	}
	g->n = n;

	kore_pgsql_init(&g->sql);
	kore_pgsql_bind_callback(&g->sql, dbq_group_done, g);
	if (n == 0) {
		dbq_group_end(g);
		return;
	}
	memset(&one, 0, sizeof(one));
	rc = n == 1 ? dbq_lone_params(&one, items[0]) :
	    dbq_items_param(&one, items, n);
	/* The parameters, kept until the store ends. */
	g->query = one.query;
	g->nparams = one.nparams;
	for (i = 0; i < DBQ_PARAMS_MAX; i++) {
		g->params[i] = one.owned[i];
		g->lengths[i] = one.lengths[i];
	}
	if (rc == -1) {
		g->error = 1;
		dbq_group_end(g);
		return;
	}
	dbq_group_query(g);
}

/*
 * Take a connection for g and send its query.  When none is free, Kore
 * keeps the query waiting and calls back (dbq_group_done, with the state
 * INIT) once one is: it is sent then.
 */
static void
dbq_group_query(struct dbq_group *g)
{
	const char	*values[DBQ_PARAMS_MAX];
	int		 formats[DBQ_PARAMS_MAX];
	int		 i;

	if (!kore_pgsql_setup(&g->sql, API_DB, KORE_PGSQL_ASYNC)) {
		if (g->sql.state == KORE_PGSQL_STATE_INIT && g->sql.conn == NULL)
			return;
		g->error = 2;
		g->retried = pgsql_conn_max + 1;
	} else if (dbq_conn_check(&g->sql) == -1) {
		/* The database cannot be reached: no use trying again. */
		g->error = 2;
		g->retried = pgsql_conn_max + 1;
	} else {
		for (i = 0; i < g->nparams; i++) {
			values[i] = g->params[i];
			formats[i] = 0;
		}
		if (kore_pgsql_query_param_fields(&g->sql, g->query, 0,
		    g->nparams, values, g->lengths, formats))
			return;
		kore_pgsql_logerror(&g->sql);
		g->error = 2;
	}
	/* Released without a call back: nothing was sent. */
	g->sql.cb = NULL;
	dbq_cleanup(&g->sql);
	dbq_group_end(g);
}

/* Kore's call back of a store's query. */
static void
dbq_group_done(struct kore_pgsql *sql, void *arg)
{
	struct dbq_group	*g = arg;

	switch (sql->state) {
	case KORE_PGSQL_STATE_INIT:
		/* A connection is free now (it waited in Kore's queue). */
		dbq_group_query(g);
		break;
	case KORE_PGSQL_STATE_WAIT:
		break;
	case KORE_PGSQL_STATE_RESULT:
		/* The rows; the members get them once the call is over. */
		if (g->result != NULL)
			PQclear(g->result);
		g->result = sql->result;
		sql->result = NULL;
		kore_pgsql_continue(sql);
		break;
	case KORE_PGSQL_STATE_ERROR:
		g->error = sql->conn == NULL ||
		    PQstatus(sql->conn->db) == CONNECTION_BAD ? 2 : 1;
		kore_pgsql_logerror(sql);
		/* Calls back with COMPLETE (from inside the cleanup). */
		dbq_cleanup(sql);
		dbq_group_end(g);
		break;
	case KORE_PGSQL_STATE_COMPLETE:
		/* The transaction is over: committed, unless it failed. */
		dbq_group_end(g);
		break;
	default:
		kore_pgsql_continue(sql);
		break;
	}
}

/*
 * g's call is over: hand each member its row and wake it up, or send the
 * store again (its connection was lost), or answer every member its
 * failure.  Then the next store starts.  g itself is freed later
 * (dbq_group_reap): Kore may still be inside its query's functions.
 */
static void
dbq_group_end(struct dbq_group *g)
{
	struct dbq_group	*again;
	struct dbq		*q;
	size_t			 i;
	int			 ok;

	if (g->over)
		return;
	g->over = 1;
	TAILQ_REMOVE(&dbq_groups, g, list);
	dbq_ngroups--;
	TAILQ_INSERT_TAIL(&dbq_ended, g, list);

	ok = !g->error && g->result != NULL &&
	    PQresultStatus(g->result) == PGRES_TUPLES_OK &&
	    (size_t)PQntuples(g->result) == g->n;
	if (!ok && (g->error == 2 || g->result == NULL) &&
	    g->retried < pgsql_conn_max + 1) {
		again = kore_calloc(1, sizeof(*again));
		again->retried = g->retried + 1;
		for (i = 0; i < g->n; i++) {
			if ((q = g->members[i]) != NULL)
				q->group = again;
			again->members[i] = q;
			g->members[i] = NULL;
		}
		again->n = g->n;
		TAILQ_INSERT_TAIL(&dbq_groups, again, list);
		dbq_ngroups++;
		dbq_group_send(again);
		return;
	}

	for (i = 0; i < g->n; i++) {
		if ((q = g->members[i]) == NULL)
			continue;
		g->members[i] = NULL;
		q->group = NULL;
		if (ok && (q->result = dbq_group_row(g->result, (int)i)) !=
		    NULL)
			q->gathered = DBQ_GATHER_STORED;
		else if (ok || g->error == 1)
			q->gathered = DBQ_GATHER_REFUSED;
		else
			q->gathered = DBQ_GATHER_UNREACHABLE;
		http_request_wakeup(q->req);
	}
	if (g->result != NULL) {
		PQclear(g->result);
		g->result = NULL;
	}
	dbq_group_start();
}

/* Row row of res alone, a result of its own (NULL when memory ran out). */
static PGresult *
dbq_group_row(const PGresult *res, int row)
{
	PGresult	*one;
	int		 i;

	if ((one = PQcopyResult(res, PG_COPYRES_ATTRS)) == NULL)
		return (NULL);
	for (i = 0; i < PQnfields(res); i++) {
		if (!PQsetvalue(one, 0, i, PQgetisnull(res, row, i) ? NULL :
		    PQgetvalue(res, row, i), PQgetisnull(res, row, i) ? -1 :
		    PQgetlength(res, row, i))) {
			PQclear(one);
			return (NULL);
		}
	}
	return (one);
}

/*
 * Every DBQ_GROUP_TICK_MS: a store whose connection Kore dropped (no call
 * back came) is over; stores that ended are freed.
 */
static void
dbq_group_tick(void *arg, u_int64_t now)
{
	struct dbq_group	*g, *next;

	(void)arg;
	(void)now;
	for (g = TAILQ_FIRST(&dbq_groups); g != NULL; g = next) {
		next = TAILQ_NEXT(g, list);
		if (g->sql.conn != NULL ||
		    g->sql.state != KORE_PGSQL_STATE_ERROR)
			continue;
		kore_pgsql_logerror(&g->sql);
		dbq_cleanup(&g->sql);
		g->error = 2;
		dbq_group_end(g);
	}
	dbq_group_reap();
}

/* Free the stores that ended (never from inside Kore's call back). */
static void
dbq_group_reap(void)
{
	struct dbq_group	*g;
	int			 i;

	while ((g = TAILQ_FIRST(&dbq_ended)) != NULL) {
		TAILQ_REMOVE(&dbq_ended, g, list);
		dbq_cleanup(&g->sql);
		if (g->result != NULL)
			PQclear(g->result);
		for (i = 0; i < DBQ_PARAMS_MAX; i++)
			kore_free(g->params[i]);
		kore_free(g);
	}
}

/* Kore's onfree of a request with a query (export.c's calls it too). */
void
dbq_free(struct http_request *req)
{
	struct dbq	*q = http_state_get(req);
	int		 i;

	if (q == NULL)
		return;
	dbq_cleanup(&q->sql);
	dbq_leave(q);
	/* A submission whose client went away: its store goes on without it. */
	if (q->gathered == DBQ_GATHER_PENDING) {
		TAILQ_REMOVE(&dbq_pending, q, wait);
		dbq_npending--;
		dbq_gauges();
	} else if (q->gathered == DBQ_GATHER_STORING) {
		q->group->members[q->member] = NULL;
	}
	q->gathered = DBQ_GATHER_NONE;
	if (q->result != NULL)
		PQclear(q->result);
	for (i = 0; i < DBQ_PARAMS_MAX; i++)
		kore_free(q->owned[i]);
	if (q->json != NULL)
		json_decref(q->json);
	if (q->item != NULL)
		json_decref(q->item);
}

/*
 * Append name=value (value encoded; nothing when it is NULL) to the page's
 * other parameters in q->text, which bind its cursor and make its next link.
 */
void
dbq_text_param(struct dbq *q, const char *name, const char *value)
{
	size_t	len;

	if (value == NULL)
		return;
	len = strlen(q->text);
	(void)snprintf(q->text + len, sizeof(q->text) - len, "%s%s=",
	    len > 0 ? "&" : "", name);
	len = strlen(q->text);
	query_encode(value, q->text + len, sizeof(q->text) - len);
}

/* Parameters i and i + 1: the cursor's two keys, or NULL without one. */
void
dbq_page_keys(struct dbq *q, int i, int has_cursor, const int64_t *keys)
{
	char	num[32];
	int	k;

	for (k = 0; k < 2; k++) {
		if (has_cursor) {
			(void)snprintf(num, sizeof(num), "%lld",
			    (long long)keys[k]);
			dbq_param(q, i + k, num, 0, 0);
		} else {
			dbq_param(q, i + k, NULL, 0, 0);
		}
	}
}

/*
 * Read limit and cursor (of nkeys keys) for a page of path, whose other
 * parameters the caller put in q->text.  Answers 400 and returns -1 when
 * one is bad.  keys get the cursor's keys, or stay as they are.
 */
int
dbq_page_params(struct http_request *req, struct dbq *q,
    const struct query *qs, const char *path, size_t nkeys, int64_t *keys,
    int *has_cursor)
{
	struct problem	 p;
	const char	*v;

	q->limit = CIVIC_LIMIT_DEFAULT;
	*has_cursor = 0;
	if ((v = query_get(qs, "limit")) != NULL &&
	    query_int("limit", v, 1, CIVIC_LIMIT_MAX, &q->limit, &p) == -1) {
		api_problem(req, &p);
		return (-1);
	}
	if ((v = query_get(qs, "cursor")) != NULL) {
		if (cursor_decode_keys(v, nkeys, cursor_scope(path, q->text),
		    keys) == -1) {
			problem_param(&p, "cursor", "This cursor was not given "
			    "for this collection and these parameters; start "
			    "again without one.");
			api_problem(req, &p);
			return (-1);
		}
		*has_cursor = 1;
	}
	return (0);
}

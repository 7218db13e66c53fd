/*
 * One asynchronous query per request, through Kore's pgsql pool.
 *
 * A handler that needs the database calls dbq_handle() with two functions:
 * prepare() reads and checks the request and fills the query and its
 * parameters (or answers the request itself and returns 0); finish() reads
 * the result and answers.  In between, the request sleeps while PostgreSQL
 * works, so the worker serves others.  Writes are one statement (a call of
 * an SQL function that does the whole transaction), so no connection ever
 * goes back to the pool inside a transaction.
 *
 * A pooled connection can be stale after the database restarted: the first
 * query on it fails.  Such a connection is reset (a short blocking
 * reconnect) and the query sent again on the next; the functions we call
 * are safe to repeat (idempotent by their keys) or fail before they commit.
 */

#include <string.h>

#include "api.h"

#include <kore/pgsql.h>

#include "dbq.h"

static int	dbq_setup(struct http_request *);
static int	dbq_wait(struct http_request *);
static int	dbq_finish(struct http_request *);
static int	dbq_error(struct http_request *);
static void	dbq_free(struct http_request *);

#define DBQ_SETUP	0
#define DBQ_WAIT	1
#define DBQ_FINISH	2
#define DBQ_ERROR	3

static struct http_state	dbq_states[] = {
	KORE_HTTP_STATE(dbq_setup),
	KORE_HTTP_STATE(dbq_wait),
	KORE_HTTP_STATE(dbq_finish),
	KORE_HTTP_STATE(dbq_error),
};

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

int
dbq_handle(struct http_request *req, int (*prepare)(struct http_request *,
    struct dbq *), void (*finish)(struct http_request *, struct dbq *))
{
	struct dbq	*q;

	if (!http_state_exists(req)) {
		q = http_state_create(req, sizeof(*q), dbq_free);
		q->finish = finish;
		kore_pgsql_init(&q->sql);
		kore_pgsql_bind_request(&q->sql, req);
		if (!prepare(req, q))
			return (KORE_RESULT_OK);
		req->fsm_state = DBQ_SETUP;
	}

	return (http_state_run(dbq_states,
	    sizeof(dbq_states) / sizeof(dbq_states[0]), req));
}

static int
dbq_setup(struct http_request *req)
{
	struct dbq	*q = http_state_get(req);

	if (!kore_pgsql_setup(&q->sql, API_DB, KORE_PGSQL_ASYNC)) {
		/* No free connection: queued, woken when one is. */
		if (q->sql.state == KORE_PGSQL_STATE_INIT)
			return (HTTP_STATE_RETRY);
		req->fsm_state = DBQ_ERROR;
		return (HTTP_STATE_CONTINUE);
	}

	if (!kore_pgsql_query_param_fields(&q->sql, q->query, 0, q->nparams,
	    q->values, q->lengths, q->formats)) {
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

	/*
	 * Every pooled connection may be stale after a restart: each try
	 * resets the one that failed and takes the next, so one request
	 * clears them all, up to the pool's size.
	 */
	if (stale && q->retried < pgsql_conn_max + 1) {
		q->retried++;
		if (q->sql.conn != NULL)
			PQreset(q->sql.conn->db);
		kore_pgsql_cleanup(&q->sql);
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

static void
dbq_free(struct http_request *req)
{
	struct dbq	*q = http_state_get(req);
	int		 i;

	if (q == NULL)
		return;
	kore_pgsql_cleanup(&q->sql);
	if (q->result != NULL)
		PQclear(q->result);
	for (i = 0; i < DBQ_PARAMS_MAX; i++)
		kore_free(q->owned[i]);
	if (q->json != NULL)
		json_decref(q->json);
}

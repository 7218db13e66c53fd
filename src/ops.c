/*
 * Operations: /healthz (the process answers) and /readyz (the database
 * answers too).  readyz runs its query through Kore's asynchronous pgsql
 * layer, so a slow database never blocks the worker.
 */

#include <string.h>

#include "api.h"

#include <kore/pgsql.h>

int	ops_healthz(struct http_request *);
int	ops_readyz(struct http_request *);

static int	readyz_init(struct http_request *);
static int	readyz_query(struct http_request *);
static int	readyz_wait(struct http_request *);
static int	readyz_done(struct http_request *);
static int	readyz_error(struct http_request *);
static void	readyz_free(struct http_request *);

#define READYZ_INIT		0
#define READYZ_QUERY		1
#define READYZ_WAIT		2
#define READYZ_DONE		3
#define READYZ_ERROR		4

static struct http_state	readyz_states[] = {
	KORE_HTTP_STATE(readyz_init),
	KORE_HTTP_STATE(readyz_query),
	KORE_HTTP_STATE(readyz_wait),
	KORE_HTTP_STATE(readyz_done),
	KORE_HTTP_STATE(readyz_error),
};

struct readyz {
	struct kore_pgsql	sql;
	int			retried;
};

static struct doc	healthz_doc;
static struct doc	readyz_doc;

static const struct doc *
ops_doc(struct doc *doc, const char *status)
{
	json_t	*j;

	if (doc->body == NULL) {
		j = json_pack("{s:s}", "status", status);
		if (strcmp(status, "ready") == 0)
			json_object_set_new(j, "database", json_string("ok"));
		if (j == NULL || doc_render(doc, j) == -1)
			fatal("ops_doc: out of memory");
		json_decref(j);
	}
	return (doc);
}

int
ops_healthz(struct http_request *req)
{
	if (!api_begin(req, API_READ_METHODS, 1))
		return (KORE_RESULT_OK);

	api_doc(req, ops_doc(&healthz_doc, "ok"), CT_JSON, CACHE_NONE);
	return (KORE_RESULT_OK);
}

int
ops_readyz(struct http_request *req)
{
	return (http_state_run(readyz_states,
	    sizeof(readyz_states) / sizeof(readyz_states[0]), req));
}

static int
readyz_init(struct http_request *req)
{
	struct readyz	*rz;

	if (!api_begin(req, API_READ_METHODS, 1))
		return (HTTP_STATE_COMPLETE);

	rz = http_state_create(req, sizeof(*rz), readyz_free);
	kore_pgsql_init(&rz->sql);
	kore_pgsql_bind_request(&rz->sql, req);

	req->fsm_state = READYZ_QUERY;
	return (HTTP_STATE_CONTINUE);
}

static int
readyz_query(struct http_request *req)
{
	struct readyz	*rz = http_state_get(req);

	if (!kore_pgsql_setup(&rz->sql, API_DB, KORE_PGSQL_ASYNC)) {
		/* No free connection: we were queued and will be woken. */
		if (rz->sql.state == KORE_PGSQL_STATE_INIT) {
			req->fsm_state = READYZ_QUERY;
			return (HTTP_STATE_RETRY);
		}
		req->fsm_state = READYZ_ERROR;
		return (HTTP_STATE_CONTINUE);
	}

	if (!kore_pgsql_query(&rz->sql, "SELECT 1")) {
		req->fsm_state = READYZ_ERROR;
		return (HTTP_STATE_CONTINUE);
	}

	req->fsm_state = READYZ_WAIT;
	return (HTTP_STATE_CONTINUE);
}

static int
readyz_wait(struct http_request *req)
{
	struct readyz	*rz = http_state_get(req);

	switch (rz->sql.state) {
	case KORE_PGSQL_STATE_WAIT:
		return (HTTP_STATE_RETRY);
	case KORE_PGSQL_STATE_COMPLETE:
		req->fsm_state = READYZ_DONE;
		break;
	case KORE_PGSQL_STATE_ERROR:
		req->fsm_state = READYZ_ERROR;
		break;
	default:
		kore_pgsql_continue(&rz->sql);
		break;
	}

	return (HTTP_STATE_CONTINUE);
}

static int
readyz_done(struct http_request *req)
{
	api_doc(req, ops_doc(&readyz_doc, "ready"), CT_JSON, CACHE_NONE);
	return (HTTP_STATE_COMPLETE);
}

/*
 * A pooled connection can be stale after the database restarted: the
 * first query on it fails.  Such a connection is reset (a short blocking
 * reconnect) and the query tried once more before we report failure.
 */
static int
readyz_error(struct http_request *req)
{
	struct readyz	*rz = http_state_get(req);

	if (!rz->retried) {
		rz->retried = 1;
		if (rz->sql.conn != NULL &&
		    PQstatus(rz->sql.conn->db) == CONNECTION_BAD)
			PQreset(rz->sql.conn->db);
		kore_pgsql_cleanup(&rz->sql);
		kore_pgsql_init(&rz->sql);
		kore_pgsql_bind_request(&rz->sql, req);
		req->fsm_state = READYZ_QUERY;
		return (HTTP_STATE_CONTINUE);
	}

	kore_pgsql_logerror(&rz->sql);
	api_error(req, PROBLEM_UNAVAILABLE, "The database is not reachable.");
	return (HTTP_STATE_COMPLETE);
}

static void
readyz_free(struct http_request *req)
{
	struct readyz	*rz = http_state_get(req);

	if (rz != NULL)
		kore_pgsql_cleanup(&rz->sql);
}

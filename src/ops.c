/*
 * Operations: /healthz (the process answers), /readyz (the database
 * answers too) and /metrics (metrics.c's, for Prometheus).  readyz runs its
 * query through Kore's asynchronous pgsql layer (dbq.c), so a slow
 * database never blocks the worker.
 */

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dbq.h"
#include "obs.h"

#define CT_METRICS	"text/plain; version=0.0.4; charset=utf-8"

static int	readyz_prepare(struct http_request *, struct dbq *);
static void	readyz_finish(struct http_request *, struct dbq *);
static int	metrics_prepare(struct http_request *, struct dbq *);
static void	metrics_finish(struct http_request *, struct dbq *);
static void	metrics_send(struct http_request *);

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
ops_healthz(struct http_request *req, const struct route *r)
{
	(void)r;
	api_doc(req, ops_doc(&healthz_doc, "ok"), CT_JSON, CACHE_NONE);
	return (KORE_RESULT_OK);
}

/* The database answers a query through the pool (dbq.c). */
int
ops_readyz(struct http_request *req, const struct route *r)
{
	return (dbq_handle(req, r, readyz_prepare, readyz_finish));
}

static int
readyz_prepare(struct http_request *req, struct dbq *q)
{
	(void)req;
	q->query = "SELECT 1";
	return (1);
}

static void
readyz_finish(struct http_request *req, struct dbq *q)
{
	(void)q;
	api_doc(req, ops_doc(&readyz_doc, "ready"), CT_JSON, CACHE_NONE);
}

/*
 * GET /metrics: for an admin key (Authorization: Bearer cpk_...), or for
 * the scrape token of CIVIC_METRICS_TOKEN sent as a bearer token.  The
 * token is compared by its SHA-256, in constant time, and never logged.
 * Anything else gets the 401 or 403 problem every admin route gives.
 */
int
ops_metrics(struct http_request *req, const struct route *r)
{
	if (api_no_query(req) == -1)
		return (KORE_RESULT_OK);
	if (request_scrape_token(req)) {
		metrics_send(req);
		return (KORE_RESULT_OK);
	}
	return (dbq_handle(req, r, metrics_prepare, metrics_finish));
}

static int
metrics_prepare(struct http_request *req, struct dbq *q)
{
	unsigned char	hash[APIKEY_HASH_LEN];

	if (request_key_hash(req, hash) == -1)
		return (0);
	q->query = "SELECT COALESCE(status, 200), COALESCE(body, '{}'), "
	    "NULL FROM api_admin($1)";
	dbq_param(q, 0, hash, sizeof(hash), 1);
	return (1);
}

static void
metrics_finish(struct http_request *req, struct dbq *q)
{
	if (q->result != NULL && PQntuples(q->result) == 1 &&
	    strcmp(PQgetvalue(q->result, 0, 0), "200") == 0) {
		metrics_send(req);
		return;
	}
	/* The 401 or 403 problem api_admin answered. */
	reply_result(req, q);
}

static void
metrics_send(struct http_request *req)
{
	struct kore_buf	b;

	kore_buf_init(&b, 16384);
	metrics_render(&b);
	http_response_header(req, "content-type", CT_METRICS);
	http_response_header(req, "cache-control", CACHE_NONE);
	api_send(req, HTTP_STATUS_OK, b.data, b.offset);
	kore_buf_cleanup(&b);
}

/*
 * Operations: /healthz (the process answers) and /readyz (the database
 * answers too).  readyz runs its query through Kore's asynchronous pgsql
 * layer (dbq.c), so a slow database never blocks the worker.
 */

#include <string.h>

#include "api.h"
#include "dbq.h"

static int	readyz_prepare(struct http_request *, struct dbq *);
static void	readyz_finish(struct http_request *, struct dbq *);

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

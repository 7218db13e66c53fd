/*
 * The router: the one route of conf/app.conf.  A request's path is parsed
 * once (route.c) into what it names; the route's entry below says which
 * methods it serves, whether its answers are JSON only, and its handler.
 * api_begin() is called once, here, before any handler: the headers every
 * answer carries, a repeated header, OPTIONS and CORS preflights, 405 with
 * Allow, 406.  A request that waits for the database keeps its route in
 * its query's state (dbq.c) and goes on from there when it wakes up.
 */

#include "api.h"
#include "dbq.h"
#include "obs.h"

int	router_serve(struct http_request *);

#define READ		API_READ_METHODS
#define POST		HTTP_METHOD_POST
#define PUT		HTTP_METHOD_PUT
#define PATCH		HTTP_METHOD_PATCH
#define DELETE		HTTP_METHOD_DELETE
#define OPTIONS		HTTP_METHOD_OPTIONS

static const struct {
	int	 methods;
	int	 json;		/* 406 unless Accept takes JSON */
	int	(*serve)(struct http_request *, const struct route *);
} routes[ROUTE_KIND_MAX] = {
	[ROUTE_HEALTHZ] =	{ READ, 1, ops_healthz },
	[ROUTE_READYZ] =	{ READ, 1, ops_readyz },
	[ROUTE_METRICS] =	{ READ, 0, ops_metrics },
	[ROUTE_OPENAPI] =	{ READ, 1, docs_serve },
	[ROUTE_DOCS] =		{ READ, 0, docs_serve },
	[ROUTE_DOCS_CSS] =	{ READ, 0, docs_serve },
	[ROUTE_DOCS_JS] =	{ READ, 0, docs_serve },
	[ROUTE_DASHBOARD] =	{ READ, 0, docs_serve },
	[ROUTE_DASHBOARD_JS] =	{ READ, 0, docs_serve },
	[ROUTE_DASHBOARD_CSS] =	{ READ, 0, docs_serve },
	[ROUTE_PLANS] =		{ READ | POST, 1, plans_serve },
	[ROUTE_PLAN] =		{ READ | PATCH, 1, plans_serve },
	[ROUTE_GOALS] =		{ READ | POST, 1, plans_serve },
	[ROUTE_GOAL] =		{ READ | PATCH | DELETE, 1, plans_serve },
	[ROUTE_OBJECTIVES] =	{ READ | POST, 1, plans_serve },
	[ROUTE_OBJECTIVE] =	{ READ | PATCH | DELETE, 1, plans_serve },
	[ROUTE_PRIORITIES] =	{ READ, 1, plans_serve },
	[ROUTE_PRIORITY_YEAR] =	{ READ | PUT, 1, plans_serve },
	[ROUTE_PLAN_HISTORY] =	{ READ, 1, audit_serve },
	[ROUTE_SURVEYS] =	{ READ | POST, 1, surveys_serve },
	[ROUTE_SURVEY] =	{ READ | PATCH, 1, surveys_serve },
	/* JSON or CSV: responses.c reads Accept itself. */
	[ROUTE_RESPONSES] =	{ READ | POST, 0, responses_collection },
	[ROUTE_RESPONSES_BATCH] = { POST | OPTIONS, 1, responses_batch },
	/* CSV or NDJSON: export.c reads Accept itself. */
	[ROUTE_RESPONSES_EXPORT] = { READ, 0, export_serve },
	[ROUTE_RESPONSE] =	{ READ, 1, responses_item },
	[ROUTE_RESPONSE_VOID] =	{ POST | OPTIONS, 1, responses_void },
	[ROUTE_TALLIES] =	{ READ, 1, tallies_serve },
	/* text/event-stream: stream.c reads Accept itself. */
	[ROUTE_TALLIES_STREAM] = { READ, 0, tallies_serve },
	[ROUTE_AUDIT] =		{ READ, 1, audit_serve },
	[ROUTE_KEYS] =		{ READ | POST, 1, keys_collection },
	[ROUTE_KEY] =		{ PATCH | DELETE | OPTIONS, 1, keys_item },
	[ROUTE_INDICATORS] =	{ READ | POST, 1, progress_serve },
	[ROUTE_INDICATOR] =	{ READ | PATCH, 1, progress_serve },
	[ROUTE_TARGETS] =	{ POST | OPTIONS, 1, plans_serve },
	[ROUTE_INDICATOR_OBSERVATIONS] = { POST | OPTIONS, 1, plans_serve },
	[ROUTE_OVERRIDES] =	{ POST | OPTIONS, 1, plans_serve },
	[ROUTE_INITIATIVES] =	{ READ | POST, 1, progress_serve },
	[ROUTE_INITIATIVE] =	{ READ | PATCH, 1, progress_serve },
	[ROUTE_INITIATIVE_UPDATES] = { POST | OPTIONS, 1, plans_serve },
	[ROUTE_OBJECTIVE_UPDATES] = { POST | OPTIONS, 1, plans_serve },
	[ROUTE_PROGRESS] =	{ READ, 1, progress_serve },
	[ROUTE_STATUS_RULES] =	{ READ, 1, progress_serve },
	[ROUTE_STATUS_RULE] =	{ READ, 1, progress_serve },
	/* CSV, and JSON or StratML XML: progress.c reads Accept itself. */
	[ROUTE_OBSERVATIONS] =	{ READ, 0, progress_download },
	[ROUTE_PLAN_EXPORT] =	{ READ, 0, progress_download },
	/* A CSV body; the answer is JSON. */
	[ROUTE_IMPORTS] =	{ POST | OPTIONS, 1, progress_import },
};

/* A path no route names: 404, after the checks every answer has. */
static int
router_not_found(struct http_request *req)
{
	api_headers(req);
	if (api_header_check(req) == -1)
		return (KORE_RESULT_OK);
	api_error(req, PROBLEM_NOT_FOUND, "Nothing is served at %s.",
	    req->path);
	return (KORE_RESULT_OK);
}

int
router_serve(struct http_request *req)
{
	struct route	r;

	/* Woken up while its query runs: on from where it stopped. */
	if (http_state_exists(req))
		return (dbq_resume(req));

	if (route_parse(req->path, &r) == -1 || routes[r.kind].serve == NULL) {
		reqlog_begin(ROUTE_NONE);
		return (router_not_found(req));
	}
	reqlog_begin(r.kind);
	if (!api_begin(req, routes[r.kind].methods, routes[r.kind].json))
		return (KORE_RESULT_OK);
	if (!limits_check(req, &r))
		return (KORE_RESULT_OK);

	/*
	 * The body is in, but Kore keeps its timeout armed while the handler
	 * works (a slow one got a 408): the request's time is the handler's.
	 */
	if (req->owner != NULL)
		req->owner->http_timeout = 0;
	return (routes[r.kind].serve(req, &r));
}

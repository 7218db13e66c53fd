/*
 * The plan's routes: /v1/plans[/{plan}[/{goals|objectives|priorities|
 * indicators|initiatives}[/{id}[/...]]]], the roll-up and the status
 * rules.  Reads come from memory (resource.c): the published snapshot,
 * or, for a request with an admin key, the one with the draft plans.
 * Writes go to the database, one SQL function each (sql/api/plans.sql), which
 * checks the key, If-Match and the body, writes, and records the change;
 * this worker then reloads its snapshot, and the others within a poll.
 */

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dbq.h"

#define IF_MATCH_MAX		512

#define PW_PLAN			0x01	/* takes the plan */
#define PW_ITEM			0x02	/* ... and the item */
#define PW_IF_MATCH		0x04	/* ... and If-Match */
#define PW_IF_NONE_MATCH	0x08	/* ... and If-None-Match: * */

/*
 * The SQL function that writes at each route, and what it takes after $1,
 * the key's hash, and $2, the request id; the body comes last.
 */
static const struct {
	enum route_kind	 kind;
	const char	*item;		/* the item's parameter */
	int		 takes;
	const char	*query;
} plan_writes[] = {
	{ ROUTE_PLANS, NULL, 0, "SELECT status, body, location, etag FROM "
	    "api_plan_create($1, $2, $3::jsonb)" },
	{ ROUTE_PLAN, NULL, PW_PLAN | PW_IF_MATCH, "SELECT status, body, "
	    "location, etag FROM api_plan_update($1, $2, $3, $4, $5::jsonb)" },
	{ ROUTE_GOALS, NULL, PW_PLAN, "SELECT status, body, location, etag "
	    "FROM api_goal_create($1, $2, $3, $4::jsonb)" },
	{ ROUTE_OBJECTIVES, NULL, PW_PLAN, "SELECT status, body, location, "
	    "etag FROM api_objective_create($1, $2, $3, $4::jsonb)" },
	{ ROUTE_GOAL, "goal", PW_PLAN | PW_ITEM | PW_IF_MATCH, "SELECT "
	    "status, body, location, etag FROM api_goal_write($1, $2, $3, $4, "
	    "$5, $6::jsonb)" },
	{ ROUTE_OBJECTIVE, "objective", PW_PLAN | PW_ITEM | PW_IF_MATCH,
	    "SELECT status, body, location, etag FROM api_objective_write($1, "
	    "$2, $3, $4, $5, $6::jsonb)" },
	{ ROUTE_INDICATORS, NULL, PW_PLAN, "SELECT status, body, location, "
	    "etag FROM api_indicator_write($1, $2, $3, NULL, NULL, $4::jsonb)" },
	{ ROUTE_INDICATOR, "indicator", PW_PLAN | PW_ITEM | PW_IF_MATCH,
	    "SELECT status, body, location, etag FROM api_indicator_write($1, "
	    "$2, $3, $4, $5, $6::jsonb)" },
	{ ROUTE_INITIATIVES, NULL, PW_PLAN, "SELECT status, body, location, "
	    "etag FROM api_initiative_write($1, $2, $3, NULL, NULL, $4::jsonb)" },
	{ ROUTE_INITIATIVE, "initiative", PW_PLAN | PW_ITEM | PW_IF_MATCH,
	    "SELECT status, body, location, etag FROM api_initiative_write($1, "
	    "$2, $3, $4, $5, $6::jsonb)" },
	{ ROUTE_TARGETS, "indicator", PW_PLAN | PW_ITEM, "SELECT status, body, "
	    "location, etag FROM api_target_add($1, $2, $3, $4, $5::jsonb)" },
	{ ROUTE_INDICATOR_OBSERVATIONS, "indicator", PW_PLAN | PW_ITEM,
	    "SELECT status, body, location, etag FROM api_observation_add($1, "
	    "$2, $3, $4, $5::jsonb)" },
	{ ROUTE_OVERRIDES, "indicator", PW_PLAN | PW_ITEM, "SELECT status, "
	    "body, location, etag FROM api_override_add($1, $2, $3, $4, "
	    "$5::jsonb)" },
	{ ROUTE_INITIATIVE_UPDATES, "initiative", PW_PLAN | PW_ITEM, "SELECT "
	    "status, body, location, etag FROM api_update_add($1, $2, $3, "
	    "'initiative', $4, $5::jsonb)" },
	{ ROUTE_OBJECTIVE_UPDATES, "objective", PW_PLAN | PW_ITEM, "SELECT "
	    "status, body, location, etag FROM api_update_add($1, $2, $3, "
	    "'objective', $4, $5::jsonb)" },
	{ ROUTE_PRIORITY_YEAR, "year", PW_PLAN | PW_ITEM | PW_IF_MATCH |
	    PW_IF_NONE_MATCH, "SELECT status, body, location, etag FROM "
	    "api_priorities_put($1, $2, $3, $4::integer, $5, $6::boolean, "
	    "$7::jsonb)" },
};

#define PLAN_WRITES	(sizeof(plan_writes) / sizeof(plan_writes[0]))

static int	plans_read(struct http_request *, const struct route *,
		    struct content *, const char *);
static int	plans_prepare(struct http_request *, struct dbq *);
static void	plans_finish(struct http_request *, struct dbq *);
static int	plans_write(struct http_request *, struct dbq *,
		    const unsigned char *);

/*
 * Every plan route.  Writes, and reads with a key (an admin's see the
 * drafts), ask the database; other reads are served from memory.
 */
int
plans_serve(struct http_request *req, const struct route *r)
{
	const char	*hv;

	if ((req->method & (HTTP_METHOD_GET | HTTP_METHOD_HEAD)) == 0 ||
	    http_request_header(req, "authorization", &hv))
		return (dbq_handle(req, r, plans_prepare, plans_finish));
	return (plans_read(req, r, snapshot_get(), CACHE_PUBLIC));
}

/* A read of snapshot c, sent with Cache-Control cache. */
static int
plans_read(struct http_request *req, const struct route *r,
    struct content *c, const char *cache)
{
	switch (r->kind) {
	case ROUTE_PLANS:
	case ROUTE_GOALS:
	case ROUTE_OBJECTIVES:
	case ROUTE_PRIORITIES:
	case ROUTE_INDICATORS:
	case ROUTE_INITIATIVES:
	case ROUTE_STATUS_RULES:
		return (resource_collection_send(req, c, cache));
	default:
		return (resource_item_send(req, c, cache));
	}
}

static int
plans_prepare(struct http_request *req, struct dbq *q)
{
	unsigned char		 hash[APIKEY_HASH_LEN];

	if (request_key_hash(req, hash) == -1)
		return (0);

	if (req->method == HTTP_METHOD_GET || req->method == HTTP_METHOD_HEAD) {
		q->query = "SELECT status, body, location FROM api_whoami($1)";
		dbq_param(q, 0, hash, APIKEY_HASH_LEN, 1);
		return (1);
	}
	return (plans_write(req, q, hash));
}

/*
 * The write at r: its index in plan_writes, or PLAN_WRITES when there is
 * none (a year that is not one).
 */
static size_t
plans_write_find(const struct route *r)
{
	struct problem	p;
	long		year;
	size_t		i;

	for (i = 0; i < PLAN_WRITES; i++) {
		if (plan_writes[i].kind == r->kind)
			break;
	}
	if (i < PLAN_WRITES && r->kind == ROUTE_PRIORITY_YEAR &&
	    query_int("year", route_param(r, "year"), 1900, 2999, &year,
	    &p) == -1)
		return (PLAN_WRITES);
	return (i);
}

/*
 * Fill the query of a write: $1 the key's hash, $2 the request id, then
 * the plan, the item, If-Match and the body, as the function takes them.
 */
static int
plans_write(struct http_request *req, struct dbq *q, const unsigned char *hash)
{
	const char	*hv;
	char		 if_match[IF_MATCH_MAX], *text;
	size_t		 w;
	int		 has_if_match, takes, i;

	if ((has_if_match = request_if_match(req, if_match,
	    sizeof(if_match))) == -1)
		return (0);
	text = NULL;
	if (req->method != HTTP_METHOD_DELETE &&
	    (text = request_text(req)) == NULL)
		return (0);
	if ((w = plans_write_find(&q->route)) == PLAN_WRITES) {
		free(text);
		api_error(req, PROBLEM_NOT_FOUND, "Nothing is served at %s.",
		    req->path);
		return (0);
	}

	takes = plan_writes[w].takes;
	q->query = plan_writes[w].query;
	dbq_param(q, 0, hash, APIKEY_HASH_LEN, 1);
	dbq_param(q, 1, api_request_id(req), 0, 0);
	i = 2;
	if (takes & PW_PLAN)
		dbq_param(q, i++, route_param(&q->route, "plan"), 0, 0);
	if (takes & PW_ITEM)
		dbq_param(q, i++, route_param(&q->route, plan_writes[w].item),
		    0, 0);
	if (takes & PW_IF_MATCH)
		dbq_param(q, i++, has_if_match ? if_match : NULL, 0, 0);
	if (takes & PW_IF_NONE_MATCH)
		dbq_param(q, i++, http_request_header(req, "if-none-match",
		    &hv) && strcmp(hv, "*") == 0 ? "true" : "false", 0, 0);
	dbq_param(q, i, text, 0, 0);
	free(text);
	return (1);
}

static void
plans_finish(struct http_request *req, struct dbq *q)
{
	json_t		*j;
	json_error_t	 jerr;
	int		 admin;

	if (req->method != HTTP_METHOD_GET && req->method != HTTP_METHOD_HEAD) {
		reply_result(req, q);
		if (req->status >= 200 && req->status < 300)
			snapshot_reload();
		return;
	}

	/* A read with a key: who it is, then the data it may see. */
	if (q->result == NULL || PQntuples(q->result) != 1 ||
	    strcmp(PQgetvalue(q->result, 0, 0), "200") != 0) {
		reply_result(req, q);
		return;
	}
	j = json_loads(PQgetvalue(q->result, 0, 1), 0, &jerr);
	admin = json_is_true(json_object_get(j, "admin"));
	json_decref(j);

	(void)plans_read(req, &q->route, admin ? snapshot_admin() :
	    snapshot_get(), CACHE_PRIVATE);
}

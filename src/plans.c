/*
 * The plan's routes: /v1/plans[/{plan}[/{goals|objectives|priorities}[/
 * {id}]]].  Reads come from memory (resource.c): the published snapshot,
 * or, for a request with an admin key, the one with the draft plans.
 * Writes go to the database, one SQL function each (sql/api/plans.sql), which
 * checks the key, If-Match and the body, writes, and records the change;
 * this worker then reloads its snapshot, and the others within a poll.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dbq.h"

int	plans_route(struct http_request *);

#define PLAN_KIND_MAX		16
#define IF_MATCH_MAX		512

struct plan_path {
	int	depth;				/* segments after /v1/plans */
	char	plan[CIVIC_ID_MAX + 1];
	char	kind[PLAN_KIND_MAX];		/* goals, objectives... */
	char	item[CIVIC_ID_MAX + 1];
};

static int	plan_path_parse(const char *, struct plan_path *);
static int	plan_methods(const struct plan_path *);
static int	plans_prepare(struct http_request *, struct dbq *);
static void	plans_finish(struct http_request *, struct dbq *);
static int	plans_write(struct http_request *, struct dbq *,
		    const struct plan_path *, const unsigned char *);

/* One segment of a path, up to '/' or the end, into out; its end or NULL. */
static const char *
path_segment(const char *p, char *out, size_t len)
{
	size_t	n;

	n = strcspn(p, "/");
	if (n == 0 || n >= len)
		return (NULL);
	memcpy(out, p, n);
	out[n] = '\0';
	return (p + n);
}

/* Split a plan route's path; -1 if it cannot name anything. */
static int
plan_path_parse(const char *path, struct plan_path *pp)
{
	const char	*p;

	memset(pp, 0, sizeof(*pp));
	if (strncmp(path, "/v1/plans", 9) != 0)
		return (-1);
	p = path + 9;
	if (*p == '\0')
		return (0);
	if (*p++ != '/' || (p = path_segment(p, pp->plan,
	    sizeof(pp->plan))) == NULL)
		return (-1);
	pp->depth = 1;
	if (*p == '\0')
		return (0);
	if (*p++ != '/' || (p = path_segment(p, pp->kind,
	    sizeof(pp->kind))) == NULL)
		return (-1);
	pp->depth = 2;
	if (*p == '\0')
		return (0);
	if (*p++ != '/' || (p = path_segment(p, pp->item,
	    sizeof(pp->item))) == NULL || *p != '\0')
		return (-1);
	pp->depth = 3;
	return (0);
}

/* The methods a plan route serves. */
static int
plan_methods(const struct plan_path *pp)
{
	int	m = API_READ_METHODS;

	switch (pp->depth) {
	case 0:
		return (m | HTTP_METHOD_POST);
	case 1:
		return (m | HTTP_METHOD_PATCH);
	case 2:
		if (strcmp(pp->kind, "priorities") == 0)
			return (m);
		return (m | HTTP_METHOD_POST);
	default:
		if (strcmp(pp->kind, "priorities") == 0)
			return (m | HTTP_METHOD_PUT);
		return (m | HTTP_METHOD_PATCH | HTTP_METHOD_DELETE);
	}
}

int
plans_route(struct http_request *req)
{
	struct plan_path	 pp;
	const char		*hv;
	int			 methods;

	if (plan_path_parse(req->path, &pp) == -1)
		return (app_not_found(req));
	methods = plan_methods(&pp);

	/* Writes, and reads with a key (an admin's see the drafts). */
	if ((req->method & (HTTP_METHOD_GET | HTTP_METHOD_HEAD)) == 0 ||
	    http_request_header(req, "authorization", &hv)) {
		if (req->method != HTTP_METHOD_OPTIONS)
			return (dbq_handle(req, plans_prepare, plans_finish));
	}

	if (!api_begin(req, methods, 1))
		return (KORE_RESULT_OK);
	if (pp.depth == 0 || pp.depth == 2)
		return (resource_collection_serve(req));
	return (resource_item_serve(req));
}

static int
plans_prepare(struct http_request *req, struct dbq *q)
{
	struct plan_path	 pp;
	unsigned char		 hash[APIKEY_HASH_LEN];

	if (plan_path_parse(req->path, &pp) == -1) {
		api_headers(req);
		api_error(req, PROBLEM_NOT_FOUND, "Nothing is served at %s.",
		    req->path);
		return (0);
	}
	if (!api_begin(req, plan_methods(&pp), 1))
		return (0);
	if (request_key_hash(req, hash) == -1)
		return (0);

	if (req->method == HTTP_METHOD_GET || req->method == HTTP_METHOD_HEAD) {
		q->query = "SELECT status, body, location FROM api_whoami($1)";
		dbq_param(q, 0, hash, APIKEY_HASH_LEN, 1);
		return (1);
	}
	if (req->owner != NULL)
		req->owner->http_timeout = 0;
	return (plans_write(req, q, &pp, hash));
}

/*
 * Fill the query of a write: $1 the key's hash, $2 the request id, then
 * the plan, the item, If-Match and the body, as the function takes them.
 */
static int
plans_write(struct http_request *req, struct dbq *q,
    const struct plan_path *pp, const unsigned char *hash)
{
	const char	*hv;
	struct problem	 p;
	char		 if_match[IF_MATCH_MAX], *text;
	long		 year;
	int		 has_if_match, del, i;

	if ((has_if_match = request_if_match(req, if_match,
	    sizeof(if_match))) == -1)
		return (0);

	del = req->method == HTTP_METHOD_DELETE;
	text = NULL;
	if (!del && (text = request_text(req)) == NULL)
		return (0);

	dbq_param(q, 0, hash, APIKEY_HASH_LEN, 1);
	dbq_param(q, 1, api_request_id(req), 0, 0);
	i = 2;
	if (pp->depth == 0) {
		q->query = "SELECT status, body, location, etag FROM "
		    "api_plan_create($1, $2, $3::jsonb)";
	} else if (pp->depth == 1) {
		q->query = "SELECT status, body, location, etag FROM "
		    "api_plan_update($1, $2, $3, $4, $5::jsonb)";
		dbq_param(q, i++, pp->plan, 0, 0);
		dbq_param(q, i++, has_if_match ? if_match : NULL, 0, 0);
	} else if (pp->depth == 2 && strcmp(pp->kind, "goals") == 0) {
		q->query = "SELECT status, body, location, etag FROM "
		    "api_goal_create($1, $2, $3, $4::jsonb)";
		dbq_param(q, i++, pp->plan, 0, 0);
	} else if (pp->depth == 2 && strcmp(pp->kind, "objectives") == 0) {
		q->query = "SELECT status, body, location, etag FROM "
		    "api_objective_create($1, $2, $3, $4::jsonb)";
		dbq_param(q, i++, pp->plan, 0, 0);
	} else if (pp->depth == 3 && strcmp(pp->kind, "goals") == 0) {
		q->query = "SELECT status, body, location, etag FROM "
		    "api_goal_write($1, $2, $3, $4, $5, $6::jsonb)";
		dbq_param(q, i++, pp->plan, 0, 0);
		dbq_param(q, i++, pp->item, 0, 0);
		dbq_param(q, i++, has_if_match ? if_match : NULL, 0, 0);
	} else if (pp->depth == 3 && strcmp(pp->kind, "objectives") == 0) {
		q->query = "SELECT status, body, location, etag FROM "
		    "api_objective_write($1, $2, $3, $4, $5, $6::jsonb)";
		dbq_param(q, i++, pp->plan, 0, 0);
		dbq_param(q, i++, pp->item, 0, 0);
		dbq_param(q, i++, has_if_match ? if_match : NULL, 0, 0);
	} else if (pp->depth == 3 && strcmp(pp->kind, "priorities") == 0 &&
	    query_int("year", pp->item, 1900, 2999, &year, &p) == 0) {
		q->query = "SELECT status, body, location, etag FROM "
		    "api_priorities_put($1, $2, $3, $4::integer, $5, "
		    "$6::boolean, $7::jsonb)";
		dbq_param(q, i++, pp->plan, 0, 0);
		dbq_param(q, i++, pp->item, 0, 0);
		dbq_param(q, i++, has_if_match ? if_match : NULL, 0, 0);
		dbq_param(q, i++, http_request_header(req, "if-none-match",
		    &hv) && strcmp(hv, "*") == 0 ? "true" : "false", 0, 0);
	} else {
		free(text);
		api_error(req, PROBLEM_NOT_FOUND, "Nothing is served at %s.",
		    req->path);
		return (0);
	}
	dbq_param(q, i, text, 0, 0);
	free(text);
	return (1);
}

static void
plans_finish(struct http_request *req, struct dbq *q)
{
	struct content	*c;
	json_t		*j;
	json_error_t	 jerr;
	struct plan_path pp;
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

	c = admin ? snapshot_admin() : snapshot_get();
	(void)plan_path_parse(req->path, &pp);
	if (pp.depth == 0 || pp.depth == 2)
		(void)resource_collection_send(req, c, CACHE_PRIVATE);
	else
		(void)resource_item_send(req, c, CACHE_PRIVATE);
}

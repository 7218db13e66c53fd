/*
 * The history of changes (sql/api/audit.sql): GET /v1/audit, every change with who
 * made it, for admins; GET /v1/plans/{plan}/history, a plan's changes,
 * for anyone.  Newest first, by cursor, from the database.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dbq.h"

/* What an audit list is filtered by. */
struct audit_filter {
	const char	*resource;
	const char	*since;
	const char	*until;
	char		 since_utc[40];
	char		 until_utc[40];
};

static int	audit_prepare(struct http_request *, struct dbq *);
static void	audit_finish(struct http_request *, struct dbq *);

static const char *const audit_params[] = {
	"resource", "since", "until", "limit", "cursor", NULL
};
static const char *const history_params[] = {
	"since", "until", "limit", "cursor", NULL
};
static const char *const audit_resources[] = {
	"plan", "goal", "objective", "priorities", "survey", "key",
	"response", "initiative", "indicator", "target", "observation",
	"override", "update", "import", NULL
};

/* GET /v1/audit and GET /v1/plans/{plan}/history. */
int
audit_serve(struct http_request *req, const struct route *r)
{
	return (dbq_handle(req, r, audit_prepare, audit_finish));
}

/* The path of the list at route (its cursors are bound to it). */
static void
audit_path(const struct route *r, char *path, size_t len)
{
	if (r->kind == ROUTE_PLAN_HISTORY)
		(void)snprintf(path, len, "/v1/plans/%s/history",
		    route_param(r, "plan"));
	else
		(void)snprintf(path, len, "/v1/audit");
}

/* Read the filters of qs into f; -1 with p filled when one is bad. */
static int
audit_filter_read(const struct query *qs, int history, struct audit_filter *f,
    struct problem *p)
{
	int	i;

	f->resource = history ? NULL : query_get(qs, "resource");
	if (f->resource != NULL) {
		for (i = 0; audit_resources[i] != NULL; i++) {
			if (strcmp(f->resource, audit_resources[i]) == 0)
				break;
		}
		if (audit_resources[i] == NULL) {
			problem_param(p, "resource", "'resource' is one of "
			    "plan, goal, objective, priorities, survey, key, "
			    "response, initiative, indicator, target, "
			    "observation, override, update, import.");
			return (-1);
		}
	}
	if (request_time(qs, "since", &f->since, f->since_utc,
	    sizeof(f->since_utc), p) == -1 ||
	    request_time(qs, "until", &f->until, f->until_utc,
	    sizeof(f->until_utc), p) == -1)
		return (-1);
	return (0);
}

static int
audit_prepare(struct http_request *req, struct dbq *q)
{
	struct audit_filter	 f;
	struct query		 qs;
	struct problem		 p;
	const char		*hv, *plan;
	char			 path[CIVIC_PATH_MAX], num[32];
	unsigned char		 hash[APIKEY_HASH_LEN];
	int64_t			 keys[2];
	int			 has_cursor, history, keyed;

	history = q->route.kind == ROUTE_PLAN_HISTORY;
	plan = request_slug(&q->route, "plan");
	if (history && plan == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "Nothing is served at %s.",
		    req->path);
		return (0);
	}

	/* The audit needs an admin key; a plan's history, none. */
	keyed = !history || http_request_header(req, "authorization", &hv);
	if (keyed && request_key_hash(req, hash) == -1)
		return (0);

	if (query_parse(&qs, req->query_string, &p) == -1 ||
	    query_only(&qs, history ? history_params : audit_params,
	    &p) == -1 || audit_filter_read(&qs, history, &f, &p) == -1) {
		query_cleanup(&qs);
		api_problem(req, &p);
		return (0);
	}

	/* The page's own parameters, for its cursor and its next link. */
	q->text[0] = '\0';
	dbq_text_param(q, "resource", f.resource);
	dbq_text_param(q, "since", f.since);
	dbq_text_param(q, "until", f.until);

	audit_path(&q->route, path, sizeof(path));
	keys[0] = keys[1] = 0;
	if (dbq_page_params(req, q, &qs, path, 2, keys, &has_cursor) == -1) {
		query_cleanup(&qs);
		return (0);
	}

	/* The filters point into qs: cleaned up once they are copied. */
	if (history) {
		q->query = "SELECT status, body, location FROM "
		    "api_plan_history($1, $2, $3::timestamptz, "
		    "$4::timestamptz, $5::integer, $6::bigint, $7::bigint)";
		dbq_param(q, 1, plan, 0, 0);
	} else {
		q->query = "SELECT status, body, location FROM "
		    "api_audit_list($1, $2, $3::timestamptz, "
		    "$4::timestamptz, $5::integer, $6::bigint, $7::bigint)";
		dbq_param(q, 1, f.resource, 0, 0);
	}
	dbq_param(q, 0, keyed ? hash : NULL, sizeof(hash), 1);
	dbq_param(q, 2, f.since != NULL ? f.since_utc : NULL, 0, 0);
	dbq_param(q, 3, f.until != NULL ? f.until_utc : NULL, 0, 0);
	(void)snprintf(num, sizeof(num), "%ld", q->limit);
	dbq_param(q, 4, num, 0, 0);
	dbq_page_keys(q, 5, has_cursor, keys);
	query_cleanup(&qs);
	return (1);
}

static void
audit_finish(struct http_request *req, struct dbq *q)
{
	char	path[CIVIC_PATH_MAX];

	audit_path(&q->route, path, sizeof(path));
	reply_list(req, q, path, CT_JSON, NULL);
}

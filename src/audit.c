/*
 * The history of changes (sql/012): GET /v1/audit, every change with who
 * made it, for admins; GET /v1/plans/{plan}/history, a plan's changes,
 * for anyone.  Newest first, by cursor, from the database.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dbq.h"

int	audit_list(struct http_request *);
int	plans_history(struct http_request *);

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
	"response", NULL
};

int
audit_list(struct http_request *req)
{
	return (dbq_handle(req, audit_prepare, audit_finish));
}

int
plans_history(struct http_request *req)
{
	return (dbq_handle(req, audit_prepare, audit_finish));
}

/* The {plan} of /v1/plans/{plan}/history, into out; -1 if none. */
static int
history_plan(const char *path, char *out, size_t len)
{
	const char	*rest;

	rest = path_id(path, "/v1/plans/", out, len);
	return (rest != NULL && strcmp(rest, "/history") == 0 ? 0 : -1);
}

static int
audit_prepare(struct http_request *req, struct dbq *q)
{
	struct query	 qs;
	struct problem	 p;
	const char	*resource, *since, *until, *hv;
	char		 plan[CIVIC_ID_MAX + 1], path[CIVIC_PATH_MAX], num[32];
	unsigned char	 hash[APIKEY_HASH_LEN];
	int64_t		 keys[2];
	char		 since_utc[40], until_utc[40];
	int		 has_cursor, history, i, keyed;

	if (!api_begin(req, API_READ_METHODS, 1))
		return (0);
	history = strcmp(req->path, "/v1/audit") != 0;
	if (history && history_plan(req->path, plan, sizeof(plan)) == -1) {
		api_error(req, PROBLEM_NOT_FOUND, "Nothing is served at %s.",
		    req->path);
		return (0);
	}

	/* The audit needs an admin key; a plan's history, none. */
	keyed = !history || http_request_header(req, "authorization", &hv);
	if (keyed && auth_key_hash(req, hash) == -1)
		return (0);

	if (query_parse(&qs, req->query_string, &p) == -1 ||
	    query_only(&qs, history ? history_params : audit_params, &p) == -1)
		goto bad;

	resource = history ? NULL : query_get(&qs, "resource");
	if (resource != NULL) {
		for (i = 0; audit_resources[i] != NULL; i++) {
			if (strcmp(resource, audit_resources[i]) == 0)
				break;
		}
		if (audit_resources[i] == NULL) {
			problem_param(&p, "resource", "'resource' is one of "
			    "plan, goal, objective, priorities, survey, key, "
			    "response.");
			goto bad;
		}
	}
	/* Passed on in UTC: what the database reads whatever the offset. */
	if ((since = query_get(&qs, "since")) != NULL &&
	    answers_timestamp_utc(since, since_utc, sizeof(since_utc)) == -1) {
		problem_param(&p, "since", "'since' is an RFC 3339 date-time "
		    "with a time zone.");
		goto bad;
	}
	if ((until = query_get(&qs, "until")) != NULL &&
	    answers_timestamp_utc(until, until_utc, sizeof(until_utc)) == -1) {
		problem_param(&p, "until", "'until' is an RFC 3339 date-time "
		    "with a time zone.");
		goto bad;
	}

	/* The page's own parameters, for its cursor and its next link. */
	q->text[0] = '\0';
	dbq_text_param(q, "resource", resource);
	dbq_text_param(q, "since", since);
	dbq_text_param(q, "until", until);

	if (history)
		(void)snprintf(path, sizeof(path), "/v1/plans/%s/history",
		    plan);
	else
		(void)snprintf(path, sizeof(path), "/v1/audit");
	keys[0] = keys[1] = 0;
	if (dbq_page_params(req, q, &qs, path, 2, keys, &has_cursor) == -1) {
		query_cleanup(&qs);
		return (0);
	}

	if (history) {
		q->query = "SELECT status, body, location FROM "
		    "api_plan_history($1, $2, $3::timestamptz, "
		    "$4::timestamptz, $5::integer, $6::bigint, $7::bigint)";
		dbq_param(q, 1, plan, 0, 0);
	} else {
		q->query = "SELECT status, body, location FROM "
		    "api_audit_list($1, $2, $3::timestamptz, "
		    "$4::timestamptz, $5::integer, $6::bigint, $7::bigint)";
		dbq_param(q, 1, resource, 0, 0);
	}
	dbq_param(q, 0, keyed ? hash : NULL, sizeof(hash), 1);
	dbq_param(q, 2, since != NULL ? since_utc : NULL, 0, 0);
	dbq_param(q, 3, until != NULL ? until_utc : NULL, 0, 0);
	(void)snprintf(num, sizeof(num), "%ld", q->limit);
	dbq_param(q, 4, num, 0, 0);
	dbq_page_keys(q, 5, has_cursor, keys);
	query_cleanup(&qs);
	return (1);

bad:
	query_cleanup(&qs);
	api_problem(req, &p);
	return (0);
}

static void
audit_finish(struct http_request *req, struct dbq *q)
{
	char	plan[CIVIC_ID_MAX + 1], path[CIVIC_PATH_MAX];

	if (history_plan(req->path, plan, sizeof(plan)) == 0)
		(void)snprintf(path, sizeof(path), "/v1/plans/%s/history",
		    plan);
	else
		(void)snprintf(path, sizeof(path), "/v1/audit");
	dbq_send_list(req, q, path, CT_JSON, NULL);
}

/*
 * Surveys: read from memory like the plan (resource.c), written by admins
 * through the database (api_survey_post and api_survey_patch, sql/api/surveys.sql,
 * which record the change; PATCH honours If-Match).
 * A write bumps the content revision, and every worker reloads its
 * snapshot within a poll interval.
 */

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dbq.h"

static int	survey_write_prepare(struct http_request *, struct dbq *);
static void	survey_write_finish(struct http_request *, struct dbq *);

int
surveys_serve(struct http_request *req, const struct route *r)
{
	if (req->method == HTTP_METHOD_POST || req->method == HTTP_METHOD_PATCH)
		return (dbq_handle(req, r, survey_write_prepare,
		    survey_write_finish));
	if (r->kind == ROUTE_SURVEYS)
		return (resource_collection_serve(req));
	return (resource_item_serve(req));
}

static int
survey_write_prepare(struct http_request *req, struct dbq *q)
{
	const char	*slug;
	char		 if_match[512], *text;
	unsigned char	 hash[APIKEY_HASH_LEN];
	int		 create, has_if_match;

	create = req->method == HTTP_METHOD_POST;
	if (request_key_hash(req, hash) == -1)
		return (0);
	slug = request_slug(&q->route, "survey");
	if (!create && slug == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "Nothing is served at %s.",
		    req->path);
		return (0);
	}
	has_if_match = 0;
	if (!create && (has_if_match = request_if_match(req, if_match,
	    sizeof(if_match))) == -1)
		return (0);
	if ((text = request_text(req)) == NULL)
		return (0);

	dbq_param(q, 0, hash, sizeof(hash), 1);
	dbq_param(q, 1, api_request_id(req), 0, 0);
	if (create) {
		q->query = "SELECT status, body, location, etag FROM "
		    "api_survey_post($1, $2, $3::jsonb)";
		dbq_param(q, 2, text, 0, 0);
	} else {
		q->query = "SELECT status, body, location, etag FROM "
		    "api_survey_patch($1, $2, $3, $4, $5::jsonb)";
		dbq_param(q, 2, slug, 0, 0);
		dbq_param(q, 3, has_if_match ? if_match : NULL, 0, 0);
		dbq_param(q, 4, text, 0, 0);
	}
	free(text);
	return (1);
}

/* This worker serves its own write at once; the others within a poll. */
static void
survey_write_finish(struct http_request *req, struct dbq *q)
{
	reply_result(req, q);
	if (req->status == HTTP_STATUS_OK ||
	    req->status == HTTP_STATUS_CREATED)
		snapshot_reload();
}

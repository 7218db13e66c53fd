/*
 * The published plan and survey data: single resources and collections,
 * served from the in-memory snapshot (content.c).  Paths name resources
 * directly: the handler resolves the "current" alias, finds the document
 * and sends it; a collection builds the page its query asks for.
 */

#include <stdio.h>
#include <string.h>

#include "api.h"

static const char *const collection_params[] = { "limit", "cursor", NULL };

/* The snapshot c, or a 503 problem when the data never loaded. */
static struct content *
resource_content(struct http_request *req, struct content *c)
{
	if (c == NULL) {
		api_error(req, PROBLEM_UNAVAILABLE, "The plan data is not "
		    "loaded yet: the database has not been reachable.");
	}
	return (c);
}

/* Resolve req->path to its canonical path; 404 problem if it cannot be. */
static int
resource_path(struct http_request *req, struct content *c, char *path,
    size_t len)
{
	if (content_resolve(c, req->path, path, len) == -1) {
		api_error(req, PROBLEM_NOT_FOUND, "No plan is adopted, so "
		    "there is no current plan.");
		return (-1);
	}
	return (0);
}

/* GET or HEAD of a resource, once api_begin() let it through. */
int
resource_item_serve(struct http_request *req)
{
	return (resource_item_send(req, snapshot_get(), CACHE_PUBLIC));
}

/* GET or HEAD of a resource of snapshot c, sent with Cache-Control cache. */
int
resource_item_send(struct http_request *req, struct content *c,
    const char *cache)
{
	const struct resource	*r;
	char			 path[CIVIC_PATH_MAX];

	if (resource_content(req, c) == NULL)
		return (KORE_RESULT_OK);
	if (resource_path(req, c, path, sizeof(path)) == -1)
		return (KORE_RESULT_OK);

	if ((r = content_resource(c, path)) == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "Nothing is published at %s.",
		    req->path);
		return (KORE_RESULT_OK);
	}
	if (api_no_query(req) == -1)
		return (KORE_RESULT_OK);

	api_doc(req, &r->doc, CT_JSON, cache);
	return (KORE_RESULT_OK);
}

/*
 * Check the collection's filter value: a year, or the id of a resource
 * under filter_ref (a goal of the plan).
 */
static int
resource_filter(struct content *c, const struct collection *col,
    const char *value, struct problem *p)
{
	char	ref[CIVIC_PATH_MAX];
	long	year;

	if (col->filter_ref == NULL)
		return (query_int(col->filter_param, value, 1900, 2999, &year,
		    p));

	if (!slug_valid(value)) {
		problem_param(p, col->filter_param, "'%s' must be an id "
		    "(lowercase letters, digits and dashes).",
		    col->filter_param);
		return (-1);
	}
	(void)snprintf(ref, sizeof(ref), "%s%s", col->filter_ref, value);
	if (content_resource(c, ref) == NULL) {
		problem_param(p, col->filter_param, "No %s '%s' in this plan.",
		    col->filter_param, value);
		return (-1);
	}
	return (0);
}

/* GET or HEAD of a collection, once api_begin() let it through. */
int
resource_collection_serve(struct http_request *req)
{
	return (resource_collection_send(req, snapshot_get(), CACHE_PUBLIC));
}

/* GET or HEAD of a collection of snapshot c, with Cache-Control cache. */
int
resource_collection_send(struct http_request *req, struct content *c,
    const char *cache)
{
	const struct collection		*col;
	struct query			 q;
	struct problem			 p;
	struct page_source		 src;
	struct page_request		 rq;
	json_t				*env, *next;
	const char			*v, *allowed[4];
	char				 path[CIVIC_PATH_MAX];
	char				 cursor[CIVIC_CURSOR_MAX];
	char				 link[CIVIC_PATH_MAX + 160];

	if (resource_content(req, c) == NULL)
		return (KORE_RESULT_OK);
	if (resource_path(req, c, path, sizeof(path)) == -1)
		return (KORE_RESULT_OK);

	if ((col = content_collection(c, path)) == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "Nothing is published at %s.",
		    req->path);
		return (KORE_RESULT_OK);
	}

	/* The first page, as rendered at load time. */
	if (req->query_string == NULL || *req->query_string == '\0') {
		if (col->first_link != NULL)
			http_response_header(req, "link", col->first_link);
		api_doc(req, &col->first_page, CT_JSON, cache);
		return (KORE_RESULT_OK);
	}

	if (query_parse(&q, req->query_string, &p) == -1)
		goto bad;

	allowed[0] = collection_params[0];
	allowed[1] = collection_params[1];
	allowed[2] = col->filter_param;
	allowed[3] = NULL;
	if (query_only(&q, allowed, &p) == -1)
		goto bad;

	memset(&rq, 0, sizeof(rq));
	rq.limit = CIVIC_LIMIT_DEFAULT;
	if ((v = query_get(&q, "limit")) != NULL &&
	    query_int("limit", v, 1, CIVIC_LIMIT_MAX, &rq.limit, &p) == -1)
		goto bad;

	if (col->filter_param != NULL &&
	    (v = query_get(&q, col->filter_param)) != NULL) {
		if (resource_filter(c, col, v, &p) == -1)
			goto bad;
		rq.filter_param = col->filter_param;
		rq.filter_value = v;
	}

	if ((v = query_get(&q, "cursor")) != NULL) {
		if (cursor_decode(v, cursor_scope(col->path, rq.filter_value),
		    &rq.after) == -1) {
			problem_param(&p, "cursor", "This cursor was not given "
			    "for this collection and filter; start again "
			    "without one.");
			goto bad;
		}
		rq.has_after = 1;
	}

	src.path = col->path;
	src.members = col->members;
	src.keys = col->keys;
	src.filters = col->filters;
	src.count = col->count;

	if ((env = page_build(&src, &rq, cursor, sizeof(cursor))) == NULL) {
		query_cleanup(&q);
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return (KORE_RESULT_OK);
	}

	next = json_object_get(env, "next");
	if (json_is_string(next)) {
		if (page_link(json_string_value(next), link,
		    sizeof(link)) == 0)
			http_response_header(req, "link", link);
	}

	api_json(req, HTTP_STATUS_OK, env, cache);
	json_decref(env);
	query_cleanup(&q);
	return (KORE_RESULT_OK);

bad:
	query_cleanup(&q);
	api_problem(req, &p);
	return (KORE_RESULT_OK);
}

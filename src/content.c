/*
 * The published data in memory.
 *
 * content_load() reads the api_* views over one short libpq connection and
 * renders every resource and every collection's first page once, with its
 * ETag.  A request then finds its document by path (binary search) and
 * sends bytes that were rendered before it arrived.  The same database
 * rows always give the same bytes, so every worker serves the same bytes
 * under the same ETag.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "civic.h"

static int	content_query(PGconn *, const char *, PGresult **, char *,
		    size_t);
static int	resource_cmp(const void *, const void *);
static int	collection_cmp(const void *, const void *);
static int	resource_key_cmp(const void *, const void *);
static int	collection_key_cmp(const void *, const void *);
static int	collection_add(struct content *, const char *, json_t *,
		    int64_t, const char *);
static int	collection_render(struct collection *);

/*
 * Render j as the compact JSON bytes of a document and compute its ETag.
 * Returns 0, or -1 if memory ran out; doc_cleanup() releases the bytes.
 */
int
doc_render(struct doc *doc, json_t *j)
{
	memset(doc, 0, sizeof(*doc));
	if ((doc->body = json_dumps(j, CIVIC_JSON_DUMP)) == NULL)
		return (-1);
	doc->len = strlen(doc->body);
	etag_compute(doc->body, doc->len, doc->etag);
	return (0);
}

void
doc_cleanup(struct doc *doc)
{
	free(doc->body);
	memset(doc, 0, sizeof(*doc));
}

static int
content_query(PGconn *pg, const char *sql, PGresult **res, char *err,
    size_t errlen)
{
	*res = PQexec(pg, sql);
	if (PQresultStatus(*res) != PGRES_TUPLES_OK) {
		(void)snprintf(err, errlen, "%s", PQerrorMessage(pg));
		PQclear(*res);
		*res = NULL;
		return (-1);
	}
	return (0);
}

/*
 * Build a snapshot from the open transaction on pg and all, every
 * resource (content_load's query): the published data, or (drafts)
 * everything, draft plans too.  Returns it or NULL with the reason in err.
 */
static struct content *
content_build(PGconn *pg, PGresult *all, int drafts, char *err,
    size_t errlen)
{
	PGresult		*res;
	struct content		*c;
	struct collection	*col;
	struct resource		*r;
	json_t			*j;
	json_error_t		 jerr;
	const char		*path, *colpath, *filter;
	int			 i, n;
	int64_t			 key;

	res = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto oom;

	if (content_query(pg, drafts ?
	    "SELECT path, filter_param, filter_ref FROM api_collections" :
	    "SELECT path, filter_param, filter_ref FROM api_collections "
	    "WHERE NOT draft", &res, err, errlen) == -1)
		goto fail;

	n = PQntuples(res);
	if ((c->collections = calloc((size_t)n + 1, sizeof(*col))) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		col = &c->collections[c->ncollections++];
		col->path = strdup(PQgetvalue(res, i, 0));
		if (!PQgetisnull(res, i, 1))
			col->filter_param = strdup(PQgetvalue(res, i, 1));
		if (!PQgetisnull(res, i, 2))
			col->filter_ref = strdup(PQgetvalue(res, i, 2));
		if (col->path == NULL)
			goto oom;
	}
	qsort(c->collections, c->ncollections, sizeof(*col), collection_cmp);
	PQclear(res);

	/* The rows of all belong to the caller. */
	res = NULL;
	n = PQntuples(all);
	if ((c->resources = calloc((size_t)n + 1, sizeof(*c->resources))) ==
	    NULL)
		goto oom;

	for (i = 0; i < n; i++) {
		if (!drafts && strcmp(PQgetvalue(all, i, 7), "t") == 0)
			continue;
		path = PQgetisnull(all, i, 0) ? NULL : PQgetvalue(all, i, 0);
		colpath = PQgetisnull(all, i, 1) ? NULL : PQgetvalue(all, i, 1);
		key = strtoll(PQgetvalue(all, i, 2), NULL, 10);
		filter = PQgetisnull(all, i, 3) ? NULL : PQgetvalue(all, i, 3);

		if (path != NULL) {
			j = json_loads(PQgetvalue(all, i, 4), 0, &jerr);
			if (j == NULL)
				goto badjson;
			r = &c->resources[c->nresources];
			if ((r->path = strdup(path)) == NULL ||
			    doc_render(&r->doc, j) == -1) {
				json_decref(j);
				goto oom;
			}
			if (!PQgetisnull(all, i, 6))
				(void)snprintf(r->doc.etag, sizeof(r->doc.etag),
				    "%s", PQgetvalue(all, i, 6));
			r->json = j;
			c->nresources++;
		}

		if (colpath == NULL)
			continue;
		if ((j = json_loads(PQgetvalue(all, i, 5), 0, &jerr)) == NULL)
			goto badjson;
		if (collection_add(c, colpath, j, key, filter) == -1) {
			(void)snprintf(err, errlen, "resource listed in "
			    "unknown collection %s", colpath);
			goto fail;
		}
	}
	qsort(c->resources, c->nresources, sizeof(*c->resources),
	    resource_cmp);

	if (content_query(pg, "SELECT version FROM api_content_version", &res,
	    err, errlen) == -1)
		goto fail;
	if (PQntuples(res) == 1)
		c->revision = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);

	if (content_query(pg, "SELECT slug FROM api_current_plan", &res,
	    err, errlen) == -1)
		goto fail;
	if (PQntuples(res) == 1) {
		if (asprintf(&c->current_plan, "/v1/plans/%s",
		    PQgetvalue(res, 0, 0)) == -1) {
			c->current_plan = NULL;
			goto oom;
		}
	}
	PQclear(res);
	res = NULL;

	for (i = 0; i < (int)c->ncollections; i++) {
		if (collection_render(&c->collections[i]) == -1)
			goto oom;
	}
	return (c);

badjson:
	(void)snprintf(err, errlen, "view returned bad JSON: %s", jerr.text);
	goto fail;
oom:
	(void)snprintf(err, errlen, "out of memory");
fail:
	PQclear(res);
	content_free(c);
	return (NULL);
}

/*
 * Load a snapshot from the database at conninfo: the published data, and
 * in ->all the same with the draft plans, for admins.  Returns a new
 * snapshot (content_free() it) or NULL with the reason in err.
 */
struct content *
content_load(const char *conninfo, char *err, size_t errlen)
{
	PGconn		*pg;
	PGresult	*res;
	struct content	*c;

	c = NULL;
	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		(void)snprintf(err, errlen, "%s", PQerrorMessage(pg));
		PQfinish(pg);
		return (NULL);
	}

	/* One consistent view of the data for every query. */
	res = PQexec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		(void)snprintf(err, errlen, "%s", PQerrorMessage(pg));
		PQclear(res);
		PQfinish(pg);
		return (NULL);
	}
	PQclear(res);

	/*
	 * Every resource, drafts too, made once for both snapshots (the
	 * progress documents cost): an item's ETag comes from the view
	 * (api_etag of its JSON), so that the write functions test If-Match
	 * against the very same tag.
	 */
	if (content_query(pg, "SELECT path, collection, sort_key, "
	    "filter_value, item::text, member::text, etag, draft "
	    "FROM api_resources ORDER BY collection, sort_key", &res, err,
	    errlen) == -1) {
		PQfinish(pg);
		return (NULL);
	}
	if ((c = content_build(pg, res, 0, err, errlen)) != NULL &&
	    (c->all = content_build(pg, res, 1, err, errlen)) == NULL) {
		content_free(c);
		c = NULL;
	}
	PQclear(res);
	PQfinish(pg);
	return (c);
}

/* Append a member to the collection at path; steals j. */
static int
collection_add(struct content *c, const char *path, json_t *j, int64_t key,
    const char *filter)
{
	struct collection	*col;
	json_t			**m;
	int64_t			*k;
	char			**f;

	col = bsearch(path, c->collections, c->ncollections, sizeof(*col),
	    collection_key_cmp);
	if (col == NULL) {
		json_decref(j);
		return (-1);
	}

	m = realloc(col->members, (col->count + 1) * sizeof(*m));
	if (m != NULL)
		col->members = m;
	k = realloc(col->keys, (col->count + 1) * sizeof(*k));
	if (k != NULL)
		col->keys = k;
	f = realloc(col->filters, (col->count + 1) * sizeof(*f));
	if (f != NULL)
		col->filters = f;
	if (m == NULL || k == NULL || f == NULL) {
		json_decref(j);
		return (-1);
	}

	col->members[col->count] = j;
	col->keys[col->count] = key;
	col->filters[col->count] = filter != NULL ? strdup(filter) : NULL;
	col->count++;

	return (0);
}

static int
collection_render(struct collection *col)
{
	struct page_source	src;
	struct page_request	rq;
	json_t			*env, *next, *id;
	const char		*status;
	char			 cursor[CIVIC_CURSOR_MAX];
	char			 link[CIVIC_PATH_MAX + 128];
	size_t			 i;
	int			 rc;

	if ((col->ids = json_array()) == NULL ||
	    (col->active_ids = json_array()) == NULL)
		return (-1);
	for (i = 0; i < col->count; i++) {
		id = json_object_get(col->members[i], "id");
		json_array_append(col->ids, id);
		status = json_string_value(json_object_get(col->members[i],
		    "status"));
		if (status == NULL || strcmp(status, "archived") != 0)
			json_array_append(col->active_ids, id);
	}

	src.path = col->path;
	src.members = col->members;
	src.keys = col->keys;
	src.filters = col->filters;
	src.count = col->count;

	memset(&rq, 0, sizeof(rq));
	rq.limit = CIVIC_LIMIT_DEFAULT;

	if ((env = page_build(&src, &rq, cursor, sizeof(cursor))) == NULL)
		return (-1);
	rc = doc_render(&col->first_page, env);

	next = json_object_get(env, "next");
	if (rc == 0 && json_is_string(next) && (page_link(
	    json_string_value(next), link, sizeof(link)) == -1 ||
	    (col->first_link = strdup(link)) == NULL))
		rc = -1;
	json_decref(env);

	return (rc);
}

void
content_free(struct content *c)
{
	struct collection	*col;
	size_t			 i, j;

	if (c == NULL)
		return;

	for (i = 0; i < c->nresources; i++) {
		free(c->resources[i].path);
		doc_cleanup(&c->resources[i].doc);
		json_decref(c->resources[i].json);
	}
	free(c->resources);

	for (i = 0; i < c->ncollections; i++) {
		col = &c->collections[i];
		for (j = 0; j < col->count; j++) {
			json_decref(col->members[j]);
			free(col->filters[j]);
		}
		free(col->members);
		free(col->keys);
		free(col->filters);
		free(col->path);
		free(col->filter_param);
		free(col->filter_ref);
		free(col->first_link);
		json_decref(col->ids);
		json_decref(col->active_ids);
		doc_cleanup(&col->first_page);
	}
	free(c->collections);
	free(c->current_plan);
	content_free(c->all);
	free(c);
}

static int
resource_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct resource *)a)->path,
	    ((const struct resource *)b)->path));
}

static int
collection_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct collection *)a)->path,
	    ((const struct collection *)b)->path));
}

static int
resource_key_cmp(const void *key, const void *elm)
{
	return (strcmp(key, ((const struct resource *)elm)->path));
}

static int
collection_key_cmp(const void *key, const void *elm)
{
	return (strcmp(key, ((const struct collection *)elm)->path));
}

/* The resource served at path, or NULL.  Borrowed from c. */
const struct resource *
content_resource(const struct content *c, const char *path)
{
	if (c == NULL || c->nresources == 0)
		return (NULL);
	return (bsearch(path, c->resources, c->nresources,
	    sizeof(*c->resources), resource_key_cmp));
}

/* The collection served at path, or NULL.  Borrowed from c. */
const struct collection *
content_collection(const struct content *c, const char *path)
{
	if (c == NULL || c->ncollections == 0)
		return (NULL);
	return (bsearch(path, c->collections, c->ncollections,
	    sizeof(*c->collections), collection_key_cmp));
}

/*
 * Resolve the alias /v1/plans/current[/...] to the newest adopted plan's
 * path.  Writes the canonical path into out; returns 0, or -1 if the path
 * names "current" while no plan is adopted, or does not fit.
 */
int
content_resolve(const struct content *c, const char *path, char *out,
    size_t outlen)
{
	static const char	alias[] = "/v1/plans/current";
	size_t			alen = sizeof(alias) - 1;
	int			n;

	if (strncmp(path, alias, alen) != 0 ||
	    (path[alen] != '\0' && path[alen] != '/')) {
		n = snprintf(out, outlen, "%s", path);
	} else {
		if (c == NULL || c->current_plan == NULL)
			return (-1);
		n = snprintf(out, outlen, "%s%s", c->current_plan,
		    path + alen);
	}

	return (n < 0 || (size_t)n >= outlen ? -1 : 0);
}

/*
 * The ids of the objectives of the plan a survey (its published document)
 * belongs to, in plan order: all of them, or (active) those not archived,
 * which new answers may choose.  Borrowed from c, or NULL.
 */
json_t *
content_objective_ids(const struct content *c, json_t *survey, int active)
{
	const struct collection	*col;
	char			 path[CIVIC_PATH_MAX];

	(void)snprintf(path, sizeof(path), "/v1/plans/%s/objectives",
	    json_string_value(json_object_get(survey, "plan")));
	if (c != NULL && c->all != NULL)
		c = c->all;
	if ((col = content_collection(c, path)) == NULL)
		return (NULL);
	return (active ? col->active_ids : col->ids);
}

/*
 * Live tallies: GET /v1/surveys/{survey}/tallies.
 *
 * The numbers come from the survey's counters (api_tallies, sql/006), so a
 * read costs the same however many responses there are.  The ETag is made
 * from the survey and its counters' version, which changes whenever a
 * number changes: a dashboard polling with If-None-Match gets 304 until
 * then.  When the results are public, each worker keeps the document for
 * TALLY_FRESH_MS and answers from memory in between; once it is older, or
 * this worker stored a response, one request refreshes it while the others
 * are still answered from memory (stale-while-revalidate), so that a
 * worker sends at most one tally query at a time however many dashboards
 * poll.  A refresh not back within TALLY_REFRESH_MS is tried again by the
 * next request; past TALLY_STALE_MS the cached numbers are not served at
 * all.  A poll every second sees numbers a few hundred milliseconds old,
 * and its revalidations cost no query.
 *
 * Everything goes to the database only with a key (results not public) or
 * on the first read.  When this worker reloads the published data, the
 * cache is dropped: the results may have stopped being public.
 */

#include <string.h>

#include "api.h"
#include "dbq.h"

#define TALLY_FRESH_MS		250
#define TALLY_REFRESH_MS	1000	/* a refresh given up after this */
#define TALLY_STALE_MS		10000	/* served while one request refreshes */
#define TALLY_CACHE_MAX		16

int	tallies_get(struct http_request *);

static int	tallies_prepare(struct http_request *, struct dbq *);
static void	tallies_finish(struct http_request *, struct dbq *);

struct tally_cache {
	char		slug[CIVIC_ID_MAX + 1];
	struct doc	doc;
	uint64_t	fetched;
	uint64_t	refreshing;	/* when a refresh started, or 0 */
	int		touched;	/* a response was stored since */
};

static struct tally_cache	tally_cache[TALLY_CACHE_MAX];

/* Forget every cached tally: the published data changed. */
void
tallies_invalidate(void)
{
	size_t	i;

	for (i = 0; i < TALLY_CACHE_MAX; i++) {
		tally_cache[i].fetched = 0;
		tally_cache[i].refreshing = 0;
	}
}

/* This worker changed the numbers: the next read refreshes them. */
void
tallies_touch(void)
{
	size_t	i;

	for (i = 0; i < TALLY_CACHE_MAX; i++)
		tally_cache[i].touched = 1;
}

/* The cache entry for slug, or NULL. */
static struct tally_cache *
tally_entry(const char *slug)
{
	size_t	i;

	for (i = 0; i < TALLY_CACHE_MAX; i++) {
		if (tally_cache[i].doc.body != NULL &&
		    !strcmp(tally_cache[i].slug, slug))
			return (&tally_cache[i]);
	}
	return (NULL);
}

/*
 * The cached document for slug if it may be served now: fresh, or stale
 * (up to TALLY_STALE_MS) while another request refreshes it.  A stale hit
 * with no refresh under way makes this request the refresher (NULL): one
 * query per worker at a time however many dashboards poll.
 */
static struct tally_cache *
tally_servable(const char *slug)
{
	struct tally_cache	*tc;
	uint64_t		 now, age;

	if ((tc = tally_entry(slug)) == NULL || tc->fetched == 0)
		return (NULL);

	now = kore_time_ms();
	age = now - tc->fetched;
	if (age <= TALLY_FRESH_MS && !tc->touched)
		return (tc);
	if (age <= TALLY_STALE_MS && tc->refreshing != 0 &&
	    now - tc->refreshing < TALLY_REFRESH_MS)
		return (tc);
	tc->refreshing = now;
	return (NULL);
}

static void
tally_store(const char *slug, struct doc *doc)
{
	struct tally_cache	*tc;
	size_t			 i;

	if ((tc = tally_entry(slug)) == NULL) {
		tc = &tally_cache[0];
		for (i = 1; i < TALLY_CACHE_MAX; i++) {
			if (tally_cache[i].fetched < tc->fetched)
				tc = &tally_cache[i];
		}
	}
	doc_cleanup(&tc->doc);
	(void)snprintf(tc->slug, sizeof(tc->slug), "%s", slug);
	tc->doc = *doc;
	tc->fetched = kore_time_ms();
	tc->refreshing = 0;
	tc->touched = 0;
	memset(doc, 0, sizeof(*doc));
}

/* May anyone see this survey's results now? */
static int
tallies_public(json_t *survey)
{
	const char	*vis, *status;
	time_t		 closes;

	vis = json_string_value(json_object_get(survey, "results_visibility"));
	status = json_string_value(json_object_get(survey, "status"));
	if (vis == NULL)
		return (0);
	if (!strcmp(vis, "public"))
		return (1);
	if (strcmp(vis, "after_close") != 0)
		return (0);
	if (status != NULL && !strcmp(status, "closed"))
		return (1);
	return (answers_timestamp(json_string_value(json_object_get(survey,
	    "closes_at")), &closes) == 0 && time(NULL) >= closes);
}

/*
 * Public tallies fresh in this worker's cache are sent from memory, before
 * any per-request state is made: the dashboards' polling path.
 */
int
tallies_get(struct http_request *req)
{
	struct tally_cache	*tc;
	char			 slug[CIVIC_ID_MAX + 1];

	if (!http_state_exists(req) && (req->method == HTTP_METHOD_GET ||
	    req->method == HTTP_METHOD_HEAD) && (req->query_string == NULL ||
	    *req->query_string == '\0') &&
	    survey_from_path(req->path, slug, sizeof(slug)) == 0 &&
	    (tc = tally_servable(slug)) != NULL) {
		if (api_begin(req, API_READ_METHODS, 1))
			api_doc(req, &tc->doc, CT_JSON, "no-cache");
		return (KORE_RESULT_OK);
	}
	return (dbq_handle(req, tallies_prepare, tallies_finish));
}

static int
tallies_prepare(struct http_request *req, struct dbq *q)
{
	const struct resource	*r;
	const char		*field;
	char			 slug[CIVIC_ID_MAX + 1];
	unsigned char		 hash[APIKEY_HASH_LEN];

	if (!api_begin(req, API_READ_METHODS, 1) || api_no_query(req) == -1)
		return (0);

	if ((r = survey_resource(req->path, slug, sizeof(slug))) == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "No survey at %s.",
		    req->path);
		return (0);
	}

	if (tallies_public(r->json)) {
		dbq_param(q, 0, NULL, 0, 1);
	} else {
		/* Vary names Authorization already (api_headers). */
		if (http_request_header(req, "authorization", &field)) {
			if (auth_key_hash(req, hash) == -1)
				return (0);
			dbq_param(q, 0, hash, sizeof(hash), 1);
		} else {
			dbq_param(q, 0, NULL, 0, 1);
		}
	}

	dbq_param(q, 1, slug, 0, 0);
	q->query = "SELECT status, body, location FROM api_tallies($1, $2)";
	return (1);
}

static void
tallies_finish(struct http_request *req, struct dbq *q)
{
	const struct resource	*r;
	json_t			*got, *ids, *doc;
	json_error_t		 jerr;
	struct doc		 out;
	char			 slug[CIVIC_ID_MAX + 1];
	int			 public;

	if (q->result == NULL || PQntuples(q->result) != 1 ||
	    strcmp(PQgetvalue(q->result, 0, 0), "200") != 0) {
		dbq_send_result(req, q);
		return;
	}
	if ((r = survey_resource(req->path, slug, sizeof(slug))) == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "No survey at %s.",
		    req->path);
		return;
	}

	got = json_loads(PQgetvalue(q->result, 0, 1), 0, &jerr);
	ids = content_objective_ids(app_content(), r->json, 0);

	doc = tally_build(r->json, ids, json_object_get(got, "counts"),
	    json_integer_value(json_object_get(got, "total")),
	    json_integer_value(json_object_get(got, "version")),
	    json_string_value(json_object_get(got, "as_of")));

	if (doc == NULL || doc_render(&out, doc) == -1) {
		json_decref(doc);
		json_decref(got);
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return;
	}
	/*
	 * The ETag names the numbers (the version) and what names them (the
	 * published data: the survey, its plan's objectives), not the read
	 * time.
	 */
	(void)snprintf(out.etag, sizeof(out.etag), "\"%08x-%lld-%lld\"",
	    cursor_scope(slug, NULL), (long long)json_integer_value(
	    json_object_get(got, "version")), (long long)(app_content() != NULL ?
	    app_content()->revision : 0));
	json_decref(doc);
	json_decref(got);

	public = tallies_public(r->json);
	api_doc(req, &out, CT_JSON, public ? "no-cache" : "private, no-cache");
	if (public)
		tally_store(slug, &out);
	else
		doc_cleanup(&out);
}

/*
 * Live tallies: GET /v1/surveys/{survey}/tallies.
 *
 * The numbers come from the survey's counters (api_tallies, sql/api/tallies.sql), so a
 * read costs the same however many responses there are.  The ETag is made
 * from the survey and its counters' version, which changes whenever a
 * number changes: a dashboard polling with If-None-Match gets 304 until
 * then.
 *
 * Public tallies are answered from each worker's memory.  The first read
 * of a survey's tallies asks the database and keeps the document; while
 * the survey is read (within TALLY_HOT_MS of its last read), the worker
 * itself refreshes it in the background, TALLY_FRESH_MS after the last
 * refresh began or at once when it stored a response, one query at a time
 * per survey.  No reader waits for the database: a poll every second sees
 * numbers at most TALLY_FRESH_MS and one query old.  When the database is
 * slow to answer, the cached numbers are still served up to TALLY_STALE_MS
 * old; past that, and for a survey no longer read, readers ask the
 * database themselves.
 *
 * Results that are not public go to the database on every read, with the
 * reader's key.  When this worker reloads the published data, the cache
 * is dropped: the results may have stopped being public.
 */

#include <string.h>

#include "api.h"
#include "dbq.h"

#define TALLY_FRESH_MS		250
#define TALLY_HOT_MS		5000	/* refreshed while read this recently */
#define TALLY_STALE_MS		10000	/* never served older */
#define TALLY_TICK_MS		50
#define TALLY_GIVEUP_MS		6000	/* a refresh that never ended */
#define TALLY_CACHE_MAX		16

int	tallies_get(struct http_request *);

static int	tallies_prepare(struct http_request *, struct dbq *);
static void	tallies_finish(struct http_request *, struct dbq *);
static int	tally_render(const struct resource *, const char *,
		    const char *, struct doc *);
static void	tally_tick(void *, u_int64_t);
static void	tally_refreshed(struct kore_pgsql *, void *);

struct tally_cache {
	char			slug[CIVIC_ID_MAX + 1];
	struct doc		doc;
	uint64_t		fetched;	/* 0: nothing to serve */
	uint64_t		read;		/* last served */
	int			touched;	/* a response stored since */
	uint64_t		started;	/* of the refresh */
	struct kore_pgsql	sql;
};

static struct tally_cache	tally_cache[TALLY_CACHE_MAX];
static struct tally_cache	*tally_refreshing;	/* one at a time */
static int			tally_ticking;

/* Forget every cached tally: the published data changed. */
void
tallies_invalidate(void)
{
	size_t	i;

	for (i = 0; i < TALLY_CACHE_MAX; i++)
		tally_cache[i].fetched = 0;
}

/* This worker changed the numbers: refresh them at the next tick. */
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
 * The cached document for slug if it may be served now: fresh, or kept
 * fresh by tally_tick() and not past TALLY_STALE_MS.
 */
static struct tally_cache *
tally_servable(const char *slug)
{
	struct tally_cache	*tc;
	uint64_t		 now, age;
	int			 hot;

	if ((tc = tally_entry(slug)) == NULL || tc->fetched == 0)
		return (NULL);

	now = kore_time_ms();
	age = now - tc->fetched;
	hot = now - tc->read <= TALLY_HOT_MS;
	if ((age <= TALLY_FRESH_MS && !tc->touched) ||
	    (hot && age <= TALLY_STALE_MS)) {
		tc->read = now;
		return (tc);
	}
	return (NULL);
}

/*
 * Keep doc (taken over) as slug's tallies, as they were at when; reader:
 * stored for a request, which counts as a read.
 */
static void
tally_store(const char *slug, struct doc *doc, uint64_t when, int reader)
{
	struct tally_cache	*tc;
	size_t			 i;

	if ((tc = tally_entry(slug)) == NULL) {
		/* A free entry, or the one read longest ago (not busy). */
		tc = NULL;
		for (i = 0; i < TALLY_CACHE_MAX; i++) {
			if (&tally_cache[i] == tally_refreshing)
				continue;
			if (tc == NULL || tally_cache[i].read < tc->read)
				tc = &tally_cache[i];
		}
		if (tc == NULL) {
			doc_cleanup(doc);
			return;
		}
		tc->read = kore_time_ms();
	}
	doc_cleanup(&tc->doc);
	(void)snprintf(tc->slug, sizeof(tc->slug), "%s", slug);
	tc->doc = *doc;
	tc->fetched = when;
	tc->touched = 0;
	if (reader)
		tc->read = kore_time_ms();
	memset(doc, 0, sizeof(*doc));

	if (!tally_ticking) {
		kore_timer_add(tally_tick, TALLY_TICK_MS, NULL, 0);
		tally_ticking = 1;
	}
}

/*
 * Every TALLY_TICK_MS: refresh the surveys being read whose numbers are
 * older than TALLY_FRESH_MS or that this worker changed, without a
 * request, one at a time (with the content watcher, at most the two
 * connections dbq.c leaves to background queries).  A busy pool or a
 * database error means another try at the next tick.  Kore does not call
 * the callback of a query whose connection it dropped (a database
 * restart): a refresh not over after TALLY_GIVEUP_MS is given up.
 */
static void
tally_tick(void *arg, u_int64_t now)
{
	struct tally_cache	*tc;
	size_t			 i;

	(void)arg;

	if ((tc = tally_refreshing) != NULL) {
		if (now - tc->started < TALLY_GIVEUP_MS)
			return;
		kore_pgsql_cleanup(&tc->sql);
		tally_refreshing = NULL;
	}

	for (i = 0; i < TALLY_CACHE_MAX; i++) {
		tc = &tally_cache[i];
		if (tc->doc.body == NULL ||
		    tc->fetched == 0 || now - tc->read > TALLY_HOT_MS)
			continue;
		/* A tick early: served numbers stay within TALLY_FRESH_MS. */
		if (now - tc->fetched + TALLY_TICK_MS < TALLY_FRESH_MS &&
		    !tc->touched)
			continue;

		kore_pgsql_init(&tc->sql);
		kore_pgsql_bind_callback(&tc->sql, tally_refreshed, tc);
		if (!kore_pgsql_setup(&tc->sql, API_DB, KORE_PGSQL_ASYNC) ||
		    !kore_pgsql_query_params(&tc->sql, "SELECT status, body "
		    "FROM api_tallies(NULL, $1)", 0, 1, tc->slug,
		    (int)strlen(tc->slug), 0)) {
			kore_pgsql_cleanup(&tc->sql);
			return;
		}
		tc->touched = 0;
		tc->started = now;
		tally_refreshing = tc;
		return;
	}
}

static void
tally_refreshed(struct kore_pgsql *sql, void *arg)
{
	struct tally_cache	*tc = arg;
	const struct resource	*r;
	struct doc		 out;
	char			 slug[CIVIC_ID_MAX + 1];

	switch (sql->state) {
	case KORE_PGSQL_STATE_WAIT:
		break;
	case KORE_PGSQL_STATE_RESULT:
		/*
		 * Stored only while the survey's results are public (and
		 * the entry still names it: it may have been dropped).
		 */
		(void)snprintf(slug, sizeof(slug), "%s", tc->slug);
		if (tc->fetched != 0 && kore_pgsql_ntuples(sql) == 1 &&
		    !strcmp(kore_pgsql_getvalue(sql, 0, 0), "200") &&
		    (r = survey_by_slug(slug)) != NULL) {
			switch (tally_render(r, slug, kore_pgsql_getvalue(sql,
			    0, 1), &out)) {
			case 1:
				tally_store(slug, &out, tc->started, 0);
				break;
			case 0:
				/* No longer public: not served from here. */
				doc_cleanup(&out);
				tc->fetched = 0;
				break;
			}
		}
		kore_pgsql_continue(sql);
		break;
	case KORE_PGSQL_STATE_ERROR:
		/*
		 * Releases the connection, and calls back once more with
		 * COMPLETE (from inside the cleanup): clean up once.  A broken
		 * connection is reset by the next request that fails on it
		 * (dbq.c).
		 */
		kore_pgsql_cleanup(sql);
		if (tally_refreshing == tc)
			tally_refreshing = NULL;
		break;
	case KORE_PGSQL_STATE_COMPLETE:
		/* Released by Kore (or by the cleanup above): nothing left. */
		if (tally_refreshing == tc)
			tally_refreshing = NULL;
		break;
	default:
		kore_pgsql_continue(sql);
		break;
	}
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
 * Public tallies in this worker's cache are sent from memory, before any
 * per-request state is made: the dashboards' polling path.
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

/*
 * The tallies document of survey r (slug) from api_tallies' body: 1 when
 * made, and the results are public (out may be cached); 0 when made and
 * not public; -1 when memory ran out.
 */
static int
tally_render(const struct resource *r, const char *slug, const char *body,
    struct doc *out)
{
	json_t			*got, *ids, *doc;
	json_error_t		 jerr;

	got = json_loads(body, 0, &jerr);
	ids = content_objective_ids(app_content(), r->json, 0);
	doc = tally_build(r->json, ids, json_object_get(got, "counts"),
	    json_integer_value(json_object_get(got, "total")),
	    json_integer_value(json_object_get(got, "version")),
	    json_string_value(json_object_get(got, "as_of")));
	if (doc == NULL || doc_render(out, doc) == -1) {
		json_decref(doc);
		json_decref(got);
		return (-1);
	}
	/*
	 * The ETag names the numbers (the version) and what names them (the
	 * published data: the survey, its plan's objectives), not the read
	 * time.
	 */
	(void)snprintf(out->etag, sizeof(out->etag), "\"%08x-%lld-%lld\"",
	    cursor_scope(slug, NULL), (long long)json_integer_value(
	    json_object_get(got, "version")), (long long)(app_content() != NULL ?
	    app_content()->revision : 0));
	json_decref(doc);
	json_decref(got);
	return (tallies_public(r->json));
}

static void
tallies_finish(struct http_request *req, struct dbq *q)
{
	const struct resource	*r;
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
	if ((public = tally_render(r, slug, PQgetvalue(q->result, 0, 1),
	    &out)) == -1) {
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return;
	}
	api_doc(req, &out, CT_JSON, public ? "no-cache" : "private, no-cache");
	if (public)
		tally_store(slug, &out, kore_time_ms(), 1);
	else
		doc_cleanup(&out);
}

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
 * refresh began or at once when it stored a response: every survey due
 * in one query, one query at a time however many surveys are read.  No
 * reader waits for the database: a poll every second sees numbers at most
 * TALLY_FRESH_MS and one query old.  When the database is
 * slow to answer, the cached numbers are still served up to TALLY_STALE_MS
 * old; past that, and for a survey no longer read, readers ask the
 * database themselves.
 *
 * With a replica, the refreshes read it while it is fresh (snapshot.c).
 *
 * Results that are not public go to the database on every read, with the
 * reader's key.  When the published data changes (its revision moves on),
 * the cache is dropped: the results may have stopped being public.
 *
 * GET /v1/surveys/{survey}/tallies/stream is let in here as a read of the
 * tallies is (the same visibility, the same key), and handed to stream.c
 * with the document.  While a survey has streams open in a worker, that
 * worker refreshes its tallies as if they were read, every TALLY_FRESH_MS
 * (or at once after it stored a response), and publishes every document
 * to the streams (stream_publish); tallies that only an admin's stream
 * may see are refreshed without a key (api_tallies_streamed) and kept in
 * the cache marked private, never served to a GET.  A refresh that finds
 * the results no longer visible ends the streams of them.
 */

#include <string.h>

#include "api.h"
#include "dbq.h"
#include "obs.h"

#define TALLY_FRESH_MS		250
#define TALLY_HOT_MS		5000	/* refreshed while read this recently */
#define TALLY_STALE_MS		10000	/* never served older */
#define TALLY_TICK_MS		50
#define TALLY_GIVEUP_MS		6000	/* a refresh that never ended */
#define TALLY_CACHE_MAX		16

static int	tallies_prepare(struct http_request *, struct dbq *);
static int	tallies_stream(struct http_request *, const struct route *);
static void	tallies_finish(struct http_request *, struct dbq *);
static int	tally_render(const struct resource *, const char *,
		    const char *, struct doc *);
static void	tally_tick(void *, u_int64_t);
static void	tally_tick_start(void);
static void	tally_refreshed(struct kore_pgsql *, void *);
static void	tally_refreshed_row(struct kore_pgsql *, int);

struct tally_cache {
	char			slug[CIVIC_ID_MAX + 1];
	struct doc		doc;
	uint64_t		fetched;	/* 0: nothing to serve */
	uint64_t		read;		/* last served */
	int			touched;	/* a response stored since */
	int			private;	/* for admins' streams only */
};

/* The refresh's two lists of slugs, separated by '/' (which no slug has). */
struct tally_due {
	struct kore_buf		public;
	struct kore_buf		private;
	uint64_t		now;
};

static struct tally_cache	tally_cache[TALLY_CACHE_MAX];
static int			tally_ticking;
static int64_t			tally_revision;	/* cached from */

/* The refresh in flight: one at a time. */
static struct kore_pgsql	tally_sql;
static int			tally_refreshing;
static uint64_t			tally_started;

/*
 * Forget every cached tally when the published data changed since they
 * were cached (snapshot.c): the results may have stopped being public.
 */
static void
tally_follow(void)
{
	size_t	i;

	if (snapshot_revision() == tally_revision)
		return;
	tally_revision = snapshot_revision();
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

	tally_follow();
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

	if ((tc = tally_entry(slug)) == NULL || tc->fetched == 0 ||
	    tc->private)
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
 * stored for a request, which counts as a read; private: tallies that are
 * not public, for admins' streams.
 */
static void
tally_store(const char *slug, struct doc *doc, uint64_t when, int reader,
    int private)
{
	struct tally_cache	*tc;
	size_t			 i;

	if ((tc = tally_entry(slug)) == NULL) {
		/* A free entry, or the one read longest ago. */
		tc = &tally_cache[0];
		for (i = 1; i < TALLY_CACHE_MAX; i++) {
			if (tally_cache[i].read < tc->read)
				tc = &tally_cache[i];
		}
		tc->read = kore_time_ms();
	}
	doc_cleanup(&tc->doc);
	(void)snprintf(tc->slug, sizeof(tc->slug), "%s", slug);
	tc->doc = *doc;
	tc->fetched = when;
	tc->touched = 0;
	tc->private = private;
	if (reader)
		tc->read = kore_time_ms();
	memset(doc, 0, sizeof(*doc));
	tally_tick_start();
}

/* The background refreshes run from the first tallies kept or streamed. */
static void
tally_tick_start(void)
{
	if (!tally_ticking) {
		kore_timer_add(tally_tick, TALLY_TICK_MS, NULL, 0);
		tally_ticking = 1;
	}
}

/* Append slug to a refresh's list. */
static void
tally_due_add(struct kore_buf *list, const char *slug)
{
	if (list->offset > 0)
		kore_buf_append(list, "/", 1);
	kore_buf_append(list, slug, strlen(slug));
}

/*
 * A survey with streams open (stream_each): its cache entry is kept hot
 * as a read would; a survey whose tallies are not cached (or not for
 * these streams) is due now.
 */
static void
tally_streamed(const char *slug, int private, void *arg)
{
	struct tally_due	*due = arg;
	struct tally_cache	*tc;

	if ((tc = tally_entry(slug)) != NULL && tc->fetched != 0 &&
	    (private || !tc->private)) {
		tc->read = due->now;
		return;
	}
	tally_due_add(private ? &due->private : &due->public, slug);
}

/*
 * Every TALLY_TICK_MS: refresh the surveys being read (or streamed) whose
 * numbers are older than TALLY_FRESH_MS or that this worker changed,
 * without a request, all of them in one query (with the content watcher,
 * at most the two connections dbq.c leaves to background queries): a
 * query per survey, one per tick, would keep only a few of them fresh.  A
 * busy pool or a database error means another try at the next tick.  Kore
 * does not call the callback of a query whose connection it dropped (the
 * database went away under it): such a refresh is over, and one not over
 * after TALLY_GIVEUP_MS is given up.
 */
static void
tally_tick(void *arg, u_int64_t now)
{
	struct tally_cache	*tc;
	struct tally_due	 due;
	const char		*pub, *priv;
	size_t			 i, publen, privlen;

	(void)arg;

	if (tally_refreshing) {
		if (tally_sql.conn != NULL &&
		    now - tally_started < TALLY_GIVEUP_MS)
			return;
		dbq_cleanup(&tally_sql);
		tally_refreshing = 0;
	}
	tally_follow();

	kore_buf_init(&due.public, 256);
	kore_buf_init(&due.private, 64);
	due.now = now;
	stream_each(tally_streamed, &due);

	for (i = 0; i < TALLY_CACHE_MAX; i++) {
		tc = &tally_cache[i];
		if (tc->doc.body == NULL ||
		    tc->fetched == 0 || now - tc->read > TALLY_HOT_MS)
			continue;
		/* A tick early: served numbers stay within TALLY_FRESH_MS. */
		if (now - tc->fetched + TALLY_TICK_MS < TALLY_FRESH_MS &&
		    !tc->touched)
			continue;
		tally_due_add(tc->private ? &due.private : &due.public,
		    tc->slug);
	}
	if (due.public.offset == 0 && due.private.offset == 0) {
		kore_buf_cleanup(&due.public);
		kore_buf_cleanup(&due.private);
		return;
	}

	/* A text parameter is read up to its NUL, whatever its length. */
	pub = kore_buf_stringify(&due.public, &publen);
	priv = kore_buf_stringify(&due.private, &privlen);

	kore_pgsql_init(&tally_sql);
	kore_pgsql_bind_callback(&tally_sql, tally_refreshed, NULL);
	if (!kore_pgsql_setup(&tally_sql, snapshot_read_db(),
	    KORE_PGSQL_ASYNC) ||
	    dbq_conn_check(&tally_sql) == -1 ||
	    !kore_pgsql_query_params(&tally_sql, "SELECT s.slug, t.status, "
	    "t.body, false FROM unnest(string_to_array($1, '/')) AS s (slug) "
	    "CROSS JOIN LATERAL api_tallies(NULL, s.slug) AS t "
	    "UNION ALL SELECT s.slug, t.status, t.body, true "
	    "FROM unnest(string_to_array($2, '/')) AS s (slug) "
	    "CROSS JOIN LATERAL api_tallies_streamed(s.slug) AS t", 0, 2,
	    pub, (int)publen, 0, priv, (int)privlen, 0)) {
		dbq_cleanup(&tally_sql);
		kore_buf_cleanup(&due.public);
		kore_buf_cleanup(&due.private);
		return;
	}
	kore_buf_cleanup(&due.public);
	kore_buf_cleanup(&due.private);

	/*
	 * Every survey read lately is in the query or had nothing new: what
	 * a response stores from now on is for the next refresh.
	 */
	for (i = 0; i < TALLY_CACHE_MAX; i++) {
		tc = &tally_cache[i];
		if (tc->doc.body != NULL && tc->fetched != 0 &&
		    now - tc->read <= TALLY_HOT_MS)
			tc->touched = 0;
	}
	tally_started = now;
	tally_refreshing = 1;
}

/*
 * Store each survey's new numbers, and publish them to its streams.  Public
 * ones are cached while the results are public; numbers the database no
 * longer shows without a key are not served from here any more, nor
 * streamed without one.  Private ones (for admins' streams) are cached
 * marked so.  A survey gone ends its streams.
 */
static void
tally_refreshed_row(struct kore_pgsql *sql, int row)
{
	struct tally_cache	*tc;
	const struct resource	*r;
	struct doc		 out;
	char			 slug[CIVIC_ID_MAX + 1];
	int			 private;

	(void)snprintf(slug, sizeof(slug), "%s",
	    kore_pgsql_getvalue(sql, row, 0));
	private = !strcmp(kore_pgsql_getvalue(sql, row, 3), "t");
	tc = tally_entry(slug);
	if (strcmp(kore_pgsql_getvalue(sql, row, 1), "200") != 0 ||
	    (r = snapshot_survey(slug)) == NULL) {
		if (tc != NULL)
			tc->fetched = 0;
		stream_end(slug, private);
		return;
	}
	switch (tally_render(r, slug, kore_pgsql_getvalue(sql, row, 2),
	    &out)) {
	case 1:
		/* Public now, whoever asked. */
		stream_publish(slug, 0, &out);
		tally_store(slug, &out, tally_started, 0, 0);
		metrics_tally(METRICS_TALLY_REFRESH);
		break;
	case 0:
		if (private) {
			stream_publish(slug, 1, &out);
			tally_store(slug, &out, tally_started, 0, 1);
			break;
		}
		/* No longer public: not served nor streamed from here. */
		doc_cleanup(&out);
		if ((tc = tally_entry(slug)) != NULL)
			tc->fetched = 0;
		stream_end(slug, 0);
		break;
	}
}

static void
tally_refreshed(struct kore_pgsql *sql, void *arg)
{
	int	row, rows;

	(void)arg;

	switch (sql->state) {
	case KORE_PGSQL_STATE_WAIT:
		break;
	case KORE_PGSQL_STATE_RESULT:
		rows = kore_pgsql_ntuples(sql);
		for (row = 0; row < rows; row++)
			tally_refreshed_row(sql, row);
		kore_pgsql_continue(sql);
		break;
	case KORE_PGSQL_STATE_ERROR:
		/*
		 * Releases the connection, and calls back once more with
		 * COMPLETE (from inside the cleanup): clean up once.  A broken
		 * connection is reconnected by the next query that takes it
		 * (dbq_conn_check).
		 */
		dbq_cleanup(sql);
		tally_refreshing = 0;
		break;
	case KORE_PGSQL_STATE_COMPLETE:
		/* Released by Kore (or by the cleanup above): nothing left. */
		tally_refreshing = 0;
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

/* The survey of the tallies at route, or NULL; its slug in *slug. */
static const struct resource *
tallies_survey(const struct route *route, const char **slug)
{
	if ((*slug = request_slug(route, "survey")) == NULL)
		return (NULL);
	return (snapshot_survey(*slug));
}

/*
 * A stream of public tallies opens without the database: with the cached
 * document as its first event, or with none until the next refresh (the
 * streamed survey is due at once), so that a thousand dashboards opening
 * at once (a restart) cost one query, not a thousand.  A stream of
 * tallies that are not public goes to the database with its key, as a
 * read of them does.
 */
static int
tallies_stream(struct http_request *req, const struct route *route)
{
	struct tally_cache	*tc;
	const struct resource	*r;
	const char		*slug;

	if (!stream_admit(req) || api_no_query(req) == -1)
		return (KORE_RESULT_OK);
	if ((r = tallies_survey(route, &slug)) == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "No survey at %s.",
		    req->path);
		return (KORE_RESULT_OK);
	}
	if (!tallies_public(r->json))
		return (dbq_handle(req, route, tallies_prepare,
		    tallies_finish));
	tc = tally_servable(slug);
	stream_open(req, slug, 0, tc != NULL ? &tc->doc : NULL);
	tally_tick_start();
	return (KORE_RESULT_OK);
}

/*
 * Public tallies in this worker's cache are sent from memory, before any
 * per-request state is made: the dashboards' polling path.
 */
int
tallies_serve(struct http_request *req, const struct route *route)
{
	struct tally_cache	*tc;
	const char		*slug;
	int			 stream;

	stream = route->kind == ROUTE_TALLIES_STREAM;
	if (stream)
		return (tallies_stream(req, route));
	if ((req->query_string == NULL || *req->query_string == '\0') &&
	    (slug = request_slug(route, "survey")) != NULL &&
	    (tc = tally_servable(slug)) != NULL) {
		metrics_tally(METRICS_TALLY_HIT);
		api_doc(req, &tc->doc, CT_JSON, "no-cache");
		return (KORE_RESULT_OK);
	}
	metrics_tally(METRICS_TALLY_MISS);
	return (dbq_handle(req, route, tallies_prepare, tallies_finish));
}

static int
tallies_prepare(struct http_request *req, struct dbq *q)
{
	const struct resource	*r;
	const char		*field, *slug;
	unsigned char		 hash[APIKEY_HASH_LEN];

	if (api_no_query(req) == -1)
		return (0);

	if ((r = tallies_survey(&q->route, &slug)) == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "No survey at %s.",
		    req->path);
		return (0);
	}

	if (tallies_public(r->json)) {
		dbq_param(q, 0, NULL, 0, 1);
	} else {
		/* Vary names Authorization already (api_headers). */
		if (http_request_header(req, "authorization", &field)) {
			if (request_key_hash(req, hash) == -1)
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
	ids = content_objective_ids(snapshot_get(), r->json, 0);
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
	    json_object_get(got, "version")), (long long)snapshot_revision());
	json_decref(doc);
	json_decref(got);
	return (tallies_public(r->json));
}

static void
tallies_finish(struct http_request *req, struct dbq *q)
{
	const struct resource	*r;
	struct doc		 out;
	const char		*slug;
	int			 public;

	if (q->result == NULL || PQntuples(q->result) != 1 ||
	    strcmp(PQgetvalue(q->result, 0, 0), "200") != 0) {
		reply_result(req, q);
		return;
	}
	if ((r = tallies_survey(&q->route, &slug)) == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "No survey at %s.",
		    req->path);
		return;
	}
	if ((public = tally_render(r, slug, PQgetvalue(q->result, 0, 1),
	    &out)) == -1) {
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return;
	}
	if (q->route.kind == ROUTE_TALLIES_STREAM)
		stream_open(req, slug, !public, &out);
	else
		api_doc(req, &out, CT_JSON,
		    public ? "no-cache" : "private, no-cache");
	if (public)
		tally_store(slug, &out, kore_time_ms(), 1, 0);
	else
		doc_cleanup(&out);
}

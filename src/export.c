/*
 * A survey's responses in one download: GET
 * /v1/surveys/{survey}/responses/export (admin).  CSV by default, with the
 * columns and the formula-cell neutralising of the paged CSV (csv.c), or
 * NDJSON (application/x-ndjson: one response a line, as the paged JSON
 * shows it) when Accept asks for it.  The counted responses, and the voided
 * ones too with include_voided=true.
 *
 * One snapshot: the rows come from one cursor inside a REPEATABLE READ
 * transaction (api_responses_export_open, sql/api/responses.sql), so a
 * response stored or voided meanwhile is either wholly in or not, and never
 * twice.
 *
 * Constant memory: the cursor is FETCHed EXPORT_BATCH rows at a time; each
 * batch is rendered and queued on the connection as one chunk (chunked
 * transfer encoding), and the next batch is fetched only once the client
 * has read everything queued (a marker at the end of the send queue says
 * when).  A client that reads slowly slows its export down; one that reads
 * nothing for http_keepalive_time is cut (EXPORT_TICK_MS checks).
 * Meanwhile the request sleeps and the worker serves the others.
 *
 * A complete export ends with the last chunk (0 CRLF CRLF).  An export that
 * fails once its 200 is sent (the database, a client that stopped reading)
 * is cut: the connection is closed without the last chunk, which an HTTP
 * client reports as an incomplete body.  HTTP/1.0 has no chunks: there the
 * body ends when the connection closes, and a cut cannot be told from the
 * end.
 *
 * The database work is a few round trips on one pooled connection, held
 * from the first to the last: the check (the key, the survey: 401, 403,
 * 404), BEGIN, the cursor, FETCH while there are rows, COMMIT.  Kore's
 * pgsql layer gives a request's connection back to the pool at the end of
 * each query; here each query is driven to its end (export_query) without
 * that, and the connection goes back (rolled back if a transaction is left
 * open) when the export ends, however it ends (export_release).  It takes
 * one of the worker's query slots (dbq.c) for as long.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dbq.h"

/* Rows per FETCH: what one batch holds in memory, about 200 KB. */
#define EXPORT_BATCH		500
#define EXPORT_BATCH_TEXT	"500"

/* How often an export waiting for its client checks that it reads. */
#define EXPORT_TICK_MS		1000

/*
 * Exports a worker runs at once: each holds one of the worker's query slots
 * (dbq.c) as long as it runs, and the others must keep most of them.
 */
#define EXPORT_RUNNING_MAX	2

/* A client that reads nothing this long is cut (without keep-alive). */
#define EXPORT_STALL_DEFAULT_S	30

#define CT_CSV			"text/csv; charset=utf-8"
#define CT_NDJSON		"application/x-ndjson"

enum export_step {
	EXPORT_ADMIT,		/* a query slot of the worker */
	EXPORT_SETUP,		/* a pooled connection; the check sent */
	EXPORT_CHECK,		/* the key and the survey */
	EXPORT_BEGIN,
	EXPORT_OPEN,		/* the cursor */
	EXPORT_FETCH,		/* a batch */
	EXPORT_DRAIN,		/* the client reads the batch */
	EXPORT_COMMIT,
};

/* The query driven to its end: still running, ended, or failed. */
#define EXPORT_Q_WAIT		0
#define EXPORT_Q_DONE		1
#define EXPORT_Q_ERROR		2

struct export {
	struct dbq		 q;		/* first: dbq_resume() reads it */
	enum export_step	 step;
	int			 ndjson;
	int			 last;		/* the cursor gave its last rows */
	int			 head_sent;	/* the 200 is queued */
	int			 chunked;	/* HTTP/1.1 */
	int			 close;		/* close once the body is sent */
	u_int64_t		 rows;
	size_t			 bytes;		/* of the body, queued */
	json_t			*survey;	/* a reference of our own */
	json_t			*objectives;	/* the same */
	struct netbuf		*marker;	/* queued after a batch, unsent */
	struct kore_timer	*timer;
	u_int64_t		 progress_at;	/* when output last moved */
	size_t			 unsent;	/* what was queued then */
};

static int	export_resume(struct http_request *);
static int	export_step(struct http_request *, struct export *);
static int	export_query(struct export *);
static int	export_send(struct export *, const char *, int, int);
static int	export_checked(struct http_request *, struct export *);
static int	export_batch(struct http_request *, struct export *);
static char	*export_render(struct export *, PGresult *, size_t *);
static void	export_head(struct http_request *, struct export *);
static void	export_chunk(struct export *, struct connection *,
		    const void *, size_t);
static int	export_end(struct http_request *, struct export *);
static int	export_fail(struct http_request *, struct export *,
		    const char *);
static void	export_release(struct export *);
static int	export_drained(struct netbuf *);
static void	export_tick(void *, u_int64_t);
static void	export_free(struct http_request *);

static const char *const export_params[] = { "include_voided", NULL };

static u_int32_t	export_running;		/* this worker's exports */

/*
 * Which media type the client takes: 0 CSV (also without Accept, or when
 * it takes both alike), 1 NDJSON, -1 neither (406 answered).
 */
static int
export_media(struct http_request *req)
{
	const char	*accept;
	double		 csv, ndjson;

	if (!http_request_header(req, "accept", &accept))
		return (0);
	csv = accept_weight(accept, "text/csv");
	ndjson = accept_weight(accept, CT_NDJSON);
	if (csv <= 0.0 && ndjson <= 0.0) {
		api_error(req, PROBLEM_NOT_ACCEPTABLE, "An export is "
		    "available as text/csv or application/x-ndjson.");
		return (-1);
	}
	return (ndjson > csv);
}

/* include_voided: 1 or 0, or -1 with p filled when it is malformed. */
static int
export_voided(struct http_request *req, struct problem *p)
{
	struct query	 qs;
	const char	*v;
	int		 rc;

	if (query_parse(&qs, req->query_string, p) == -1 ||
	    query_only(&qs, export_params, p) == -1) {
		query_cleanup(&qs);
		return (-1);
	}
	rc = 0;
	if ((v = query_get(&qs, "include_voided")) != NULL) {
		if (!strcmp(v, "true"))
			rc = 1;
		else if (strcmp(v, "false")) {
			problem_param(p, "include_voided", "'include_voided' "
			    "is true (the voided responses too) or false (the "
			    "counted ones only, the default).");
			rc = -1;
		}
	}
	query_cleanup(&qs);
	return (rc);
}

int
export_serve(struct http_request *req, const struct route *r)
{
	struct export	*ex;
	struct problem	 p;
	const char	*slug;
	unsigned char	 hash[APIKEY_HASH_LEN];
	int		 ndjson, voided;

	if ((ndjson = export_media(req)) == -1)
		return (KORE_RESULT_OK);
	if (request_key_hash(req, hash) == -1)
		return (KORE_RESULT_OK);
	if ((slug = request_slug(r, "survey")) == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "Nothing is served at %s.",
		    req->path);
		return (KORE_RESULT_OK);
	}
	if ((voided = export_voided(req, &p)) == -1) {
		api_problem(req, &p);
		return (KORE_RESULT_OK);
	}

	if (export_running >= EXPORT_RUNNING_MAX) {
		api_error(req, PROBLEM_UNAVAILABLE, "Too many exports are "
		    "running; retry shortly.");
		return (KORE_RESULT_OK);
	}

	ex = http_state_create(req, sizeof(*ex), export_free);
	export_running++;
	ex->q.req = req;
	ex->q.route = *r;
	ex->q.resume = export_resume;
	ex->q.log = *reqlog_current();
	kore_pgsql_init(&ex->q.sql);
	kore_pgsql_bind_request(&ex->q.sql, req);
	dbq_param(&ex->q, 0, hash, sizeof(hash), 1);
	dbq_param(&ex->q, 1, slug, 0, 0);
	dbq_param(&ex->q, 2, voided ? "true" : "false", 0, 0);
	ex->ndjson = ndjson;
	ex->chunked = !(req->flags & HTTP_VERSION_1_0);
	ex->progress_at = kore_time_ms();
	ex->timer = kore_timer_add(export_tick, EXPORT_TICK_MS, ex, 0);
	ex->step = EXPORT_ADMIT;
	return (export_resume(req));
}

/* Kore calls the router again whenever the request wakes: on from here. */
static int
export_resume(struct http_request *req)
{
	return (export_step(req, http_state_get(req)));
}

static int
export_step(struct http_request *req, struct export *ex)
{
	struct kore_pgsql	*sql = &ex->q.sql;
	int			 r;

	for (;;) {
		switch (ex->step) {
		case EXPORT_ADMIT:
			if ((r = dbq_acquire(&ex->q)) == 0)
				return (KORE_RESULT_RETRY);
			if (r == -1)
				return (KORE_RESULT_OK);
			ex->step = EXPORT_SETUP;
			break;
		case EXPORT_SETUP:
			if (!kore_pgsql_setup(sql, API_DB, KORE_PGSQL_ASYNC)) {
				/* Queued by Kore: woken with a connection. */
				if (sql->state == KORE_PGSQL_STATE_INIT)
					return (KORE_RESULT_RETRY);
				return (export_fail(req, ex, "no connection"));
			}
			if (dbq_conn_check(sql) == -1)
				return (export_fail(req, ex, "unreachable"));
			ex->step = EXPORT_CHECK;
			if (!export_send(ex, "SELECT status, body, location FROM "
			    "api_responses_export_check($1, $2)", 0, 2))
				return (export_fail(req, ex, "check"));
			return (KORE_RESULT_RETRY);
		case EXPORT_DRAIN:
			if (ex->marker != NULL) {
				http_request_sleep(req);
				return (KORE_RESULT_RETRY);
			}
			if (ex->last) {
				ex->step = EXPORT_COMMIT;
				if (!export_send(ex, "COMMIT", 0, 0))
					return (export_fail(req, ex, "commit"));
			} else {
				ex->step = EXPORT_FETCH;
				if (!export_send(ex, "FETCH " EXPORT_BATCH_TEXT
				    " FROM responses_export", 0, 0))
					return (export_fail(req, ex, "fetch"));
			}
			return (KORE_RESULT_RETRY);
		default:
			/* A query runs: on once it has ended. */
			switch (export_query(ex)) {
			case EXPORT_Q_WAIT:
				http_request_sleep(req);
				return (KORE_RESULT_RETRY);
			case EXPORT_Q_ERROR:
				return (export_fail(req, ex, "query"));
			}
			switch (ex->step) {
			case EXPORT_CHECK:
				return (export_checked(req, ex));
			case EXPORT_BEGIN:
				ex->step = EXPORT_OPEN;
				if (!export_send(ex, "SELECT "
				    "api_responses_export_open($1, $2::boolean)",
				    1, 2))
					return (export_fail(req, ex, "open"));
				return (KORE_RESULT_RETRY);
			case EXPORT_OPEN:
				ex->step = EXPORT_FETCH;
				if (!export_send(ex, "FETCH " EXPORT_BATCH_TEXT
				    " FROM responses_export", 0, 0))
					return (export_fail(req, ex, "fetch"));
				return (KORE_RESULT_RETRY);
			case EXPORT_FETCH:
				if (export_batch(req, ex) == -1)
					return (export_fail(req, ex, "batch"));
				ex->step = EXPORT_DRAIN;
				break;
			case EXPORT_COMMIT:
				return (export_end(req, ex));
			default:
				fatal("export: step %d", ex->step);
			}
			break;
		}
	}
}

/*
 * Drive the running query on to its end.  A result with rows is kept in
 * ex->q.result; a command's (BEGIN, COMMIT) is dropped.  Kore's layer would
 * hand the connection back to the pool at the end of the query
 * (kore_pgsql_continue in its DONE state): it is kept, for the next.
 */
static int
export_query(struct export *ex)
{
	struct kore_pgsql	*sql = &ex->q.sql;

	for (;;) {
		if (sql->conn == NULL)
			return (EXPORT_Q_ERROR);
		switch (sql->state) {
		case KORE_PGSQL_STATE_WAIT:
			return (EXPORT_Q_WAIT);
		case KORE_PGSQL_STATE_RESULT:
			if (ex->q.result != NULL)
				PQclear(ex->q.result);
			ex->q.result = sql->result;
			sql->result = NULL;
			/* What follows the rows: the end of the query. */
			kore_pgsql_handle(sql->conn, 0);
			break;
		case KORE_PGSQL_STATE_DONE:
			if (sql->result == NULL)
				return (EXPORT_Q_DONE);
			/* A command completed; its end follows. */
			PQclear(sql->result);
			sql->result = NULL;
			kore_pgsql_handle(sql->conn, 0);
			break;
		default:
			return (EXPORT_Q_ERROR);
		}
	}
}

/*
 * Send query with nparams of the request's parameters from the first-th:
 * returns 1, or 0 when the connection is gone.  The request sleeps until
 * PostgreSQL answers.
 */
static int
export_send(struct export *ex, const char *query, int first, int nparams)
{
	struct kore_pgsql	*sql = &ex->q.sql;

	if (sql->conn == NULL || sql->state == KORE_PGSQL_STATE_ERROR)
		return (0);
	if (ex->q.result != NULL) {
		PQclear(ex->q.result);
		ex->q.result = NULL;
	}
	return (kore_pgsql_query_param_fields(sql, query, 0, nparams,
	    nparams > 0 ? &ex->q.values[first] : NULL,
	    nparams > 0 ? &ex->q.lengths[first] : NULL,
	    nparams > 0 ? &ex->q.formats[first] : NULL));
}

/*
 * The check answered: a problem (401, 403, 404) is sent as the database
 * wrote it; otherwise the export starts (HEAD: its head only).
 */
static int
export_checked(struct http_request *req, struct export *ex)
{
	const struct resource	*survey;
	json_t			*objectives;
	const char		*slug;

	if (ex->q.result == NULL || PQntuples(ex->q.result) != 1 ||
	    strcmp(PQgetvalue(ex->q.result, 0, 0), "200") != 0) {
		export_release(ex);
		reply_result(req, &ex->q);
		return (KORE_RESULT_OK);
	}

	/* CSV's columns: the survey's questions as published. */
	slug = route_param(&ex->q.route, "survey");
	if ((survey = snapshot_survey(slug)) == NULL) {
		export_release(ex);
		api_error(req, PROBLEM_NOT_FOUND, "No survey '%s'.", slug);
		return (KORE_RESULT_OK);
	}
	objectives = content_objective_ids(snapshot_get(), survey->json, 0);
	ex->survey = json_incref(survey->json);
	ex->objectives = objectives != NULL ? json_incref(objectives) :
	    json_array();

	if (req->method == HTTP_METHOD_HEAD) {
		export_release(ex);
		export_head(req, ex);
		return (export_end(req, ex));
	}

	ex->step = EXPORT_BEGIN;
	if (!export_send(ex, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, 0))
		return (export_fail(req, ex, "begin"));
	return (KORE_RESULT_RETRY);
}

/*
 * A batch FETCHed: render it and queue it (after the 200 for the first),
 * then the marker that says when the client has read it all.  Returns 0,
 * or -1 when it cannot be rendered or sent.
 */
static int
export_batch(struct http_request *req, struct export *ex)
{
	struct connection	*c = req->owner;
	char			*out;
	size_t			 len;
	int			 n;

	if (c == NULL || ex->q.result == NULL)
		return (-1);
	n = PQntuples(ex->q.result);
	ex->last = n < EXPORT_BATCH;

	if (!ex->head_sent)
		export_head(req, ex);
	if (n > 0) {
		if ((out = export_render(ex, ex->q.result, &len)) == NULL)
			return (-1);
		export_chunk(ex, c, out, len);
		free(out);
		ex->rows += (u_int64_t)n;
	}
	PQclear(ex->q.result);
	ex->q.result = NULL;

	net_send_stream(c, NULL, 0, export_drained, &ex->marker);
	ex->marker->extra = ex;
	if (!net_send_flush(c))
		return (-1);
	return (0);
}

/*
 * The rows of res (each a response as the API shows it, JSON text) as
 * NDJSON lines or CSV rows: a new string (free() it), or NULL.
 */
static char *
export_render(struct export *ex, PGresult *res, size_t *len)
{
	json_t		*items, *j;
	json_error_t	 jerr;
	char		*line, *out, *tmp;
	size_t		 cap, n;
	int		 i, rows;

	rows = PQntuples(res);
	items = json_array();
	for (i = 0; i < rows; i++) {
		if ((j = json_loads(PQgetvalue(res, i, 0), 0, &jerr)) == NULL ||
		    json_array_append_new(items, j) == -1) {
			json_decref(items);
			return (NULL);
		}
	}
	if (!ex->ndjson) {
		out = csv_responses_rows(items, ex->survey, ex->objectives, 0,
		    len);
		json_decref(items);
		return (out);
	}

	/* One compact object a line, as the paged JSON shows each item. */
	out = NULL;
	*len = cap = 0;
	json_array_foreach(items, n, j) {
		if ((line = json_dumps(j, JSON_COMPACT)) == NULL)
			goto fail;
		while (*len + strlen(line) + 2 > cap) {
			cap = cap ? cap * 2 : 64 * 1024;
			if ((tmp = realloc(out, cap)) == NULL) {
				free(line);
				goto fail;
			}
			out = tmp;
		}
		memcpy(out + *len, line, strlen(line));
		*len += strlen(line);
		out[(*len)++] = '\n';
		free(line);
	}
	json_decref(items);
	return (out);

fail:
	free(out);
	json_decref(items);
	return (NULL);
}

/*
 * Queue the 200's head, and CSV's header line.  The body has no length:
 * chunks (HTTP/1.1), or the connection's close (HTTP/1.0).  The connection
 * reads nothing more until the export ends (conn.c).
 */
static void
export_head(struct http_request *req, struct export *ex)
{
	struct connection	*c = req->owner;
	json_t			*none;
	char			 disp[CIVIC_PATH_MAX], *out;
	size_t			 len;

	(void)snprintf(disp, sizeof(disp), "attachment; filename=\"%s-"
	    "responses.%s\"", route_param(&ex->q.route, "survey"),
	    ex->ndjson ? "ndjson" : "csv");
	http_response_header(req, "content-type",
	    ex->ndjson ? CT_NDJSON : CT_CSV);
	http_response_header(req, "content-disposition", disp);
	http_response_header(req, "cache-control", "private, no-store");
	if (ex->chunked)
		http_response_header(req, "transfer-encoding", "chunked");
	req->flags |= HTTP_REQUEST_NO_CONTENT_LENGTH;

	conn_response_begin(req);
	http_response(req, HTTP_STATUS_OK, NULL, 0);
	ex->head_sent = 1;
	if (c == NULL)
		return;

	/*
	 * Kore marks a connection to close after this answer (HTTP/1.0, or
	 * Connection: close) so that it closes as soon as its send queue is
	 * empty: between two batches.  It closes once the body is queued.
	 */
	ex->close = (c->flags & CONN_CLOSE_EMPTY) != 0;
	c->flags &= ~CONN_CLOSE_EMPTY;

	if (!ex->ndjson && req->method != HTTP_METHOD_HEAD) {
		none = json_array();
		out = csv_responses_rows(none, ex->survey, ex->objectives, 1,
		    &len);
		json_decref(none);
		if (out != NULL)
			export_chunk(ex, c, out, len);
		free(out);
	}
}

/* Queue len bytes of the body on c, as one chunk when chunked. */
static void
export_chunk(struct export *ex, struct connection *c, const void *data,
    size_t len)
{
	char	size[32];
	int	n;

	if (len == 0)
		return;
	ex->bytes += len;
	if (ex->chunked) {
		n = snprintf(size, sizeof(size), "%zx\r\n", len);
		net_send_queue(c, size, (size_t)n);
	}
	net_send_queue(c, data, len);
	if (ex->chunked)
		net_send_queue(c, "\r\n", 2);
}

/* The export is whole: the last chunk, and the connection reads on. */
static int
export_end(struct http_request *req, struct export *ex)
{
	struct connection	*c = req->owner;

	export_release(ex);
	if (c == NULL)
		return (KORE_RESULT_OK);
	if (ex->chunked && req->method != HTTP_METHOD_HEAD)
		net_send_queue(c, "0\r\n\r\n", 5);
	if (ex->close)
		c->flags |= CONN_CLOSE_EMPTY;
	conn_response_end(req);
	return (KORE_RESULT_OK);
}

/*
 * The export failed (what: the step, for the log).  Before its 200: a
 * problem (503 when the database cannot be reached, else 500).  After: the
 * connection is closed without the last chunk, so the client sees a cut.
 */
static int
export_fail(struct http_request *req, struct export *ex, const char *what)
{
	struct kore_pgsql	*sql = &ex->q.sql;
	int			 stale;

	stale = sql->conn == NULL || PQstatus(sql->conn->db) == CONNECTION_BAD;
	if (sql->error != NULL)
		kore_pgsql_logerror(sql);
	export_release(ex);

	if (ex->head_sent) {
		kore_log(LOG_NOTICE, "%s %s: export cut after %llu rows (%s)",
		    api_request_id(req), req->path,
		    (unsigned long long)ex->rows, what);
		return (KORE_RESULT_ERROR);
	}
	if (stale)
		api_error(req, PROBLEM_UNAVAILABLE, "The database is not "
		    "reachable.");
	else
		api_error(req, PROBLEM_INTERNAL, "The export failed; it has "
		    "been logged as %s.", api_request_id(req));
	return (KORE_RESULT_OK);
}

/*
 * Give the connection back to the pool, and the worker's query slot.  A
 * transaction left open (an export cut midway) is rolled back first: Kore
 * would hand it on as it is.
 */
static void
export_release(struct export *ex)
{
	PGconn			*db;
	PGTransactionStatusType	 ts;

	db = ex->q.sql.conn != NULL ? ex->q.sql.conn->db : NULL;
	/*
	 * A connection the server closed (libpq closed its socket too, and
	 * epoll forgot it): Kore would take the socket out of epoll, and a
	 * failure there is fatal.  The next user reconnects it (dbq.c).
	 */
	if (db != NULL && PQsocket(db) == -1)
		ex->q.sql.flags &= ~KORE_PGSQL_SCHEDULED;
	dbq_cleanup(&ex->q.sql);
	kore_pgsql_init(&ex->q.sql);
	if (db != NULL) {
		ts = PQtransactionStatus(db);
		if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
			PQclear(PQexec(db, "ROLLBACK"));
	}
	dbq_leave(&ex->q);
}

/* The marker after a batch: the client has read everything before it. */
static int
export_drained(struct netbuf *nb)
{
	struct export	*ex = nb->extra;

	if (ex == NULL)
		return (KORE_RESULT_OK);
	ex->marker = NULL;
	ex->unsent = 0;
	ex->progress_at = kore_time_ms();
	if (ex->q.req != NULL)
		http_request_wakeup(ex->q.req);
	return (KORE_RESULT_OK);
}

/*
 * Every EXPORT_TICK_MS: while an export waits for its client to read, the
 * client must read something at least every http_keepalive_time, or it is
 * cut (Kore's own idle timer does not run while a request is open).
 */
static void
export_tick(void *arg, u_int64_t now)
{
	struct export		*ex = arg;
	struct connection	*c = ex->q.req->owner;
	u_int64_t		 stall;
	size_t			 unsent;

	if (c == NULL || ex->step != EXPORT_DRAIN || ex->marker == NULL) {
		ex->progress_at = now;
		return;
	}
	unsent = conn_queued(c);
	if (unsent != ex->unsent) {
		ex->unsent = unsent;
		ex->progress_at = now;
		return;
	}
	stall = (http_keepalive_time != 0 ? http_keepalive_time :
	    EXPORT_STALL_DEFAULT_S) * 1000ULL;
	if (now - ex->progress_at < stall)
		return;
	kore_log(LOG_NOTICE, "%s %s: export cut after %llu rows: the client "
	    "read nothing for %llu s", api_request_id(ex->q.req),
	    ex->q.req->path, (unsigned long long)ex->rows,
	    (unsigned long long)(stall / 1000));
	ex->progress_at = now;
	kore_connection_disconnect(c);
}

/* Kore's onfree: whatever the export still holds. */
static void
export_free(struct http_request *req)
{
	struct export	*ex = http_state_get(req);

	if (ex == NULL)
		return;
	/*
	 * A 200 went out: its log line and metrics now, with what was queued
	 * (cut or whole); any answer before it was logged as it was sent.
	 */
	if (ex->head_sent) {
		reqlog_resume(&ex->q.log);
		reqlog_done(req, api_request_id(req), HTTP_STATUS_OK,
		    ex->bytes);
	}
	export_running--;
	if (ex->timer != NULL)
		kore_timer_remove(ex->timer);
	ex->timer = NULL;
	if (ex->marker != NULL)
		ex->marker->extra = NULL;
	ex->marker = NULL;
	export_release(ex);
	if (ex->survey != NULL)
		json_decref(ex->survey);
	if (ex->objectives != NULL)
		json_decref(ex->objectives);
	dbq_free(req);
}

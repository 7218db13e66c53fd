/*
 * Progress on the plan (sql/api/progress.sql): indicators, initiatives,
 * the roll-up and the status rules.  As they stand now they are published
 * documents like the plan's, served from memory with their ETag (plans.c,
 * resource.c); ?as_of= asks the database for the same documents as they
 * stood at another moment, which it can show exactly because nothing there
 * is ever overwritten.  Writes are plans.c's table of SQL functions.
 *
 * Here too: the observations in force as CSV, the plan's export (JSON, or
 * StratML Part 2 XML), and the import of a CSV file of observations, with
 * a dry run.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/sha.h>

#include "api.h"
#include "dbq.h"

#define AS_OF_LEN	48

#define CT_CSV		"text/csv; charset=utf-8"
#define CT_XML		"application/xml"

static const char *const as_of_params[] = { "as_of", NULL };
static const char *const export_params[] = { "as_of", "format", NULL };
static const char *const import_params[] = { "dry_run", NULL };

static int	progress_read_prepare(struct http_request *, struct dbq *);
static void	progress_read_finish(struct http_request *, struct dbq *);
static int	progress_download_prepare(struct http_request *,
		    struct dbq *);
static void	progress_download_finish(struct http_request *,
		    struct dbq *);
static int	progress_import_prepare(struct http_request *, struct dbq *);
static void	progress_import_finish(struct http_request *, struct dbq *);

/* What api_progress_read() calls the read at route kind. */
static const char *
progress_kind(enum route_kind kind)
{
	switch (kind) {
	case ROUTE_INDICATORS:
		return ("indicators");
	case ROUTE_INDICATOR:
		return ("indicator");
	case ROUTE_INITIATIVES:
		return ("initiatives");
	case ROUTE_INITIATIVE:
		return ("initiative");
	case ROUTE_PROGRESS:
		return ("progress");
	case ROUTE_STATUS_RULES:
		return ("status-rules");
	case ROUTE_STATUS_RULE:
		return ("status-rule");
	default:
		return (NULL);
	}
}

/*
 * Read as_of from qs into utc (what the database reads): an RFC 3339
 * date-time, or a date, which means the end of that day in UTC (today's:
 * now).  Returns 1 when there is one, 0 when not (or it is now), -1 with
 * p filled when it is malformed.
 */
static int
progress_as_of(const struct query *qs, char *utc, size_t len,
    struct problem *p)
{
	const char	*v;
	char		 day[AS_OF_LEN];
	time_t		 when;
	int		 date;

	if ((v = query_get(qs, "as_of")) == NULL)
		return (0);
	if ((date = strlen(v) == 10)) {
		(void)snprintf(day, sizeof(day), "%sT23:59:59.999999Z", v);
		v = day;
	}
	if (strlen(v) >= AS_OF_LEN || answers_timestamp_utc(v, utc,
	    len) == -1 || answers_timestamp(v, &when) == -1) {
		problem_param(p, "as_of", "'as_of' is an RFC 3339 date-time "
		    "with a time zone, or a date (YYYY-MM-DD: the end of that "
		    "day, UTC).");
		return (-1);
	}
	if (date && when >= time(NULL))
		return (0);
	return (1);
}

/* Does the query string name as_of? */
static int
progress_wants_as_of(struct http_request *req)
{
	struct query	qs;
	struct problem	p;
	int		has;

	if (req->query_string == NULL || *req->query_string == '\0')
		return (0);
	/* A malformed query is for the reader to refuse: the database's. */
	if (query_parse(&qs, req->query_string, &p) == -1)
		return (1);
	has = query_get(&qs, "as_of") != NULL;
	query_cleanup(&qs);
	return (has);
}

/*
 * Is req a progress read served from memory, as it stands now (like the
 * plan's)?  A read of an item with a query string, or of a collection
 * with as_of, asks the database instead.  limits.c charges the first kind
 * as the plan's reads.
 */
int
progress_from_memory(struct http_request *req, const struct route *r)
{
	int	collection;

	if ((req->method & (HTTP_METHOD_GET | HTTP_METHOD_HEAD)) == 0)
		return (0);
	collection = r->kind == ROUTE_INDICATORS ||
	    r->kind == ROUTE_INITIATIVES || r->kind == ROUTE_STATUS_RULES;
	if (!collection && r->kind != ROUTE_INDICATOR &&
	    r->kind != ROUTE_INITIATIVE && r->kind != ROUTE_PROGRESS &&
	    r->kind != ROUTE_STATUS_RULE)
		return (0);
	if (collection)
		return (!progress_wants_as_of(req));
	return (req->query_string == NULL || *req->query_string == '\0');
}

/* Every progress read and write. */
int
progress_serve(struct http_request *req, const struct route *r)
{
	if ((req->method & (HTTP_METHOD_GET | HTTP_METHOD_HEAD)) == 0)
		return (plans_serve(req, r));
	if (!progress_from_memory(req, r))
		return (dbq_handle(req, r, progress_read_prepare,
		    progress_read_finish));
	/* The status rules belong to no plan: public, whatever the key. */
	if (r->kind == ROUTE_STATUS_RULES)
		return (resource_collection_send(req, snapshot_get(),
		    CACHE_PUBLIC));
	if (r->kind == ROUTE_STATUS_RULE)
		return (resource_item_send(req, snapshot_get(), CACHE_PUBLIC));
	return (plans_serve(req, r));
}

/*
 * The caller's key for a read (an admin's sees the drafts): 1 with hash
 * filled, 0 when there is none, -1 when it is malformed (answered).
 */
static int
progress_read_key(struct http_request *req, unsigned char *hash)
{
	const char	*hv;

	if (!http_request_header(req, "authorization", &hv))
		return (0);
	return (request_key_hash(req, hash) == -1 ? -1 : 1);
}

static int
progress_read_prepare(struct http_request *req, struct dbq *q)
{
	struct query	 qs;
	struct problem	 p;
	unsigned char	 hash[APIKEY_HASH_LEN];
	char		 utc[AS_OF_LEN];
	int		 keyed, has;

	/* The status rules are public whatever the key. */
	keyed = 0;
	if (q->route.kind != ROUTE_STATUS_RULES &&
	    q->route.kind != ROUTE_STATUS_RULE &&
	    (keyed = progress_read_key(req, hash)) == -1)
		return (0);
	if (query_parse(&qs, req->query_string, &p) == -1 ||
	    query_only(&qs, as_of_params, &p) == -1 ||
	    (has = progress_as_of(&qs, utc, sizeof(utc), &p)) == -1) {
		query_cleanup(&qs);
		api_problem(req, &p);
		return (0);
	}
	query_cleanup(&qs);

	q->query = "SELECT status, body, location, etag FROM "
	    "api_progress_read($1, $2, $3, $4, $5::timestamptz)";
	dbq_param(q, 0, keyed ? hash : NULL, APIKEY_HASH_LEN, 1);
	dbq_param(q, 1, progress_kind(q->route.kind), 0, 0);
	dbq_param(q, 2, route_param(&q->route, "plan"), 0, 0);
	dbq_param(q, 3, q->route.kind == ROUTE_STATUS_RULE ?
	    route_param(&q->route, "rule") : q->route.kind == ROUTE_INDICATOR ?
	    route_param(&q->route, "indicator") : route_param(&q->route,
	    "initiative"), 0, 0);
	dbq_param(q, 4, has ? utc : NULL, 0, 0);
	return (1);
}

static void
progress_read_finish(struct http_request *req, struct dbq *q)
{
	reply_result(req, q);
}

/*
 * GET /v1/plans/{plan}/observations (CSV) and /v1/plans/{plan}/export
 * (format=json or stratml).
 */
int
progress_download(struct http_request *req, const struct route *r)
{
	return (dbq_handle(req, r, progress_download_prepare,
	    progress_download_finish));
}

static int
progress_download_prepare(struct http_request *req, struct dbq *q)
{
	struct query	 qs;
	struct problem	 p;
	const char	*format;
	unsigned char	 hash[APIKEY_HASH_LEN];
	char		 utc[AS_OF_LEN];
	int		 keyed, has, export;

	export = q->route.kind == ROUTE_PLAN_EXPORT;
	if ((keyed = progress_read_key(req, hash)) == -1)
		return (0);
	if (query_parse(&qs, req->query_string, &p) == -1 ||
	    query_only(&qs, export ? export_params : as_of_params, &p) == -1 ||
	    (has = progress_as_of(&qs, utc, sizeof(utc), &p)) == -1)
		goto bad;
	format = export ? query_get(&qs, "format") : "csv";
	if (format == NULL)
		format = "json";
	if (strcmp(format, "json") != 0 && strcmp(format, "stratml") != 0 &&
	    strcmp(format, "csv") != 0) {
		problem_param(&p, "format", "'format' is json or stratml.");
		goto bad;
	}
	if (export && strcmp(format, "csv") == 0) {
		problem_param(&p, "format", "'format' is json or stratml; the "
		    "observations' CSV is at /v1/plans/{plan}/observations.");
		goto bad;
	}

	q->query = "SELECT status, body, location, content_type FROM "
	    "api_plan_download($1, $2, $3, $4::timestamptz)";
	dbq_param(q, 0, keyed ? hash : NULL, APIKEY_HASH_LEN, 1);
	dbq_param(q, 1, route_param(&q->route, "plan"), 0, 0);
	dbq_param(q, 2, format, 0, 0);
	dbq_param(q, 3, has ? utc : NULL, 0, 0);
	query_cleanup(&qs);
	return (1);

bad:
	query_cleanup(&qs);
	api_problem(req, &p);
	return (0);
}

/*
 * A download the database made: its bytes as they are (JSON, XML), or,
 * for CSV, the rows it listed rendered here (csv.c), with their ETag.
 */
static void
progress_download_finish(struct http_request *req, struct dbq *q)
{
	struct doc	 doc;
	json_t		*rows;
	json_error_t	 jerr;
	const char	*ctype, *hv;
	char		*csv;

	if (q->result == NULL || PQntuples(q->result) != 1 ||
	    strcmp(PQgetvalue(q->result, 0, 0), "200") != 0) {
		reply_result(req, q);
		return;
	}
	ctype = PQgetvalue(q->result, 0, 3);
	csv = NULL;
	memset(&doc, 0, sizeof(doc));
	if (strcmp(ctype, "text/csv") == 0) {
		if ((rows = json_loads(PQgetvalue(q->result, 0, 1), 0,
		    &jerr)) == NULL || (csv = csv_table(rows,
		    &doc.len)) == NULL) {
			json_decref(rows);
			api_error(req, PROBLEM_INTERNAL, "The database gave a "
			    "bad answer.");
			return;
		}
		json_decref(rows);
		doc.body = csv;
		ctype = CT_CSV;
	} else {
		doc.body = PQgetvalue(q->result, 0, 1);
		doc.len = (size_t)PQgetlength(q->result, 0, 1);
		if (strcmp(ctype, CT_XML) != 0)
			ctype = CT_JSON;
	}
	etag_compute(doc.body, doc.len, doc.etag);
	api_doc(req, &doc, ctype, http_request_header(req, "authorization",
	    &hv) ? CACHE_PRIVATE : CACHE_PUBLIC);
	free(csv);
}

/*
 * POST /v1/plans/{plan}/imports[?dry_run=true]: a CSV file of
 * observations, in the format of /v1/plans/{plan}/observations.  The file
 * is parsed here (csv.c) and its SHA-256 taken; the database checks every
 * row and stores them all in one transaction, or none.
 */
int
progress_import(struct http_request *req, const struct route *r)
{
	return (dbq_handle(req, r, progress_import_prepare,
	    progress_import_finish));
}

static int
progress_import_prepare(struct http_request *req, struct dbq *q)
{
	struct query		 qs;
	struct problem		 p;
	struct csv_error	 cerr;
	const unsigned char	*data;
	const char		*ct, *dry;
	unsigned char		 hash[APIKEY_HASH_LEN];
	unsigned char		 md[SHA256_DIGEST_LENGTH];
	char			 hex[SHA256_DIGEST_LENGTH * 2 + 1], *text;
	char			*perr;
	json_t			*rows;
	size_t			 len, i;

	if (request_key_hash(req, hash) == -1)
		return (0);
	if (query_parse(&qs, req->query_string, &p) == -1 ||
	    query_only(&qs, import_params, &p) == -1)
		goto bad;
	dry = query_get(&qs, "dry_run");
	if (dry != NULL && strcmp(dry, "true") != 0 &&
	    strcmp(dry, "false") != 0) {
		problem_param(&p, "dry_run", "'dry_run' is true or false.");
		goto bad;
	}
	if (!http_request_header(req, "content-type", &ct) ||
	    strncasecmp(ct, "text/csv", 8) != 0 ||
	    (ct[8] != '\0' && ct[8] != ';' && ct[8] != ' ')) {
		query_cleanup(&qs);
		api_error(req, PROBLEM_UNSUPPORTED_MEDIA, "Send the file as "
		    "Content-Type: text/csv.");
		return (0);
	}
	if (req->http_body == NULL || req->http_body_length == 0) {
		query_cleanup(&qs);
		api_error(req, PROBLEM_MALFORMED_BODY, "The body is empty.");
		return (0);
	}
	data = req->http_body->data + req->http_body->offset;
	len = req->http_body_length;
	(void)SHA256(data, len, md);
	for (i = 0; i < sizeof(md); i++)
		(void)snprintf(hex + i * 2, 3, "%02x", md[i]);

	/* A file that is not CSV: the database answers its fault. */
	perr = NULL;
	text = NULL;
	if ((rows = csv_read((const char *)data, len, &cerr)) == NULL) {
		if (asprintf(&perr, "{\"row\": %zu, \"column\": %zu, "
		    "\"detail\": \"Not CSV (RFC 4180): %s.\"}", cerr.line,
		    cerr.field, cerr.message) == -1)
			perr = NULL;
	} else {
		text = json_dumps(rows, JSON_COMPACT);
		json_decref(rows);
	}
	if (text == NULL && perr == NULL) {
		query_cleanup(&qs);
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return (0);
	}

	q->query = "SELECT status, body, location, etag FROM "
	    "api_observations_import($1, $2, $3, $4::boolean, $5, $6::jsonb, "
	    "$7::jsonb)";
	dbq_param(q, 0, hash, APIKEY_HASH_LEN, 1);
	dbq_param(q, 1, api_request_id(req), 0, 0);
	dbq_param(q, 2, route_param(&q->route, "plan"), 0, 0);
	dbq_param(q, 3, dry != NULL && strcmp(dry, "true") == 0 ? "true" :
	    "false", 0, 0);
	dbq_param(q, 4, hex, 0, 0);
	dbq_param(q, 5, text, 0, 0);
	dbq_param(q, 6, perr, 0, 0);
	free(text);
	free(perr);
	query_cleanup(&qs);
	return (1);

bad:
	query_cleanup(&qs);
	api_problem(req, &p);
	return (0);
}

static void
progress_import_finish(struct http_request *req, struct dbq *q)
{
	reply_result(req, q);
	if (req->status == HTTP_STATUS_CREATED)
		snapshot_reload();
}

/*
 * Responses.  Every answer the service gives goes through this file, so
 * that each one carries the same headers: the request id, Vary and the CORS
 * headers, Date, and for errors an RFC 9457 problem document.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "obs.h"

#define EXPOSE_HEADERS	"ETag, Link, X-Request-Id, Retry-After, Location, " \
			"RateLimit, RateLimit-Policy"
#define ALLOW_HEADERS	"Accept, Authorization, Content-Type, " \
			"Idempotency-Key, If-Match, If-None-Match, X-Request-Id"
#define PREFLIGHT_AGE	"600"

static const struct {
	int		 method;
	const char	*name;
} methods[] = {
	{ HTTP_METHOD_GET,	"GET" },
	{ HTTP_METHOD_HEAD,	"HEAD" },
	{ HTTP_METHOD_POST,	"POST" },
	{ HTTP_METHOD_PUT,	"PUT" },
	{ HTTP_METHOD_PATCH,	"PATCH" },
	{ HTTP_METHOD_DELETE,	"DELETE" },
	{ HTTP_METHOD_OPTIONS,	"OPTIONS" },
};

/*
 * Request headers that may come once.  Kore keeps every copy and hands out
 * the first, where a proxy in front may take the last: with two
 * Authorization headers, the two would disagree on who is asking.
 */
static const char *const single_headers[] = {
	"Authorization", "Host", "Content-Type", "Idempotency-Key", "If-Match",
	"If-None-Match", NULL
};
#define SINGLE_HOST	1	/* Kore keeps the first Host out of the list */

static void
api_allow_text(int allowed, char *buf, size_t len)
{
	size_t	i, off;
	int	n;

	buf[0] = '\0';
	for (i = 0, off = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (!(allowed & methods[i].method))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
		    methods[i].name);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

/*
 * Hand a response to Kore.  Every response the handlers send is queued
 * here (or by api_stream): the connection layer (conn.c) then decides
 * whether the connection's next request is read now or once the client has
 * read what is queued.
 */
void
api_send(struct http_request *req, int status, const void *body, size_t len)
{
	reqlog_done(req, api_request_id(req), status, len);
	conn_response_begin(req);
	http_response(req, status, body, len);
	conn_response_end(req);
}

/* The same for a body that outlives the connection: sent, never copied. */
void
api_stream(struct http_request *req, int status, void *body, size_t len)
{
	reqlog_done(req, api_request_id(req), status, len);
	conn_response_begin(req);
	http_response_stream(req, status, body, len, NULL, NULL);
	conn_response_end(req);
}

/* The request id this request answers with (set by api_begin). */
const char *
api_request_id(struct http_request *req)
{
	struct http_header	*hdr;

	TAILQ_FOREACH(hdr, &req->resp_headers, list) {
		if (!strcmp(hdr->header, "x-request-id"))
			return (hdr->value);
	}
	return (NULL);
}

/*
 * The headers every response carries.  Returns 1 when the request comes
 * from an origin CORS allows.
 */
int
api_headers(struct http_request *req)
{
	const char	*hv, *origin;
	char		 id[33];

	if (http_request_header(req, "x-request-id", &hv) && reqid_valid(hv)) {
		http_response_header(req, "x-request-id", hv);
	} else {
		stamp_request_id(id);
		http_response_header(req, "x-request-id", id);
	}
	http_response_header(req, "date", stamp_date());
	http_response_header(req, "vary", "Origin, Authorization");

	if (http_request_header(req, "origin", &origin) &&
	    origin_allowed(civic_config.cors_origins, origin)) {
		http_response_header(req, "access-control-allow-origin",
		    origin);
		http_response_header(req, "access-control-expose-headers",
		    EXPOSE_HEADERS);
		return (1);
	}
	return (0);
}

/*
 * A header sent twice (of those that may come once), or a header block
 * that held a NUL byte (conn.c): 400, naming the header, and -1.
 */
int
api_header_check(struct http_request *req)
{
	struct http_header	*hdr;
	struct problem		 p;
	const char		*name;
	unsigned int		 seen;
	size_t			 i;

	if ((name = conn_nul_header(req)) != NULL) {
		problem_header(&p, name, "The %.32s header holds a NUL byte.",
		    name);
		api_problem(req, &p);
		return (-1);
	}

	seen = 0;
	TAILQ_FOREACH(hdr, &req->req_headers, list) {
		for (i = 0; single_headers[i] != NULL; i++) {
			if (strcasecmp(hdr->header, single_headers[i]) != 0)
				continue;
			if (i == SINGLE_HOST || (seen & (1u << i))) {
				problem_header(&p, single_headers[i], "%s is "
				    "sent more than once; send it once.",
				    single_headers[i]);
				api_problem(req, &p);
				return (-1);
			}
			seen |= 1u << i;
		}
	}
	return (0);
}

/*
 * The start of every request, once its route is known (router.c, before
 * any handler): sets the headers every response carries, refuses a
 * repeated header or a NUL byte in one (400), answers OPTIONS (and CORS
 * preflights), a method the route does not serve (405 with Allow) and an
 * Accept that excludes JSON (406, when json is set).
 * Returns 1 when the handler should go on, 0 when the response is sent.
 */
int
api_begin(struct http_request *req, int allowed, int json)
{
	const char	*want;
	char		 allow[64];
	int		 cors, m;
	struct problem	 p;

	cors = api_headers(req);
	if (api_header_check(req) == -1)
		return (0);
	if (req->method == HTTP_METHOD_GET && (allowed & HTTP_METHOD_GET)) {
		if (json)
			return (accept_json_header(req));
		return (1);
	}
	api_allow_text(allowed, allow, sizeof(allow));

	if (req->method == HTTP_METHOD_OPTIONS) {
		http_response_header(req, "allow", allow);
		if (cors && http_request_header(req,
		    "access-control-request-method", &want)) {
			m = http_method_value(want);
			if (m != 0 && (allowed & m)) {
				http_response_header(req,
				    "access-control-allow-methods", allow);
				http_response_header(req,
				    "access-control-allow-headers",
				    ALLOW_HEADERS);
				http_response_header(req,
				    "access-control-max-age", PREFLIGHT_AGE);
			}
		}
		http_response_header(req, "cache-control", CACHE_NONE);
		api_send(req, HTTP_STATUS_NO_CONTENT, NULL, 0);
		return (0);
	}

	if (!(allowed & req->method)) {
		http_response_header(req, "allow", allow);
		problem_set(&p, PROBLEM_METHOD_NOT_ALLOWED, "%s is not served "
		    "here; this resource allows %s.",
		    http_method_text(req->method), allow);
		api_problem(req, &p);
		return (0);
	}

	if (json)
		return (accept_json_header(req));
	return (1);
}

/* A query string on a resource that takes none: 400, and -1. */
int
api_no_query(struct http_request *req)
{
	struct query	q;
	struct problem	p;
	int		rc;

	if (query_parse(&q, req->query_string, &p) == -1) {
		query_cleanup(&q);
		api_problem(req, &p);
		return (-1);
	}
	rc = 0;
	if (q.count > 0) {
		problem_param(&p, q.params[0].name, "Unknown query parameter "
		    "'%.32s': this resource takes none.", q.params[0].name);
		api_problem(req, &p);
		rc = -1;
	}
	query_cleanup(&q);
	return (rc);
}

/* 406 (and 0) when the Accept header excludes JSON; else 1. */
int
accept_json_header(struct http_request *req)
{
	const char	*hv;

	if (http_request_header(req, "accept", &hv) && !accept_json(hv)) {
		api_error(req, PROBLEM_NOT_ACCEPTABLE, "This resource is "
		    "available as application/json only.");
		return (0);
	}
	return (1);
}

void
api_problem(struct http_request *req, const struct problem *p)
{
	char		*body;
	size_t		 len;
	int		 status;

	status = problem_status(p->kind);
	if (status >= 500)
		kore_log(LOG_NOTICE, "%s %s: %d %s", api_request_id(req),
		    req->path, status, p->detail);

	if (p->kind == PROBLEM_UNAVAILABLE)
		http_response_header(req, "retry-after", "1");

	http_response_header(req, "content-type", CT_PROBLEM);
	http_response_header(req, "cache-control", CACHE_NONE);

	body = problem_render(p, req->path, api_request_id(req), &len);
	if (body == NULL) {
		api_send(req, HTTP_STATUS_INTERNAL_ERROR, NULL, 0);
		return;
	}
	api_send(req, status, body, len);
	free(body);
}

void
api_error(struct http_request *req, enum problem_kind kind,
    const char *fmt, ...)
{
	struct problem	p;
	va_list		args;

	memset(&p, 0, sizeof(p));
	p.kind = kind;
	va_start(args, fmt);
	(void)vsnprintf(p.detail, sizeof(p.detail), fmt, args);
	va_end(args);

	api_problem(req, &p);
}

static void
api_doc_send(struct http_request *req, const struct doc *doc,
    const char *ctype, const char *cache, int copy)
{
	const char	*inm;

	http_response_header(req, "etag", doc->etag);
	http_response_header(req, "cache-control", cache);

	if (http_request_header(req, "if-none-match", &inm) &&
	    etag_none_match(inm, doc->etag)) {
		req->flags |= HTTP_REQUEST_NO_CONTENT_LENGTH;
		api_send(req, HTTP_STATUS_NOT_MODIFIED, NULL, 0);
		return;
	}

	http_response_header(req, "content-type", ctype);
	if (copy)
		api_send(req, HTTP_STATUS_OK, doc->body, doc->len);
	else
		api_stream(req, HTTP_STATUS_OK, doc->body, doc->len);
}

/*
 * Send a rendered document, or 304 when the client's If-None-Match holds
 * its ETag.  The body is borrowed: Kore copies it into its send queue.
 */
void
api_doc(struct http_request *req, const struct doc *doc, const char *ctype,
    const char *cache)
{
	api_doc_send(req, doc, ctype, cache, 1);
}

/*
 * The same for a document that lives as long as the process (the docs
 * page and its assets, read by the parent): Kore sends it from where it
 * is, without a copy per response.
 */
void
api_static_doc(struct http_request *req, const struct doc *doc,
    const char *ctype, const char *cache)
{
	api_doc_send(req, doc, ctype, cache, 0);
}

/* Render j (borrowed) and send it; a 200 gets an ETag and may be a 304. */
void
api_json(struct http_request *req, int status, json_t *j, const char *cache)
{
	struct doc	doc;

	if (doc_render(&doc, j) == -1) {
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return;
	}

	if (status == HTTP_STATUS_OK) {
		api_doc(req, &doc, CT_JSON, cache);
	} else {
		http_response_header(req, "content-type", CT_JSON);
		http_response_header(req, "cache-control", cache);
		api_send(req, status, doc.body, doc.len);
	}
	doc_cleanup(&doc);
}

/*
 * Reading a request, for every write and every authenticated read: the
 * ids in its path (its route's parameters), the caller's key, If-Match and
 * the JSON body.  Each but request_slug() answers the request itself (a
 * 4xx problem) when what it reads is missing or malformed, and says so.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "api.h"
#include "obs.h"

/*
 * The value of r's parameter name when it is an id (slug_valid), or NULL:
 * a value that is not one names nothing.
 */
const char *
request_slug(const struct route *r, const char *name)
{
	const char	*v;

	v = route_param(r, name);
	return (slug_valid(v) ? v : NULL);
}

/*
 * The date-time parameter name of qs: *raw gets its value as sent (NULL
 * when there is none) and utc the same in UTC, what the database reads
 * whatever the offset.  Returns -1 with p filled when it is malformed.
 */
int
request_time(const struct query *qs, const char *name, const char **raw,
    char *utc, size_t len, struct problem *p)
{
	if ((*raw = query_get(qs, name)) == NULL)
		return (0);
	if (answers_timestamp_utc(*raw, utc, len) == -1) {
		problem_param(p, name, "'%s' is an RFC 3339 date-time with a "
		    "time zone.", name);
		return (-1);
	}
	return (0);
}

/*
 * If-Match, read for the database (etag_if_match) into buf: 1 when the
 * request has one, 0 when not; answers 400 and returns -1 when it is
 * malformed.
 */
int
request_if_match(struct http_request *req, char *buf, size_t len)
{
	struct problem	 p;
	const char	*hv;

	if (!http_request_header(req, "if-match", &hv))
		return (0);
	if (etag_if_match(hv, buf, len) == -1) {
		problem_header(&p, "If-Match", "If-Match must be * or a list "
		    "of entity tags, such as \"0123456789abcdef\" (at most %zu "
		    "bytes of them).", len - 1);
		api_problem(req, &p);
		return (-1);
	}
	return (1);
}

/*
 * Does the request carry the scrape token of CIVIC_METRICS_TOKEN as a
 * bearer token?  Compared by its SHA-256, in constant time; never logged.
 */
int
request_scrape_token(struct http_request *req)
{
	const char	*field, *token;
	unsigned char	 got[APIKEY_HASH_LEN];

	if (!civic_config.has_scrape_token ||
	    !http_request_header(req, "authorization", &field) ||
	    strncasecmp(field, "bearer ", 7) != 0)
		return (0);
	for (token = field + 7; *token == ' '; token++)
		;
	apikey_hash(token, got);
	return (CRYPTO_memcmp(got, civic_config.scrape_token_hash,
	    sizeof(got)) == 0);
}

/*
 * The caller's API key from Authorization, hashed into hash.  Answers 401
 * (with WWW-Authenticate) and returns -1 when there is none or it is not
 * shaped like a key; whether it is a live key is for the database to say.
 */
int
request_key_hash(struct http_request *req, unsigned char hash[APIKEY_HASH_LEN])
{
	const char	*field, *key;

	if (!http_request_header(req, "authorization", &field)) {
		http_response_header(req, "www-authenticate",
		    "Bearer realm=\"civicplan\"");
		api_error(req, PROBLEM_UNAUTHORIZED, "This request needs an "
		    "API key: Authorization: Bearer <key>.");
		return (-1);
	}
	if ((key = apikey_from_header(field)) == NULL) {
		http_response_header(req, "www-authenticate",
		    "Bearer realm=\"civicplan\", error=\"invalid_token\"");
		api_error(req, PROBLEM_UNAUTHORIZED, "The Authorization header "
		    "is not a bearer API key of this service.");
		return (-1);
	}
	apikey_hash(key, hash);
	reqlog_key(hash);
	return (0);
}

/* The request body as JSON; answers 415 or 400 and returns NULL if not. */
json_t *
request_json(struct http_request *req)
{
	json_t		*j;
	json_error_t	 jerr;
	const char	*ct;

	if (!http_request_header(req, "content-type", &ct) ||
	    (strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' '))) {
		api_error(req, PROBLEM_UNSUPPORTED_MEDIA, "Send the body as "
		    "Content-Type: application/json.");
		return (NULL);
	}
	/* Kore rewinds the body once it is in: the bytes still unread. */
	if (req->http_body == NULL || req->http_body_length == 0) {
		api_error(req, PROBLEM_MALFORMED_BODY, "The body is empty.");
		return (NULL);
	}
	j = json_loadb((const char *)req->http_body->data +
	    req->http_body->offset, req->http_body_length,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		api_error(req, PROBLEM_MALFORMED_BODY, "The body is not JSON: "
		    "%s at line %d, column %d.", jerr.text, jerr.line,
		    jerr.column);
	}
	return (j);
}

/*
 * The request body as compact JSON text for an SQL function (free() it);
 * answers 415, 400 or 500 and returns NULL when there is none to send.
 */
char *
request_text(struct http_request *req)
{
	json_t	*j;
	char	*text;

	if ((j = request_json(req)) == NULL)
		return (NULL);
	text = json_dumps(j, CIVIC_JSON_DUMP | JSON_ENCODE_ANY);
	json_decref(j);
	if (text == NULL)
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
	return (text);
}

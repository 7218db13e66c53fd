/*
 * What every write and every authenticated read shares: the caller's key,
 * the JSON body, the survey named in the path, and sending what an SQL
 * function answered (a status, a body and a Location), whole or as a page.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dbq.h"

/*
 * The id that follows prefix in path, into out: the rest of the path after
 * it, or NULL when there is none, or it is not an id.
 */
const char *
path_id(const char *path, const char *prefix, char *out, size_t len)
{
	const char	*p, *end;
	size_t		 n;

	n = strlen(prefix);
	if (strncmp(path, prefix, n) != 0)
		return (NULL);
	p = path + n;
	if ((end = strchr(p, '/')) == NULL)
		end = p + strlen(p);
	n = (size_t)(end - p);
	if (n == 0 || n >= len)
		return (NULL);
	memcpy(out, p, n);
	out[n] = '\0';
	return (slug_valid(out) ? end : NULL);
}

/* The {survey} of /v1/surveys/{survey}/..., into out. */
int
survey_from_path(const char *path, char *out, size_t len)
{
	return (path_id(path, "/v1/surveys/", out, len) != NULL ? 0 : -1);
}

/*
 * If-Match, read for the database (etag_if_match) into buf: 1 when the
 * request has one, 0 when not; answers 400 and returns -1 when it is
 * malformed.
 */
int
if_match_read(struct http_request *req, char *buf, size_t len)
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
 * The survey slug, as this worker publishes it (loaded at once if it was
 * made a moment ago: app_resource), or NULL.
 */
const struct resource *
survey_by_slug(const char *slug)
{
	char	path[CIVIC_PATH_MAX];

	(void)snprintf(path, sizeof(path), "/v1/surveys/%s", slug);
	return (app_resource(path));
}

/* The survey named in a request path, and its slug in slug. */
const struct resource *
survey_resource(const char *path, char *slug, size_t len)
{
	if (survey_from_path(path, slug, len) == -1)
		return (NULL);
	return (survey_by_slug(slug));
}

/*
 * The caller's API key from Authorization, hashed into hash.  Answers 401
 * (with WWW-Authenticate) and returns -1 when there is none or it is not
 * shaped like a key; whether it is a live key is for the database to say.
 */
int
auth_key_hash(struct http_request *req, unsigned char hash[APIKEY_HASH_LEN])
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
	return (0);
}

/* The request body as JSON; answers 415 or 400 and returns NULL if not. */
json_t *
body_json(struct http_request *req)
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
body_text(struct http_request *req)
{
	json_t	*j;
	char	*text;

	if ((j = body_json(req)) == NULL)
		return (NULL);
	text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	if (text == NULL)
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
	return (text);
}

/*
 * Send what an SQL function answered: status, a JSON body (a problem
 * document for errors, given our instance and request id) and Location.
 */
void
dbq_send_result(struct http_request *req, struct dbq *q)
{
	json_t		*j;
	json_error_t	 jerr;
	const char	*hv;
	int		 status;
	char		*out;

	if (q->result == NULL || PQntuples(q->result) != 1) {
		api_error(req, PROBLEM_INTERNAL, "The database gave no answer.");
		return;
	}

	status = atoi(PQgetvalue(q->result, 0, 0));
	if (status == HTTP_STATUS_NO_CONTENT) {
		http_response_header(req, "cache-control", CACHE_NONE);
		api_send(req, status, NULL, 0);
		return;
	}
	j = json_loads(PQgetvalue(q->result, 0, 1), 0, &jerr);
	if (j == NULL || status < 200 || status > 599) {
		json_decref(j);
		api_error(req, PROBLEM_INTERNAL, "The database gave a bad "
		    "answer.");
		return;
	}

	if (!PQgetisnull(q->result, 0, 2))
		http_response_header(req, "location",
		    PQgetvalue(q->result, 0, 2));
	/* Writes of items: the tag of what GET now gives. */
	if (status < 300 && PQnfields(q->result) > 3 &&
	    !PQgetisnull(q->result, 0, 3))
		http_response_header(req, "etag", PQgetvalue(q->result, 0, 3));

	if (status >= 400) {
		json_object_set_new(j, "instance", json_string(req->path));
		json_object_set_new(j, "request_id",
		    json_string(api_request_id(req)));
		if (status == 401)
			http_response_header(req, "www-authenticate",
			    http_request_header(req, "authorization", &hv) ?
			    "Bearer realm=\"civicplan\", "
			    "error=\"invalid_token\"" :
			    "Bearer realm=\"civicplan\"");
		http_response_header(req, "content-type", CT_PROBLEM);
	} else {
		http_response_header(req, "content-type", CT_JSON);
	}
	http_response_header(req, "cache-control", CACHE_NONE);

	if ((out = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return;
	}
	api_send(req, status, out, strlen(out));
	free(out);
	json_decref(j);
}

/*
 * Send a page an SQL function answered as {"items", "more", "last"}: the
 * envelope clients read, with the cursor of the last item shown (its keys,
 * bound to path and to q->text, the page's other parameters) and the Link
 * to the next page.
 */
void
dbq_send_list(struct http_request *req, struct dbq *q, const char *path,
    const char *ctype, char *(*render)(struct http_request *, json_t *,
    size_t *))
{
	json_t		*got, *env, *last;
	json_error_t	 jerr;
	int64_t		 keys[2];
	size_t		 n, len;
	char		 cursor[CIVIC_CURSOR_MAX], link[CIVIC_PATH_MAX + 512];
	char		 next[CIVIC_PATH_MAX + 400], *out;
	int		 more;

	if (q->result == NULL || PQntuples(q->result) != 1 ||
	    strcmp(PQgetvalue(q->result, 0, 0), "200") != 0) {
		dbq_send_result(req, q);
		return;
	}
	if ((got = json_loads(PQgetvalue(q->result, 0, 1), 0, &jerr)) ==
	    NULL) {
		api_error(req, PROBLEM_INTERNAL, "The database gave a bad "
		    "answer.");
		return;
	}

	more = json_is_true(json_object_get(got, "more"));
	last = json_object_get(got, "last");
	n = json_array_size(last);
	env = json_pack("{s:O, s:I, s:n, s:n}", "items",
	    json_object_get(got, "items"), "limit", (json_int_t)q->limit,
	    "next_cursor", "next");

	if (more && (n == 1 || n == 2) && json_is_integer(json_array_get(last,
	    0))) {
		keys[0] = json_integer_value(json_array_get(last, 0));
		keys[1] = json_integer_value(json_array_get(last, 1));
		(void)cursor_encode_keys(keys, n, cursor_scope(path, q->text),
		    cursor, sizeof(cursor));
		(void)snprintf(next, sizeof(next), "%s?%s%slimit=%ld&cursor=%s",
		    path, q->text, q->text[0] != '\0' ? "&" : "", q->limit,
		    cursor);
		json_object_set_new(env, "next_cursor", json_string(cursor));
		json_object_set_new(env, "next", json_string(next));
		if (page_link(next, link, sizeof(link)) == 0)
			http_response_header(req, "link", link);
	}
	json_decref(got);

	if (render != NULL) {
		out = render(req, env, &len);
	} else {
		out = json_dumps(env, JSON_COMPACT);
		len = out != NULL ? strlen(out) : 0;
	}
	json_decref(env);
	if (out == NULL) {
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return;
	}

	http_response_header(req, "content-type", ctype);
	http_response_header(req, "cache-control", "private, no-store");
	api_send(req, HTTP_STATUS_OK, out, len);
	free(out);
}

/*
 * Append name=value (value encoded; nothing when it is NULL) to the page's
 * other parameters in q->text, which bind its cursor and make its next link.
 */
void
dbq_text_param(struct dbq *q, const char *name, const char *value)
{
	size_t	len;

	if (value == NULL)
		return;
	len = strlen(q->text);
	(void)snprintf(q->text + len, sizeof(q->text) - len, "%s%s=",
	    len > 0 ? "&" : "", name);
	len = strlen(q->text);
	query_encode(value, q->text + len, sizeof(q->text) - len);
}

/* Parameters i and i + 1: the cursor's two keys, or NULL without one. */
void
dbq_page_keys(struct dbq *q, int i, int has_cursor, const int64_t *keys)
{
	char	num[32];
	int	k;

	for (k = 0; k < 2; k++) {
		if (has_cursor) {
			(void)snprintf(num, sizeof(num), "%lld",
			    (long long)keys[k]);
			dbq_param(q, i + k, num, 0, 0);
		} else {
			dbq_param(q, i + k, NULL, 0, 0);
		}
	}
}

/*
 * Read limit and cursor (of nkeys keys) for a page of path, whose other
 * parameters the caller put in q->text.  Answers 400 and returns -1 when
 * one is bad.  keys get the cursor's keys, or stay as they are.
 */
int
dbq_page_params(struct http_request *req, struct dbq *q,
    const struct query *qs, const char *path, size_t nkeys, int64_t *keys,
    int *has_cursor)
{
	struct problem	 p;
	const char	*v;

	q->limit = CIVIC_LIMIT_DEFAULT;
	*has_cursor = 0;
	if ((v = query_get(qs, "limit")) != NULL &&
	    query_int("limit", v, 1, CIVIC_LIMIT_MAX, &q->limit, &p) == -1) {
		api_problem(req, &p);
		return (-1);
	}
	if ((v = query_get(qs, "cursor")) != NULL) {
		if (cursor_decode_keys(v, nkeys, cursor_scope(path, q->text),
		    keys) == -1) {
			problem_param(&p, "cursor", "This cursor was not given "
			    "for this collection and these parameters; start "
			    "again without one.");
			api_problem(req, &p);
			return (-1);
		}
		*has_cursor = 1;
	}
	return (0);
}

/*
 * Sending what an SQL function answered: a status, a body (a problem
 * document for errors, completed from src/problem.c's table and given our
 * instance and request id) and a Location, whole or as a page.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dbq.h"

/*
 * SQL names its problems by type alone (api_problem): complete them from
 * src/problem.c's table, the answer's own (status 4xx/5xx) and a batch's
 * per-item ones.  *j is replaced.  Returns 0, or -1 when a problem names
 * no known kind or a status that is not its kind's.
 */
static int
sql_problems_complete(json_t **j, int status)
{
	json_t		*done, *results, *item, *p;
	size_t		 i;

	if (status >= 400) {
		if ((done = problem_complete(*j, status)) == NULL)
			return (-1);
		json_decref(*j);
		*j = done;
		return (0);
	}
	results = json_object_get(*j, "results");
	json_array_foreach(results, i, item) {
		if ((p = json_object_get(item, "problem")) == NULL)
			continue;
		if ((done = problem_complete(p, (int)json_integer_value(
		    json_object_get(item, "status")))) == NULL)
			return (-1);
		json_object_set_new(item, "problem", done);
	}
	return (0);
}

/*
 * Send what an SQL function answered: status, a JSON body (a problem
 * document for errors, given our instance and request id) and Location.
 */
void
reply_result(struct http_request *req, struct dbq *q)
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
	if (j == NULL || status < 200 || status > 599 ||
	    sql_problems_complete(&j, status) == -1) {
		kore_log(LOG_ERR, "%s: the database answered %d with a body "
		    "that is not JSON or names a problem of another status",
		    req->path, status);
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

	if ((out = json_dumps(j, CIVIC_JSON_DUMP)) == NULL) {
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
reply_list(struct http_request *req, struct dbq *q, const char *path,
    const char *ctype, char *(*render)(struct http_request *, struct dbq *,
    json_t *, size_t *))
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
		reply_result(req, q);
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
		out = render(req, q, env, &len);
	} else {
		out = json_dumps(env, CIVIC_JSON_DUMP);
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

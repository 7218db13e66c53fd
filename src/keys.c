/*
 * API keys, managed by admins: POST and GET /v1/keys, PATCH (its name, its
 * own rate limit) and DELETE /v1/keys/{key}.
 * The service makes the secret; the database keeps its SHA-256 only, and
 * the key is in the body of the 201, once.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dbq.h"

static int	keys_prepare(struct http_request *, struct dbq *);
static void	keys_finish(struct http_request *, struct dbq *);
static int	key_prepare(struct http_request *, struct dbq *);

static const char *const keys_params[] = { "limit", "cursor", NULL };

int
keys_collection(struct http_request *req, const struct route *r)
{
	return (dbq_handle(req, r, keys_prepare, keys_finish));
}

static int
keys_prepare(struct http_request *req, struct dbq *q)
{
	struct query	 qs;
	struct problem	 p;
	unsigned char	 hash[APIKEY_HASH_LEN], secret_hash[APIKEY_HASH_LEN];
	char		 key[APIKEY_LEN + 1], id[APIKEY_ID_LEN + 1];
	char		 prefix[13], *text;
	int64_t		 after;
	int		 has_cursor;

	if (request_key_hash(req, hash) == -1)
		return (0);

	if (req->method == HTTP_METHOD_POST) {
		if ((text = request_text(req)) == NULL)
			return (0);
		if (apikey_generate(key, id) == -1) {
			free(text);
			api_error(req, PROBLEM_INTERNAL, "No randomness.");
			return (0);
		}
		apikey_hash(key, secret_hash);
		memcpy(prefix, key, sizeof(prefix) - 1);
	prefix[sizeof(prefix) - 1] = '\0';
		/* Kept until finish() puts it in the 201's body, once. */
		q->json = json_string(key);
		explicit_bzero(key, sizeof(key));

		q->query = "SELECT status, body, location FROM "
		    "api_key_post($1, $2, $3::jsonb, $4, $5, $6)";
		dbq_param(q, 0, hash, sizeof(hash), 1);
		dbq_param(q, 1, api_request_id(req), 0, 0);
		dbq_param(q, 2, text, 0, 0);
		dbq_param(q, 3, id, 0, 0);
		dbq_param(q, 4, prefix, 0, 0);
		dbq_param(q, 5, secret_hash, sizeof(secret_hash), 1);
		free(text);
		return (1);
	}

	if (query_parse(&qs, req->query_string, &p) == -1 ||
	    query_only(&qs, keys_params, &p) == -1) {
		query_cleanup(&qs);
		api_problem(req, &p);
		return (0);
	}
	after = 0;
	q->text[0] = '\0';
	if (dbq_page_params(req, q, &qs, "/v1/keys", 1, &after,
	    &has_cursor) == -1) {
		query_cleanup(&qs);
		return (0);
	}
	query_cleanup(&qs);

	(void)snprintf(id, sizeof(id), "%ld", q->limit);
	q->query = "SELECT status, body, location FROM api_keys_list($1, "
	    "$2::integer, $3::bigint)";
	dbq_param(q, 0, hash, sizeof(hash), 1);
	dbq_param(q, 1, id, 0, 0);
	(void)snprintf(prefix, sizeof(prefix), "%lld", (long long)after);
	dbq_param(q, 2, prefix, 0, 0);
	return (1);
}

static void
keys_finish(struct http_request *req, struct dbq *q)
{
	json_t		*j;
	json_error_t	 jerr;
	char		*out;

	if (req->method != HTTP_METHOD_POST) {
		reply_list(req, q, "/v1/keys", CT_JSON, NULL);
		return;
	}
	if (q->result == NULL || PQntuples(q->result) != 1 ||
	    strcmp(PQgetvalue(q->result, 0, 0), "201") != 0) {
		reply_result(req, q);
		return;
	}

	/* The one response that shows the key. */
	if ((j = json_loads(PQgetvalue(q->result, 0, 1), 0, &jerr)) == NULL) {
		api_error(req, PROBLEM_INTERNAL, "The database gave a bad "
		    "answer.");
		return;
	}
	json_object_set(j, "key", q->json);
	out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (out == NULL) {
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return;
	}
	http_response_header(req, "location", PQgetvalue(q->result, 0, 2));
	http_response_header(req, "content-type", CT_JSON);
	http_response_header(req, "cache-control", CACHE_NONE);
	api_send(req, HTTP_STATUS_CREATED, out, strlen(out));
	explicit_bzero(out, strlen(out));
	free(out);
}

int
keys_item(struct http_request *req, const struct route *r)
{
	return (dbq_handle(req, r, key_prepare, reply_result));
}

static int
key_prepare(struct http_request *req, struct dbq *q)
{
	unsigned char	 hash[APIKEY_HASH_LEN];
	char		*text;

	if (request_key_hash(req, hash) == -1)
		return (0);

	if (req->method == HTTP_METHOD_PATCH) {
		if ((text = request_text(req)) == NULL)
			return (0);
		q->query = "SELECT status, body, location FROM "
		    "api_key_patch($1, $2, $3, $4::jsonb)";
		dbq_param(q, 3, text, 0, 0);
		free(text);
	} else {
		q->query = "SELECT status, body, location FROM "
		    "api_key_revoke($1, $2, $3)";
	}
	dbq_param(q, 0, hash, sizeof(hash), 1);
	dbq_param(q, 1, api_request_id(req), 0, 0);
	dbq_param(q, 2, route_param(&q->route, "key"), 0, 0);
	return (1);
}

/*
 * Survey responses: submitting them (one or a batch), reading them (as
 * JSON or CSV), and voiding them.
 *
 * A body is checked here, against the survey's questions as published
 * (answers.c); the database then does the rest in one transaction and one
 * round trip (api_submit_group, sql/api/responses.sql): the key, the
 * survey's window and the key's rights, the Idempotency-Key, exactly-once
 * storage by external_id, and the tally counters.  A worker gathers the
 * submissions that come while its last store runs, and stores them
 * together (dbq.c): each gets the answer it would get alone.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dbq.h"
#include "obs.h"

static int	collection_prepare(struct http_request *, struct dbq *);
static void	collection_finish(struct http_request *, struct dbq *);
static json_t	*submit_item(json_t *, const struct answers *,
		    const unsigned char *, const char *, const char *);
static int	submit_prepare(struct http_request *, struct dbq *);
static void	submit_finish(struct http_request *, struct dbq *);
static int	list_prepare(struct http_request *, struct dbq *);
static int	batch_prepare(struct http_request *, struct dbq *);
static void	batch_finish(struct http_request *, struct dbq *);
static void	batch_count(struct dbq *);
static json_t	*batch_envelope(json_t *);
static json_t	*batch_items(json_t *, json_t *);
static void	batch_refuse(struct http_request *, json_t *);
static int	item_prepare(struct http_request *, struct dbq *);
static int	void_prepare(struct http_request *, struct dbq *);

#define IDEM_KEY_MAX	255
#define BATCH_MAX	500
#define RESPONSE_ID_MAX	63

static const char *const list_params[] = {
	"limit", "cursor", "order", "since", NULL
};

/*
 * The survey a submission goes to, looked up once: its slug, or NULL
 * (answered 404) when the path names none.
 */
static const char *
submit_survey(struct http_request *req, const struct route *r,
    const struct resource **survey)
{
	const char	*slug;

	if ((slug = request_slug(r, "survey")) == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "Nothing is served at %s.",
		    req->path);
		return (NULL);
	}
	if ((*survey = snapshot_survey(slug)) == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "No survey '%s'.", slug);
		return (NULL);
	}
	return (slug);
}

/*
 * Does the client ask for CSV rather than JSON?  CSV when Accept names it
 * (or text/any) with a weight above zero and at least JSON's.
 */
static int
wants_csv(struct http_request *req)
{
	const char	*accept;
	double		 csv;

	/* Named, not only covered by a wildcard: JSON is the default. */
	if (!http_request_header(req, "accept", &accept) ||
	    (strcasestr(accept, "text/csv") == NULL &&
	    strcasestr(accept, "text/*") == NULL))
		return (0);
	csv = accept_weight(accept, "text/csv");
	return (csv > 0.0 && csv >= accept_weight(accept, "application/json"));
}

/*
 * Check one response body against the survey's published document: fills
 * a (its faults, the values to count and the canonical hash).
 */
static int
check_body(json_t *body, json_t *survey, struct answers *a)
{
	memset(a, 0, sizeof(*a));
	return (answers_check(body, survey,
	    content_objective_ids(snapshot_get(), survey, 1), time(NULL), a));
}

int
responses_collection(struct http_request *req, const struct route *r)
{
	return (dbq_handle(req, r, collection_prepare, collection_finish));
}

static int
collection_prepare(struct http_request *req, struct dbq *q)
{
	if (req->method == HTTP_METHOD_POST)
		return (submit_prepare(req, q));
	return (list_prepare(req, q));
}

/*
 * A submission as api_submit_group takes it (sql/api/responses.sql): the
 * body's members (body, borrowed), what answers_check() made of it (a),
 * and, when given, the key's hash, the survey and the Idempotency-Key.  A
 * new reference, or NULL when memory ran out.
 */
static json_t *
submit_item(json_t *body, const struct answers *a, const unsigned char *key,
    const char *slug, const char *idem)
{
	json_t		*item, *v;
	char		 hex[2 * APIKEY_HASH_LEN + 1], khex[2 * APIKEY_HASH_LEN + 1];
	size_t		 i;

	for (i = 0; i < sizeof(a->hash); i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", a->hash[i]);
	/* A member of the wrong type is a fault already: "" or {} stands in. */
	v = json_object_get(body, "answers");
	v = json_is_object(v) ? json_incref(v) : json_object();
	item = json_pack("{s:s, s:o, s:s?, s:O?, s:s, s:O, s:O, s:s?}",
	    "external_id", json_is_string(json_object_get(body,
	    "external_id")) ? json_string_value(json_object_get(body,
	    "external_id")) : "",
	    "answers", v,
	    /* In UTC, checked: what the database reads whatever the offset. */
	    "submitted_at", a->submitted_at[0] != '\0' ? a->submitted_at :
	    NULL,
	    "channel", json_is_string(json_object_get(body, "channel")) ?
	    json_object_get(body, "channel") : NULL,
	    "hash", hex,
	    "errors", json_array_size(a->errors) > 0 ? a->errors : json_null(),
	    "values", a->values,
	    "idem", idem);
	if (item == NULL || key == NULL)
		return (item);
	for (i = 0; i < APIKEY_HASH_LEN; i++)
		(void)snprintf(khex + 2 * i, 3, "%02x", key[i]);
	if (json_object_set_new(item, "key", json_string(khex)) == -1 ||
	    json_object_set_new(item, "survey", json_string(slug)) == -1) {
		json_decref(item);
		return (NULL);
	}
	return (item);
}

static int
submit_prepare(struct http_request *req, struct dbq *q)
{
	const struct resource	*survey;
	struct problem		 p;
	struct answers		 a;
	json_t			*body;
	const char		*idem, *slug;
	unsigned char		 hash[APIKEY_HASH_LEN];

	if (!accept_json_header(req))
		return (0);
	if (request_key_hash(req, hash) == -1)
		return (0);
	if (request_slug(&q->route, "survey") == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "Nothing is served at %s.",
		    req->path);
		return (0);
	}

	idem = NULL;
	if (http_request_header(req, "idempotency-key", &idem) &&
	    (strlen(idem) == 0 || strlen(idem) > IDEM_KEY_MAX)) {
		problem_param(&p, "Idempotency-Key", "Idempotency-Key must "
		    "be 1 to %d characters.", IDEM_KEY_MAX);
		api_problem(req, &p);
		return (0);
	}

	if ((slug = submit_survey(req, &q->route, &survey)) == NULL)
		return (0);
	if ((body = request_json(req)) == NULL)
		return (0);
	if (check_body(body, survey->json, &a) == -1) {
		answers_cleanup(&a);
		json_decref(body);
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return (0);
	}

	q->item = submit_item(body, &a, hash, slug, idem);
	answers_cleanup(&a);
	json_decref(body);
	if (q->item == NULL) {
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return (0);
	}
	return (1);
}

static void
submit_finish(struct http_request *req, struct dbq *q)
{
	reply_result(req, q);
	if (req->status == HTTP_STATUS_CREATED ||
	    (req->status == HTTP_STATUS_OK &&
	    q->route.kind == ROUTE_RESPONSE_VOID))
		tallies_touch();
}

/* Newest first (1, the default) or oldest (0); -1 with p filled. */
static int
list_desc(const struct query *qs, struct problem *p)
{
	const char	*order;

	if ((order = query_get(qs, "order")) == NULL)
		return (1);
	if (strcmp(order, "asc") && strcmp(order, "desc")) {
		problem_param(p, "order", "'order' is asc (oldest first) or "
		    "desc (newest first, the default).");
		return (-1);
	}
	return (strcmp(order, "desc") == 0);
}

static int
list_prepare(struct http_request *req, struct dbq *q)
{
	struct query	 qs;
	struct problem	 p;
	const char	*order, *since, *slug;
	char		 path[CIVIC_PATH_MAX], num[32];
	char		 since_utc[40];
	unsigned char	 hash[APIKEY_HASH_LEN];
	int64_t		 keys[2];
	int		 has_cursor, desc;

	if (!wants_csv(req) && http_request_header(req, "accept", &order) &&
	    !accept_json(order)) {
		api_error(req, PROBLEM_NOT_ACCEPTABLE, "Responses are "
		    "available as application/json or text/csv.");
		return (0);
	}
	if (request_key_hash(req, hash) == -1)
		return (0);
	if ((slug = request_slug(&q->route, "survey")) == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "Nothing is served at %s.",
		    req->path);
		return (0);
	}

	if (query_parse(&qs, req->query_string, &p) == -1 ||
	    query_only(&qs, list_params, &p) == -1)
		goto bad;

	if ((desc = list_desc(&qs, &p)) == -1)
		goto bad;
	if (request_time(&qs, "since", &since, since_utc, sizeof(since_utc),
	    &p) == -1)
		goto bad;

	/* The page's own parameters, for its cursor and its next link. */
	q->text[0] = '\0';
	dbq_text_param(q, "order", desc ? NULL : "asc");
	dbq_text_param(q, "since", since);

	(void)snprintf(path, sizeof(path), "/v1/surveys/%s/responses", slug);
	keys[0] = keys[1] = 0;
	if (dbq_page_params(req, q, &qs, path, 2, keys, &has_cursor) == -1) {
		query_cleanup(&qs);
		return (0);
	}

	q->query = "SELECT status, body, location FROM api_responses_list("
	    "$1, $2, $3::integer, $4::boolean, $5::timestamptz, $6::bigint, "
	    "$7::bigint)";
	dbq_param(q, 0, hash, sizeof(hash), 1);
	dbq_param(q, 1, slug, 0, 0);
	(void)snprintf(num, sizeof(num), "%ld", q->limit);
	dbq_param(q, 2, num, 0, 0);
	dbq_param(q, 3, desc ? "true" : "false", 0, 0);
	dbq_param(q, 4, since != NULL ? since_utc : NULL, 0, 0);
	dbq_page_keys(q, 5, has_cursor, keys);
	query_cleanup(&qs);
	return (1);

bad:
	query_cleanup(&qs);
	api_problem(req, &p);
	return (0);
}

/* A page of responses as CSV: the items of the envelope, nothing else. */
static char *
render_csv(struct http_request *req, struct dbq *q, json_t *env, size_t *len)
{
	const struct resource	*r;

	(void)req;
	if ((r = snapshot_survey(route_param(&q->route, "survey"))) == NULL)
		return (NULL);
	return (csv_responses(json_object_get(env, "items"), r->json,
	    content_objective_ids(snapshot_get(), r->json, 0), len));
}

static void
collection_finish(struct http_request *req, struct dbq *q)
{
	char	path[CIVIC_PATH_MAX];

	if (req->method == HTTP_METHOD_POST) {
		submit_finish(req, q);
		return;
	}
	(void)snprintf(path, sizeof(path), "/v1/surveys/%s/responses",
	    route_param(&q->route, "survey"));
	if (wants_csv(req))
		reply_list(req, q, path, "text/csv; charset=utf-8",
		    render_csv);
	else
		reply_list(req, q, path, CT_JSON, NULL);
}

int
responses_batch(struct http_request *req, const struct route *r)
{
	return (dbq_handle(req, r, batch_prepare, batch_finish));
}

static void
batch_finish(struct http_request *req, struct dbq *q)
{
	reply_result(req, q);
	if (req->status == HTTP_STATUS_OK) {
		batch_count(q);
		tallies_touch();
	}
}

/* The metrics of a batch's items, by the status of each (metrics.c). */
static void
batch_count(struct dbq *q)
{
	json_t		*j, *item;
	json_error_t	 jerr;
	json_int_t	 status;
	size_t		 i;

	if (q->result == NULL || PQntuples(q->result) != 1 ||
	    (j = json_loads(PQgetvalue(q->result, 0, 1), 0, &jerr)) == NULL)
		return;
	json_array_foreach(json_object_get(j, "results"), i, item) {
		status = json_integer_value(json_object_get(item, "status"));
		if (status == HTTP_STATUS_CREATED)
			metrics_submission(METRICS_SUBMISSION_STORED);
		else if (status == HTTP_STATUS_OK)
			metrics_submission(METRICS_SUBMISSION_DUPLICATE);
		else
			metrics_submission(METRICS_SUBMISSION_REJECTED);
	}
	json_decref(j);
}

/*
 * The faults of a batch's envelope, {"responses": [1 to 500 items]}, each
 * at its pointer: a new array, empty when there are none (or NULL when
 * memory ran out).
 */
static json_t *
batch_envelope(json_t *body)
{
	json_t		*errors, *list, *v;
	const char	*key;
	char		*ptr, raw[200], detail[200];

	if ((errors = json_array()) == NULL)
		return (NULL);
	if (!json_is_object(body)) {
		json_array_append_new(errors, json_pack("{s:s, s:s}", "pointer",
		    "", "detail", "The body must be an object: "
		    "{\"responses\": [...]}."));
		return (errors);
	}
	json_object_foreach(body, key, v) {
		if (strcmp(key, "responses") == 0)
			continue;
		if ((ptr = answers_pointer("", key)) == NULL) {
			json_decref(errors);
			return (NULL);
		}
		(void)snprintf(raw, sizeof(raw), "Unknown member '%.100s': a "
		    "batch is {\"responses\": [...]} and nothing else.", key);
		utf8_clean(raw, detail, sizeof(detail));
		json_array_append_new(errors, json_pack("{s:s, s:s}",
		    "pointer", ptr, "detail", detail));
		free(ptr);
	}
	list = json_object_get(body, "responses");
	if (!json_is_array(list) || json_array_size(list) < 1 ||
	    json_array_size(list) > BATCH_MAX)
		json_array_append_new(errors, json_pack("{s:s, s:s}", "pointer",
		    "/responses", "detail", "Required: an array of 1 to 500 "
		    "responses."));
	return (errors);
}

/* A batch whose envelope is wrong: a 422 naming each fault (borrowed). */
static void
batch_refuse(struct http_request *req, json_t *errors)
{
	json_t	*doc;
	char	*out;

	doc = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:O}",
	    "type", problem_type(PROBLEM_INVALID_BODY),
	    "title", problem_title(PROBLEM_INVALID_BODY),
	    "status", problem_status(PROBLEM_INVALID_BODY),
	    "detail", "The body is {\"responses\": [...]} with 1 to 500 "
	    "responses and nothing else.",
	    "instance", req->path,
	    "request_id", api_request_id(req),
	    "errors", errors);
	out = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (out == NULL) {
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return;
	}
	http_response_header(req, "content-type", CT_PROBLEM);
	http_response_header(req, "cache-control", CACHE_NONE);
	api_send(req, problem_status(PROBLEM_INVALID_BODY), out,
	    strlen(out));
	free(out);
}

/*
 * The items of a batch (list, borrowed) as api_submit_batch takes them,
 * each checked against survey: a new array, or NULL when memory ran out.
 */
static json_t *
batch_items(json_t *list, json_t *survey)
{
	struct answers	 a;
	json_t		*items, *item, *v;
	size_t		 i;

	if ((items = json_array()) == NULL)
		return (NULL);
	json_array_foreach(list, i, item) {
		if (check_body(item, survey, &a) == -1 ||
		    (v = submit_item(item, &a, NULL, NULL, NULL)) == NULL) {
			answers_cleanup(&a);
			json_decref(items);
			return (NULL);
		}
		json_array_append_new(items, v);
		answers_cleanup(&a);
	}
	return (items);
}

/*
 * POST .../responses/batch: {"responses": [up to 500 bodies]}.  Each item
 * is checked here; the database stores each on its own and answers one
 * result per item.
 */
static int
batch_prepare(struct http_request *req, struct dbq *q)
{
	const struct resource	*survey;
	json_t			*body, *items, *errors;
	const char		*slug;
	char			*text;
	unsigned char		 hash[APIKEY_HASH_LEN];

	if (request_key_hash(req, hash) == -1)
		return (0);
	if ((slug = submit_survey(req, &q->route, &survey)) == NULL)
		return (0);
	if ((body = request_json(req)) == NULL)
		return (0);

	if ((errors = batch_envelope(body)) == NULL) {
		json_decref(body);
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return (0);
	}
	if (json_array_size(errors) > 0) {
		batch_refuse(req, errors);
		json_decref(errors);
		json_decref(body);
		return (0);
	}
	json_decref(errors);

	items = batch_items(json_object_get(body, "responses"), survey->json);
	json_decref(body);
	if (items == NULL) {
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return (0);
	}

	text = json_dumps(items, JSON_COMPACT);
	json_decref(items);
	q->query = "SELECT status, body, location FROM api_submit_batch($1, "
	    "$2, $3::jsonb)";
	dbq_param(q, 0, hash, sizeof(hash), 1);
	dbq_param(q, 1, slug, 0, 0);
	dbq_param(q, 2, text, 0, 0);
	free(text);
	return (1);
}

/*
 * The survey and the response a path names: the survey's slug, or NULL
 * (answered 404) when it names none.
 */
static const char *
response_ids(struct http_request *req, const struct route *r,
    const char **id)
{
	const char	*slug;

	*id = route_param(r, "response");
	if ((slug = request_slug(r, "survey")) == NULL ||
	    strlen(*id) > RESPONSE_ID_MAX) {
		api_error(req, PROBLEM_NOT_FOUND, "Nothing is served at %s.",
		    req->path);
		return (NULL);
	}
	return (slug);
}

int
responses_item(struct http_request *req, const struct route *r)
{
	return (dbq_handle(req, r, item_prepare, reply_result));
}

static int
item_prepare(struct http_request *req, struct dbq *q)
{
	const char	*slug, *id;
	unsigned char	 hash[APIKEY_HASH_LEN];

	if (api_no_query(req) == -1)
		return (0);
	if (request_key_hash(req, hash) == -1)
		return (0);
	if ((slug = response_ids(req, &q->route, &id)) == NULL)
		return (0);
	q->query = "SELECT status, body, location FROM api_response_get($1, "
	    "$2, $3)";
	dbq_param(q, 0, hash, sizeof(hash), 1);
	dbq_param(q, 1, slug, 0, 0);
	dbq_param(q, 2, id, 0, 0);
	return (1);
}

int
responses_void(struct http_request *req, const struct route *r)
{
	return (dbq_handle(req, r, void_prepare, submit_finish));
}

static int
void_prepare(struct http_request *req, struct dbq *q)
{
	const char	*slug, *id;
	char		*text;
	unsigned char	 hash[APIKEY_HASH_LEN];

	if (request_key_hash(req, hash) == -1)
		return (0);
	if ((slug = response_ids(req, &q->route, &id)) == NULL)
		return (0);
	if ((text = request_text(req)) == NULL)
		return (0);

	q->query = "SELECT status, body, location FROM "
	    "api_response_void_recorded($1, $2, $3, $4, $5::jsonb)";
	dbq_param(q, 0, hash, sizeof(hash), 1);
	dbq_param(q, 1, api_request_id(req), 0, 0);
	dbq_param(q, 2, slug, 0, 0);
	dbq_param(q, 3, id, 0, 0);
	dbq_param(q, 4, text, 0, 0);
	free(text);
	return (1);
}

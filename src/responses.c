/*
 * Survey responses from partners: POST /v1/surveys/{survey}/responses.
 *
 * The body is checked here, against the survey's questions as published
 * (answers.c); the database then does the rest in one transaction and one
 * round trip (api_submit_response, sql/006): the key, the survey's window
 * and the key's rights, the Idempotency-Key, exactly-once storage by
 * external_id, and the tally counters.
 */

#include <string.h>

#include "api.h"
#include "dbq.h"

int	responses_collection(struct http_request *);

static int	submit_prepare(struct http_request *, struct dbq *);
static void	submit_finish(struct http_request *, struct dbq *);

#define IDEM_KEY_MAX	255

/* The {survey} of /v1/surveys/{survey}/..., into out. */
int
survey_from_path(const char *path, char *out, size_t len)
{
	const char	*p, *end;
	size_t		 n;

	if (strncmp(path, "/v1/surveys/", 12) != 0)
		return (-1);
	p = path + 12;
	if ((end = strchr(p, '/')) == NULL)
		end = p + strlen(p);
	n = (size_t)(end - p);
	if (n == 0 || n >= len)
		return (-1);
	memcpy(out, p, n);
	out[n] = '\0';
	return (slug_valid(out) ? 0 : -1);
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
	if (req->http_body == NULL) {
		api_error(req, PROBLEM_MALFORMED_BODY, "The body is empty.");
		return (NULL);
	}
	j = json_loadb((const char *)req->http_body->data,
	    req->http_body->offset, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		api_error(req, PROBLEM_MALFORMED_BODY, "The body is not JSON: "
		    "%s at line %d, column %d.", jerr.text, jerr.line,
		    jerr.column);
	}
	return (j);
}

/* The ids of the objectives of the plan a survey belongs to (new ref). */
static json_t *
plan_objective_ids(struct content *c, json_t *survey)
{
	const struct collection	*col;
	json_t			*ids;
	char			 path[CIVIC_PATH_MAX];
	size_t			 i;

	ids = json_array();
	(void)snprintf(path, sizeof(path), "/v1/plans/%s/objectives",
	    json_string_value(json_object_get(survey, "plan")));
	if ((col = content_collection(c, path)) == NULL)
		return (ids);
	for (i = 0; i < col->count; i++)
		json_array_append(ids, json_object_get(col->members[i], "id"));
	return (ids);
}

int
responses_collection(struct http_request *req)
{
	return (dbq_handle(req, submit_prepare, submit_finish));
}

static int
submit_prepare(struct http_request *req, struct dbq *q)
{
	struct content		*c;
	const struct resource	*r;
	struct answers		 a;
	json_t			*body, *objectives, *v;
	const char		*idem;
	char			 slug[CIVIC_ID_MAX + 1], path[CIVIC_PATH_MAX];
	char			*text;
	unsigned char		 hash[APIKEY_HASH_LEN];

	if (!api_begin(req, HTTP_METHOD_POST | HTTP_METHOD_OPTIONS, 1))
		return (0);
	/* The header and body timeout stays armed while we work: clear it. */
	if (req->owner != NULL)
		req->owner->http_timeout = 0;

	if (auth_key_hash(req, hash) == -1)
		return (0);
	if (survey_from_path(req->path, slug, sizeof(slug)) == -1) {
		api_error(req, PROBLEM_NOT_FOUND, "Nothing is served at %s.",
		    req->path);
		return (0);
	}

	if (http_request_header(req, "idempotency-key", &idem) &&
	    (strlen(idem) == 0 || strlen(idem) > IDEM_KEY_MAX)) {
		api_error(req, PROBLEM_INVALID_PARAMETER, "Idempotency-Key "
		    "must be 1 to %d characters.", IDEM_KEY_MAX);
		return (0);
	} else if (!http_request_header(req, "idempotency-key", &idem)) {
		idem = NULL;
	}

	if ((body = body_json(req)) == NULL)
		return (0);

	c = app_content();
	(void)snprintf(path, sizeof(path), "/v1/surveys/%s", slug);
	r = content_resource(c, path);

	memset(&a, 0, sizeof(a));
	if (r != NULL) {
		objectives = plan_objective_ids(c, r->json);
		if (answers_check(body, r->json, objectives, time(NULL),
		    &a) == -1) {
			json_decref(objectives);
			json_decref(body);
			api_error(req, PROBLEM_INTERNAL, "Out of memory.");
			return (0);
		}
		json_decref(objectives);
	} else {
		/* Unknown to this worker: the database says 404 or retry. */
		a.errors = json_pack("[{s:s, s:s}]", "pointer", "",
		    "detail", "This survey is not loaded yet; retry shortly.");
		a.values = json_array();
	}

	q->query = "SELECT status, body, location FROM api_submit_response("
	    "$1, $2, $3, $4::jsonb, $5::timestamptz, $6, $7, $8, $9::jsonb, "
	    "$10::jsonb)";
	dbq_param(q, 0, hash, sizeof(hash), 1);
	dbq_param(q, 1, slug, 0, 0);

	v = json_object_get(body, "external_id");
	dbq_param(q, 2, json_is_string(v) ? json_string_value(v) : "", 0, 0);

	v = json_object_get(body, "answers");
	text = json_dumps(json_is_object(v) ? v : json_object(),
	    JSON_COMPACT | JSON_ENCODE_ANY);
	dbq_param(q, 3, text, 0, 0);
	free(text);

	v = json_object_get(body, "submitted_at");
	dbq_param(q, 4, json_is_string(v) ? json_string_value(v) : NULL, 0,
	    0);
	v = json_object_get(body, "channel");
	dbq_param(q, 5, json_is_string(v) ? json_string_value(v) : NULL, 0,
	    0);
	dbq_param(q, 6, a.hash, sizeof(a.hash), 1);
	dbq_param(q, 7, idem, 0, 0);

	if (json_array_size(a.errors) > 0) {
		text = json_dumps(a.errors, JSON_COMPACT);
		dbq_param(q, 8, text, 0, 0);
		free(text);
	} else {
		dbq_param(q, 8, NULL, 0, 0);
	}
	text = json_dumps(a.values, JSON_COMPACT);
	dbq_param(q, 9, text, 0, 0);
	free(text);

	answers_cleanup(&a);
	json_decref(body);
	return (1);
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
	int		 status;
	char		*out;

	if (q->result == NULL || PQntuples(q->result) != 1) {
		api_error(req, PROBLEM_INTERNAL, "The database gave no answer.");
		return;
	}

	status = atoi(PQgetvalue(q->result, 0, 0));
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

	if (status >= 400) {
		json_object_set_new(j, "instance", json_string(req->path));
		json_object_set_new(j, "request_id",
		    json_string(api_request_id(req)));
		if (status == 401)
			http_response_header(req, "www-authenticate",
			    "Bearer realm=\"civicplan\", "
			    "error=\"invalid_token\"");
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
	http_response(req, status, out, strlen(out));
	free(out);
	json_decref(j);
}

static void
submit_finish(struct http_request *req, struct dbq *q)
{
	dbq_send_result(req, q);
	if (req->status == HTTP_STATUS_CREATED)
		tallies_invalidate();
}

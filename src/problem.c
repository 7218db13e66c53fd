/*
 * Problem documents (RFC 9457).  The table below is the one place that maps
 * a kind of failure to its HTTP status, its stable type and its title: for
 * the problems C finds and for those SQL names by code (api_problem), which
 * the service completes from here.  tools/gen-openapi.py reads it too.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "civic.h"

static const struct {
	int		 status;
	const char	*type;
	const char	*title;
} problems[PROBLEM_KIND_MAX] = {
	[PROBLEM_INVALID_PARAMETER] =
	    { 400, "/problems/invalid-parameter", "Invalid Parameter" },
	[PROBLEM_MALFORMED_BODY] =
	    { 400, "/problems/malformed-body", "Malformed Body" },
	[PROBLEM_INVALID_HEADER] =
	    { 400, "/problems/invalid-header", "Invalid Header" },
	[PROBLEM_UNAUTHORIZED] =
	    { 401, "/problems/unauthorized", "Unauthorized" },
	[PROBLEM_FORBIDDEN] =
	    { 403, "/problems/forbidden", "Forbidden" },
	[PROBLEM_NOT_FOUND] =
	    { 404, "/problems/not-found", "Not Found" },
	[PROBLEM_METHOD_NOT_ALLOWED] =
	    { 405, "/problems/method-not-allowed", "Method Not Allowed" },
	[PROBLEM_NOT_ACCEPTABLE] =
	    { 406, "/problems/not-acceptable", "Not Acceptable" },
	[PROBLEM_SURVEY_NOT_OPEN] =
	    { 409, "/problems/survey-not-open", "Survey Not Open" },
	[PROBLEM_DUPLICATE_RESPONSE] =
	    { 409, "/problems/duplicate-response", "Duplicate Response" },
	[PROBLEM_IDEMPOTENCY_KEY_IN_USE] =
	    { 409, "/problems/idempotency-key-in-use",
	    "Idempotency Key In Use" },
	[PROBLEM_ALREADY_VOIDED] =
	    { 409, "/problems/already-voided", "Already Voided" },
	[PROBLEM_SURVEY_HAS_RESPONSES] =
	    { 409, "/problems/survey-has-responses", "Survey Has Responses" },
	[PROBLEM_IN_USE] =
	    { 409, "/problems/in-use", "In Use" },
	[PROBLEM_PRECONDITION_FAILED] =
	    { 412, "/problems/precondition-failed", "Precondition Failed" },
	[PROBLEM_UNSUPPORTED_MEDIA] =
	    { 415, "/problems/unsupported-media-type",
	    "Unsupported Media Type" },
	[PROBLEM_INVALID_BODY] =
	    { 422, "/problems/invalid-body", "Invalid Body" },
	[PROBLEM_IDEMPOTENCY_KEY_REUSED] =
	    { 422, "/problems/idempotency-key-reused",
	    "Idempotency Key Reused" },
	[PROBLEM_TOO_MANY_REQUESTS] =
	    { 429, "/problems/too-many-requests", "Too Many Requests" },
	[PROBLEM_INTERNAL] =
	    { 500, "/problems/internal-error", "Internal Server Error" },
	[PROBLEM_UNAVAILABLE] =
	    { 503, "/problems/service-unavailable", "Service Unavailable" },
};

/*
 * The kind whose type is type ("/problems/<code>"), in *kind.  Returns 0,
 * or -1 when no kind has that type.
 */
int
problem_kind_of(const char *type, enum problem_kind *kind)
{
	int	i;

	if (type == NULL)
		return (-1);
	for (i = 0; i < PROBLEM_KIND_MAX; i++) {
		if (strcmp(problems[i].type, type) == 0) {
			*kind = (enum problem_kind)i;
			return (0);
		}
	}
	return (-1);
}

int
problem_status(enum problem_kind kind)
{
	if (kind >= PROBLEM_KIND_MAX)
		kind = PROBLEM_INTERNAL;
	return (problems[kind].status);
}

const char *
problem_type(enum problem_kind kind)
{
	if (kind >= PROBLEM_KIND_MAX)
		kind = PROBLEM_INTERNAL;
	return (problems[kind].type);
}

const char *
problem_title(enum problem_kind kind)
{
	if (kind >= PROBLEM_KIND_MAX)
		kind = PROBLEM_INTERNAL;
	return (problems[kind].title);
}

void
problem_set(struct problem *p, enum problem_kind kind, const char *fmt, ...)
{
	va_list		args;

	memset(p, 0, sizeof(*p));
	p->kind = kind;

	va_start(args, fmt);
	(void)vsnprintf(p->detail, sizeof(p->detail), fmt, args);
	va_end(args);
}

/* An invalid-parameter problem that names the offending parameter. */
void
problem_param(struct problem *p, const char *param, const char *fmt, ...)
{
	va_list		args;

	memset(p, 0, sizeof(*p));
	p->kind = PROBLEM_INVALID_PARAMETER;
	(void)snprintf(p->parameter, sizeof(p->parameter), "%s", param);

	va_start(args, fmt);
	(void)vsnprintf(p->detail, sizeof(p->detail), fmt, args);
	va_end(args);
}

/* An invalid-header problem that names the offending request header. */
void
problem_header(struct problem *p, const char *name, const char *fmt, ...)
{
	va_list		args;

	memset(p, 0, sizeof(*p));
	p->kind = PROBLEM_INVALID_HEADER;
	(void)snprintf(p->parameter, sizeof(p->parameter), "%s", name);
	va_start(args, fmt);
	(void)vsnprintf(p->detail, sizeof(p->detail), fmt, args);
	va_end(args);
}

/*
 * Copy s into out as valid UTF-8: a byte that does not start or continue a
 * well-formed sequence (including one cut short by truncation) becomes '?'.
 */
void
utf8_clean(const char *s, char *out, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 o, need, i;

	for (o = 0; *p != '\0' && o + 1 < len;) {
		if (*p < 0x80)
			need = 0;
		else if (*p >= 0xc2 && *p <= 0xdf)
			need = 1;
		else if (*p >= 0xe0 && *p <= 0xef)
			need = 2;
		else if (*p >= 0xf0 && *p <= 0xf4)
			need = 3;
		else
			goto bad;
		for (i = 1; i <= need; i++) {
			if (p[i] == '\0')	/* cut short: drop it */
				goto out;
			if ((p[i] & 0xc0) != 0x80)
				goto bad;
		}
		if ((*p == 0xe0 && p[1] < 0xa0) || (*p == 0xed && p[1] > 0x9f) ||
		    (*p == 0xf0 && p[1] < 0x90) || (*p == 0xf4 && p[1] > 0x8f))
			goto bad;
		if (o + need + 1 >= len)
			break;
		for (i = 0; i <= need; i++)
			out[o++] = (char)p[i];
		p += need + 1;
		continue;
bad:
		out[o++] = '?';
		p++;
	}
out:
	out[o] = '\0';
}

/*
 * The request target as a URI reference: bytes that may not appear in one
 * (controls, spaces, quotes, non-ASCII) are percent-encoded.
 */
static void
uri_clean(const char *s, char *out, size_t len)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	size_t			 o;

	for (o = 0, p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '"' && *p != '%' &&
		    *p != '\\') {
			if (o + 1 >= len)
				break;
			out[o++] = (char)*p;
		} else {
			if (o + 3 >= len)
				break;
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
}

/*
 * Render the problem as a compact JSON document.  instance and request_id
 * may be NULL.  Returns a new string the caller frees with free(), and its
 * length in *len; NULL if memory ran out.
 */
char *
problem_render(const struct problem *p, const char *instance,
    const char *request_id, size_t *len)
{
	json_t		*doc, *errors;
	char		*out, detail[sizeof(p->detail)];
	char		 param[sizeof(p->parameter)], target[1024];

	utf8_clean(p->detail, detail, sizeof(detail));
	utf8_clean(p->parameter, param, sizeof(param));

	doc = json_pack("{s:s, s:s, s:i, s:s}",
	    "type", problem_type(p->kind),
	    "title", problem_title(p->kind),
	    "status", problem_status(p->kind),
	    "detail", detail);
	if (doc == NULL)
		return (NULL);

	if (instance != NULL) {
		uri_clean(instance, target, sizeof(target));
		json_object_set_new(doc, "instance", json_string(target));
	}
	if (request_id != NULL)
		json_object_set_new(doc, "request_id", json_string(request_id));

	if ((p->kind == PROBLEM_INVALID_PARAMETER ||
	    p->kind == PROBLEM_INVALID_HEADER) && param[0] != '\0') {
		errors = json_pack("[{s:s, s:s}]", p->kind ==
		    PROBLEM_INVALID_HEADER ? "header" : "parameter", param,
		    "detail", detail);
		if (errors != NULL)
			json_object_set_new(doc, "errors", errors);
	}

	out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);

	if (out != NULL)
		*len = strlen(out);
	return (out);
}

/*
 * Complete a problem document that names its kind by type only, as SQL
 * answers them (api_problem): the result is a new object (the caller
 * decrefs) with type, title and status from the table, then doc's other
 * members in their order.  status is the one the answer is sent with: it
 * must be the kind's.  Returns NULL when doc names no known kind, or
 * another status, or memory ran out.
 */
json_t *
problem_complete(json_t *doc, int status)
{
	enum problem_kind	 kind;
	json_t			*out, *v;
	const char		*k;

	if (!json_is_object(doc) ||
	    problem_kind_of(json_string_value(json_object_get(doc, "type")),
	    &kind) == -1 || problem_status(kind) != status)
		return (NULL);
	if ((out = json_pack("{s:s, s:s, s:i}", "type", problem_type(kind),
	    "title", problem_title(kind), "status", status)) == NULL)
		return (NULL);
	json_object_foreach(doc, k, v) {
		if (strcmp(k, "type") == 0 || strcmp(k, "title") == 0 ||
		    strcmp(k, "status") == 0)
			continue;
		if (json_object_set(out, k, v) == -1) {
			json_decref(out);
			return (NULL);
		}
	}
	return (out);
}

/*
 * Problem documents (RFC 9457).  The table below is the one place that maps
 * a kind of failure to its HTTP status, its stable type and its title.
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
	[PROBLEM_NOT_FOUND] =
	    { 404, "/problems/not-found", "Not Found" },
	[PROBLEM_METHOD_NOT_ALLOWED] =
	    { 405, "/problems/method-not-allowed", "Method Not Allowed" },
	[PROBLEM_NOT_ACCEPTABLE] =
	    { 406, "/problems/not-acceptable", "Not Acceptable" },
	[PROBLEM_INTERNAL] =
	    { 500, "/problems/internal-error", "Internal Server Error" },
	[PROBLEM_UNAVAILABLE] =
	    { 503, "/problems/service-unavailable", "Service Unavailable" },
};

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
	char		*out;

	doc = json_pack("{s:s, s:s, s:i, s:s}",
	    "type", problem_type(p->kind),
	    "title", problem_title(p->kind),
	    "status", problem_status(p->kind),
	    "detail", p->detail);
	if (doc == NULL)
		return (NULL);

	if (instance != NULL)
		json_object_set_new(doc, "instance", json_string(instance));
	if (request_id != NULL)
		json_object_set_new(doc, "request_id", json_string(request_id));

	if (p->kind == PROBLEM_INVALID_PARAMETER && p->parameter[0] != '\0') {
		errors = json_pack("[{s:s, s:s}]", "parameter", p->parameter,
		    "detail", p->detail);
		if (errors != NULL)
			json_object_set_new(doc, "errors", errors);
	}

	out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);

	if (out != NULL)
		*len = strlen(out);
	return (out);
}

/*
 * Query strings (src/query.c).
 *
 * query_parse() either fills a problem naming what is wrong (a 400 with
 * its parameter, which renders as a problem document) or gives at most
 * CIVIC_QUERY_MAX parameters of non-empty, distinct names; query_get()
 * finds each; encoding them again with query_encode() gives a query
 * string that parses to the same parameters.  query_int() takes only the
 * one decimal spelling of a number in range; slug_valid() only slugs.
 */

#include <limits.h>

#include "civic.h"
#include "fuzz.h"

#define QUERY_LEN_MAX	1024	/* as in src/query.c */

/*
 * A 400 naming its parameter; rendered too when render is set (only for the
 * problem the parse gives: rendering is most of the cost of an input).
 */
static void
check_problem(const char *what, const struct problem *p, int render)
{
	char	*doc;
	size_t	 len;

	FUZZ_ASSERT(p->kind == PROBLEM_INVALID_PARAMETER, "'%s': kind %d",
	    what, p->kind);
	FUZZ_ASSERT(p->detail[0] != '\0', "'%s': no detail", what);
	FUZZ_ASSERT(p->parameter[0] != '\0', "'%s': no parameter", what);
	if (!render)
		return;
	/* The request's own bytes as its path, as a client may send. */
	doc = problem_render(p, what, "req-1", &len);
	FUZZ_ASSERT(doc != NULL && len == strlen(doc) && strstr(doc,
	    "\"status\":400,") != NULL, "'%s': %s", what, doc);
	free(doc);
}

static int
slug_shaped(const char *s)
{
	size_t	len, i;

	len = strlen(s);
	if (len == 0 || len > CIVIC_ID_MAX || s[0] == '-' || s[len - 1] == '-')
		return (0);
	for (i = 0; i < len; i++) {
		if (s[i] == '-' ? s[i + 1] == '-' : !((s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return (0);
	}
	return (1);
}

static void
check_value(const char *name, const char *value)
{
	struct problem	p;
	char		again[32];
	long		v;

	memset(&p, 0, sizeof(p));
	if (query_int(name, value, 1, CIVIC_LIMIT_MAX, &v, &p) == 0) {
		(void)snprintf(again, sizeof(again), "%ld", v);
		FUZZ_ASSERT(v >= 1 && v <= CIVIC_LIMIT_MAX &&
		    strcmp(again, value) == 0, "'%s' read as %ld", value, v);
	} else {
		check_problem(value, &p, 0);
	}
	memset(&p, 0, sizeof(p));
	if (query_int(name, value, 0, LONG_MAX, &v, &p) == 0) {
		(void)snprintf(again, sizeof(again), "%ld", v);
		FUZZ_ASSERT(strcmp(again, value) == 0, "'%s' read as %ld",
		    value, v);
	}
	FUZZ_ASSERT(slug_valid(value) == slug_shaped(value), "slug '%s'",
	    value);
}

/* The parameters of q encoded again as a query string; NULL if long. */
static char *
reencode(const struct query *q)
{
	char	*out, enc[3 * QUERY_LEN_MAX + 1];
	size_t	 i, o, n;

	if ((out = malloc(QUERY_LEN_MAX + 1)) == NULL)
		abort();
	for (o = 0, i = 0; i < q->count; i++) {
		query_encode(q->params[i].name, enc, sizeof(enc));
		n = strlen(enc);
		query_encode(q->params[i].value, enc + n, sizeof(enc) - n);
		if (o + strlen(enc) + 2 > QUERY_LEN_MAX) {
			free(out);
			return (NULL);
		}
		o += (size_t)snprintf(out + o, QUERY_LEN_MAX + 1 - o,
		    "%s%.*s=%s", i > 0 ? "&" : "", (int)n, enc, enc + n);
	}
	out[o] = '\0';
	return (out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct query	 q, q2;
	struct problem	 p;
	const char	*allowed[CIVIC_QUERY_MAX + 1];
	char		*qs, *again;
	size_t		 i, j;

	qs = fuzz_cstr(data, size);
	memset(&p, 0, sizeof(p));

	if (query_parse(&q, qs, &p) == -1) {
		check_problem(qs, &p, 1);
		query_cleanup(&q);
		free(qs);
		return (0);
	}

	FUZZ_ASSERT(q.count <= CIVIC_QUERY_MAX && strlen(qs) <= QUERY_LEN_MAX,
	    "'%s': %zu parameters", qs, q.count);
	for (i = 0; i < q.count; i++) {
		FUZZ_ASSERT(q.params[i].name[0] != '\0', "'%s': empty name",
		    qs);
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(q.params[i].name,
			    q.params[j].name) != 0, "'%s': '%s' twice", qs,
			    q.params[i].name);
		FUZZ_ASSERT(query_get(&q, q.params[i].name) ==
		    q.params[i].value, "'%s': '%s' not found", qs,
		    q.params[i].name);
		check_value(q.params[i].name, q.params[i].value);
		allowed[i] = q.params[i].name;
	}
	allowed[q.count] = NULL;
	FUZZ_ASSERT(query_only(&q, allowed, &p) == 0, "'%s'", qs);
	if (q.count > 0) {
		memset(&p, 0, sizeof(p));
		FUZZ_ASSERT(query_only(&q, allowed + 1, &p) == -1, "'%s': "
		    "'%s' allowed", qs, q.params[0].name);
		check_problem(qs, &p, 0);
	}

	if ((again = reencode(&q)) != NULL) {
		memset(&p, 0, sizeof(p));
		FUZZ_ASSERT(query_parse(&q2, again, &p) == 0, "'%s' again as "
		    "'%s': %s", qs, again, p.detail);
		FUZZ_ASSERT(q2.count == q.count, "'%s' again as '%s'", qs,
		    again);
		for (i = 0; i < q.count; i++)
			FUZZ_ASSERT(strcmp(q.params[i].name,
			    q2.params[i].name) == 0 && strcmp(q.params[i].value,
			    q2.params[i].value) == 0, "'%s' again as '%s'", qs,
			    again);
		query_cleanup(&q2);
		free(again);
	}

	query_cleanup(&q);
	free(qs);
	return (0);
}

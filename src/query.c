/*
 * Strict query strings.  Kore's own parameter validators drop what they do
 * not like without a word; here every parameter is decoded and checked, and
 * anything we cannot use is a 400 that names it.
 */

#include <stdlib.h>
#include <string.h>

#include "civic.h"

#define QUERY_LEN_MAX	1024

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Percent-decode s in place ('+' is a space).  -1 on a bad escape or NUL. */
static int
query_decode(char *s)
{
	char	*r, *w;
	int	 hi, lo;

	for (r = w = s; *r != '\0'; r++) {
		if (*r == '+') {
			*w++ = ' ';
		} else if (*r == '%') {
			if ((hi = hexval(r[1])) == -1 || (lo = hexval(r[2])) == -1)
				return (-1);
			if (hi == 0 && lo == 0)
				return (-1);
			*w++ = (char)(hi << 4 | lo);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';

	return (0);
}

/*
 * Parse a raw query string (without the '?') into q.  Empty members
 * ("a=1&&b=2") are skipped; a repeated name, a bad escape or too many
 * parameters fill p and return -1.  q owns a copy of the text: release it
 * with query_cleanup(), which is safe after a failure too.
 */
int
query_parse(struct query *q, const char *qs, struct problem *p)
{
	char	*seg, *next, *eq;
	size_t	 i;

	memset(q, 0, sizeof(*q));
	if (qs == NULL || *qs == '\0')
		return (0);

	if (strlen(qs) > QUERY_LEN_MAX) {
		problem_param(p, "query", "The query string is longer than "
		    "%d bytes.", QUERY_LEN_MAX);
		return (-1);
	}

	if ((q->buf = strdup(qs)) == NULL) {
		problem_set(p, PROBLEM_INTERNAL, "Out of memory.");
		return (-1);
	}

	for (seg = q->buf; seg != NULL; seg = next) {
		if ((next = strchr(seg, '&')) != NULL)
			*next++ = '\0';
		if (*seg == '\0')
			continue;

		if ((eq = strchr(seg, '=')) != NULL)
			*eq++ = '\0';
		else
			eq = seg + strlen(seg);

		if (query_decode(seg) == -1 || *seg == '\0') {
			problem_param(p, "query", "A parameter name is empty "
			    "or badly percent-encoded.");
			return (-1);
		}
		if (query_decode(eq) == -1) {
			problem_param(p, seg, "The value of '%.32s' is badly "
			    "percent-encoded.", seg);
			return (-1);
		}

		for (i = 0; i < q->count; i++) {
			if (strcmp(q->params[i].name, seg) == 0) {
				problem_param(p, seg, "The parameter '%.32s' is "
				    "given more than once.", seg);
				return (-1);
			}
		}

		if (q->count == CIVIC_QUERY_MAX) {
			problem_param(p, seg, "Too many query parameters "
			    "(at most %d).", CIVIC_QUERY_MAX);
			return (-1);
		}

		q->params[q->count].name = seg;
		q->params[q->count].value = eq;
		q->count++;
	}

	return (0);
}

void
query_cleanup(struct query *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

/* The decoded value of name, or NULL if absent.  Borrowed from q. */
const char *
query_get(const struct query *q, const char *name)
{
	size_t	i;

	for (i = 0; i < q->count; i++) {
		if (strcmp(q->params[i].name, name) == 0)
			return (q->params[i].value);
	}
	return (NULL);
}

/* Refuse any parameter not in the NULL-terminated list allowed. */
int
query_only(const struct query *q, const char *const *allowed,
    struct problem *p)
{
	size_t	i, j;

	for (i = 0; i < q->count; i++) {
		for (j = 0; allowed[j] != NULL; j++) {
			if (strcmp(q->params[i].name, allowed[j]) == 0)
				break;
		}
		if (allowed[j] == NULL) {
			problem_param(p, q->params[i].name, "Unknown query "
			    "parameter '%.32s'.", q->params[i].name);
			return (-1);
		}
	}
	return (0);
}

/*
 * A decimal integer between min and max: digits only, no sign, no blanks,
 * no exponent, no leading zero (so that one number has one spelling).  Fills p (naming the parameter) and returns -1 otherwise.
 */
int
query_int(const char *name, const char *value, long min, long max, long *out,
    struct problem *p)
{
	const char	*s;
	long		 v;

	if (value == NULL || *value == '\0' || strlen(value) > 9 ||
	    (value[0] == '0' && value[1] != '\0'))
		goto bad;

	for (v = 0, s = value; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			goto bad;
		v = v * 10 + (*s - '0');
	}

	if (v < min || v > max)
		goto bad;

	*out = v;
	return (0);

bad:
	problem_param(p, name, "'%.32s' must be an integer from %ld to %ld.",
	    name, min, max);
	return (-1);
}

/* Ids are lowercase slugs: [a-z0-9]+(-[a-z0-9]+)*, at most 100 bytes. */
int
slug_valid(const char *s)
{
	size_t	len;
	int	dash;

	len = strlen(s);
	if (len == 0 || len > CIVIC_ID_MAX)
		return (0);

	for (dash = 1; *s != '\0'; s++) {
		if (*s == '-') {
			if (dash)
				return (0);
			dash = 1;
		} else if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')) {
			dash = 0;
		} else {
			return (0);
		}
	}
	return (!dash);
}

/*
 * Percent-encode s for a query string value into out: everything but
 * unreserved characters (RFC 3986) is escaped.  Truncates to fit.
 */
void
query_encode(const char *s, char *out, size_t len)
{
	static const char	hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	size_t			 o;

	if (len == 0)
		return;
	for (o = 0, p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~') {
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

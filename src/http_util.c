/*
 * Header values the service reads (Accept and Origin), and one written into
 * the request log as a JSON string.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "civic.h"

/*
 * The weight an Accept field (RFC 9110, 12.5.1) gives to the media type
 * "type/subtype": that of the most specific range covering it (the type
 * itself, then type/any, then any/any), or -1 when no range covers it.
 * *spec tells which (0, 1, 2; 3 for none).  A range with q=0 refuses.
 */
static double
accept_scan(const char *field, const char *type, int *spec)
{
	const char	*p, *end, *semi, *q, *v, *slash;
	size_t		 len;
	double		 weight, best[3];
	int		 s;
	char		 range[64], family[64];

	*spec = 3;
	if ((slash = strchr(type, '/')) == NULL ||
	    (size_t)(slash - type) + 3 > sizeof(family))
		return (-1.0);
	(void)snprintf(family, sizeof(family), "%.*s/*", (int)(slash - type),
	    type);

	best[0] = best[1] = best[2] = -1.0;
	for (p = field; *p != '\0'; p = (*end == ',') ? end + 1 : end) {
		while (*p == ' ' || *p == '\t')
			p++;
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		semi = memchr(p, ';', (size_t)(end - p));
		len = (size_t)((semi != NULL ? semi : end) - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= sizeof(range))
			continue;
		memcpy(range, p, len);
		range[len] = '\0';

		weight = 1.0;
		for (q = semi; q != NULL && q < end;
		    q = memchr(q + 1, ';', (size_t)(end - q - 1))) {
			for (v = q + 1; *v == ' ' || *v == '\t'; v++)
				;
			if ((v[0] == 'q' || v[0] == 'Q') && v[1] == '=')
				weight = strtod(v + 2, NULL);
		}

		if (!strcasecmp(range, type))
			s = 0;
		else if (!strcasecmp(range, family))
			s = 1;
		else if (!strcmp(range, "*/*"))
			s = 2;
		else
			continue;
		if (weight > best[s])
			best[s] = weight;
	}

	for (s = 0; s < 3; s++) {
		if (best[s] >= 0.0) {
			*spec = s;
			return (best[s]);
		}
	}
	return (-1.0);
}

/* The weight an Accept field gives to type; no field: 1. */
double
accept_weight(const char *field, const char *type)
{
	int	spec;

	if (field == NULL)
		return (1.0);
	return (accept_scan(field, type, &spec));
}

/*
 * Is a JSON representation acceptable under this Accept field?  No field,
 * or an empty one, means anything goes.  application/json and our problem
 * type count alike: the most specific range naming either decides (an
 * explicit application/json;q=0 beats a wildcard).
 */
int
accept_json(const char *field)
{
	const char	*p;
	double		 wj, wp;
	int		 sj, sp;

	if (field == NULL)
		return (1);
	for (p = field; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0')
		return (1);

	wj = accept_scan(field, "application/json", &sj);
	wp = accept_scan(field, "application/problem+json", &sp);
	if (sj != sp)
		return ((sj < sp ? wj : wp) > 0.0);
	return ((wj > wp ? wj : wp) > 0.0);
}

/*
 * Is origin one of the comma separated origins in list?  The comparison is
 * exact, as browsers send the origin serialised; "*" in the list allows any.
 */
int
origin_allowed(const char *list, const char *origin)
{
	const char	*p, *end;
	size_t		 len, olen;

	if (list == NULL || origin == NULL || *origin == '\0')
		return (0);

	olen = strlen(origin);
	for (p = list; *p != '\0'; p = (*end == ',') ? end + 1 : end) {
		while (*p == ' ')
			p++;
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len == 1 && *p == '*')
			return (1);
		if (len == olen && memcmp(p, origin, len) == 0)
			return (1);
	}

	return (0);
}

/*
 * s as a JSON string, its quotes included, into out (len bytes, at least
 * 3): '"' and '\' escaped, control bytes and DEL as \u00XX, other bytes as
 * they are (s must be valid UTF-8: utf8_clean).  What does not fit is cut
 * before the escape or the UTF-8 sequence that would not fit, never inside
 * one.  NULL gives null (when it fits).  Returns the length written, the
 * NUL not counted.
 */
size_t
json_quote(const char *s, char *out, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p;
	size_t			 o, n;

	if (len < 3) {
		if (len > 0)
			out[0] = '\0';
		return (0);
	}
	if (s == NULL) {
		(void)snprintf(out, len, "%s", len > 4 ? "null" : "\"\"");
		return (strlen(out));
	}
	o = 0;
	out[o++] = '"';
	for (p = (const unsigned char *)s; *p != '\0'; p += n) {
		if (*p == '"' || *p == '\\')
			n = 2;
		else if (*p < 0x20 || *p == 0x7f)
			n = 6;
		else if (*p >= 0xf0)
			n = 4;
		else if (*p >= 0xe0)
			n = 3;
		else if (*p >= 0xc0)
			n = 2;
		else
			n = 1;
		/* A sequence cut short by its NUL: its bytes one by one. */
		if (n > 1 && n < 6 && *p >= 0xc0 && memchr(p, '\0', n) != NULL)
			n = 1;
		if (o + n + 2 > len)
			break;
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*p;
			n = 1;
		} else if (n == 6) {
			out[o++] = '\\';
			out[o++] = 'u';
			out[o++] = '0';
			out[o++] = '0';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 0xf];
			n = 1;
		} else {
			memcpy(out + o, p, n);
			o += n;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return (o);
}

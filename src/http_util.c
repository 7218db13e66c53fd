/*
 * Header values the service reads: Accept and Origin.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "civic.h"

/*
 * Is a JSON representation acceptable under this Accept field (RFC 9110,
 * 12.5.1)?  No field, or an empty one, means anything goes.  The most
 * specific range that covers application/json decides: application/json
 * (or our problem type) before application/any, before any/any; a weight of 0
 * refuses.
 */
int
accept_json(const char *field)
{
	const char	*p, *end, *semi, *q, *v;
	size_t		 len;
	double		 weight, best[3];
	int		 spec;
	char		 range[64];

	if (field == NULL)
		return (1);

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

		if (!strcasecmp(range, "application/json") ||
		    !strcasecmp(range, "application/problem+json"))
			spec = 0;
		else if (!strcasecmp(range, "application/*"))
			spec = 1;
		else if (!strcasecmp(range, "*/*"))
			spec = 2;
		else
			continue;
		if (weight > best[spec])
			best[spec] = weight;
	}

	for (spec = 0; spec < 3; spec++) {
		if (best[spec] >= 0.0)
			return (best[spec] > 0.0);
	}
	/* Only other types were named; an empty field names none. */
	for (p = field; *p == ' ' || *p == '\t'; p++)
		;
	return (*p == '\0');
}

/*
 * The weight an Accept field gives to the media type "type/subtype": that
 * of the most specific range covering it (the type itself, then type/any,
 * then any/any), or -1 when no range covers it.  No field: 1.
 */
double
accept_weight(const char *field, const char *type)
{
	const char	*p, *end, *semi, *q, *v, *slash;
	size_t		 len;
	double		 weight, best[3];
	int		 spec;
	char		 range[64], family[64];

	if (field == NULL)
		return (1.0);
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
			spec = 0;
		else if (!strcasecmp(range, family))
			spec = 1;
		else if (!strcmp(range, "*/*"))
			spec = 2;
		else
			continue;
		if (weight > best[spec])
			best[spec] = weight;
	}

	for (spec = 0; spec < 3; spec++) {
		if (best[spec] >= 0.0)
			return (best[spec]);
	}
	return (-1.0);
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

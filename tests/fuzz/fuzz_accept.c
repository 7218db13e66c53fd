/*
 * Accept and Origin (src/http_util.c).
 *
 * accept_json() says 0 or 1: 1 for no field or a blank one; otherwise 1
 * only when some range covers JSON ("json" or a "*" is in the field), 1
 * whenever both JSON types have a positive weight and 0 whenever neither
 * has; the field's case does not matter.  accept_weight() is -1 (not
 * covered) or a weight of at least 0, never NaN.  origin_allowed() takes
 * an origin only when it is exactly one of the list, or the list has "*".
 */

#include <ctype.h>
#include <math.h>

#include "civic.h"
#include "fuzz.h"

static const char *const types[] = { "application/json",
    "application/problem+json", "text/csv", NULL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 list[] = "https://city.example, "
				    "http://127.0.0.1:8080,https://b.example";
	char			*field, *upper;
	const char		*p;
	double			 w[3];
	size_t			 i;
	int			 a, blank;

	field = fuzz_cstr(data, size);
	for (p = field; *p == ' ' || *p == '\t'; p++)
		;
	blank = *p == '\0';

	a = accept_json(field);
	FUZZ_ASSERT(a == 0 || a == 1, "'%s': %d", field, a);
	for (i = 0; types[i] != NULL; i++) {
		w[i] = accept_weight(field, types[i]);
		FUZZ_ASSERT(!isnan(w[i]) && (w[i] == -1.0 || w[i] >= 0.0),
		    "'%s': %s weighs %g", field, types[i], w[i]);
	}
	if (blank)
		FUZZ_ASSERT(a == 1, "blank '%s' refused", field);
	else if (a == 1)
		FUZZ_ASSERT(strcasestr(field, "json") != NULL ||
		    strchr(field, '*') != NULL, "'%s' taken for JSON", field);
	if (!blank && w[0] > 0.0 && w[1] > 0.0)
		FUZZ_ASSERT(a == 1, "'%s': both weigh more than 0, refused",
		    field);
	if (!blank && w[0] <= 0.0 && w[1] <= 0.0)
		FUZZ_ASSERT(a == 0, "'%s': neither weighs more than 0, taken",
		    field);

	if ((upper = strdup(field)) == NULL)
		abort();
	for (i = 0; upper[i] != '\0'; i++)
		upper[i] = (char)toupper((unsigned char)upper[i]);
	FUZZ_ASSERT(accept_json(upper) == a, "'%s' and '%s' differ", field,
	    upper);
	free(upper);

	/* Origin, against a configured list, and the field as a list. */
	a = origin_allowed(list, field);
	FUZZ_ASSERT(a == (strcmp(field, "https://city.example") == 0 ||
	    strcmp(field, "http://127.0.0.1:8080") == 0 ||
	    strcmp(field, "https://b.example") == 0), "origin '%s': %d",
	    field, a);
	if (origin_allowed(field, "https://city.example"))
		FUZZ_ASSERT(strstr(field, "https://city.example") != NULL ||
		    strchr(field, '*') != NULL, "list '%s'", field);
	FUZZ_ASSERT(origin_allowed(field, "") == 0, "empty origin");

	free(field);
	return (0);
}

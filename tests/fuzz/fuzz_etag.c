/*
 * If-Match and If-None-Match (src/etag.c).
 *
 * etag_if_match() either refuses the field or gives "*" or a list of the
 * strong tags in it that ours could be ("\"[A-Za-z0-9_-]*\"", joined by
 * commas), never more than the buffer holds; every tag it gives, and any
 * tag when it gives "*", makes etag_none_match() on the same field match
 * (a strong tag matches under the weak comparison too).  A list of only
 * tags ours never are gives an empty list, which nothing matches.
 * etag_none_match() says 0 or 1, and a well-formed list with our tag
 * appended always matches our tag.
 */

#include "civic.h"
#include "fuzz.h"

#define BIG	1024	/* more than any If-Match buffer (512) */

static void
check_list(const char *field, const char *out, size_t outlen)
{
	const char	*p, *start;
	char		 tag[1100];
	size_t		 len;

	FUZZ_ASSERT(strlen(out) < outlen, "'%s': '%s' in %zu bytes", field,
	    out, outlen);
	if (strcmp(out, "*") == 0) {
		FUZZ_ASSERT(etag_none_match(field, "\"0123456789abcdef\"") == 1,
		    "'%s' is * for If-Match, not for If-None-Match", field);
		return;
	}
	if (*out == '\0') {	/* only weak tags, or tags ours never are */
		for (p = field; *p == ' ' || *p == '\t'; p++)
			;
		FUZZ_ASSERT(*p != '*', "'%s' read as no tag at all", field);
		return;
	}
	for (p = out;; p++) {
		start = p;
		FUZZ_ASSERT(*p == '"', "'%s': '%s'", field, out);
		for (p++; (*p >= '0' && *p <= '9') || (*p >= 'a' &&
		    *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '-' ||
		    *p == '_'; p++)
			;
		FUZZ_ASSERT(*p == '"', "'%s': '%s'", field, out);
		p++;
		len = (size_t)(p - start);
		FUZZ_ASSERT(len < sizeof(tag), "'%s': '%s'", field, out);
		memcpy(tag, start, len);
		tag[len] = '\0';
		FUZZ_ASSERT(etag_none_match(field, tag) == 1, "'%s': If-Match "
		    "gives %s, If-None-Match does not match it", field, tag);
		if (*p == '\0')
			break;
		FUZZ_ASSERT(*p == ',', "'%s': '%s'", field, out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t	 lens[] = { 1, 2, 19, 41, 512 };
	char			*field, *out, *big, *both;
	char			 ours[CIVIC_ETAG_LEN];
	size_t			 i, n;
	int			 r, m, ok;

	field = fuzz_cstr(data, size);
	etag_compute(data, size, ours);
	FUZZ_ASSERT(strlen(ours) == 18, "tag %s", ours);

	m = etag_none_match(field, ours);
	FUZZ_ASSERT(m == 0 || m == 1, "'%s': %d", field, m);
	FUZZ_ASSERT(etag_none_match(NULL, ours) == 0, "no field");
	FUZZ_ASSERT(etag_none_match(field, NULL) == 0, "no tag");

	/*
	 * In the largest buffer the server has, then in smaller ones, each
	 * exactly as long as it says so that an overrun shows: a smaller
	 * one gives the same list, or -1 when the list does not fit.
	 */
	if ((big = malloc(BIG)) == NULL)
		abort();
	r = etag_if_match(field, big, BIG);
	FUZZ_ASSERT(r == 0 || r == -1, "'%s': %d", field, r);
	if (r == 0)
		check_list(field, big, BIG);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		if ((out = malloc(lens[i])) == NULL)
			abort();
		if (etag_if_match(field, out, lens[i]) == 0)
			FUZZ_ASSERT(r == 0 && strcmp(out, big) == 0, "'%s': "
			    "'%s' in %zu bytes", field, out, lens[i]);
		free(out);
	}
	ok = r == 0 && strcmp(big, "*") != 0;
	free(big);

	/* A list If-Match reads is one If-None-Match reads, ours added. */
	if (ok) {
		n = strlen(field) + 2 + strlen(ours) + 1;
		if ((both = malloc(n)) == NULL)
			abort();
		(void)snprintf(both, n, "%s,%s", field, ours);
		FUZZ_ASSERT(etag_none_match(both, ours) == 1, "'%s' does not "
		    "match %s", both, ours);
		free(both);
	}

	free(field);
	return (0);
}

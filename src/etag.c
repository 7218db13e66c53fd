/*
 * Strong entity tags and the If-None-Match precondition (RFC 9110, 13.1.2).
 *
 * A tag is the 64-bit FNV-1a hash of the representation's bytes, so every
 * worker that holds the same bytes gives the same tag.
 */

#include <stdio.h>
#include <string.h>

#include "civic.h"

void
etag_compute(const void *data, size_t len, char out[CIVIC_ETAG_LEN])
{
	const unsigned char	*p = data;
	uint64_t		 h = 0xcbf29ce484222325ULL;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}

	(void)snprintf(out, CIVIC_ETAG_LEN, "\"%016llx\"",
	    (unsigned long long)h);
}

/*
 * Does an If-None-Match field value match our tag?  The field is "*" or a
 * comma separated list of entity tags; the comparison is the weak one, so
 * W/"x" matches "x".  A malformed member never matches.  Returns 1 when the
 * precondition fails (the client's copy is current: answer 304), else 0.
 */
int
etag_none_match(const char *field, const char *etag)
{
	const char	*p, *start;
	size_t		 taglen, len;
	int		 match;

	if (field == NULL || etag == NULL)
		return (0);

	p = field;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '*') {
		for (p++; *p == ' ' || *p == '\t'; p++)
			;
		return (*p == '\0');
	}

	taglen = strlen(etag);
	match = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return (match);

		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p != '"')
			return (0);

		start = p++;
		while (*p != '\0' && *p != '"')
			p++;
		if (*p != '"')
			return (0);
		p++;
		len = (size_t)(p - start);

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ',' && *p != '\0')
			return (0);

		if (len == taglen && memcmp(start, etag, len) == 0)
			match = 1;
	}
}

/*
 * Read an If-Match field value (RFC 9110, 13.1.1) for the database, which
 * compares it with the item's current tag: "*", or the strong tags listed,
 * quoted and joined by commas.  Weak tags never match (If-Match compares
 * strongly), nor can a tag with characters ours never have: both are left
 * out, so a list of only such tags fails the precondition.  Returns 0, or
 * -1 when the field is not "*" or a list of entity tags, or lists more
 * than outlen holds.
 */
int
etag_if_match(const char *field, char *out, size_t outlen)
{
	const char	*p, *start;
	size_t		 len, used;
	int		 weak, ours, n;

	if (outlen == 0)
		return (-1);
	out[0] = '\0';

	p = field;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '*') {
		for (p++; *p == ' ' || *p == '\t'; p++)
			;
		if (*p != '\0' || outlen < 2)
			return (-1);	/* or "*" would be cut to "" */
		(void)snprintf(out, outlen, "*");
		return (0);
	}

	used = 0;
	for (n = 0;; n++) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return (n == 0 ? -1 : 0);

		weak = p[0] == 'W' && p[1] == '/';
		if (weak)
			p += 2;
		if (*p != '"')
			return (-1);

		start = p++;
		ours = 1;
		while (*p != '\0' && *p != '"') {
			if ((unsigned char)*p < 0x21 || *p == 0x7f)
				return (-1);
			if (!(*p >= '0' && *p <= '9') &&
			    !(*p >= 'a' && *p <= 'z') &&
			    !(*p >= 'A' && *p <= 'Z') && *p != '-' && *p != '_')
				ours = 0;
			p++;
		}
		if (*p != '"')
			return (-1);
		p++;
		len = (size_t)(p - start);

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ',' && *p != '\0')
			return (-1);

		if (weak || !ours)
			continue;
		if (used + len + 2 > outlen)
			return (-1);	/* more tags than we compare */
		if (used > 0)
			out[used++] = ',';
		memcpy(out + used, start, len);
		used += len;
		out[used] = '\0';
	}
}

/*
 * Opaque pagination cursors.
 *
 * A cursor carries the sort key of the last item a page showed, and a check
 * value computed over that key and the collection it belongs to (its path
 * and filter): a cursor edited by hand or taken to another collection is
 * refused instead of silently giving another page.  On the wire it is the
 * base64url (no padding) of 8 key bytes and 4 check bytes: 16 characters.
 * The check is a guard against mistakes, not a secret.
 */

#include <string.h>

#include "civic.h"

#define CURSOR_RAW	12
#define CURSOR_LEN	16

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static uint32_t
fnv32(uint32_t h, const void *data, size_t len)
{
	const unsigned char	*p = data;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619U;
	}
	return (h);
}

/* The scope of a collection: its path, and its filter if any. */
uint32_t
cursor_scope(const char *path, const char *filter)
{
	uint32_t	h;

	h = fnv32(2166136261U, path, strlen(path) + 1);
	if (filter != NULL)
		h = fnv32(h, filter, strlen(filter));
	return (h);
}

static void
cursor_raw(int64_t key, uint32_t scope, unsigned char raw[CURSOR_RAW])
{
	uint64_t	k = (uint64_t)key;
	uint32_t	check;
	int		i;

	for (i = 0; i < 8; i++)
		raw[i] = (unsigned char)(k >> (56 - 8 * i));

	check = fnv32(scope, raw, 8);
	for (i = 0; i < 4; i++)
		raw[8 + i] = (unsigned char)(check >> (24 - 8 * i));
}

/* Write the cursor for key in scope into out (at least 17 bytes). */
int
cursor_encode(int64_t key, uint32_t scope, char *out, size_t outlen)
{
	unsigned char	raw[CURSOR_RAW];
	uint32_t	v;
	size_t		i, o;

	if (outlen < CURSOR_LEN + 1)
		return (-1);

	cursor_raw(key, scope, raw);

	for (i = 0, o = 0; i < CURSOR_RAW; i += 3) {
		v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 |
		    raw[i + 2];
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	out[o] = '\0';

	return (0);
}

static int
b64url_value(char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(b64url, c)) == NULL)
		return (-1);
	return ((int)(p - b64url));
}

/*
 * Read a cursor given for the collection of this scope.  Returns 0 and the
 * key in *key, or -1 when the text is not a cursor of this collection.
 */
int
cursor_decode(const char *text, uint32_t scope, int64_t *key)
{
	unsigned char	raw[CURSOR_RAW], want[CURSOR_RAW];
	uint64_t	k;
	uint32_t	v;
	size_t		i, o;
	int		c, j;

	if (text == NULL || strlen(text) != CURSOR_LEN)
		return (-1);

	for (i = 0, o = 0; i < CURSOR_LEN; i += 4) {
		v = 0;
		for (j = 0; j < 4; j++) {
			if ((c = b64url_value(text[i + j])) == -1)
				return (-1);
			v = v << 6 | (uint32_t)c;
		}
		raw[o++] = (unsigned char)(v >> 16);
		raw[o++] = (unsigned char)(v >> 8);
		raw[o++] = (unsigned char)v;
	}

	for (k = 0, i = 0; i < 8; i++)
		k = k << 8 | raw[i];

	cursor_raw((int64_t)k, scope, want);
	if (memcmp(raw, want, CURSOR_RAW) != 0)
		return (-1);

	*key = (int64_t)k;
	return (0);
}

/*
 * Opaque pagination cursors.
 *
 * A cursor carries the sort key of the last item a page showed, and a check
 * value computed over that key and the collection it belongs to (its path
 * and filter): a cursor edited by hand or taken to another collection is
 * refused instead of silently giving another page.  On the wire it is the
 * base64url (no padding) of 8 bytes per key and 4 check bytes: 16
 * characters for one key, 28 for two.
 * The check is a guard against mistakes, not a secret.
 */

#include <string.h>

#include "civic.h"

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

#define CURSOR_KEYS_MAX	2

/* The raw bytes of a cursor: the keys, then the check; padded to 3s. */
static size_t
cursor_raw(const int64_t *keys, size_t n, uint32_t scope,
    unsigned char *raw)
{
	uint64_t	k;
	uint32_t	check;
	size_t		i, j, len;

	for (j = 0; j < n; j++) {
		k = (uint64_t)keys[j];
		for (i = 0; i < 8; i++)
			raw[8 * j + i] = (unsigned char)(k >> (56 - 8 * i));
	}

	check = fnv32(scope, raw, 8 * n);
	for (i = 0; i < 4; i++)
		raw[8 * n + i] = (unsigned char)(check >> (24 - 8 * i));

	len = 8 * n + 4;
	while (len % 3 != 0)
		raw[len++] = 0;
	return (len);
}

/*
 * Write the cursor for n keys (1 or 2) in scope into out: 16 characters
 * for one key, 28 for two.
 */
int
cursor_encode_keys(const int64_t *keys, size_t n, uint32_t scope, char *out,
    size_t outlen)
{
	unsigned char	raw[8 * CURSOR_KEYS_MAX + 6];
	uint32_t	v;
	size_t		i, o, len;

	if (n < 1 || n > CURSOR_KEYS_MAX)
		return (-1);
	len = cursor_raw(keys, n, scope, raw);
	if (outlen < len / 3 * 4 + 1)
		return (-1);

	for (i = 0, o = 0; i < len; i += 3) {
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

int
cursor_encode(int64_t key, uint32_t scope, char *out, size_t outlen)
{
	return (cursor_encode_keys(&key, 1, scope, out, outlen));
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
 * Read a cursor of n keys given for the collection of this scope.  Returns
 * 0 and the keys, or -1 when the text is not such a cursor.
 */
int
cursor_decode_keys(const char *text, size_t n, uint32_t scope, int64_t *keys)
{
	unsigned char	raw[8 * CURSOR_KEYS_MAX + 6];
	unsigned char	want[8 * CURSOR_KEYS_MAX + 6];
	int64_t		got[CURSOR_KEYS_MAX];
	uint64_t	k;
	uint32_t	v;
	size_t		i, o, len, textlen;
	int		c, j;

	if (n < 1 || n > CURSOR_KEYS_MAX || text == NULL)
		return (-1);
	len = 8 * n + 4;
	while (len % 3 != 0)
		len++;
	textlen = len / 3 * 4;
	if (strlen(text) != textlen)
		return (-1);

	for (i = 0, o = 0; i < textlen; i += 4) {
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

	for (j = 0; j < (int)n; j++) {
		for (k = 0, i = 0; i < 8; i++)
			k = k << 8 | raw[8 * j + i];
		got[j] = (int64_t)k;
	}

	(void)cursor_raw(got, n, scope, want);
	if (memcmp(raw, want, len) != 0)
		return (-1);
	memcpy(keys, got, n * sizeof(*keys));
	return (0);
}

int
cursor_decode(const char *text, uint32_t scope, int64_t *key)
{
	return (cursor_decode_keys(text, 1, scope, key));
}

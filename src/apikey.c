/*
 * API keys.  A key is "cpk_" followed by 43 base64url characters (32 random
 * bytes): long, random, recognisable in a leak scanner's eyes by its prefix.
 * The service stores and compares only its SHA-256; the key itself is
 * shown once, when it is made, and never logged.
 */

#include <sys/random.h>

#include <string.h>
#include <strings.h>

#include <openssl/sha.h>

#include "civic.h"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
random_fill(unsigned char *buf, size_t len)
{
	ssize_t	n;
	size_t	off;

	for (off = 0; off < len; off += (size_t)n) {
		if ((n = getrandom(buf + off, len - off, 0)) <= 0)
			return (-1);
	}
	return (0);
}

/*
 * Make a new key: its text into key (APIKEY_LEN + 1 bytes), its public id
 * ("key_" and 16 hex digits) into id (APIKEY_ID_LEN + 1 bytes).
 */
int
apikey_generate(char key[APIKEY_LEN + 1], char id[APIKEY_ID_LEN + 1])
{
	unsigned char	raw[33], idraw[8];
	size_t		i, o;
	uint32_t	v;
	static const char hex[] = "0123456789abcdef";

	if (random_fill(raw, 32) == -1 || random_fill(idraw, 8) == -1)
		return (-1);
	raw[32] = 0;

	memcpy(key, APIKEY_PREFIX, sizeof(APIKEY_PREFIX) - 1);
	o = sizeof(APIKEY_PREFIX) - 1;
	for (i = 0; i < 33; i += 3) {
		v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 |
		    raw[i + 2];
		key[o++] = b64url[(v >> 18) & 63];
		key[o++] = b64url[(v >> 12) & 63];
		key[o++] = b64url[(v >> 6) & 63];
		key[o++] = b64url[v & 63];
	}
	/* 33 bytes give 44 characters; the last carries only padding. */
	key[APIKEY_LEN] = '\0';

	memcpy(id, "key_", 4);
	for (i = 0; i < 8; i++) {
		id[4 + 2 * i] = hex[idraw[i] >> 4];
		id[5 + 2 * i] = hex[idraw[i] & 15];
	}
	id[APIKEY_ID_LEN] = '\0';

	explicit_bzero(raw, sizeof(raw));
	return (0);
}

/* Is text shaped like one of our keys? */
int
apikey_valid(const char *text)
{
	size_t	i, plen;

	plen = sizeof(APIKEY_PREFIX) - 1;
	if (strlen(text) != APIKEY_LEN || strncmp(text, APIKEY_PREFIX, plen))
		return (0);
	for (i = plen; i < APIKEY_LEN; i++) {
		if (strchr(b64url, text[i]) == NULL || text[i] == '\0')
			return (0);
	}
	return (1);
}

/*
 * The key in an Authorization field: "Bearer <key>" (the scheme is case
 * insensitive).  Returns a pointer into field, or NULL when the field is
 * not a bearer credential shaped like our keys.
 */
const char *
apikey_from_header(const char *field)
{
	const char	*p;

	if (field == NULL || strncasecmp(field, "bearer ", 7) != 0)
		return (NULL);
	for (p = field + 7; *p == ' '; p++)
		;
	return (apikey_valid(p) ? p : NULL);
}

void
apikey_hash(const char *key, unsigned char out[APIKEY_HASH_LEN])
{
	SHA256((const unsigned char *)key, strlen(key), out);
}

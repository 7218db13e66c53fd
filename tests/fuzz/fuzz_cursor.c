/*
 * Pagination cursors (src/cursor.c), both decoders.
 *
 * The first byte chooses what the rest is.  Even: a cursor as a client
 * sends it, read for one of the real collections with one key
 * (cursor_decode) and with two (cursor_decode_keys); a cursor read is the
 * one spelling of its keys (encoding them gives the text back), and it is
 * refused for any other scope.  Odd: keys and a scope, encoded; the text
 * is 16 or 28 base64url characters, decodes back to the keys, and is
 * refused for another number of keys or another scope.
 */

#include "civic.h"
#include "fuzz.h"

static const char *const collections[][2] = {
	{ "/v1/plans", NULL },
	{ "/v1/plans/independence-2021/objectives", "customer-focused" },
	{ "/v1/surveys/community-survey-2020-21/responses", "" },
	{ "/v1/surveys/community-survey-2020-21/responses", "status=counted" },
};
#define NCOLLECTIONS	(sizeof(collections) / sizeof(collections[0]))

static uint32_t	scopes[NCOLLECTIONS];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t	i;

	(void)argc;
	(void)argv;
	for (i = 0; i < NCOLLECTIONS; i++)
		scopes[i] = cursor_scope(collections[i][0], collections[i][1]);
	return (0);
}

static int
b64url(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_');
}

/* A cursor text read as n keys in scope: check what must follow. */
static void
check_read(const char *text, size_t n, uint32_t scope, const int64_t *keys)
{
	char	again[40];
	int64_t	other[2];

	FUZZ_ASSERT(cursor_encode_keys(keys, n, scope, again,
	    sizeof(again)) == 0, "'%s'", text);
	FUZZ_ASSERT(strcmp(again, text) == 0, "'%s' read as %zu keys, "
	    "written back as '%s'", text, n, again);
	FUZZ_ASSERT(cursor_decode_keys(text, n, scope + 1, other) == -1,
	    "'%s' read in another scope", text);
}

static void
decode_text(const uint8_t *data, size_t size, uint32_t scope)
{
	char	*text;
	int64_t	 k1, k1b, k2[2];
	int	 r1, r1b, r2;

	text = fuzz_cstr(data, size);

	k1 = k1b = 0;
	r1 = cursor_decode(text, scope, &k1);
	r1b = cursor_decode_keys(text, 1, scope, &k1b);
	FUZZ_ASSERT(r1 == r1b && k1 == k1b, "'%s': the decoders differ",
	    text);
	if (r1 == 0) {
		FUZZ_ASSERT(strlen(text) == 16, "'%s' read as one key", text);
		check_read(text, 1, scope, &k1);
	} else {
		FUZZ_ASSERT(r1 == -1, "'%s': %d", text, r1);
	}

	r2 = cursor_decode_keys(text, 2, scope, k2);
	if (r2 == 0) {
		FUZZ_ASSERT(strlen(text) == 28, "'%s' read as two keys", text);
		check_read(text, 2, scope, k2);
	} else {
		FUZZ_ASSERT(r2 == -1, "'%s': %d", text, r2);
	}

	FUZZ_ASSERT(cursor_decode_keys(text, 0, scope, k2) == -1, "0 keys");
	FUZZ_ASSERT(cursor_decode_keys(text, 3, scope, k2) == -1, "3 keys");
	FUZZ_ASSERT(cursor_decode_keys(NULL, 1, scope, k2) == -1, "NULL");

	free(text);
}

static void
encode_keys(const uint8_t *data, size_t size, size_t n)
{
	unsigned char	 raw[20];
	char		*text, small[16];
	int64_t		 keys[2], got[2];
	uint64_t	 k;
	uint32_t	 scope;
	size_t		 i, j, len;

	memset(raw, 0, sizeof(raw));
	memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
	for (j = 0; j < 2; j++) {
		for (k = 0, i = 0; i < 8; i++)
			k = k << 8 | raw[8 * j + i];
		keys[j] = (int64_t)k;
	}
	scope = (uint32_t)raw[16] << 24 | (uint32_t)raw[17] << 16 |
	    (uint32_t)raw[18] << 8 | raw[19];

	/* Exactly the room it needs, so that an overrun shows. */
	len = n == 1 ? 16 : 28;
	if ((text = malloc(len + 1)) == NULL)
		abort();
	FUZZ_ASSERT(cursor_encode_keys(keys, n, scope, small,
	    sizeof(small)) == -1, "%zu keys in 16 bytes", n);
	FUZZ_ASSERT(cursor_encode_keys(keys, n, scope, text, len + 1) == 0,
	    "%zu keys", n);
	FUZZ_ASSERT(strlen(text) == len, "'%s' for %zu keys", text, n);
	for (i = 0; i < len; i++)
		FUZZ_ASSERT(b64url(text[i]), "'%s'", text);

	memset(got, 0, sizeof(got));
	FUZZ_ASSERT(cursor_decode_keys(text, n, scope, got) == 0,
	    "'%s' refused in its own scope", text);
	for (j = 0; j < n; j++)
		FUZZ_ASSERT(got[j] == keys[j], "'%s': key %zu is %lld, was "
		    "%lld", text, j, (long long)got[j], (long long)keys[j]);
	FUZZ_ASSERT(cursor_decode_keys(text, 3 - n, scope, got) == -1,
	    "'%s' read as %zu keys", text, 3 - n);
	FUZZ_ASSERT(cursor_decode_keys(text, n, scope ^ 0x80000000U, got) ==
	    -1, "'%s' read in another scope", text);
	if (n == 1) {
		FUZZ_ASSERT(cursor_decode(text, scope, &got[0]) == 0 &&
		    got[0] == keys[0], "'%s' by cursor_decode", text);
		FUZZ_ASSERT(cursor_encode(keys[0], scope, small,
		    sizeof(small)) == -1, "one key in 16 bytes");
	}
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return (0);
	if ((data[0] & 1) == 0)
		decode_text(data + 1, size - 1,
		    scopes[(data[0] >> 1) % NCOLLECTIONS]);
	else
		encode_keys(data + 1, size - 1, 1 + ((data[0] >> 1) & 1));
	return (0);
}

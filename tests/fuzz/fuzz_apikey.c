/*
 * API key shapes (src/apikey.c): apikey_valid() accepts exactly "cpk_" and
 * 43 base64url characters; apikey_from_header() returns the key of a
 * "Bearer <key>" field (any case, any number of spaces), a pointer into
 * the field itself, and NULL for anything else.
 */

#include <strings.h>

#include "civic.h"
#include "fuzz.h"

static int
key_shaped(const char *s)
{
	size_t	i;

	if (strlen(s) != APIKEY_LEN || strncmp(s, "cpk_", 4) != 0)
		return (0);
	for (i = 4; i < APIKEY_LEN; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_'))
			return (0);
	}
	return (1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*field;
	const char	*key, *want, *p;
	unsigned char	 h1[APIKEY_HASH_LEN], h2[APIKEY_HASH_LEN];

	field = fuzz_cstr(data, size);

	FUZZ_ASSERT(apikey_valid(field) == key_shaped(field), "'%s'", field);

	want = NULL;
	if (strncasecmp(field, "bearer ", 7) == 0) {
		for (p = field + 7; *p == ' '; p++)
			;
		if (key_shaped(p))
			want = p;
	}
	key = apikey_from_header(field);
	FUZZ_ASSERT(key == want, "'%s': got %p, want %p", field,
	    (const void *)key, (const void *)want);

	if (key != NULL) {
		apikey_hash(key, h1);
		apikey_hash(key, h2);
		FUZZ_ASSERT(memcmp(h1, h2, sizeof(h1)) == 0, "hash of '%s'",
		    key);
	}

	free(field);
	return (0);
}

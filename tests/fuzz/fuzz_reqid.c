/*
 * X-Request-Id (src/reqid.c): reqid_valid() accepts exactly the ids of 1
 * to CIVIC_REQID_MAX bytes of [A-Za-z0-9._:-], the only ones echoed into
 * headers and logs; and every generated id is one it accepts.
 */

#include "civic.h"
#include "fuzz.h"

static int
reqid_char(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == ':');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*id, gen[33];
	size_t		 i, len;
	uint64_t	 state;
	int		 want;

	id = fuzz_cstr(data, size);
	len = strlen(id);
	want = len >= 1 && len <= CIVIC_REQID_MAX;
	for (i = 0; i < len && want; i++)
		want = reqid_char((unsigned char)id[i]);
	FUZZ_ASSERT(reqid_valid(id) == want, "'%s' (%zu bytes)", id, len);

	/* A generator seeded with the input's first bytes. */
	state = 0;
	memcpy(&state, data, size < sizeof(state) ? size : sizeof(state));
	reqid_generate(&state, gen);
	FUZZ_ASSERT(strlen(gen) == 32, "generated '%s'", gen);
	for (i = 0; i < 32; i++)
		FUZZ_ASSERT((gen[i] >= '0' && gen[i] <= '9') ||
		    (gen[i] >= 'a' && gen[i] <= 'f'), "generated '%s'", gen);
	FUZZ_ASSERT(reqid_valid(gen), "generated '%s' refused", gen);

	free(id);
	return (0);
}

/*
 * Request ids.  A client's own id is echoed when it is sane; otherwise the
 * worker makes one from its generator (splitmix64, seeded per worker from
 * the kernel): unique enough to find a request in the logs, not a secret.
 */

#include <stdio.h>
#include <string.h>

#include "civic.h"

int
reqid_valid(const char *id)
{
	size_t	len;

	len = strlen(id);
	if (len == 0 || len > CIVIC_REQID_MAX)
		return (0);

	for (; *id != '\0'; id++) {
		if ((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z') ||
		    (*id >= '0' && *id <= '9') || *id == '-' || *id == '_' ||
		    *id == '.' || *id == ':')
			continue;
		return (0);
	}
	return (1);
}

static uint64_t
splitmix64(uint64_t *state)
{
	uint64_t	z;

	z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

void
reqid_generate(uint64_t *state, char out[33])
{
	uint64_t	a, b;

	a = splitmix64(state);
	b = splitmix64(state);
	(void)snprintf(out, 33, "%016llx%016llx", (unsigned long long)a,
	    (unsigned long long)b);
}

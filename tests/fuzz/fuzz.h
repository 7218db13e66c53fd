/*
 * What every libFuzzer harness shares.  A harness calls the pure code on
 * the bytes it is given and checks the invariants the code documents; a
 * broken invariant aborts, and libFuzzer keeps the input that broke it.
 */

#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

#define FUZZ_ASSERT(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "invariant failed: %s (%s:%d): ",	\
		    #cond, __FILE__, __LINE__);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/*
 * The input as a C string, in a buffer of exactly its length and the NUL,
 * so that AddressSanitizer sees a read past the terminator.  A NUL inside
 * the input ends the string there, as it would for a header value.  The
 * caller frees it.
 */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return (s);
}

#endif /* !FUZZ_H */

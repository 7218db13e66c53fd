/*
 * reqid.c: request ids, echoed when sane, else generated.
 */

#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "civic.h"

static const struct {
	const char	*id;
	int		 ok;
} reqid_rows[] = {
	{ "a",						1 },
	{ "0",						1 },
	{ "abc-123",					1 },
	{ "ABC_def.ghi:jkl-0",				1 },
	{ "0123456789abcdef0123456789abcdef",		1 },
	{ "550e8400-e29b-41d4-a716-446655440000",	1 },
	{ "trace:span.1",				1 },
	{ "",						0 },
	{ " ",						0 },
	{ "a b",					0 },
	{ " a",						0 },
	{ "a ",						0 },
	{ "a\tb",					0 },
	{ "a\nb",					0 },
	{ "a\r\nX-Injected: 1",				0 },
	{ "a/b",					0 },
	{ "/",						0 },
	{ "a\\b",					0 },
	{ "a\"b",					0 },
	{ "a'b",					0 },
	{ "a<b>",					0 },
	{ "a,b",					0 },
	{ "a;b",					0 },
	{ "a=b",					0 },
	{ "a+b",					0 },
	{ "a%20b",					0 },
	{ "r\xc3\xa9q",					0 },	/* unicode */
	{ "\xe2\x80\x8b",				0 },	/* zero width space */
	{ "\x7f",					0 },
};

Test(reqid, valid_table)
{
	size_t	i;

	for (i = 0; i < sizeof(reqid_rows) / sizeof(reqid_rows[0]); i++)
		cr_assert_eq(reqid_valid(reqid_rows[i].id), reqid_rows[i].ok,
		    "row %zu: '%s'", i, reqid_rows[i].id);
}

Test(reqid, id_of_128_chars_is_valid)
{
	char	id[CIVIC_REQID_MAX + 1];

	memset(id, 'x', CIVIC_REQID_MAX);
	id[CIVIC_REQID_MAX] = '\0';
	cr_assert_eq(reqid_valid(id), 1);
}

Test(reqid, id_of_129_chars_is_refused)
{
	char	id[CIVIC_REQID_MAX + 2];

	memset(id, 'x', CIVIC_REQID_MAX + 1);
	id[CIVIC_REQID_MAX + 1] = '\0';
	cr_assert_eq(reqid_valid(id), 0);
}

Test(reqid, generate_gives_32_lowercase_hex)
{
	uint64_t	state = 42;
	char		id[33];
	size_t		i;

	memset(id, 'X', sizeof(id));
	reqid_generate(&state, id);
	cr_assert_eq(strlen(id), 32);
	for (i = 0; i < 32; i++)
		cr_assert(strchr("0123456789abcdef", id[i]) != NULL,
		    "char %zu of '%s'", i, id);
	cr_assert_eq(reqid_valid(id), 1);
}

Test(reqid, generate_differs_across_calls)
{
	uint64_t	state = 0;
	char		ids[64][33];
	size_t		i, j;

	for (i = 0; i < 64; i++)
		reqid_generate(&state, ids[i]);
	for (i = 0; i < 64; i++) {
		for (j = i + 1; j < 64; j++)
			cr_assert_str_neq(ids[i], ids[j], "calls %zu and %zu",
			    i, j);
	}
}

Test(reqid, generate_advances_the_state)
{
	uint64_t	state = 7, before;
	char		id[33];

	before = state;
	reqid_generate(&state, id);
	cr_assert_neq(state, before);
}

Test(reqid, generate_is_reproducible_from_the_seed)
{
	uint64_t	a = 12345, b = 12345;
	char		ida[33], idb[33];

	reqid_generate(&a, ida);
	reqid_generate(&b, idb);
	cr_assert_str_eq(ida, idb);
	cr_assert_eq(a, b);
}

Test(reqid, different_seeds_give_different_ids)
{
	uint64_t	a = 1, b = 2;
	char		ida[33], idb[33];

	reqid_generate(&a, ida);
	reqid_generate(&b, idb);
	cr_assert_str_neq(ida, idb);
}

Test(reqid, generate_matches_splitmix64)
{
	/* splitmix64 from state 0: e220a8397b1dcdaf 6e789e6aa1b965f4. */
	uint64_t	state = 0;
	char		id[33];

	reqid_generate(&state, id);
	cr_assert_str_eq(id, "e220a8397b1dcdaf6e789e6aa1b965f4");
}

/*
 * cursor.c: opaque pagination cursors bound to their collection's scope.
 */

#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "civic.h"

#define B64URL \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

static const int64_t round_trip_keys[] = {
	0, 1, -1, 2, 255, 256, 65535, 1700000000, 1700000000123LL,
	INT64_C(0x0102030405060708), INT64_MAX, INT64_MAX - 1, INT64_MIN,
	INT64_MIN + 1, -1700000000,
};

static uint32_t
plans_scope(void)
{
	return (cursor_scope("/v1/plans", NULL));
}

/* A valid cursor for key 42 in the plans scope. */
static void
valid_cursor(char out[CIVIC_CURSOR_MAX])
{
	cr_assert_eq(cursor_encode(42, plans_scope(), out, CIVIC_CURSOR_MAX),
	    0);
}

Test(cursor, encode_gives_16_base64url_characters)
{
	char	buf[CIVIC_CURSOR_MAX];
	size_t	i, k;

	for (k = 0; k < sizeof(round_trip_keys) / sizeof(round_trip_keys[0]);
	    k++) {
		memset(buf, 'X', sizeof(buf));
		cr_assert_eq(cursor_encode(round_trip_keys[k], plans_scope(),
		    buf, sizeof(buf)), 0);
		cr_assert_eq(strlen(buf), 16, "key %lld: '%s'",
		    (long long)round_trip_keys[k], buf);
		for (i = 0; i < 16; i++)
			cr_assert(strchr(B64URL, buf[i]) != NULL,
			    "key %lld: char %zu of '%s'",
			    (long long)round_trip_keys[k], i, buf);
	}
}

Test(cursor, round_trip_keeps_every_key)
{
	char	buf[CIVIC_CURSOR_MAX];
	int64_t	key;
	size_t	k;

	for (k = 0; k < sizeof(round_trip_keys) / sizeof(round_trip_keys[0]);
	    k++) {
		cr_assert_eq(cursor_encode(round_trip_keys[k], plans_scope(),
		    buf, sizeof(buf)), 0);
		key = 12345;
		cr_assert_eq(cursor_decode(buf, plans_scope(), &key), 0,
		    "key %lld: '%s' refused", (long long)round_trip_keys[k],
		    buf);
		cr_assert_eq(key, round_trip_keys[k], "key %lld came back "
		    "as %lld", (long long)round_trip_keys[k], (long long)key);
	}
}

Test(cursor, round_trip_of_zero)
{
	char	buf[CIVIC_CURSOR_MAX];
	int64_t	key = 99;

	cr_assert_eq(cursor_encode(0, plans_scope(), buf, sizeof(buf)), 0);
	cr_assert_eq(cursor_decode(buf, plans_scope(), &key), 0);
	cr_assert_eq(key, 0);
}

Test(cursor, round_trip_of_a_negative_key)
{
	char	buf[CIVIC_CURSOR_MAX];
	int64_t	key = 0;

	cr_assert_eq(cursor_encode(-7, plans_scope(), buf, sizeof(buf)), 0);
	cr_assert_eq(cursor_decode(buf, plans_scope(), &key), 0);
	cr_assert_eq(key, -7);
}

Test(cursor, encode_is_deterministic)
{
	char	a[CIVIC_CURSOR_MAX], b[CIVIC_CURSOR_MAX];

	cr_assert_eq(cursor_encode(1234, plans_scope(), a, sizeof(a)), 0);
	cr_assert_eq(cursor_encode(1234, plans_scope(), b, sizeof(b)), 0);
	cr_assert_str_eq(a, b);
}

Test(cursor, different_keys_give_different_cursors)
{
	char	a[CIVIC_CURSOR_MAX], b[CIVIC_CURSOR_MAX];

	cr_assert_eq(cursor_encode(1, plans_scope(), a, sizeof(a)), 0);
	cr_assert_eq(cursor_encode(2, plans_scope(), b, sizeof(b)), 0);
	cr_assert_str_neq(a, b);
}

Test(cursor, encode_needs_17_bytes)
{
	char	buf[17];

	memset(buf, 'X', sizeof(buf));
	cr_assert_eq(cursor_encode(1, plans_scope(), buf, 16), -1);
	cr_assert_eq(buf[0], 'X', "a refused encode must not write");
	cr_assert_eq(cursor_encode(1, plans_scope(), buf, 17), 0);
	cr_assert_eq(buf[16], '\0');
}

Test(cursor, scope_differs_for_path_and_path_with_filter)
{
	cr_assert_neq(cursor_scope("/v1/plans/p/actions", NULL),
	    cursor_scope("/v1/plans/p/actions", "goal-1"));
	cr_assert_neq(cursor_scope("/v1/plans/p/actions", "goal-1"),
	    cursor_scope("/v1/plans/p/actions", "goal-2"));
	cr_assert_neq(cursor_scope("/v1/plans", NULL),
	    cursor_scope("/v1/plans/", NULL));
	cr_assert_neq(cursor_scope("/v1/plans/a", NULL),
	    cursor_scope("/v1/plans/b", NULL));
}

Test(cursor, scope_separates_path_from_filter)
{
	/* The path's NUL is hashed: "/a" + "b" is not "/ab". */
	cr_assert_neq(cursor_scope("/a", "b"), cursor_scope("/ab", NULL));
	cr_assert_neq(cursor_scope("/a", "bc"), cursor_scope("/ab", "c"));
}

Test(cursor, scope_is_deterministic)
{
	cr_assert_eq(cursor_scope("/v1/plans/p/actions", "g"),
	    cursor_scope("/v1/plans/p/actions", "g"));
}

Test(cursor, cursor_from_another_path_is_refused)
{
	char	buf[CIVIC_CURSOR_MAX];
	int64_t	key = 77;

	cr_assert_eq(cursor_encode(5, cursor_scope("/v1/plans/a/goals", NULL),
	    buf, sizeof(buf)), 0);
	cr_assert_eq(cursor_decode(buf, cursor_scope("/v1/plans/b/goals",
	    NULL), &key), -1);
	cr_assert_eq(key, 77, "a refused cursor must not write the key");
}

Test(cursor, cursor_from_another_filter_is_refused)
{
	const char	*path = "/v1/plans/p/actions";
	char		 buf[CIVIC_CURSOR_MAX];
	int64_t		 key = 0;

	cr_assert_eq(cursor_encode(5, cursor_scope(path, "goal-1"), buf,
	    sizeof(buf)), 0);
	cr_assert_eq(cursor_decode(buf, cursor_scope(path, "goal-2"), &key),
	    -1);
	cr_assert_eq(cursor_decode(buf, cursor_scope(path, NULL), &key), -1);
	cr_assert_eq(cursor_decode(buf, cursor_scope(path, "goal-1"), &key),
	    0);
	cr_assert_eq(key, 5);
}

Test(cursor, unfiltered_cursor_is_refused_with_a_filter)
{
	const char	*path = "/v1/plans/p/actions";
	char		 buf[CIVIC_CURSOR_MAX];
	int64_t		 key = 0;

	cr_assert_eq(cursor_encode(5, cursor_scope(path, NULL), buf,
	    sizeof(buf)), 0);
	cr_assert_eq(cursor_decode(buf, cursor_scope(path, "goal-1"), &key),
	    -1);
}

Test(cursor, every_single_character_change_is_refused)
{
	static const char	 alphabet[] = B64URL;
	char			 good[CIVIC_CURSOR_MAX], bad[CIVIC_CURSOR_MAX];
	int64_t			 key;
	size_t			 pos, a, tried = 0;

	valid_cursor(good);
	for (pos = 0; pos < 16; pos++) {
		for (a = 0; a < sizeof(alphabet) - 1; a++) {
			if (good[pos] == alphabet[a])
				continue;
			memcpy(bad, good, sizeof(bad));
			bad[pos] = alphabet[a];
			key = 777;
			cr_assert_eq(cursor_decode(bad, plans_scope(), &key),
			    -1, "position %zu changed to '%c': '%s' accepted "
			    "(key %lld)", pos, alphabet[a], bad,
			    (long long)key);
			tried++;
		}
	}
	cr_assert_eq(tried, 16 * 63);
}

Test(cursor, swapping_two_characters_is_refused)
{
	char	good[CIVIC_CURSOR_MAX], bad[CIVIC_CURSOR_MAX], t;
	int64_t	key;
	size_t	i, j;

	valid_cursor(good);
	for (i = 0; i < 16; i++) {
		for (j = i + 1; j < 16; j++) {
			if (good[i] == good[j])
				continue;
			memcpy(bad, good, sizeof(bad));
			t = bad[i];
			bad[i] = bad[j];
			bad[j] = t;
			cr_assert_eq(cursor_decode(bad, plans_scope(), &key),
			    -1, "swap %zu,%zu: '%s'", i, j, bad);
		}
	}
}

Test(cursor, malformed_text_is_refused)
{
	char		good[CIVIC_CURSOR_MAX], bad[CIVIC_CURSOR_MAX * 2];
	static const char not_b64url[] = "+/=. !~%*\"\\\t\n";
	int64_t		key;
	size_t		i, pos;

	valid_cursor(good);

	/* Sanity: the untouched cursor is accepted. */
	cr_assert_eq(cursor_decode(good, plans_scope(), &key), 0);
	cr_assert_eq(key, 42);

	/* NULL, empty. */
	cr_assert_eq(cursor_decode(NULL, plans_scope(), &key), -1);
	cr_assert_eq(cursor_decode("", plans_scope(), &key), -1);

	/* Too short, too long. */
	for (i = 0; i < 16; i++) {
		memcpy(bad, good, i);
		bad[i] = '\0';
		cr_assert_eq(cursor_decode(bad, plans_scope(), &key), -1,
		    "length %zu: '%s'", i, bad);
	}
	for (i = 17; i < 24; i++) {
		memcpy(bad, good, 16);
		memset(bad + 16, 'A', i - 16);
		bad[i] = '\0';
		cr_assert_eq(cursor_decode(bad, plans_scope(), &key), -1,
		    "length %zu: '%s'", i, bad);
	}

	/* Padding. */
	(void)snprintf(bad, sizeof(bad), "%s=", good);
	cr_assert_eq(cursor_decode(bad, plans_scope(), &key), -1);
	(void)snprintf(bad, sizeof(bad), "%s==", good);
	cr_assert_eq(cursor_decode(bad, plans_scope(), &key), -1);
	(void)snprintf(bad, sizeof(bad), "%.15s=", good);
	cr_assert_eq(cursor_decode(bad, plans_scope(), &key), -1);
	(void)snprintf(bad, sizeof(bad), "%.14s==", good);
	cr_assert_eq(cursor_decode(bad, plans_scope(), &key), -1);

	/* Characters outside base64url (standard base64 '+', '/' too). */
	for (pos = 0; pos < 16; pos++) {
		for (i = 0; i < sizeof(not_b64url) - 1; i++) {
			memcpy(bad, good, 17);
			bad[pos] = not_b64url[i];
			cr_assert_eq(cursor_decode(bad, plans_scope(), &key),
			    -1, "position %zu = 0x%02x", pos,
			    (unsigned char)not_b64url[i]);
		}
	}

	/* A NUL inside: the text is shorter than 16. */
	memcpy(bad, good, 17);
	bad[8] = '\0';
	cr_assert_eq(cursor_decode(bad, plans_scope(), &key), -1);

	/* Bytes above 0x7f. */
	memcpy(bad, good, 17);
	bad[3] = (char)0xc3;
	cr_assert_eq(cursor_decode(bad, plans_scope(), &key), -1);
}

Test(cursor, standard_base64_of_the_same_bytes_is_refused)
{
	char	buf[CIVIC_CURSOR_MAX];
	int64_t	key;
	size_t	i, k;
	int	changed;

	/* Find a cursor that uses '-' or '_' and spell it with '+' '/'. */
	for (k = 0; k < 1000; k++) {
		cr_assert_eq(cursor_encode((int64_t)k, plans_scope(), buf,
		    sizeof(buf)), 0);
		changed = 0;
		for (i = 0; i < 16; i++) {
			if (buf[i] == '-') {
				buf[i] = '+';
				changed = 1;
			} else if (buf[i] == '_') {
				buf[i] = '/';
				changed = 1;
			}
		}
		if (changed) {
			cr_assert_eq(cursor_decode(buf, plans_scope(), &key),
			    -1, "'%s'", buf);
			return;
		}
	}
	cr_assert_fail("no cursor for keys 0..999 uses '-' or '_'");
}

Test(cursor, random_text_of_the_right_length_is_refused)
{
	static const char *const rows[] = {
		"AAAAAAAAAAAAAAAA",
		"________________",
		"----------------",
		"abcdefghijklmnop",
		"0123456789-_abcd",
	};
	int64_t	key;
	size_t	i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		cr_assert_eq(cursor_decode(rows[i], plans_scope(), &key), -1,
		    "row %zu: %s", i, rows[i]);
}

/* Two-key cursors (cursor_encode_keys, cursor_decode_keys). */

static const int64_t pair_keys[][2] = {
	{ 0, 0 },
	{ 1, 2 },
	{ 2, 1 },
	{ -1, -1 },
	{ -1, INT64_MAX },
	{ INT64_MIN, -5 },
	{ INT64_MAX, INT64_MIN },
	{ INT64_MIN, INT64_MAX },
	{ 1700000000123LL, 42 },
	{ 1700000000, -1700000000 },
	{ INT64_C(0x0102030405060708), INT64_C(0x7f6e5d4c3b2a1908) },
};

static uint32_t
responses_scope(void)
{
	return (cursor_scope("/v1/surveys/s/responses", NULL));
}

/* A valid two-key cursor for (1700000000123, 42) in the responses scope. */
static void
valid_pair_cursor(char out[CIVIC_CURSOR_MAX])
{
	static const int64_t	keys[2] = { 1700000000123LL, 42 };

	cr_assert_eq(cursor_encode_keys(keys, 2, responses_scope(), out,
	    CIVIC_CURSOR_MAX), 0);
}

Test(cursor, two_keys_give_28_base64url_characters)
{
	char	buf[CIVIC_CURSOR_MAX];
	size_t	i, k;

	for (k = 0; k < sizeof(pair_keys) / sizeof(pair_keys[0]); k++) {
		memset(buf, 'X', sizeof(buf));
		cr_assert_eq(cursor_encode_keys(pair_keys[k], 2,
		    responses_scope(), buf, sizeof(buf)), 0, "row %zu", k);
		cr_assert_eq(strlen(buf), 28, "row %zu: '%s'", k, buf);
		for (i = 0; i < 28; i++)
			cr_assert(strchr(B64URL, buf[i]) != NULL,
			    "row %zu: char %zu of '%s'", k, i, buf);
	}
}

Test(cursor, two_key_round_trip_keeps_both_keys)
{
	char	buf[CIVIC_CURSOR_MAX];
	int64_t	keys[2];
	size_t	k;

	for (k = 0; k < sizeof(pair_keys) / sizeof(pair_keys[0]); k++) {
		cr_assert_eq(cursor_encode_keys(pair_keys[k], 2,
		    responses_scope(), buf, sizeof(buf)), 0, "row %zu", k);
		keys[0] = keys[1] = 12345;
		cr_assert_eq(cursor_decode_keys(buf, 2, responses_scope(),
		    keys), 0, "row %zu: '%s' refused", k, buf);
		cr_assert_eq(keys[0], pair_keys[k][0], "row %zu: first key "
		    "%lld", k, (long long)keys[0]);
		cr_assert_eq(keys[1], pair_keys[k][1], "row %zu: second key "
		    "%lld", k, (long long)keys[1]);
	}
}

Test(cursor, one_key_through_encode_keys_is_the_one_key_cursor)
{
	char	a[CIVIC_CURSOR_MAX], b[CIVIC_CURSOR_MAX];
	int64_t	key = -99;

	cr_assert_eq(cursor_encode_keys(&key, 1, plans_scope(), a, sizeof(a)),
	    0);
	cr_assert_eq(cursor_encode(-99, plans_scope(), b, sizeof(b)), 0);
	cr_assert_str_eq(a, b);
	key = 0;
	cr_assert_eq(cursor_decode_keys(a, 1, plans_scope(), &key), 0);
	cr_assert_eq(key, -99);
}

Test(cursor, key_order_matters_in_a_two_key_cursor)
{
	static const int64_t	ab[2] = { 1, 2 }, ba[2] = { 2, 1 };
	char			x[CIVIC_CURSOR_MAX], y[CIVIC_CURSOR_MAX];
	int64_t			keys[2];

	cr_assert_eq(cursor_encode_keys(ab, 2, responses_scope(), x,
	    sizeof(x)), 0);
	cr_assert_eq(cursor_encode_keys(ba, 2, responses_scope(), y,
	    sizeof(y)), 0);
	cr_assert_str_neq(x, y);
	cr_assert_eq(cursor_decode_keys(y, 2, responses_scope(), keys), 0);
	cr_assert_eq(keys[0], 2);
	cr_assert_eq(keys[1], 1);
}

Test(cursor, one_key_cursor_is_refused_as_two_keys)
{
	char	buf[CIVIC_CURSOR_MAX];
	int64_t	keys[2] = { 77, 88 };

	cr_assert_eq(cursor_encode(42, responses_scope(), buf, sizeof(buf)),
	    0);
	cr_assert_eq(cursor_decode_keys(buf, 2, responses_scope(), keys), -1,
	    "'%s' accepted", buf);
	cr_assert_eq(keys[0], 77);
	cr_assert_eq(keys[1], 88);
}

Test(cursor, two_key_cursor_is_refused_as_one_key)
{
	char	buf[CIVIC_CURSOR_MAX];
	int64_t	key = 77;

	valid_pair_cursor(buf);
	cr_assert_eq(cursor_decode_keys(buf, 1, responses_scope(), &key), -1,
	    "'%s' accepted", buf);
	cr_assert_eq(cursor_decode(buf, responses_scope(), &key), -1);
	cr_assert_eq(key, 77);
}

Test(cursor, two_key_cursor_prefix_is_refused_as_one_key)
{
	char	buf[CIVIC_CURSOR_MAX];
	int64_t	key = 77;

	valid_pair_cursor(buf);
	buf[16] = '\0';
	cr_assert_eq(cursor_decode(buf, responses_scope(), &key), -1,
	    "'%s' accepted as %lld", buf, (long long)key);
	cr_assert_eq(key, 77);
}

Test(cursor, every_single_character_change_of_a_two_key_cursor_is_refused)
{
	static const char	 alphabet[] = B64URL;
	char			 good[CIVIC_CURSOR_MAX], bad[CIVIC_CURSOR_MAX];
	int64_t			 keys[2];
	size_t			 pos, a, tried = 0;

	valid_pair_cursor(good);
	for (pos = 0; pos < 28; pos++) {
		for (a = 0; a < sizeof(alphabet) - 1; a++) {
			if (good[pos] == alphabet[a])
				continue;
			memcpy(bad, good, sizeof(bad));
			bad[pos] = alphabet[a];
			keys[0] = keys[1] = 777;
			cr_assert_eq(cursor_decode_keys(bad, 2,
			    responses_scope(), keys), -1, "position %zu "
			    "changed to '%c': '%s' accepted (%lld, %lld)",
			    pos, alphabet[a], bad, (long long)keys[0],
			    (long long)keys[1]);
			tried++;
		}
	}
	cr_assert_eq(tried, 28 * 63);
}

Test(cursor, two_key_cursor_from_another_scope_is_refused)
{
	static const int64_t	keys_in[2] = { 5, 6 };
	const char		*path = "/v1/surveys/s/responses";
	char			 buf[CIVIC_CURSOR_MAX];
	int64_t			 keys[2] = { 77, 88 };

	cr_assert_eq(cursor_encode_keys(keys_in, 2, cursor_scope(path, "desc"),
	    buf, sizeof(buf)), 0);
	cr_assert_eq(cursor_decode_keys(buf, 2, cursor_scope(path, "asc"),
	    keys), -1);
	cr_assert_eq(cursor_decode_keys(buf, 2, cursor_scope(path, NULL),
	    keys), -1);
	cr_assert_eq(cursor_decode_keys(buf, 2, cursor_scope(
	    "/v1/surveys/t/responses", "desc"), keys), -1);
	cr_assert_eq(keys[0], 77, "a refused cursor must not write keys");
	cr_assert_eq(keys[1], 88, "a refused cursor must not write keys");
	cr_assert_eq(cursor_decode_keys(buf, 2, cursor_scope(path, "desc"),
	    keys), 0);
	cr_assert_eq(keys[0], 5);
	cr_assert_eq(keys[1], 6);
}

Test(cursor, refused_two_key_decode_leaves_keys_untouched)
{
	static const char *const rows[] = {
		"",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"____________________________",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"AAAAAAAAAAAAAAAAAAAAAAAAAA+/",
	};
	char	good[CIVIC_CURSOR_MAX];
	int64_t	keys[2];
	size_t	i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		keys[0] = 77;
		keys[1] = 88;
		cr_assert_eq(cursor_decode_keys(rows[i], 2, responses_scope(),
		    keys), -1, "row %zu accepted", i);
		cr_assert_eq(keys[0], 77, "row %zu", i);
		cr_assert_eq(keys[1], 88, "row %zu", i);
	}
	keys[0] = 77;
	keys[1] = 88;
	cr_assert_eq(cursor_decode_keys(NULL, 2, responses_scope(), keys), -1);
	valid_pair_cursor(good);
	cr_assert_eq(cursor_decode_keys(good, 2, plans_scope(), keys), -1);
	cr_assert_eq(keys[0], 77);
	cr_assert_eq(keys[1], 88);
}

Test(cursor, key_counts_other_than_one_or_two_are_refused)
{
	static const int64_t	keys_in[3] = { 1, 2, 3 };
	char			buf[CIVIC_CURSOR_MAX], good[CIVIC_CURSOR_MAX];
	int64_t			keys[3] = { 7, 8, 9 };

	memset(buf, 'X', sizeof(buf));
	cr_assert_eq(cursor_encode_keys(keys_in, 0, plans_scope(), buf,
	    sizeof(buf)), -1);
	cr_assert_eq(cursor_encode_keys(keys_in, 3, plans_scope(), buf,
	    sizeof(buf)), -1);
	cr_assert_eq(buf[0], 'X', "a refused encode must not write");
	valid_pair_cursor(good);
	cr_assert_eq(cursor_decode_keys(good, 0, responses_scope(), keys), -1);
	cr_assert_eq(cursor_decode_keys(good, 3, responses_scope(), keys), -1);
	cr_assert_eq(keys[0], 7);
	cr_assert_eq(keys[1], 8);
	cr_assert_eq(keys[2], 9);
}

Test(cursor, two_key_encode_needs_29_bytes)
{
	static const int64_t	keys_in[2] = { 1, 2 };
	char			buf[CIVIC_CURSOR_MAX];

	memset(buf, 'X', sizeof(buf));
	cr_assert_eq(cursor_encode_keys(keys_in, 2, responses_scope(), buf,
	    28), -1);
	cr_assert_eq(buf[0], 'X', "a refused encode must not write");
	cr_assert_eq(cursor_encode_keys(keys_in, 2, responses_scope(), buf,
	    29), 0);
	cr_assert_eq(buf[28], '\0');
	cr_assert_eq(buf[29], 'X');
}

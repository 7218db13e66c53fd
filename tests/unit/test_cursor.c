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

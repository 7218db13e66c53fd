/*
 * apikey.c: API keys, their public ids and their hashes.
 */

#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include <criterion/criterion.h>

#include "civic.h"

#define B64URL \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* A well-formed key: "cpk_" and 43 base64url characters. */
#define GOOD_KEY	"cpk_0123456789abcdefghijABCDEFGHIJ-_xyzXYZ01234"

static void
generate(char key[APIKEY_LEN + 1], char id[APIKEY_ID_LEN + 1])
{
	memset(key, 'X', APIKEY_LEN + 1);
	memset(id, 'X', APIKEY_ID_LEN + 1);
	cr_assert_eq(apikey_generate(key, id), 0);
}

Test(apikey, good_key_in_these_tests_is_47_characters)
{
	cr_assert_eq(strlen(GOOD_KEY), APIKEY_LEN);
	cr_assert_eq(APIKEY_LEN, 47);
	cr_assert_eq(APIKEY_ID_LEN, 20);
}

Test(apikey, generated_key_is_cpk_and_43_base64url_characters)
{
	char	key[APIKEY_LEN + 1], id[APIKEY_ID_LEN + 1];
	size_t	i, k;

	for (k = 0; k < 50; k++) {
		generate(key, id);
		cr_assert_eq(strlen(key), 47, "'%.48s'", key);
		cr_assert_eq(strncmp(key, "cpk_", 4), 0, "'%s'", key);
		for (i = 4; i < 47; i++)
			cr_assert(strchr(B64URL, key[i]) != NULL, "char %zu of "
			    "'%s'", i, key);
	}
}

Test(apikey, generated_key_is_valid)
{
	char	key[APIKEY_LEN + 1], id[APIKEY_ID_LEN + 1];

	generate(key, id);
	cr_assert_eq(apikey_valid(key), 1, "'%s'", key);
}

Test(apikey, generated_keys_differ_across_calls)
{
	char	keys[64][APIKEY_LEN + 1], id[APIKEY_ID_LEN + 1];
	size_t	i, j;

	for (i = 0; i < 64; i++)
		generate(keys[i], id);
	for (i = 0; i < 64; i++) {
		for (j = i + 1; j < 64; j++)
			cr_assert_str_neq(keys[i], keys[j], "calls %zu and %zu",
			    i, j);
	}
}

Test(apikey, generated_keys_use_every_position)
{
	char	key[APIKEY_LEN + 1], first[APIKEY_LEN + 1];
	char	id[APIKEY_ID_LEN + 1];
	int	differs[APIKEY_LEN];
	size_t	i, k;

	/* Each random position changes in 64 tries (odds of not: 16^-63). */
	memset(differs, 0, sizeof(differs));
	generate(first, id);
	for (k = 0; k < 64; k++) {
		generate(key, id);
		for (i = 4; i < APIKEY_LEN; i++)
			if (key[i] != first[i])
				differs[i] = 1;
	}
	for (i = 4; i < APIKEY_LEN; i++)
		cr_assert(differs[i], "position %zu never changes", i);
}

Test(apikey, public_id_is_key_and_16_lowercase_hex)
{
	char	key[APIKEY_LEN + 1], id[APIKEY_ID_LEN + 1];
	size_t	i, k;

	for (k = 0; k < 50; k++) {
		generate(key, id);
		cr_assert_eq(strlen(id), 20, "'%.21s'", id);
		cr_assert_eq(strncmp(id, "key_", 4), 0, "'%s'", id);
		for (i = 4; i < 20; i++)
			cr_assert(strchr("0123456789abcdef", id[i]) != NULL &&
			    id[i] != '\0', "char %zu of '%s'", i, id);
	}
}

Test(apikey, public_ids_differ_across_calls)
{
	char	key[APIKEY_LEN + 1], ids[64][APIKEY_ID_LEN + 1];
	size_t	i, j;

	for (i = 0; i < 64; i++)
		generate(key, ids[i]);
	for (i = 0; i < 64; i++) {
		for (j = i + 1; j < 64; j++)
			cr_assert_str_neq(ids[i], ids[j], "calls %zu and %zu",
			    i, j);
	}
}

Test(apikey, public_ids_use_every_position)
{
	char	key[APIKEY_LEN + 1], id[APIKEY_ID_LEN + 1];
	char	first[APIKEY_ID_LEN + 1];
	int	differs[APIKEY_ID_LEN];
	size_t	i, k;

	/* Each hex digit changes in 64 tries (odds of not: 16^-63). */
	memset(differs, 0, sizeof(differs));
	generate(key, first);
	for (k = 0; k < 64; k++) {
		generate(key, id);
		for (i = 4; i < APIKEY_ID_LEN; i++)
			if (id[i] != first[i])
				differs[i] = 1;
	}
	for (i = 4; i < APIKEY_ID_LEN; i++)
		cr_assert(differs[i], "position %zu never changes", i);
}

/* In 64 texts of len, no two positions from start on always agree. */
static void
assert_positions_independent(char texts[][APIKEY_LEN + 1], size_t n,
    size_t start, size_t len)
{
	size_t	i, j, k, same;

	for (i = start; i < len; i++) {
		for (j = i + 1; j < len; j++) {
			for (same = 0, k = 0; k < n; k++)
				same += texts[k][i] == texts[k][j];
			cr_assert_lt(same, n, "positions %zu and %zu always "
			    "agree", i, j);
		}
	}
}

Test(apikey, key_characters_are_independent)
{
	char	keys[64][APIKEY_LEN + 1], id[APIKEY_ID_LEN + 1];
	size_t	k;

	for (k = 0; k < 64; k++)
		generate(keys[k], id);
	assert_positions_independent(keys, 64, 4, APIKEY_LEN);
}

Test(apikey, public_id_digits_are_independent)
{
	char	key[APIKEY_LEN + 1], ids[64][APIKEY_LEN + 1];
	size_t	k;

	for (k = 0; k < 64; k++)
		generate(key, ids[k]);
	assert_positions_independent(ids, 64, 4, APIKEY_ID_LEN);
}

Test(apikey, public_id_is_not_part_of_the_key)
{
	char	key[APIKEY_LEN + 1], id[APIKEY_ID_LEN + 1];

	generate(key, id);
	cr_assert_null(strstr(key, id + 4), "'%s' contains '%s'", key, id + 4);
}

Test(apikey, valid_accepts_well_formed_keys)
{
	static const char *const rows[] = {
		GOOD_KEY,
		"cpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"cpk_-------------------------------------------",
		"cpk____________________________________________",
		"cpk_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
		"cpk_9999999999999999999999999999999999999999999",
	};
	size_t	i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cr_assert_eq(strlen(rows[i]), APIKEY_LEN, "row %zu: test data",
		    i);
		cr_assert_eq(apikey_valid(rows[i]), 1, "row %zu: '%s'", i,
		    rows[i]);
	}
}

static const char *const invalid_keys[] = {
	"",
	"cpk_",
	"cpk",
	/* Wrong prefix, right length. */
	"CPK_0123456789abcdefghijABCDEFGHIJ-_xyzXYZ01234",
	"Cpk_0123456789abcdefghijABCDEFGHIJ-_xyzXYZ01234",
	"cpk-0123456789abcdefghijABCDEFGHIJ-_xyzXYZ01234",
	"cpkx0123456789abcdefghijABCDEFGHIJ-_xyzXYZ01234",
	"xpk_0123456789abcdefghijABCDEFGHIJ-_xyzXYZ01234",
	"key_0123456789abcdefghijABCDEFGHIJ-_xyzXYZ01234",
	"_cpk0123456789abcdefghijABCDEFGHIJ-_xyzXYZ01234",
	/* Wrong length. */
	"cpk_0123456789abcdefghijABCDEFGHIJ-_xyzXYZ0123",
	"cpk_0123456789abcdefghijABCDEFGHIJ-_xyzXYZ012345",
	"cpk_0123456789abcdefghijABCDEFGHIJ-_xyzXYZ01234=",
	"cpk_0123456789abcdefghijABCDEFGHIJ-_xyzXYZ01234cpk_0123",
	/* Characters outside base64url, right length. */
	"cpk_0123456789abcdefghijABCDEFGHIJ+_xyzXYZ01234",
	"cpk_0123456789abcdefghijABCDEFGHIJ-/xyzXYZ01234",
	"cpk_0123456789abcdefghijABCDEFGHIJ-_xyzXYZ0123=",
	"cpk_0123456789abcdefghijABCDEFGHIJ-_xyz YZ01234",
	"cpk_0123456789abcdefghijABCDEFGHIJ-_xyz.YZ01234",
	"cpk_0123456789abcdefghijABCDEFGHIJ-_xyz~YZ01234",
	"cpk_0123456789abcdefghijABCDEFGHIJ-_xyz\tYZ01234",
	"cpk_0123456789abcdefghijABCDEFGHIJ-_xyzXYZ0123\n",
	" cpk_0123456789abcdefghijABCDEFGHIJ-_xyzXYZ0123",
	"cpk_0123456789abcdefghijABCDEFGHIJ-_xyz\xc3\xa9Z01234",
	"cpk_0123456789abcdefghijABCDEFGHIJ-_xyz\xffYZ01234",
};

Test(apikey, valid_refuses_malformed_keys)
{
	size_t	i;

	for (i = 0; i < sizeof(invalid_keys) / sizeof(invalid_keys[0]); i++)
		cr_assert_eq(apikey_valid(invalid_keys[i]), 0, "row %zu: '%s' "
		    "accepted", i, invalid_keys[i]);
}

Test(apikey, valid_refuses_every_character_outside_base64url)
{
	char	key[APIKEY_LEN + 1];
	int	c;

	for (c = 1; c < 256; c++) {
		if (strchr(B64URL, c) != NULL)
			continue;
		memcpy(key, GOOD_KEY, sizeof(key));
		key[20] = (char)c;
		cr_assert_eq(apikey_valid(key), 0, "byte 0x%02x accepted", c);
	}
}

/* Authorization fields that carry GOOD_KEY, and where it starts. */
static const struct {
	const char	*field;
	size_t		 offset;
} good_headers[] = {
	{ "Bearer " GOOD_KEY,		7 },
	{ "bearer " GOOD_KEY,		7 },
	{ "BEARER " GOOD_KEY,		7 },
	{ "BeArEr " GOOD_KEY,		7 },
	{ "Bearer  " GOOD_KEY,		8 },
	{ "Bearer     " GOOD_KEY,	11 },
};

Test(apikey, from_header_finds_a_bearer_key)
{
	const char	*k;
	size_t		 i;

	for (i = 0; i < sizeof(good_headers) / sizeof(good_headers[0]); i++) {
		k = apikey_from_header(good_headers[i].field);
		cr_assert_not_null(k, "row %zu: '%s' refused", i,
		    good_headers[i].field);
		cr_assert_eq(k, good_headers[i].field + good_headers[i].offset,
		    "row %zu: not a pointer to the key", i);
		cr_assert_str_eq(k, GOOD_KEY, "row %zu", i);
	}
}

static const char *const bad_headers[] = {
	"",
	"Bearer",
	"Bearer ",
	"Bearer   ",
	"Bearer" GOOD_KEY,			/* no space */
	"Bearer\t" GOOD_KEY,
	"Basic " GOOD_KEY,
	"Basic dXNlcjpwYXNz",
	"Token " GOOD_KEY,
	"Bearerx " GOOD_KEY,
	"Bear " GOOD_KEY,
	" Bearer " GOOD_KEY,
	GOOD_KEY,				/* no scheme */
	"Bearer " GOOD_KEY " extra",		/* trailing junk */
	"Bearer " GOOD_KEY "x",
	"Bearer " GOOD_KEY ",",
	"Bearer " GOOD_KEY " " GOOD_KEY,
	"Bearer " GOOD_KEY "\r\n",
	"Bearer cpk_short",
	"Bearer key_0123456789abcdef",
	"Bearer CPK_0123456789abcdefghijABCDEFGHIJ-_xyzXYZ01234",
	"Bearer cpk_0123456789abcdefghijABCDEFGHIJ+/xyzXYZ01234",
	"Bearer \"" GOOD_KEY "\"",
};

Test(apikey, from_header_refuses_what_is_not_a_bearer_key)
{
	size_t	i;

	cr_assert_null(apikey_from_header(NULL));
	for (i = 0; i < sizeof(bad_headers) / sizeof(bad_headers[0]); i++)
		cr_assert_null(apikey_from_header(bad_headers[i]), "row %zu: "
		    "'%s' accepted", i, bad_headers[i]);
}

static void
hex(const unsigned char *b, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", b[i]);
}

Test(apikey, hash_of_abc_is_the_published_sha256_vector)
{
	unsigned char	h[APIKEY_HASH_LEN], ref[SHA256_DIGEST_LENGTH];
	char		txt[2 * APIKEY_HASH_LEN + 1];

	/* FIPS 180-2, appendix B.1; and OpenSSL's own digest of it. */
	SHA256((const unsigned char *)"abc", 3, ref);
	hex(ref, sizeof(ref), txt);
	cr_assert_str_eq(txt, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");

	memset(h, 0, sizeof(h));
	apikey_hash("abc", h);
	hex(h, sizeof(h), txt);
	cr_assert_str_eq(txt, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

Test(apikey, hash_of_the_empty_text_is_the_published_vector)
{
	unsigned char	h[APIKEY_HASH_LEN];
	char		txt[2 * APIKEY_HASH_LEN + 1];

	apikey_hash("", h);
	hex(h, sizeof(h), txt);
	cr_assert_str_eq(txt, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}

Test(apikey, hash_of_a_key_is_the_sha256_of_its_text)
{
	char		key[APIKEY_LEN + 1], id[APIKEY_ID_LEN + 1];
	unsigned char	h[APIKEY_HASH_LEN], ref[SHA256_DIGEST_LENGTH];

	cr_assert_eq(APIKEY_HASH_LEN, SHA256_DIGEST_LENGTH);
	generate(key, id);
	apikey_hash(key, h);
	SHA256((const unsigned char *)key, strlen(key), ref);
	cr_assert_arr_eq(h, ref, sizeof(ref));

	apikey_hash(GOOD_KEY, h);
	SHA256((const unsigned char *)GOOD_KEY, strlen(GOOD_KEY), ref);
	cr_assert_arr_eq(h, ref, sizeof(ref));
}

Test(apikey, hashes_of_different_keys_differ)
{
	unsigned char	a[APIKEY_HASH_LEN], b[APIKEY_HASH_LEN];
	char		other[APIKEY_LEN + 1];

	memcpy(other, GOOD_KEY, sizeof(other));
	other[46] = other[46] == 'A' ? 'B' : 'A';
	apikey_hash(GOOD_KEY, a);
	apikey_hash(other, b);
	cr_assert(memcmp(a, b, sizeof(a)) != 0);
}

/*
 * http_util.c: the Accept and Origin header values.
 */

#include <stddef.h>
#include <string.h>

#include <criterion/criterion.h>

#include "civic.h"

static const struct {
	const char	*field;
	int		 ok;
} accept_rows[] = {
	{ NULL,						1 },	/* absent */
	{ "*/*",					1 },
	{ "application/*",				1 },
	{ "application/json",				1 },
	{ "application/problem+json",			1 },
	{ "APPLICATION/JSON",				1 },
	{ "Application/Json",				1 },
	{ "application/json; charset=utf-8",		1 },
	{ "application/json;q=1",			1 },
	{ "application/json;q=0.5",			1 },
	{ "application/json ; q=0.001",			1 },
	{ "application/json;q=0",			0 },
	{ "application/json;q=0.0",			0 },
	{ "application/json;q=0.000",			0 },
	{ "application/json; q=0",			0 },
	{ "application/json;Q=0",			0 },
	{ "application/json;charset=utf-8;q=0",		0 },
	{ "*/*;q=0",					0 },
	{ "application/*;q=0",				0 },
	{ "text/html",					0 },
	{ "text/*",					0 },
	{ "text/html, application/json;q=0.5",		1 },
	{ "text/html,application/json",			1 },
	{ "text/html;q=0.9, */*;q=0.1",			1 },
	{ "text/html,\tapplication/xml, */*",		1 },
	{ "text/html, application/xml",			0 },
	{ "application/json;q=0, text/html",		0 },
	{ "application/xml",				0 },
	{ "application/jsonx",				0 },
	{ "application/json-seq",			0 },
	{ "application/ld+json",			0 },
	{ "application",				0 },
	{ "json",					0 },
	{ "*",						0 },
	{ "garbage",					0 },
	{ ",,,",					0 },
	{ ";q=1",					0 },
	{ "application/json/x",				0 },
	{ "application / json",				0 },
	{ "application/json123456789012345678901234567890123456789012345678901234567890", 0 },
};

Test(http_util, accept_json_table)
{
	size_t	i;

	for (i = 0; i < sizeof(accept_rows) / sizeof(accept_rows[0]); i++)
		cr_assert_eq(accept_json(accept_rows[i].field),
		    accept_rows[i].ok, "row %zu: [%s]", i,
		    accept_rows[i].field != NULL ? accept_rows[i].field :
		    "(absent)");
}

Test(http_util, absent_accept_takes_json)
{
	cr_assert_eq(accept_json(NULL), 1);
}

Test(http_util, accept_json_with_zero_weight_is_refused)
{
	cr_assert_eq(accept_json("application/json;q=0"), 0);
}

Test(http_util, overlong_range_is_skipped_not_fatal)
{
	char	field[200];

	(void)snprintf(field, sizeof(field), "application/%0100d, "
	    "application/json", 0);
	cr_assert_eq(accept_json(field), 1);
}

/*
 * BUG (src/http_util.c, accept_json): RFC 9110 12.5.1 says the most
 * specific range that applies takes precedence, so after
 * "application/json;q=0" a wider "*" range does not make JSON acceptable
 * again.  accept_json returns 1 as soon as any covering range has a
 * non-zero weight, so the service answers 200 application/json to a client
 * that explicitly refused it (expected: 406).
 */
Test(http_util, specific_zero_weight_beats_a_wildcard)
{
	cr_assert_eq(accept_json("application/json;q=0, */*"), 0);
	cr_assert_eq(accept_json("*/*, application/json;q=0"), 0);
	cr_assert_eq(accept_json("application/*, application/json;q=0"), 0);
}

static const struct {
	const char	*list;
	const char	*origin;
	int		 ok;
} origin_rows[] = {
	{ "https://a.example",		"https://a.example",		1 },
	{ "https://a.example",		"https://a.example.evil",	0 },
	{ "https://a.example",		"https://a.exampl",		0 },
	{ "https://a.example",		"http://a.example",		0 },
	{ "https://a.example",		"https://a.example:443",	0 },
	{ "https://a.example",		"https://a.example/",		0 },
	{ "https://a.example",		"https://A.example",		0 },
	{ "https://a.example",		"evil.https://a.example",	0 },
	{ "https://a.example.evil",	"https://a.example",		0 },
	{ "https://a.example,https://b.example", "https://b.example",	1 },
	{ "https://a.example, https://b.example", "https://b.example",	1 },
	{ "https://a.example , https://b.example ", "https://a.example", 1 },
	{ "  https://a.example  ,  https://b.example  ", "https://b.example", 1 },
	{ "https://a.example, https://b.example", "https://c.example",	0 },
	{ "https://a.example, https://b.example", "https://a.example, https://b.example", 0 },
	{ "https://a.example,,https://b.example", "https://b.example",	1 },
	{ "*",				"https://anything.example",	1 },
	{ " * ",			"https://anything.example",	1 },
	{ "https://a.example, *",	"https://z.example",		1 },
	{ "**",				"https://z.example",		0 },
	{ "*.example",			"https://z.example",		0 },
	{ "https://*.example",		"https://z.example",		0 },
	{ "",				"https://a.example",		0 },
	{ ",",				"https://a.example",		0 },
	{ "*",				"",				0 },
	{ "https://a.example",		"",				0 },
	{ "null",			"null",				1 },
};

Test(http_util, origin_allowed_table)
{
	size_t	i;

	for (i = 0; i < sizeof(origin_rows) / sizeof(origin_rows[0]); i++)
		cr_assert_eq(origin_allowed(origin_rows[i].list,
		    origin_rows[i].origin), origin_rows[i].ok,
		    "row %zu: list [%s] origin [%s]", i, origin_rows[i].list,
		    origin_rows[i].origin);
}

Test(http_util, origin_allowed_is_exact_not_a_prefix)
{
	cr_assert_eq(origin_allowed("https://a.example",
	    "https://a.example.attacker.example"), 0);
	cr_assert_eq(origin_allowed("https://a.example.attacker.example",
	    "https://a.example"), 0);
}

Test(http_util, origin_allowed_with_null_list_or_origin_is_false)
{
	cr_assert_eq(origin_allowed(NULL, "https://a.example"), 0);
	cr_assert_eq(origin_allowed("*", NULL), 0);
	cr_assert_eq(origin_allowed(NULL, NULL), 0);
}

/* json_quote: a header value as a JSON string in the request log. */
static const struct {
	const char	*in;
	const char	*out;
} quote_rows[] = {
	{ "curl/7.88.1",		"\"curl/7.88.1\"" },
	{ "",				"\"\"" },
	{ "a\"b",			"\"a\\\"b\"" },
	{ "back\\slash",		"\"back\\\\slash\"" },
	{ "x\", \"status\": 200",	"\"x\\\", \\\"status\\\": 200\"" },
	{ "tab\tnl\ncr\r",		"\"tab\\u0009nl\\u000acr\\u000d\"" },
	{ "\x01\x1f\x7f",		"\"\\u0001\\u001f\\u007f\"" },
	{ "caf\xc3\xa9 \xe2\x80\xa8",	"\"caf\xc3\xa9 \xe2\x80\xa8\"" },
	{ "</script>",			"\"</script>\"" },
};

Test(http_util, json_quote_escapes_what_would_end_the_string_or_the_line)
{
	char	out[128];
	size_t	i, n;

	for (i = 0; i < sizeof(quote_rows) / sizeof(quote_rows[0]); i++) {
		n = json_quote(quote_rows[i].in, out, sizeof(out));
		cr_expect_str_eq(out, quote_rows[i].out, "row %zu", i);
		cr_expect_eq(n, strlen(quote_rows[i].out), "row %zu", i);
	}
	json_quote(NULL, out, sizeof(out));
	cr_expect_str_eq(out, "null");
}

Test(http_util, json_quote_cuts_between_characters_and_keeps_its_quotes)
{
	char	out[8];

	/* "abc" + \" (2) does not fit in 8 with the quote and the NUL. */
	cr_expect_eq(json_quote("abcd\"e", out, sizeof(out)), 6);
	cr_expect_str_eq(out, "\"abcd\"");
	cr_expect_eq(json_quote("ab\x01", out, sizeof(out)), 4);
	cr_expect_str_eq(out, "\"ab\"");
	/* A 3-byte character is kept whole or left out. */
	cr_expect_eq(json_quote("abc\xe2\x82\xac", out, sizeof(out)), 5);
	cr_expect_str_eq(out, "\"abc\"");
	cr_expect_eq(json_quote("ab\xe2\x82\xac", out, sizeof(out)), 7);
	cr_expect_str_eq(out, "\"ab\xe2\x82\xac\"");
	cr_expect_eq(json_quote("x", out, 2), 0);
	cr_expect_str_eq(out, "");
}

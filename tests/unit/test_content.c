/*
 * content.c: the "current" plan alias and rendered documents.  Nothing here
 * needs a database: the snapshot is built by hand.
 */

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "civic.h"

static struct content
snapshot(char *current)
{
	struct content	c;

	memset(&c, 0, sizeof(c));
	c.current_plan = current;
	return (c);
}

static const struct {
	const char	*path;
	const char	*want;
} resolve_rows[] = {
	{ "/v1/plans/current",		"/v1/plans/climate-2030" },
	{ "/v1/plans/current/",		"/v1/plans/climate-2030/" },
	{ "/v1/plans/current/goals",	"/v1/plans/climate-2030/goals" },
	{ "/v1/plans/current/goals/x",	"/v1/plans/climate-2030/goals/x" },
	{ "/v1/plans/current/actions/a-1/x",
	    "/v1/plans/climate-2030/actions/a-1/x" },
	/* not the alias */
	{ "/v1/plans/currently",	"/v1/plans/currently" },
	{ "/v1/plans/current-2",	"/v1/plans/current-2" },
	{ "/v1/plans/currentgoals",	"/v1/plans/currentgoals" },
	{ "/v1/plans/curren",		"/v1/plans/curren" },
	{ "/v1/plans/Current",		"/v1/plans/Current" },
	{ "/v1/plans",			"/v1/plans" },
	{ "/v1/plans/",			"/v1/plans/" },
	{ "/v1/plans/climate-2030",	"/v1/plans/climate-2030" },
	{ "/v1/plans/x/current",	"/v1/plans/x/current" },
	{ "/v2/plans/current",		"/v2/plans/current" },
	{ "/v1/plans//current",		"/v1/plans//current" },
	{ "v1/plans/current",		"v1/plans/current" },
	{ "/",				"/" },
	{ "",				"" },
};

Test(content, resolve_table)
{
	struct content	c = snapshot("/v1/plans/climate-2030");
	char		out[CIVIC_PATH_MAX];
	size_t		i;

	for (i = 0; i < sizeof(resolve_rows) / sizeof(resolve_rows[0]); i++) {
		memset(out, 'X', sizeof(out));
		cr_assert_eq(content_resolve(&c, resolve_rows[i].path, out,
		    sizeof(out)), 0, "row %zu: %s", i, resolve_rows[i].path);
		cr_assert_str_eq(out, resolve_rows[i].want, "row %zu: %s", i,
		    resolve_rows[i].path);
	}
}

Test(content, current_maps_to_the_current_plan)
{
	struct content	c = snapshot("/v1/plans/p-1");
	char		out[CIVIC_PATH_MAX];

	cr_assert_eq(content_resolve(&c, "/v1/plans/current", out,
	    sizeof(out)), 0);
	cr_assert_str_eq(out, "/v1/plans/p-1");
}

Test(content, current_subpath_maps_under_the_current_plan)
{
	struct content	c = snapshot("/v1/plans/p-1");
	char		out[CIVIC_PATH_MAX];

	cr_assert_eq(content_resolve(&c, "/v1/plans/current/goals/x", out,
	    sizeof(out)), 0);
	cr_assert_str_eq(out, "/v1/plans/p-1/goals/x");
}

Test(content, currently_is_not_the_alias)
{
	struct content	c = snapshot("/v1/plans/p-1");
	char		out[CIVIC_PATH_MAX];

	cr_assert_eq(content_resolve(&c, "/v1/plans/currently", out,
	    sizeof(out)), 0);
	cr_assert_str_eq(out, "/v1/plans/currently");
}

Test(content, current_is_refused_when_no_plan_is_current)
{
	struct content	c = snapshot(NULL);
	char		out[CIVIC_PATH_MAX];

	cr_assert_eq(content_resolve(&c, "/v1/plans/current", out,
	    sizeof(out)), -1);
	cr_assert_eq(content_resolve(&c, "/v1/plans/current/goals/x", out,
	    sizeof(out)), -1);
	cr_assert_eq(content_resolve(NULL, "/v1/plans/current", out,
	    sizeof(out)), -1);
}

Test(content, other_paths_resolve_without_a_current_plan)
{
	struct content	c = snapshot(NULL);
	char		out[CIVIC_PATH_MAX];

	cr_assert_eq(content_resolve(&c, "/v1/plans/currently", out,
	    sizeof(out)), 0);
	cr_assert_str_eq(out, "/v1/plans/currently");
	cr_assert_eq(content_resolve(NULL, "/v1/plans", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/v1/plans");
}

Test(content, resolve_refuses_what_does_not_fit)
{
	struct content	c = snapshot("/v1/plans/a-long-plan-name");
	char		out[24];

	/* "/v1/plans/x" is 11 bytes: 12 fit, 11 do not. */
	cr_assert_eq(content_resolve(&c, "/v1/plans/x", out, 12), 0);
	cr_assert_str_eq(out, "/v1/plans/x");
	cr_assert_eq(content_resolve(&c, "/v1/plans/x", out, 11), -1);

	/* The alias grows: 17 bytes in, 26 out. */
	cr_assert_eq(content_resolve(&c, "/v1/plans/current", out,
	    sizeof(out)), -1);
}

Test(content, resolve_accepts_a_result_of_exactly_outlen_minus_one)
{
	struct content	c = snapshot("/v1/plans/p");
	char		out[16];

	/* "/v1/plans/p/g/x" is 15 bytes. */
	cr_assert_eq(content_resolve(&c, "/v1/plans/current/g/x", out,
	    sizeof(out)), 0);
	cr_assert_str_eq(out, "/v1/plans/p/g/x");
}

Test(content, doc_render_gives_compact_json)
{
	struct doc	d;
	json_t		*j;

	j = json_pack("{s:s, s:i, s:[i,i], s:{s:n}, s:b}", "id", "p-1",
	    "n", 3, "list", 1, 2, "o", "x", "t", 1);
	cr_assert_not_null(j);
	cr_assert_eq(doc_render(&d, j), 0);
	cr_assert_str_eq(d.body,
	    "{\"id\":\"p-1\",\"n\":3,\"list\":[1,2],\"o\":{\"x\":null},"
	    "\"t\":true}");
	cr_assert_eq(d.len, strlen(d.body));
	doc_cleanup(&d);
	json_decref(j);
}

Test(content, doc_render_keeps_utf8_and_escapes_quotes)
{
	struct doc	d;
	json_t		*j;

	j = json_pack("{s:s}", "t", "caf\xc3\xa9 \"q\"");
	cr_assert_eq(doc_render(&d, j), 0);
	cr_assert_str_eq(d.body, "{\"t\":\"caf\xc3\xa9 \\\"q\\\"\"}");
	doc_cleanup(&d);
	json_decref(j);
}

Test(content, doc_render_etag_is_the_etag_of_exactly_those_bytes)
{
	static const char expect[] = "{\"id\":\"p-1\",\"goals\":[\"a\",\"b\"]}";
	struct doc	d;
	json_t		*j;
	char		want[CIVIC_ETAG_LEN];

	j = json_pack("{s:s, s:[s,s]}", "id", "p-1", "goals", "a", "b");
	cr_assert_eq(doc_render(&d, j), 0);
	etag_compute(d.body, d.len, want);
	cr_assert_str_eq(d.etag, want);
	cr_assert_str_eq(d.body, expect);
	etag_compute(expect, sizeof(expect) - 1, want);
	cr_assert_str_eq(d.etag, want);
	cr_assert_eq(etag_none_match(d.etag, d.etag), 1);
	doc_cleanup(&d);
	json_decref(j);
}

Test(content, doc_render_is_deterministic_and_content_sensitive)
{
	struct doc	a, b, c;
	json_t		*j1, *j2, *j3;

	j1 = json_pack("{s:i}", "n", 1);
	j2 = json_pack("{s:i}", "n", 1);
	j3 = json_pack("{s:i}", "n", 2);
	cr_assert_eq(doc_render(&a, j1), 0);
	cr_assert_eq(doc_render(&b, j2), 0);
	cr_assert_eq(doc_render(&c, j3), 0);
	cr_assert_str_eq(a.body, b.body);
	cr_assert_str_eq(a.etag, b.etag);
	cr_assert_str_neq(a.etag, c.etag);
	doc_cleanup(&a);
	doc_cleanup(&b);
	doc_cleanup(&c);
	json_decref(j1);
	json_decref(j2);
	json_decref(j3);
}

Test(content, doc_cleanup_clears_the_doc)
{
	struct doc	d;
	json_t		*j;

	j = json_array();
	cr_assert_eq(doc_render(&d, j), 0);
	cr_assert_str_eq(d.body, "[]");
	doc_cleanup(&d);
	cr_assert_null(d.body);
	cr_assert_eq(d.len, 0);
	cr_assert_eq(d.etag[0], '\0');
	json_decref(j);
}

Test(content, lookups_on_an_empty_snapshot_find_nothing)
{
	struct content	c = snapshot(NULL);

	cr_assert_null(content_resource(&c, "/v1/plans"));
	cr_assert_null(content_collection(&c, "/v1/plans"));
	cr_assert_null(content_resource(NULL, "/v1/plans"));
	cr_assert_null(content_collection(NULL, "/v1/plans"));
}

Test(content, resource_lookup_finds_exact_paths_in_a_sorted_snapshot)
{
	struct resource	r[3];
	struct content	c = snapshot(NULL);

	memset(r, 0, sizeof(r));
	r[0].path = "/v1/plans/a";
	r[1].path = "/v1/plans/b";
	r[2].path = "/v1/plans/b/goals/g";
	c.resources = r;
	c.nresources = 3;
	cr_assert_eq(content_resource(&c, "/v1/plans/b"), &r[1]);
	cr_assert_eq(content_resource(&c, "/v1/plans/b/goals/g"), &r[2]);
	cr_assert_null(content_resource(&c, "/v1/plans/c"));
	cr_assert_null(content_resource(&c, "/v1/plans/"));
}

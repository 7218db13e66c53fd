/*
 * page.c: one page of a collection, the envelope clients read.
 */

#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "civic.h"

#define PATH	"/v1/plans/p/actions"
#define N	7

/*
 * Seven members with keys -5, 10, 20, 30, 40, 50, 60 and filters
 * g1 g2 g1 - g1 g2 g1 ("-": none).  Member i is {"n": i}.
 */
static json_t	*members[N];
static int64_t	 keys[N] = { -5, 10, 20, 30, 40, 50, 60 };
static char	*filters[N] = { "g1", "g2", "g1", NULL, "g1", "g2", "g1" };
static struct page_source src;

static void
setup(void)
{
	size_t	i;

	for (i = 0; i < N; i++) {
		members[i] = json_pack("{s:I}", "n", (json_int_t)i);
		cr_assert_not_null(members[i]);
	}
	src.path = PATH;
	src.members = members;
	src.keys = keys;
	src.filters = filters;
	src.count = N;
}

static void
teardown(void)
{
	size_t	i;

	for (i = 0; i < N; i++)
		json_decref(members[i]);
}

static struct page_request
request(long limit)
{
	struct page_request	rq;

	memset(&rq, 0, sizeof(rq));
	rq.limit = limit;
	return (rq);
}

static json_t *
build(const struct page_request *rq, char cursor[CIVIC_CURSOR_MAX])
{
	json_t	*env;

	env = page_build(&src, rq, cursor, CIVIC_CURSOR_MAX);
	cr_assert_not_null(env);
	cr_assert(json_is_object(env));
	cr_assert_eq(json_object_size(env), 4, "items, limit, next_cursor, "
	    "next and nothing else");
	cr_assert(json_is_array(json_object_get(env, "items")));
	return (env);
}

/* The "n" of each item, as a string such as "0,2,4". */
static void
item_list(json_t *env, char *out, size_t len)
{
	json_t	*items, *it;
	size_t	 i, o = 0;

	out[0] = '\0';
	items = json_object_get(env, "items");
	json_array_foreach(items, i, it) {
		o += (size_t)snprintf(out + o, len - o, "%s%lld", i ? "," : "",
		    (long long)json_integer_value(json_object_get(it, "n")));
	}
}

static void
assert_items(json_t *env, const char *want)
{
	char	got[128];

	item_list(env, got, sizeof(got));
	cr_assert_str_eq(got, want);
}

static void
assert_last_page(json_t *env)
{
	cr_assert(json_is_null(json_object_get(env, "next_cursor")),
	    "next_cursor on the last page");
	cr_assert(json_is_null(json_object_get(env, "next")),
	    "next on the last page");
}

TestSuite(page, .init = setup, .fini = teardown);

Test(page, everything_fits_on_one_page)
{
	struct page_request	rq = request(50);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;

	env = build(&rq, cursor);
	assert_items(env, "0,1,2,3,4,5,6");
	cr_assert_eq(json_integer_value(json_object_get(env, "limit")), 50);
	assert_last_page(env);
	cr_assert_str_eq(cursor, "", "no cursor written on the last page");
	json_decref(env);
}

Test(page, limit_cuts_the_page)
{
	struct page_request	rq = request(3);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;

	env = build(&rq, cursor);
	assert_items(env, "0,1,2");
	cr_assert_eq(json_integer_value(json_object_get(env, "limit")), 3);
	json_decref(env);
}

Test(page, next_cursor_decodes_to_the_last_shown_key)
{
	struct page_request	rq = request(3);
	char			cursor[CIVIC_CURSOR_MAX];
	const char		*nc;
	json_t			*env;
	int64_t			 key = 0;

	env = build(&rq, cursor);
	nc = json_string_value(json_object_get(env, "next_cursor"));
	cr_assert_not_null(nc);
	cr_assert_str_eq(nc, cursor, "the cursor buffer holds next_cursor");
	cr_assert_eq(cursor_decode(nc, cursor_scope(PATH, NULL), &key), 0);
	cr_assert_eq(key, 20);
	json_decref(env);
}

Test(page, next_link_has_limit_and_cursor)
{
	struct page_request	rq = request(2);
	char			cursor[CIVIC_CURSOR_MAX], want[256];
	json_t			*env;

	env = build(&rq, cursor);
	(void)snprintf(want, sizeof(want), PATH "?limit=2&cursor=%s",
	    json_string_value(json_object_get(env, "next_cursor")));
	cr_assert_str_eq(json_string_value(json_object_get(env, "next")),
	    want);
	json_decref(env);
}

Test(page, last_page_exactly_full_has_no_next)
{
	struct page_request	rq = request(N);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;

	env = build(&rq, cursor);
	assert_items(env, "0,1,2,3,4,5,6");
	assert_last_page(env);
	json_decref(env);
}

Test(page, one_short_of_everything_has_a_next)
{
	struct page_request	rq = request(N - 1);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;

	env = build(&rq, cursor);
	assert_items(env, "0,1,2,3,4,5");
	cr_assert(json_is_string(json_object_get(env, "next_cursor")));
	cr_assert(json_is_string(json_object_get(env, "next")));
	json_decref(env);
}

Test(page, after_key_starts_after_it)
{
	struct page_request	rq = request(50);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;

	rq.has_after = 1;
	rq.after = 20;
	env = build(&rq, cursor);
	assert_items(env, "3,4,5,6");
	assert_last_page(env);
	json_decref(env);
}

Test(page, after_key_between_members_starts_at_the_next)
{
	struct page_request	rq = request(2);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;
	int64_t			 key;

	rq.has_after = 1;
	rq.after = 25;	/* a member that was removed */
	env = build(&rq, cursor);
	assert_items(env, "3,4");
	cr_assert_eq(cursor_decode(cursor, cursor_scope(PATH, NULL), &key),
	    0);
	cr_assert_eq(key, 40);
	json_decref(env);
}

Test(page, after_a_negative_key)
{
	struct page_request	rq = request(1);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;

	rq.has_after = 1;
	rq.after = -6;
	env = build(&rq, cursor);
	assert_items(env, "0");
	json_decref(env);

	rq.after = -5;
	env = build(&rq, cursor);
	assert_items(env, "1");
	json_decref(env);
}

Test(page, after_zero_is_not_the_same_as_no_after)
{
	struct page_request	rq = request(50);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;

	rq.has_after = 1;
	rq.after = 0;
	env = build(&rq, cursor);
	assert_items(env, "1,2,3,4,5,6");
	json_decref(env);
}

Test(page, after_the_last_key_is_empty)
{
	struct page_request	rq = request(50);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;

	rq.has_after = 1;
	rq.after = 60;
	env = build(&rq, cursor);
	assert_items(env, "");
	assert_last_page(env);
	json_decref(env);
}

Test(page, filter_keeps_only_matching_members)
{
	struct page_request	rq = request(50);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;

	rq.filter_param = "goal";
	rq.filter_value = "g1";
	env = build(&rq, cursor);
	assert_items(env, "0,2,4,6");
	assert_last_page(env);
	json_decref(env);

	rq.filter_value = "g2";
	env = build(&rq, cursor);
	assert_items(env, "1,5");
	json_decref(env);
}

Test(page, filter_compares_exactly)
{
	struct page_request	rq = request(50);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;

	rq.filter_param = "goal";
	rq.filter_value = "g";
	env = build(&rq, cursor);
	assert_items(env, "");
	json_decref(env);
}

Test(page, filtered_next_link_has_the_filter_and_limit)
{
	struct page_request	rq = request(2);
	char			cursor[CIVIC_CURSOR_MAX], want[256];
	const char		*nc;
	json_t			*env;
	int64_t			 key;

	rq.filter_param = "goal";
	rq.filter_value = "g1";
	env = build(&rq, cursor);
	assert_items(env, "0,2");
	nc = json_string_value(json_object_get(env, "next_cursor"));
	cr_assert_not_null(nc);
	(void)snprintf(want, sizeof(want), PATH "?goal=g1&limit=2&cursor=%s",
	    nc);
	cr_assert_str_eq(json_string_value(json_object_get(env, "next")),
	    want);

	/* Bound to the filter: refused unfiltered or with another value. */
	cr_assert_eq(cursor_decode(nc, cursor_scope(PATH, "g1"), &key), 0);
	cr_assert_eq(key, 20);
	cr_assert_eq(cursor_decode(nc, cursor_scope(PATH, NULL), &key), -1);
	cr_assert_eq(cursor_decode(nc, cursor_scope(PATH, "g2"), &key), -1);
	json_decref(env);
}

Test(page, filter_that_matches_nothing_gives_empty_items_and_null_next)
{
	struct page_request	rq = request(1);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;

	rq.filter_param = "goal";
	rq.filter_value = "nothing";
	env = build(&rq, cursor);
	assert_items(env, "");
	cr_assert_eq(json_array_size(json_object_get(env, "items")), 0);
	assert_last_page(env);
	json_decref(env);
}

Test(page, filter_with_no_more_matches_after_the_page_has_no_next)
{
	struct page_request	rq = request(2);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;

	/* g2 is members 1 and 5; members 6 follows but is g1. */
	rq.filter_param = "goal";
	rq.filter_value = "g2";
	env = build(&rq, cursor);
	assert_items(env, "1,5");
	assert_last_page(env);
	json_decref(env);
}

Test(page, empty_collection_gives_an_empty_page)
{
	struct page_request	rq = request(10);
	struct page_source	empty = src;
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;

	empty.count = 0;
	env = page_build(&empty, &rq, cursor, sizeof(cursor));
	cr_assert_not_null(env);
	assert_items(env, "");
	assert_last_page(env);
	json_decref(env);
}

Test(page, members_are_shared_not_copied)
{
	struct page_request	rq = request(50);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;

	cr_assert_eq(members[0]->refcount, 1);
	env = build(&rq, cursor);
	cr_assert_eq(json_array_get(json_object_get(env, "items"), 0),
	    members[0]);
	cr_assert_eq(members[0]->refcount, 2);
	json_decref(env);
	cr_assert_eq(members[0]->refcount, 1);
}

/* Walk the collection with limit, following next_cursor; "n" in order. */
static void
walk(long limit, const char *filter, const char *want)
{
	struct page_request	rq = request(limit);
	char			cursor[CIVIC_CURSOR_MAX], seen[256], page[128];
	const char		*nc;
	json_t			*env;
	size_t			 o = 0, pages = 0, items;
	int64_t			 key;

	rq.filter_param = filter != NULL ? "goal" : NULL;
	rq.filter_value = filter;
	seen[0] = '\0';

	for (;;) {
		cr_assert_leq(++pages, N + 1, "limit %ld: no end", limit);
		env = build(&rq, cursor);
		items = json_array_size(json_object_get(env, "items"));
		cr_assert_leq(items, (size_t)limit, "limit %ld", limit);
		item_list(env, page, sizeof(page));
		if (page[0] != '\0')
			o += (size_t)snprintf(seen + o, sizeof(seen) - o,
			    "%s%s", o ? "," : "", page);

		nc = json_string_value(json_object_get(env, "next_cursor"));
		if (nc == NULL) {
			cr_assert(json_is_null(json_object_get(env, "next")));
			json_decref(env);
			break;
		}
		cr_assert_eq(items, (size_t)limit,
		    "limit %ld: a short page has a next_cursor", limit);
		cr_assert_not_null(strstr(json_string_value(json_object_get(env,
		    "next")), nc));
		cr_assert_eq(cursor_decode(nc, cursor_scope(PATH, filter),
		    &key), 0, "limit %ld: '%s' refused", limit, nc);
		rq.has_after = 1;
		rq.after = key;
		json_decref(env);
	}

	cr_assert_str_eq(seen, want, "limit %ld, filter %s", limit,
	    filter != NULL ? filter : "(none)");
}

Test(page, walking_all_pages_visits_every_member_once_in_order)
{
	long	limit;

	for (limit = 1; limit <= N + 1; limit++)
		walk(limit, NULL, "0,1,2,3,4,5,6");
}

Test(page, walking_filtered_pages_visits_every_match_once_in_order)
{
	long	limit;

	for (limit = 1; limit <= N + 1; limit++) {
		walk(limit, "g1", "0,2,4,6");
		walk(limit, "g2", "1,5");
		walk(limit, "none", "");
	}
}

Test(page, large_keys_page_correctly)
{
	static int64_t		bigkeys[3] = { INT64_MIN, 0, INT64_MAX };
	struct page_source	s = src;
	struct page_request	rq = request(1);
	char			cursor[CIVIC_CURSOR_MAX];
	json_t			*env;
	int64_t			 key;

	s.keys = bigkeys;
	s.count = 3;
	env = page_build(&s, &rq, cursor, sizeof(cursor));
	cr_assert_eq(cursor_decode(cursor, cursor_scope(PATH, NULL), &key), 0);
	cr_assert_eq(key, INT64_MIN);
	json_decref(env);

	rq.has_after = 1;
	rq.after = 0;
	env = page_build(&s, &rq, cursor, sizeof(cursor));
	assert_items(env, "2");
	assert_last_page(env);
	json_decref(env);
}

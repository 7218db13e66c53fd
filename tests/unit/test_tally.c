/*
 * tally.c: tallies from summed counters [question, bucket, n].
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "civic.h"

#define SURVEY								\
	"{\"id\":\"s\",\"plan\":\"p\",\"questions\":["			\
	"{\"id\":\"right-plan\",\"type\":\"agreement\",\"required\":true," \
	"\"options\":[\"strongly_disagree\",\"disagree\",\"neutral\","	\
	"\"agree\",\"strongly_agree\"]},"				\
	"{\"id\":\"top\",\"type\":\"objectives\",\"required\":true,"	\
	"\"min\":1,\"max\":3},"						\
	"{\"id\":\"how\",\"type\":\"choice\",\"required\":false,"	\
	"\"options\":[\"web\",\"mail\"]},"				\
	"{\"id\":\"which\",\"type\":\"choices\",\"required\":false,"	\
	"\"options\":[\"a\",\"b\",\"c\"],\"max\":2},"			\
	"{\"id\":\"say\",\"type\":\"text\",\"required\":false,"		\
	"\"max_length\":5}]}"

#define OBJECTIVES	"[\"o1\",\"o2\",\"o3\",\"o4\"]"
#define AS_OF		"2024-01-01T00:00:00Z"

/* Counters of 20 responses. */
#define COUNTS								\
	"[[\"right-plan\",\"strongly_disagree\",1],"			\
	"[\"right-plan\",\"disagree\",2],[\"right-plan\",\"neutral\",3]," \
	"[\"right-plan\",\"agree\",4],[\"right-plan\",\"strongly_agree\",5]," \
	"[\"top\",\"~answered\",10],[\"top\",\"o1\",3],[\"top\",\"o2\",7]," \
	"[\"top\",\"o4\",3],"						\
	"[\"how\",\"web\",6],[\"how\",\"mail\",2],"			\
	"[\"which\",\"~answered\",5],[\"which\",\"a\",4],[\"which\",\"c\",1]," \
	"[\"say\",\"hello\",1]]"

static json_t *
load(const char *text)
{
	json_t		*j;
	json_error_t	 jerr;

	j = json_loads(text, JSON_DECODE_ANY, &jerr);
	cr_assert_not_null(j, "test JSON does not parse (%s): %s", jerr.text,
	    text);
	return (j);
}

/* tally_build of the test survey with counts (JSON text). */
static json_t *
build(const char *counts, json_int_t total, json_int_t version)
{
	json_t	*survey, *objectives, *c, *doc;

	survey = load(SURVEY);
	objectives = load(OBJECTIVES);
	c = load(counts);
	doc = tally_build(survey, objectives, c, total, version, AS_OF);
	cr_assert_not_null(doc, "tally_build returned NULL");
	json_decref(survey);
	json_decref(objectives);
	json_decref(c);
	return (doc);
}

/* The tally of question qid in doc (borrowed). */
static json_t *
question(json_t *doc, const char *qid)
{
	json_t	*q;
	size_t	 i;

	json_array_foreach(json_object_get(doc, "questions"), i, q) {
		if (!strcmp(json_string_value(json_object_get(q, "id")), qid))
			return (q);
	}
	cr_assert_fail("no question '%s' in the tallies", qid);
	return (NULL);
}

/* member of obj must equal want (JSON text). */
static void
assert_member(json_t *obj, const char *member, const char *want_text)
{
	json_t	*want;
	char	*got;

	want = load(want_text);
	got = json_dumps(json_object_get(obj, member), JSON_COMPACT |
	    JSON_ENCODE_ANY);
	cr_assert(json_equal(json_object_get(obj, member), want),
	    "%s is %s, want %s", member, got != NULL ? got : "(none)",
	    want_text);
	free(got);
	json_decref(want);
}

Test(tally, document_names_survey_time_total_and_version)
{
	json_t	*doc;

	doc = build(COUNTS, 20, 7);
	assert_member(doc, "survey", "\"s\"");
	assert_member(doc, "as_of", "\"" AS_OF "\"");
	assert_member(doc, "total", "20");
	assert_member(doc, "version", "\"7\"");
	json_decref(doc);
}

Test(tally, version_is_rendered_as_a_decimal_string)
{
	static const struct {
		json_int_t	 version;
		const char	*text;
	} rows[] = {
		{ 0,				"\"0\"" },
		{ 1,				"\"1\"" },
		{ 9007199254740993LL,		"\"9007199254740993\"" },
		{ INT64_MAX,			"\"9223372036854775807\"" },
	};
	json_t	*doc;
	size_t	 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		doc = build(COUNTS, 20, rows[i].version);
		cr_assert(json_is_string(json_object_get(doc, "version")),
		    "row %zu", i);
		assert_member(doc, "version", rows[i].text);
		json_decref(doc);
	}
}

Test(tally, document_has_exactly_its_members)
{
	static const char *const members[] = { "survey", "as_of", "version",
	    "total", "questions" };
	json_t	*doc;
	size_t	 i;

	doc = build(COUNTS, 20, 7);
	cr_assert_eq(json_object_size(doc), 5);
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		cr_assert_not_null(json_object_get(doc, members[i]), "%s",
		    members[i]);
	json_decref(doc);
}

Test(tally, text_questions_are_left_out_and_order_is_the_surveys)
{
	json_t	*doc, *qs;

	doc = build(COUNTS, 20, 7);
	qs = json_object_get(doc, "questions");
	cr_assert_eq(json_array_size(qs), 4);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(qs,
	    0), "id")), "right-plan");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(qs,
	    1), "id")), "top");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(qs,
	    2), "id")), "how");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(qs,
	    3), "id")), "which");
	json_decref(doc);
}

Test(tally, every_question_names_its_type)
{
	json_t	*doc;

	doc = build(COUNTS, 20, 7);
	assert_member(question(doc, "right-plan"), "type", "\"agreement\"");
	assert_member(question(doc, "top"), "type", "\"objectives\"");
	assert_member(question(doc, "how"), "type", "\"choice\"");
	assert_member(question(doc, "which"), "type", "\"choices\"");
	json_decref(doc);
}

Test(tally, agreement_counts_every_level)
{
	json_t	*doc;

	doc = build(COUNTS, 20, 7);
	assert_member(question(doc, "right-plan"), "counts",
	    "{\"strongly_disagree\":1,\"disagree\":2,\"neutral\":3,"
	    "\"agree\":4,\"strongly_agree\":5}");
	json_decref(doc);
}

Test(tally, agreement_level_without_a_counter_is_zero)
{
	json_t	*doc;

	doc = build("[[\"right-plan\",\"agree\",4]]", 4, 1);
	assert_member(question(doc, "right-plan"), "counts",
	    "{\"strongly_disagree\":0,\"disagree\":0,\"neutral\":0,"
	    "\"agree\":4,\"strongly_agree\":0}");
	json_decref(doc);
}

Test(tally, agreement_answered_is_the_sum_of_its_levels)
{
	json_t	*doc;

	doc = build(COUNTS, 20, 7);
	assert_member(question(doc, "right-plan"), "answered", "15");
	json_decref(doc);
}

Test(tally, agree_share_is_agree_and_strongly_agree_over_all_levels)
{
	json_t	*doc;

	doc = build(COUNTS, 20, 7);
	assert_member(question(doc, "right-plan"), "agree",
	    "{\"numerator\":9,\"denominator\":15,\"share\":0.6}");
	json_decref(doc);
}

Test(tally, agree_share_table)
{
	static const struct {
		const char	*counts;
		const char	*agree;
	} rows[] = {
		{ "[[\"right-plan\",\"strongly_agree\",3]]",
		    "{\"numerator\":3,\"denominator\":3,\"share\":1.0}" },
		{ "[[\"right-plan\",\"disagree\",3]]",
		    "{\"numerator\":0,\"denominator\":3,\"share\":0.0}" },
		{ "[[\"right-plan\",\"neutral\",3],"
		    "[\"right-plan\",\"agree\",1]]",
		    "{\"numerator\":1,\"denominator\":4,\"share\":0.25}" },
		{ "[[\"right-plan\",\"agree\",1],[\"right-plan\","
		    "\"strongly_agree\",1],"
		    "[\"right-plan\",\"strongly_disagree\",2]]",
		    "{\"numerator\":2,\"denominator\":4,\"share\":0.5}" },
		/* Other questions' counters do not count. */
		{ "[[\"right-plan\",\"agree\",1],[\"how\",\"web\",9],"
		    "[\"top\",\"agree\",9]]",
		    "{\"numerator\":1,\"denominator\":1,\"share\":1.0}" },
	};
	json_t	*doc;
	size_t	 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		doc = build(rows[i].counts, 10, 1);
		assert_member(question(doc, "right-plan"), "agree",
		    rows[i].agree);
		json_decref(doc);
	}
}

Test(tally, objectives_answered_is_the_answered_counter)
{
	json_t	*doc;

	doc = build(COUNTS, 20, 7);
	assert_member(question(doc, "top"), "answered", "10");
	json_decref(doc);
}

Test(tally, objectives_are_ranked_with_ties_and_zero_votes_included)
{
	json_t	*doc;

	doc = build(COUNTS, 20, 7);
	assert_member(question(doc, "top"), "objectives", "["
	    "{\"id\":\"o2\",\"votes\":7,\"share\":{\"numerator\":7,"
	    "\"denominator\":10,\"share\":0.7},\"rank\":1},"
	    "{\"id\":\"o1\",\"votes\":3,\"share\":{\"numerator\":3,"
	    "\"denominator\":10,\"share\":0.3},\"rank\":2},"
	    "{\"id\":\"o4\",\"votes\":3,\"share\":{\"numerator\":3,"
	    "\"denominator\":10,\"share\":0.3},\"rank\":2},"
	    "{\"id\":\"o3\",\"votes\":0,\"share\":{\"numerator\":0,"
	    "\"denominator\":10,\"share\":0.0},\"rank\":4}]");
	json_decref(doc);
}

/*
 * Votes of o1..o4, and the objectives' order and ranks that follow: by
 * rank, then plan order; equal votes share a rank and skip the next ones.
 */
static const struct {
	int		 votes[4];
	const char	*order;		/* ids, in order */
	int		 ranks[4];
} rank_rows[] = {
	{ { 4, 3, 2, 1 }, "o1 o2 o3 o4", { 1, 2, 3, 4 } },
	{ { 1, 2, 3, 4 }, "o4 o3 o2 o1", { 1, 2, 3, 4 } },
	{ { 5, 5, 5, 5 }, "o1 o2 o3 o4", { 1, 1, 1, 1 } },
	{ { 0, 0, 0, 0 }, "o1 o2 o3 o4", { 1, 1, 1, 1 } },
	{ { 5, 5, 5, 1 }, "o1 o2 o3 o4", { 1, 1, 1, 4 } },
	{ { 1, 5, 5, 5 }, "o2 o3 o4 o1", { 1, 1, 1, 4 } },
	{ { 2, 9, 2, 2 }, "o2 o1 o3 o4", { 1, 2, 2, 2 } },
	{ { 3, 3, 1, 1 }, "o1 o2 o3 o4", { 1, 1, 3, 3 } },
	{ { 1, 3, 1, 3 }, "o2 o4 o1 o3", { 1, 1, 3, 3 } },
	{ { 0, 7, 0, 3 }, "o2 o4 o1 o3", { 1, 2, 3, 3 } },
	{ { 3, 7, 0, 3 }, "o2 o1 o4 o3", { 1, 2, 2, 4 } },
};

Test(tally, ranking_table)
{
	json_t	*doc, *objs, *o, *counts;
	char	 order[64], *text;
	size_t	 i, j, len;

	for (i = 0; i < sizeof(rank_rows) / sizeof(rank_rows[0]); i++) {
		counts = json_pack("[[s,s,i]]", "top", "~answered", 10);
		for (j = 0; j < 4; j++) {
			char	id[24];

			(void)snprintf(id, sizeof(id), "o%zu", j + 1);
			if (rank_rows[i].votes[j] > 0)
				json_array_append_new(counts, json_pack(
				    "[s,s,i]", "top", id,
				    rank_rows[i].votes[j]));
		}
		text = json_dumps(counts, JSON_COMPACT);
		doc = build(text, 10, 1);
		free(text);
		json_decref(counts);

		objs = json_object_get(question(doc, "top"), "objectives");
		cr_assert_eq(json_array_size(objs), 4, "row %zu", i);
		order[0] = '\0';
		json_array_foreach(objs, j, o) {
			len = strlen(order);
			(void)snprintf(order + len, sizeof(order) - len,
			    "%s%s", j ? " " : "",
			    json_string_value(json_object_get(o, "id")));
			cr_assert_eq(json_integer_value(json_object_get(o,
			    "rank")), rank_rows[i].ranks[j], "row %zu: "
			    "position %zu has rank %lld, want %d", i, j,
			    (long long)json_integer_value(json_object_get(o,
			    "rank")), rank_rows[i].ranks[j]);
		}
		cr_assert_str_eq(order, rank_rows[i].order, "row %zu", i);
		json_decref(doc);
	}
}

Test(tally, objective_votes_for_ids_not_in_the_plan_are_ignored)
{
	json_t	*doc, *objs;

	doc = build("[[\"top\",\"~answered\",2],[\"top\",\"o9\",2],"
	    "[\"top\",\"o2\",1]]", 2, 1);
	objs = json_object_get(question(doc, "top"), "objectives");
	cr_assert_eq(json_array_size(objs), 4);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(objs,
	    0), "id")), "o2");
	json_decref(doc);
}

Test(tally, choice_counts_every_option_and_missing_ones_are_zero)
{
	json_t	*doc;

	doc = build(COUNTS, 20, 7);
	assert_member(question(doc, "how"), "counts", "{\"web\":6,\"mail\":2}");
	json_decref(doc);

	doc = build("[[\"how\",\"mail\",5]]", 5, 1);
	assert_member(question(doc, "how"), "counts", "{\"web\":0,\"mail\":5}");
	json_decref(doc);
}

Test(tally, choice_answered_is_the_sum_of_its_options)
{
	json_t	*doc;

	doc = build(COUNTS, 20, 7);
	assert_member(question(doc, "how"), "answered", "8");
	json_decref(doc);
}

Test(tally, choices_counts_every_option_and_missing_ones_are_zero)
{
	json_t	*doc;

	doc = build(COUNTS, 20, 7);
	assert_member(question(doc, "which"), "counts",
	    "{\"a\":4,\"b\":0,\"c\":1}");
	json_decref(doc);
}

Test(tally, choices_answered_is_the_answered_counter)
{
	json_t	*doc;

	doc = build(COUNTS, 20, 7);
	assert_member(question(doc, "which"), "answered", "5");
	json_decref(doc);
}

Test(tally, choice_questions_have_no_objectives_or_agree)
{
	json_t	*doc;

	doc = build(COUNTS, 20, 7);
	cr_assert_null(json_object_get(question(doc, "how"), "agree"));
	cr_assert_null(json_object_get(question(doc, "how"), "objectives"));
	cr_assert_null(json_object_get(question(doc, "which"), "agree"));
	cr_assert_null(json_object_get(question(doc, "top"), "counts"));
	json_decref(doc);
}

Test(tally, whole_document_for_the_sample_counters)
{
	json_t	*doc, *want;
	char	*got;

	doc = build(COUNTS, 20, 7);
	want = load("{\"survey\":\"s\",\"as_of\":\"" AS_OF "\","
	    "\"version\":\"7\",\"total\":20,\"questions\":["
	    "{\"id\":\"right-plan\",\"type\":\"agreement\",\"answered\":15,"
	    "\"counts\":{\"strongly_disagree\":1,\"disagree\":2,"
	    "\"neutral\":3,\"agree\":4,\"strongly_agree\":5},"
	    "\"agree\":{\"numerator\":9,\"denominator\":15,\"share\":0.6}},"
	    "{\"id\":\"top\",\"type\":\"objectives\",\"answered\":10,"
	    "\"objectives\":["
	    "{\"id\":\"o2\",\"votes\":7,\"share\":{\"numerator\":7,"
	    "\"denominator\":10,\"share\":0.7},\"rank\":1},"
	    "{\"id\":\"o1\",\"votes\":3,\"share\":{\"numerator\":3,"
	    "\"denominator\":10,\"share\":0.3},\"rank\":2},"
	    "{\"id\":\"o4\",\"votes\":3,\"share\":{\"numerator\":3,"
	    "\"denominator\":10,\"share\":0.3},\"rank\":2},"
	    "{\"id\":\"o3\",\"votes\":0,\"share\":{\"numerator\":0,"
	    "\"denominator\":10,\"share\":0.0},\"rank\":4}]},"
	    "{\"id\":\"how\",\"type\":\"choice\",\"answered\":8,"
	    "\"counts\":{\"web\":6,\"mail\":2}},"
	    "{\"id\":\"which\",\"type\":\"choices\",\"answered\":5,"
	    "\"counts\":{\"a\":4,\"b\":0,\"c\":1}}]}");
	got = json_dumps(doc, JSON_COMPACT);
	cr_assert(json_equal(doc, want), "%s", got);
	free(got);
	json_decref(want);
	json_decref(doc);
}

Test(tally, empty_counters_give_zeros_and_share_zero)
{
	json_t	*doc, *want;
	char	*got;

	doc = build("[]", 0, 0);
	want = load("{\"survey\":\"s\",\"as_of\":\"" AS_OF "\","
	    "\"version\":\"0\",\"total\":0,\"questions\":["
	    "{\"id\":\"right-plan\",\"type\":\"agreement\",\"answered\":0,"
	    "\"counts\":{\"strongly_disagree\":0,\"disagree\":0,"
	    "\"neutral\":0,\"agree\":0,\"strongly_agree\":0},"
	    "\"agree\":{\"numerator\":0,\"denominator\":0,\"share\":0.0}},"
	    "{\"id\":\"top\",\"type\":\"objectives\",\"answered\":0,"
	    "\"objectives\":["
	    "{\"id\":\"o1\",\"votes\":0,\"share\":{\"numerator\":0,"
	    "\"denominator\":0,\"share\":0.0},\"rank\":1},"
	    "{\"id\":\"o2\",\"votes\":0,\"share\":{\"numerator\":0,"
	    "\"denominator\":0,\"share\":0.0},\"rank\":1},"
	    "{\"id\":\"o3\",\"votes\":0,\"share\":{\"numerator\":0,"
	    "\"denominator\":0,\"share\":0.0},\"rank\":1},"
	    "{\"id\":\"o4\",\"votes\":0,\"share\":{\"numerator\":0,"
	    "\"denominator\":0,\"share\":0.0},\"rank\":1}]},"
	    "{\"id\":\"how\",\"type\":\"choice\",\"answered\":0,"
	    "\"counts\":{\"web\":0,\"mail\":0}},"
	    "{\"id\":\"which\",\"type\":\"choices\",\"answered\":0,"
	    "\"counts\":{\"a\":0,\"b\":0,\"c\":0}}]}");
	got = json_dumps(doc, JSON_COMPACT);
	cr_assert(json_equal(doc, want), "%s", got);
	free(got);
	json_decref(want);
	json_decref(doc);
}

Test(tally, shares_are_reals_even_when_whole)
{
	json_t	*doc, *o;

	doc = build("[[\"right-plan\",\"agree\",2],[\"top\",\"~answered\",2],"
	    "[\"top\",\"o1\",2]]", 2, 1);
	cr_assert(json_is_real(json_object_get(json_object_get(question(doc,
	    "right-plan"), "agree"), "share")));
	o = json_array_get(json_object_get(question(doc, "top"),
	    "objectives"), 0);
	cr_assert(json_is_real(json_object_get(json_object_get(o, "share"),
	    "share")));
	cr_assert(json_is_real(json_object_get(json_object_get(
	    json_array_get(json_object_get(question(doc, "top"),
	    "objectives"), 3), "share"), "share")));
	json_decref(doc);
}

Test(tally, plan_without_objectives_gives_an_empty_list)
{
	json_t	*survey, *objectives, *counts, *doc, *objs;

	survey = load(SURVEY);
	objectives = load("[]");
	counts = load(COUNTS);
	doc = tally_build(survey, objectives, counts, 20, 1, AS_OF);
	cr_assert_not_null(doc);
	objs = json_object_get(question(doc, "top"), "objectives");
	cr_assert(json_is_array(objs));
	cr_assert_eq(json_array_size(objs), 0);
	json_decref(doc);
	json_decref(counts);
	json_decref(objectives);
	json_decref(survey);
}

Test(tally, inputs_are_left_unchanged)
{
	json_t	*survey, *objectives, *counts, *doc;
	json_t	*survey2, *objectives2, *counts2;

	survey = load(SURVEY);
	objectives = load(OBJECTIVES);
	counts = load(COUNTS);
	survey2 = load(SURVEY);
	objectives2 = load(OBJECTIVES);
	counts2 = load(COUNTS);
	doc = tally_build(survey, objectives, counts, 20, 1, AS_OF);
	cr_assert_not_null(doc);
	json_decref(doc);
	cr_assert(json_equal(survey, survey2));
	cr_assert(json_equal(objectives, objectives2));
	cr_assert(json_equal(counts, counts2));
	cr_assert_eq(survey->refcount, 1);
	cr_assert_eq(objectives->refcount, 1);
	json_decref(survey);
	json_decref(objectives);
	json_decref(counts);
	json_decref(survey2);
	json_decref(objectives2);
	json_decref(counts2);
}

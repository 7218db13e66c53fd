/*
 * Tally arithmetic: from the summed counters of a survey to the document a
 * dashboard reads.  Counters are rows [question, bucket, n]: one bucket per
 * value chosen, and for multi-valued questions (objectives, choices)
 * "~answered", the number of responses that answered them; a single-valued
 * question's respondents are the sum of its buckets.
 */

#include <stdlib.h>
#include <string.h>

#include "civic.h"

static json_int_t
count_of(json_t *counts, const char *question, const char *bucket)
{
	json_t	*row;
	size_t	 i;

	json_array_foreach(counts, i, row) {
		if (!strcmp(json_string_value(json_array_get(row, 0)),
		    question) &&
		    !strcmp(json_string_value(json_array_get(row, 1)), bucket))
			return (json_integer_value(json_array_get(row, 2)));
	}
	return (0);
}

/* The sum of a question's buckets. */
static json_int_t
count_all(json_t *counts, const char *question)
{
	json_t		*row;
	json_int_t	 n;
	size_t		 i;

	n = 0;
	json_array_foreach(counts, i, row) {
		if (!strcmp(json_string_value(json_array_get(row, 0)),
		    question))
			n += json_integer_value(json_array_get(row, 2));
	}
	return (n);
}

static json_t *
share(json_int_t num, json_int_t den)
{
	return (json_pack("{s:I, s:I, s:f}", "numerator", num,
	    "denominator", den, "share", den > 0 ? (double)num / den : 0.0));
}

struct ranked {
	json_t		*item;
	json_int_t	 votes;
	size_t		 order;
};

static int
ranked_cmp(const void *a, const void *b)
{
	const struct ranked	*x = a, *y = b;

	if (x->votes != y->votes)
		return (x->votes > y->votes ? -1 : 1);
	return (x->order < y->order ? -1 : x->order > y->order);
}

/*
 * The votes of an objectives question: one entry per objective of the
 * plan (objectives: the plan's objective ids, in plan order), with its
 * votes, the share of the question's respondents who chose it, and its
 * rank (equal votes share a rank: 1, 2, 2, 4).  A new reference.
 */
static json_t *
tally_objectives(json_t *counts, const char *qid, json_t *objectives,
    json_int_t answered)
{
	struct ranked	*r;
	json_t		*out, *id;
	size_t		 i, n;

	n = json_array_size(objectives);
	if ((r = calloc(n + 1, sizeof(*r))) == NULL)
		return (NULL);

	json_array_foreach(objectives, i, id) {
		r[i].votes = count_of(counts, qid, json_string_value(id));
		r[i].order = i;
		r[i].item = json_pack("{s:O, s:I, s:o}", "id", id, "votes",
		    r[i].votes, "share", share(r[i].votes, answered));
	}
	qsort(r, n, sizeof(*r), ranked_cmp);

	out = json_array();
	for (i = 0; i < n; i++) {
		json_object_set_new(r[i].item, "rank", json_integer(
		    (i > 0 && r[i].votes == r[i - 1].votes) ?
		    json_integer_value(json_object_get(r[i - 1].item,
		    "rank")) : (json_int_t)i + 1));
		json_array_append_new(out, r[i].item);
	}
	free(r);
	return (out);
}

/*
 * Build the tallies of survey (its published document) from the counters
 * (an array of [question, bucket, n]) and the number of counted responses.
 * Returns a new reference.
 */
json_t *
tally_build(json_t *survey, json_t *objectives, json_t *counts,
    json_int_t total, json_int_t version, const char *as_of)
{
	static const char *const levels[] = { "strongly_disagree",
	    "disagree", "neutral", "agree", "strongly_agree", NULL };
	json_t		*doc, *qs, *q, *t, *c, *opt;
	const char	*qid, *type;
	json_int_t	 answered, n, agree;
	size_t		 i, j;

	qs = json_array();
	json_array_foreach(json_object_get(survey, "questions"), i, q) {
		qid = json_string_value(json_object_get(q, "id"));
		type = json_string_value(json_object_get(q, "type"));
		if (qid == NULL || type == NULL || !strcmp(type, "text"))
			continue;

		if (!strcmp(type, "objectives") || !strcmp(type, "choices"))
			answered = count_of(counts, qid, "~answered");
		else
			answered = count_all(counts, qid);
		t = json_pack("{s:s, s:s, s:I}", "id", qid, "type", type,
		    "answered", answered);

		if (!strcmp(type, "objectives")) {
			json_object_set_new(t, "objectives",
			    tally_objectives(counts, qid, objectives,
			    answered));
		} else if (!strcmp(type, "agreement")) {
			c = json_object();
			for (j = 0; levels[j] != NULL; j++)
				json_object_set_new(c, levels[j], json_integer(
				    count_of(counts, qid, levels[j])));
			agree = count_of(counts, qid, "agree") +
			    count_of(counts, qid, "strongly_agree");
			json_object_set_new(t, "counts", c);
			json_object_set_new(t, "agree", share(agree,
			    answered));
		} else {
			c = json_object();
			json_array_foreach(json_object_get(q, "options"), j,
			    opt) {
				n = count_of(counts, qid,
				    json_string_value(opt));
				json_object_set_new(c, json_string_value(opt),
				    json_integer(n));
			}
			json_object_set_new(t, "counts", c);
		}
		json_array_append_new(qs, t);
	}

	doc = json_pack("{s:O, s:s, s:s, s:I, s:o}",
	    "survey", json_object_get(survey, "id"),
	    "as_of", as_of,
	    "version", "", "total", total,
	    "questions", qs);
	json_object_set_new(doc, "version", json_sprintf("%lld",
	    (long long)version));
	return (doc);
}

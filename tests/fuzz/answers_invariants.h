/*
 * What answers_check() (src/answers.c) promises for any body, shared by
 * fuzz_answers.c (a fixed survey) and fuzz_answers_survey.c (a survey from
 * the input too).
 *
 * - It returns 0 with an array of errors and an array of values.
 * - Every error is {pointer, detail}, the detail not empty, the pointer a
 *   JSON Pointer (RFC 6901) to a value in the body, or to a member the
 *   body lacks and must have (external_id, answers, a required answer).
 * - Every value row is {question, value, objective} for a question of the
 *   survey, with a value the body gave for it.
 * - No error means the body is good: only known members, an external_id
 *   of 1 to 200 characters, a channel of 1 to 50, answers of the
 *   questions only, each of its type, and a row for every choice made.
 * - The hash ignores the order of members and blanks: the same body
 *   written another way gives the same hash, values and faults.
 */

#ifndef ANSWERS_INVARIANTS_H
#define ANSWERS_INVARIANTS_H

#include <time.h>

#include "civic.h"
#include "fuzz.h"

/* "now" for every check: 2023-11-14T22:13:20Z. */
#define FUZZ_NOW	((time_t)1700000000)

static const char *const fuzz_levels[] = { "strongly_disagree", "disagree",
    "neutral", "agree", "strongly_agree", NULL };

/* Code points in a valid UTF-8 string. */
static inline size_t
fuzz_utf8_len(const char *s)
{
	size_t	n;

	for (n = 0; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return (n);
}

static inline int
fuzz_in_array(json_t *array, json_t *v)
{
	size_t	 i;
	json_t	*e;

	json_array_foreach(array, i, e) {
		if (json_equal(e, v))
			return (1);
	}
	return (0);
}

static inline json_t *
fuzz_question(json_t *survey, const char *qid)
{
	size_t	 i;
	json_t	*q;

	json_array_foreach(json_object_get(survey, "questions"), i, q) {
		if (json_is_string(json_object_get(q, "id")) &&
		    strcmp(json_string_value(json_object_get(q, "id")),
		    qid) == 0)
			return (q);
	}
	return (NULL);
}

/*
 * The value a JSON Pointer names in root, or NULL.  *last gets the
 * pointer's last reference token, unescaped (the caller frees it).
 */
static inline json_t *
fuzz_pointer_get(json_t *root, const char *ptr, char **last)
{
	json_t		*v;
	const char	*p, *end;
	char		*tok, *w;
	size_t		 idx;

	*last = NULL;
	v = root;
	for (p = ptr; *p != '\0'; p = end) {
		FUZZ_ASSERT(*p == '/', "pointer '%s'", ptr);
		p++;
		if ((end = strchr(p, '/')) == NULL)
			end = p + strlen(p);
		free(*last);
		if ((tok = w = malloc((size_t)(end - p) + 1)) == NULL)
			abort();
		for (; p < end; p++) {
			if (*p == '~') {
				FUZZ_ASSERT(p[1] == '0' || p[1] == '1',
				    "pointer '%s': a bad escape", ptr);
				*w++ = p[1] == '0' ? '~' : '/';
				p++;
			} else {
				*w++ = *p;
			}
		}
		*w = '\0';
		*last = tok;
		if (json_is_object(v)) {
			v = json_object_get(v, tok);
		} else if (json_is_array(v) && tok[0] >= '0' && tok[0] <= '9' &&
		    (tok[0] != '0' || tok[1] == '\0') && strlen(tok) < 10) {
			idx = (size_t)strtoul(tok, NULL, 10);
			v = json_array_get(v, idx);
		} else {
			v = NULL;
		}
		if (v == NULL && *end != '\0') {
			/* Only the last token may name what is missing. */
			return (NULL);
		}
	}
	return (v);
}

static inline void
fuzz_check_error(json_t *body, json_t *survey, json_t *e)
{
	json_t		*ptr, *detail, *parent, *q;
	const char	*p;
	char		*last, *up;

	ptr = json_object_get(e, "pointer");
	detail = json_object_get(e, "detail");
	FUZZ_ASSERT(json_is_object(e) && json_object_size(e) == 2 &&
	    json_is_string(ptr) && json_is_string(detail) &&
	    json_string_length(detail) > 0, "a bad error");
	p = json_string_value(ptr);
	FUZZ_ASSERT(*p == '\0' || *p == '/', "pointer '%s'", p);
	if (fuzz_pointer_get(body, p, &last) != NULL) {
		free(last);
		return;
	}

	/* A member missing: one the body must have. */
	FUZZ_ASSERT(last != NULL, "pointer '%s' names nothing", p);
	if ((up = strdup(p)) == NULL)
		abort();
	*strrchr(up, '/') = '\0';
	free(last);
	parent = fuzz_pointer_get(body, up, &last);
	free(last);
	FUZZ_ASSERT(json_is_object(parent), "pointer '%s' names nothing", p);
	if (strcmp(p, "/external_id") == 0 || strcmp(p, "/answers") == 0) {
		free(up);
		return;
	}
	FUZZ_ASSERT(strcmp(up, "/answers") == 0, "pointer '%s' names nothing",
	    p);
	q = fuzz_question(survey, p + strlen("/answers/"));
	FUZZ_ASSERT(q != NULL && json_is_true(json_object_get(q, "required")),
	    "pointer '%s' names nothing", p);
	free(up);
}

static inline void
fuzz_check_row(json_t *body, json_t *survey, json_t *row)
{
	json_t		*q, *given, *value;
	const char	*qid;

	qid = json_string_value(json_object_get(row, "question"));
	value = json_object_get(row, "value");
	FUZZ_ASSERT(json_is_object(row) && json_object_size(row) == 3 &&
	    qid != NULL && json_is_string(value) &&
	    json_is_boolean(json_object_get(row, "objective")), "a bad row");
	q = fuzz_question(survey, qid);
	FUZZ_ASSERT(q != NULL, "a row of no question '%s'", qid);
	FUZZ_ASSERT(json_is_true(json_object_get(row, "objective")) ==
	    (strcmp(json_string_value(json_object_get(q, "type")),
	    "objectives") == 0), "row of '%s': objective", qid);
	given = json_object_get(json_object_get(body, "answers"), qid);
	FUZZ_ASSERT(json_equal(given, value) || (json_is_array(given) &&
	    fuzz_in_array(given, value)), "row of '%s': a value not given",
	    qid);
}

/* How many rows a good body counts; -1 when the body is not good. */
static inline long
fuzz_good_rows(json_t *body, json_t *survey, json_t *objectives)
{
	static const char *const members[] = { "external_id", "answers",
	    "submitted_at", "channel", NULL };
	json_t		*v, *answers, *q, *allowed, *e, *seen;
	const char	*key, *type;
	size_t		 i, j;
	long		 rows;
	json_int_t	 min, max;

	if (!json_is_object(body))
		return (-1);
	json_object_foreach(body, key, v) {
		for (i = 0; members[i] != NULL; i++)
			if (strcmp(key, members[i]) == 0)
				break;
		if (members[i] == NULL)
			return (-1);
	}
	v = json_object_get(body, "external_id");
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    fuzz_utf8_len(json_string_value(v)) > 200)
		return (-1);
	v = json_object_get(body, "channel");
	if (v != NULL && !json_is_null(v) && (!json_is_string(v) ||
	    json_string_length(v) == 0 ||
	    fuzz_utf8_len(json_string_value(v)) > 50))
		return (-1);
	v = json_object_get(body, "submitted_at");
	if (v != NULL && !json_is_null(v) && !json_is_string(v))
		return (-1);
	answers = json_object_get(body, "answers");
	if (!json_is_object(answers))
		return (-1);
	json_object_foreach(answers, key, v) {
		if (fuzz_question(survey, key) == NULL)
			return (-1);
	}

	rows = 0;
	json_array_foreach(json_object_get(survey, "questions"), i, q) {
		v = json_object_get(answers, json_string_value(
		    json_object_get(q, "id")));
		if (v == NULL || json_is_null(v)) {
			if (json_is_true(json_object_get(q, "required")))
				return (-1);
			continue;
		}
		type = json_string_value(json_object_get(q, "type"));
		if (strcmp(type, "agreement") == 0) {
			for (j = 0; fuzz_levels[j] != NULL; j++)
				if (json_is_string(v) && strcmp(fuzz_levels[j],
				    json_string_value(v)) == 0)
					break;
			if (fuzz_levels[j] == NULL)
				return (-1);
			rows++;
		} else if (strcmp(type, "choice") == 0) {
			if (!json_is_string(v) || !fuzz_in_array(
			    json_object_get(q, "options"), v))
				return (-1);
			rows++;
		} else if (strcmp(type, "text") == 0) {
			if (!json_is_string(v) ||
			    fuzz_utf8_len(json_string_value(v)) >
			    (size_t)json_integer_value(json_object_get(q,
			    "max_length")))
				return (-1);
		} else {
			allowed = strcmp(type, "objectives") == 0 ?
			    objectives : json_object_get(q, "options");
			if (!json_is_array(v))
				return (-1);
			min = json_integer_value(json_object_get(q, "min"));
			max = json_is_integer(json_object_get(q, "max")) ?
			    json_integer_value(json_object_get(q, "max")) :
			    (json_int_t)json_array_size(allowed);
			if ((json_int_t)json_array_size(v) < min ||
			    (json_int_t)json_array_size(v) > max)
				return (-1);
			seen = json_array();
			json_array_foreach(v, j, e) {
				if (!json_is_string(e) ||
				    !fuzz_in_array(allowed, e) ||
				    fuzz_in_array(seen, e)) {
					json_decref(seen);
					return (-1);
				}
				json_array_append(seen, e);
			}
			json_decref(seen);
			rows += (long)json_array_size(v);
		}
	}
	return (rows);
}

/* Check body against survey, and every promise above. */
static inline void
fuzz_answers_check(json_t *body, json_t *survey, json_t *objectives)
{
	struct answers	 a, b;
	json_t		*e, *again;
	char		*text;
	size_t		 i;
	long		 rows;

	FUZZ_ASSERT(answers_check(body, survey, objectives, FUZZ_NOW, &a) ==
	    0, "answers_check failed");
	FUZZ_ASSERT(json_is_array(a.errors) && json_is_array(a.values),
	    "no errors or values");
	json_array_foreach(a.errors, i, e)
		fuzz_check_error(body, survey, e);
	json_array_foreach(a.values, i, e)
		fuzz_check_row(body, survey, e);

	if (json_array_size(a.errors) == 0) {
		rows = fuzz_good_rows(body, survey, objectives);
		text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		FUZZ_ASSERT(rows >= 0, "accepted, not good: %s", text);
		FUZZ_ASSERT((size_t)rows == json_array_size(a.values),
		    "accepted with %zu rows, not %ld: %s",
		    json_array_size(a.values), rows, text);
		free(text);
	}

	/* The same body, its members sorted and written with blanks. */
	if (json_is_object(body)) {
		text = json_dumps(body, JSON_INDENT(1) | JSON_SORT_KEYS);
		FUZZ_ASSERT(text != NULL, "json_dumps");
		again = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
		FUZZ_ASSERT(again != NULL, "does not load again: %s", text);
		FUZZ_ASSERT(answers_check(again, survey, objectives, FUZZ_NOW,
		    &b) == 0, "answers_check failed");
		FUZZ_ASSERT(memcmp(a.hash, b.hash, sizeof(a.hash)) == 0,
		    "the hash depends on the order of members: %s", text);
		FUZZ_ASSERT(json_equal(a.values, b.values) &&
		    json_array_size(a.errors) == json_array_size(b.errors),
		    "another order, another result: %s", text);
		answers_cleanup(&b);
		json_decref(again);
		free(text);
	}

	answers_cleanup(&a);
	FUZZ_ASSERT(a.errors == NULL && a.values == NULL, "cleanup");
}

#endif /* !ANSWERS_INVARIANTS_H */

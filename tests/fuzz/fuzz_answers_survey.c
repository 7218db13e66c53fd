/*
 * A survey response's body (answers_check in src/answers.c) against a
 * survey from the input too: the input is the survey's published document
 * followed by the body.  Only surveys the database can publish are used
 * (src/../sql/010_survey_writes.sql and the api_question view): questions
 * with distinct slug ids, one of the five types, required true or false,
 * agreement with its five levels, choice(s) with 2 to 50 distinct options,
 * objectives and choices with a min and maybe a max, text with a
 * max_length of 1 to 10000.  The plan's objective ids come from a member
 * "~objectives" (an array of strings); without it there are none (NULL),
 * as when the plan is not published.
 */

#include "answers_invariants.h"

static int
has_only(json_t *q, const char *const *members)
{
	const char	*key;
	json_t		*v;
	size_t		 i;

	json_object_foreach(q, key, v) {
		for (i = 0; members[i] != NULL; i++)
			if (strcmp(key, members[i]) == 0)
				break;
		if (members[i] == NULL)
			return (0);
	}
	return (1);
}

static int
options_ok(json_t *opts)
{
	size_t	 i, j;
	json_t	*o, *p;

	if (!json_is_array(opts) || json_array_size(opts) < 2 ||
	    json_array_size(opts) > 50)
		return (0);
	json_array_foreach(opts, i, o) {
		if (!json_is_string(o) || json_string_length(o) == 0 ||
		    fuzz_utf8_len(json_string_value(o)) > 100)
			return (0);
		json_array_foreach(opts, j, p) {
			if (j < i && json_equal(o, p))
				return (0);
		}
	}
	return (1);
}

static int
int_in(json_t *v, json_int_t lo, json_int_t hi)
{
	return (json_is_integer(v) && json_integer_value(v) >= lo &&
	    json_integer_value(v) <= hi);
}

/* Could the database publish this survey? */
static int
publishable(json_t *survey)
{
	static const char *const common[] = { "id", "position", "prompt",
	    "type", "required", "options", "min", "max", "max_length", NULL };
	json_t		*qs, *q, *v;
	const char	*type;
	size_t		 i, j, n;

	qs = json_object_get(survey, "questions");
	if (!json_is_array(qs) || json_array_size(qs) > 20)
		return (0);
	json_array_foreach(qs, i, q) {
		v = json_object_get(q, "id");
		if (!json_is_object(q) || !has_only(q, common) ||
		    !json_is_string(v) || !slug_valid(json_string_value(v)) ||
		    !json_is_boolean(json_object_get(q, "required")))
			return (0);
		for (j = 0; j < i; j++) {
			if (json_equal(v, json_object_get(json_array_get(qs,
			    j), "id")))
				return (0);
		}
		type = json_string_value(json_object_get(q, "type"));
		if (type == NULL)
			return (0);
		n = json_object_size(q) - 2 - (json_object_get(q, "position") !=
		    NULL) - (json_object_get(q, "prompt") != NULL);
		if (strcmp(type, "agreement") == 0) {
			v = json_pack("[sssss]", fuzz_levels[0], fuzz_levels[1],
			    fuzz_levels[2], fuzz_levels[3], fuzz_levels[4]);
			j = json_equal(v, json_object_get(q, "options"));
			json_decref(v);
			if (!j || n != 2)
				return (0);
		} else if (strcmp(type, "choice") == 0) {
			if (!options_ok(json_object_get(q, "options")) ||
			    n != 2)
				return (0);
		} else if (strcmp(type, "choices") == 0 ||
		    strcmp(type, "objectives") == 0) {
			v = json_object_get(q, "max");
			if (!int_in(json_object_get(q, "min"), 0, 100) ||
			    (v != NULL && !int_in(v, json_integer_value(
			    json_object_get(q, "min")) > 1 ? json_integer_value(
			    json_object_get(q, "min")) : 1, 100)))
				return (0);
			if (strcmp(type, "choices") == 0 ? (!options_ok(
			    json_object_get(q, "options")) ||
			    n != 3 + (v != NULL)) : n != 2 + (v != NULL))
				return (0);
		} else if (strcmp(type, "text") == 0) {
			if (!int_in(json_object_get(q, "max_length"), 1,
			    10000) || n != 2)
				return (0);
		} else {
			return (0);
		}
	}
	return (1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t		*survey, *body, *objectives, *o;
	json_error_t	 jerr;
	size_t		 i;

	survey = json_loadb((const char *)data, size, JSON_DISABLE_EOF_CHECK,
	    &jerr);
	if (survey == NULL)
		return (0);
	if (!json_is_object(survey) || !publishable(survey))
		goto out;
	objectives = json_object_get(survey, "~objectives");
	if (objectives != NULL) {
		if (!json_is_array(objectives))
			goto out;
		json_array_foreach(objectives, i, o) {
			if (!json_is_string(o))
				goto out;
		}
	}

	body = json_loadb((const char *)data + jerr.position,
	    size - (size_t)jerr.position, JSON_REJECT_DUPLICATES, NULL);
	if (body != NULL) {
		fuzz_answers_check(body, survey, objectives);
		json_decref(body);
	}
out:
	json_decref(survey);
	return (0);
}

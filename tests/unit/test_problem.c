/*
 * problem.c: RFC 9457 problem documents.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "civic.h"

static const struct {
	enum problem_kind	 kind;
	int			 status;
	const char		*type;
	const char		*title;
} kinds[] = {
	{ PROBLEM_INVALID_PARAMETER, 400, "/problems/invalid-parameter",
	    "Invalid Parameter" },
	{ PROBLEM_MALFORMED_BODY, 400, "/problems/malformed-body",
	    "Malformed Body" },
	{ PROBLEM_INVALID_HEADER, 400, "/problems/invalid-header",
	    "Invalid Header" },
	{ PROBLEM_UNAUTHORIZED, 401, "/problems/unauthorized",
	    "Unauthorized" },
	{ PROBLEM_FORBIDDEN, 403, "/problems/forbidden", "Forbidden" },
	{ PROBLEM_NOT_FOUND, 404, "/problems/not-found", "Not Found" },
	{ PROBLEM_METHOD_NOT_ALLOWED, 405, "/problems/method-not-allowed",
	    "Method Not Allowed" },
	{ PROBLEM_NOT_ACCEPTABLE, 406, "/problems/not-acceptable",
	    "Not Acceptable" },
	{ PROBLEM_SURVEY_NOT_OPEN, 409, "/problems/survey-not-open",
	    "Survey Not Open" },
	{ PROBLEM_DUPLICATE_RESPONSE, 409, "/problems/duplicate-response",
	    "Duplicate Response" },
	{ PROBLEM_IDEMPOTENCY_KEY_IN_USE, 409,
	    "/problems/idempotency-key-in-use", "Idempotency Key In Use" },
	{ PROBLEM_ALREADY_VOIDED, 409, "/problems/already-voided",
	    "Already Voided" },
	{ PROBLEM_SURVEY_HAS_RESPONSES, 409, "/problems/survey-has-responses",
	    "Survey Has Responses" },
	{ PROBLEM_IN_USE, 409, "/problems/in-use", "In Use" },
	{ PROBLEM_PRECONDITION_FAILED, 412, "/problems/precondition-failed",
	    "Precondition Failed" },
	{ PROBLEM_UNSUPPORTED_MEDIA, 415, "/problems/unsupported-media-type",
	    "Unsupported Media Type" },
	{ PROBLEM_INVALID_BODY, 422, "/problems/invalid-body",
	    "Invalid Body" },
	{ PROBLEM_IDEMPOTENCY_KEY_REUSED, 422,
	    "/problems/idempotency-key-reused", "Idempotency Key Reused" },
	{ PROBLEM_TOO_MANY_REQUESTS, 429, "/problems/too-many-requests",
	    "Too Many Requests" },
	{ PROBLEM_INTERNAL, 500, "/problems/internal-error",
	    "Internal Server Error" },
	{ PROBLEM_UNAVAILABLE, 503, "/problems/service-unavailable",
	    "Service Unavailable" },
};

/* Render p, parse the result as JSON, check the length; caller decrefs. */
static json_t *
render_json(const struct problem *p, const char *instance,
    const char *request_id)
{
	json_t		*doc;
	json_error_t	 jerr;
	char		*out;
	size_t		 len = 0;

	out = problem_render(p, instance, request_id, &len);
	cr_assert_not_null(out, "problem_render returned NULL");
	cr_assert_eq(len, strlen(out));
	doc = json_loads(out, 0, &jerr);
	cr_assert_not_null(doc, "not JSON (%s): %s", jerr.text, out);
	cr_assert(json_is_object(doc), "%s", out);
	free(out);
	return (doc);
}

Test(problem, table_covers_every_kind)
{
	cr_assert_eq(sizeof(kinds) / sizeof(kinds[0]), PROBLEM_KIND_MAX,
	    "a kind was added: add its row to this test");
}

Test(problem, every_kind_in_the_enum_has_a_table_row)
{
	int	k;

	for (k = 0; k < PROBLEM_KIND_MAX; k++) {
		cr_assert_geq(problem_status((enum problem_kind)k), 400,
		    "kind %d has no status", k);
		cr_assert_leq(problem_status((enum problem_kind)k), 599,
		    "kind %d", k);
		cr_assert_not_null(problem_type((enum problem_kind)k),
		    "kind %d has no type", k);
		cr_assert_eq(strncmp(problem_type((enum problem_kind)k),
		    "/problems/", 10), 0, "kind %d", k);
		cr_assert_not_null(problem_title((enum problem_kind)k),
		    "kind %d has no title", k);
		cr_assert_neq(problem_title((enum problem_kind)k)[0], '\0',
		    "kind %d", k);
	}
}

Test(problem, status_type_and_title_of_every_kind)
{
	size_t	i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		cr_assert_eq(problem_status(kinds[i].kind), kinds[i].status,
		    "row %zu", i);
		cr_assert_str_eq(problem_type(kinds[i].kind), kinds[i].type,
		    "row %zu", i);
		cr_assert_str_eq(problem_title(kinds[i].kind), kinds[i].title,
		    "row %zu", i);
	}
}

Test(problem, out_of_range_kind_maps_to_500)
{
	static const enum problem_kind bad[] = {
		PROBLEM_KIND_MAX, (enum problem_kind)(PROBLEM_KIND_MAX + 1),
		(enum problem_kind)1000, (enum problem_kind)-1,
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(problem_status(bad[i]), 500, "row %zu", i);
		cr_assert_str_eq(problem_type(bad[i]),
		    "/problems/internal-error", "row %zu", i);
		cr_assert_str_eq(problem_title(bad[i]),
		    "Internal Server Error", "row %zu", i);
	}
}

Test(problem, out_of_range_kind_renders_as_500)
{
	struct problem	p;
	json_t		*doc;

	problem_set(&p, PROBLEM_KIND_MAX, "odd");
	doc = render_json(&p, NULL, NULL);
	cr_assert_eq(json_integer_value(json_object_get(doc, "status")), 500);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "type")),
	    "/problems/internal-error");
	json_decref(doc);
}

Test(problem, set_formats_the_detail_and_clears_the_parameter)
{
	struct problem	p;

	memset(&p, 'x', sizeof(p));
	problem_set(&p, PROBLEM_NOT_FOUND, "Nothing at %s (%d).", "/v1/x", 7);
	cr_assert_eq(p.kind, PROBLEM_NOT_FOUND);
	cr_assert_str_eq(p.detail, "Nothing at /v1/x (7).");
	cr_assert_str_eq(p.parameter, "");
}

Test(problem, param_sets_kind_parameter_and_detail)
{
	struct problem	p;

	memset(&p, 'x', sizeof(p));
	problem_param(&p, "limit", "'%s' is bad.", "limit");
	cr_assert_eq(p.kind, PROBLEM_INVALID_PARAMETER);
	cr_assert_str_eq(p.parameter, "limit");
	cr_assert_str_eq(p.detail, "'limit' is bad.");
}

Test(problem, render_is_the_exact_compact_document)
{
	struct problem	p;
	char		*out;
	size_t		 len;

	problem_param(&p, "limit", "Too big.");
	out = problem_render(&p, "/v1/plans", "req-1", &len);
	cr_assert_not_null(out);
	cr_assert_str_eq(out,
	    "{\"type\":\"/problems/invalid-parameter\","
	    "\"title\":\"Invalid Parameter\",\"status\":400,"
	    "\"detail\":\"Too big.\",\"instance\":\"/v1/plans\","
	    "\"request_id\":\"req-1\","
	    "\"errors\":[{\"parameter\":\"limit\",\"detail\":\"Too big.\"}]}");
	cr_assert_eq(len, strlen(out));
	free(out);
}

Test(problem, header_names_the_header_in_errors)
{
	struct problem	p;
	char		*out;
	size_t		 len;

	memset(&p, 'x', sizeof(p));
	problem_header(&p, "Authorization", "Sent %d times.", 2);
	cr_assert_eq(p.kind, PROBLEM_INVALID_HEADER);
	cr_assert_str_eq(p.parameter, "Authorization");
	out = problem_render(&p, "/v1/keys", "req-1", &len);
	cr_assert_not_null(out);
	cr_assert_str_eq(out,
	    "{\"type\":\"/problems/invalid-header\","
	    "\"title\":\"Invalid Header\",\"status\":400,"
	    "\"detail\":\"Sent 2 times.\",\"instance\":\"/v1/keys\","
	    "\"request_id\":\"req-1\","
	    "\"errors\":[{\"header\":\"Authorization\","
	    "\"detail\":\"Sent 2 times.\"}]}");
	free(out);
}

Test(problem, render_has_all_members_for_every_kind)
{
	struct problem	p;
	json_t		*doc;
	size_t		 i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		problem_set(&p, kinds[i].kind, "Detail %zu.", i);
		doc = render_json(&p, "/v1/plans/x", "abc-123");
		cr_assert_str_eq(json_string_value(json_object_get(doc,
		    "type")), kinds[i].type, "row %zu", i);
		cr_assert_str_eq(json_string_value(json_object_get(doc,
		    "title")), kinds[i].title, "row %zu", i);
		cr_assert(json_is_integer(json_object_get(doc, "status")),
		    "row %zu", i);
		cr_assert_eq(json_integer_value(json_object_get(doc,
		    "status")), kinds[i].status, "row %zu", i);
		cr_assert_str_eq(json_string_value(json_object_get(doc,
		    "instance")), "/v1/plans/x", "row %zu", i);
		cr_assert_str_eq(json_string_value(json_object_get(doc,
		    "request_id")), "abc-123", "row %zu", i);
		cr_assert_null(json_object_get(doc, "errors"),
		    "row %zu: errors without a parameter", i);
		cr_assert_eq(json_object_size(doc), 6, "row %zu", i);
		json_decref(doc);
	}
}

Test(problem, render_is_compact)
{
	struct problem	p;
	json_t		*doc;
	char		*out, *again;
	size_t		 len;

	problem_param(&p, "limit", "x");
	out = problem_render(&p, "/i", "r", &len);
	cr_assert_not_null(out);
	cr_assert_null(strchr(out, '\n'));
	doc = json_loads(out, 0, NULL);
	cr_assert_not_null(doc);
	again = json_dumps(doc, JSON_COMPACT);
	cr_assert_str_eq(out, again);
	free(again);
	free(out);
	json_decref(doc);
}

Test(problem, errors_only_for_invalid_parameter_with_a_parameter)
{
	struct problem	p;
	json_t		*doc, *errors, *e;

	problem_param(&p, "cursor", "Bad cursor.");
	doc = render_json(&p, NULL, NULL);
	errors = json_object_get(doc, "errors");
	cr_assert(json_is_array(errors));
	cr_assert_eq(json_array_size(errors), 1);
	e = json_array_get(errors, 0);
	cr_assert_str_eq(json_string_value(json_object_get(e, "parameter")),
	    "cursor");
	cr_assert_str_eq(json_string_value(json_object_get(e, "detail")),
	    "Bad cursor.");
	cr_assert_eq(json_object_size(e), 2);
	json_decref(doc);

	/* Invalid parameter, but no parameter named. */
	problem_set(&p, PROBLEM_INVALID_PARAMETER, "Bad.");
	doc = render_json(&p, NULL, NULL);
	cr_assert_null(json_object_get(doc, "errors"));
	json_decref(doc);

	/* A parameter on another kind is not rendered. */
	problem_set(&p, PROBLEM_NOT_FOUND, "Gone.");
	(void)snprintf(p.parameter, sizeof(p.parameter), "limit");
	doc = render_json(&p, NULL, NULL);
	cr_assert_null(json_object_get(doc, "errors"));
	json_decref(doc);
}

Test(problem, instance_and_request_id_are_optional)
{
	struct problem	p;
	json_t		*doc;

	problem_set(&p, PROBLEM_NOT_FOUND, "Gone.");
	doc = render_json(&p, NULL, NULL);
	cr_assert_null(json_object_get(doc, "instance"));
	cr_assert_null(json_object_get(doc, "request_id"));
	cr_assert_eq(json_object_size(doc), 4);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "detail")),
	    "Gone.");
	json_decref(doc);
}

Test(problem, detail_with_quotes_and_controls_is_escaped)
{
	struct problem	p;
	json_t		*doc;

	problem_set(&p, PROBLEM_NOT_FOUND, "a \"b\" \\ c\n\td");
	doc = render_json(&p, "/v1/\"x\"", "r");
	cr_assert_str_eq(json_string_value(json_object_get(doc, "detail")),
	    "a \"b\" \\ c\n\td");
	/* The instance is a URI reference: the quotes are percent-encoded. */
	cr_assert_str_eq(json_string_value(json_object_get(doc, "instance")),
	    "/v1/%22x%22");
	json_decref(doc);
}

Test(problem, very_long_ascii_detail_is_truncated_safely)
{
	struct problem	p;
	json_t		*doc;
	char		*big;
	const char	*detail;
	size_t		 i;

	big = malloc(10001);
	cr_assert_not_null(big);
	memset(big, 'x', 10000);
	big[10000] = '\0';
	memset(&p, 0, sizeof(p));
	problem_set(&p, PROBLEM_NOT_FOUND, "%s", big);
	cr_assert_eq(strlen(p.detail), sizeof(p.detail) - 1);

	doc = render_json(&p, NULL, NULL);
	detail = json_string_value(json_object_get(doc, "detail"));
	cr_assert_eq(strlen(detail), sizeof(p.detail) - 1);
	for (i = 0; detail[i] != '\0'; i++)
		cr_assert_eq(detail[i], 'x');
	json_decref(doc);
	free(big);
}

Test(problem, long_parameter_name_is_truncated_safely)
{
	struct problem	p;
	char		name[100];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	problem_param(&p, name, "x");
	cr_assert_eq(strlen(p.parameter), sizeof(p.parameter) - 1);
	cr_assert_eq(strncmp(p.parameter, name, sizeof(p.parameter) - 1), 0);
}

/*
 * BUG (src/problem.c, problem_set/problem_param + problem_render): the
 * detail is cut at 255 bytes by vsnprintf, which can split a multi-byte
 * UTF-8 character; jansson then refuses the string and problem_render
 * returns NULL (documented as "memory ran out"), so the client gets a bare
 * 500 with no problem document instead of the intended error.
 */
Test(problem, long_utf8_detail_still_renders)
{
	struct problem	p;
	json_t		*doc;
	char		 big[601];
	const char	*detail;
	size_t		 i;

	for (i = 0; i < 300; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);	/* é */
	big[600] = '\0';
	problem_set(&p, PROBLEM_NOT_FOUND, "%s", big);

	doc = render_json(&p, NULL, NULL);
	detail = json_string_value(json_object_get(doc, "detail"));
	cr_assert_not_null(detail);
	cr_assert_eq(strncmp(detail, big, strlen(detail)), 0,
	    "the detail is a prefix of what was given");
	cr_assert_geq(strlen(detail), 200);
	json_decref(doc);
}

/*
 * Same bug, through the 32-byte parameter name (problem_param): the cut
 * splits a character, json_pack of errors[] fails and problem_render
 * silently leaves errors[] out of an invalid-parameter document.
 */
Test(problem, long_utf8_parameter_name_still_renders)
{
	struct problem	p;
	json_t		*doc;
	char		 name[41];
	size_t		 i;

	for (i = 0; i < 20; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	name[40] = '\0';
	problem_param(&p, name, "Unknown parameter.");

	doc = render_json(&p, NULL, NULL);
	cr_assert(json_is_array(json_object_get(doc, "errors")),
	    "errors[] silently dropped: the truncated parameter is not UTF-8");
	json_decref(doc);
}

/*
 * BUG (src/problem.c, problem_render): bytes that are not UTF-8 in the
 * detail (they come from the request: query.c copies decoded parameter
 * names into it) make json_pack fail and problem_render return NULL.
 * Expected: a valid problem document (e.g. the bad bytes replaced).
 */
Test(problem, invalid_utf8_in_detail_still_renders)
{
	struct problem	p;
	json_t		*doc;

	problem_param(&p, "\xff", "Unknown query parameter '\xff'.");
	doc = render_json(&p, "/v1/plans", "r");
	cr_assert_eq(json_integer_value(json_object_get(doc, "status")), 400);
	json_decref(doc);
}

Test(problem, kind_of_finds_every_type_and_nothing_else)
{
	enum problem_kind	kind;
	size_t			i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		cr_assert_eq(problem_kind_of(kinds[i].type, &kind), 0,
		    "%s", kinds[i].type);
		cr_assert_eq(kind, kinds[i].kind, "%s", kinds[i].type);
	}
	cr_assert_eq(problem_kind_of("/problems/no-such-thing", &kind), -1);
	cr_assert_eq(problem_kind_of("not-found", &kind), -1);
	cr_assert_eq(problem_kind_of("", &kind), -1);
	cr_assert_eq(problem_kind_of(NULL, &kind), -1);
}

Test(problem, complete_adds_title_and_status_in_front_and_keeps_the_rest)
{
	json_t		*sql, *doc;
	const char	*k;
	json_t		*v;
	const char	*order[] = { "type", "title", "status", "detail",
			    "existing_response" };
	size_t		 i = 0;

	sql = json_pack("{s:s, s:s, s:s}", "detail", "Sent before.",
	    "existing_response", "/v1/surveys/s/responses/x",
	    "type", "/problems/duplicate-response");
	doc = problem_complete(sql, 409);
	cr_assert_not_null(doc);
	json_object_foreach(doc, k, v) {
		cr_assert_lt(i, sizeof(order) / sizeof(order[0]));
		cr_assert_str_eq(k, order[i], "member %zu", i);
		i++;
	}
	cr_assert_eq(i, 5);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "title")),
	    "Duplicate Response");
	cr_assert_eq(json_integer_value(json_object_get(doc, "status")), 409);
	json_decref(doc);
	json_decref(sql);
}

Test(problem, complete_refuses_unknown_kinds_and_other_statuses)
{
	json_t	*sql;

	sql = json_pack("{s:s, s:s}", "type", "/problems/in-use",
	    "detail", "x");
	cr_assert_null(problem_complete(sql, 422));
	cr_assert_null(problem_complete(sql, 200));
	json_object_set_new(sql, "type", json_string("/problems/in_use"));
	cr_assert_null(problem_complete(sql, 409));
	json_object_del(sql, "type");
	cr_assert_null(problem_complete(sql, 409));
	json_decref(sql);
	sql = json_string("/problems/in-use");
	cr_assert_null(problem_complete(sql, 409));
	json_decref(sql);
}

/*
 * Every problem SQL names (api_problem('<code>', ...) in sql/api) is a kind
 * of this table: the unit tests run from the repository's root.
 */
Test(problem, every_code_sql_names_is_a_kind)
{
	static const char *const files[] = { "common", "keys", "content",
	    "tallies", "responses", "surveys", "plans", "audit" };
	enum problem_kind	 kind;
	char			 path[64], type[128], *text, *at, *end;
	FILE			*fp;
	long			 len;
	size_t			 i, n, seen = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		(void)snprintf(path, sizeof(path), "sql/api/%s.sql", files[i]);
		fp = fopen(path, "r");
		cr_assert_not_null(fp, "cannot read %s", path);
		cr_assert_eq(fseek(fp, 0, SEEK_END), 0);
		len = ftell(fp);
		rewind(fp);
		text = calloc(1, (size_t)len + 1);
		cr_assert_not_null(text);
		cr_assert_eq(fread(text, 1, (size_t)len, fp), (size_t)len);
		fclose(fp);
		for (at = text; (at = strstr(at, "api_problem('")) != NULL;
		    at = end) {
			at += strlen("api_problem('");
			end = strchr(at, '\'');
			cr_assert_not_null(end, "%s: unterminated", path);
			n = (size_t)(end - at);
			cr_assert_lt(n, 64, "%s: code too long", path);
			(void)snprintf(type, sizeof(type), "/problems/%.*s",
			    (int)n, at);
			cr_assert_eq(problem_kind_of(type, &kind), 0,
			    "%s names %s, which src/problem.c lacks", path,
			    type);
			seen++;
		}
		free(text);
	}
	cr_assert_gt(seen, 20, "only %zu codes found: is sql/api there?",
	    seen);
}

/*
 * route.c: request paths to routes, parsed once.
 */

#include <string.h>

#include <criterion/criterion.h>

#include "civic.h"

static struct route
parsed(const char *path, enum route_kind kind, const char *template)
{
	struct route	r;

	cr_assert_eq(route_parse(path, &r), 0, "%s: no route", path);
	cr_assert_eq(r.kind, kind, "%s: kind %d, want %d", path, r.kind, kind);
	cr_assert_str_eq(r.template, template, "%s", path);
	return (r);
}

Test(route, every_template_names_its_own_kind)
{
	int		 k;
	const char	*t;
	struct route	 r;
	char		 path[256], *p;

	for (k = ROUTE_NONE + 1; k < ROUTE_KIND_MAX; k++) {
		t = route_template((enum route_kind)k);
		cr_assert_not_null(t, "kind %d has no template", k);
		/* The template with each {name} as a value: x1, x2... */
		(void)snprintf(path, sizeof(path), "%s", t);
		while ((p = strchr(path, '{')) != NULL) {
			memmove(p + 2, strchr(p, '}') + 1,
			    strlen(strchr(p, '}') + 1) + 1);
			p[0] = 'x';
			p[1] = '1';
		}
		cr_assert_eq(route_parse(path, &r), 0, "%s", path);
		cr_assert_eq(r.kind, k, "%s is kind %d, want %d", path,
		    r.kind, k);
	}
	cr_assert_null(route_template(ROUTE_NONE));
}

Test(route, parameters_are_named_by_the_template)
{
	struct route	r;

	r = parsed("/v1/plans/independence-2021/objectives/reduce-blight",
	    ROUTE_OBJECTIVE, "/v1/plans/{plan}/objectives/{objective}");
	cr_assert_str_eq(route_param(&r, "plan"), "independence-2021");
	cr_assert_str_eq(route_param(&r, "objective"), "reduce-blight");
	cr_assert_str_eq(route_param(&r, "goal"), "");
	cr_assert_str_eq(route_param(&r, "pla"), "");

	r = parsed("/v1/surveys/pulse/responses/0b5e/void",
	    ROUTE_RESPONSE_VOID,
	    "/v1/surveys/{survey}/responses/{response}/void");
	cr_assert_str_eq(route_param(&r, "survey"), "pulse");
	cr_assert_str_eq(route_param(&r, "response"), "0b5e");
}

Test(route, literal_segments_come_before_parameters)
{
	parsed("/v1/surveys/s/responses/batch", ROUTE_RESPONSES_BATCH,
	    "/v1/surveys/{survey}/responses/batch");
	parsed("/v1/plans/p/history", ROUTE_PLAN_HISTORY,
	    "/v1/plans/{plan}/history");
	parsed("/v1/plans/goals", ROUTE_PLAN, "/v1/plans/{plan}");
	parsed("/docs", ROUTE_DOCS, "/docs");
	parsed("/docs/swagger-ui.css", ROUTE_DOCS_CSS, "/docs/swagger-ui.css");
}

Test(route, paths_that_name_nothing_are_none)
{
	static const char *const none[] = {
		"", "/", "/v1", "/v1/", "/v1/plans/", "/v1/plans//goals",
		"/v1/plans/p/goals/", "/v1/plans/p/nothing", "/v1/plansx",
		"/v1/plans/p/goals/g/extra", "v1/plans", "/V1/plans",
		"/v1/surveys/s/responses/r/void/x", "/healthz/", "//v1/plans",
		"/v1/keys/k/", "/docs/a/b", "/docs/other.js",
	};
	struct route	r;
	size_t		i;

	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		cr_assert_eq(route_parse(none[i], &r), -1, "'%s' matched "
		    "%s", none[i], r.template);
		cr_assert_eq(r.kind, ROUTE_NONE);
		cr_assert_null(r.template);
		cr_assert_eq(r.nparams, 0);
	}
}

Test(route, a_parameter_too_long_for_an_id_names_nothing)
{
	struct route	r;
	char		path[400];

	(void)snprintf(path, sizeof(path), "/v1/keys/%0*d", CIVIC_ID_MAX + 1,
	    0);
	cr_assert_eq(route_parse(path, &r), -1);
	(void)snprintf(path, sizeof(path), "/v1/keys/%0*d", CIVIC_ID_MAX, 0);
	cr_assert_eq(route_parse(path, &r), 0);
	cr_assert_eq(strlen(route_param(&r, "key")), CIVIC_ID_MAX);
}

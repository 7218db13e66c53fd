/*
 * Routes: what a request path names, found once per request.  The table
 * below holds every route of the service as its template, the way the
 * OpenAPI document writes it; a path matches a template segment by
 * segment, a {name} taking any one segment.  The first match wins, so a
 * literal segment ("batch") is listed before a parameter in its place.
 *
 * The result carries the route's kind (what handlers dispatch on), its
 * template (what logs and metrics name, never the raw path) and the values
 * of its parameters, unchecked: whether an id is well formed is for the
 * handler to say.
 */

#include <string.h>

#include "civic.h"

static const struct {
	enum route_kind	 kind;
	const char	*template;
} routes[] = {
	{ ROUTE_HEALTHZ,	"/healthz" },
	{ ROUTE_READYZ,		"/readyz" },
	{ ROUTE_METRICS,	"/metrics" },
	{ ROUTE_OPENAPI,	"/openapi.json" },
	{ ROUTE_DOCS,		"/docs" },
	{ ROUTE_DOCS_CSS,	"/docs/swagger-ui.css" },
	{ ROUTE_DOCS_JS,	"/docs/swagger-ui-bundle.js" },
	{ ROUTE_DASHBOARD,	"/dashboard" },
	{ ROUTE_DASHBOARD_JS,	"/dashboard/dashboard.js" },
	{ ROUTE_DASHBOARD_CSS,	"/dashboard/dashboard.css" },
	{ ROUTE_PLANS,		"/v1/plans" },
	{ ROUTE_PLAN,		"/v1/plans/{plan}" },
	{ ROUTE_GOALS,		"/v1/plans/{plan}/goals" },
	{ ROUTE_GOAL,		"/v1/plans/{plan}/goals/{goal}" },
	{ ROUTE_OBJECTIVES,	"/v1/plans/{plan}/objectives" },
	{ ROUTE_OBJECTIVE,	"/v1/plans/{plan}/objectives/{objective}" },
	{ ROUTE_PRIORITIES,	"/v1/plans/{plan}/priorities" },
	{ ROUTE_PRIORITY_YEAR,	"/v1/plans/{plan}/priorities/{year}" },
	{ ROUTE_PLAN_HISTORY,	"/v1/plans/{plan}/history" },
	{ ROUTE_INDICATORS,	"/v1/plans/{plan}/indicators" },
	{ ROUTE_INDICATOR,	"/v1/plans/{plan}/indicators/{indicator}" },
	{ ROUTE_TARGETS,	"/v1/plans/{plan}/indicators/{indicator}/targets" },
	{ ROUTE_INDICATOR_OBSERVATIONS,
	    "/v1/plans/{plan}/indicators/{indicator}/observations" },
	{ ROUTE_OVERRIDES,	"/v1/plans/{plan}/indicators/{indicator}/overrides" },
	{ ROUTE_INITIATIVES,	"/v1/plans/{plan}/initiatives" },
	{ ROUTE_INITIATIVE,	"/v1/plans/{plan}/initiatives/{initiative}" },
	{ ROUTE_INITIATIVE_UPDATES,
	    "/v1/plans/{plan}/initiatives/{initiative}/updates" },
	{ ROUTE_OBJECTIVE_UPDATES,
	    "/v1/plans/{plan}/objectives/{objective}/updates" },
	{ ROUTE_PROGRESS,	"/v1/plans/{plan}/progress" },
	{ ROUTE_OBSERVATIONS,	"/v1/plans/{plan}/observations" },
	{ ROUTE_IMPORTS,	"/v1/plans/{plan}/imports" },
	{ ROUTE_PLAN_EXPORT,	"/v1/plans/{plan}/export" },
	{ ROUTE_STATUS_RULES,	"/v1/status-rules" },
	{ ROUTE_STATUS_RULE,	"/v1/status-rules/{rule}" },
	{ ROUTE_SURVEYS,	"/v1/surveys" },
	{ ROUTE_SURVEY,		"/v1/surveys/{survey}" },
	{ ROUTE_RESPONSES,	"/v1/surveys/{survey}/responses" },
	{ ROUTE_RESPONSES_BATCH, "/v1/surveys/{survey}/responses/batch" },
	{ ROUTE_RESPONSES_EXPORT, "/v1/surveys/{survey}/responses/export" },
	{ ROUTE_RESPONSE,	"/v1/surveys/{survey}/responses/{response}" },
	{ ROUTE_RESPONSE_VOID,	"/v1/surveys/{survey}/responses/{response}/void" },
	{ ROUTE_TALLIES,	"/v1/surveys/{survey}/tallies" },
	{ ROUTE_TALLIES_STREAM,	"/v1/surveys/{survey}/tallies/stream" },
	{ ROUTE_AUDIT,		"/v1/audit" },
	{ ROUTE_KEYS,		"/v1/keys" },
	{ ROUTE_KEY,		"/v1/keys/{key}" },
};

#define ROUTES	(sizeof(routes) / sizeof(routes[0]))

/*
 * Match path against template t; on a match fill r's parameters.  Both
 * start with '/'; a {name} segment takes one non-empty segment that fits.
 */
static int
route_match(const char *t, const char *path, struct route *r)
{
	const char	*te, *pe;
	size_t		 tn, pn;

	r->nparams = 0;
	while (*t != '\0' && *path != '\0') {
		if (*t != '/' || *path != '/')
			return (0);
		t++;
		path++;
		te = t + strcspn(t, "/");
		pe = path + strcspn(path, "/");
		tn = (size_t)(te - t);
		pn = (size_t)(pe - path);
		if (tn > 0 && t[0] == '{') {
			if (pn == 0 || pn >= sizeof(r->params[0].value) ||
			    r->nparams == ROUTE_PARAMS_MAX)
				return (0);
			r->params[r->nparams].name = t + 1;
			r->params[r->nparams].len = tn - 2;
			memcpy(r->params[r->nparams].value, path, pn);
			r->params[r->nparams].value[pn] = '\0';
			r->nparams++;
		} else if (tn != pn || memcmp(t, path, tn) != 0) {
			return (0);
		}
		t = te;
		path = pe;
	}
	return (*t == '\0' && *path == '\0');
}

/*
 * Find the route path names, into r.  Returns 0, or -1 when no route
 * matches (r's kind is then ROUTE_NONE and its template NULL).
 */
int
route_parse(const char *path, struct route *r)
{
	size_t	i;

	for (i = 0; i < ROUTES; i++) {
		if (route_match(routes[i].template, path, r)) {
			r->kind = routes[i].kind;
			r->template = routes[i].template;
			return (0);
		}
	}
	memset(r, 0, sizeof(*r));
	r->kind = ROUTE_NONE;
	return (-1);
}

/* The value of r's parameter name, or "" when it has none. */
const char *
route_param(const struct route *r, const char *name)
{
	size_t	i, n;

	n = strlen(name);
	for (i = 0; i < r->nparams; i++) {
		if (r->params[i].len == n &&
		    strncmp(r->params[i].name, name, n) == 0)
			return (r->params[i].value);
	}
	return ("");
}

/* The template of kind, or NULL for ROUTE_NONE. */
const char *
route_template(enum route_kind kind)
{
	size_t	i;

	for (i = 0; i < ROUTES; i++) {
		if (routes[i].kind == kind)
			return (routes[i].template);
	}
	return (NULL);
}

/*
 * The contract and its docs page: the OpenAPI document (served byte for
 * byte as written in docs/openapi.json) and a Swagger UI page whose assets
 * come from the swagger-ui-dist package, sent with the Content-Security-
 * Policy its <meta> states.  And the dashboard (GET /dashboard, its script
 * and stylesheet): a page of the plan and a survey's results, live, that
 * the city's website may frame (frame-ancestors: this server and the
 * origins of CIVIC_CORS_ORIGINS).  All are read once by the parent from
 * CIVIC_DOCS_DIR and shared with the workers, which send them from there
 * (never a copy per response: the Swagger UI bundle is 1.7 MB).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

enum {
	DOC_OPENAPI,
	DOC_PAGE,
	DOC_CSS,
	DOC_JS,
	DOC_DASHBOARD,
	DOC_DASHBOARD_JS,
	DOC_DASHBOARD_CSS,
	DOC_MAX
};

static const struct {
	const char	*file;
	const char	*ctype;
	int		 required;
} docs_files[DOC_MAX] = {
	[DOC_OPENAPI] =	{ "openapi.json", CT_JSON, 1 },
	[DOC_PAGE] =	{ "index.html", "text/html; charset=utf-8", 1 },
	[DOC_CSS] =	{ "swagger-ui.css", "text/css; charset=utf-8", 0 },
	[DOC_JS] =	{ "swagger-ui-bundle.js",
			    "text/javascript; charset=utf-8", 0 },
	[DOC_DASHBOARD] = { "dashboard.html", "text/html; charset=utf-8", 1 },
	[DOC_DASHBOARD_JS] = { "dashboard.js",
			    "text/javascript; charset=utf-8", 1 },
	[DOC_DASHBOARD_CSS] = { "dashboard.css", "text/css; charset=utf-8", 1 },
};

static struct doc	docs[DOC_MAX];

/*
 * The docs page's Content-Security-Policy, sent as a header: the one its
 * <meta> states (its own assets only, its inline script by hash, connect-src
 * 'self'), and frame-ancestors, which a <meta> cannot state.
 */
#define DOCS_CSP_META	"http-equiv=\"Content-Security-Policy\" content=\""
#define DOCS_CSP_MORE	"; frame-ancestors 'none'"

static char		docs_csp[1024];

/*
 * The dashboard's: its own script and stylesheet, the API of this server,
 * and the pages that may frame it (CIVIC_CORS_ORIGINS, "*" for any).
 */
#define DASHBOARD_CSP	"default-src 'none'; script-src 'self'; " \
			"style-src 'self'; img-src 'self' data:; " \
			"connect-src 'self'; base-uri 'none'; " \
			"form-action 'none'; frame-ancestors 'self'"

static char		dashboard_csp[2048];

/* DASHBOARD_CSP with the origins of CIVIC_CORS_ORIGINS, into out. */
static int
docs_dashboard_csp(const char *origins, char *out, size_t len)
{
	const char	*p;
	size_t		 n, off;
	int		 w;

	if ((w = snprintf(out, len, "%s", DASHBOARD_CSP)) < 0 ||
	    (size_t)w >= len)
		return (-1);
	off = (size_t)w;
	for (p = origins; p != NULL && *p != '\0'; p += n) {
		p += strspn(p, ", ");
		if ((n = strcspn(p, ", ")) == 0)
			break;
		w = snprintf(out + off, len - off, " %.*s", (int)n, p);
		if (w < 0 || (size_t)w >= len - off)
			return (-1);
		off += (size_t)w;
	}
	return (0);
}

static int
docs_read(const char *path, struct doc *doc)
{
	FILE	*fp;
	long	 size;

	memset(doc, 0, sizeof(*doc));
	if ((fp = fopen(path, "rb")) == NULL)
		return (-1);

	if (fseek(fp, 0, SEEK_END) == -1 || (size = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) == -1 ||
	    (doc->body = malloc((size_t)size + 1)) == NULL ||
	    fread(doc->body, 1, (size_t)size, fp) != (size_t)size) {
		free(doc->body);
		doc->body = NULL;
		(void)fclose(fp);
		return (-1);
	}
	(void)fclose(fp);

	doc->body[size] = '\0';
	doc->len = (size_t)size;
	etag_compute(doc->body, doc->len, doc->etag);
	return (0);
}

/* The policy of page's CSP <meta>, and frame-ancestors, into out. */
static int
docs_csp_read(const char *page, char *out, size_t len)
{
	const char	*p, *end;
	int		 n;

	if ((p = strstr(page, DOCS_CSP_META)) == NULL)
		return (-1);
	p += strlen(DOCS_CSP_META);
	if ((end = strchr(p, '"')) == NULL || end == p)
		return (-1);
	n = snprintf(out, len, "%.*s%s", (int)(end - p), p, DOCS_CSP_MORE);
	if (n < 0 || (size_t)n >= len)
		return (-1);
	return (0);
}

/* Read the documents in dir; -1 with the reason in err if one is bad. */
int
docs_load(const char *dir, char *err, size_t errlen)
{
	json_error_t	jerr;
	json_t		*j;
	char		path[1024];
	int		i;

	for (i = 0; i < DOC_MAX; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir,
		    docs_files[i].file);
		if (docs_read(path, &docs[i]) == -1 && docs_files[i].required) {
			(void)snprintf(err, errlen, "%s: %s", path,
			    strerror(errno));
			return (-1);
		}
	}

	if (docs_csp_read(docs[DOC_PAGE].body, docs_csp,
	    sizeof(docs_csp)) == -1) {
		(void)snprintf(err, errlen, "%s/index.html: no <meta http-equiv="
		    "\"Content-Security-Policy\"> (or one too long)", dir);
		return (-1);
	}

	if (docs_dashboard_csp(civic_config.cors_origins, dashboard_csp,
	    sizeof(dashboard_csp)) == -1) {
		(void)snprintf(err, errlen, "CIVIC_CORS_ORIGINS is too long for "
		    "the dashboard's frame-ancestors");
		return (-1);
	}

	j = json_loadb(docs[DOC_OPENAPI].body, docs[DOC_OPENAPI].len, 0,
	    &jerr);
	if (j == NULL) {
		(void)snprintf(err, errlen, "%s/openapi.json: line %d: %s",
		    dir, jerr.line, jerr.text);
		return (-1);
	}
	json_decref(j);

	return (0);
}

/* The document at route r. */
int
docs_serve(struct http_request *req, const struct route *r)
{
	int	which;

	switch (r->kind) {
	case ROUTE_OPENAPI:
		which = DOC_OPENAPI;
		break;
	case ROUTE_DOCS_CSS:
		which = DOC_CSS;
		break;
	case ROUTE_DOCS_JS:
		which = DOC_JS;
		break;
	case ROUTE_DASHBOARD:
		which = DOC_DASHBOARD;
		break;
	case ROUTE_DASHBOARD_JS:
		which = DOC_DASHBOARD_JS;
		break;
	case ROUTE_DASHBOARD_CSS:
		which = DOC_DASHBOARD_CSS;
		break;
	default:
		which = DOC_PAGE;
		break;
	}

	if (docs[which].body == NULL) {
		api_error(req, PROBLEM_NOT_FOUND, "%s is not installed on "
		    "this server.", docs_files[which].file);
		return (KORE_RESULT_OK);
	}

	if (which == DOC_PAGE)
		http_response_header(req, "content-security-policy", docs_csp);
	else if (which == DOC_DASHBOARD)
		http_response_header(req, "content-security-policy",
		    dashboard_csp);
	api_static_doc(req, &docs[which], docs_files[which].ctype,
	    CACHE_PUBLIC);
	return (KORE_RESULT_OK);
}

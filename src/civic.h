/*
 * Civic Plan API: the map of the module.
 *
 * Prototypes are grouped under the file that defines them.  The files in the
 * first part ("pure") include libc, libpq and jansson only, never Kore: the
 * unit tests build them without the framework.  The second part is the glue
 * that lives inside Kore workers.
 */

#ifndef CIVIC_H
#define CIVIC_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#define CIVIC_ID_MAX		100	/* longest slug */
#define CIVIC_PATH_MAX		512	/* longest path we look up */
#define CIVIC_REQID_MAX		128	/* longest request id we echo */
#define CIVIC_ETAG_LEN		40	/* a quoted tag and its NUL */
#define CIVIC_CURSOR_MAX	64
#define CIVIC_LIMIT_DEFAULT	50
#define CIVIC_LIMIT_MAX		200
#define CIVIC_QUERY_MAX		8	/* most query parameters we take */

/*
 * problem.c: RFC 9457 problem documents.  Every error the service produces
 * is one of these kinds, whether C or SQL finds it: the table in problem.c
 * alone holds each kind's code (the type is /problems/<code>), status and
 * title.  SQL names a problem by its code (api_problem, sql/api/common.sql)
 * and the service completes it from the table.
 */
enum problem_kind {
	PROBLEM_INVALID_PARAMETER,
	PROBLEM_MALFORMED_BODY,
	PROBLEM_INVALID_HEADER,
	PROBLEM_UNAUTHORIZED,
	PROBLEM_FORBIDDEN,
	PROBLEM_NOT_FOUND,
	PROBLEM_METHOD_NOT_ALLOWED,
	PROBLEM_NOT_ACCEPTABLE,
	PROBLEM_SURVEY_NOT_OPEN,
	PROBLEM_DUPLICATE_RESPONSE,
	PROBLEM_IDEMPOTENCY_KEY_IN_USE,
	PROBLEM_ALREADY_VOIDED,
	PROBLEM_SURVEY_HAS_RESPONSES,
	PROBLEM_IN_USE,
	PROBLEM_PRECONDITION_FAILED,
	PROBLEM_UNSUPPORTED_MEDIA,
	PROBLEM_INVALID_BODY,
	PROBLEM_IDEMPOTENCY_KEY_REUSED,
	PROBLEM_TOO_MANY_REQUESTS,
	PROBLEM_INTERNAL,
	PROBLEM_UNAVAILABLE,
	PROBLEM_KIND_MAX
};

struct problem {
	enum problem_kind	kind;
	char			detail[256];
	char			parameter[32];	/* invalid-parameter, or the
						   invalid-header's name */
};

int		 problem_status(enum problem_kind);
const char	*problem_type(enum problem_kind);
const char	*problem_title(enum problem_kind);
int		 problem_kind_of(const char *, enum problem_kind *);
json_t		*problem_complete(json_t *, int);
void		 problem_set(struct problem *, enum problem_kind,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
void		 problem_param(struct problem *, const char *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
void		 problem_header(struct problem *, const char *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
char		*problem_render(const struct problem *, const char *,
		    const char *, size_t *);
void		 utf8_clean(const char *, char *, size_t);

/* route.c: what a request path names, found once per request. */
enum route_kind {
	ROUTE_NONE,
	ROUTE_HEALTHZ,
	ROUTE_READYZ,
	ROUTE_METRICS,
	ROUTE_OPENAPI,
	ROUTE_DOCS,
	ROUTE_DOCS_CSS,
	ROUTE_DOCS_JS,
	ROUTE_DASHBOARD,
	ROUTE_DASHBOARD_JS,
	ROUTE_DASHBOARD_CSS,
	ROUTE_PLANS,
	ROUTE_PLAN,
	ROUTE_GOALS,
	ROUTE_GOAL,
	ROUTE_OBJECTIVES,
	ROUTE_OBJECTIVE,
	ROUTE_PRIORITIES,
	ROUTE_PRIORITY_YEAR,
	ROUTE_PLAN_HISTORY,
	ROUTE_SURVEYS,
	ROUTE_SURVEY,
	ROUTE_RESPONSES,
	ROUTE_RESPONSES_BATCH,
	ROUTE_RESPONSES_EXPORT,
	ROUTE_RESPONSE,
	ROUTE_RESPONSE_VOID,
	ROUTE_TALLIES,
	ROUTE_TALLIES_STREAM,
	ROUTE_AUDIT,
	ROUTE_KEYS,
	ROUTE_KEY,
	ROUTE_INDICATORS,
	ROUTE_INDICATOR,
	ROUTE_TARGETS,
	ROUTE_INDICATOR_OBSERVATIONS,
	ROUTE_OVERRIDES,
	ROUTE_INITIATIVES,
	ROUTE_INITIATIVE,
	ROUTE_INITIATIVE_UPDATES,
	ROUTE_OBJECTIVE_UPDATES,
	ROUTE_PROGRESS,
	ROUTE_OBSERVATIONS,
	ROUTE_IMPORTS,
	ROUTE_PLAN_EXPORT,
	ROUTE_STATUS_RULES,
	ROUTE_STATUS_RULE,
	ROUTE_KIND_MAX
};

#define ROUTE_PARAMS_MAX	2

struct route {
	enum route_kind	 kind;
	const char	*template;	/* "/v1/surveys/{survey}", never a path */
	size_t		 nparams;
	struct {
		const char	*name;	/* in the template, len bytes */
		size_t		 len;
		char		 value[CIVIC_ID_MAX + 1];
	} params[ROUTE_PARAMS_MAX];
};

int		 route_parse(const char *, struct route *);
const char	*route_param(const struct route *, const char *);
const char	*route_template(enum route_kind);

/* etag.c: strong entity tags and If-None-Match (RFC 9110, 13.1.2). */
void		 etag_compute(const void *, size_t, char [CIVIC_ETAG_LEN]);
int		 etag_none_match(const char *, const char *);
int		 etag_if_match(const char *, char *, size_t);

/* cursor.c: opaque pagination cursors bound to their collection. */
uint32_t	 cursor_scope(const char *, const char *);
int		 cursor_encode(int64_t, uint32_t, char *, size_t);
int		 cursor_decode(const char *, uint32_t, int64_t *);
int		 cursor_encode_keys(const int64_t *, size_t, uint32_t, char *,
		    size_t);
int		 cursor_decode_keys(const char *, size_t, uint32_t, int64_t *);

/* query.c: strict query strings. */
struct query_param {
	char	*name;
	char	*value;
};

struct query {
	char			*buf;
	size_t			 count;
	struct query_param	 params[CIVIC_QUERY_MAX];
};

int		 query_parse(struct query *, const char *, struct problem *);
void		 query_cleanup(struct query *);
const char	*query_get(const struct query *, const char *);
int		 query_only(const struct query *, const char *const *,
		    struct problem *);
int		 query_int(const char *, const char *, long, long, long *,
		    struct problem *);
int		 slug_valid(const char *);
void		 query_encode(const char *, char *, size_t);

/* page.c: one page of a collection, as the envelope clients read. */
struct page_source {
	const char	 *path;		/* the collection's path */
	json_t		**members;	/* borrowed */
	const int64_t	 *keys;		/* ascending sort keys */
	char *const	 *filters;	/* value a filter matches, or NULL */
	size_t		  count;
};

struct page_request {
	const char	*filter_param;	/* NULL: not filtered */
	const char	*filter_value;
	long		 limit;
	int		 has_after;
	int64_t		 after;		/* from the cursor */
};

json_t		*page_build(const struct page_source *,
		    const struct page_request *, char *, size_t);
int		 page_link(const char *, char *, size_t);

/* reqid.c: request ids. */
int		 reqid_valid(const char *);
void		 reqid_generate(uint64_t *, char [33]);

/* http_util.c: header values. */
int		 accept_json(const char *);
double		 accept_weight(const char *, const char *);
int		 origin_allowed(const char *, const char *);
size_t		 json_quote(const char *, char *, size_t);

/*
 * framing.c: how a request's head frames the request, as Kore 4.1.0 reads
 * it (the connection layer, conn.c, acts on it before Kore does).
 */
struct framing {
	size_t		 head_len;	/* through the blank line */
	int		 body_method;	/* POST, PUT, PATCH: Kore reads a body */
	int		 has_length;	/* a Content-Length Kore takes */
	uint64_t	 length;	/* its value */
	int		 lengths;	/* Content-Length fields */
	int		 length_conflict; /* ... that differ */
	int		 transfer_coding; /* a Transfer-Encoding field */
};

int		 framing_parse(const void *, size_t, struct framing *);
size_t		 framing_request_len(const struct framing *, size_t);
const char	*framing_refusal(const struct framing *);

/* apikey.c: API keys and their hashes. */
#define APIKEY_PREFIX		"cpk_"
#define APIKEY_LEN		47	/* prefix + 43 base64url */
#define APIKEY_ID_LEN		20	/* "key_" + 16 hex */
#define APIKEY_HASH_LEN		32

int		 apikey_generate(char [APIKEY_LEN + 1],
		    char [APIKEY_ID_LEN + 1]);
int		 apikey_valid(const char *);
const char	*apikey_from_header(const char *);
void		 apikey_hash(const char *, unsigned char [APIKEY_HASH_LEN]);

/*
 * ratelimit.c: GCRA rate limits over a table shared by the workers.  An
 * entry's id is a partition's kind (one byte) and its client (a key's hash
 * or an address), zero-padded.
 */
#define RL_ID_LEN		33
#define RL_WAYS			8	/* entries per set */
#define RL_QUOTA_MAX		10000000
#define RL_WINDOW_MAX		86400

struct rl_table;

struct rl_verdict {
	int		allowed;
	uint32_t	remaining;	/* requests left now (r) */
	uint32_t	reset;		/* seconds until all are back (t) */
	uint32_t	retry_after;	/* seconds, when refused */
};

size_t		 rl_table_size(size_t);
struct rl_table	*rl_table_init(void *, size_t, const unsigned char [16]);
int		 rl_take(struct rl_table *, const unsigned char [RL_ID_LEN],
		    uint32_t, uint32_t, int64_t, struct rl_verdict *);
uint64_t	 rl_rejected(struct rl_table *);
uint64_t	 rl_siphash(const unsigned char [16], const unsigned char *,
		    size_t);
size_t		 rl_active(struct rl_table *, int64_t);
int		 rl_policy_field(char *, size_t, const char *, uint32_t,
		    uint32_t);
int		 rl_limit_field(char *, size_t, const char *,
		    const struct rl_verdict *);

/* answers.c: a response's body against its survey's questions. */
struct answers {
	json_t		*errors;	/* [{pointer, detail}] */
	json_t		*values;	/* [{question, value, objective}] */
	unsigned char	 hash[32];	/* of the canonical body */
	char		 submitted_at[40];	/* in UTC, or "" */
};

int		 answers_check(json_t *, json_t *, json_t *, time_t,
		    struct answers *);
void		 answers_cleanup(struct answers *);
int		 answers_timestamp(const char *, time_t *);
int		 answers_timestamp_utc(const char *, char *, size_t);
char		*answers_pointer(const char *, const char *);

/* tally.c: tallies from counters. */
json_t		*tally_build(json_t *, json_t *, json_t *, json_int_t,
		    json_int_t, const char *);

/*
 * How JSON is written: compact, and a real with 15 significant digits,
 * as many as a double holds exactly, so that 8.4 stays 8.4 (17 digits
 * show the double's noise: 8.4000000000000004).
 */
#define CIVIC_JSON_DUMP		(JSON_COMPACT | JSON_REAL_PRECISION(15))

/* csv.c: responses and tables as CSV, and CSV read back. */
struct csv_error {
	size_t		 line;		/* from 1 */
	size_t		 field;		/* from 1 */
	const char	*message;
};

char		*csv_table(json_t *, size_t *);
json_t		*csv_read(const char *, size_t, struct csv_error *);
char		*csv_responses(json_t *, json_t *, json_t *, size_t *);
char		*csv_responses_rows(json_t *, json_t *, json_t *, int,
		    size_t *);

/* conninfo.c: the service's libpq connection string. */
char		*conninfo_build(const char *, char *, size_t);
char		*conninfo_build_as(const char *, const char *, const char *,
		    char *, size_t);
char		*conninfo_chroot(const char *, const char *, char *, size_t);
char		*conninfo_resolve(const char *, char *, size_t);

/*
 * content.c: the published data, held in memory.  A snapshot is built once
 * from the database (the api_* views) and shared, read-only, by a worker's
 * requests.  Every document is rendered once, with its ETag.
 */
struct doc {
	char		*body;
	size_t		 len;
	char		 etag[CIVIC_ETAG_LEN];
};

struct resource {
	char		*path;
	struct doc	 doc;
	json_t		*json;		/* the same, parsed */
};

struct collection {
	char		*path;
	char		*filter_param;
	char		*filter_ref;	/* filter values name resources here */
	json_t		**members;
	int64_t		*keys;
	char		**filters;
	size_t		 count;
	struct doc	 first_page;	/* no query string */
	char		*first_link;	/* its Link header, or NULL */
	json_t		*ids;		/* the members' "id"s, in order */
	json_t		*active_ids;	/* those not archived */
};

struct content {
	struct resource		*resources;
	size_t			 nresources;
	struct collection	*collections;
	size_t			 ncollections;
	char			*current_plan;	/* path of the newest adopted */
	int64_t			 revision;	/* content_revision loaded */
	struct content		*all;		/* the same with drafts */
};

struct content	*content_load(const char *, char *, size_t);
void		 content_free(struct content *);
const struct resource	*content_resource(const struct content *,
			    const char *);
const struct collection	*content_collection(const struct content *,
			    const char *);
int		 content_resolve(const struct content *, const char *,
		    char *, size_t);
json_t		*content_objective_ids(const struct content *, json_t *,
		    int);
int		 doc_render(struct doc *, json_t *);
void		 doc_cleanup(struct doc *);

#endif /* !CIVIC_H */

/*
 * The glue inside Kore workers: configuration, responses and handlers.
 * Prototypes are grouped under the file that defines them.
 */

#ifndef CIVIC_API_H
#define CIVIC_API_H

#include <kore/kore.h>
#include <kore/http.h>

/*
 * Kore's feature flags change the layout of its structs (struct
 * http_request is 16 bytes shorter without them): a module built without
 * the flags Kore was built with reads the wrong members, silently.  The
 * Makefile passes /usr/share/kore/features; this service needs pgsql.
 */
#if !defined(KORE_USE_PGSQL)
#error "Kore's flags are missing (KORE_USE_PGSQL): build with the flags in /usr/share/kore/features, from a Kore built with pgsql"
#endif

#include "civic.h"

#define API_DB			"db"	/* the pgsql pool's name */
#define API_READ_DB		"read"	/* the replica's (DATABASE_READ_URL) */

#define API_READ_METHODS	(HTTP_METHOD_GET | HTTP_METHOD_HEAD | \
				    HTTP_METHOD_OPTIONS)

#define CACHE_PUBLIC		"public, max-age=60"
#define CACHE_NONE		"no-store"
#define CACHE_PRIVATE		"private, no-cache"	/* what a key sees */

#define CT_JSON			"application/json"
#define CT_PROBLEM		"application/problem+json"

/* The Server header: http_server_version in conf/app.conf says the same. */
#define API_SERVER_NAME		"civicplan"

/* config.c: the settings, read from the environment by the parent. */
struct civic_config {
	char		*conninfo;	/* never logged: it may hold a password */
	char		*read_conninfo;	/* the replica's, or NULL */
	uint32_t	 read_max_lag_ms;	/* past it, reads go to the primary */
	char		*cors_origins;
	char		*docs_dir;
	const char	*bind;
	const char	*port;
	uint32_t	 rl_window;	/* rate limits: seconds */
	uint32_t	 rl_key;	/* requests per window */
	uint32_t	 rl_address;
	uint32_t	 rl_public;
	uint32_t	 streams_max;	/* event streams per worker */
	uint32_t	 stream_buffer;	/* a stream's unsent bytes, at most */
	int		 has_scrape_token;	/* CIVIC_METRICS_TOKEN */
	unsigned char	 scrape_token_hash[APIKEY_HASH_LEN];
};

extern struct civic_config	civic_config;

void		config_read(void);

/*
 * limits.c: rate limits per key or address, shared by the workers: the
 * tables (the parent maps them), the check of every routed request, the
 * watcher of the keys' own limits, and the requests refused.
 */
void		limits_init(void);
void		limits_load_first(void);
int		limits_check(struct http_request *, const struct route *);
void		limits_watch_start(void);

/* snapshot.c: the published content, loaded and kept up to date. */
void		snapshot_load_first(void);
void		snapshot_watch_start(void);
void		snapshot_reload(void);
struct content	*snapshot_get(void);
struct content	*snapshot_admin(void);
int64_t		snapshot_revision(void);
const char	*snapshot_read_db(void);
const struct resource	*snapshot_resource(const char *);
const struct resource	*snapshot_survey(const char *);

/* stamp.c: what stamps every answer: a request id, the Date. */
void		stamp_init_worker(void);
void		stamp_request_id(char [33]);
const char	*stamp_date(void);

/* api.c: every response the service sends goes through here. */
void		api_send(struct http_request *, int, const void *, size_t);
void		api_stream(struct http_request *, int, void *, size_t);
int		api_headers(struct http_request *);
int		api_begin(struct http_request *, int, int);
int		api_header_check(struct http_request *);
int		accept_json_header(struct http_request *);
int		api_no_query(struct http_request *);
void		api_problem(struct http_request *, const struct problem *);
void		api_error(struct http_request *, enum problem_kind,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
void		api_doc(struct http_request *, const struct doc *,
		    const char *, const char *);
void		api_static_doc(struct http_request *, const struct doc *,
		    const char *, const char *);
void		api_json(struct http_request *, int, json_t *, const char *);
const char	*api_request_id(struct http_request *);

/*
 * conn.c: the connection layer (bounded output, framing, one request at a
 * time, NUL bytes in heads); conn_accept is the listener's connect
 * callback (app.c binds it).
 */
void		conn_accept(struct connection *);
void		conn_balance_init(void);
void		conn_balance_start(void);
void		conn_response_begin(struct http_request *);
void		conn_response_end(struct http_request *);
size_t		conn_queued(struct connection *);
int		conn_stream_begin(struct connection *, void (*)(void *),
		    void *);
const char	*conn_nul_header(struct http_request *);

/* resource.c: the published data, from memory. */
int		resource_item_serve(struct http_request *);
int		resource_collection_serve(struct http_request *);
int		resource_item_send(struct http_request *, struct content *,
		    const char *);
int		resource_collection_send(struct http_request *,
		    struct content *, const char *);

/* request.c: reading a request: path ids, key, If-Match, body. */
const char	*request_slug(const struct route *, const char *);
int		request_time(const struct query *, const char *,
		    const char **, char *, size_t, struct problem *);
int		request_if_match(struct http_request *, char *, size_t);
int		request_key_hash(struct http_request *,
		    unsigned char [APIKEY_HASH_LEN]);
int		request_scrape_token(struct http_request *);
json_t		*request_json(struct http_request *);
char		*request_text(struct http_request *);

/* reply.c: sending what an SQL function answered. */
struct dbq;
void		reply_result(struct http_request *, struct dbq *);
void		reply_list(struct http_request *, struct dbq *,
		    const char *, const char *,
		    char *(*)(struct http_request *, struct dbq *, json_t *,
		    size_t *));

/*
 * The handlers, one file per resource: the router (router.c) calls each
 * with the route it parsed, once api_begin() let the request through.
 */

/* docs.c: the OpenAPI document and the docs page, from CIVIC_DOCS_DIR. */
int		docs_load(const char *, char *, size_t);
int		docs_serve(struct http_request *, const struct route *);

/* ops.c: /healthz, /readyz and /metrics. */
int		ops_healthz(struct http_request *, const struct route *);
int		ops_readyz(struct http_request *, const struct route *);
int		ops_metrics(struct http_request *, const struct route *);

/* plans.c: the plan, its goals, objectives and priorities. */
int		plans_serve(struct http_request *, const struct route *);

/*
 * progress.c: progress reads at another moment (?as_of=), the CSV of
 * observations and the plan's export, and the import of observations.
 */
int		progress_from_memory(struct http_request *,
		    const struct route *);
int		progress_serve(struct http_request *, const struct route *);
int		progress_download(struct http_request *, const struct route *);
int		progress_import(struct http_request *, const struct route *);

/* surveys.c: the surveys. */
int		surveys_serve(struct http_request *, const struct route *);

/* responses.c: a survey's responses. */
int		responses_collection(struct http_request *,
		    const struct route *);
int		responses_batch(struct http_request *, const struct route *);
int		responses_item(struct http_request *, const struct route *);
int		responses_void(struct http_request *, const struct route *);

/* export.c: a survey's responses in one download. */
int		export_serve(struct http_request *, const struct route *);

/* tallies.c: live tallies for dashboards. */
int		tallies_serve(struct http_request *, const struct route *);
void		tallies_touch(void);

/* stream.c: event streams of live tallies. */
int		stream_admit(struct http_request *);
void		stream_open(struct http_request *, const char *, int,
		    const struct doc *);
void		stream_publish(const char *, int, const struct doc *);
void		stream_end(const char *, int);
void		stream_end_private(void);
void		stream_each(void (*)(const char *, int, void *), void *);
u_int32_t	stream_open_count(void);

/* keys.c: API keys. */
int		keys_collection(struct http_request *, const struct route *);
int		keys_item(struct http_request *, const struct route *);

/* audit.c: the audit log and a plan's history. */
int		audit_serve(struct http_request *, const struct route *);

#endif /* !CIVIC_API_H */

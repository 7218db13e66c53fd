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

#define API_READ_METHODS	(HTTP_METHOD_GET | HTTP_METHOD_HEAD | \
				    HTTP_METHOD_OPTIONS)

#define CACHE_PUBLIC		"public, max-age=60"
#define CACHE_NONE		"no-store"
#define CACHE_PRIVATE		"private, no-cache"	/* what a key sees */

#define CT_JSON			"application/json"
#define CT_PROBLEM		"application/problem+json"

/* The Server header: http_server_version in conf/app.conf says the same. */
#define API_SERVER_NAME		"civicplan"

/* app.c: settings, read from the environment by the parent. */
struct civic_config {
	char		*conninfo;	/* never logged: it may hold a password */
	char		*cors_origins;
	char		*docs_dir;
};

extern struct civic_config	civic_config;
extern struct content		*civic_content;

struct content	*app_content(void);
struct content	*app_content_admin(void);
void		app_content_reload(void);
const struct resource	*app_resource(const char *);
int		app_not_found(struct http_request *);

/* api.c: every response the service sends goes through here. */
void		api_send(struct http_request *, int, const void *, size_t);
void		api_stream(struct http_request *, int, void *, size_t);
void		api_conn_problem(struct connection *, const struct problem *,
		    const char *, int);
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
void		api_init_worker(void);

/*
 * conn.c: the connection layer (bounded output, framing, one request at a
 * time, NUL bytes in heads); conn_accept is the listener's connect
 * callback (app.c).
 */
void		conn_accept(struct connection *);
void		conn_response_begin(struct http_request *);
void		conn_response_end(struct http_request *);
const char	*conn_nul_header(struct http_request *);

/* resource.c: the published data, from memory. */
int		resource_item_serve(struct http_request *);
int		resource_collection_serve(struct http_request *);
int		resource_item_send(struct http_request *, struct content *,
		    const char *);
int		resource_collection_send(struct http_request *,
		    struct content *, const char *);

/* rpc.c: what every write and authenticated read shares. */
struct dbq;
const char	*path_id(const char *, const char *, char *, size_t);
int		survey_from_path(const char *, char *, size_t);
int		if_match_read(struct http_request *, char *, size_t);
const struct resource	*survey_by_slug(const char *);
const struct resource	*survey_resource(const char *, char *, size_t);
int		auth_key_hash(struct http_request *,
		    unsigned char [APIKEY_HASH_LEN]);
json_t		*body_json(struct http_request *);
char		*body_text(struct http_request *);
void		dbq_send_result(struct http_request *, struct dbq *);
void		dbq_send_list(struct http_request *, struct dbq *,
		    const char *, const char *,
		    char *(*)(struct http_request *, json_t *, size_t *));
void		dbq_text_param(struct dbq *, const char *, const char *);
void		dbq_page_keys(struct dbq *, int, int, const int64_t *);
int		dbq_page_params(struct http_request *, struct dbq *,
		    const struct query *, const char *, size_t, int64_t *,
		    int *);

/* tallies.c: live tallies for dashboards. */
void		tallies_invalidate(void);
void		tallies_touch(void);

/* docs.c: the OpenAPI document and the docs page, from CIVIC_DOCS_DIR. */
int		docs_load(const char *, char *, size_t);

#endif /* !CIVIC_API_H */

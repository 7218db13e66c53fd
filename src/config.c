/*
 * The configuration, read from the environment by the parent before it
 * forks the workers (which inherit it):
 *
 *	DATABASE_URL		libpq conninfo or URI (required)
 *	CIVIC_BIND, CIVIC_PORT	where to listen (127.0.0.1, 8888)
 *	CIVIC_WORKERS		worker processes (from the config file)
 *	CIVIC_CORS_ORIGINS	origins allowed by CORS, comma separated
 *	CIVIC_DOCS_DIR		openapi.json and the docs page (./docs)
 */

#include <stdlib.h>

#include "api.h"

struct civic_config	civic_config;

static const char *
env_or(const char *name, const char *fallback)
{
	const char	*v;

	if ((v = getenv(name)) == NULL || *v == '\0')
		return (fallback);
	return (v);
}

/* Read the settings into civic_config; a bad one ends the server. */
void
config_read(void)
{
	const char	*url, *v;
	char		 err[512];
	long		 n;

	if ((url = getenv("DATABASE_URL")) == NULL || *url == '\0')
		fatalx("DATABASE_URL is not set");
	if ((civic_config.conninfo = conninfo_build(url, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);

	if ((v = getenv("CIVIC_CORS_ORIGINS")) != NULL && *v != '\0')
		civic_config.cors_origins = kore_strdup(v);
	civic_config.docs_dir = kore_strdup(env_or("CIVIC_DOCS_DIR", "docs"));
	civic_config.bind = env_or("CIVIC_BIND", "127.0.0.1");
	civic_config.port = env_or("CIVIC_PORT", "8888");

	if ((v = getenv("CIVIC_WORKERS")) != NULL) {
		n = strtol(v, NULL, 10);
		if (n < 1 || n > 64)
			fatalx("CIVIC_WORKERS must be from 1 to 64");
		worker_count = (u_int8_t)n;
	}
}

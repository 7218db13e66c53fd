/*
 * The configuration, read from the environment by the parent before it
 * forks the workers (which inherit it):
 *
 *	DATABASE_URL		libpq conninfo or URI (required)
 *	DATABASE_READ_URL	a streaming replica of it, for the published
 *				data and the public tallies (none)
 *	CIVIC_READ_MAX_LAG_MS	the replica's lag past which those reads go
 *				to the primary instead (1000)
 *	CIVIC_BIND, CIVIC_PORT	where to listen (127.0.0.1, 8888)
 *	CIVIC_WORKERS		worker processes (from the config file)
 *	CIVIC_CORS_ORIGINS	origins allowed by CORS, comma separated
 *	CIVIC_DOCS_DIR		openapi.json and the docs page (./docs)
 *	CIVIC_RATELIMIT_WINDOW	the rate limits' window, seconds (60)
 *	CIVIC_RATELIMIT_KEY	requests per window per API key (600)
 *	CIVIC_RATELIMIT_ADDRESS	... per address, without a key (120)
 *	CIVIC_RATELIMIT_PUBLIC	... per key or address, cached public
 *				reads (6000)
 *	CIVIC_STREAMS_PER_WORKER	event streams a worker holds (2048)
 *	CIVIC_STREAM_BUFFER	bytes a stream may leave unsent before it
 *				is dropped (65536)
 */

#include <errno.h>
#include <stdlib.h>

#include "api.h"

/*
 * Streams take a connection each (worker_max_connections is 4096 in
 * conf/app.conf); a stream's buffer must hold one event, and the kernel
 * doubles it (SO_SNDBUF).
 */
#define STREAMS_MAX		4000
#define STREAM_BUFFER_MIN	4096
#define STREAM_BUFFER_MAX	(64 * 1024 * 1024)

struct civic_config	civic_config;

static const char *
env_or(const char *name, const char *fallback)
{
	const char	*v;

	if ((v = getenv(name)) == NULL || *v == '\0')
		return (fallback);
	return (v);
}

/* A whole number from min to max in name, or fallback; else the end. */
static uint32_t
env_count(const char *name, uint32_t fallback, uint32_t max)
{
	const char	*v;
	char		*end;
	unsigned long	 n;

	if ((v = getenv(name)) == NULL || *v == '\0')
		return (fallback);
	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n < 1 ||
	    n > max)
		fatalx("%s must be a whole number from 1 to %u", name, max);
	return ((uint32_t)n);
}

/*
 * The service's conninfo from url (the variable var; NULL when unset),
 * with its host names resolved now (conninfo_resolve): a bad one ends the
 * server.
 */
static char *
config_conninfo(const char *url, const char *var, const char *app)
{
	char	*built, *resolved, err[512];

	if (url == NULL || *url == '\0')
		return (NULL);
	if ((built = conninfo_build_as(url, var, app, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((resolved = conninfo_resolve(built, err, sizeof(err))) == NULL)
		fatalx("%s: %s", var, err);
	free(built);
	return (resolved);
}

/* Read the settings into civic_config; a bad one ends the server. */
void
config_read(void)
{
	const char	*v;
	long		 n;

	if ((civic_config.conninfo = config_conninfo(getenv("DATABASE_URL"),
	    "DATABASE_URL", "civicplan")) == NULL)
		fatalx("DATABASE_URL is not set");

	civic_config.read_conninfo = config_conninfo(
	    getenv("DATABASE_READ_URL"), "DATABASE_READ_URL", "civicplan-read");
	civic_config.read_max_lag_ms = env_count("CIVIC_READ_MAX_LAG_MS", 1000,
	    3600000);

	if ((v = getenv("CIVIC_CORS_ORIGINS")) != NULL && *v != '\0')
		civic_config.cors_origins = kore_strdup(v);
	civic_config.docs_dir = kore_strdup(env_or("CIVIC_DOCS_DIR", "docs"));
	civic_config.bind = env_or("CIVIC_BIND", "127.0.0.1");
	civic_config.port = env_or("CIVIC_PORT", "8888");

	civic_config.rl_window = env_count("CIVIC_RATELIMIT_WINDOW", 60,
	    RL_WINDOW_MAX);
	civic_config.rl_key = env_count("CIVIC_RATELIMIT_KEY", 600,
	    RL_QUOTA_MAX);
	civic_config.rl_address = env_count("CIVIC_RATELIMIT_ADDRESS", 120,
	    RL_QUOTA_MAX);
	civic_config.rl_public = env_count("CIVIC_RATELIMIT_PUBLIC", 6000,
	    RL_QUOTA_MAX);

	civic_config.streams_max = env_count("CIVIC_STREAMS_PER_WORKER", 2048,
	    STREAMS_MAX);
	civic_config.stream_buffer = env_count("CIVIC_STREAM_BUFFER", 65536,
	    STREAM_BUFFER_MAX);
	if (civic_config.stream_buffer < STREAM_BUFFER_MIN)
		fatalx("CIVIC_STREAM_BUFFER must be at least %d",
		    STREAM_BUFFER_MIN);

	/* Kept as its SHA-256 only, as API keys are. */
	if ((v = getenv("CIVIC_METRICS_TOKEN")) != NULL && *v != '\0') {
		apikey_hash(v, civic_config.scrape_token_hash);
		civic_config.has_scrape_token = 1;
	}

	if ((v = getenv("CIVIC_WORKERS")) != NULL) {
		n = strtol(v, NULL, 10);
		if (n < 1 || n > 64)
			fatalx("CIVIC_WORKERS must be from 1 to 64");
		worker_count = (u_int8_t)n;
	}
}

/*
 * The request log: one JSON object per line for every request a handler
 * answered, and the metrics of the same answer (metrics.c).
 *
 *	{"time":"2026-12-07T04:30:00.123Z","request_id":"…","method":"GET",
 *	 "route":"/v1/plans/{plan}","status":200,"bytes":5120,
 *	 "duration_ms":0.412,"key_id":null,"remote_addr":"127.0.0.1",
 *	 "user_agent":"curl/7.88.1"}
 *
 * CIVIC_LOG says where it goes: unset, empty, "-" or "stdout" to standard
 * output, "off" nowhere, anything else to that file, opened (O_APPEND,
 * created 0640) by the parent before the fork: the workers, chrooted and
 * under seccomp, write to the descriptor they inherit.
 *
 * Each worker buffers its lines and writes whole lines only: when the
 * buffer nears full, every REQLOG_TICK_MS, and when the worker stops.
 * On a pipe each write is at most PIPE_BUF bytes, so lines of two workers
 * never mix; on a file O_APPEND keeps each write whole.
 *
 * The route is the template (route.c), never the path; the key is named by
 * its public id (key_…), never by the secret.  The public id is found once
 * per key and worker (dbq.c asks the database before a request's own query
 * when the key is not in this worker's cache) and kept.
 */

#include <sys/stat.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "obs.h"

#define REQLOG_BUF		(64 * 1024)
#define REQLOG_LINE_MAX		4096	/* a line is shorter, always */
#define REQLOG_AGENT_MAX	512	/* bytes of a User-Agent kept */
#define REQLOG_TICK_MS		250
#define REQLOG_KEYS		256	/* public ids kept per worker */
#define REQLOG_KEY_ASK_MS	5000	/* a lookup's answer awaited so long */
#define REQLOG_UNMATCHED	"unmatched"

static int		 reqlog_fd = -1;	/* -1: off */
static size_t		 reqlog_chunk;		/* largest write */
static char		*reqlog_buf;
static size_t		 reqlog_len;
static struct reqlog_req reqlog_cur;

static time_t		 reqlog_sec = -1;
static char		 reqlog_stamp[32];	/* YYYY-MM-DDTHH:MM:SS */

static struct {
	int		used;
	u_int64_t	asked;		/* when a request went to look it up */
	unsigned char	hash[APIKEY_HASH_LEN];
	char		id[APIKEY_ID_LEN + 1];	/* "": no such key */
} reqlog_keys[REQLOG_KEYS];

static void	reqlog_flush(void);
static void	reqlog_tick(void *, u_int64_t);

/* Where the log goes, from CIVIC_LOG (the parent, before the fork). */
void
reqlog_open(void)
{
	const char	*v;
	struct stat	 st;

	v = getenv("CIVIC_LOG");
	if (v != NULL && strcmp(v, "off") == 0) {
		reqlog_fd = -1;
		kore_log(LOG_NOTICE, "request log off");
		return;
	}
	if (v == NULL || *v == '\0' || strcmp(v, "-") == 0 ||
	    strcmp(v, "stdout") == 0) {
		reqlog_fd = STDOUT_FILENO;
	} else if ((reqlog_fd = open(v, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC, 0640)) == -1) {
		fatalx("CIVIC_LOG: cannot open %s: %s", v, errno_s);
	}
	reqlog_chunk = REQLOG_BUF;
	if (fstat(reqlog_fd, &st) == 0 && S_ISFIFO(st.st_mode))
		reqlog_chunk = PIPE_BUF;
	kore_log(LOG_NOTICE, "request log to %s",
	    reqlog_fd == STDOUT_FILENO ? "standard output" : v);
}

/* A worker starts: its buffer and the timer that flushes it. */
void
reqlog_worker_start(void)
{
	if (reqlog_fd == -1)
		return;
	reqlog_buf = kore_malloc(REQLOG_BUF);
	reqlog_len = 0;
	kore_timer_add(reqlog_tick, REQLOG_TICK_MS, NULL, 0);
}

/* A worker stops: what it buffered goes out. */
void
reqlog_worker_stop(void)
{
	reqlog_flush();
}

static void
reqlog_tick(void *arg, u_int64_t now)
{
	(void)arg;
	(void)now;
	reqlog_flush();
}

/* Write the buffer out, in whole lines of at most reqlog_chunk bytes. */
static void
reqlog_flush(void)
{
	size_t	 off, n;
	ssize_t	 w;
	char	*nl;

	if (reqlog_fd == -1 || reqlog_buf == NULL)
		return;
	off = 0;
	while (off < reqlog_len) {
		n = reqlog_len - off;
		if (n > reqlog_chunk) {
			/* The last line end within the chunk. */
			nl = memrchr(reqlog_buf + off, '\n', reqlog_chunk);
			n = nl != NULL ? (size_t)(nl - (reqlog_buf + off)) + 1 :
			    reqlog_chunk;
		}
		w = write(reqlog_fd, reqlog_buf + off, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			break;		/* lost: never stop serving for it */
		off += (size_t)w;
	}
	reqlog_len = 0;
}

/* A new request of route kind begins (router.c): now. */
void
reqlog_begin(enum route_kind kind)
{
	memset(&reqlog_cur, 0, sizeof(reqlog_cur));
	reqlog_cur.kind = kind;
	reqlog_cur.start_ns = metrics_now_ns();
}

/* The request being served now (dbq.c keeps a copy while it waits). */
struct reqlog_req *
reqlog_current(void)
{
	return (&reqlog_cur);
}

/* A request woken after its query goes on: it is the current one again. */
void
reqlog_resume(const struct reqlog_req *r)
{
	reqlog_cur = *r;
}

/* The current request carries a key of this hash (request.c). */
void
reqlog_key(const unsigned char hash[APIKEY_HASH_LEN])
{
	memcpy(reqlog_cur.key_hash, hash, APIKEY_HASH_LEN);
	reqlog_cur.has_key = 1;
}

static size_t
reqlog_key_slot(const unsigned char hash[APIKEY_HASH_LEN])
{
	return (((size_t)hash[0] << 8 | hash[1]) % REQLOG_KEYS);
}

/*
 * 1 when r's key is one whose public id the log does not know yet and no
 * other request went to look it up within REQLOG_KEY_ASK_MS: r goes (the
 * caller looks it up, then reqlog_key_learn()).  The others do not: their
 * lines name the key once the answer came (a key new to a worker at the
 * start of a load came with 32 requests at once, each looking it up on a
 * connection of its own).
 */
int
reqlog_key_unknown(const struct reqlog_req *r)
{
	u_int64_t	now;
	size_t		i;

	if (reqlog_fd == -1 || !r->has_key)
		return (0);
	i = reqlog_key_slot(r->key_hash);
	now = kore_time_ms();
	if (memcmp(reqlog_keys[i].hash, r->key_hash, APIKEY_HASH_LEN) == 0 &&
	    (reqlog_keys[i].used || (reqlog_keys[i].asked != 0 &&
	    now - reqlog_keys[i].asked < REQLOG_KEY_ASK_MS)))
		return (0);
	memcpy(reqlog_keys[i].hash, r->key_hash, APIKEY_HASH_LEN);
	reqlog_keys[i].used = 0;
	reqlog_keys[i].asked = now;
	return (1);
}

/* The key of hash has the public id id ("" or NULL: there is no such key). */
void
reqlog_key_learn(const unsigned char hash[APIKEY_HASH_LEN], const char *id)
{
	size_t	i;

	i = reqlog_key_slot(hash);
	memcpy(reqlog_keys[i].hash, hash, APIKEY_HASH_LEN);
	(void)snprintf(reqlog_keys[i].id, sizeof(reqlog_keys[i].id), "%s",
	    id != NULL && strncmp(id, "key_", 4) == 0 ? id : "");
	reqlog_keys[i].used = 1;
	reqlog_keys[i].asked = 0;
}

static const char *
reqlog_key_id(const struct reqlog_req *r)
{
	size_t	i;

	if (!r->has_key)
		return (NULL);
	i = reqlog_key_slot(r->key_hash);
	if (!reqlog_keys[i].used || reqlog_keys[i].id[0] == '\0' ||
	    memcmp(reqlog_keys[i].hash, r->key_hash, APIKEY_HASH_LEN) != 0)
		return (NULL);
	return (reqlog_keys[i].id);
}

/* Append s to the line as a JSON string (s is valid UTF-8), or null. */
static void
reqlog_string(char *out, size_t *o, size_t len, const char *s)
{
	*o += json_quote(s, out + *o, len - *o);
}

static void
reqlog_time(char *out, size_t len)
{
	struct timespec	ts;
	struct tm	tm;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != reqlog_sec && gmtime_r(&ts.tv_sec, &tm) != NULL) {
		(void)strftime(reqlog_stamp, sizeof(reqlog_stamp),
		    "%Y-%m-%dT%H:%M:%S", &tm);
		reqlog_sec = ts.tv_sec;
	}
	(void)snprintf(out, len, "%s.%03dZ", reqlog_stamp,
	    (int)((ts.tv_nsec / 1000000) % 1000));
}

static void
reqlog_addr(struct http_request *req, char *out, size_t len)
{
	const void	*a;

	a = NULL;
	if (req->owner != NULL && req->owner->family == AF_INET)
		a = &req->owner->addr.ipv4.sin_addr;
	else if (req->owner != NULL && req->owner->family == AF_INET6)
		a = &req->owner->addr.ipv6.sin6_addr;
	if (a == NULL || inet_ntop(req->owner->family, a, out,
	    (socklen_t)len) == NULL)
		(void)snprintf(out, len, "-");
}

/*
 * The current request was answered with status and a body of len bytes
 * (api.c, for every answer): count it, and log it.
 */
void
reqlog_done(struct http_request *req, const char *request_id, int status,
    size_t len)
{
	uint64_t	 ns;
	const char	*route;
	char		*out, agent[REQLOG_AGENT_MAX + 1], when[64], addr[64];
	char		 num[96];
	size_t		 o, cap;

	ns = metrics_now_ns() - reqlog_cur.start_ns;
	metrics_request(reqlog_cur.kind, req->method, status, ns);
	if (reqlog_fd == -1 || reqlog_buf == NULL)
		return;

	if (reqlog_len + REQLOG_LINE_MAX > REQLOG_BUF)
		reqlog_flush();

	if ((route = route_template(reqlog_cur.kind)) == NULL)
		route = REQLOG_UNMATCHED;
	utf8_clean(req->agent != NULL ? req->agent : "", agent,
	    sizeof(agent));
	reqlog_time(when, sizeof(when));
	reqlog_addr(req, addr, sizeof(addr));

	out = reqlog_buf + reqlog_len;
	cap = REQLOG_LINE_MAX - 1;	/* room for the newline */
	o = 0;
#define LIT(s)	do { if (o + sizeof(s) - 1 < cap) { \
		    memcpy(out + o, s, sizeof(s) - 1); o += sizeof(s) - 1; } \
		} while (0)
	LIT("{\"time\":");
	reqlog_string(out, &o, cap, when);
	LIT(",\"request_id\":");
	reqlog_string(out, &o, cap, request_id);
	LIT(",\"method\":");
	reqlog_string(out, &o, cap, http_method_text(req->method));
	LIT(",\"route\":");
	reqlog_string(out, &o, cap, route);
	(void)snprintf(num, sizeof(num), ",\"status\":%d,\"bytes\":%zu,"
	    "\"duration_ms\":%.3f", status, len, (double)ns / 1e6);
	if (o + strlen(num) < cap) {
		memcpy(out + o, num, strlen(num));
		o += strlen(num);
	}
	LIT(",\"key_id\":");
	reqlog_string(out, &o, cap, reqlog_key_id(&reqlog_cur));
	LIT(",\"remote_addr\":");
	reqlog_string(out, &o, cap, addr);
	LIT(",\"user_agent\":");
	reqlog_string(out, &o, cap, req->agent != NULL ? agent : NULL);
	LIT("}");
#undef LIT
	out[o++] = '\n';
	reqlog_len += o;
}

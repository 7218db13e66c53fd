/*
 * Event streams of live tallies: GET /v1/surveys/{survey}/tallies/stream,
 * as Server-Sent Events (text/event-stream).
 *
 * tallies.c lets a stream in (the tallies' visibility, an admin's key) and
 * hands this file the survey's tallies document; from then on the
 * connection belongs to this file.  Its answer's head goes out without a
 * length, the request ends, and the connection is kept (conn.c reads
 * nothing more from it and takes it off Kore's timers).  Each event is
 *
 *	id: "<the tallies' ETag>"
 *	event: tallies
 *	data: <the tallies document, as GET /tallies answers it>
 *
 * sent when the numbers change: tallies.c refreshes every streamed survey
 * in the background, in every worker (each polls the counters: a stream
 * on any worker sees a response stored by any other), and publishes each
 * new document here.  A survey's streams get at most one event every
 * STREAM_EVERY_MS, the newest document.  A stream that sends the ETag it
 * has as Last-Event-ID gets no event until the numbers change.  A comment
 * goes out after STREAM_HEARTBEAT_MS without a word, so proxies and
 * clients see the connection alive.
 *
 * Limits: a worker holds at most civic_config.streams_max streams (more
 * are a 503 problem with Retry-After).  What a stream has queued and not
 * sent may not pass civic_config.stream_buffer bytes (the socket's own
 * send buffer is set to the same): a reader that falls behind is dropped,
 * and reconnects when it reads again (EventSource does), with its
 * Last-Event-ID.  Nothing ever waits for a stream.
 *
 * The streams of an admin on tallies that are not public ("private") are
 * ended when any API key changes (limits.c), since the admin's may have
 * been revoked; every stream of a survey is ended when its tallies stop
 * being visible to it (tallies.c).  EventSource then reconnects, and is
 * answered as any request is.
 */

#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "obs.h"

#define STREAM_EVERY_MS		250	/* at most one event per survey */
#define STREAM_TICK_MS		50
#define STREAM_HEARTBEAT_MS	15000
#define STREAM_RETRY		"retry: 2000\n\n"	/* EventSource's wait */
#define STREAM_HEARTBEAT	": heartbeat\n\n"

#define CT_EVENT_STREAM		"text/event-stream"

struct stream_group;

struct stream {
	TAILQ_ENTRY(stream)	 list;		/* in its group */
	struct stream_group	*group;
	struct connection	*c;
	u_int64_t		 written;	/* last queued */
	char			 etag[CIVIC_ETAG_LEN];	/* last sent */
};

/* The streams of one survey's public, or private, tallies. */
struct stream_group {
	TAILQ_ENTRY(stream_group) list;
	TAILQ_HEAD(, stream)	 streams;
	size_t			 count;
	char			 slug[CIVIC_ID_MAX + 1];
	int			 private;
	struct doc		 doc;		/* the newest, a copy */
	int			 pending;	/* not sent yet */
	u_int64_t		 sent_at;
};

static TAILQ_HEAD(, stream_group)	groups =
				    TAILQ_HEAD_INITIALIZER(groups);
static u_int32_t			stream_count;
static int				stream_ticking;

static struct stream_group	*stream_group(const char *, int, int);
static void	stream_group_send(struct stream_group *, u_int64_t);
static int	stream_write(struct stream *, const void *, size_t,
		    u_int64_t);
static int	stream_event(struct kore_buf *, const struct doc *);
static int	stream_doc_copy(struct doc *, const struct doc *);
static void	stream_gone(void *);
static void	stream_tick(void *, u_int64_t);

/*
 * Before a stream is let in: 406 unless Accept takes text/event-stream,
 * 503 when this worker holds all the streams it may.  Returns 1 to go on,
 * 0 when the answer is sent.
 */
int
stream_admit(struct http_request *req)
{
	const char	*accept;

	if (http_request_header(req, "accept", &accept) &&
	    accept_weight(accept, CT_EVENT_STREAM) <= 0.0) {
		api_error(req, PROBLEM_NOT_ACCEPTABLE, "This resource is "
		    "available as text/event-stream only.");
		return (0);
	}
	if (stream_count >= civic_config.streams_max) {
		api_error(req, PROBLEM_UNAVAILABLE, "This server holds as many "
		    "event streams as it may; retry shortly.");
		return (0);
	}
	return (1);
}

/*
 * Let req in as a stream of slug's tallies (private: an admin's, of
 * tallies that are not public), whose document now is doc (borrowed), or
 * NULL when none is at hand (the streams' newest, if any, then; else the
 * next one published): the answer's head, then the document as the first
 * event unless the client's Last-Event-ID names it already.  The request
 * ends here; the connection stays with this file.
 */
void
stream_open(struct http_request *req, const char *slug, int private,
    const struct doc *doc)
{
	struct connection	*c = req->owner;
	struct stream_group	*g;
	struct stream		*s;
	struct kore_buf		 buf;
	const char		*last;
	u_int64_t		 now;
	int			 size;

	if (!stream_admit(req))
		return;
	if ((g = stream_group(slug, private, 1)) == NULL) {
		api_error(req, PROBLEM_INTERNAL, "Out of memory.");
		return;
	}
	if (doc == NULL && g->doc.body != NULL)
		doc = &g->doc;

	http_response_header(req, "content-type", CT_EVENT_STREAM);
	http_response_header(req, "cache-control", CACHE_NONE);
	/* Proxies that buffer answers (nginx) pass this one on at once. */
	http_response_header(req, "x-accel-buffering", "no");
	req->flags |= HTTP_REQUEST_NO_CONTENT_LENGTH;
	reqlog_done(req, api_request_id(req), HTTP_STATUS_OK, 0);
	conn_response_begin(req);
	http_response(req, HTTP_STATUS_OK, NULL, 0);
	if (req->method == HTTP_METHOD_HEAD || c == NULL) {
		conn_response_end(req);
		return;
	}

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		kore_connection_disconnect(c);
		return;
	}
	if (conn_stream_begin(c, stream_gone, s) == -1) {
		free(s);
		kore_connection_disconnect(c);
		return;
	}
	s->c = c;
	s->group = g;
	if (http_request_header(req, "last-event-id", &last))
		(void)snprintf(s->etag, sizeof(s->etag), "%s", last);
	TAILQ_INSERT_TAIL(&g->streams, s, list);
	g->count++;
	metrics_streams(++stream_count);

	/* The kernel holds no more of it than this file lets queue. */
	size = (int)civic_config.stream_buffer;
	(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));

	if (!stream_ticking) {
		kore_timer_add(stream_tick, STREAM_TICK_MS, NULL, 0);
		stream_ticking = 1;
	}

	now = kore_time_ms();
	kore_buf_init(&buf, doc != NULL ? doc->len + 128 : 128);
	kore_buf_append(&buf, STREAM_RETRY, strlen(STREAM_RETRY));
	if (doc != NULL && strcmp(s->etag, doc->etag) != 0) {
		if (stream_event(&buf, doc) == -1) {
			kore_buf_cleanup(&buf);
			kore_connection_disconnect(c);
			return;
		}
		(void)snprintf(s->etag, sizeof(s->etag), "%s", doc->etag);
	}
	(void)stream_write(s, buf.data, buf.offset, now);
	kore_buf_cleanup(&buf);
}

/*
 * slug's tallies are now doc (borrowed): an event for every stream of
 * them that has not seen it, now or once STREAM_EVERY_MS have passed since
 * the last.  private_only: tallies only admins see, for the private
 * streams; else public, for both.
 */
void
stream_publish(const char *slug, int private_only, const struct doc *doc)
{
	struct stream_group	*g;
	u_int64_t		 now;
	int			 private;

	now = kore_time_ms();
	for (private = private_only; private <= 1; private++) {
		if ((g = stream_group(slug, private, 0)) == NULL ||
		    g->count == 0 || !strcmp(g->doc.etag, doc->etag))
			continue;
		doc_cleanup(&g->doc);
		if (stream_doc_copy(&g->doc, doc) == -1)
			continue;
		g->pending = 1;
		if (now - g->sent_at >= STREAM_EVERY_MS)
			stream_group_send(g, now);
	}
}

/* End every stream of slug's public (or private) tallies. */
void
stream_end(const char *slug, int private)
{
	struct stream_group	*g;
	struct stream		*s, *next;

	if ((g = stream_group(slug, private, 0)) == NULL)
		return;
	for (s = TAILQ_FIRST(&g->streams); s != NULL; s = next) {
		next = TAILQ_NEXT(s, list);
		kore_connection_disconnect(s->c);
	}
}

/* End every private stream: a key changed (limits.c). */
void
stream_end_private(void)
{
	struct stream_group	*g;

	TAILQ_FOREACH(g, &groups, list) {
		if (g->private)
			stream_end(g->slug, 1);
	}
}

/*
 * Call fn for each survey with streams open, and whether they are private
 * ones (tallies.c refreshes those).
 */
void
stream_each(void (*fn)(const char *, int, void *), void *arg)
{
	struct stream_group	*g;

	TAILQ_FOREACH(g, &groups, list) {
		if (g->count > 0)
			fn(g->slug, g->private, arg);
	}
}

/* The streams this worker holds. */
u_int32_t
stream_open_count(void)
{
	return (stream_count);
}

/* slug's group of streams (public or private), made when make is set. */
static struct stream_group *
stream_group(const char *slug, int private, int make)
{
	struct stream_group	*g;

	TAILQ_FOREACH(g, &groups, list) {
		if (g->private == private && !strcmp(g->slug, slug))
			return (g);
	}
	if (!make || (g = calloc(1, sizeof(*g))) == NULL)
		return (NULL);
	TAILQ_INIT(&g->streams);
	(void)snprintf(g->slug, sizeof(g->slug), "%s", slug);
	g->private = private;
	TAILQ_INSERT_TAIL(&groups, g, list);
	return (g);
}

/* The newest document as one event, to every stream without it. */
static void
stream_group_send(struct stream_group *g, u_int64_t now)
{
	struct stream	*s, *next;
	struct kore_buf	 buf;

	g->pending = 0;
	g->sent_at = now;
	kore_buf_init(&buf, g->doc.len + 128);
	if (stream_event(&buf, &g->doc) == -1) {
		kore_buf_cleanup(&buf);
		return;
	}
	for (s = TAILQ_FIRST(&g->streams); s != NULL; s = next) {
		next = TAILQ_NEXT(s, list);
		if (!strcmp(s->etag, g->doc.etag))
			continue;
		(void)snprintf(s->etag, sizeof(s->etag), "%s", g->doc.etag);
		(void)stream_write(s, buf.data, buf.offset, now);
	}
	kore_buf_cleanup(&buf);
}

/*
 * Queue len bytes on s and send what the socket takes.  A stream whose
 * unsent output is then past the bound is dropped (so is one whose
 * connection failed): -1, and s is gone.
 */
static int
stream_write(struct stream *s, const void *data, size_t len, u_int64_t now)
{
	struct connection	*c = s->c;
	size_t			 unsent;

	s->written = now;
	net_send_queue(c, data, len);
	if (!net_send_flush(c)) {
		kore_connection_disconnect(c);
		return (-1);
	}
	if ((unsent = conn_queued(c)) > civic_config.stream_buffer) {
		kore_log(LOG_NOTICE, "tallies stream of %s dropped: %zu bytes "
		    "unsent (a slow reader)", s->group->slug, unsent);
		metrics_stream_dropped();
		kore_connection_disconnect(c);
		return (-1);
	}
	return (0);
}

/* doc as an event: its ETag as the id, the document as the data. */
static int
stream_event(struct kore_buf *buf, const struct doc *doc)
{
	/* JSON_COMPACT escapes every line break: the data is one line. */
	if (doc->body == NULL || memchr(doc->body, '\n', doc->len) != NULL)
		return (-1);
	kore_buf_appendf(buf, "id: %s\nevent: tallies\ndata: ", doc->etag);
	kore_buf_append(buf, doc->body, doc->len);
	kore_buf_append(buf, "\n\n", 2);
	return (0);
}

static int
stream_doc_copy(struct doc *dst, const struct doc *src)
{
	memset(dst, 0, sizeof(*dst));
	if ((dst->body = malloc(src->len + 1)) == NULL)
		return (-1);
	memcpy(dst->body, src->body, src->len);
	dst->body[src->len] = '\0';
	dst->len = src->len;
	memcpy(dst->etag, src->etag, sizeof(dst->etag));
	return (0);
}

/* The stream's connection is closing (conn.c): forget the stream. */
static void
stream_gone(void *arg)
{
	struct stream	*s = arg;

	TAILQ_REMOVE(&s->group->streams, s, list);
	s->group->count--;
	metrics_streams(--stream_count);
	free(s);
}

/*
 * Every STREAM_TICK_MS: the events held back by STREAM_EVERY_MS, the
 * heartbeats due, and the groups left without streams.
 */
static void
stream_tick(void *arg, u_int64_t now)
{
	struct stream_group	*g, *gnext;
	struct stream		*s, *next;

	(void)arg;

	for (g = TAILQ_FIRST(&groups); g != NULL; g = gnext) {
		gnext = TAILQ_NEXT(g, list);
		if (g->count == 0) {
			TAILQ_REMOVE(&groups, g, list);
			doc_cleanup(&g->doc);
			free(g);
			continue;
		}
		if (g->pending && now - g->sent_at >= STREAM_EVERY_MS)
			stream_group_send(g, now);
		for (s = TAILQ_FIRST(&g->streams); s != NULL; s = next) {
			next = TAILQ_NEXT(s, list);
			if (now - s->written >= STREAM_HEARTBEAT_MS)
				(void)stream_write(s, STREAM_HEARTBEAT,
				    strlen(STREAM_HEARTBEAT), now);
		}
	}
}

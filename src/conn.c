/*
 * The connection layer: what Kore 4.1.0 does with an HTTP connection, with
 * these changes, all made from the module (Kore is used as packaged):
 *
 * - Bounded output.  Kore reads a connection's next request as soon as it
 *   has queued the answer to the last one, whether or not the client reads
 *   its answers, and holds every answer in memory until it does: a client
 *   that sends requests and never reads could pin any amount of memory.
 *   Here the next request is read at once only while the connection's
 *   unsent output is at most CONN_QUEUE_MAX bytes; past that, reading stops
 *   until everything queued has been sent (a marker at the end of the send
 *   queue says when).  A client that never reads is closed by Kore's idle
 *   timer (http_keepalive_time).
 * - Framing.  A request's head is read here before Kore reads it
 *   (framing.c).  A request whose framing is ambiguous (RFC 9112, 6.3) is
 *   answered 400 with a problem document, and the connection closed.  Bytes
 *   received past a request (a CR LF after the body, which Kore took for
 *   more body and waited for the rest until 408, or the next pipelined
 *   requests, which Kore dropped) are kept and read as the next request.
 * - One request at a time.  Kore reads the next request as soon as a body
 *   is complete, while the handler still works on it; here a connection is
 *   read again once the answer is queued, so answers keep their order.
 * - NUL bytes.  Kore reads a request's head as a C string: a NUL byte in
 *   it ends the head there, and every header after it is silently dropped
 *   (an Authorization, a Content-Length: a proxy in front that passes the
 *   NUL on sees other headers than we do).  A NUL in a header line becomes
 *   a space, so that Kore parses every header, and the request is marked:
 *   api_begin() then answers 400 naming the header (conn_nul_header).  A
 *   NUL in the request line is left as it is: Kore answers 400 itself.
 * - Keep-alive.  Between requests the header timeout (which Kore starts
 *   when it queues an answer, and ends with a 408 on an idle connection)
 *   starts with the next request's first byte; an idle connection is closed
 *   after http_keepalive_time by Kore's idle timer, without a 408.
 *
 * - Balance.  Kore 4.1.0's accept lock moves to another worker only when
 *   the one holding it is full or accepts worker_accept_threshold
 *   connections in one go, so connections that arrive a few at a time all
 *   land on it: wrk's 64 split 57/7 and 48/16, and the busy worker's
 *   requests waited on one core while the other idled.  Each worker
 *   publishes its number of connections in shared memory and keeps
 *   worker_max_connections, which Kore checks before every accept and
 *   before it takes the lock, at CONN_BALANCE_SLACK past the least loaded
 *   other worker heard from within CONN_BALANCE_STALE_MS: a worker ahead
 *   hands the lock on and accepts no more until the others catch up, and
 *   one that is stuck (a long reload, a debugger) holds no one back.
 *
 * How: the listener's connect callback (conn_accept, named in app.c) sets a
 * connection up as Kore would, with this file's callbacks.  Every response
 * (api.c) is queued between conn_response_begin() and conn_response_end(),
 * which set CONN_IS_BUSY so that Kore does not start reading itself after
 * the response (as Kore's own streamed Python responses do), and decide
 * when to read on.
 */

#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"

/*
 * Output a connection may have queued (unsent) when its next request is
 * read.  Past it, one more answer is the most a connection holds.
 */
#define CONN_QUEUE_MAX		(64 * 1024)

/* What this file keeps per connection, in c->hdlr_extra (Kore frees it). */
struct conn {
	u_int8_t	*left;		/* received past the last request */
	size_t		 left_len;
	int		 flags;
	int		 nul;		/* a NUL byte was in this request's head */
	size_t		 nul_at;	/* the first one's offset in it */
	void		(*gone)(void *);	/* an event stream's end */
	void		*gone_arg;
};

/*
 * Balance: how far past the least loaded worker one may go, how often each
 * worker says how many it holds, and how long a silent one still counts.
 */
#define CONN_BALANCE_SLACK	8
#define CONN_BALANCE_TICK_MS	10
#define CONN_BALANCE_STALE_MS	200

/* One worker's word, in shared memory: written by it alone. */
struct conn_load {
	u_int32_t	n;		/* its connections */
	u_int64_t	heard;		/* when it said so (kore_time_ms) */
} __attribute__((aligned(64)));

static struct conn_load	*conn_loads;	/* KORE_WORKER_MAX + 1 of them */
static u_int32_t	 conn_max;	/* worker_max_connections as set */

static void	conn_balance(u_int32_t);
static void	conn_balance_tick(void *, u_int64_t);

#define CONN_PAUSED		0x01	/* not read until its output is sent */
#define CONN_DRAINED		0x02	/* ... and it has been */
#define CONN_STREAM		0x04	/* an event stream: never read again */

static int	conn_handle(struct connection *);
static void	conn_gone(struct connection *);
static int	conn_header_recv(struct netbuf *);
static int	conn_body_recv(struct netbuf *);
static int	conn_drained(struct netbuf *);
static int	conn_read_next(struct connection *);
static void	conn_stop_reading(struct connection *);
static void	conn_drop_left(struct conn *);
static void	conn_refuse(struct connection *, struct netbuf *,
		    const char *);
static void	conn_nul_scan(struct conn *, struct netbuf *);
static void	conn_problem(struct connection *, const struct problem *,
		    const char *, int);

/* Kore's body reader (static in http.c), seen when Kore installs it. */
static int	(*kore_body_recv)(struct netbuf *);

/*
 * The listener's connect callback: what kore_connection_accept() does for
 * an HTTP connection, with this file's callbacks.
 */
void
conn_accept(struct connection *c)
{
	/* Kore counts c once this returns. */
	conn_balance(worker_active_connections + 1);

	c->hdlr_extra = kore_calloc(1, sizeof(struct conn));
	c->disconnect = conn_gone;
	c->handle = conn_handle;

	c->proto = CONN_PROTO_HTTP;
	if (http_keepalive_time != 0)
		c->idle_timer.length = http_keepalive_time * 1000;
	net_recv_queue(c, http_header_max, NETBUF_CALL_CB_ALWAYS,
	    conn_header_recv);
}

/* Map the workers' words (the parent, before the fork). */
void
conn_balance_init(void)
{
	void	*p;

	p = mmap(NULL, (KORE_WORKER_MAX + 1) * sizeof(struct conn_load),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fatalx("conn: cannot map the workers' loads");
	conn_loads = p;
}

/* A worker starts: it says what it holds every CONN_BALANCE_TICK_MS. */
void
conn_balance_start(void)
{
	conn_max = worker_max_connections;
	if (conn_loads == NULL || worker_count < 2)
		return;
	conn_balance(worker_active_connections);
	(void)kore_timer_add(conn_balance_tick, CONN_BALANCE_TICK_MS, NULL, 0);
}

static void
conn_balance_tick(void *arg, u_int64_t now)
{
	(void)arg;
	(void)now;
	conn_balance(worker_active_connections);
}

/*
 * Say that this worker holds n connections, and set how many it may hold:
 * CONN_BALANCE_SLACK past the least loaded other worker heard from lately,
 * or all of them when no other is.
 */
static void
conn_balance(u_int32_t n)
{
	u_int64_t	now, heard;
	u_int32_t	least, other;
	size_t		i;

	if (conn_loads == NULL || worker == NULL || worker->id > KORE_WORKER_MAX)
		return;
	now = kore_time_ms();
	__atomic_store_n(&conn_loads[worker->id].n, n, __ATOMIC_RELAXED);
	__atomic_store_n(&conn_loads[worker->id].heard, now, __ATOMIC_RELAXED);

	least = UINT32_MAX;
	for (i = 0; i <= worker_count && i <= KORE_WORKER_MAX; i++) {
		if (i == worker->id)
			continue;
		heard = __atomic_load_n(&conn_loads[i].heard, __ATOMIC_RELAXED);
		if (heard == 0 || heard > now || now - heard > CONN_BALANCE_STALE_MS)
			continue;
		other = __atomic_load_n(&conn_loads[i].n, __ATOMIC_RELAXED);
		if (other < least)
			least = other;
	}
	if (least == UINT32_MAX || least + CONN_BALANCE_SLACK >= conn_max)
		worker_max_connections = conn_max;
	else
		worker_max_connections = least + CONN_BALANCE_SLACK;
}

/* Bytes queued on c and not sent yet. */
size_t
conn_queued(struct connection *c)
{
	struct netbuf	*nb;
	size_t		 n;

	n = 0;
	TAILQ_FOREACH(nb, &c->send_queue, list) {
		if (nb->b_len > nb->s_off)
			n += nb->b_len - nb->s_off;
	}
	return (n);
}

/* Every event on c: Kore's handling, then reading on once c drained. */
static int
conn_handle(struct connection *c)
{
	struct conn	*st = c->hdlr_extra;

	if (!kore_connection_handle(c))
		return (KORE_RESULT_ERROR);

	/* Kore restarts the idle timer after every event. */
	if (st->flags & CONN_STREAM) {
		kore_connection_stop_idletimer(c);
		return (KORE_RESULT_OK);
	}

	if (c->state == CONN_STATE_ESTABLISHED && (st->flags & CONN_DRAINED)) {
		st->flags &= ~(CONN_PAUSED | CONN_DRAINED);
		c->flags &= ~CONN_IS_BUSY;
		return (conn_read_next(c));
	}
	return (KORE_RESULT_OK);
}

/* Kore is closing c (its disconnect callback); Kore frees the struct. */
static void
conn_gone(struct connection *c)
{
	struct conn	*st = c->hdlr_extra;

	if (st == NULL)
		return;
	conn_drop_left(st);
	if (st->gone != NULL)
		st->gone(st->gone_arg);
	st->gone = NULL;
}

/*
 * c carries an event stream from now on (stream.c), its answer's head
 * queued: nothing more is read from it (a request sent on it is never
 * answered), neither Kore's header timeout nor its idle timer closes it,
 * and it ends when the client goes away or the stream ends it.  Then
 * gone(arg) is called, once.  Returns 0, or -1 for a connection this file
 * did not set up (nothing is changed).  An HTTP/1.0 or "Connection: close" answer
 * is not closed once its head is sent: the stream's end is the body's.
 */
int
conn_stream_begin(struct connection *c, void (*gone)(void *), void *arg)
{
	struct conn	*st = c->hdlr_extra;

	/* Not set up by conn_accept(): its end would not be seen. */
	if (st == NULL)
		return (-1);
	c->flags |= CONN_IS_BUSY;
	c->flags &= ~CONN_CLOSE_EMPTY;
	c->http_timeout = 0;
	kore_connection_stop_idletimer(c);
	conn_drop_left(st);
	conn_stop_reading(c);
	st->flags |= CONN_STREAM;
	st->gone = gone;
	st->gone_arg = arg;
	return (0);
}

static void
conn_drop_left(struct conn *st)
{
	kore_free(st->left);
	st->left = NULL;
	st->left_len = 0;
}

/*
 * Read nothing more from c for now: the receive buffer goes, as it does
 * when Kore takes a complete request's buffer (net_recv_flush stops).
 */
static void
conn_stop_reading(struct connection *c)
{
	kore_free(c->rnb->buf);
	c->rnb->buf = NULL;
	c->rnb->m_len = 0;
	c->rnb->s_off = 0;
}

/*
 * Read c's next request: what was received past the last one, then the
 * socket.  Only where Kore itself may read (an event, or a handler), never
 * from a send callback.
 */
static int
conn_read_next(struct connection *c)
{
	struct conn	*st = c->hdlr_extra;

	c->http_start = kore_time_ms();
	c->http_timeout = 0;
	st->nul = 0;
	kore_connection_start_idletimer(c);
	net_recv_reset(c, http_header_max, conn_header_recv);

	if (st->left_len > 0) {
		memcpy(c->rnb->buf, st->left, st->left_len);
		c->rnb->s_off = st->left_len;
		conn_drop_left(st);
		if (conn_header_recv(c->rnb) != KORE_RESULT_OK)
			return (KORE_RESULT_ERROR);
	}
	return (net_recv_flush(c));
}

/*
 * Kore's receive callback for a request's head (NETBUF_CALL_CB_ALWAYS:
 * after every read), in front of http_header_recv().
 */
static int
conn_header_recv(struct netbuf *nb)
{
	struct connection	*c = nb->owner;
	struct conn		*st = c->hdlr_extra;
	struct framing		 f;
	const char		*why;
	size_t			 n, used;
	int			 r;

	if (c->flags & CONN_CLOSE_EMPTY) {
		/* Answered with an error and closing: read no more. */
		conn_stop_reading(c);
		return (KORE_RESULT_OK);
	}

	/* RFC 9112, 2.2: empty lines before a request line are ignored. */
	for (n = 0; n < nb->s_off &&
	    (nb->buf[n] == '\r' || nb->buf[n] == '\n'); n++)
		;
	if (n > 0) {
		memmove(nb->buf, nb->buf + n, nb->s_off - n);
		nb->s_off -= n;
	}
	if (nb->s_off == 0)
		return (KORE_RESULT_OK);

	/* The header timeout runs from the request's first byte. */
	if (c->http_timeout == 0) {
		c->http_start = kore_time_ms();
		c->http_timeout = http_header_timeout * 1000;
	}

	conn_nul_scan(st, nb);
	if (!framing_parse(nb->buf, nb->s_off, &f))
		return (KORE_RESULT_OK);

	if ((why = framing_refusal(&f)) != NULL) {
		conn_refuse(c, nb, why);
		return (KORE_RESULT_OK);
	}

	/* Kore must see this request only: keep the rest for later. */
	conn_drop_left(st);
	used = framing_request_len(&f, nb->s_off);
	if (used < nb->s_off) {
		st->left_len = nb->s_off - used;
		st->left = kore_malloc(st->left_len);
		memcpy(st->left, nb->buf + used, st->left_len);
		nb->s_off = used;
	}

	r = http_header_recv(nb);

	if (c->flags & CONN_CLOSE_EMPTY) {
		/* Kore answered with an error (400, 404, 411, 413, ...). */
		conn_drop_left(st);
		conn_stop_reading(c);
	} else if (c->rnb->cb != conn_header_recv) {
		/* Kore reads a body next: see it end. */
		kore_body_recv = c->rnb->cb;
		c->rnb->cb = conn_body_recv;
	} else if (c->rnb->buf == NULL) {
		/* Complete: nothing is read until it is answered. */
		c->http_timeout = 0;
	}
	return (r);
}

/* Kore's receive callback for a body, in front of Kore's own. */
static int
conn_body_recv(struct netbuf *nb)
{
	struct connection	*c = nb->owner;
	int			 r;

	r = kore_body_recv(nb);
	if (r == KORE_RESULT_OK && c->rnb->cb == http_header_recv) {
		/* The body is complete: nothing more until it is answered. */
		c->http_timeout = 0;
		c->rnb->cb = conn_header_recv;
		conn_stop_reading(c);
	}
	return (r);
}

/*
 * A problem the connection layer answers before Kore has made a request
 * of what it received: written here as Kore writes its own
 * errors, with the headers every response of the service carries, and
 * "connection: close" (c has CONN_CLOSE_EMPTY).  head: no body (HEAD).
 */
static void
conn_problem(struct connection *c, const struct problem *p,
    const char *instance, int head)
{
	struct kore_buf	 buf;
	char		*body, id[33];
	size_t		 len;
	int		 status;

	status = problem_status(p->kind);
	stamp_request_id(id);
	if ((body = problem_render(p, instance, id, &len)) == NULL)
		len = 0;

	kore_buf_init(&buf, 512);
	kore_buf_appendf(&buf, "HTTP/1.1 %d %s\r\n", status,
	    http_status_text(status));
	kore_buf_appendf(&buf, "server: %s\r\n", API_SERVER_NAME);
	kore_buf_appendf(&buf, "connection: close\r\n");
	kore_buf_appendf(&buf, "x-request-id: %s\r\n", id);
	kore_buf_appendf(&buf, "date: %s\r\n", stamp_date());
	kore_buf_appendf(&buf, "vary: Origin, Authorization\r\n");
	kore_buf_appendf(&buf, "x-content-type-options: nosniff\r\n");
	if (body != NULL)
		kore_buf_appendf(&buf, "content-type: %s\r\n", CT_PROBLEM);
	kore_buf_appendf(&buf, "cache-control: %s\r\n", CACHE_NONE);
	kore_buf_appendf(&buf, "content-length: %zu\r\n\r\n", len);
	if (body != NULL && !head)
		kore_buf_append(&buf, body, len);

	net_send_queue(c, buf.data, buf.offset);
	kore_buf_cleanup(&buf);
	free(body);
}

/*
 * A request Kore must not frame: answer 400 with a problem document and
 * close (RFC 9112, 6.3), with nothing more read from the connection.
 */
static void
conn_refuse(struct connection *c, struct netbuf *nb, const char *why)
{
	struct problem	 p;
	char		 target[CIVIC_PATH_MAX];
	const u_int8_t	*line, *end, *sp;
	size_t		 len;
	int		 head;

	/* The request line's target (without its query), for "instance". */
	line = nb->buf;
	end = memchr(line, '\n', nb->s_off);
	if (end == NULL)
		end = line + nb->s_off;
	head = (end - line) > 5 &&
	    !strncasecmp((const char *)line, "head ", 5);
	target[0] = '\0';
	if ((sp = memchr(line, ' ', (size_t)(end - line))) != NULL) {
		for (sp++, len = 0; sp + len < end && sp[len] != ' ' &&
		    sp[len] != '?' && sp[len] != '\r' &&
		    len < sizeof(target) - 1; len++)
			;
		memcpy(target, sp, len);
		target[len] = '\0';
	}

	conn_drop_left(c->hdlr_extra);
	conn_stop_reading(c);

	problem_set(&p, PROBLEM_INVALID_HEADER, "%s", why);
	c->flags |= CONN_CLOSE_EMPTY;
	conn_problem(c, &p, target[0] != '\0' ? target : "*", head);
	if (!net_send_flush(c))
		kore_connection_disconnect(c);
}

/* Before a response is queued on req's connection (api.c). */
void
conn_response_begin(struct http_request *req)
{
	if (req->owner != NULL)
		req->owner->flags |= CONN_IS_BUSY;
}

/*
 * After a response is queued on req's connection: read the next request
 * now, or once the output queued has been sent.
 */
void
conn_response_end(struct http_request *req)
{
	struct connection	*c = req->owner;
	struct conn		*st;

	if (c == NULL)
		return;
	if ((st = c->hdlr_extra) == NULL) {
		/* Not set up by conn_accept(): what Kore would do. */
		c->flags &= ~CONN_IS_BUSY;
		if (!(c->flags & CONN_CLOSE_EMPTY))
			http_start_recv(c);
		return;
	}

	if (c->state != CONN_STATE_ESTABLISHED ||
	    (c->flags & CONN_CLOSE_EMPTY)) {
		c->flags &= ~CONN_IS_BUSY;
		conn_drop_left(st);
		return;
	}

	if (conn_queued(c) > CONN_QUEUE_MAX) {
		st->flags |= CONN_PAUSED;
		net_send_stream(c, NULL, 0, conn_drained, NULL);
		return;
	}

	c->flags &= ~CONN_IS_BUSY;
	if (!conn_read_next(c))
		kore_connection_disconnect(c);
}

/*
 * The marker queued after a response that left more than CONN_QUEUE_MAX
 * bytes to send: everything before it is sent (or c is being removed).
 * This runs inside Kore's send path, where reading is not safe: ask for an
 * event on c (epoll reports a re-armed descriptor), and conn_handle() reads
 * on.
 */
static int
conn_drained(struct netbuf *nb)
{
	struct connection	*c = nb->owner;
	struct conn		*st = c->hdlr_extra;

	if (c->state != CONN_STATE_ESTABLISHED || !(st->flags & CONN_PAUSED))
		return (KORE_RESULT_OK);

	st->flags |= CONN_DRAINED;
	kore_platform_event_all(c->fd, c);
	return (KORE_RESULT_OK);
}

/*
 * A NUL byte in a header line of the head received so far becomes a
 * space, and the request is marked (its first offset kept): Kore would end
 * the head there.  The request line is left as it is (Kore answers 400 to
 * a line cut short).
 */
static void
conn_nul_scan(struct conn *st, struct netbuf *nb)
{
	const u_int8_t	*end;
	size_t		 head, i;

	if (memchr(nb->buf, '\0', nb->s_off) == NULL)
		return;
	if ((end = memmem(nb->buf, nb->s_off, "\r\n\r\n", 4)) == NULL &&
	    (end = memmem(nb->buf, nb->s_off, "\n\n", 2)) == NULL)
		head = nb->s_off;
	else
		head = (size_t)(end - nb->buf);

	for (i = 0; i < head && nb->buf[i] != '\r' && nb->buf[i] != '\n'; i++)
		;
	for (; i < head; i++) {
		if (nb->buf[i] != '\0')
			continue;
		nb->buf[i] = ' ';
		if (!st->nul) {
			st->nul = 1;
			st->nul_at = i;
		}
	}
}

/*
 * When the request's head held a NUL byte in a header line: the name of
 * the header that held it (or "a request header"); NULL when it held none.
 */
const char *
conn_nul_header(struct http_request *req)
{
	struct conn		*st;
	struct http_header	*hdr;
	const char		*name, *start, *at;

	if (req->owner == NULL || (st = req->owner->hdlr_extra) == NULL ||
	    !st->nul || req->headers == NULL)
		return (NULL);

	/* The header whose line starts last before the NUL (Host apart). */
	at = (const char *)req->headers + st->nul_at;
	name = "a request header";
	start = NULL;
	if (req->host != NULL && req->host <= at) {
		name = "Host";
		start = req->host;
	}
	TAILQ_FOREACH(hdr, &req->req_headers, list) {
		if (hdr->header <= at && (start == NULL ||
		    hdr->header > start)) {
			name = hdr->header;
			start = hdr->header;
		}
	}
	return (name);
}

/*
 * Connections, before Kore parses a request.
 *
 * Kore 4.1.0 splits a request's header block as a C string: a NUL byte in
 * it ends the block there, and every header after it is silently dropped
 * (an Authorization, a Content-Length, another Host: a proxy in front that
 * passes the NUL on sees other headers than we do).  The module binds its
 * listener with conn_accept (app.c), which sets the connection up for HTTP
 * as Kore would and reads it through conn_read: a NUL byte in a header
 * block becomes a space, so that Kore parses every header, and the request
 * is marked; api_begin() then answers 400.  A NUL in a header's name (where
 * a space is not allowed) or in the request line (left as it is, which
 * cuts the line short) gives Kore's own 400.
 */

#include <string.h>

#include "api.h"

/* What a connection's current request carried; in c->hdlr_extra. */
struct conn_state {
	int	nul;		/* a NUL byte was in its header block */
	size_t	nul_at;		/* the first one's offset in the block */
};

static int	conn_read(struct connection *, size_t *);

/*
 * A new connection of the listener: HTTP, as kore_connection_accept sets
 * it up (or kore_connection_handle, after a TLS handshake, which leaves
 * the state to the callback).
 */
void
conn_accept(struct connection *c)
{
	c->state = CONN_STATE_ESTABLISHED;
	c->proto = CONN_PROTO_HTTP;
	if (http_keepalive_time != 0)
		c->idle_timer.length = http_keepalive_time * 1000;
	c->read = conn_read;
	net_recv_queue(c, http_header_max, NETBUF_CALL_CB_ALWAYS,
	    http_header_recv);
}

/*
 * The end of the header block in the len bytes read so far, as Kore finds
 * it (the first CRLF CRLF, else the first LF LF), or len while there is
 * none yet.
 */
static size_t
conn_header_end(const u_int8_t *buf, size_t len)
{
	const u_int8_t	*end;

	if ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL &&
	    (end = memmem(buf, len, "\n\n", 2)) == NULL)
		return (len);
	return ((size_t)(end - buf));
}

/* Kore's read, and then: a NUL byte in the header block becomes a space. */
static int
conn_read(struct connection *c, size_t *bytes)
{
	struct netbuf		*nb = c->rnb;
	struct conn_state	*st;
	size_t			 off, end, i;

	off = nb->s_off;
	if (!(c->owner->server->tls ? net_read_tls(c, bytes) :
	    net_read(c, bytes)))
		return (KORE_RESULT_ERROR);
	if (!(c->evt.flags & KORE_EVENT_READ) || nb->cb != http_header_recv)
		return (KORE_RESULT_OK);

	st = c->hdlr_extra;
	if (off == 0 && st != NULL)		/* a new request begins */
		memset(st, 0, sizeof(*st));
	if (*bytes == 0 || memchr(nb->buf + off, '\0', *bytes) == NULL)
		return (KORE_RESULT_OK);

	/*
	 * Not in the request line: Kore answers 400 to a line cut short
	 * (it would take "GET /a b" for a request of HTTP version "b").
	 */
	end = conn_header_end(nb->buf, off + *bytes);
	for (i = 0; i < end && nb->buf[i] != '\r' && nb->buf[i] != '\n'; i++)
		;
	for (i = MAX(i, off); i < end; i++) {
		if (nb->buf[i] != '\0')
			continue;
		nb->buf[i] = ' ';
		if (st == NULL)		/* Kore frees it with the connection */
			st = c->hdlr_extra = kore_calloc(1, sizeof(*st));
		if (!st->nul) {
			st->nul = 1;
			st->nul_at = i;
		}
	}
	return (KORE_RESULT_OK);
}

/*
 * When the request's header block held a NUL byte: the name of the header
 * that held it (or "a request header"); NULL when it held none.
 */
const char *
conn_nul_header(struct http_request *req)
{
	struct conn_state	*st;
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

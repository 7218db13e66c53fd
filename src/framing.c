/*
 * How a request's head frames the request, read exactly as Kore 4.1.0
 * reads a head (http.c, http_header_recv), so that the connection layer
 * (conn.c) knows what Kore is about to do before it does it:
 *
 * - the head ends at the first CR LF CR LF of what was received, or else at
 *   the first LF LF; Kore reads it as a C string, so a NUL ends it too;
 * - lines are split at every CR and every LF, empty lines skipped; the
 *   first is the request line, its method the text before the first space;
 * - a field's name is what precedes its colon, its value what follows,
 *   without leading white space;
 * - POST, PUT and PATCH have a body, framed by the first Content-Length
 *   field, a decimal from 0 to LONG_MAX (kore_strtonum); Kore never reads
 *   Transfer-Encoding, and ignores Content-Length on other methods.
 */

#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "civic.h"

/* The value of a Content-Length field as kore_strtonum reads it; -1 if bad. */
static int
framing_length(const char *v, size_t len, uint64_t *out)
{
	uint64_t	n;
	size_t		i;
	int		neg;

	i = 0;
	neg = 0;
	if (i < len && (v[i] == '+' || v[i] == '-'))
		neg = v[i++] == '-';
	if (i == len)
		return (-1);

	for (n = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return (-1);
		if (n > ((uint64_t)LONG_MAX - (uint64_t)(v[i] - '0')) / 10)
			return (-1);
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	if (neg && n != 0)
		return (-1);

	*out = n;
	return (0);
}

/* Is the line [p, p + len) the field name (case-insensitive) and a colon? */
static const char *
framing_field(const char *p, size_t len, const char *name)
{
	size_t	n;

	n = strlen(name);
	if (len <= n || p[n] != ':' || strncasecmp(p, name, n) != 0)
		return (NULL);
	return (p + n + 1);
}

int
framing_parse(const void *data, size_t len, struct framing *f)
{
	const char	*buf, *end, *p, *line, *v, *ve;
	uint64_t	 n;
	size_t		 skip, mlen;
	int		 first;

	memset(f, 0, sizeof(*f));
	buf = data;

	skip = 4;
	if ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
		if ((end = memmem(buf, len, "\n\n", 2)) == NULL)
			return (0);
		skip = 2;
	}
	f->head_len = (size_t)(end - buf) + skip;

	/* What Kore reads of the head stops at a NUL. */
	if ((p = memchr(buf, '\0', (size_t)(end - buf))) != NULL)
		end = p;

	first = 1;
	for (p = buf; p < end; p = line + 1) {
		for (line = p; line < end && *line != '\r' && *line != '\n';
		    line++)
			;
		if (line == p)
			continue;

		if (first) {
			first = 0;
			for (mlen = 0; p + mlen < line && p[mlen] != ' '; mlen++)
				;
			f->body_method =
			    (mlen == 4 && !strncasecmp(p, "post", 4)) ||
			    (mlen == 3 && !strncasecmp(p, "put", 3)) ||
			    (mlen == 5 && !strncasecmp(p, "patch", 5));
			continue;
		}

		if (framing_field(p, (size_t)(line - p),
		    "transfer-encoding") != NULL) {
			f->transfer_coding = 1;
			continue;
		}
		if ((v = framing_field(p, (size_t)(line - p),
		    "content-length")) == NULL)
			continue;

		while (v < line && isspace((unsigned char)*v))
			v++;
		ve = line;
		f->lengths++;
		if (framing_length(v, (size_t)(ve - v), &n) == -1) {
			if (f->lengths > 1)
				f->length_conflict = 1;
			continue;
		}
		if (f->lengths == 1) {
			f->has_length = 1;
			f->length = n;
		} else if (!f->has_length || n != f->length) {
			f->length_conflict = 1;
		}
	}

	return (1);
}

/*
 * How many of the len bytes received belong to this request: its head, and
 * its body as far as it was received.  The rest is the start of the next
 * request (pipelined), or a CR LF sent after the body.
 */
size_t
framing_request_len(const struct framing *f, size_t len)
{
	size_t	body;

	if (f->head_len > len)
		return (len);
	body = len - f->head_len;
	if (!f->body_method || !f->has_length)
		return (f->head_len);
	if ((uint64_t)body > f->length)
		body = (size_t)f->length;
	return (f->head_len + body);
}

/*
 * Why Kore must not frame this request, as a problem's detail; NULL when it
 * may.  RFC 9112, 6.3: a request with both Transfer-Encoding and
 * Content-Length, or with Content-Length fields that differ, is an
 * unrecoverable error, to be answered 400 and the connection closed.  Kore
 * reads no transfer coding: a Transfer-Encoding alone is refused too on the
 * methods without a body (on POST, PUT and PATCH Kore answers it 411), and
 * so is a body on those methods, which Kore does not read: its bytes would
 * be read as the next request.
 */
const char *
framing_refusal(const struct framing *f)
{
	if (f->transfer_coding && f->lengths > 0)
		return ("The request has both Transfer-Encoding and "
		    "Content-Length (RFC 9112, 6.3).");
	if (f->length_conflict)
		return ("The request has Content-Length fields that differ "
		    "(RFC 9112, 6.3).");
	if (f->transfer_coding && !f->body_method)
		return ("Transfer-Encoding is not supported: send a body "
		    "with Content-Length, on POST, PUT or PATCH.");
	if (!f->body_method && f->has_length && f->length > 0)
		return ("This server reads no body on this method: send "
		    "Content-Length only on POST, PUT or PATCH.");
	return (NULL);
}

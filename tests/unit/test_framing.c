/*
 * framing.c: a request's head read as Kore 4.1.0 reads it, what of the
 * bytes received is this request, and which framings are refused.
 */

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "civic.h"

#define POST_HEAD	"POST /v1/keys HTTP/1.1\r\nHost: x\r\n"

static const struct {
	const char	*data;
	int		 complete;
	size_t		 head_len;	/* when complete */
	int		 body_method;
	int		 has_length;
	uint64_t	 length;
	int		 conflict;
	int		 te;
	size_t		 request_len;	/* of strlen(data) bytes */
	int		 refused;
} rows[] = {
	/* incomplete heads */
	{ "", 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: x\r\n", 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: x\r\n\r", 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	/* plain requests; pipelined bytes after the head are not this one */
	{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1, 27, 0, 0, 0, 0, 0, 27, 0 },
	{ "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\n", 1, 27, 0, 0, 0, 0, 0, 27, 0 },
	{ "GET / HTTP/1.1\nHost: x\n\n", 1, 24, 0, 0, 0, 0, 0, 24, 0 },
	{ "get / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 1, 46, 0, 1, 0, 0, 0, 46, 0 },
	/* bodies: what is past Content-Length is the next request's */
	{ POST_HEAD "Content-Length: 2\r\n\r\n{}", 1, 54, 1, 1, 2, 0, 0, 56, 0 },
	{ POST_HEAD "Content-Length: 2\r\n\r\n{}\r\n", 1, 54, 1, 1, 2, 0, 0, 56, 0 },
	{ POST_HEAD "Content-Length: 2\r\n\r\n{", 1, 54, 1, 1, 2, 0, 0, 55, 0 },
	{ POST_HEAD "content-length:2\r\n\r\n{}", 1, 53, 1, 1, 2, 0, 0, 55, 0 },
	{ POST_HEAD "CONTENT-LENGTH: \t +2\r\n\r\n{}", 1, 57, 1, 1, 2, 0, 0, 59, 0 },
	{ POST_HEAD "Content-Length: -0\r\n\r\n", 1, 55, 1, 1, 0, 0, 0, 55, 0 },
	{ "PUT /a HTTP/1.1\r\nContent-Length: 1\r\n\r\nxy", 1, 38, 1, 1, 1, 0, 0, 39, 0 },
	{ "pAtCh /a HTTP/1.1\r\nContent-Length: 1\r\n\r\nx", 1, 40, 1, 1, 1, 0, 0, 41, 0 },
	/* lengths Kore does not take: it answers 411 itself */
	{ POST_HEAD "\r\n{}", 1, 35, 1, 0, 0, 0, 0, 35, 0 },
	{ POST_HEAD "Content-Length: 2 \r\n\r\n{}", 1, 55, 1, 0, 0, 0, 0, 55, 0 },
	{ POST_HEAD "Content-Length: -1\r\n\r\n", 1, 55, 1, 0, 0, 0, 0, 55, 0 },
	{ POST_HEAD "Content-Length: 2, 2\r\n\r\n{}", 1, 57, 1, 0, 0, 0, 0, 57, 0 },
	{ POST_HEAD "Content-Length: 9223372036854775808\r\n\r\n", 1, 72, 1, 0, 0, 0, 0, 72, 0 },
	{ POST_HEAD "Content-Length : 2\r\n\r\n{}", 1, 55, 1, 0, 0, 0, 0, 55, 0 },
	{ POST_HEAD "X-Content-Length: 2\r\n\r\n{}", 1, 56, 1, 0, 0, 0, 0, 56, 0 },
	/* the same length twice is not ambiguous */
	{ POST_HEAD "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 1, 73, 1, 1, 2, 0, 0, 75, 0 },
	/* refused: RFC 9112, 6.3 */
	{ POST_HEAD "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 1, 73, 1, 1, 2, 1, 0, 75, 1 },
	{ POST_HEAD "Content-Length: x\r\nContent-Length: 3\r\n\r\n", 1, 73, 1, 0, 0, 1, 0, 73, 1 },
	{ POST_HEAD "Content-Length: 3\r\nContent-Length: x\r\n\r\n", 1, 73, 1, 1, 3, 1, 0, 73, 1 },
	{ POST_HEAD "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 1, 82, 1, 1, 5, 0, 1, 82, 1 },
	{ POST_HEAD "transfer-encoding: chunked\r\ncontent-length: 0\r\n\r\n", 1, 82, 1, 1, 0, 0, 1, 82, 1 },
	{ POST_HEAD "Transfer-Encoding: chunked\r\nContent-Length: x\r\n\r\n", 1, 82, 1, 0, 0, 0, 1, 82, 1 },
	{ "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 1, 46, 0, 0, 0, 0, 1, 46, 1 },
	{ "GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 1, 37, 0, 1, 3, 0, 0, 37, 1 },
	{ "DELETE /k HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 1, 41, 0, 1, 2, 0, 0, 41, 1 },
	/* chunked alone on a body method: Kore answers 411 */
	{ POST_HEAD "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 1, 63, 1, 0, 0, 0, 1, 63, 0 },
	/* a bare CR splits a line, as Kore's strsep does */
	{ POST_HEAD "X: a\rContent-Length: 1\r\n\r\nxy", 1, 59, 1, 1, 1, 0, 0, 60, 0 },
};

Test(framing, table)
{
	struct framing	f;
	size_t		i, len;
	int		r;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		len = strlen(rows[i].data);
		r = framing_parse(rows[i].data, len, &f);
		cr_assert_eq(r, rows[i].complete, "row %zu: complete", i);
		if (!r)
			continue;
		cr_assert_eq(f.head_len, rows[i].head_len,
		    "row %zu: head_len %zu", i, f.head_len);
		cr_assert_eq(f.body_method, rows[i].body_method,
		    "row %zu: body_method", i);
		cr_assert_eq(f.has_length, rows[i].has_length,
		    "row %zu: has_length", i);
		if (f.has_length)
			cr_assert_eq(f.length, rows[i].length,
			    "row %zu: length", i);
		cr_assert_eq(f.length_conflict, rows[i].conflict,
		    "row %zu: conflict", i);
		cr_assert_eq(f.transfer_coding, rows[i].te, "row %zu: te", i);
		cr_assert_eq(framing_request_len(&f, len),
		    rows[i].request_len, "row %zu: request_len %zu", i,
		    framing_request_len(&f, len));
		cr_assert_eq(framing_refusal(&f) != NULL, rows[i].refused,
		    "row %zu: refused", i);
	}
}

Test(framing, head_ends_at_the_first_crlfcrlf_before_any_lflf)
{
	static const char	data[] =
	    "GET / HTTP/1.1\nX: a\n\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
	struct framing		f;

	/* Kore looks for CR LF CR LF first, anywhere in what it has. */
	cr_assert_eq(framing_parse(data, sizeof(data) - 1, &f), 1);
	cr_assert_eq(f.head_len, sizeof(data) - 1);
}

Test(framing, nul_ends_what_kore_reads_of_the_head)
{
	static const char	data[] = POST_HEAD
	    "X: a\0\r\nContent-Length: 2\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n{}";
	struct framing		f;

	cr_assert_eq(framing_parse(data, sizeof(data) - 1, &f), 1);
	cr_assert_eq(f.lengths, 0);
	cr_assert_eq(f.transfer_coding, 0);
	cr_assert_eq(f.has_length, 0);
}

Test(framing, largest_length_kore_takes)
{
	char		data[128];
	struct framing	f;
	int		n;

	n = snprintf(data, sizeof(data), POST_HEAD "Content-Length: %ld\r\n\r\n",
	    LONG_MAX);
	cr_assert_eq(framing_parse(data, (size_t)n, &f), 1);
	cr_assert_eq(f.has_length, 1);
	cr_assert_eq(f.length, (uint64_t)LONG_MAX);
	cr_assert_eq(framing_request_len(&f, (size_t)n), (size_t)n);
}

Test(framing, leading_zeros_are_a_length)
{
	static const char	data[] = POST_HEAD
	    "Content-Length: 000000000000000000000000000000000000000002\r\n\r\n"
	    "{}\r\n";
	struct framing		f;

	cr_assert_eq(framing_parse(data, sizeof(data) - 1, &f), 1);
	cr_assert_eq(f.has_length, 1);
	cr_assert_eq(f.length, 2);
	cr_assert_eq(framing_request_len(&f, sizeof(data) - 1),
	    sizeof(data) - 3);
}

Test(framing, body_received_in_part_is_all_this_request)
{
	static const char	data[] = POST_HEAD "Content-Length: 100\r\n\r\n{";
	struct framing		f;

	cr_assert_eq(framing_parse(data, sizeof(data) - 1, &f), 1);
	cr_assert_eq(framing_request_len(&f, sizeof(data) - 1),
	    sizeof(data) - 1);
}

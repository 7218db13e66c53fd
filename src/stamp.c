/*
 * What stamps every answer of a worker, whoever writes it (api.c for a
 * request's answers, conn.c for a connection's own): the request id this
 * worker makes when the client sent no sane one, and the Date.
 */

#include <sys/random.h>

#include <time.h>
#include <unistd.h>

#include "api.h"

static uint64_t		reqid_state;
static time_t		date_last;
static char		date_text[40];

/* Seed this worker's request id generator from the kernel. */
void
stamp_init_worker(void)
{
	if (getrandom(&reqid_state, sizeof(reqid_state), 0) !=
	    sizeof(reqid_state))
		reqid_state = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
}

/* A new request id, into id. */
void
stamp_request_id(char id[33])
{
	reqid_generate(&reqid_state, id);
}

/* The Date header's value now (a static buffer, made once a second). */
const char *
stamp_date(void)
{
	time_t		now;
	struct tm	tm;

	now = time(NULL);
	if (now != date_last && gmtime_r(&now, &tm) != NULL) {
		(void)strftime(date_text, sizeof(date_text),
		    "%a, %d %b %Y %H:%M:%S GMT", &tm);
		date_last = now;
	}
	return (date_text);
}

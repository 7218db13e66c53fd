/*
 * Observing the service: the metrics every worker counts (metrics.c) and
 * the request log (reqlog.c).  Prototypes are grouped under the file that
 * defines them.
 */

#ifndef CIVIC_OBS_H
#define CIVIC_OBS_H

#include "api.h"

/*
 * metrics.c: counters, gauges and histograms in shared memory, mapped by
 * the parent before the fork: one slot per worker (only that worker
 * writes it), summed when /metrics is scraped.
 */
enum metrics_submission {
	METRICS_SUBMISSION_STORED,
	METRICS_SUBMISSION_DUPLICATE,
	METRICS_SUBMISSION_REJECTED,
	METRICS_SUBMISSION_MAX
};

enum metrics_tally {
	METRICS_TALLY_HIT,
	METRICS_TALLY_REFRESH,
	METRICS_TALLY_MISS,
	METRICS_TALLY_MAX
};

void		 metrics_init(void);
void		 metrics_worker_start(void);
void		 metrics_request(enum route_kind, int, int, uint64_t);
void		 metrics_db_query(uint64_t);
void		 metrics_db_gauges(uint32_t, uint32_t);
void		 metrics_submission(enum metrics_submission);
void		 metrics_tally(enum metrics_tally);
void		 metrics_content_reload(void);
void		 metrics_ratelimit_rejected(void);
void		 metrics_streams(uint32_t);
void		 metrics_stream_dropped(void);
void		 metrics_render(struct kore_buf *);
uint64_t	 metrics_now_ns(void);

/*
 * reqlog.c: one JSON line per answered request, buffered per worker, and
 * what each request carries until it is answered (its route, when it
 * began, its key).
 */
struct reqlog_req {
	enum route_kind	 kind;
	int		 has_key;
	uint64_t	 start_ns;
	unsigned char	 key_hash[APIKEY_HASH_LEN];
};

void		 reqlog_open(void);
void		 reqlog_worker_start(void);
void		 reqlog_worker_stop(void);
void		 reqlog_begin(enum route_kind);
struct reqlog_req	*reqlog_current(void);
void		 reqlog_resume(const struct reqlog_req *);
void		 reqlog_key(const unsigned char [APIKEY_HASH_LEN]);
int		 reqlog_key_unknown(const struct reqlog_req *);
void		 reqlog_key_learn(const unsigned char [APIKEY_HASH_LEN],
		    const char *);
void		 reqlog_done(struct http_request *, const char *, int, size_t);

#endif /* !CIVIC_OBS_H */

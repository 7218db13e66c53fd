/*
 * Metrics, in the Prometheus text format 0.0.4 (GET /metrics, ops.c).
 *
 * Workers are processes: what one counts, the others do not see.  So the
 * parent maps one region of shared memory (MAP_SHARED | MAP_ANONYMOUS)
 * before it forks them, with one slot per worker, each written by its
 * worker alone (no lock, no contended cache line: slots are aligned), and
 * a scrape, whichever worker answers it, sums every slot.  A restarted
 * worker takes its slot over, so counters never go back.
 *
 * Counters and histograms are written with relaxed atomic stores by their
 * one writer and read with relaxed atomic loads: a scrape sees each value
 * whole, not a torn one.  The gauges are each worker's own values now
 * (its database queue and the connections its requests hold), summed.
 *
 * Labels are fixed sets: a route is its template (route.c), never a path;
 * a path no route names is "unmatched"; a status is one of mx_statuses or
 * "other"; a method one of mx_methods or "other".
 */

#include <sys/mman.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "obs.h"

/* The API's version, as docs/openapi.json's info.version says. */
#define CIVIC_VERSION		"0.3.0"

#define MX_UNMATCHED		"unmatched"

static const int	mx_statuses[] = {
	200, 201, 204, 206, 301, 302, 304, 400, 401, 403, 404, 405, 406, 408,
	409, 411, 412, 413, 414, 415, 422, 428, 429, 500, 502, 503, 504,
};
#define MX_STATUSES	(sizeof(mx_statuses) / sizeof(mx_statuses[0]) + 1)

static const struct {
	int		 method;
	const char	*name;
} mx_methods[] = {
	{ HTTP_METHOD_GET,	"GET" },
	{ HTTP_METHOD_HEAD,	"HEAD" },
	{ HTTP_METHOD_POST,	"POST" },
	{ HTTP_METHOD_PUT,	"PUT" },
	{ HTTP_METHOD_PATCH,	"PATCH" },
	{ HTTP_METHOD_DELETE,	"DELETE" },
	{ HTTP_METHOD_OPTIONS,	"OPTIONS" },
};
#define MX_METHODS	(sizeof(mx_methods) / sizeof(mx_methods[0]) + 1)

/*
 * Upper bounds of the latency buckets, in seconds (and nanoseconds): from
 * the reads served from memory (tens of microseconds) to the database's
 * statement timeout (5 s).
 */
static const char *const mx_bucket_names[] = {
	"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
	"0.25", "0.5", "1", "2.5", "5", "10",
};
static const uint64_t	mx_bucket_ns[] = {
	100000ULL, 250000ULL, 500000ULL, 1000000ULL, 2500000ULL, 5000000ULL, 10000000ULL,
	25000000ULL, 50000000ULL, 100000000ULL, 250000000ULL, 500000000ULL,
	1000000000ULL, 2500000000ULL, 5000000000ULL, 10000000000ULL,
};
#define MX_BUCKETS	(sizeof(mx_bucket_ns) / sizeof(mx_bucket_ns[0]))

struct mx_hist {
	uint64_t	bucket[MX_BUCKETS];	/* not cumulative */
	uint64_t	count;
	uint64_t	sum_ns;
};

struct mx_slot {
	uint64_t	requests[ROUTE_KIND_MAX][MX_METHODS][MX_STATUSES];
	struct mx_hist	duration[ROUTE_KIND_MAX];
	struct mx_hist	db_query;
	uint64_t	db_waiting;
	uint64_t	db_in_use;
	uint64_t	submissions[METRICS_SUBMISSION_MAX];
	uint64_t	tally[METRICS_TALLY_MAX];
	uint64_t	content_reloads;
	uint64_t	worker_starts;
	uint64_t	ratelimit_rejected;
	uint64_t	streams_open;
	uint64_t	streams_dropped;
} __attribute__((aligned(128)));

static struct mx_slot	*mx_slots;	/* the shared region */
static size_t		 mx_nslots;
static struct mx_slot	*mx_mine;	/* this worker's */
static struct mx_slot	 mx_none;	/* before metrics_init: the parent */

static const char *const mx_submission_names[METRICS_SUBMISSION_MAX] = {
	"stored", "duplicate", "rejected",
};
static const char *const mx_tally_names[METRICS_TALLY_MAX] = {
	"hit", "refresh", "miss",
};

#define MX_GET(p)	__atomic_load_n((p), __ATOMIC_RELAXED)
#define MX_SET(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define MX_ADD(p, v)	MX_SET((p), MX_GET(p) + (v))

/*
 * Map the slots (the parent, before the fork): one per worker id, which
 * Kore numbers from 1; slot 0 takes any other.
 */
void
metrics_init(void)
{
	void	*p;

	mx_nslots = (size_t)worker_count + 1;
	p = mmap(NULL, mx_nslots * sizeof(struct mx_slot),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fatalx("metrics: cannot map %zu slots", mx_nslots);
	mx_slots = p;
}

/* A worker starts: it takes its slot, and counts its start. */
void
metrics_worker_start(void)
{
	size_t	id;

	mx_mine = &mx_none;
	if (mx_slots == NULL)
		return;
	id = worker != NULL ? worker->id : 0;
	mx_mine = &mx_slots[id < mx_nslots ? id : 0];
	MX_ADD(&mx_mine->worker_starts, 1);
	MX_SET(&mx_mine->db_waiting, 0);
	MX_SET(&mx_mine->db_in_use, 0);
}

/* A monotonic clock, in nanoseconds. */
uint64_t
metrics_now_ns(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

static struct mx_slot *
mx_slot(void)
{
	return (mx_mine != NULL ? mx_mine : &mx_none);
}

static void
mx_observe(struct mx_hist *h, uint64_t ns)
{
	size_t	i;

	for (i = 0; i < MX_BUCKETS; i++) {
		if (ns <= mx_bucket_ns[i]) {
			MX_ADD(&h->bucket[i], 1);
			break;
		}
	}
	MX_ADD(&h->count, 1);
	MX_ADD(&h->sum_ns, ns);
}

static size_t
mx_status_index(int status)
{
	size_t	i;

	for (i = 0; i < MX_STATUSES - 1; i++) {
		if (mx_statuses[i] == status)
			return (i);
	}
	return (MX_STATUSES - 1);
}

static size_t
mx_method_index(int method)
{
	size_t	i;

	for (i = 0; i < MX_METHODS - 1; i++) {
		if (mx_methods[i].method == method)
			return (i);
	}
	return (MX_METHODS - 1);
}

/* A request of route kind was answered with status after ns. */
void
metrics_request(enum route_kind kind, int method, int status, uint64_t ns)
{
	struct mx_slot	*s = mx_slot();

	if ((int)kind < 0 || kind >= ROUTE_KIND_MAX)
		kind = ROUTE_NONE;
	MX_ADD(&s->requests[kind][mx_method_index(method)]
	    [mx_status_index(status)], 1);
	mx_observe(&s->duration[kind], ns);

	/*
	 * A submission's answer says what became of it: 201 stored, 200 the
	 * same external_id again (the stored one), 4xx refused.  A batch's
	 * items are counted one by one (responses.c); a batch refused whole
	 * counts once.
	 */
	if (method != HTTP_METHOD_POST || status >= 500)
		return;
	if (kind == ROUTE_RESPONSES) {
		if (status == HTTP_STATUS_CREATED)
			metrics_submission(METRICS_SUBMISSION_STORED);
		else if (status == HTTP_STATUS_OK)
			metrics_submission(METRICS_SUBMISSION_DUPLICATE);
		else if (status >= 400)
			metrics_submission(METRICS_SUBMISSION_REJECTED);
	} else if (kind == ROUTE_RESPONSES_BATCH && status >= 400) {
		metrics_submission(METRICS_SUBMISSION_REJECTED);
	}
}

/* A query of the database took ns, from its admission to its result. */
void
metrics_db_query(uint64_t ns)
{
	mx_observe(&mx_slot()->db_query, ns);
}

/* This worker's requests waiting for the database, and holding a slot. */
void
metrics_db_gauges(uint32_t waiting, uint32_t in_use)
{
	struct mx_slot	*s = mx_slot();

	MX_SET(&s->db_waiting, waiting);
	MX_SET(&s->db_in_use, in_use);
}

void
metrics_submission(enum metrics_submission result)
{
	if ((int)result >= 0 && result < METRICS_SUBMISSION_MAX)
		MX_ADD(&mx_slot()->submissions[result], 1);
}

void
metrics_tally(enum metrics_tally result)
{
	if ((int)result >= 0 && result < METRICS_TALLY_MAX)
		MX_ADD(&mx_slot()->tally[result], 1);
}

void
metrics_content_reload(void)
{
	MX_ADD(&mx_slot()->content_reloads, 1);
}

/* The event streams this worker holds now. */
void
metrics_streams(uint32_t open)
{
	MX_SET(&mx_slot()->streams_open, open);
}

/* An event stream dropped: its reader fell behind. */
void
metrics_stream_dropped(void)
{
	MX_ADD(&mx_slot()->streams_dropped, 1);
}

/* A request the rate limiter refused (429). */
void
metrics_ratelimit_rejected(void)
{
	MX_ADD(&mx_slot()->ratelimit_rejected, 1);
}

/* The sum of one u64 at offset off in every slot. */
static uint64_t
mx_sum(size_t off)
{
	uint64_t	 total;
	size_t		 i;

	total = 0;
	for (i = 0; i < mx_nslots; i++)
		total += MX_GET((uint64_t *)((char *)&mx_slots[i] + off));
	return (total);
}

#define MX_SUM(member)	mx_sum(offsetof(struct mx_slot, member))

/* A metric of one value, summed over the workers. */
struct mx_scalar {
	const char	*name;
	const char	*type;
	const char	*help;
	size_t		 off;
};

#define MX_SCALAR(n, t, h, m)	{ n, t, h, offsetof(struct mx_slot, m) }

static const struct mx_scalar mx_db_gauges[] = {
	MX_SCALAR("civic_db_queue_waiting", "gauge",
	    "Requests waiting for a database connection, all workers.",
	    db_waiting),
	MX_SCALAR("civic_db_pool_in_use", "gauge",
	    "Pooled database connections requests hold now, all workers.",
	    db_in_use),
	MX_SCALAR("civic_streams_open", "gauge",
	    "Event streams of tallies open now, all workers.", streams_open),
	{ NULL, NULL, NULL, 0 }
};

static const struct mx_scalar mx_counters[] = {
	MX_SCALAR("civic_content_reloads_total", "counter",
	    "Snapshots of the published data loaded by the workers.",
	    content_reloads),
	MX_SCALAR("civic_worker_starts_total", "counter",
	    "Worker processes started (restarts included).", worker_starts),
	MX_SCALAR("civic_ratelimit_rejected_total", "counter",
	    "Requests refused by a rate limit (429).", ratelimit_rejected),
	MX_SCALAR("civic_streams_dropped_total", "counter",
	    "Event streams dropped because their reader fell behind.",
	    streams_dropped),
	{ NULL, NULL, NULL, 0 }
};

static void
mx_family(struct kore_buf *b, const char *name, const char *type,
    const char *help)
{
	kore_buf_appendf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* Each metric of the table (to its NULL name), with its one value. */
static void
mx_scalars(struct kore_buf *b, const struct mx_scalar *t)
{
	for (; t->name != NULL; t++) {
		mx_family(b, t->name, t->type, t->help);
		kore_buf_appendf(b, "%s %llu\n", t->name,
		    (unsigned long long)mx_sum(t->off));
	}
}

static const char *
mx_route_name(size_t kind)
{
	const char	*t;

	if (kind == ROUTE_NONE || (t = route_template(kind)) == NULL)
		return (MX_UNMATCHED);
	return (t);
}

/* A histogram whose slot member is at off, with its labels (or ""). */
static void
mx_hist_render(struct kore_buf *b, const char *name, size_t off,
    const char *labels)
{
	uint64_t	cum, count, sum_ns;
	size_t		i;
	const char	*sep;

	sep = labels[0] != '\0' ? "," : "";
	cum = 0;
	for (i = 0; i < MX_BUCKETS; i++) {
		cum += mx_sum(off + offsetof(struct mx_hist, bucket) +
		    i * sizeof(uint64_t));
		kore_buf_appendf(b, "%s_bucket{%s%sle=\"%s\"} %llu\n", name,
		    labels, sep, mx_bucket_names[i], (unsigned long long)cum);
	}
	count = mx_sum(off + offsetof(struct mx_hist, count));
	sum_ns = mx_sum(off + offsetof(struct mx_hist, sum_ns));
	/* A scrape between a bucket's and the count's store: never less. */
	if (count < cum)
		count = cum;
	kore_buf_appendf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels,
	    sep, (unsigned long long)count);
	kore_buf_appendf(b, "%s_sum%s%s%s %.9f\n", name,
	    labels[0] != '\0' ? "{" : "", labels,
	    labels[0] != '\0' ? "}" : "", (double)sum_ns / 1e9);
	kore_buf_appendf(b, "%s_count%s%s%s %llu\n", name,
	    labels[0] != '\0' ? "{" : "", labels,
	    labels[0] != '\0' ? "}" : "", (unsigned long long)count);
}

/* Every metric, summed over the workers' slots, into b. */
void
metrics_render(struct kore_buf *b)
{
	uint64_t	 v;
	size_t		 k, m, s, off;
	char		 labels[CIVIC_PATH_MAX], status[8];

	if (mx_slots == NULL)
		return;

	mx_family(b, "civic_http_requests_total", "counter",
	    "HTTP requests answered, by route template, method and status.");
	for (k = 0; k < ROUTE_KIND_MAX; k++) {
		for (m = 0; m < MX_METHODS; m++) {
			for (s = 0; s < MX_STATUSES; s++) {
				v = MX_SUM(requests[k][m][s]);
				if (v == 0)
					continue;
				if (s == MX_STATUSES - 1)
					(void)snprintf(status, sizeof(status),
					    "other");
				else
					(void)snprintf(status, sizeof(status),
					    "%d", mx_statuses[s]);
				kore_buf_appendf(b, "civic_http_requests_total"
				    "{route=\"%s\",method=\"%s\",status=\"%s\"}"
				    " %llu\n", mx_route_name(k),
				    m == MX_METHODS - 1 ? "other" :
				    mx_methods[m].name, status,
				    (unsigned long long)v);
			}
		}
	}

	mx_family(b, "civic_http_request_duration_seconds", "histogram",
	    "Time from a request's routing to its answer, by route template.");
	for (k = 0; k < ROUTE_KIND_MAX; k++) {
		off = offsetof(struct mx_slot, duration) +
		    k * sizeof(struct mx_hist);
		if (mx_sum(off + offsetof(struct mx_hist, count)) == 0)
			continue;
		(void)snprintf(labels, sizeof(labels), "route=\"%s\"",
		    mx_route_name(k));
		mx_hist_render(b, "civic_http_request_duration_seconds", off,
		    labels);
	}

	mx_scalars(b, mx_db_gauges);
	mx_family(b, "civic_db_query_duration_seconds", "histogram",
	    "Time of a request's database query, from its admission to its "
	    "result (the wait for a connection included).");
	mx_hist_render(b, "civic_db_query_duration_seconds",
	    offsetof(struct mx_slot, db_query), "");

	mx_family(b, "civic_submissions_total", "counter",
	    "Survey responses submitted, by what became of them.");
	for (k = 0; k < METRICS_SUBMISSION_MAX; k++)
		kore_buf_appendf(b, "civic_submissions_total{result=\"%s\"} "
		    "%llu\n", mx_submission_names[k],
		    (unsigned long long)MX_SUM(submissions[k]));

	mx_family(b, "civic_tally_cache_total", "counter",
	    "Public tallies: served from a worker's memory (hit), refreshed "
	    "in the background (refresh), asked of the database (miss).");
	for (k = 0; k < METRICS_TALLY_MAX; k++)
		kore_buf_appendf(b, "civic_tally_cache_total{result=\"%s\"} "
		    "%llu\n", mx_tally_names[k],
		    (unsigned long long)MX_SUM(tally[k]));

	mx_scalars(b, mx_counters);

	mx_family(b, "civic_build_info", "gauge",
	    "The API's version and Kore's; always 1.");
	kore_buf_appendf(b, "civic_build_info{version=\"%s\",kore=\"%s\"} 1\n",
	    CIVIC_VERSION, kore_version);
}

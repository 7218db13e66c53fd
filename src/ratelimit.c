/*
 * Rate limits: the generic cell rate algorithm (GCRA) over a fixed-size
 * table that every worker process shares (limits.c maps it before the fork).
 *
 * A limit is a quota q of requests per window of w seconds.  Each client
 * (a partition: an API key's or an address's, for one policy) has one
 * number, its theoretical arrival time (TAT): the moment its use so far
 * would have been paid off at the steady rate of one request every
 * T = w / q.  A request at time now costs T: it is allowed when
 * max(TAT, now) + T - now <= w, that is when the client's debt after it is
 * at most one whole window, and the TAT moves on by T; otherwise it is
 * refused and the TAT stays.  So q requests at once pass and the next one
 * does not, and over any stretch of time d at most q + d / T pass: a
 * sliding window without counters to reset and without the double burst
 * of fixed windows at their edges.  A client whose TAT is in the past owes
 * nothing: its entry is the same as none, so it may be reused at once.
 *
 * The table is set-associative: an entry's set is chosen by a keyed hash
 * of its id (SipHash-2-4 with a secret seed: a client cannot aim addresses
 * at one set), and a set holds RL_WAYS entries under one
 * process-shared, robust mutex (a worker that dies holding it leaves the
 * set to be cleared by the next, not a lock held for ever).  A new client
 * takes an empty or idle entry of its set, else the one closest to idle
 * (the smallest TAT): a flood of addresses can fill the table, not grow
 * it, and what it evicts loses at most the rest of one window's debt.
 *
 * This file includes no Kore header: the unit tests build it alone.
 */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "civic.h"

#define RL_MAGIC	0x63697669636c696dULL	/* "civiclim" */

struct rl_slot {
	unsigned char	id[RL_ID_LEN];
	int64_t		tat;		/* ns on the callers' clock; 0: empty */
};

struct rl_set {
	pthread_mutex_t	lock;
	struct rl_slot	slots[RL_WAYS];
};

struct rl_table {
	uint64_t		magic;
	uint64_t		nsets;
	unsigned char		seed[16];
	_Atomic uint64_t	rejected;
	struct rl_set		sets[];
};

/* The bytes a table of nsets sets takes. */
size_t
rl_table_size(size_t nsets)
{
	return (sizeof(struct rl_table) + nsets * sizeof(struct rl_set));
}

/*
 * Make a table of nsets sets in mem (rl_table_size(nsets) bytes, zeroed or
 * not, shared by the processes that will use it) with the hash's seed.
 * Returns the table, or NULL when a lock cannot be made.
 */
struct rl_table *
rl_table_init(void *mem, size_t nsets, const unsigned char seed[16])
{
	struct rl_table		*t = mem;
	pthread_mutexattr_t	 attr;
	size_t			 i;

	if (nsets == 0)
		return (NULL);
	memset(t, 0, rl_table_size(nsets));
	if (pthread_mutexattr_init(&attr) != 0)
		return (NULL);
	if (pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) != 0) {
		(void)pthread_mutexattr_destroy(&attr);
		return (NULL);
	}
	for (i = 0; i < nsets; i++) {
		if (pthread_mutex_init(&t->sets[i].lock, &attr) != 0) {
			(void)pthread_mutexattr_destroy(&attr);
			return (NULL);
		}
	}
	(void)pthread_mutexattr_destroy(&attr);
	t->nsets = nsets;
	memcpy(t->seed, seed, sizeof(t->seed));
	atomic_init(&t->rejected, 0);
	t->magic = RL_MAGIC;
	return (t);
}

static uint64_t
rl_le64(const unsigned char *p)
{
	uint64_t	v;
	int		i;

	for (v = 0, i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return (v);
}

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND	do {						\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012) of in under key: a keyed hash
 * made for tables that clients fill, fast on short inputs.
 */
uint64_t
rl_siphash(const unsigned char key[16], const unsigned char *in, size_t len)
{
	uint64_t	k0, k1, v0, v1, v2, v3, m, b;
	size_t		i, j;

	k0 = rl_le64(key);
	k1 = rl_le64(key + 8);
	v0 = 0x736f6d6570736575ULL ^ k0;
	v1 = 0x646f72616e646f6dULL ^ k1;
	v2 = 0x6c7967656e657261ULL ^ k0;
	v3 = 0x7465646279746573ULL ^ k1;
	for (i = 0; i + 8 <= len; i += 8) {
		m = rl_le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	b = (uint64_t)len << 56;
	for (j = 0; i + j < len; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return (v0 ^ v1 ^ v2 ^ v3);
}

static struct rl_set *
rl_set_of(struct rl_table *t, const unsigned char id[RL_ID_LEN])
{
	return (&t->sets[rl_siphash(t->seed, id, RL_ID_LEN) % t->nsets]);
}

/*
 * Lock a set.  A worker that died holding the lock may have left an entry
 * half written: the set is cleared (its clients start afresh).
 */
static int
rl_lock(struct rl_set *s)
{
	int	rc;

	rc = pthread_mutex_lock(&s->lock);
	if (rc == EOWNERDEAD) {
		memset(s->slots, 0, sizeof(s->slots));
		if (pthread_mutex_consistent(&s->lock) != 0) {
			(void)pthread_mutex_unlock(&s->lock);
			return (-1);
		}
		return (0);
	}
	return (rc == 0 ? 0 : -1);
}

/* The entry of id in s, or the one it takes: empty, idle, else oldest. */
static struct rl_slot *
rl_slot_for(struct rl_set *s, const unsigned char id[RL_ID_LEN], int64_t now)
{
	struct rl_slot	*victim;
	size_t		 i;

	for (i = 0; i < RL_WAYS; i++) {
		if (s->slots[i].tat != 0 &&
		    memcmp(s->slots[i].id, id, RL_ID_LEN) == 0)
			return (&s->slots[i]);
	}
	victim = &s->slots[0];
	for (i = 0; i < RL_WAYS; i++) {
		if (s->slots[i].tat <= now) {
			victim = &s->slots[i];
			break;
		}
		if (s->slots[i].tat < victim->tat)
			victim = &s->slots[i];
	}
	memcpy(victim->id, id, RL_ID_LEN);
	victim->tat = now;
	return (victim);
}

/* Whole seconds from ns, rounded up. */
static uint32_t
rl_seconds(int64_t ns)
{
	int64_t	s;

	if (ns <= 0)
		return (0);
	s = (ns + 999999999) / 1000000000;
	return (s > UINT32_MAX ? UINT32_MAX : (uint32_t)s);
}

/*
 * One request of the client id against a quota of q requests per w
 * seconds, at now (nanoseconds of a clock every process shares, such as
 * CLOCK_MONOTONIC, above 0).  Fills v: allowed or not, the requests left
 * (r), the seconds until the whole quota is back (t; on a refusal the
 * seconds until the next request is allowed, as Retry-After, at least 1).
 * Returns 0, or -1 when the arguments are out of range or the set cannot
 * be locked: the request is then allowed (v says so) and not counted.
 *
 * In whole nanoseconds: T is w / q rounded up and the window q * T (w and
 * less than q ns more), so that exactly q requests at once pass whatever
 * the rounding.
 */
int
rl_take(struct rl_table *t, const unsigned char id[RL_ID_LEN], uint32_t q,
    uint32_t w, int64_t now, struct rl_verdict *v)
{
	struct rl_set	*s;
	struct rl_slot	*e;
	int64_t		 period, window, tat, next;

	memset(v, 0, sizeof(*v));
	v->allowed = 1;
	if (t == NULL || t->magic != RL_MAGIC || q < 1 || q > RL_QUOTA_MAX ||
	    w < 1 || w > RL_WINDOW_MAX || now <= 0)
		return (-1);
	period = ((int64_t)w * 1000000000 + q - 1) / q;
	window = period * q;
	v->remaining = q;

	s = rl_set_of(t, id);
	if (rl_lock(s) == -1)
		return (-1);
	e = rl_slot_for(s, id, now);
	tat = e->tat > now ? e->tat : now;
	next = tat + period;
	if (next - now > window) {
		(void)pthread_mutex_unlock(&s->lock);
		atomic_fetch_add(&t->rejected, 1);
		v->allowed = 0;
		v->remaining = 0;
		v->retry_after = rl_seconds(next - window - now);
		if (v->retry_after == 0)
			v->retry_after = 1;
		v->reset = v->retry_after;
		return (0);
	}
	e->tat = next;
	(void)pthread_mutex_unlock(&s->lock);

	v->remaining = (uint32_t)((window - (next - now)) / period);
	v->reset = rl_seconds(next - now);
	return (0);
}

/* The requests t refused so far, in every process. */
uint64_t
rl_rejected(struct rl_table *t)
{
	if (t == NULL || t->magic != RL_MAGIC)
		return (0);
	return (atomic_load(&t->rejected));
}

/* The entries of t still owed something at now (for tests). */
size_t
rl_active(struct rl_table *t, int64_t now)
{
	size_t	i, j, n;

	n = 0;
	for (i = 0; t != NULL && i < t->nsets; i++) {
		if (rl_lock(&t->sets[i]) == -1)
			continue;
		for (j = 0; j < RL_WAYS; j++) {
			if (t->sets[i].slots[j].tat > now)
				n++;
		}
		(void)pthread_mutex_unlock(&t->sets[i].lock);
	}
	return (n);
}

/*
 * The header fields of draft-ietf-httpapi-ratelimit-headers-10 (September
 * 2025; -11, May 2026, is the latest): each a Structured Field Item
 * (RFC 8941) whose value, the policy's name, is a String (the draft takes a
 * Token or a String).
 *
 *	RateLimit-Policy: "key";q=100;w=60
 *	RateLimit: "key";r=42;t=17
 *
 * name must be a short token of letters.  Returns -1 when buf is short.
 */
int
rl_policy_field(char *buf, size_t len, const char *name, uint32_t q,
    uint32_t w)
{
	int	n;

	n = snprintf(buf, len, "\"%s\";q=%u;w=%u", name, q, w);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

int
rl_limit_field(char *buf, size_t len, const char *name,
    const struct rl_verdict *v)
{
	int	n;

	n = snprintf(buf, len, "\"%s\";r=%u;t=%u", name, v->remaining,
	    v->reset);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

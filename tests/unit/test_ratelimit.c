/*
 * ratelimit.c: GCRA over the shared table, and the header fields.
 */

#include <sys/mman.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "civic.h"

static const unsigned char seed[16] = "0123456789abcdef";

#define MS(x)	((int64_t)(x) * 1000000)

static struct rl_table *
table(size_t nsets)
{
	void	*mem;

	mem = mmap(NULL, rl_table_size(nsets), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(mem, MAP_FAILED);
	cr_assert_not_null(rl_table_init(mem, nsets, seed));
	return (mem);
}

static void
id_of(unsigned char id[RL_ID_LEN], unsigned int n)
{
	memset(id, 0, RL_ID_LEN);
	id[0] = 3;
	memcpy(id + 1, &n, sizeof(n));
}

Test(ratelimit, q_at_once_pass_and_the_next_is_refused)
{
	struct rl_table		*t = table(64);
	struct rl_verdict	 v;
	unsigned char		 id[RL_ID_LEN];
	int			 i;

	id_of(id, 1);
	for (i = 0; i < 5; i++) {
		cr_assert_eq(rl_take(t, id, 5, 60, MS(1000), &v), 0);
		cr_assert(v.allowed, "request %d refused", i + 1);
		cr_assert_eq(v.remaining, (uint32_t)(4 - i));
	}
	cr_assert_eq(v.reset, 60);
	cr_assert_eq(rl_take(t, id, 5, 60, MS(1000), &v), 0);
	cr_assert(!v.allowed);
	cr_assert_eq(v.remaining, 0);
	cr_assert_eq(v.retry_after, 12, "retry after %u", v.retry_after);
	cr_assert_eq(v.reset, v.retry_after);
	cr_assert_eq(rl_rejected(t), 1);
}

Test(ratelimit, one_request_comes_back_every_period)
{
	struct rl_table		*t = table(64);
	struct rl_verdict	 v;
	unsigned char		 id[RL_ID_LEN];
	int			 i;

	id_of(id, 2);
	for (i = 0; i < 4; i++)
		(void)rl_take(t, id, 4, 8, MS(1000), &v);
	(void)rl_take(t, id, 4, 8, MS(2999), &v);
	cr_assert(!v.allowed, "allowed 1 ms before its period");
	cr_assert_eq(v.retry_after, 1);
	(void)rl_take(t, id, 4, 8, MS(3000), &v);
	cr_assert(v.allowed, "refused once its period was over");
	(void)rl_take(t, id, 4, 8, MS(3000), &v);
	cr_assert(!v.allowed);
	/* Idle a whole window: the whole quota is back. */
	for (i = 0; i < 4; i++) {
		(void)rl_take(t, id, 4, 8, MS(11000), &v);
		cr_assert(v.allowed);
	}
	cr_assert_eq(rl_rejected(t), 2);
}

Test(ratelimit, clients_are_apart)
{
	struct rl_table		*t = table(64);
	struct rl_verdict	 v;
	unsigned char		 a[RL_ID_LEN], b[RL_ID_LEN];

	id_of(a, 10);
	id_of(b, 11);
	(void)rl_take(t, a, 1, 60, MS(1000), &v);
	cr_assert(v.allowed);
	(void)rl_take(t, a, 1, 60, MS(1000), &v);
	cr_assert(!v.allowed);
	(void)rl_take(t, b, 1, 60, MS(1000), &v);
	cr_assert(v.allowed, "another client paid for the first");
}

Test(ratelimit, a_flood_of_clients_fills_the_table_and_does_not_grow_it)
{
	struct rl_table		*t = table(16);
	struct rl_verdict	 v;
	unsigned char		 id[RL_ID_LEN];
	unsigned int		 i;

	for (i = 0; i < 100000; i++) {
		id_of(id, 1000 + i);
		cr_assert_eq(rl_take(t, id, 10, 60, MS(1000 + i), &v), 0);
		cr_assert(v.allowed);
	}
	cr_assert_leq(rl_active(t, MS(1000 + i)), 16 * RL_WAYS);
	/* The last client is there: 9 more of its 10, not 10. */
	for (i = 0; i < 9; i++) {
		(void)rl_take(t, id, 10, 60, MS(101000), &v);
		cr_assert(v.allowed);
	}
	(void)rl_take(t, id, 10, 60, MS(101000), &v);
	cr_assert(!v.allowed, "the last client was evicted");
}

Test(ratelimit, idle_entries_are_reused_first)
{
	struct rl_table		*t = table(1);
	struct rl_verdict	 v;
	unsigned char		 id[RL_ID_LEN];
	unsigned int		 i;

	/* One set: 8 busy clients, then one idle (its window is over). */
	for (i = 0; i < RL_WAYS; i++) {
		id_of(id, i);
		(void)rl_take(t, id, 1, i == 0 ? 1 : 600, MS(1000), &v);
	}
	id_of(id, 99);
	(void)rl_take(t, id, 1, 600, MS(5000), &v);
	/* Client 1 (busy) was kept: it is still refused. */
	id_of(id, 1);
	(void)rl_take(t, id, 1, 600, MS(5000), &v);
	cr_assert(!v.allowed, "a busy client was evicted before an idle one");
}

Test(ratelimit, processes_share_the_table)
{
	struct rl_table		*t = table(8);
	struct rl_verdict	 v;
	unsigned char		 id[RL_ID_LEN];
	pid_t			 pids[4];
	int			 i, j, status, *allowed;

	allowed = mmap(NULL, sizeof(int) * 4, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(allowed, MAP_FAILED);
	id_of(id, 7);
	for (i = 0; i < 4; i++) {
		if ((pids[i] = fork()) == 0) {
			allowed[i] = 0;
			for (j = 0; j < 500; j++) {
				(void)rl_take(t, id, 100, 3600, MS(1000), &v);
				allowed[i] += v.allowed;
			}
			_exit(0);
		}
		cr_assert_gt(pids[i], 0);
	}
	for (i = 0; i < 4; i++) {
		cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	cr_assert_eq(allowed[0] + allowed[1] + allowed[2] + allowed[3], 100);
	cr_assert_eq(rl_rejected(t), 4 * 500 - 100);
}

Test(ratelimit, out_of_range_arguments_allow_and_count_nothing)
{
	struct rl_table		*t = table(4);
	struct rl_verdict	 v;
	unsigned char		 id[RL_ID_LEN];

	id_of(id, 1);
	cr_assert_eq(rl_take(t, id, 0, 60, MS(1000), &v), -1);
	cr_assert(v.allowed);
	cr_assert_eq(rl_take(t, id, 1, 0, MS(1000), &v), -1);
	cr_assert_eq(rl_take(t, id, RL_QUOTA_MAX + 1, 60, MS(1000), &v), -1);
	cr_assert_eq(rl_take(NULL, id, 1, 60, MS(1000), &v), -1);
	cr_assert_eq(rl_rejected(t), 0);
}

Test(ratelimit, siphash_matches_the_papers_vector)
{
	unsigned char	key[16], in[15];
	size_t		i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)i;
	/* SipHash-2-4, appendix A of the paper: 15 bytes 00..0e. */
	cr_assert_eq(rl_siphash(key, in, sizeof(in)), 0xa129ca6149be45e5ULL);
	cr_assert_eq(rl_siphash(key, in, 0), 0x726fdb47dd0e0e31ULL);
}

Test(ratelimit, fields_are_structured_field_items)
{
	struct rl_verdict	v = { 1, 42, 17, 0 };
	char			buf[64];

	cr_assert_eq(rl_policy_field(buf, sizeof(buf), "key", 100, 60), 0);
	cr_assert_str_eq(buf, "\"key\";q=100;w=60");
	cr_assert_eq(rl_limit_field(buf, sizeof(buf), "key", &v), 0);
	cr_assert_str_eq(buf, "\"key\";r=42;t=17");
	cr_assert_eq(rl_limit_field(buf, 8, "key", &v), -1);
}

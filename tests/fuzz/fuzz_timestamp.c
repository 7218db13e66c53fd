/*
 * Timestamps (answers_timestamp in src/answers.c): what it accepts is an
 * RFC 3339 date-time with a zone, of a real calendar day, and the instant
 * it gives is the one the text names, computed here another way (days
 * from the civil date, Howard Hinnant's algorithm, and the offset).  The
 * ordinary timestamps (a year from 1970 to 9999, seconds up to 59, up to
 * six digits of fraction, Z or an offset of a real zone) are accepted.
 */

#include <time.h>

#include "civic.h"
#include "fuzz.h"

struct stamp {
	int	y, mo, d, h, mi, s;
	int	sign, zh, zm, zulu;
	size_t	frac;
};

static int
num(const char *s, int n, int *out)
{
	int	i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		*out = *out * 10 + (s[i] - '0');
	}
	return (0);
}

/* The RFC 3339 grammar, fields unchecked: 0 when s has its shape. */
static int
parse(const char *s, struct stamp *t)
{
	const char	*p;

	memset(t, 0, sizeof(*t));
	if (strlen(s) < 20 || num(s, 4, &t->y) || s[4] != '-' ||
	    num(s + 5, 2, &t->mo) || s[7] != '-' || num(s + 8, 2, &t->d) ||
	    s[10] != 'T' || num(s + 11, 2, &t->h) || s[13] != ':' ||
	    num(s + 14, 2, &t->mi) || s[16] != ':' || num(s + 17, 2, &t->s))
		return (-1);
	p = s + 19;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			t->frac++;
		if (t->frac == 0)
			return (-1);
	}
	t->sign = 1;
	if (p[0] == 'Z' && p[1] == '\0') {
		t->zulu = 1;
		return (0);
	}
	if ((p[0] != '+' && p[0] != '-') || strlen(p) != 6 ||
	    num(p + 1, 2, &t->zh) || p[3] != ':' || num(p + 4, 2, &t->zm))
		return (-1);
	t->sign = p[0] == '+' ? 1 : -1;
	return (0);
}

static int
days_in_month(int y, int m)
{
	static const int	days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
				    31, 30, 31 };

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return (29);
	return (days[m - 1]);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long	era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + (long long)doe - 719468);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stamp	 t;
	char		*s;
	time_t		 when;
	long long	 want;
	int		 shaped, ordinary;

	s = fuzz_cstr(data, size);
	shaped = parse(s, &t) == 0;

	if (answers_timestamp(s, &when) == 0) {
		FUZZ_ASSERT(shaped, "'%s' accepted", s);
		FUZZ_ASSERT(t.y >= 1970 && t.mo >= 1 && t.mo <= 12 &&
		    t.d >= 1 && t.d <= days_in_month(t.y, t.mo) &&
		    t.h <= 23 && t.mi <= 59 && t.s <= 60 && t.zh <= 23 &&
		    t.zm <= 59 && t.frac <= 9, "'%s' accepted", s);
		want = days_from_civil(t.y, (unsigned)t.mo, (unsigned)t.d) *
		    86400 + t.h * 3600 + t.mi * 60 + t.s -
		    t.sign * (t.zh * 3600 + t.zm * 60);
		FUZZ_ASSERT((long long)when == want, "'%s' read as %lld, "
		    "want %lld", s, (long long)when, want);
	} else if (shaped) {
		ordinary = t.y >= 1970 && t.y <= 9999 && t.mo >= 1 &&
		    t.mo <= 12 && t.d >= 1 && t.d <= days_in_month(t.y, t.mo) &&
		    t.h <= 23 && t.mi <= 59 && t.s <= 59 && t.frac <= 6 &&
		    (t.zulu || (t.zh <= 14 && (t.zm == 0 || t.zm == 30 ||
		    t.zm == 45)));
		FUZZ_ASSERT(!ordinary, "'%s' refused", s);
	}

	free(s);
	return (0);
}

/*
 * A survey response's body, checked against the survey's questions.
 *
 * Every fault is reported, each naming the offending member by JSON Pointer
 * (RFC 6901): unknown members anywhere, a missing required answer, a wrong
 * type, a value that is not an option or not an objective of the plan,
 * duplicates, too many or too few choices, text too long, a submitted_at
 * in the future.  Server-owned members (id, partner, created_at, ...) are
 * unknown members too: a client never sets them.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "civic.h"

static const char *const agreement_levels[] = {
	"strongly_disagree", "disagree", "neutral", "agree", "strongly_agree",
	NULL
};

/*
 * The JSON Pointer of the member key of the object at prefix (RFC 6901: ~
 * as ~0, / as ~1), whole however long the key: a new string the caller
 * frees, or NULL if memory ran out.
 */
char *
answers_pointer(const char *prefix, const char *key)
{
	const char	*k;
	char		*out;
	size_t		 o, len;

	len = strlen(prefix) + 2;
	for (k = key; *k != '\0'; k++)
		len += (*k == '~' || *k == '/') ? 2 : 1;
	if ((out = malloc(len)) == NULL)
		return (NULL);

	o = strlen(prefix);
	memcpy(out, prefix, o);
	out[o++] = '/';
	for (k = key; *k != '\0'; k++) {
		if (*k == '~' || *k == '/') {
			out[o++] = '~';
			out[o++] = *k == '~' ? '0' : '1';
		} else {
			out[o++] = *k;
		}
	}
	out[o] = '\0';
	return (out);
}

static void
fault(json_t *errors, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fault(json_t *errors, const char *pointer, const char *fmt, ...)
{
	va_list	args;
	char	detail[256], clean[256];

	va_start(args, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, args);
	va_end(args);

	/* A "%.100s" may cut a character in two: json_pack() refuses that. */
	utf8_clean(detail, clean, sizeof(clean));
	json_array_append_new(errors, json_pack("{s:s, s:s}", "pointer",
	    pointer, "detail", clean));
}

static int
in_list(const char *v, const char *const *list)
{
	for (; *list != NULL; list++) {
		if (strcmp(v, *list) == 0)
			return (1);
	}
	return (0);
}

static int
in_array(const char *v, json_t *array)
{
	size_t	i;
	json_t	*e;

	json_array_foreach(array, i, e) {
		if (json_is_string(e) && strcmp(v, json_string_value(e)) == 0)
			return (1);
	}
	return (0);
}

/* UTF-8 code points in s. */
static size_t
utf8_length(const char *s)
{
	size_t	n;

	for (n = 0; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return (n);
}

/*
 * An RFC 3339 date-time with a zone ("2021-01-10T14:30:00Z",
 * "2021-01-10T08:30:00.5-06:00"), with at most nine digits of fraction
 * (the database reads no more), that names a real instant: no 31 February,
 * no hour 24 and no second 60 (the database takes those for the next day
 * or minute).  Its instant goes into *when.
 */
int
answers_timestamp(const char *s, time_t *when)
{
	static const char	 shape[] = "dddd-dd-ddTdd:dd:dd";
	struct tm		 tm;
	const char		*p;
	int			 y, mo, d, h, mi, sec, zh, zm, sign;
	size_t			 i, n;

	/* Exactly two (or four) digits per field: no blanks, no signs. */
	for (i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') :
		    s[i] != shape[i])
			return (-1);
	}
#define NUM2(o)	((s[o] - '0') * 10 + (s[(o) + 1] - '0'))
	y = NUM2(0) * 100 + NUM2(2);
	mo = NUM2(5);
	d = NUM2(8);
	h = NUM2(11);
	mi = NUM2(14);
	sec = NUM2(17);
#undef NUM2

	/* A fraction of 1 to 9 digits (PostgreSQL keeps microseconds). */
	p = s + sizeof(shape) - 1;
	if (*p == '.') {
		for (p++, n = 0; *p >= '0' && *p <= '9'; p++)
			n++;
		if (n == 0 || n > 9)
			return (-1);
	}

	zh = zm = 0;
	sign = 1;
	if (*p == 'Z' && p[1] == '\0') {
		sign = 1;
	} else if ((*p == '+' || *p == '-') && p[1] >= '0' && p[1] <= '9' &&
	    p[2] >= '0' && p[2] <= '9' && p[3] == ':' && p[4] >= '0' &&
	    p[4] <= '9' && p[5] >= '0' && p[5] <= '9' && p[6] == '\0') {
		sign = *p == '+' ? 1 : -1;
		zh = (p[1] - '0') * 10 + (p[2] - '0');
		zm = (p[4] - '0') * 10 + (p[5] - '0');
	} else {
		return (-1);
	}

	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 59 || zh > 23 || zm > 59)
		return (-1);

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*when = timegm(&tm);
	if (tm.tm_mday != d)		/* 31 February */
		return (-1);
	*when -= sign * (zh * 3600 + zm * 60);
	return (0);
}

/*
 * s, a date-time answers_timestamp takes, as the same instant in UTC
 * ("2021-01-10T14:30:00.5Z", its fraction kept as given) into out: the
 * form the database reads whatever the offset (PostgreSQL refuses offsets
 * beyond 15:59, which RFC 3339 allows).  Returns 0, or -1 when s is not a
 * date-time or out is too short.
 */
int
answers_timestamp_utc(const char *s, char *out, size_t len)
{
	struct tm	 tm;
	time_t		 when;
	const char	*frac;
	size_t		 n, nfrac;

	if (answers_timestamp(s, &when) == -1 || gmtime_r(&when, &tm) == NULL)
		return (-1);
	frac = s + 19;			/* after "YYYY-MM-DDTHH:MM:SS" */
	nfrac = *frac == '.' ? strspn(frac + 1, "0123456789") + 1 : 0;
	n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0 || n + nfrac + 2 > len)
		return (-1);
	memcpy(out + n, frac, nfrac);
	out[n + nfrac] = 'Z';
	out[n + nfrac + 1] = '\0';
	return (0);
}

static void
check_choices(json_t *errors, json_t *values, const char *qid,
    const char *ptr, json_t *v, json_t *question, json_t *allowed,
    int objective)
{
	json_t		*e, *seen;
	size_t		 i, count;
	json_int_t	 min, max;
	char		 p[400];

	if (!json_is_array(v)) {
		fault(errors, ptr, "Must be an array of %s ids.",
		    objective ? "objective" : "option");
		return;
	}

	min = json_integer_value(json_object_get(question, "min"));
	max = json_is_integer(json_object_get(question, "max")) ?
	    json_integer_value(json_object_get(question, "max")) :
	    (json_int_t)json_array_size(allowed);
	count = json_array_size(v);
	if ((json_int_t)count < min || (json_int_t)count > max) {
		fault(errors, ptr, "Choose from %lld to %lld; %zu given.",
		    (long long)min, (long long)max, count);
	}

	seen = json_array();
	json_array_foreach(v, i, e) {
		(void)snprintf(p, sizeof(p), "%s/%zu", ptr, i);
		if (!json_is_string(e)) {
			fault(errors, p, "Must be a string.");
		} else if (!in_array(json_string_value(e), allowed)) {
			fault(errors, p, "'%.100s' is not %s of this survey.",
			    json_string_value(e), objective ?
			    "an objective of the plan" : "an option");
		} else if (in_array(json_string_value(e), seen)) {
			fault(errors, p, "'%.100s' is chosen twice.",
			    json_string_value(e));
		} else {
			json_array_append(seen, e);
			json_array_append_new(values, json_pack("{s:s, s:O, "
			    "s:b}", "question", qid, "value", e, "objective",
			    objective));
		}
	}
	json_decref(seen);
}

/*
 * The hash of body, the same for bodies that mean the same: members in any
 * order, blanks, and a null that means "not given" (submitted_at, channel,
 * the answer to one of the survey's questions) or no member at all.
 * Returns 0, or -1 if memory ran out.
 */
static int
answers_hash(json_t *body, json_t *questions, unsigned char hash[32])
{
	static const char *const optional[] = { "submitted_at", "channel" };
	json_t		*canon, *answers, *q;
	const char	*qid;
	char		*text;
	size_t		 i;

	if ((canon = json_copy(body)) == NULL)
		return (-1);
	for (i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		if (json_is_null(json_object_get(canon, optional[i])))
			(void)json_object_del(canon, optional[i]);
	}
	if (json_is_object(json_object_get(canon, "answers"))) {
		answers = json_copy(json_object_get(canon, "answers"));
		if (answers == NULL ||
		    json_object_set_new(canon, "answers", answers) == -1) {
			json_decref(canon);
			return (-1);
		}
		json_array_foreach(questions, i, q) {
			qid = json_string_value(json_object_get(q, "id"));
			if (qid != NULL &&
			    json_is_null(json_object_get(answers, qid)))
				(void)json_object_del(answers, qid);
		}
	}

	text = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(canon);
	if (text == NULL)
		return (-1);
	SHA256((const unsigned char *)text, strlen(text), hash);
	free(text);
	return (0);
}

/*
 * Check body against survey (its published document, with "questions")
 * and objectives (the ids of the plan's objectives), at time now.  Fills
 * out: errors (a new array, empty when the body is good), values (a new
 * array of {question, value, objective} rows to count), submitted_at (in
 * UTC, empty when not given or at fault) and the body's canonical hash.
 * Returns 0, or -1 if memory ran out.
 */
int
answers_check(json_t *body, json_t *survey, json_t *objectives, time_t now,
    struct answers *out)
{
	static const char *const members[] = {
		"external_id", "answers", "submitted_at", "channel", NULL
	};
	json_t		*answers, *questions, *q, *v, *opts;
	const char	*key, *qid, *type;
	char		 ptr[300], *member;
	size_t		 i;
	time_t		 when;

	memset(out, 0, sizeof(*out));
	out->errors = json_array();
	out->values = json_array();
	if (out->errors == NULL || out->values == NULL)
		return (-1);

	if (!json_is_object(body)) {
		fault(out->errors, "", "The body must be a JSON object.");
		return (0);
	}

	json_object_foreach(body, key, v) {
		if (!in_list(key, members)) {
			if ((member = answers_pointer("", key)) == NULL)
				return (-1);
			fault(out->errors, member, "Unknown member '%.100s'%s.",
			    key, in_list(key, (const char *const[]){ "id",
			    "partner", "survey", "created_at", "status",
			    "voided_at", "void_reason", "counts", NULL }) ?
			    ": it is set by the server" : "");
			free(member);
		}
	}

	v = json_object_get(body, "external_id");
	if (v == NULL) {
		fault(out->errors, "/external_id", "Required: your own unique "
		    "reference for this response.");
	} else if (!json_is_string(v) || json_string_length(v) < 1 ||
	    utf8_length(json_string_value(v)) > 200) {
		fault(out->errors, "/external_id", "Must be a string of 1 to "
		    "200 characters.");
	}

	v = json_object_get(body, "submitted_at");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) ||
		    answers_timestamp(json_string_value(v), &when) == -1 ||
		    answers_timestamp_utc(json_string_value(v),
		    out->submitted_at, sizeof(out->submitted_at)) == -1) {
			out->submitted_at[0] = '\0';
			fault(out->errors, "/submitted_at", "Must be an RFC "
			    "3339 date-time with a time zone.");
		} else if (when > now + 60) {
			out->submitted_at[0] = '\0';
			fault(out->errors, "/submitted_at", "Is in the future.");
		}
	}

	v = json_object_get(body, "channel");
	if (v != NULL && !json_is_null(v) && (!json_is_string(v) ||
	    json_string_length(v) < 1 ||
	    utf8_length(json_string_value(v)) > 50)) {
		fault(out->errors, "/channel", "Must be a string of 1 to 50 "
		    "characters.");
	}

	answers = json_object_get(body, "answers");
	questions = json_object_get(survey, "questions");
	if (!json_is_object(answers)) {
		fault(out->errors, "/answers", "Required: an object of "
		    "answers by question id.");
		answers = NULL;
	}

	json_object_foreach(answers, key, v) {
		json_array_foreach(questions, i, q) {
			if (!strcmp(key, json_string_value(json_object_get(q,
			    "id"))))
				break;
		}
		if (i == json_array_size(questions)) {
			if ((member = answers_pointer("/answers", key)) == NULL)
				return (-1);
			fault(out->errors, member, "No question '%.100s' in "
			    "this survey.", key);
			free(member);
		}
	}

	json_array_foreach(questions, i, q) {
		qid = json_string_value(json_object_get(q, "id"));
		type = json_string_value(json_object_get(q, "type"));
		if (qid == NULL || type == NULL)
			continue;
		(void)snprintf(ptr, sizeof(ptr), "/answers/%s", qid);
		v = answers != NULL ? json_object_get(answers, qid) : NULL;

		if (v == NULL || json_is_null(v)) {
			if (answers != NULL &&
			    json_is_true(json_object_get(q, "required")))
				fault(out->errors, ptr, "This question "
				    "requires an answer.");
			continue;
		}

		opts = json_object_get(q, "options");
		if (!strcmp(type, "agreement")) {
			if (!json_is_string(v) ||
			    !in_list(json_string_value(v), agreement_levels))
				fault(out->errors, ptr, "Must be one of "
				    "strongly_disagree, disagree, neutral, "
				    "agree, strongly_agree.");
			else
				json_array_append_new(out->values,
				    json_pack("{s:s, s:O, s:b}", "question",
				    qid, "value", v, "objective", 0));
		} else if (!strcmp(type, "choice")) {
			if (!json_is_string(v) ||
			    !in_array(json_string_value(v), opts))
				fault(out->errors, ptr, "Must be one of the "
				    "question's options.");
			else
				json_array_append_new(out->values,
				    json_pack("{s:s, s:O, s:b}", "question",
				    qid, "value", v, "objective", 0));
		} else if (!strcmp(type, "choices")) {
			check_choices(out->errors, out->values, qid, ptr, v, q,
			    opts, 0);
		} else if (!strcmp(type, "objectives")) {
			check_choices(out->errors, out->values, qid, ptr, v, q,
			    objectives, 1);
		} else if (!strcmp(type, "text")) {
			if (!json_is_string(v))
				fault(out->errors, ptr, "Must be a string.");
			else if (utf8_length(json_string_value(v)) >
			    (size_t)json_integer_value(json_object_get(q,
			    "max_length")))
				fault(out->errors, ptr, "Longer than %lld "
				    "characters.", (long long)
				    json_integer_value(json_object_get(q,
				    "max_length")));
		}
	}

	return (answers_hash(body, questions, out->hash));
}

void
answers_cleanup(struct answers *a)
{
	json_decref(a->errors);
	json_decref(a->values);
	memset(a, 0, sizeof(*a));
}

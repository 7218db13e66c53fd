/*
 * csv.c: responses as CSV (RFC 4180).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "civic.h"

#define SURVEY								\
	"{\"id\":\"s\",\"plan\":\"p\",\"questions\":["			\
	"{\"id\":\"right-plan\",\"type\":\"agreement\",\"required\":true," \
	"\"options\":[\"strongly_disagree\",\"disagree\",\"neutral\","	\
	"\"agree\",\"strongly_agree\"]},"				\
	"{\"id\":\"top\",\"type\":\"objectives\",\"required\":true,"	\
	"\"min\":1,\"max\":3},"						\
	"{\"id\":\"how\",\"type\":\"choice\",\"required\":false,"	\
	"\"options\":[\"web\",\"mail\"]},"				\
	"{\"id\":\"which\",\"type\":\"choices\",\"required\":false,"	\
	"\"options\":[\"a\",\"b\",\"c\"],\"max\":2},"			\
	"{\"id\":\"say\",\"type\":\"text\",\"required\":false,"		\
	"\"max_length\":5}]}"

#define OBJECTIVES	"[\"o1\",\"o2\",\"o3\",\"o4\"]"

#define HEADER								\
	"id,external_id,partner,created_at,submitted_at,channel,status," \
	"void_reason,right-plan,top/o1,top/o2,top/o3,top/o4,how,which/a," \
	"which/b,which/c,say\r\n"

/* The members of an item before its answers. */
#define ITEM_HEAD(id, ext)						\
	"{\"id\":\"" id "\",\"survey\":\"s\",\"partner\":"		\
	"\"key_0123456789abcdef\",\"external_id\":\"" ext "\","		\
	"\"submitted_at\":null,\"channel\":\"web\",\"created_at\":"	\
	"\"2024-01-01T00:00:00Z\",\"status\":\"counted\","		\
	"\"voided_at\":null,\"void_reason\":null,"

/* The fixed cells of ITEM_HEAD. */
#define ROW_HEAD(id, ext)						\
	id "," ext ",key_0123456789abcdef,2024-01-01T00:00:00Z,,web,counted,,"

static json_t *
load(const char *text)
{
	json_t		*j;
	json_error_t	 jerr;

	j = json_loads(text, JSON_DECODE_ANY, &jerr);
	cr_assert_not_null(j, "test JSON does not parse (%s): %s", jerr.text,
	    text);
	return (j);
}

/* csv_responses of items (JSON text) for the test survey. */
static char *
render(const char *items_text, size_t *len)
{
	json_t	*items, *survey, *objectives;
	char	*out;

	items = load(items_text);
	survey = load(SURVEY);
	objectives = load(OBJECTIVES);
	*len = (size_t)-1;
	out = csv_responses(items, survey, objectives, len);
	cr_assert_not_null(out, "csv_responses returned NULL");
	cr_assert_eq(*len, strlen(out), "length %zu for %zu bytes", *len,
	    strlen(out));
	json_decref(items);
	json_decref(survey);
	json_decref(objectives);
	return (out);
}

/*
 * A small, strict RFC 4180 reader: records end in CRLF (the last one too),
 * a field is either quoted (quotes doubled inside, anything else allowed)
 * or holds no comma, quote, CR or LF.
 */
struct field {
	char	*text;
	int	 quoted;
};

struct record {
	struct field	*fields;
	size_t		 n;
};

struct table {
	struct record	*records;
	size_t		 n;
};

static void
table_free(struct table *t)
{
	size_t	i, j;

	for (i = 0; i < t->n; i++) {
		for (j = 0; j < t->records[i].n; j++)
			free(t->records[i].fields[j].text);
		free(t->records[i].fields);
	}
	free(t->records);
	memset(t, 0, sizeof(*t));
}

static void
record_add(struct record *r, const char *s, size_t len, int quoted)
{
	r->fields = realloc(r->fields, (r->n + 1) * sizeof(*r->fields));
	cr_assert_not_null(r->fields);
	r->fields[r->n].text = strndup(s, len);
	cr_assert_not_null(r->fields[r->n].text);
	r->fields[r->n].quoted = quoted;
	r->n++;
}

/* Parse csv into t; -1 (and why in err) if it is not strict RFC 4180. */
static int
csv_parse(const char *csv, struct table *t, char *err, size_t errlen)
{
	struct record	 rec;
	const char	*p, *start;
	char		*buf;
	size_t		 blen;

	memset(t, 0, sizeof(*t));
	p = csv;
	buf = malloc(strlen(csv) + 1);
	cr_assert_not_null(buf);
	while (*p != '\0') {
		memset(&rec, 0, sizeof(rec));
		for (;;) {
			if (*p == '"') {
				for (p++, blen = 0;; p++) {
					if (*p == '\0') {
						(void)snprintf(err, errlen,
						    "unterminated quote");
						goto bad;
					}
					if (*p == '"') {
						if (p[1] != '"')
							break;
						p++;
					}
					buf[blen++] = *p;
				}
				p++;
				record_add(&rec, buf, blen, 1);
			} else {
				start = p;
				while (*p != '\0' && *p != ',' && *p != '"' &&
				    *p != '\r' && *p != '\n')
					p++;
				if (*p == '"') {
					(void)snprintf(err, errlen, "quote in "
					    "an unquoted field at %zu",
					    (size_t)(p - csv));
					goto bad;
				}
				record_add(&rec, start, (size_t)(p - start), 0);
			}
			if (*p == ',') {
				p++;
				continue;
			}
			if (p[0] == '\r' && p[1] == '\n') {
				p += 2;
				break;
			}
			(void)snprintf(err, errlen, "record not ended by CRLF "
			    "at %zu", (size_t)(p - csv));
			goto bad;
		}
		t->records = realloc(t->records, (t->n + 1) *
		    sizeof(*t->records));
		cr_assert_not_null(t->records);
		t->records[t->n++] = rec;
	}
	free(buf);
	return (0);

bad:
	for (blen = 0; blen < rec.n; blen++)
		free(rec.fields[blen].text);
	free(rec.fields);
	free(buf);
	table_free(t);
	return (-1);
}

/* Render items and parse the result, which must be strict RFC 4180. */
static void
render_table(const char *items_text, struct table *t)
{
	char	*csv, err[128];
	size_t	 len;

	csv = render(items_text, &len);
	cr_assert_eq(csv_parse(csv, t, err, sizeof(err)), 0, "not RFC 4180 "
	    "(%s): %s", err, csv);
	free(csv);
}

/* The column of name in t's header. */
static size_t
column(const struct table *t, const char *name)
{
	size_t	i;

	cr_assert_gt(t->n, 0);
	for (i = 0; i < t->records[0].n; i++) {
		if (!strcmp(t->records[0].fields[i].text, name))
			return (i);
	}
	cr_assert_fail("no column '%s'", name);
	return (0);
}

/* The cell of record row (1 = first item) under name. */
static const char *
cell(const struct table *t, size_t row, const char *name)
{
	size_t	c;

	c = column(t, name);
	cr_assert_lt(row, t->n);
	cr_assert_lt(c, t->records[row].n);
	return (t->records[row].fields[c].text);
}

/* A cell as a reader takes it back: one leading single quote dropped. */
static const char *
unquote(const char *text)
{
	return (text[0] == '\'' ? text + 1 : text);
}

Test(csv, header_is_fixed_columns_then_one_or_more_per_question)
{
	char	*csv;
	size_t	 len;

	csv = render("[]", &len);
	cr_assert_str_eq(csv, HEADER);
	free(csv);
}

Test(csv, choices_columns_follow_the_option_and_objective_lists)
{
	json_t	*items, *survey, *objectives;
	char	*csv;
	size_t	 len;

	items = load("[]");
	survey = load("{\"id\":\"s\",\"questions\":[{\"id\":\"q\",\"type\":"
	    "\"choices\",\"options\":[\"z\",\"y\"]},{\"id\":\"t\",\"type\":"
	    "\"objectives\",\"min\":1,\"max\":1}]}");
	objectives = load("[\"g-2\",\"g-1\"]");
	csv = csv_responses(items, survey, objectives, &len);
	cr_assert_not_null(csv);
	cr_assert_str_eq(csv, "id,external_id,partner,created_at,submitted_at,"
	    "channel,status,void_reason,q/z,q/y,t/g-2,t/g-1\r\n");
	free(csv);
	json_decref(items);
	json_decref(survey);
	json_decref(objectives);
}

Test(csv, one_item_gives_one_exact_line)
{
	char	*csv;
	size_t	 len;

	csv = render("[" ITEM_HEAD("r1", "e1") "\"answers\":{\"right-plan\":"
	    "\"agree\",\"top\":[\"o2\",\"o4\"],\"how\":\"mail\",\"which\":"
	    "[\"c\"],\"say\":\"hi\"}}]", &len);
	cr_assert_str_eq(csv, HEADER ROW_HEAD("r1", "e1")
	    "agree,0,1,0,1,mail,0,0,1,hi\r\n");
	free(csv);
}

/*
 * A file rendered in parts (an export, batch by batch: src/export.c) is
 * the file rendered whole: the header alone, then the rows without it.
 */
Test(csv, rows_without_the_header_are_the_whole_file_less_its_header)
{
	json_t	*items, *none, *survey, *objectives;
	char	*whole, *head, *rows;
	size_t	 wlen, hlen, rlen;

	items = load("[" ITEM_HEAD("r1", "e1") "\"answers\":{\"say\":"
	    "\"=1+1\"}}," ITEM_HEAD("r2", "e2") "\"answers\":{}}]");
	none = load("[]");
	survey = load(SURVEY);
	objectives = load(OBJECTIVES);
	whole = csv_responses(items, survey, objectives, &wlen);
	head = csv_responses_rows(none, survey, objectives, 1, &hlen);
	rows = csv_responses_rows(items, survey, objectives, 0, &rlen);
	cr_assert(whole != NULL && head != NULL && rows != NULL);
	cr_assert_str_eq(head, HEADER);
	cr_assert_eq(hlen + rlen, wlen);
	cr_assert_eq(memcmp(whole, head, hlen), 0);
	cr_assert_str_eq(whole + hlen, rows);
	cr_assert_eq(rlen, strlen(rows));
	free(whole);
	free(head);
	free(rows);

	/* No rows and no header: an empty string, not NULL. */
	rows = csv_responses_rows(none, survey, objectives, 0, &rlen);
	cr_assert_not_null(rows);
	cr_assert_eq(rlen, 0);
	cr_assert_str_eq(rows, "");
	free(rows);
	json_decref(items);
	json_decref(none);
	json_decref(survey);
	json_decref(objectives);
}

Test(csv, items_keep_their_order)
{
	struct table	t;

	render_table("[" ITEM_HEAD("r2", "e2") "\"answers\":{}},"
	    ITEM_HEAD("r1", "e1") "\"answers\":{}},"
	    ITEM_HEAD("r3", "e3") "\"answers\":{}}]", &t);
	cr_assert_eq(t.n, 4);
	cr_assert_str_eq(cell(&t, 1, "id"), "r2");
	cr_assert_str_eq(cell(&t, 2, "id"), "r1");
	cr_assert_str_eq(cell(&t, 3, "id"), "r3");
	table_free(&t);
}

Test(csv, every_record_has_every_column)
{
	struct table	t;
	size_t		i;

	render_table("[" ITEM_HEAD("r1", "e1") "\"answers\":{}},"
	    ITEM_HEAD("r2", "e2") "\"answers\":{\"right-plan\":\"agree\","
	    "\"top\":[\"o1\"],\"how\":\"web\",\"which\":[\"a\",\"b\"],"
	    "\"say\":\"x,y\"}}]", &t);
	cr_assert_eq(t.n, 3);
	for (i = 0; i < t.n; i++)
		cr_assert_eq(t.records[i].n, 18, "record %zu has %zu fields", i,
		    t.records[i].n);
	table_free(&t);
}

Test(csv, every_line_ends_in_crlf)
{
	char		*csv;
	const char	*p;
	size_t		 len, crlf = 0;

	csv = render("[" ITEM_HEAD("r1", "e1") "\"answers\":{\"right-plan\":"
	    "\"agree\",\"top\":[\"o1\"]}}," ITEM_HEAD("r2", "e2")
	    "\"answers\":{}}]", &len);
	cr_assert_gt(len, 2);
	cr_assert_eq(csv[len - 2], '\r');
	cr_assert_eq(csv[len - 1], '\n');
	for (p = csv; *p != '\0'; p++) {
		if (*p == '\n') {
			cr_assert(p > csv && p[-1] == '\r', "bare LF at %zu",
			    (size_t)(p - csv));
			crlf++;
		}
		if (*p == '\r')
			cr_assert_eq(p[1], '\n', "bare CR at %zu",
			    (size_t)(p - csv));
	}
	cr_assert_eq(crlf, 3);
	free(csv);
}

/* A text answer, and the exact cell it must give. */
static const struct {
	const char	*json;	/* as a JSON string literal's inside */
	const char	*cell;
} quoting_rows[] = {
	{ "plain",		"plain" },
	{ "two words",		"two words" },
	{ " lead",		" lead" },
	{ "caf\xc3\xa9",	"caf\xc3\xa9" },
	{ "a;b",		"a;b" },
	{ "it's",		"it's" },
	{ "a,b",		"\"a,b\"" },
	{ ",",			"\",\"" },
	{ "say \\\"hi\\\"",	"\"say \"\"hi\"\"\"" },
	{ "\\\"",		"\"\"\"\"" },
	{ "\\\"\\\"",		"\"\"\"\"\"\"" },
	{ "a\\r\\nb",		"\"a\r\nb\"" },
	{ "a\\nb",		"\"a\nb\"" },
	{ "a\\rb",		"\"a\rb\"" },
	{ "\\n",		"\"\n\"" },
	{ "x,\\\"y\\\"\\r\\n",	"\"x,\"\"y\"\"\r\n\"" },
};

Test(csv, text_with_comma_quote_cr_or_lf_is_quoted)
{
	char	 items[512], want[512], *csv;
	size_t	 i, len;

	for (i = 0; i < sizeof(quoting_rows) / sizeof(quoting_rows[0]); i++) {
		(void)snprintf(items, sizeof(items), "[" ITEM_HEAD("r1", "e1")
		    "\"answers\":{\"say\":\"%s\"}}]", quoting_rows[i].json);
		(void)snprintf(want, sizeof(want), HEADER ROW_HEAD("r1", "e1")
		    ",,,,,,,,,%s\r\n", quoting_rows[i].cell);
		csv = render(items, &len);
		cr_assert_str_eq(csv, want, "row %zu", i);
		free(csv);
	}
}

/*
 * Cells a spreadsheet could run as a formula (OWASP: a first character of
 * =, +, -, @, tab or CR), and cells that begin with a single quote, get a
 * single quote in front, and are quoted.
 */
static const struct {
	const char	*json;	/* as a JSON string literal's inside */
	const char	*cell;
} formula_rows[] = {
	{ "=1+2",		"\"'=1+2\"" },
	{ "=HYPERLINK(\\\"http://x.test\\\",\\\"y\\\")",
	    "\"'=HYPERLINK(\"\"http://x.test\"\",\"\"y\"\")\"" },
	{ "+SUM(1,2)",		"\"'+SUM(1,2)\"" },
	{ "=cmd|' /C calc'!A0",	"\"'=cmd|' /C calc'!A0\"" },
	{ "-1",			"\"'-1\"" },
	{ "@SUM(A1)",		"\"'@SUM(A1)\"" },
	{ "\\tx",		"\"'\tx\"" },
	{ "\\rx",		"\"'\rx\"" },
	{ "'x",			"\"''x\"" },
	{ "'",			"\"''\"" },
	{ "=",			"\"'=\"" },
	{ "a=b",		"a=b" },
	{ " =x",		" =x" },
	{ "x\\t",		"x\t" },
};

Test(csv, formula_like_text_gets_a_leading_quote)
{
	char	 items[512], want[512], *csv;
	size_t	 i, len;

	for (i = 0; i < sizeof(formula_rows) / sizeof(formula_rows[0]); i++) {
		(void)snprintf(items, sizeof(items), "[" ITEM_HEAD("r1", "e1")
		    "\"answers\":{\"say\":\"%s\"}}]", formula_rows[i].json);
		(void)snprintf(want, sizeof(want), HEADER ROW_HEAD("r1", "e1")
		    ",,,,,,,,,%s\r\n", formula_rows[i].cell);
		csv = render(items, &len);
		cr_assert_str_eq(csv, want, "row %zu", i);
		free(csv);
	}
}

Test(csv, formula_like_fixed_columns_get_a_leading_quote)
{
	struct table	t;

	render_table("[{\"id\":\"r1\",\"external_id\":\"=HYPERLINK(1)\","
	    "\"channel\":\"+SUM(1,2)\",\"void_reason\":\"@x\","
	    "\"answers\":{}}]", &t);
	cr_assert_str_eq(cell(&t, 1, "external_id"), "'=HYPERLINK(1)");
	cr_assert(t.records[1].fields[column(&t, "external_id")].quoted);
	cr_assert_str_eq(cell(&t, 1, "channel"), "'+SUM(1,2)");
	cr_assert_str_eq(cell(&t, 1, "void_reason"), "'@x");
	table_free(&t);
}

Test(csv, fixed_columns_are_quoted_too)
{
	char	*csv;
	size_t	 len;

	csv = render("[" ITEM_HEAD("r1", "a,\\\"b\\\"") "\"answers\":{}}]",
	    &len);
	cr_assert_str_eq(csv, HEADER ROW_HEAD("r1", "\"a,\"\"b\"\"\"")
	    ",,,,,,,,,\r\n");
	free(csv);
}

Test(csv, missing_or_null_fixed_members_give_empty_cells)
{
	struct table	t;

	render_table("[{\"id\":\"r1\",\"external_id\":\"e1\",\"answers\":{},"
	    "\"submitted_at\":null,\"void_reason\":null}]", &t);
	cr_assert_str_eq(cell(&t, 1, "id"), "r1");
	cr_assert_str_eq(cell(&t, 1, "external_id"), "e1");
	cr_assert_str_eq(cell(&t, 1, "partner"), "");
	cr_assert_str_eq(cell(&t, 1, "created_at"), "");
	cr_assert_str_eq(cell(&t, 1, "submitted_at"), "");
	cr_assert_str_eq(cell(&t, 1, "channel"), "");
	cr_assert_str_eq(cell(&t, 1, "status"), "");
	cr_assert_str_eq(cell(&t, 1, "void_reason"), "");
	table_free(&t);
}

Test(csv, voided_item_shows_status_and_reason)
{
	struct table	t;

	render_table("[{\"id\":\"r1\",\"external_id\":\"e1\",\"answers\":{},"
	    "\"status\":\"voided\",\"voided_at\":\"2024-02-01T00:00:00Z\","
	    "\"void_reason\":\"duplicate, entered twice\"}]", &t);
	cr_assert_str_eq(cell(&t, 1, "status"), "voided");
	cr_assert_str_eq(cell(&t, 1, "void_reason"),
	    "duplicate, entered twice");
	table_free(&t);
}

Test(csv, chosen_is_1_and_not_chosen_is_0)
{
	struct table	t;

	render_table("[" ITEM_HEAD("r1", "e1") "\"answers\":{\"top\":[\"o3\","
	    "\"o1\"],\"which\":[\"b\"]}}]", &t);
	cr_assert_str_eq(cell(&t, 1, "top/o1"), "1");
	cr_assert_str_eq(cell(&t, 1, "top/o2"), "0");
	cr_assert_str_eq(cell(&t, 1, "top/o3"), "1");
	cr_assert_str_eq(cell(&t, 1, "top/o4"), "0");
	cr_assert_str_eq(cell(&t, 1, "which/a"), "0");
	cr_assert_str_eq(cell(&t, 1, "which/b"), "1");
	cr_assert_str_eq(cell(&t, 1, "which/c"), "0");
	table_free(&t);
}

Test(csv, empty_choice_list_is_all_0)
{
	struct table	t;

	render_table("[" ITEM_HEAD("r1", "e1") "\"answers\":{\"which\":[]}}]",
	    &t);
	cr_assert_str_eq(cell(&t, 1, "which/a"), "0");
	cr_assert_str_eq(cell(&t, 1, "which/b"), "0");
	cr_assert_str_eq(cell(&t, 1, "which/c"), "0");
	table_free(&t);
}

Test(csv, unanswered_questions_give_empty_cells)
{
	static const char *const cols[] = { "right-plan", "top/o1", "top/o2",
	    "top/o3", "top/o4", "how", "which/a", "which/b", "which/c", "say" };
	struct table	t;
	size_t		i;

	render_table("[" ITEM_HEAD("r1", "e1") "\"answers\":{}},"
	    ITEM_HEAD("r2", "e2") "\"answers\":{\"right-plan\":null,"
	    "\"top\":null,\"how\":null,\"which\":null,\"say\":null}}]", &t);
	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		cr_assert_str_eq(cell(&t, 1, cols[i]), "", "absent: %s",
		    cols[i]);
		cr_assert_str_eq(cell(&t, 2, cols[i]), "", "null: %s",
		    cols[i]);
	}
	table_free(&t);
}

Test(csv, answer_for_an_unknown_question_is_not_written)
{
	struct table	t;

	render_table("[" ITEM_HEAD("r1", "e1") "\"answers\":{\"zz\":\"x\","
	    "\"right-plan\":\"agree\"}}]", &t);
	cr_assert_eq(t.records[1].n, 18);
	cr_assert_str_eq(cell(&t, 1, "right-plan"), "agree");
	table_free(&t);
}

/*
 * Read answers back from record row of t: single-valued columns give a
 * string (empty cell, unquoted: no answer), "<q>/<id>" columns give the
 * list of ids marked 1 (all empty: no answer).
 */
static json_t *
answers_back(const struct table *t, size_t row)
{
	json_t		*out, *list;
	const char	*name, *slash, *text;
	char		 qid[128];
	size_t		 c;

	out = json_object();
	for (c = 8; c < t->records[0].n; c++) {
		name = t->records[0].fields[c].text;
		text = unquote(t->records[row].fields[c].text);
		if ((slash = strchr(name, '/')) == NULL) {
			if (*text != '\0' || t->records[row].fields[c].quoted)
				json_object_set_new(out, name,
				    json_string(text));
			continue;
		}
		(void)snprintf(qid, sizeof(qid), "%.*s", (int)(slash - name),
		    name);
		cr_assert(!strcmp(text, "") || !strcmp(text, "0") ||
		    !strcmp(text, "1"), "row %zu, %s: '%s'", row, name, text);
		if (*text == '\0')
			continue;
		if ((list = json_object_get(out, qid)) == NULL) {
			list = json_array();
			json_object_set_new(out, qid, list);
		}
		if (!strcmp(text, "1"))
			json_array_append_new(list, json_string(slash + 1));
	}
	return (out);
}

/* Do arrays a and b hold the same strings, in any order? */
static int
same_set(json_t *a, json_t *b)
{
	json_t	*e, *f;
	size_t	 i, j;

	if (json_array_size(a) != json_array_size(b))
		return (0);
	json_array_foreach(a, i, e) {
		json_array_foreach(b, j, f) {
			if (json_equal(e, f))
				break;
		}
		if (j == json_array_size(b))
			return (0);
	}
	return (1);
}

/* Does got (read back) hold the same answers as want (given)? */
static int
same_answers(json_t *want, json_t *got)
{
	const char	*k;
	json_t		*v, *g;

	json_object_foreach(want, k, v) {
		g = json_object_get(got, k);
		if (json_is_null(v)) {
			if (g != NULL)
				return (0);
		} else if (json_is_array(v)) {
			if (!json_is_array(g) || !same_set(v, g))
				return (0);
		} else if (!json_equal(v, g)) {
			return (0);
		}
	}
	json_object_foreach(got, k, g) {
		v = json_object_get(want, k);
		if (v == NULL || json_is_null(v))
			return (0);
	}
	return (1);
}

#define ROUND_TRIP_ITEMS						\
	"[" ITEM_HEAD("r1", "e1") "\"answers\":{\"right-plan\":\"agree\"," \
	"\"top\":[\"o1\",\"o3\",\"o4\"],\"how\":\"web\",\"which\":[\"c\"," \
	"\"a\"],\"say\":\"hi, \\\"you\\\"\"}},"				\
	ITEM_HEAD("r2", "e,2") "\"answers\":{\"right-plan\":\"disagree\"," \
	"\"top\":[\"o2\"],\"which\":[],\"say\":\"line\\r\\nnext\"}},"	\
	ITEM_HEAD("r3", "e3") "\"answers\":{\"right-plan\":"		\
	"\"strongly_agree\",\"top\":[\"o4\",\"o2\"],\"how\":\"mail\","	\
	"\"say\":\"\\n\\r\\\"\\\",,\"}},"				\
	ITEM_HEAD("r4", "e4") "\"answers\":{\"right-plan\":null}},"	\
	ITEM_HEAD("r5", "e5") "\"answers\":{\"top\":[],\"which\":[\"b\"]," \
	"\"say\":\"caf\xc3\xa9 \"}},"					\
	ITEM_HEAD("r6", "=e6") "\"answers\":{\"say\":\"'=x\"}},"		\
	ITEM_HEAD("r7", "'e7") "\"answers\":{\"say\":\"\\t@+-\"}}]"

Test(csv, round_trip_gives_back_every_items_answers)
{
	struct table	 t;
	json_t		*items, *item, *got;
	char		*a, *b;
	size_t		 i;

	render_table(ROUND_TRIP_ITEMS, &t);
	items = load(ROUND_TRIP_ITEMS);
	cr_assert_eq(t.n, json_array_size(items) + 1);
	json_array_foreach(items, i, item) {
		got = answers_back(&t, i + 1);
		a = json_dumps(json_object_get(item, "answers"), JSON_COMPACT);
		b = json_dumps(got, JSON_COMPACT);
		cr_assert(same_answers(json_object_get(item, "answers"), got),
		    "item %zu: %s read back as %s", i, a, b);
		free(a);
		free(b);
		json_decref(got);
	}
	json_decref(items);
	table_free(&t);
}

Test(csv, round_trip_gives_back_the_fixed_columns)
{
	static const char *const fixed[] = { "id", "external_id", "partner",
	    "created_at", "submitted_at", "channel", "status", "void_reason" };
	struct table	 t;
	json_t		*items, *item, *v;
	size_t		 i, f;

	render_table(ROUND_TRIP_ITEMS, &t);
	items = load(ROUND_TRIP_ITEMS);
	json_array_foreach(items, i, item) {
		for (f = 0; f < sizeof(fixed) / sizeof(fixed[0]); f++) {
			v = json_object_get(item, fixed[f]);
			cr_assert_str_eq(unquote(cell(&t, i + 1, fixed[f])),
			    json_is_string(v) ? json_string_value(v) : "",
			    "item %zu, %s", i, fixed[f]);
		}
	}
	json_decref(items);
	table_free(&t);
}

/*
 * BUG (src/csv.c, csv_responses): a text answer "" (answers_check accepts
 * it: no minimum length) is written as an empty, unquoted cell, the same as
 * no answer, so the file does not read back into the same answers as the
 * comment promises.  Quoting it ("") would tell them apart.
 */
Test(csv, empty_text_answer_reads_back_unlike_no_answer)
{
	struct table	 t;
	json_t		*got;

	render_table("[" ITEM_HEAD("r1", "e1") "\"answers\":{\"say\":\"\"}},"
	    ITEM_HEAD("r2", "e2") "\"answers\":{}}]", &t);
	got = answers_back(&t, 1);
	cr_assert(json_is_string(json_object_get(got, "say")), "an empty "
	    "text answer reads back as no answer");
	json_decref(got);
	got = answers_back(&t, 2);
	cr_assert_null(json_object_get(got, "say"));
	json_decref(got);
	table_free(&t);
}

Test(csv, reader_in_this_test_refuses_what_is_not_rfc_4180)
{
	static const char *const bad[] = {
		"a,b\n", "a,b", "a\"b\r\n", "\"a\r\n", "\"a\"b\r\n", "a\rb\r\n",
	};
	struct table	t;
	char		err[128];
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(csv_parse(bad[i], &t, err, sizeof(err)), -1,
		    "row %zu accepted", i);
	cr_assert_eq(csv_parse("a,\"b,\"\"c\"\"\r\n\"\r\n,\r\n", &t, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(t.n, 2);
	cr_assert_str_eq(t.records[0].fields[1].text, "b,\"c\"\r\n");
	cr_assert_eq(t.records[1].n, 2);
	table_free(&t);
}

/* csv_table and csv_read: a table written and read back. */

static json_t *
parsed(const char *text, struct csv_error *err)
{
	return (csv_read(text, strlen(text), err));
}

Test(csv_table, a_table_reads_back_as_written_formula_cells_included)
{
	struct csv_error	 err;
	json_t			*rows, *back;
	size_t			 len;
	char			*out;

	rows = json_loads("[[\"a\",\"b,c\",null],[\"=1+1\",\"say \\\"hi\\\"\","
	    "\"\"],[\"'quoted\",\"x\\r\\ny\",\"-2\"]]", 0, NULL);
	cr_assert_not_null(rows);
	out = csv_table(rows, &len);
	cr_assert_str_eq(out, "a,\"b,c\",\r\n\"'=1+1\",\"say \"\"hi\"\"\",\"\"\r\n"
	    "\"''quoted\",\"x\r\ny\",\"'-2\"\r\n");
	back = csv_read(out, len, &err);
	cr_assert_not_null(back, "%s", err.message);
	/* An empty cell reads back as "": null is not a CSV value. */
	json_array_set_new(json_array_get(rows, 0), 2, json_string(""));
	cr_assert(json_equal(rows, back));
	json_decref(rows);
	json_decref(back);
	free(out);
}

Test(csv_read, lf_line_ends_a_missing_last_end_and_a_trailing_comma)
{
	struct csv_error	 err;
	json_t			*rows;

	rows = parsed("a,b\nc,\nd", &err);
	cr_assert_not_null(rows);
	cr_assert_eq(json_array_size(rows), 3);
	cr_assert_str_eq(json_string_value(json_array_get(json_array_get(rows,
	    1), 1)), "");
	cr_assert_eq(json_array_size(json_array_get(rows, 2)), 1);
	json_decref(rows);
}

Test(csv_read, malformed_text_names_its_line_and_field)
{
	struct csv_error	 err;

	cr_assert_null(parsed("a,b\r\nc,\"d\r\n", &err));
	cr_assert_eq(err.line, 2);
	cr_assert_eq(err.field, 2);
	cr_assert_null(parsed("a,b\"c\r\n", &err));
	cr_assert_eq(err.line, 1);
	cr_assert_eq(err.field, 2);
	cr_assert_null(parsed("\"a\"b\r\n", &err));
	cr_assert_null(parsed("a\rb", &err));
	cr_assert_null(csv_read("a\0b", 3, &err));
}

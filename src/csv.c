/*
 * Responses as CSV (RFC 4180), for spreadsheets.  One stable column per
 * question; a choices or objectives question has one column per option or
 * objective ("<question>/<id>", 1 when chosen, 0 when not, empty when the
 * question was not answered), so the file reads back into the same
 * answers.  Lines end in CRLF; a field with a comma, a quote or a line
 * break is quoted, and so is an empty text, which an empty cell is not.
 *
 * What partners and their users send (external_id, channel, text answers)
 * must not reach a spreadsheet as a formula: a cell that begins with '=',
 * '+', '-', '@', a tab or a CR (OWASP's list) gets a single quote in front,
 * and is quoted.  So does a cell that begins with a single quote, so that
 * reading the file back is one rule for every cell: a leading single quote
 * is dropped, once.
 */

#include <stdlib.h>
#include <string.h>

#include "civic.h"

struct csv_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	int	 failed;
};

static void
csv_put(struct csv_buf *b, const char *s, size_t n)
{
	char	*nd;
	size_t	 cap;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((nd = realloc(b->data, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Could a spreadsheet take s for a formula (or is it quoted already)? */
static int
csv_formula_like(const char *s)
{
	return (*s != '\0' && strchr("=+-@\t\r'", *s) != NULL);
}

/* One field, quoted when it must be, after a comma unless it is first. */
static void
csv_field(struct csv_buf *b, const char *s, int first)
{
	const char	*p;
	int		 formula;

	if (!first)
		csv_put(b, ",", 1);
	if (s == NULL)
		return;
	formula = csv_formula_like(s);
	/* An empty answer is not no answer: quote it. */
	if (!formula && *s != '\0' && strpbrk(s, ",\"\r\n") == NULL) {
		csv_put(b, s, strlen(s));
		return;
	}
	csv_put(b, "\"", 1);
	if (formula)
		csv_put(b, "'", 1);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			csv_put(b, "\"\"", 2);
		else
			csv_put(b, p, 1);
	}
	csv_put(b, "\"", 1);
}

static const char *const csv_fixed[] = {
	"id", "external_id", "partner", "created_at", "submitted_at",
	"channel", "status", "void_reason", NULL
};

/* The ids a choices or objectives question offers. */
static json_t *
csv_choices(json_t *q, json_t *objectives)
{
	const char	*type;

	type = json_string_value(json_object_get(q, "type"));
	if (type != NULL && !strcmp(type, "objectives"))
		return (objectives);
	if (type != NULL && !strcmp(type, "choices"))
		return (json_object_get(q, "options"));
	return (NULL);
}

static int
csv_chosen(json_t *answer, const char *id)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(answer, i, e) {
		if (json_is_string(e) && !strcmp(json_string_value(e), id))
			return (1);
	}
	return (0);
}

/*
 * Render items (responses as the API shows them) of survey (its published
 * document) as CSV, with a header line.  objectives: the ids of the plan's
 * objectives.  Returns a new string (free() it) and its length.
 */
char *
csv_responses(json_t *items, json_t *survey, json_t *objectives, size_t *len)
{
	return (csv_responses_rows(items, survey, objectives, 1, len));
}

/*
 * The same, with the header line only when header is set: the lines of a
 * file rendered in parts (an export, batch by batch) are the same as those
 * of the file rendered whole.
 */
char *
csv_responses_rows(json_t *items, json_t *survey, json_t *objectives,
    int header, size_t *len)
{
	struct csv_buf	 b;
	json_t		*qs, *q, *r, *answers, *a, *choices, *id;
	const char	*qid;
	char		 col[300];
	size_t		 i, j, k;
	int		 f;

	memset(&b, 0, sizeof(b));
	qs = json_object_get(survey, "questions");

	for (f = 0; header && csv_fixed[f] != NULL; f++)
		csv_field(&b, csv_fixed[f], f == 0);
	json_array_foreach(qs, i, q) {
		if (!header)
			break;
		qid = json_string_value(json_object_get(q, "id"));
		if ((choices = csv_choices(q, objectives)) == NULL) {
			csv_field(&b, qid, 0);
			continue;
		}
		json_array_foreach(choices, j, id) {
			(void)snprintf(col, sizeof(col), "%s/%s", qid,
			    json_string_value(id));
			csv_field(&b, col, 0);
		}
	}
	if (header)
		csv_put(&b, "\r\n", 2);

	json_array_foreach(items, k, r) {
		for (f = 0; csv_fixed[f] != NULL; f++)
			csv_field(&b, json_string_value(json_object_get(r,
			    csv_fixed[f])), f == 0);
		answers = json_object_get(r, "answers");
		json_array_foreach(qs, i, q) {
			qid = json_string_value(json_object_get(q, "id"));
			a = json_object_get(answers, qid);
			if ((choices = csv_choices(q, objectives)) == NULL) {
				csv_field(&b, json_string_value(a), 0);
				continue;
			}
			json_array_foreach(choices, j, id) {
				if (!json_is_array(a))
					csv_field(&b, NULL, 0);
				else
					csv_field(&b, csv_chosen(a,
					    json_string_value(id)) ? "1" : "0",
					    0);
			}
		}
		csv_put(&b, "\r\n", 2);
	}

	csv_put(&b, "", 0);	/* no rows, no header: "" */
	if (b.failed) {
		free(b.data);
		return (NULL);
	}
	*len = b.len;
	return (b.data);
}

/*
 * Render rows, an array of arrays of strings (null: an empty cell), as
 * CSV with the same rules as responses.  Returns a new string (free() it)
 * and its length, or NULL when memory ran out.
 */
char *
csv_table(json_t *rows, size_t *len)
{
	struct csv_buf	 b;
	json_t		*row, *cell;
	size_t		 i, j;

	memset(&b, 0, sizeof(b));
	json_array_foreach(rows, i, row) {
		json_array_foreach(row, j, cell)
			csv_field(&b, json_string_value(cell), j == 0);
		csv_put(&b, "\r\n", 2);
	}
	csv_put(&b, "", 0);
	if (b.failed) {
		free(b.data);
		return (NULL);
	}
	*len = b.len;
	return (b.data);
}

/* Append cell [s, s + n) to row, a leading single quote dropped once. */
static int
csv_cell_add(json_t *row, const char *s, size_t n, int quoted)
{
	if (quoted && n > 0 && s[0] == '\'') {
		s++;
		n--;
	}
	return (json_array_append_new(row, json_stringn(s, n)));
}

/*
 * Parse the CSV text [data, data + len) (RFC 4180: fields quoted or not,
 * "" for a quote inside quotes, lines ending in CRLF or LF; the last line
 * may lack its end) into an array of rows, each an array of strings; a
 * quoted cell that begins with a single quote loses it (the rule
 * csv_field writes by).  Returns a new array, or NULL with err filled:
 * the line (from 1), the field (from 1) and what is wrong.
 */
json_t *
csv_read(const char *data, size_t len, struct csv_error *err)
{
	json_t		*rows, *row;
	struct csv_buf	 cell;
	size_t		 i, field, line;
	int		 quoted, fail;

	memset(err, 0, sizeof(*err));
	memset(&cell, 0, sizeof(cell));
	if ((rows = json_array()) == NULL)
		return (NULL);
	row = NULL;
	line = 1;
	field = 1;
	fail = 0;
	for (i = 0; i < len && !fail;) {
		if (row == NULL && (row = json_array()) == NULL) {
			fail = 1;
			break;
		}
		cell.len = 0;
		csv_put(&cell, "", 0);
		quoted = 0;
		if (data[i] == '"') {
			quoted = 1;
			for (i++;; i++) {
				if (i >= len) {
					err->message = "a quoted field is not "
					    "closed";
					fail = 1;
					break;
				}
				if (data[i] == '"') {
					if (i + 1 < len && data[i + 1] == '"') {
						csv_put(&cell, "\"", 1);
						i++;
						continue;
					}
					i++;
					break;
				}
				csv_put(&cell, data + i, 1);
			}
			if (!fail && i < len && data[i] != ',' &&
			    data[i] != '\r' && data[i] != '\n') {
				err->message = "text after a closing quote";
				fail = 1;
			}
		} else {
			for (; i < len && data[i] != ',' && data[i] != '\r' &&
			    data[i] != '\n'; i++) {
				if (data[i] == '"' || data[i] == '\0') {
					err->message = data[i] == '"' ?
					    "a quote inside an unquoted field" :
					    "a NUL byte";
					fail = 1;
					break;
				}
				csv_put(&cell, data + i, 1);
			}
		}
		if (fail)
			break;
		if (cell.failed || csv_cell_add(row, cell.data, cell.len,
		    quoted) == -1) {
			fail = 1;
			break;
		}
		if (i < len && data[i] == ',') {
			i++;
			field++;
			if (i == len && json_array_append_new(row,
			    json_string("")) == -1)
				fail = 1;
			continue;
		}
		/* The end of a line (CRLF, LF) or of the text. */
		if (i < len && data[i] == '\r') {
			if (i + 1 >= len || data[i + 1] != '\n') {
				err->message = "a CR without LF";
				fail = 1;
				break;
			}
			i++;
		}
		if (i < len)
			i++;
		if (json_array_append_new(rows, row) == -1) {
			row = NULL;
			fail = 1;
			break;
		}
		row = NULL;
		line++;
		field = 1;
	}
	if (!fail && row != NULL && json_array_append_new(rows, row) == -1)
		fail = 1;
	else if (!fail)
		row = NULL;
	free(cell.data);
	if (fail) {
		json_decref(row);
		json_decref(rows);
		err->line = line;
		err->field = field;
		if (err->message == NULL)
			err->message = "out of memory";
		return (NULL);
	}
	return (rows);
}

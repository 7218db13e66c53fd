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

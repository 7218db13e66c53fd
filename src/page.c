/*
 * One page of a collection.  Members are kept in ascending key order; a
 * page starts after the key its cursor carries, so pages neither skip nor
 * repeat members when others are added or removed between requests.
 */

#include <stdio.h>
#include <string.h>

#include "civic.h"

/*
 * Build the envelope {"items", "limit", "next_cursor", "next"} for the page
 * described by rq.  Returns a new reference, or NULL if memory ran out.
 * The members are shared with src (their reference counts are raised).
 */
json_t *
page_build(const struct page_source *src, const struct page_request *rq,
    char *cursor, size_t cursorlen)
{
	json_t		*env, *items, *next;
	size_t		 i, shown;
	int64_t		 last;
	int		 more;
	char		 link[CIVIC_PATH_MAX + 128];

	if ((items = json_array()) == NULL)
		return (NULL);

	shown = 0;
	more = 0;
	last = 0;

	for (i = 0; i < src->count; i++) {
		if (rq->has_after && src->keys[i] <= rq->after)
			continue;
		if (rq->filter_value != NULL && (src->filters[i] == NULL ||
		    strcmp(src->filters[i], rq->filter_value) != 0))
			continue;
		if (shown == (size_t)rq->limit) {
			more = 1;
			break;
		}
		if (json_array_append(items, src->members[i]) == -1) {
			json_decref(items);
			return (NULL);
		}
		last = src->keys[i];
		shown++;
	}

	next = json_null();
	cursor[0] = '\0';
	if (more) {
		(void)cursor_encode(last, cursor_scope(src->path,
		    rq->filter_value), cursor, cursorlen);
		if (rq->filter_value != NULL) {
			(void)snprintf(link, sizeof(link),
			    "%s?%s=%s&limit=%ld&cursor=%s", src->path,
			    rq->filter_param, rq->filter_value, rq->limit,
			    cursor);
		} else {
			(void)snprintf(link, sizeof(link),
			    "%s?limit=%ld&cursor=%s", src->path, rq->limit,
			    cursor);
		}
		next = json_string(link);
	}

	env = json_pack("{s:o, s:I, s:o, s:o}", "items", items,
	    "limit", (json_int_t)rq->limit,
	    "next_cursor", more ? json_string(cursor) : json_null(),
	    "next", next);

	return (env);
}

/* The Link header value for a next page: <next>; rel="next". */
int
page_link(const char *next, char *out, size_t len)
{
	int	n;

	n = snprintf(out, len, "<%s>; rel=\"next\"", next);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

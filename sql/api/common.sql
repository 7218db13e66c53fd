CREATE FUNCTION api_time(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

-- What every API function answers: the HTTP status, the body and Location.
CREATE TYPE api_result AS (status integer, body text, location text);

/*
 * A problem document (RFC 9457), by its code: 'not-found' is the type
 * /problems/not-found.  The service alone gives a code its title and its
 * status (src/problem.c): it adds them to the body, and refuses an answer
 * whose status is not the code's.  p_extra's members join the body.  A
 * detail (here and in a fault) is at most 1000 characters:
 * one that quotes what the client sent is cut there.
 */
CREATE FUNCTION api_problem(p_code text, p_detail text,
    p_extra jsonb DEFAULT NULL)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT (jsonb_build_object('type', '/problems/' || p_code,
	    'detail', left(p_detail, 1000)) || COALESCE(p_extra, '{}'::jsonb))::text
$$;

-- The two problems every function with a key and a survey may answer.
CREATE FUNCTION api_unauthorized() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT api_problem('unauthorized',
	    'The API key is missing, unknown or revoked.')
$$;

CREATE FUNCTION api_no_survey(p_survey text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT api_problem('not-found', format('No survey %L.', p_survey))
$$;

CREATE FUNCTION api_invalid(p_errors jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT api_problem('invalid-body',
	    'The request body has ' || jsonb_array_length(p_errors) ||
	    ' fault(s); see errors.', jsonb_build_object('errors', p_errors))
$$;

CREATE FUNCTION api_fault(p_pointer text, p_detail text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_array(jsonb_build_object('pointer', p_pointer,
	    'detail', left(p_detail, 1000)))
$$;

-- Faults for members of p_body not in p_allowed.
CREATE FUNCTION api_unknown_members(p_body jsonb, p_allowed text[],
    p_prefix text DEFAULT '')
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT COALESCE(jsonb_agg(jsonb_build_object('pointer',
	    p_prefix || '/' || replace(replace(k, '~', '~0'), '/', '~1'),
	    'detail', left(format('Unknown member %L.', k), 1000))), '[]'::jsonb)
	FROM jsonb_object_keys(p_body) AS k
	WHERE k <> ALL (p_allowed)
$$;

-- An RFC 3339 date-time with a zone, that is also a real instant.
CREATE FUNCTION api_is_time(p text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF p !~ ('^\d{4}-(0[1-9]|1[0-2])-\d{2}T([01]\d|2[0-3]):[0-5]\d:'
	    '[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$') THEN
		RETURN false;
	END IF;
	PERFORM p::timestamptz;
	RETURN true;
EXCEPTION WHEN others THEN
	RETURN false;
END
$$;

-- The strong ETag of an item: the same for the service's snapshot and for
-- the functions that test If-Match.
CREATE FUNCTION api_etag(j json) RETURNS text
LANGUAGE sql IMMUTABLE AS
$$ SELECT '"' || left(md5(j::text), 16) || '"' $$;

CREATE FUNCTION api_no_plan(p_plan text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT api_problem('not-found', format('No plan %L.', p_plan))
$$;

------------------------------------------------------------------------
-- Checks of body members, each giving a list of faults

CREATE FUNCTION api_text_fault(p_body jsonb, p_member text, p_min integer,
    p_max integer, p_required boolean)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
	WHEN NOT p_body ? p_member THEN CASE WHEN p_required THEN
	    api_fault('/' || p_member, format('Required: %s to %s characters.',
	    p_min, p_max)) ELSE '[]'::jsonb END
	WHEN jsonb_typeof(p_body->p_member) <> 'string' OR
	    length(p_body->>p_member) NOT BETWEEN p_min AND p_max THEN
	    api_fault('/' || p_member, format('Must be a string of %s to %s '
	    'characters.', p_min, p_max))
	ELSE '[]'::jsonb END
$$;

CREATE FUNCTION api_slug_fault(p_body jsonb, p_member text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_body ? p_member AND (jsonb_typeof(p_body->p_member)
	    <> 'string' OR (p_body->>p_member) !~ '^[a-z0-9]+(-[a-z0-9]+)*$' OR
	    length(p_body->>p_member) > 100) THEN
	    api_fault('/' || p_member, 'Must be an id: lowercase letters, '
	    'digits and single dashes, at most 100 characters.')
	ELSE '[]'::jsonb END
$$;

CREATE FUNCTION api_enum_fault(p_body jsonb, p_member text, p_values text[])
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_body ? p_member AND (jsonb_typeof(p_body->p_member)
	    <> 'string' OR NOT (p_body->>p_member) = ANY (p_values)) THEN
	    api_fault('/' || p_member, 'Must be one of: ' ||
	    array_to_string(p_values, ', ') || '.')
	ELSE '[]'::jsonb END
$$;

-- An integer from p_min to p_max, if present.
CREATE FUNCTION api_int_fault(p_body jsonb, p_member text,
    p_min integer, p_max integer)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_body ? p_member AND (NOT api_is_integer(
	    p_body->p_member) OR (p_body->>p_member)::numeric
	    NOT BETWEEN p_min AND p_max) THEN
	    api_fault('/' || p_member, format('Must be an integer from %s to '
	    '%s.', p_min, p_max))
	ELSE '[]'::jsonb END
$$;

-- A calendar date, YYYY-MM-DD.
CREATE FUNCTION api_is_date(p text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF p !~ '^\d{4}-\d{2}-\d{2}$' THEN
		RETURN false;
	END IF;
	PERFORM p::date;
	RETURN true;
EXCEPTION WHEN others THEN
	RETURN false;
END
$$;

CREATE FUNCTION api_date_fault(p_body jsonb, p_member text,
    p_required boolean, p_nullable boolean)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
	WHEN NOT p_body ? p_member THEN CASE WHEN p_required THEN
	    api_fault('/' || p_member, 'Required: a date, YYYY-MM-DD.')
	    ELSE '[]'::jsonb END
	WHEN jsonb_typeof(p_body->p_member) = 'null' AND p_nullable THEN
	    '[]'::jsonb
	WHEN jsonb_typeof(p_body->p_member) <> 'string' OR
	    NOT api_is_date(p_body->>p_member) THEN
	    api_fault('/' || p_member, CASE WHEN p_nullable THEN
	    'Must be a date, YYYY-MM-DD, or null.' ELSE
	    'Must be a date, YYYY-MM-DD.' END)
	ELSE '[]'::jsonb END
$$;

-- A period: {"start": year or null, "end": year or null}, start <= end.
CREATE FUNCTION api_period_fault(p_body jsonb, p_member text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	v	jsonb := p_body->p_member;
	e	jsonb;
	m	text;
BEGIN
	IF NOT p_body ? p_member THEN
		RETURN '[]';
	END IF;
	IF jsonb_typeof(v) <> 'object' THEN
		RETURN api_fault('/' || p_member,
		    'Must be an object: {"start": year, "end": year}.');
	END IF;
	e := api_unknown_members(v, '{start,end}', '/' || p_member);
	FOREACH m IN ARRAY '{start,end}'::text[] LOOP
		IF v ? m AND jsonb_typeof(v->m) <> 'null' THEN
			e := e || api_int_fault(v, m, 1900, 2999);
		END IF;
	END LOOP;
	IF jsonb_array_length(e) > 0 THEN
		-- The pointers name members of the period.
		RETURN (SELECT jsonb_agg(CASE WHEN f->>'pointer' LIKE '/' ||
		    p_member || '/%' THEN f ELSE jsonb_set(f, '{pointer}',
		    to_jsonb('/' || p_member || (f->>'pointer'))) END)
		    FROM jsonb_array_elements(e) f);
	END IF;
	IF (v->>'start')::integer > (v->>'end')::integer THEN
		RETURN api_fault('/' || p_member || '/end',
		    'Must not be before start.');
	END IF;
	RETURN '[]';
END
$$;

------------------------------------------------------------------------
-- Ids, positions, preconditions

-- An id made from a title: lowercase, other characters as single dashes.
CREATE FUNCTION api_slugify(p_title text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT COALESCE(NULLIF(trim(BOTH '-' FROM left(trim(BOTH '-' FROM
	    regexp_replace(lower(p_title), '[^a-z0-9]+', '-', 'g')), 80)), ''),
	    'untitled')
$$;

-- p_base, or p_base-2, -3... the first not in p_taken.
CREATE FUNCTION api_free_slug(p_base text, p_taken text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT s FROM (SELECT p_base AS s, 1 AS n UNION ALL
	    SELECT p_base || '-' || i, i FROM generate_series(2,
	    cardinality(p_taken) + 2) AS i) AS c
	WHERE s <> ALL (p_taken) ORDER BY n LIMIT 1
$$;

/*
 * Does If-Match allow a write to an item whose ETag is p_etag (NULL: no
 * such item)?  p_if_match comes from the service: NULL (no header), '*',
 * or the strong tags listed, quoted, joined by commas.
 */
CREATE FUNCTION api_if_match(p_if_match text, p_etag text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT p_if_match IS NULL OR (p_etag IS NOT NULL AND (p_if_match = '*'
	    OR p_etag = ANY (string_to_array(p_if_match, ','))))
$$;

CREATE FUNCTION api_precondition_failed(p_what text, p_etag text)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE sql IMMUTABLE AS $$
	SELECT 412, api_problem('precondition-failed',
	    CASE WHEN p_etag IS NULL THEN
	    format('%s does not exist, so If-Match cannot match.', p_what)
	    ELSE format('%s changed since your copy: If-Match does not match '
	    'its ETag %s. Read it again, then retry.', p_what, p_etag) END,
	    jsonb_build_object('etag', p_etag)), NULL::text, NULL::text
$$;

CREATE FUNCTION api_invalid_result(p_errors jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE sql IMMUTABLE AS $$
	SELECT 422, api_invalid(p_errors), NULL::text, NULL::text
$$;

CREATE FUNCTION api_id_fault(p_member text, p_what text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT api_fault('/' || p_member, format('The plan was adopted: the '
	    'ids of its %s can no longer change (titles can).', p_what))
$$;

------------------------------------------------------------------------
-- Goals

CREATE FUNCTION api_no_item(p_kind text, p_id text, p_plan text)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE sql IMMUTABLE AS $$
	SELECT 404, api_problem('not-found',
	    format('No %s %L in plan %L.', p_kind, p_id, p_plan)), NULL::text,
	    NULL::text
$$;

-- A JSON integer (no fraction, no exponent), as ->> writes it.
CREATE FUNCTION api_is_integer(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_typeof(v) = 'number' AND (v #>> '{}') ~ '^-?[0-9]+$'
$$;

CREATE FUNCTION api_is_time_zone(p text) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT p NOT IN ('localtime', 'Factory', 'posixrules') AND
	    p !~ '^(posix|right)/' AND
	    EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = p)
$$;

-- 016: values the database cannot store are faults (422), never errors
-- (500), and a few lenient checks are strict.
--
-- * An integer member is a JSON integer: 1.0, 1e0 or -0.0 are numbers
--   PostgreSQL will not cast to integer (positions, periods, a question's
--   min, max and max_length).
-- * Ids and the other text members of a survey and its questions are JSON
--   strings: true or 12345 are not ids.
-- * A date-time is a real instant: no hour 24, no second 60 (PostgreSQL
--   reads both, as the next day or minute).
-- * A time zone is an IANA name: not "localtime" (whatever the database
--   server's clock is set to), "Factory" or "posixrules", nor the copies
--   under posix/ and right/.
-- * A survey without a plan gets that one fault, not also one for each
--   objectives question's min and max.

-- A JSON integer (no fraction, no exponent), as ->> writes it.
CREATE FUNCTION api_is_integer(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_typeof(v) = 'number' AND (v #>> '{}') ~ '^-?[0-9]+$'
$$;

CREATE OR REPLACE FUNCTION api_int_fault(p_body jsonb, p_member text,
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

CREATE OR REPLACE FUNCTION api_is_time(p text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF p !~ ('^\d{4}-(0[1-9]|1[0-2])-\d{2}T([01]\d|2[0-3]):[0-5]\d:'
	    '[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$') THEN
		RETURN false;
	END IF;
	PERFORM p::timestamptz;
	RETURN true;
EXCEPTION WHEN others THEN
	RETURN false;
END
$$;

CREATE FUNCTION api_is_time_zone(p text) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT p NOT IN ('localtime', 'Factory', 'posixrules') AND
	    p !~ '^(posix|right)/' AND
	    EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = p)
$$;

CREATE OR REPLACE FUNCTION api_survey_faults(p_body jsonb, p_create boolean,
    p_plan bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
	e		jsonb := '[]';
	q		jsonb;
	i		integer := 0;
	p		text;
	n		integer;
	ids		text[] := '{}';
	opt		jsonb;
	nobj		integer;
BEGIN
	IF jsonb_typeof(p_body) IS DISTINCT FROM 'object' THEN
		RETURN api_fault('', 'The body must be an object.');
	END IF;

	e := e || api_unknown_members(p_body, CASE WHEN p_create THEN
	    '{id,plan,title,description,opens_at,closes_at,timezone,status,results_visibility,partners,questions}'::text[]
	    ELSE
	    '{title,description,opens_at,closes_at,timezone,status,results_visibility,partners,questions}'::text[]
	    END);

	IF p_create THEN
		IF jsonb_typeof(p_body->'id') IS DISTINCT FROM 'string' OR
		    (p_body->>'id') !~ '^[a-z0-9]+(-[a-z0-9]+)*$' OR
		    length(p_body->>'id') > 100 THEN
			e := e || api_fault('/id', 'Required: a slug (lowercase '
			    'letters, digits and dashes).');
		ELSIF EXISTS (SELECT 1 FROM surveys WHERE slug =
		    p_body->>'id') THEN
			e := e || api_fault('/id', 'A survey has this id.');
		END IF;
		IF p_plan IS NULL OR jsonb_typeof(p_body->'plan') IS DISTINCT
		    FROM 'string' THEN
			e := e || api_fault('/plan', 'Required: the id of a '
			    'plan.');
		END IF;
		FOREACH p IN ARRAY '{title,opens_at,closes_at,questions}'::text[]
		LOOP
			IF NOT p_body ? p THEN
				e := e || api_fault('/' || p, 'Required.');
			END IF;
		END LOOP;
	END IF;

	IF p_body ? 'title' AND (jsonb_typeof(p_body->'title') <> 'string' OR
	    length(p_body->>'title') NOT BETWEEN 1 AND 200) THEN
		e := e || api_fault('/title', 'Must be 1 to 200 characters.');
	END IF;
	IF p_body ? 'description' AND (jsonb_typeof(p_body->'description') <>
	    'string' OR length(p_body->>'description') > 2000) THEN
		e := e || api_fault('/description',
		    'Must be at most 2000 characters.');
	END IF;
	FOREACH p IN ARRAY '{opens_at,closes_at}'::text[] LOOP
		IF p_body ? p AND (jsonb_typeof(p_body->p) <> 'string' OR
		    NOT api_is_time(p_body->>p)) THEN
			e := e || api_fault('/' || p, 'Must be an RFC 3339 '
			    'date-time with a time zone.');
		END IF;
	END LOOP;
	IF p_body ? 'timezone' AND (jsonb_typeof(p_body->'timezone') <>
	    'string' OR NOT api_is_time_zone(p_body->>'timezone')) THEN
		e := e || api_fault('/timezone',
		    'Must be an IANA time zone, such as America/Chicago.');
	END IF;
	IF p_body ? 'status' AND (jsonb_typeof(p_body->'status') <> 'string'
	    OR (p_body->>'status') IS DISTINCT FROM 'draft'
	    AND (p_body->>'status') IS DISTINCT FROM 'open'
	    AND (p_body->>'status') IS DISTINCT FROM 'closed') THEN
		e := e || api_fault('/status', 'Must be draft, open or closed.');
	END IF;
	IF p_body ? 'results_visibility' AND
	    (jsonb_typeof(p_body->'results_visibility') <> 'string' OR
	    (p_body->>'results_visibility') NOT IN ('public', 'after_close',
	    'admin')) THEN
		e := e || api_fault('/results_visibility',
		    'Must be public, after_close or admin.');
	END IF;
	IF p_body ? 'partners' THEN
		IF jsonb_typeof(p_body->'partners') <> 'array' THEN
			e := e || api_fault('/partners',
			    'Must be an array of partner key ids.');
		ELSE
			FOR opt IN SELECT * FROM jsonb_array_elements(
			    p_body->'partners') LOOP
				IF jsonb_typeof(opt) <> 'string' OR NOT EXISTS
				    (SELECT 1 FROM api_keys WHERE public_id =
				    opt #>> '{}' AND role = 'partner') THEN
					e := e || api_fault('/partners',
					    format('No partner key %s.', opt));
				END IF;
			END LOOP;
		END IF;
	END IF;

	IF p_body ? 'questions' THEN
		IF jsonb_typeof(p_body->'questions') <> 'array' OR
		    jsonb_array_length(p_body->'questions') NOT BETWEEN 1 AND 50
		    THEN
			e := e || api_fault('/questions',
			    'Must be an array of 1 to 50 questions.');
		ELSE
			-- No plan (a fault already): no count to check
			-- min and max against (NULL passes).
			IF p_plan IS NOT NULL THEN
				SELECT count(*) INTO nobj FROM objectives
				WHERE plan_id = p_plan;
			END IF;
			FOR q IN SELECT * FROM jsonb_array_elements(
			    p_body->'questions') LOOP
				p := '/questions/' || i;
				e := e || api_question_faults(q, p, nobj, ids);
				ids := ids || (q->>'id');
				i := i + 1;
			END LOOP;
		END IF;
	END IF;

	RETURN e;
END
$$;

CREATE OR REPLACE FUNCTION api_question_faults(q jsonb, p text, p_objectives integer,
    p_seen text[])
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
#variable_conflict use_column
DECLARE
	e	jsonb := '[]';
	t	text := q->>'type';
	nopt	integer;
BEGIN
	IF jsonb_typeof(q) IS DISTINCT FROM 'object' THEN
		RETURN api_fault(p, 'Must be an object.');
	END IF;
	e := api_unknown_members(q, '{id,prompt,type,required,min,max,options,max_length}', p);
	IF jsonb_typeof(q->'id') IS DISTINCT FROM 'string' OR
	    (q->>'id') !~ '^[a-z0-9]+(-[a-z0-9]+)*$' OR
	    length(q->>'id') > 100 THEN
		e := e || api_fault(p || '/id', 'Required: a slug.');
	ELSIF (q->>'id') = ANY (p_seen) THEN
		e := e || api_fault(p || '/id', 'Two questions have this id.');
	END IF;
	IF jsonb_typeof(q->'prompt') IS DISTINCT FROM 'string' OR
	    length(q->>'prompt') NOT BETWEEN 1 AND 500 THEN
		e := e || api_fault(p || '/prompt',
		    'Required: 1 to 500 characters.');
	END IF;
	IF jsonb_typeof(q->'type') IS DISTINCT FROM 'string' OR
	    t NOT IN ('agreement', 'objectives', 'choice', 'choices', 'text')
	    THEN
		RETURN e || api_fault(p || '/type', 'Required: agreement, '
		    'objectives, choice, choices or text.');
	END IF;
	IF q ? 'required' AND jsonb_typeof(q->'required') <> 'boolean' THEN
		e := e || api_fault(p || '/required', 'Must be true or false.');
	END IF;

	IF t IN ('choice', 'choices') THEN
		IF jsonb_typeof(q->'options') IS DISTINCT FROM 'array' OR
		    jsonb_array_length(q->'options') NOT BETWEEN 2 AND 50 OR
		    EXISTS (SELECT 1 FROM jsonb_array_elements(q->'options') o
		    WHERE jsonb_typeof(o) <> 'string' OR
		    length(o #>> '{}') NOT BETWEEN 1 AND 100) OR
		    (SELECT count(DISTINCT o) <> count(*) FROM
		    jsonb_array_elements(q->'options') o) THEN
			e := e || api_fault(p || '/options', 'Required: 2 to 50 '
			    'distinct strings of 1 to 100 characters.');
		END IF;
	ELSIF q ? 'options' THEN
		e := e || api_fault(p || '/options',
		    'Only choice and choices questions have options.');
	END IF;

	IF t IN ('objectives', 'choices') THEN
		nopt := CASE WHEN t = 'objectives' THEN p_objectives ELSE
		    COALESCE(jsonb_array_length(CASE WHEN jsonb_typeof(
		    q->'options') = 'array' THEN q->'options' END), 0) END;
		IF q ? 'min' AND (NOT api_is_integer(q->'min') OR
		    (q->>'min')::numeric NOT BETWEEN 0 AND nopt) THEN
			e := e || api_fault(p || '/min',
			    format('Must be an integer from 0 to %s.', nopt));
		END IF;
		IF q ? 'max' AND (NOT api_is_integer(q->'max') OR
		    (q->>'max')::numeric NOT BETWEEN 1 AND nopt OR
		    (q ? 'min' AND api_is_integer(q->'min') AND
		    (q->>'max')::numeric < (q->>'min')::numeric)) THEN
			e := e || api_fault(p || '/max', format('Must be an '
			    'integer from max(1, min) to %s.', nopt));
		END IF;
	ELSIF q ? 'min' OR q ? 'max' THEN
		e := e || api_fault(p, 'Only objectives and choices questions '
		    'have min and max.');
	END IF;

	IF t = 'text' THEN
		IF q ? 'max_length' AND (NOT api_is_integer(q->'max_length') OR
		    (q->>'max_length')::numeric NOT BETWEEN 1 AND 10000) THEN
			e := e || api_fault(p || '/max_length',
			    'Must be an integer from 1 to 10000.');
		END IF;
	ELSIF q ? 'max_length' THEN
		e := e || api_fault(p || '/max_length',
		    'Only text questions have max_length.');
	END IF;

	RETURN e;
END
$$;

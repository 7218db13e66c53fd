-- Faults in a survey body (p_create: a POST, else a PATCH of p_survey).
CREATE FUNCTION api_survey_faults(p_body jsonb, p_create boolean,
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
		ELSIF jsonb_array_length(p_body->'partners') > 100 THEN
			e := e || api_fault('/partners',
			    'At most 100 partner key ids.');
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

CREATE FUNCTION api_question_faults(q jsonb, p text, p_objectives integer,
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

-- The survey document for admins: the public one and its partners.
CREATE FUNCTION api_survey_admin_json(p_survey bigint) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT left(s.document::text, -1) || ', "partners" : ' ||
	    COALESCE((SELECT json_agg(k.public_id ORDER BY k.public_id)
	    FROM survey_partners sp JOIN api_keys k ON k.id = sp.key_id
	    WHERE sp.survey_id = p_survey), '[]'::json)::text || '}'
	FROM api_survey s WHERE s.id = p_survey
$$;

CREATE FUNCTION api_survey_put_questions(p_survey bigint, p_questions jsonb)
RETURNS void
LANGUAGE sql AS $$
	DELETE FROM survey_questions WHERE survey_id = p_survey;
	INSERT INTO survey_questions (survey_id, qid, position, prompt, type,
	    required, min_choices, max_choices, options, max_length)
	SELECT p_survey, q->>'id', n, q->>'prompt', q->>'type',
	    COALESCE((q->>'required')::boolean, true),
	    CASE WHEN q->>'type' IN ('objectives', 'choices')
		THEN COALESCE((q->>'min')::integer, 0) END,
	    CASE WHEN q->>'type' IN ('objectives', 'choices')
		THEN (q->>'max')::integer END,
	    CASE WHEN q ? 'options' THEN ARRAY(SELECT
		jsonb_array_elements_text(q->'options')) END,
	    CASE WHEN q->>'type' = 'text'
		THEN COALESCE((q->>'max_length')::integer, 1000) END
	FROM jsonb_array_elements(p_questions) WITH ORDINALITY AS x (q, n);
$$;

CREATE FUNCTION api_survey_put_partners(p_survey bigint, p_partners jsonb)
RETURNS void
LANGUAGE sql AS $$
	DELETE FROM survey_partners WHERE survey_id = p_survey;
	INSERT INTO survey_partners (survey_id, key_id)
	SELECT DISTINCT p_survey, k.id FROM api_keys k
	WHERE k.public_id IN (SELECT jsonb_array_elements_text(p_partners));
$$;

CREATE FUNCTION api_survey_create(p_hash bytea, p_body jsonb)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
	e	jsonb;
	v_plan	bigint;
	v_id	bigint;
BEGIN
	a := api_admin(p_hash);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text;
		RETURN;
	END IF;

	IF jsonb_typeof(p_body) = 'object' THEN
		SELECT id INTO v_plan FROM plans WHERE slug = p_body->>'plan';
	END IF;
	e := api_survey_faults(p_body, true, v_plan);
	IF jsonb_array_length(e) = 0 AND (p_body->>'closes_at')::timestamptz
	    <= (p_body->>'opens_at')::timestamptz THEN
		e := api_fault('/closes_at', 'Must be after opens_at.');
	END IF;
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT 422, api_invalid(e), NULL::text;
		RETURN;
	END IF;

	INSERT INTO surveys (plan_id, slug, title, description, opens_at,
	    closes_at, timezone, status, results_visibility)
	VALUES (v_plan, p_body->>'id', p_body->>'title',
	    COALESCE(p_body->>'description', ''),
	    (p_body->>'opens_at')::timestamptz,
	    (p_body->>'closes_at')::timestamptz,
	    COALESCE(p_body->>'timezone', 'UTC'),
	    COALESCE(p_body->>'status', 'draft'),
	    COALESCE(p_body->>'results_visibility', 'after_close'))
	RETURNING id INTO v_id;
	PERFORM api_survey_put_questions(v_id, p_body->'questions');
	PERFORM api_tally_prepare(v_id);
	PERFORM api_survey_put_partners(v_id, COALESCE(p_body->'partners',
	    '[]'));

	RETURN QUERY SELECT 201, api_survey_admin_json(v_id),
	    '/v1/surveys/' || (p_body->>'id');
END
$$;

CREATE FUNCTION api_survey_update(p_hash bytea, p_survey text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
	s	surveys;
	e	jsonb;
BEGIN
	a := api_admin(p_hash);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text;
		RETURN;
	END IF;
	SELECT * INTO s FROM surveys WHERE slug = p_survey FOR UPDATE;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, api_no_survey(p_survey), NULL::text;
		RETURN;
	END IF;

	e := api_survey_faults(p_body, false, s.plan_id);
	IF jsonb_array_length(e) = 0 AND
	    COALESCE((p_body->>'closes_at')::timestamptz, s.closes_at) <=
	    COALESCE((p_body->>'opens_at')::timestamptz, s.opens_at) THEN
		e := api_fault('/closes_at', 'Must be after opens_at.');
	END IF;
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT 422, api_invalid(e), NULL::text;
		RETURN;
	END IF;

	IF p_body ? 'questions' AND
	    EXISTS (SELECT 1 FROM responses WHERE survey_id = s.id) THEN
		RETURN QUERY SELECT 409, api_problem('survey-has-responses',
		    format('Survey %L has responses: its questions can no '
		    'longer change.', p_survey)), NULL::text;
		RETURN;
	END IF;

	UPDATE surveys SET
	    title = COALESCE(p_body->>'title', title),
	    description = COALESCE(p_body->>'description', description),
	    opens_at = COALESCE((p_body->>'opens_at')::timestamptz, opens_at),
	    closes_at = COALESCE((p_body->>'closes_at')::timestamptz,
		closes_at),
	    timezone = COALESCE(p_body->>'timezone', timezone),
	    status = COALESCE(p_body->>'status', status),
	    results_visibility = COALESCE(p_body->>'results_visibility',
		results_visibility),
	    updated_at = now()
	WHERE id = s.id;
	IF p_body ? 'questions' THEN
		PERFORM api_survey_put_questions(s.id, p_body->'questions');
		-- No responses yet (checked above): the counters start again.
		DELETE FROM tally_counters WHERE survey_id = s.id;
		PERFORM api_tally_prepare(s.id);
	END IF;
	IF p_body ? 'partners' THEN
		PERFORM api_survey_put_partners(s.id, p_body->'partners');
	END IF;

	RETURN QUERY SELECT 200, api_survey_admin_json(s.id), NULL::text;
END
$$;

------------------------------------------------------------------------
-- Surveys, keys and voids, recorded: these call the functions of 009 and
-- 010, and record what they changed.

CREATE FUNCTION api_survey_post(p_hash bytea, p_request text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
	r	record;
	s	record;
BEGIN
	a := api_actor(p_hash, p_request);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	-- A draft plan is for admins only: so are surveys, once it is
	-- published.
	IF jsonb_typeof(p_body) = 'object' AND EXISTS (SELECT 1 FROM plans
	    WHERE slug = p_body->>'plan' AND plans.status = 'draft') THEN
		RETURN QUERY SELECT * FROM api_invalid_result(api_fault('/plan',
		    format('Plan %s is a draft: a survey needs a published '
		    'plan.', p_body->'plan')));
		RETURN;
	END IF;
	SELECT * INTO r FROM api_survey_create(p_hash, p_body);
	IF r.status <> 201 THEN
		RETURN QUERY SELECT r.status, r.body, r.location, NULL::text;
		RETURN;
	END IF;
	SELECT x.plan_id, api_etag(v.document) AS etag INTO s
	FROM surveys x JOIN api_survey v ON v.id = x.id
	WHERE x.slug = p_body->>'id';
	PERFORM api_audit('survey', r.location, s.plan_id, 'create', NULL,
	    r.body::json);
	RETURN QUERY SELECT r.status, r.body, r.location, s.etag;
END
$$;

CREATE FUNCTION api_survey_patch(p_hash bytea, p_request text,
    p_survey text, p_if_match text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
	r	record;
	s	surveys;
	v_etag	text;
	v_before json;
BEGIN
	a := api_actor(p_hash, p_request);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	SELECT * INTO s FROM surveys WHERE slug = p_survey FOR UPDATE;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, api_no_survey(p_survey), NULL::text,
		    NULL::text;
		RETURN;
	END IF;
	SELECT api_etag(document) INTO v_etag FROM api_survey WHERE id = s.id;
	IF NOT api_if_match(p_if_match, v_etag) THEN
		RETURN QUERY SELECT * FROM api_precondition_failed(
		    format('Survey %L', p_survey), v_etag);
		RETURN;
	END IF;
	v_before := api_survey_admin_json(s.id)::json;

	SELECT * INTO r FROM api_survey_update(p_hash, p_survey, p_body);
	IF r.status <> 200 THEN
		RETURN QUERY SELECT r.status, r.body, r.location, NULL::text;
		RETURN;
	END IF;
	PERFORM api_audit('survey', '/v1/surveys/' || p_survey, s.plan_id,
	    'update', v_before, r.body::json);
	RETURN QUERY SELECT r.status, r.body, r.location,
	    (SELECT api_etag(document) FROM api_survey WHERE id = s.id);
END
$$;
-- 009: the admin and partner API: keys, survey writes, reading and voiding
-- responses, batches.  Each function is one transaction that checks the
-- caller's key and answers (status, body, location) for the service to
-- send; problem bodies follow RFC 9457.

-- The admin behind p_hash, or the 401/403 problem.
CREATE FUNCTION api_admin(p_hash bytea, OUT key_id bigint, OUT status integer,
    OUT body text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	k	record;
BEGIN
	SELECT * INTO k FROM api_key_use(p_hash);
	IF NOT FOUND THEN
		status := 401;
		body := api_unauthorized();
	ELSIF k.role <> 'admin' THEN
		status := 403;
		body := api_problem(403, 'forbidden', 'Forbidden',
		    'This needs an admin key.');
	ELSE
		key_id := k.key_id;
	END IF;
END
$$;

CREATE FUNCTION api_invalid(p_errors jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT api_problem(422, 'invalid-body', 'Invalid Body',
	    'The request body has ' || jsonb_array_length(p_errors) ||
	    ' fault(s); see errors.', jsonb_build_object('errors', p_errors))
$$;

CREATE FUNCTION api_fault(p_pointer text, p_detail text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_array(jsonb_build_object('pointer', p_pointer,
	    'detail', p_detail))
$$;

-- Faults for members of p_body not in p_allowed.
CREATE FUNCTION api_unknown_members(p_body jsonb, p_allowed text[],
    p_prefix text DEFAULT '')
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT COALESCE(jsonb_agg(jsonb_build_object('pointer',
	    p_prefix || '/' || replace(replace(k, '~', '~0'), '/', '~1'),
	    'detail', format('Unknown member %L.', k))), '[]'::jsonb)
	FROM jsonb_object_keys(p_body) AS k
	WHERE k <> ALL (p_allowed)
$$;

-- An RFC 3339 date-time with a zone, that is also a real instant.
CREATE FUNCTION api_is_time(p text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF p !~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$'
	    THEN
		RETURN false;
	END IF;
	PERFORM p::timestamptz;
	RETURN true;
EXCEPTION WHEN others THEN
	RETURN false;
END
$$;

------------------------------------------------------------------------
-- Keys

CREATE FUNCTION api_key_json(k api_keys) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
	    'id', k.public_id,
	    'name', k.name,
	    'role', k.role,
	    'prefix', k.prefix,
	    'surveys', COALESCE((SELECT json_agg(s.slug ORDER BY s.slug)
		FROM api_key_surveys ks JOIN surveys s ON s.id = ks.survey_id
		WHERE ks.key_id = k.id), '[]'::json),
	    'created_at', api_time(k.created_at),
	    'last_used_at', api_time(k.last_used_at),
	    'revoked_at', api_time(k.revoked_at))
$$;

/*
 * Create a key.  The service made the secret and passes only what is
 * stored: its public id, its first characters and its SHA-256.
 */
CREATE FUNCTION api_keys_create(p_hash bytea, p_body jsonb, p_public_id text,
    p_prefix text, p_secret bytea)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
	e	jsonb := '[]';
	k	api_keys;
	v	jsonb;
BEGIN
	a := api_admin(p_hash);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text;
		RETURN;
	END IF;

	IF jsonb_typeof(p_body) <> 'object' THEN
		RETURN QUERY SELECT 422, api_invalid(api_fault('',
		    'The body must be an object.')), NULL::text;
		RETURN;
	END IF;
	e := e || api_unknown_members(p_body, '{name,role,surveys}');
	IF jsonb_typeof(p_body->'name') IS DISTINCT FROM 'string' OR
	    length(p_body->>'name') NOT BETWEEN 1 AND 100 THEN
		e := e || api_fault('/name', 'Required: 1 to 100 characters.');
	END IF;
	IF (p_body->>'role') IS NULL OR
	    (p_body->>'role') NOT IN ('admin', 'partner') THEN
		e := e || api_fault('/role', 'Required: admin or partner.');
	END IF;
	IF p_body ? 'surveys' THEN
		IF jsonb_typeof(p_body->'surveys') <> 'array' THEN
			e := e || api_fault('/surveys',
			    'Must be an array of survey ids.');
		ELSIF p_body->>'role' = 'admin' THEN
			e := e || api_fault('/surveys',
			    'Only partner keys are limited to surveys.');
		ELSE
			FOR v IN SELECT * FROM jsonb_array_elements(
			    p_body->'surveys') LOOP
				IF jsonb_typeof(v) <> 'string' OR NOT EXISTS
				    (SELECT 1 FROM surveys
				    WHERE slug = v #>> '{}') THEN
					e := e || api_fault('/surveys',
					    format('No survey %s.', v));
				END IF;
			END LOOP;
		END IF;
	END IF;
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT 422, api_invalid(e), NULL::text;
		RETURN;
	END IF;

	INSERT INTO api_keys (public_id, name, role, prefix, secret_hash)
	VALUES (p_public_id, p_body->>'name', p_body->>'role', p_prefix,
	    p_secret)
	RETURNING * INTO k;
	INSERT INTO api_key_surveys (key_id, survey_id)
	SELECT DISTINCT k.id, s.id FROM surveys s
	WHERE s.slug IN (SELECT jsonb_array_elements_text(
	    COALESCE(p_body->'surveys', '[]')));

	RETURN QUERY SELECT 201, api_key_json(k)::text,
	    '/v1/keys/' || k.public_id;
END
$$;

-- A page of keys after p_after (the last id shown), oldest first.
CREATE FUNCTION api_keys_list(p_hash bytea, p_limit integer, p_after bigint)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
BEGIN
	a := api_admin(p_hash);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text;
		RETURN;
	END IF;

	RETURN QUERY
	WITH page AS (
		SELECT k FROM api_keys k WHERE k.id > COALESCE(p_after, 0)
		ORDER BY k.id LIMIT p_limit + 1
	), numbered AS (
		SELECT k, row_number() OVER (ORDER BY (k).id) AS n FROM page
	)
	SELECT 200, json_build_object(
	    'items', COALESCE(json_agg(api_key_json(k) ORDER BY (k).id)
		FILTER (WHERE n <= p_limit), '[]'::json),
	    'more', count(*) > p_limit,
	    'last', json_build_array(max((k).id) FILTER (WHERE n <= p_limit)))
	    ::text, NULL::text
	FROM numbered;
END
$$;

CREATE FUNCTION api_keys_revoke(p_hash bytea, p_public_id text)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
BEGIN
	a := api_admin(p_hash);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text;
		RETURN;
	END IF;

	UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
	WHERE public_id = p_public_id;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, api_problem(404, 'not-found',
		    'Not Found', format('No key %L.', p_public_id)), NULL::text;
		RETURN;
	END IF;
	RETURN QUERY SELECT 204, NULL::text, NULL::text;
END
$$;

------------------------------------------------------------------------
-- Reading and voiding responses

-- The caller's key and the survey, for reading; or the problem.
CREATE FUNCTION api_reader(p_hash bytea, p_survey text, OUT key_id bigint,
    OUT admin boolean, OUT survey_id bigint, OUT status integer,
    OUT body text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	k	record;
BEGIN
	SELECT * INTO k FROM api_key_use(p_hash);
	IF NOT FOUND THEN
		status := 401;
		body := api_unauthorized();
		RETURN;
	END IF;
	SELECT id INTO survey_id FROM surveys WHERE slug = p_survey;
	IF NOT FOUND THEN
		status := 404;
		body := api_no_survey(p_survey);
		RETURN;
	END IF;
	key_id := k.key_id;
	admin := k.role = 'admin';
END
$$;

/*
 * A page of responses: an admin's are all, a partner's its own.  Ordered
 * by (txid, id), and only rows older than every running transaction, so
 * that walking the pages never skips a row that commits meanwhile.
 */
CREATE FUNCTION api_responses_list(p_hash bytea, p_survey text,
    p_limit integer, p_desc boolean, p_since timestamptz,
    p_after_tx bigint, p_after_id bigint)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
	horizon	xid8 := pg_snapshot_xmin(pg_current_snapshot());
	after	xid8 := p_after_tx::text::xid8;
BEGIN
	a := api_reader(p_hash, p_survey);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text;
		RETURN;
	END IF;

	RETURN QUERY
	WITH page AS (
		SELECT r FROM responses r
		WHERE r.survey_id = a.survey_id
		AND (a.admin OR r.key_id = a.key_id)
		AND (p_since IS NULL OR r.created_at >= p_since)
		AND r.txid < horizon
		AND (after IS NULL OR (NOT p_desc AND (r.txid, r.id) >
		    (after, p_after_id)) OR (p_desc AND (r.txid, r.id) <
		    (after, p_after_id)))
		ORDER BY CASE WHEN p_desc THEN NULL ELSE r.txid END,
		    CASE WHEN p_desc THEN NULL ELSE r.id END,
		    CASE WHEN p_desc THEN r.txid END DESC,
		    CASE WHEN p_desc THEN r.id END DESC
		LIMIT p_limit + 1
	), numbered AS (
		SELECT r, row_number() OVER () AS n FROM page
	), shown AS (
		SELECT * FROM numbered WHERE n <= p_limit
	)
	SELECT 200, json_build_object(
	    'items', COALESCE((SELECT json_agg(api_response_json(s.r,
		p_survey) ORDER BY s.n) FROM shown s), '[]'::json),
	    'more', (SELECT count(*) FROM numbered) > p_limit,
	    'last', (SELECT json_build_array((s.r).txid::text::bigint,
		(s.r).id) FROM shown s ORDER BY s.n DESC LIMIT 1))::text,
	    NULL::text;
END
$$;

CREATE FUNCTION api_response_get(p_hash bytea, p_survey text, p_id text)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
	r	responses;
BEGIN
	a := api_reader(p_hash, p_survey);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text;
		RETURN;
	END IF;
	IF p_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
	    THEN
		SELECT * INTO r FROM responses x WHERE x.public_id = p_id::uuid
		AND x.survey_id = a.survey_id
		AND (a.admin OR x.key_id = a.key_id);
	END IF;
	IF r.id IS NULL THEN
		RETURN QUERY SELECT 404, api_problem(404, 'not-found',
		    'Not Found', format('No response %L in survey %L.', p_id,
		    p_survey)), NULL::text;
		RETURN;
	END IF;
	RETURN QUERY SELECT 200, api_response_json(r, p_survey)::text,
	    NULL::text;
END
$$;

-- Void a response (admin): it stays stored and stops counting.
CREATE FUNCTION api_response_void(p_hash bytea, p_survey text, p_id text,
    p_body jsonb)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
	r	responses;
	e	jsonb := '[]';
BEGIN
	a := api_reader(p_hash, p_survey);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text;
		RETURN;
	END IF;
	IF NOT a.admin THEN
		RETURN QUERY SELECT 403, api_problem(403, 'forbidden',
		    'Forbidden', 'Only admins void responses.'), NULL::text;
		RETURN;
	END IF;

	IF jsonb_typeof(p_body) <> 'object' THEN
		e := api_fault('', 'The body must be an object.');
	ELSE
		e := api_unknown_members(p_body, '{reason}');
		IF jsonb_typeof(p_body->'reason') IS DISTINCT FROM 'string' OR
		    length(p_body->>'reason') NOT BETWEEN 1 AND 500 THEN
			e := e || api_fault('/reason',
			    'Required: why, in 1 to 500 characters.');
		END IF;
	END IF;
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT 422, api_invalid(e), NULL::text;
		RETURN;
	END IF;

	IF p_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
	    THEN
		SELECT * INTO r FROM responses x WHERE x.public_id = p_id::uuid
		AND x.survey_id = a.survey_id FOR UPDATE;
	END IF;
	IF r.id IS NULL THEN
		RETURN QUERY SELECT 404, api_problem(404, 'not-found',
		    'Not Found', format('No response %L in survey %L.', p_id,
		    p_survey)), NULL::text;
		RETURN;
	END IF;
	IF r.voided_at IS NOT NULL THEN
		RETURN QUERY SELECT 409, api_problem(409, 'already-voided',
		    'Already Voided', format('Response %s was voided at %s.',
		    r.public_id, api_time(r.voided_at))), NULL::text;
		RETURN;
	END IF;

	UPDATE responses SET voided_at = now(), void_reason = p_body->>'reason'
	WHERE id = r.id RETURNING * INTO r;
	PERFORM api_tally_add(a.survey_id, r.id, -1);

	RETURN QUERY SELECT 200, api_response_json(r, p_survey)::text,
	    NULL::text;
END
$$;

/*
 * Up to 500 responses in one request: each item is stored, or refused,
 * on its own (a failing item rolls back only itself).  Items come checked
 * by the service: {external_id, answers, submitted_at, channel, hash (hex),
 * errors (or null), values}.
 */
CREATE FUNCTION api_submit_batch(p_hash bytea, p_survey text, p_items jsonb)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	c		record;
	item		jsonb;
	i		integer := 0;
	res		api_result;
	results		json[] := '{}';
BEGIN
	c := api_submit_check(p_hash, p_survey);
	IF c.status IS NOT NULL THEN
		RETURN QUERY SELECT c.status, c.body, NULL::text;
		RETURN;
	END IF;

	FOR item IN SELECT * FROM jsonb_array_elements(p_items) LOOP
		IF jsonb_typeof(item->'errors') = 'array' THEN
			res := ROW(422, api_problem(422, 'invalid-body',
			    'Invalid Body', 'This response does not match the '
			    'survey''s questions.', jsonb_build_object('errors',
			    item->'errors')), NULL)::api_result;
		ELSE
			BEGIN
				SELECT * INTO res FROM api_store_response(
				    c.key_id, c.partner, c.survey_id, p_survey,
				    c.plan_id,
				    item->>'external_id', item->'answers',
				    (item->>'submitted_at')::timestamptz,
				    item->>'channel',
				    decode(item->>'hash', 'hex'),
				    item->'values');
			EXCEPTION WHEN OTHERS THEN
				res := ROW(500, api_problem(500,
				    'internal-error', 'Internal Server Error',
				    'This item could not be stored.'),
				    NULL)::api_result;
			END;
		END IF;

		IF res.status < 300 THEN
			results := results || json_build_object('index', i,
			    'status', res.status, 'location', res.location,
			    'response', res.body::json);
		ELSE
			results := results || json_build_object('index', i,
			    'status', res.status, 'problem', res.body::json);
		END IF;
		i := i + 1;
	END LOOP;

	RETURN QUERY SELECT 200, json_build_object('results',
	    array_to_json(results))::text, NULL::text;
END
$$;

CREATE FUNCTION api_response_json(r responses, p_survey text,
    p_partner text DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN json_build_object(
	    'id', r.public_id,
	    'survey', p_survey,
	    'partner', COALESCE(p_partner, (SELECT k.public_id FROM api_keys k
		WHERE k.id = r.key_id)),
	    'external_id', r.external_id,
	    'answers', r.answers,
	    'submitted_at', api_time(r.submitted_at),
	    'channel', r.channel,
	    'created_at', api_time(r.created_at),
	    'status', CASE WHEN r.voided_at IS NULL THEN 'counted'
		ELSE 'voided' END,
	    'voided_at', api_time(r.voided_at),
	    'void_reason', r.void_reason);
END
$$;

/*
 * Who may submit where: the key behind p_hash (if live) and the survey
 * p_survey (NULL columns if there is none), with the rule of the rights to
 * submit, in one place: an admin key may submit to any survey; a partner
 * key to the surveys it is limited to (any, when it is limited to none)
 * whose partner list names it (or is empty).  open says whether the survey
 * takes responses now.  A set-returning SQL function, so that the planner
 * inlines it into the statements that use it (api_submit_check, api_submit).
 */
CREATE FUNCTION api_submitter(p_hash bytea, p_survey text)
RETURNS TABLE (key_id bigint, partner text, last_used_at timestamptz,
    survey_id bigint, plan_id bigint, slug text, survey_status text,
    opens_at timestamptz, closes_at timestamptz, allowed boolean,
    open boolean)
LANGUAGE sql STABLE AS $$
	SELECT k.id, k.public_id, k.last_used_at, s.id, s.plan_id, s.slug,
	    s.status, s.opens_at, s.closes_at,
	    k.role = 'admin' OR (
		(NOT EXISTS (SELECT 1 FROM api_key_surveys ks
		    WHERE ks.key_id = k.id)
		 OR EXISTS (SELECT 1 FROM api_key_surveys ks
		    WHERE ks.key_id = k.id AND ks.survey_id = s.id))
		AND (NOT EXISTS (SELECT 1 FROM survey_partners sp
		    WHERE sp.survey_id = s.id)
		 OR EXISTS (SELECT 1 FROM survey_partners sp
		    WHERE sp.survey_id = s.id AND sp.key_id = k.id))),
	    s.status = 'open' AND now() >= s.opens_at AND now() < s.closes_at
	FROM api_keys k LEFT JOIN surveys s ON s.slug = p_survey
	WHERE k.secret_hash = p_hash AND k.revoked_at IS NULL
$$;

/*
 * The values of p_values ([{question, value, objective}], from the
 * service's check of the body) that name an objective of plan p_plan that
 * does not exist or is archived.  Inlined, as api_submitter.
 */
CREATE FUNCTION api_inactive_objectives(p_plan bigint, p_values jsonb)
RETURNS SETOF text
LANGUAGE sql STABLE AS $$
	SELECT v.value FROM jsonb_to_recordset(p_values)
	    AS v (value text, objective boolean)
	WHERE v.objective AND NOT EXISTS (SELECT 1 FROM objectives o
	    WHERE o.plan_id = p_plan AND o.slug = v.value
	    AND o.status = 'active')
$$;

/*
 * The key behind p_hash and the survey p_survey, when the key may submit
 * to it (api_submitter); otherwise status 401, 404 or 403 and its problem.
 * A survey that takes no responses now gives status 409 with the key and
 * the survey filled in (an Idempotency-Key may still replay an answer).
 * Records the key's use at most once a minute.
 */
CREATE FUNCTION api_submit_check(p_hash bytea, p_survey text,
    OUT key_id bigint, OUT partner text, OUT survey_id bigint,
    OUT plan_id bigint, OUT status integer, OUT body text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	c		record;
BEGIN
	SELECT * INTO c FROM api_submitter(p_hash, p_survey);
	IF NOT FOUND THEN
		status := 401;
		body := api_unauthorized();
		RETURN;
	END IF;
	IF c.last_used_at IS NULL OR c.last_used_at < now() - interval '1 minute'
	    THEN
		UPDATE api_keys SET last_used_at = now() WHERE id = c.key_id;
	END IF;
	IF c.survey_id IS NULL THEN
		status := 404;
		body := api_no_survey(p_survey);
		RETURN;
	END IF;
	IF NOT c.allowed THEN
		status := 403;
		body := api_problem('forbidden',
		    format('This key may not submit to survey %L.', p_survey));
		RETURN;
	END IF;

	key_id := c.key_id;
	partner := c.partner;
	survey_id := c.survey_id;
	plan_id := c.plan_id;
	IF NOT c.open THEN
		status := 409;
		body := api_problem('survey-not-open',
		    format('Survey %L is %s; it takes responses from %s to %s.',
		    c.slug, CASE WHEN c.survey_status = 'open'
		    THEN 'outside its window' ELSE c.survey_status END,
		    api_time(c.opens_at), api_time(c.closes_at)));
	END IF;
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

/*
 * The export of a survey's responses (admin), in two parts.  First the
 * check, a statement of its own: the key (401, 403: it records the key's
 * use, a write) and the survey (404).  Then, inside a REPEATABLE READ
 * transaction, the cursor the service FETCHes in batches: one snapshot, so
 * a row stored or voided meanwhile is either wholly in or not, and never
 * twice.  The transaction waits idle while the client reads a batch, as
 * long as the client keeps reading (the service cuts a client that stops):
 * the idle-in-transaction timeout is lifted for it alone.
 */
CREATE FUNCTION api_responses_export_check(p_hash bytea, p_survey text)
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
	IF NOT EXISTS (SELECT 1 FROM surveys s WHERE s.slug = p_survey) THEN
		RETURN QUERY SELECT 404, api_no_survey(p_survey), NULL::text;
		RETURN;
	END IF;
	RETURN QUERY SELECT 200, NULL::text, NULL::text;
END
$$;

/*
 * Open the cursor responses_export on a survey's responses as the API
 * shows them (api_response_json), in the order of the paged list (oldest
 * first: by writing transaction, then id): the counted ones, and the voided
 * ones too when p_voided.  Inside the caller's transaction.
 */
CREATE FUNCTION api_responses_export_open(p_survey text, p_voided boolean)
RETURNS refcursor
LANGUAGE plpgsql AS $$
DECLARE
	c	refcursor := 'responses_export';
	sid	bigint;
BEGIN
	PERFORM set_config('idle_in_transaction_session_timeout', '0', true);
	SELECT s.id INTO sid FROM surveys s WHERE s.slug = p_survey;
	OPEN c NO SCROLL FOR
	    SELECT api_response_json(r, p_survey)::text FROM responses r
	    WHERE r.survey_id = sid AND (p_voided OR r.voided_at IS NULL)
	    ORDER BY r.txid, r.id;
	RETURN c;
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
		RETURN QUERY SELECT 404, api_problem('not-found',
		    format('No response %L in survey %L.', p_id,
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
		RETURN QUERY SELECT 403, api_problem('forbidden',
		    'Only admins void responses.'), NULL::text;
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
		RETURN QUERY SELECT 404, api_problem('not-found',
		    format('No response %L in survey %L.', p_id,
		    p_survey)), NULL::text;
		RETURN;
	END IF;
	IF r.voided_at IS NOT NULL THEN
		RETURN QUERY SELECT 409, api_problem('already-voided',
		    format('Response %s was voided at %s.',
		    r.public_id, api_time(r.voided_at))), NULL::text;
		RETURN;
	END IF;

	UPDATE responses SET voided_at = now(), void_reason = p_body->>'reason'
	WHERE id = r.id RETURNING * INTO r;
	PERFORM api_tally_count(a.survey_id, array_agg(x.question),
	    array_agg(x.value), -1)
	FROM response_answers x WHERE x.response_id = r.id;

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
			res := ROW(422, api_problem('invalid-body',
			    'This response does not match the '
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
				res := ROW(500, api_problem('internal-error',
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

CREATE FUNCTION api_response_void_recorded(p_hash bytea, p_request text,
    p_survey text, p_id text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	r	record;
	x	responses;
	v_plan	bigint;
	v_before json;
BEGIN
	-- A partner's key is refused by api_response_void itself (403).
	PERFORM api_actor(p_hash, p_request);
	IF p_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
	    THEN
		SELECT * INTO x FROM responses WHERE public_id = p_id::uuid;
		IF FOUND THEN
			v_before := api_response_json(x, p_survey);
		END IF;
	END IF;
	SELECT * INTO r FROM api_response_void(p_hash, p_survey, p_id, p_body);
	IF r.status = 200 THEN
		SELECT plan_id INTO v_plan FROM surveys WHERE slug = p_survey;
		PERFORM api_audit('response', '/v1/surveys/' || p_survey ||
		    '/responses/' || p_id, v_plan, 'update', v_before,
		    r.body::json);
	END IF;
	RETURN QUERY SELECT r.status, r.body, r.location;
END
$$;

CREATE OR REPLACE FUNCTION api_store_response(p_key bigint, p_partner text,
    p_survey bigint, p_slug text, p_plan bigint, p_external_id text,
    p_answers jsonb,
    p_submitted_at timestamptz, p_channel text, p_body_hash bytea,
    p_values jsonb)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	r		responses;
	v_missing	text;
	v_location	text;
	v_questions	text[];
	v_values	text[];
BEGIN
	-- The values, parsed once, and any objective the plan lacks.
	SELECT array_agg(v.question), array_agg(v.value)
	INTO v_questions, v_values
	FROM jsonb_to_recordset(p_values) AS v (question text, value text);
	SELECT string_agg(o, ', ') INTO v_missing
	FROM api_inactive_objectives(p_plan, p_values) AS o;
	IF v_missing IS NOT NULL THEN
		RETURN QUERY SELECT 422, api_problem('invalid-body',
		    'Unknown or archived objectives: ' ||
		    v_missing,
		    jsonb_build_object('errors', jsonb_build_array(
		    jsonb_build_object('pointer', '/answers', 'detail',
		    left('Unknown or archived objectives: ' || v_missing,
		    1000))))),
		    NULL::text;
		RETURN;
	END IF;

	INSERT INTO responses AS x (survey_id, key_id, external_id, body_hash,
	    answers, submitted_at, channel)
	VALUES (p_survey, p_key, p_external_id, p_body_hash, p_answers,
	    p_submitted_at, p_channel)
	ON CONFLICT ON CONSTRAINT responses_survey_id_key_id_external_id_key
	DO NOTHING
	RETURNING * INTO r;

	IF r.id IS NULL THEN
		SELECT * INTO r FROM responses x WHERE x.survey_id = p_survey
		AND x.key_id = p_key AND x.external_id = p_external_id;
		v_location := '/v1/surveys/' || p_slug || '/responses/' ||
		    r.public_id;
		IF r.body_hash = p_body_hash THEN
			RETURN QUERY SELECT 200,
			    api_response_json(r, p_slug, p_partner)::text, v_location;
		ELSE
			RETURN QUERY SELECT 409, api_problem('duplicate-response',
			    format('external_id %L was already submitted with '
			    'other answers, as response %s.', p_external_id,
			    r.public_id), jsonb_build_object(
			    'existing_response', v_location)), v_location;
		END IF;
		RETURN;
	END IF;

	INSERT INTO response_answers (response_id, question, value)
	SELECT r.id, u.question, u.value
	FROM unnest(v_questions, v_values) AS u (question, value);
	PERFORM api_tally_count(p_survey, v_questions, v_values);

	RETURN QUERY SELECT 201, api_response_json(r, p_slug, p_partner)::text,
	    '/v1/surveys/' || p_slug || '/responses/' || r.public_id;
END
$$;

CREATE OR REPLACE FUNCTION api_submit_response(p_hash bytea, p_survey text,
    p_external_id text, p_answers jsonb, p_submitted_at timestamptz,
    p_channel text, p_body_hash bytea, p_idem_key text, p_errors jsonb,
    p_values jsonb)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	c		record;
	idem		record;
	res		api_result;
	v_request	bytea;
BEGIN
	c := api_submit_check(p_hash, p_survey);
	IF c.status IN (401, 403, 404) THEN
		RETURN QUERY SELECT c.status, c.body, NULL::text;
		RETURN;
	END IF;

	-- The usual case, straight through.
	IF p_idem_key IS NULL AND c.status IS NULL AND p_errors IS NULL THEN
		RETURN QUERY SELECT * FROM api_store_response(c.key_id,
		    c.partner, c.survey_id, p_survey, c.plan_id, p_external_id,
		    p_answers, p_submitted_at, p_channel, p_body_hash,
		    p_values);
		RETURN;
	END IF;

	IF p_idem_key IS NOT NULL THEN
		-- The request's fingerprint: its body and its survey.
		v_request := sha256(p_body_hash || convert_to(p_survey,
		    'UTF8'));
		IF NOT pg_try_advisory_xact_lock(
		    hashtextextended(c.key_id || ':' || p_idem_key, 7102)) THEN
			RETURN QUERY SELECT 409, api_problem('idempotency-key-in-use',
			    'A request with this Idempotency-Key is still in '
			    'progress; retry later.'), NULL::text;
			RETURN;
		END IF;
		SELECT * INTO idem FROM idempotency_keys i
		WHERE i.key_id = c.key_id AND i.idem_key = p_idem_key
		AND i.created_at > now() - interval '24 hours';
		IF FOUND THEN
			IF idem.request_hash <> v_request THEN
				RETURN QUERY SELECT 422, api_problem('idempotency-key-reused',
				    'This '
				    'Idempotency-Key was used with another '
				    'request body.'), NULL::text;
				RETURN;
			END IF;
			RETURN QUERY SELECT idem.status, idem.body,
			    idem.location;
			RETURN;
		END IF;
		DELETE FROM idempotency_keys i
		WHERE i.key_id = c.key_id AND i.idem_key = p_idem_key;
	END IF;

	IF c.status = 409 THEN
		res := ROW(409, c.body, NULL)::api_result;
	ELSIF p_errors IS NOT NULL THEN
		res := ROW(422, api_problem('invalid-body',
		    'The response does not match the '
		    'survey''s questions.', jsonb_build_object('errors',
		    p_errors)), NULL)::api_result;
	ELSE
		SELECT * INTO res FROM api_store_response(c.key_id,
		    c.partner, c.survey_id, p_survey, c.plan_id, p_external_id,
		    p_answers, p_submitted_at, p_channel, p_body_hash,
		    p_values);
	END IF;

	IF p_idem_key IS NOT NULL THEN
		INSERT INTO idempotency_keys (key_id, idem_key, request_hash,
		    status, body, location)
		VALUES (c.key_id, p_idem_key, v_request, res.status, res.body,
		    res.location);
		-- Now and then, forget keys past their 24 hours (and a margin).
		IF random() < 0.001 THEN
			DELETE FROM idempotency_keys
			WHERE created_at < now() - interval '25 hours';
		END IF;
	END IF;

	RETURN QUERY SELECT res.status, res.body, res.location;
END
$$;

CREATE FUNCTION api_submit(p_hash bytea, p_survey text, p_external_id text,
    p_answers jsonb, p_submitted_at timestamptz, p_channel text,
    p_body_hash bytea, p_idem_key text, p_errors jsonb, p_values jsonb)
RETURNS api_result
LANGUAGE plpgsql AS $$
DECLARE
	res		api_result;
BEGIN
	IF p_idem_key IS NULL AND p_errors IS NULL THEN
		-- The checks of api_submit_check and api_store_response, and
		-- its store, in one statement.  No row: the long way.
		WITH k AS (
			SELECT k.key_id, k.partner, k.survey_id
			FROM api_submitter(p_hash, p_survey) AS k
			WHERE k.allowed AND k.open
			AND k.last_used_at >= now() - interval '1 minute'
			AND NOT EXISTS (SELECT 1 FROM
			    api_inactive_objectives(k.plan_id, p_values))
		), r AS (
			INSERT INTO responses (survey_id, key_id, external_id,
			    body_hash, answers, submitted_at, channel)
			SELECT k.survey_id, k.key_id, p_external_id,
			    p_body_hash, p_answers, p_submitted_at, p_channel
			FROM k
			ON CONFLICT ON CONSTRAINT
			    responses_survey_id_key_id_external_id_key
			DO NOTHING
			RETURNING *
		), v AS (
			SELECT v.question, v.value
			FROM jsonb_to_recordset(p_values) AS v (question text,
			    value text)
		), a AS (
			INSERT INTO response_answers (response_id, question,
			    value)
			SELECT r.id, v.question, v.value FROM r, v
		), t AS (
			SELECT api_tally_count(r.survey_id,
			    (SELECT array_agg(v.question) FROM v),
			    (SELECT array_agg(v.value) FROM v)) FROM r
		)
		SELECT 201, api_response_json(ROW(r.*)::responses, p_survey,
		    k.partner)::text,
		    '/v1/surveys/' || p_survey || '/responses/' || r.public_id
		INTO res FROM r, k, (SELECT count(*) FROM t) AS counted;
		IF res.status IS NOT NULL THEN
			RETURN res;
		END IF;
	END IF;

	SELECT * INTO res FROM api_submit_response(p_hash, p_survey,
	    p_external_id, p_answers, p_submitted_at, p_channel, p_body_hash,
	    p_idem_key, p_errors, p_values);
	RETURN res;
END
$$;

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
 * inlines it into the statements that use it (api_submit_check).
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
	PERFORM api_tally_count(a.survey_id, 1, array_agg(x.response_id),
	    array_agg(x.question), array_agg(x.value), -1)
	FROM response_answers x WHERE x.response_id = r.id;

	RETURN QUERY SELECT 200, api_response_json(r, p_survey)::text,
	    NULL::text;
END
$$;

/*
 * Up to 500 responses in one request, stored as a worker's gathered
 * submissions are (api_submit_group): each item is stored, or refused, on
 * its own (a failing item rolls back only itself).  Items come checked by
 * the service: {external_id, answers, submitted_at, channel, hash (hex),
 * errors (or null), values}.  A key or survey refused, or a survey that
 * takes no responses now, answers the whole request.
 */
CREATE FUNCTION api_submit_batch(p_hash bytea, p_survey text, p_items jsonb)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	c		record;
BEGIN
	c := api_submit_check(p_hash, p_survey);
	IF c.status IS NOT NULL THEN
		RETURN QUERY SELECT c.status, c.body, NULL::text;
		RETURN;
	END IF;

	RETURN QUERY
	SELECT 200, json_build_object('results', COALESCE(json_agg(
	    CASE WHEN g.status < 300 THEN json_build_object('index', g.o - 1,
		'status', g.status, 'location', g.location,
		'response', g.body::json)
	    ELSE json_build_object('index', g.o - 1, 'status', g.status,
		'problem', g.body::json) END ORDER BY g.o), '[]'))::text,
	    NULL::text
	FROM api_submit_group((SELECT jsonb_agg(x || jsonb_build_object(
	    'key', encode(p_hash, 'hex'), 'survey', p_survey) ORDER BY o)
	    FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t (x, o)))
	    WITH ORDINALITY AS g (status, body, location, o);
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

/*
 * Storing submissions.  A worker gathers the submissions that reach it
 * while its previous store runs, and stores them with one call of
 * api_submit_group, in one transaction: each item is stored, or refused,
 * as it would be alone, with one result per item.  The batch route's items
 * go the same way (api_submit_batch).
 *
 * An item (p_items is an array of them) is what the service made of one
 * request: {key (hex of the API key's SHA-256), survey (its id), external_id,
 * answers, submitted_at (UTC, or null), channel, hash (hex of the body's
 * canonical hash), idem (the Idempotency-Key, or null), errors (the faults
 * the service found against the survey's questions, or null), values
 * ([{question, value, objective}] to count)}.
 */

/*
 * Store the responses p_items, each checked already and allowed
 * (api_submit_group adds idx, key_id, partner, survey_id and plan_id to
 * each): 201 and the new response, 200 and the stored one when its
 * external_id came with the same body before (in this call too), 409 when
 * with another, 422 when an objective chosen is unknown or archived.  One
 * row per item, by idx, in no order.  Exactly once: (survey, key,
 * external_id) is unique, and the rows are written in the order of that key,
 * so that two stores running at once never wait on each other in a circle.
 * Counts nothing: the caller counts every 201 (api_tally_count).
 */
CREATE FUNCTION api_store_responses(p_items jsonb)
RETURNS TABLE (idx integer, status integer, body text, location text)
LANGUAGE plpgsql SET jit = off AS $$
#variable_conflict use_column
DECLARE
	v_idx		integer[];
	v_status	integer[];
	v_body		text[];
	v_location	text[];
BEGIN
	WITH i AS (
		SELECT * FROM jsonb_to_recordset(p_items) AS i (idx integer,
		    key_id bigint, partner text, survey_id bigint,
		    plan_id bigint, survey text, external_id text,
		    answers jsonb, submitted_at timestamptz, channel text,
		    hash text, "values" jsonb)
	), missing AS (
		SELECT i.idx, string_agg(o, ', ') AS list
		FROM i, LATERAL api_inactive_objectives(i.plan_id, i."values")
		    AS o
		GROUP BY i.idx
	), first AS (
		-- The first item of each (survey, key, external_id).
		SELECT DISTINCT ON (i.survey_id, i.key_id, i.external_id) i.*
		FROM i WHERE NOT EXISTS (SELECT 1 FROM missing m
		    WHERE m.idx = i.idx)
		ORDER BY i.survey_id, i.key_id, i.external_id, i.idx
	), r AS (
		INSERT INTO responses (survey_id, key_id, external_id,
		    body_hash, answers, submitted_at, channel)
		SELECT f.survey_id, f.key_id, f.external_id,
		    decode(f.hash, 'hex'), f.answers, f.submitted_at, f.channel
		FROM first f ORDER BY f.survey_id, f.key_id, f.external_id
		ON CONFLICT ON CONSTRAINT
		    responses_survey_id_key_id_external_id_key
		DO NOTHING
		RETURNING *
	), a AS (
		INSERT INTO response_answers (response_id, question, value)
		SELECT r.id, v.question, v.value
		FROM r JOIN first f USING (survey_id, key_id, external_id),
		    jsonb_to_recordset(f."values") AS v (question text,
		    value text)
	), done AS (
		SELECT m.idx, 422 AS status, api_problem('invalid-body',
		    'Unknown or archived objectives: ' || m.list,
		    jsonb_build_object('errors', jsonb_build_array(
		    jsonb_build_object('pointer', '/answers', 'detail',
		    left('Unknown or archived objectives: ' || m.list,
		    1000))))) AS body, NULL::text AS location
		FROM missing m
		UNION ALL
		SELECT f.idx, 201, api_response_json(ROW(r.*)::responses,
		    f.survey, f.partner)::text,
		    '/v1/surveys/' || f.survey || '/responses/' || r.public_id
		FROM r JOIN first f USING (survey_id, key_id, external_id)
	)
	SELECT array_agg(d.idx), array_agg(d.status), array_agg(d.body),
	    array_agg(d.location)
	INTO v_idx, v_status, v_body, v_location FROM done d;

	RETURN QUERY SELECT * FROM unnest(v_idx, v_status, v_body, v_location);

	-- The others were stored before (or just now, by an earlier item):
	-- a new statement sees them, committed by whichever store won.
	RETURN QUERY
	SELECT i.idx, CASE WHEN x.body_hash = decode(i.hash, 'hex') THEN 200
	    ELSE 409 END,
	    CASE WHEN x.body_hash = decode(i.hash, 'hex') THEN
		api_response_json(x, i.survey, i.partner)::text
	    ELSE api_problem('duplicate-response',
		format('external_id %L was already submitted with other '
		'answers, as response %s.', i.external_id, x.public_id),
		jsonb_build_object('existing_response', '/v1/surveys/' ||
		i.survey || '/responses/' || x.public_id)) END,
	    '/v1/surveys/' || i.survey || '/responses/' || x.public_id
	FROM jsonb_to_recordset(p_items) AS i (idx integer, key_id bigint,
	    partner text, survey_id bigint, survey text, external_id text,
	    hash text)
	JOIN responses x ON x.survey_id = i.survey_id AND x.key_id = i.key_id
	    AND x.external_id = i.external_id
	WHERE i.idx <> ALL (COALESCE(v_idx, '{}'));
END
$$;

/*
 * One item the long way (p_item as api_store_responses takes it, with
 * check_status and check_body from api_submit_check): with an
 * Idempotency-Key, the first answer to the same key and body again (or 422
 * for another body, 409 while the first still runs), recorded for 24
 * hours; a survey that takes no responses now (409); the service's faults
 * (422); else stored.  stored: counted by the caller.
 */
CREATE FUNCTION api_submit_one(p_item jsonb, OUT status integer,
    OUT body text, OUT location text, OUT stored boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	idem		record;
	v_key		bigint := (p_item->>'key_id')::bigint;
	v_idem		text := p_item->>'idem';
	v_request	bytea;
BEGIN
	stored := false;
	IF v_idem IS NOT NULL THEN
		-- The request's fingerprint: its body and its survey.
		v_request := sha256(decode(p_item->>'hash', 'hex') ||
		    convert_to(p_item->>'survey', 'UTF8'));
		IF NOT pg_try_advisory_xact_lock(
		    hashtextextended(v_key || ':' || v_idem, 7102)) THEN
			status := 409;
			body := api_problem('idempotency-key-in-use',
			    'A request with this Idempotency-Key is still in '
			    'progress; retry later.');
			RETURN;
		END IF;
		SELECT * INTO idem FROM idempotency_keys i
		WHERE i.key_id = v_key AND i.idem_key = v_idem
		AND i.created_at > now() - interval '24 hours';
		IF FOUND THEN
			IF idem.request_hash <> v_request THEN
				status := 422;
				body := api_problem('idempotency-key-reused',
				    'This Idempotency-Key was used with '
				    'another request body.');
				RETURN;
			END IF;
			status := idem.status;
			body := idem.body;
			location := idem.location;
			RETURN;
		END IF;
		DELETE FROM idempotency_keys i
		WHERE i.key_id = v_key AND i.idem_key = v_idem;
	END IF;

	IF p_item->>'check_status' IS NOT NULL THEN
		status := (p_item->>'check_status')::integer;
		body := p_item->>'check_body';
	ELSIF jsonb_typeof(p_item->'errors') = 'array' THEN
		status := 422;
		body := api_problem('invalid-body', 'The response does not '
		    'match the survey''s questions.', jsonb_build_object(
		    'errors', p_item->'errors'));
	ELSE
		SELECT s.status, s.body, s.location
		INTO status, body, location
		FROM api_store_responses(jsonb_build_array(p_item)) AS s;
		stored := status = 201;
	END IF;

	IF v_idem IS NOT NULL THEN
		INSERT INTO idempotency_keys (key_id, idem_key, request_hash,
		    status, body, location)
		VALUES (v_key, v_idem, v_request, status, body, location);
		-- Now and then, forget keys past their 24 hours (and a margin).
		IF random() < 0.001 THEN
			DELETE FROM idempotency_keys
			WHERE created_at < now() - interval '25 hours';
		END IF;
	END IF;
END
$$;

/*
 * The submissions p_items (above), in one transaction: one row per item,
 * in their order, each what the item would get alone.  First who submits
 * where, once per key and survey (api_submit_check: 401, 403, 404, or 409
 * when the survey takes no responses now), in the order of the keys.  The
 * usual items (allowed, open, without an Idempotency-Key or a fault) are
 * then stored together (api_store_responses); the others, and every usual
 * one when that failed, one by one (api_submit_one).  Each item the long
 * way runs in a block of its own: a fault in one fails only itself (a
 * 500).  Last, the counters of every response stored: once per survey
 * (api_tally_count).  Without JIT: the planner's guesses about the items
 * (a hundred rows per array) made it compile the statements for every call,
 * which cost a lone submission several milliseconds.
 */
CREATE FUNCTION api_submit_group(p_items jsonb)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql SET jit = off AS $$
#variable_conflict use_column
DECLARE
	checks		jsonb := '{}';
	items		jsonb;
	usual		jsonb;
	n		integer := jsonb_array_length(p_items);
	v_status	integer[] := array_fill(NULL::integer, ARRAY[n]);
	v_body		text[] := array_fill(NULL::text, ARRAY[n]);
	v_location	text[] := array_fill(NULL::text, ARRAY[n]);
	v_stored	integer[] := '{}';
	one		integer[] := '{}';
	c		record;
	r		record;
	i		integer;
BEGIN
	FOR c IN SELECT k.key, k.survey, ch.* FROM (SELECT DISTINCT
	    x->>'key' AS key, x->>'survey' AS survey
	    FROM jsonb_array_elements(p_items) AS x) AS k,
	    LATERAL api_submit_check(decode(k.key, 'hex'), k.survey) AS ch
	    ORDER BY k.key, k.survey LOOP
		checks := checks || jsonb_build_object(c.key || '/' ||
		    c.survey, jsonb_build_object('key_id', c.key_id,
		    'partner', c.partner, 'survey_id', c.survey_id,
		    'plan_id', c.plan_id, 'check_status', c.status,
		    'check_body', c.body));
	END LOOP;

	-- Each item with its index (1..n) and what the check said.
	SELECT jsonb_agg(x || (checks->((x->>'key') || '/' || (x->>'survey')))
	    || jsonb_build_object('idx', o) ORDER BY o)
	INTO items FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t (x, o);

	-- Refused by the check, whatever else they carry.
	FOR r IN SELECT (x->>'idx')::integer AS idx, x FROM jsonb_array_elements(items) AS x
	    WHERE (x->>'check_status')::integer IN (401, 403, 404) LOOP
		v_status[r.idx] := (r.x->>'check_status')::integer;
		v_body[r.idx] := r.x->>'check_body';
	END LOOP;

	SELECT jsonb_agg(x) INTO usual FROM jsonb_array_elements(items) AS x
	WHERE x->>'check_status' IS NULL AND x->>'idem' IS NULL
	AND jsonb_typeof(x->'errors') IS DISTINCT FROM 'array';
	IF usual IS NOT NULL THEN
		BEGIN
			FOR r IN SELECT * FROM api_store_responses(usual) LOOP
				v_status[r.idx] := r.status;
				v_body[r.idx] := r.body;
				v_location[r.idx] := r.location;
				IF r.status = 201 THEN
					v_stored := v_stored || r.idx;
				END IF;
			END LOOP;
		EXCEPTION WHEN OTHERS THEN
			-- Rolled back: each of them alone, below.
			v_stored := '{}';
			SELECT array_agg((x->>'idx')::integer) INTO one
			FROM jsonb_array_elements(usual) AS x;
			FOREACH i IN ARRAY one LOOP
				v_status[i] := NULL;
			END LOOP;
		END;
	END IF;

	-- The long way, in order, each in a block of its own.
	FOR r IN SELECT (x->>'idx')::integer AS idx, x FROM jsonb_array_elements(items) AS x LOOP
		CONTINUE WHEN v_status[r.idx] IS NOT NULL;
		BEGIN
			SELECT * INTO c FROM api_submit_one(r.x);
			v_status[r.idx] := c.status;
			v_body[r.idx] := c.body;
			v_location[r.idx] := c.location;
			IF c.stored THEN
				v_stored := v_stored || r.idx;
			END IF;
		EXCEPTION WHEN OTHERS THEN
			v_status[r.idx] := 500;
			v_body[r.idx] := api_problem('internal-error',
			    'This response could not be stored.');
			v_location[r.idx] := NULL;
		END;
	END LOOP;

	-- The counters, once per survey, in the order of the surveys.
	PERFORM api_tally_count(g.survey_id, g.n, g.ids, g.questions, g.vals)
	FROM (
		SELECT (items->(s.idx - 1)->>'survey_id')::bigint AS survey_id,
		    count(DISTINCT s.idx)::integer AS n,
		    array_agg(s.idx::bigint) AS ids,
		    array_agg(v.question) AS questions,
		    array_agg(v.value) AS vals
		FROM unnest(v_stored) AS s (idx)
		LEFT JOIN LATERAL jsonb_to_recordset(items->(s.idx - 1)->'values')
		    AS v (question text, value text) ON true
		GROUP BY 1 ORDER BY 1
	) AS g;

	RETURN QUERY SELECT u.s, u.b, u.l
	FROM unnest(v_status, v_body, v_location) WITH ORDINALITY
	    AS u (s, b, l, o)
	ORDER BY u.o;
END
$$;

/*
 * A submission alone, what a store carries at low load (dbq.c), its
 * members as parameters: p_key and p_hash in hex, p_submitted_at in UTC or
 * NULL, p_errors NULL or the faults found.  The usual one (no
 * Idempotency-Key, no fault) in one statement: the checks of
 * api_submit_check, the store of api_store_responses and its counters, as
 * before group commit (neither an array nor a table to take apart: a lone
 * client's latency).  Anything else (no such key or survey, not allowed,
 * closed, the key's use to record, an objective unknown or archived, its
 * external_id stored before, a value the database refuses) goes the
 * general way, a group of one (api_submit_group), which answers it.
 */
CREATE FUNCTION api_submit_lone(p_key text, p_survey text,
    p_external_id text, p_answers jsonb, p_submitted_at text, p_channel text,
    p_hash text, p_idem text, p_errors jsonb, p_values jsonb)
RETURNS api_result
LANGUAGE plpgsql AS $$
DECLARE
	res		api_result;
BEGIN
	IF p_idem IS NULL AND p_errors IS NULL THEN
		BEGIN
			WITH k AS (
				SELECT k.key_id, k.partner, k.survey_id
				FROM api_submitter(decode(p_key, 'hex'),
				    p_survey) AS k
				WHERE k.allowed AND k.open
				AND k.last_used_at >= now() - interval '1 minute'
				AND NOT EXISTS (SELECT 1 FROM
				    api_inactive_objectives(k.plan_id,
				    p_values))
			), r AS (
				INSERT INTO responses (survey_id, key_id,
				    external_id, body_hash, answers,
				    submitted_at, channel)
				SELECT k.survey_id, k.key_id, p_external_id,
				    decode(p_hash, 'hex'), p_answers,
				    p_submitted_at::timestamptz, p_channel
				FROM k
				ON CONFLICT ON CONSTRAINT
				    responses_survey_id_key_id_external_id_key
				DO NOTHING
				RETURNING *
			), v AS (
				SELECT v.question, v.value
				FROM jsonb_to_recordset(p_values)
				    AS v (question text, value text)
			), a AS (
				INSERT INTO response_answers (response_id,
				    question, value)
				SELECT r.id, v.question, v.value FROM r, v
			), t AS (
				SELECT api_tally_count(r.survey_id, 1,
				    array_fill(r.id, ARRAY[(SELECT count(*)
				    FROM v)::integer]),
				    (SELECT array_agg(v.question) FROM v),
				    (SELECT array_agg(v.value) FROM v))
				FROM r
			)
			SELECT 201, api_response_json(ROW(r.*)::responses,
			    p_survey, k.partner)::text,
			    '/v1/surveys/' || p_survey || '/responses/' ||
			    r.public_id
			INTO res
			FROM r, k, (SELECT count(*) FROM t) AS counted;
			IF res.status IS NOT NULL THEN
				RETURN res;
			END IF;
		EXCEPTION WHEN data_exception OR integrity_constraint_violation
		    THEN
			-- Rolled back: the general way answers it.
			NULL;
		END;
	END IF;

	SELECT g.status, g.body, g.location INTO res
	FROM api_submit_group(jsonb_build_array(jsonb_build_object(
	    'key', p_key, 'survey', p_survey, 'external_id', p_external_id,
	    'answers', p_answers, 'submitted_at', p_submitted_at,
	    'channel', p_channel, 'hash', p_hash, 'idem', p_idem,
	    'errors', p_errors, 'values', p_values))) AS g;
	RETURN res;
END
$$;

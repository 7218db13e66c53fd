-- 006: survey responses, idempotency records and tally counters.

ALTER TABLE surveys
	ADD COLUMN results_visibility text NOT NULL DEFAULT 'after_close'
	    CHECK (results_visibility IN ('public', 'after_close', 'admin'));

-- Partners allowed to submit to a survey (no rows: any partner key).
CREATE TABLE survey_partners (
	survey_id		bigint NOT NULL REFERENCES surveys (id),
	key_id			bigint NOT NULL REFERENCES api_keys (id),
	PRIMARY KEY (survey_id, key_id)
);

-- A response counts exactly once: (survey, key, external_id) is unique, and
-- the body's canonical hash tells a retry from a conflicting submission.
CREATE TABLE responses (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	public_id		uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
	survey_id		bigint NOT NULL REFERENCES surveys (id),
	key_id			bigint NOT NULL REFERENCES api_keys (id),
	external_id		text NOT NULL
				CHECK (length(external_id) BETWEEN 1 AND 200),
	body_hash		bytea NOT NULL,
	answers			jsonb NOT NULL,
	submitted_at		timestamptz,
	channel			text CHECK (length(channel) <= 50),
	created_at		timestamptz NOT NULL DEFAULT clock_timestamp(),
	-- The writing transaction: listings order by (txid, id) and show only
	-- rows older than every transaction still running, so that a page
	-- never skips a row that commits later.
	txid			xid8 NOT NULL DEFAULT pg_current_xact_id(),
	voided_at		timestamptz,
	void_reason		text,
	UNIQUE (survey_id, key_id, external_id),
	CHECK ((voided_at IS NULL) = (void_reason IS NULL))
);
CREATE INDEX responses_survey_order_idx ON responses (survey_id, txid, id);

-- One row per chosen value: an agreement level, an option, an objective's
-- id.  Objectives are named by their slug, not by a foreign key, on
-- purpose: a key check locks the referenced row, and every submission
-- choosing the same objectives then queues on those few rows (measured: a
-- quarter of the submission rate).  They are checked when the response is
-- stored (api_store_response).
CREATE TABLE response_answers (
	response_id		bigint NOT NULL REFERENCES responses (id),
	question		text NOT NULL,
	value			text NOT NULL,
	PRIMARY KEY (response_id, question, value)
);

-- Idempotency-Key records, scoped to the API key that sent them, kept at
-- least 24 hours (expired ones are ignored, and purged now and then by
-- api_submit_response).
CREATE TABLE idempotency_keys (
	key_id			bigint NOT NULL REFERENCES api_keys (id),
	idem_key		text NOT NULL,
	request_hash		bytea NOT NULL,
	status			integer NOT NULL,
	body			text NOT NULL,
	location		text,
	created_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (key_id, idem_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Counters, spread over 64 shards so that concurrent submissions do not
-- queue on the same rows: a tally is the sum over shards.  question ''
-- holds the survey's 'accepted' and 'voided' counts (counted responses are
-- their difference; their sum is a version that moves whenever a number
-- does); each question has a bucket per value chosen, and a multi-valued
-- question (objectives, choices) '~answered', the responses that answered
-- it.  A low fill factor spreads the hot rows over many pages.
CREATE TABLE tally_counters (
	survey_id		bigint NOT NULL REFERENCES surveys (id),
	question		text NOT NULL,
	bucket			text NOT NULL,
	shard			smallint NOT NULL,
	n			bigint NOT NULL,
	PRIMARY KEY (survey_id, question, bucket, shard)
) WITH (fillfactor = 10);

-- What every API function answers: the HTTP status, the body and Location.
CREATE TYPE api_result AS (status integer, body text, location text);

CREATE FUNCTION api_problem(p_status integer, p_slug text, p_title text,
    p_detail text, p_extra jsonb DEFAULT NULL)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_extra IS NULL OR p_extra = '{}'::jsonb THEN b
	    ELSE left(b, -1) || ', ' || substr(p_extra::text, 2) END
	FROM (SELECT json_build_object('type', '/problems/' || p_slug,
	    'title', p_title, 'status', p_status, 'detail', p_detail)::text
	    AS b) AS base
$$;

-- The two problems every function with a key and a survey may answer.
CREATE FUNCTION api_unauthorized() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT api_problem(401, 'unauthorized', 'Unauthorized',
	    'The API key is missing, unknown or revoked.')
$$;

CREATE FUNCTION api_no_survey(p_survey text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT api_problem(404, 'not-found', 'Not Found',
	    format('No survey %L.', p_survey))
$$;

-- The counter rows of a survey, made ahead (zero) for every value its
-- questions offer, shard by shard, so that each shard's rows share pages
-- with no other shard's and a count is a plain UPDATE.
CREATE FUNCTION api_tally_prepare(p_survey bigint)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO tally_counters (survey_id, question, bucket, shard, n)
	SELECT p_survey, b.question, b.bucket, sh, 0
	FROM generate_series(0, 63) AS sh, (
		SELECT '' AS question, 'accepted' AS bucket
		UNION ALL SELECT '', 'voided'
		UNION ALL
		SELECT q.qid, v FROM survey_questions q,
		    unnest(ARRAY['strongly_disagree', 'disagree', 'neutral',
		    'agree', 'strongly_agree']) AS v
		WHERE q.survey_id = p_survey AND q.type = 'agreement'
		UNION ALL
		SELECT q.qid, v FROM survey_questions q, unnest(q.options) AS v
		WHERE q.survey_id = p_survey AND q.type IN ('choice', 'choices')
		UNION ALL
		SELECT q.qid, o.slug FROM survey_questions q
		JOIN surveys s ON s.id = q.survey_id
		JOIN objectives o ON o.plan_id = s.plan_id
		WHERE q.survey_id = p_survey AND q.type = 'objectives'
		UNION ALL
		SELECT q.qid, '~answered' FROM survey_questions q
		WHERE q.survey_id = p_survey AND q.type IN ('objectives',
		    'choices')
	) AS b
	ORDER BY sh, b.question, b.bucket
	ON CONFLICT DO NOTHING;
END
$$;

-- Count one response (p_delta 1) or stop counting it (-1): all its rows
-- go to one of 64 shards chosen by the connection, in a fixed order (no
-- deadlocks between submissions).  PL/pgSQL, not SQL, so that the plan is
-- made once per connection rather than at every call.
CREATE FUNCTION api_tally_add(p_survey bigint, p_response bigint,
    p_delta integer)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO tally_counters AS t (survey_id, question, bucket, shard, n)
	SELECT p_survey, c.question, c.bucket, pg_backend_pid() % 64, c.n
	FROM (
		SELECT '' AS question, CASE WHEN p_delta > 0 THEN 'accepted'
		    ELSE 'voided' END AS bucket, 1 AS n
		UNION ALL
		SELECT question, value, p_delta FROM response_answers
		WHERE response_id = p_response
		UNION ALL
		SELECT DISTINCT a.question, '~answered', p_delta
		FROM response_answers a JOIN survey_questions q
		ON q.survey_id = p_survey AND q.qid = a.question
		AND q.type IN ('objectives', 'choices')
		WHERE a.response_id = p_response
	) c
	ORDER BY c.question, c.bucket
	ON CONFLICT (survey_id, question, bucket, shard)
	DO UPDATE SET n = t.n + EXCLUDED.n;
END
$$;

-- Count a new response from the values it answered (the questions and
-- values side by side): the same counters as api_tally_add, without
-- reading them back.
CREATE FUNCTION api_tally_count(p_survey bigint, p_questions text[],
    p_values text[])
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO tally_counters AS t (survey_id, question, bucket, shard, n)
	SELECT p_survey, c.question, c.bucket, pg_backend_pid() % 64, 1
	FROM (
		SELECT '' AS question, 'accepted' AS bucket
		UNION ALL
		SELECT u.question, u.value
		FROM unnest(p_questions, p_values) AS u (question, value)
		UNION ALL
		SELECT DISTINCT u.question, '~answered'
		FROM unnest(p_questions) AS u (question)
		JOIN survey_questions q ON q.survey_id = p_survey
		AND q.qid = u.question AND q.type IN ('objectives', 'choices')
	) c
	WHERE c.question IS NOT NULL
	ORDER BY c.question, c.bucket
	ON CONFLICT (survey_id, question, bucket, shard)
	DO UPDATE SET n = t.n + EXCLUDED.n;
END
$$;

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
 * The key behind p_hash and the survey p_survey, when the key may submit
 * to it; otherwise status and body of the problem (401, 404, 403, or 409
 * when the survey is not open).  One query: this is every submission's
 * first step.
 */
CREATE FUNCTION api_submit_check(p_hash bytea, p_survey text,
    OUT key_id bigint, OUT partner text, OUT survey_id bigint,
    OUT plan_id bigint, OUT status integer, OUT body text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	c		record;
BEGIN
	SELECT k.id AS kid, k.public_id, k.last_used_at, s.id AS sid,
	    s.plan_id AS pid, s.slug, s.status AS sstatus, s.opens_at,
	    s.closes_at,
	    k.role = 'admin' OR (
		(NOT EXISTS (SELECT 1 FROM api_key_surveys ks
		    WHERE ks.key_id = k.id)
		 OR EXISTS (SELECT 1 FROM api_key_surveys ks
		    WHERE ks.key_id = k.id AND ks.survey_id = s.id))
		AND (NOT EXISTS (SELECT 1 FROM survey_partners sp
		    WHERE sp.survey_id = s.id)
		 OR EXISTS (SELECT 1 FROM survey_partners sp
		    WHERE sp.survey_id = s.id AND sp.key_id = k.id)))
		AS allowed
	INTO c
	FROM api_keys k LEFT JOIN surveys s ON s.slug = p_survey
	WHERE k.secret_hash = p_hash AND k.revoked_at IS NULL;

	IF NOT FOUND THEN
		status := 401;
		body := api_unauthorized();
		RETURN;
	END IF;
	IF c.last_used_at IS NULL OR c.last_used_at < now() - interval '1 minute'
	    THEN
		UPDATE api_keys SET last_used_at = now() WHERE id = c.kid;
	END IF;
	IF c.sid IS NULL THEN
		status := 404;
		body := api_no_survey(p_survey);
		RETURN;
	END IF;
	IF NOT c.allowed THEN
		status := 403;
		body := api_problem(403, 'forbidden', 'Forbidden',
		    format('This key may not submit to survey %L.', p_survey));
		RETURN;
	END IF;

	key_id := c.kid;
	partner := c.public_id;
	survey_id := c.sid;
	plan_id := c.pid;
	IF NOT (c.sstatus = 'open' AND now() >= c.opens_at AND
	    now() < c.closes_at) THEN
		status := 409;
		body := api_problem(409, 'survey-not-open', 'Survey Not Open',
		    format('Survey %L is %s; it takes responses from %s to %s.',
		    c.slug, CASE WHEN c.sstatus = 'open'
		    THEN 'outside its window' ELSE c.sstatus END,
		    api_time(c.opens_at), api_time(c.closes_at)));
	END IF;
END
$$;

/*
 * Store one checked response at most once per (survey, key, external_id),
 * with its answer rows and counters.  201 when stored; 200 with the
 * original when the same body was stored before; 409 when another body
 * was; 422 when an objective is not one of the plan's.
 */
CREATE FUNCTION api_store_response(p_key bigint, p_partner text,
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
	v_objective	boolean[];
BEGIN
	-- The values, parsed once.
	SELECT array_agg(v.question), array_agg(v.value),
	    array_agg(COALESCE(v.objective, false))
	INTO v_questions, v_values, v_objective
	FROM jsonb_to_recordset(p_values) AS v (question text, value text,
	    objective boolean);

	SELECT string_agg(u.value, ', ') INTO v_missing
	FROM unnest(v_values, v_objective) AS u (value, objective)
	WHERE u.objective AND NOT EXISTS (SELECT 1 FROM objectives o
	    WHERE o.plan_id = p_plan AND o.slug = u.value);
	IF v_missing IS NOT NULL THEN
		RETURN QUERY SELECT 422, api_problem(422, 'invalid-body',
		    'Invalid Body', 'Unknown objectives: ' || v_missing,
		    jsonb_build_object('errors', jsonb_build_array(
		    jsonb_build_object('pointer', '/answers', 'detail',
		    'Unknown objectives: ' || v_missing)))), NULL::text;
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
			RETURN QUERY SELECT 409, api_problem(409,
			    'duplicate-response', 'Duplicate Response',
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

/*
 * Submit one response, in one transaction: the key and its rights, the
 * Idempotency-Key, the survey's window, then api_store_response().
 * p_errors, when not NULL, holds the faults the service found in the body:
 * they are reported after the key and survey checks.
 */
CREATE FUNCTION api_submit_response(p_hash bytea, p_survey text,
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
	-- The request's fingerprint: its body and the survey it went to.
	v_request	bytea := sha256(p_body_hash || convert_to(p_survey,
			    'UTF8'));
BEGIN
	c := api_submit_check(p_hash, p_survey);
	IF c.status IN (401, 403, 404) THEN
		RETURN QUERY SELECT c.status, c.body, NULL::text;
		RETURN;
	END IF;

	IF p_idem_key IS NOT NULL THEN
		IF NOT pg_try_advisory_xact_lock(
		    hashtextextended(c.key_id || ':' || p_idem_key, 7102)) THEN
			RETURN QUERY SELECT 409, api_problem(409,
			    'idempotency-key-in-use', 'Idempotency Key In Use',
			    'A request with this Idempotency-Key is still in '
			    'progress; retry later.'), NULL::text;
			RETURN;
		END IF;
		SELECT * INTO idem FROM idempotency_keys i
		WHERE i.key_id = c.key_id AND i.idem_key = p_idem_key
		AND i.created_at > now() - interval '24 hours';
		IF FOUND THEN
			IF idem.request_hash <> v_request THEN
				RETURN QUERY SELECT 422, api_problem(422,
				    'idempotency-key-reused',
				    'Idempotency Key Reused', 'This '
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
		res := ROW(422, api_problem(422, 'invalid-body',
		    'Invalid Body', 'The response does not match the '
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

/*
 * The counters of a survey, for its tallies, if the key (or none) may see
 * them: status 200 and {"version", "total", "as_of", "counts": [[q, bucket,
 * n]...]}, or a problem.  Reading costs the number of counters, not of responses.
 */
CREATE FUNCTION api_tallies(p_hash bytea, p_survey text)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	s		record;
	k		record;
	v_public	boolean;
	v_found		boolean := false;
BEGIN
	SELECT sv.id, sv.results_visibility, sv.status, sv.closes_at INTO s
	FROM surveys sv WHERE sv.slug = p_survey;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, api_no_survey(p_survey), NULL::text;
		RETURN;
	END IF;

	v_public := s.results_visibility = 'public' OR
	    (s.results_visibility = 'after_close' AND
	    (s.status = 'closed' OR now() >= s.closes_at));
	IF NOT v_public THEN
		IF p_hash IS NOT NULL THEN
			SELECT * INTO k FROM api_key_use(p_hash);
			v_found := FOUND;
		END IF;
		IF NOT v_found THEN
			RETURN QUERY SELECT 401, api_problem(401,
			    'unauthorized', 'Unauthorized', 'The results of '
			    'this survey are not public yet: send an admin '
			    'key.'), NULL::text;
			RETURN;
		END IF;
		IF k.role <> 'admin' THEN
			RETURN QUERY SELECT 403, api_problem(403, 'forbidden',
			    'Forbidden', 'Only admins see the results of this '
			    'survey before they are public.'), NULL::text;
			RETURN;
		END IF;
	END IF;

	RETURN QUERY
	SELECT 200, json_build_object(
	    'version', COALESCE(sum(t.n) FILTER (WHERE t.question = ''), 0),
	    'total', COALESCE(sum(t.n) FILTER (WHERE t.question = ''
		AND t.bucket = 'accepted'), 0) - COALESCE(sum(t.n) FILTER (
		WHERE t.question = '' AND t.bucket = 'voided'), 0),
	    'as_of', api_time(now()),
	    'counts', COALESCE(json_agg(json_build_array(t.question, t.bucket,
		t.n)) FILTER (WHERE t.question <> ''), '[]'::json))::text,
	    NULL::text
	FROM (SELECT c.question, c.bucket, sum(c.n)::bigint AS n
	    FROM tally_counters c WHERE c.survey_id = s.id
	    GROUP BY c.question, c.bucket) t;
END
$$;

-- The surveys there are already (the seed) get their counter rows.
SELECT api_tally_prepare(id) FROM surveys;

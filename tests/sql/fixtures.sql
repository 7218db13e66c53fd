-- Fixtures shared by the SQL tests (tests/sql/*_test.sql), each of which
-- runs in one transaction that is rolled back: nothing stays behind.
--
-- Keys are made with known secrets (their SHA-256 is what the service
-- passes); the surveys are open now, on the seed plan.

CREATE TEMP TABLE t_key (name text PRIMARY KEY, id bigint, hash bytea);

CREATE FUNCTION pg_temp.t_make_key(p_name text, p_role text)
RETURNS bytea
LANGUAGE sql AS $$
	WITH k AS (
		INSERT INTO api_keys (public_id, name, role, prefix, secret_hash)
		VALUES ('key_' || substr(md5(p_name), 1, 16), 'sql test ' || p_name,
		    p_role, 'cpk_test', sha256(convert_to(p_name, 'UTF8')))
		RETURNING id, secret_hash
	)
	INSERT INTO t_key SELECT p_name, id, secret_hash FROM k
	RETURNING hash
$$;

CREATE FUNCTION pg_temp.t_hash(p_name text) RETURNS bytea
LANGUAGE sql AS $$ SELECT hash FROM t_key WHERE name = p_name $$;

CREATE FUNCTION pg_temp.t_make_survey(p_slug text, p_status text DEFAULT 'open')
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	sid	bigint;
BEGIN
	INSERT INTO surveys (plan_id, slug, title, opens_at, closes_at, status,
	    results_visibility)
	SELECT id, p_slug, 'SQL test ' || p_slug, now() - interval '1 day',
	    now() + interval '1 day', p_status, 'public'
	FROM plans WHERE slug = 'independence-2021'
	RETURNING id INTO sid;
	INSERT INTO survey_questions (survey_id, qid, position, prompt, type,
	    required, min_choices, max_choices)
	VALUES (sid, 'right-plan', 1, 'Right plan?', 'agreement', true, NULL, NULL),
	    (sid, 'top', 2, 'Top three?', 'objectives', false, 1, 3);
	PERFORM api_tally_prepare(sid);
	RETURN sid;
END
$$;

-- A submission as the service makes it (an item of api_submit_group):
-- p_top lists the objectives chosen; the body's hash is made from the
-- answers.
CREATE FUNCTION pg_temp.t_item(p_key text, p_survey text, p_external text,
    p_agree text, p_top text[], p_idem text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql AS $$
	SELECT jsonb_build_object('key', encode(pg_temp.t_hash(p_key), 'hex'),
	    'survey', p_survey, 'external_id', p_external,
	    'answers', jsonb_build_object('right-plan', p_agree, 'top',
		to_jsonb(p_top)),
	    'submitted_at', NULL, 'channel', NULL,
	    'hash', encode(sha256(convert_to(p_external || p_agree ||
		array_to_string(p_top, ','), 'UTF8')), 'hex'),
	    'idem', p_idem, 'errors', NULL,
	    'values', jsonb_build_array(jsonb_build_object('question',
		'right-plan', 'value', p_agree, 'objective', false)) ||
		COALESCE((SELECT jsonb_agg(jsonb_build_object('question',
		'top', 'value', t, 'objective', true)) FROM unnest(p_top) AS t),
		'[]'::jsonb))
$$;

-- An item alone, as a store of one sends it (dbq.c): api_submit_lone, its
-- members one by one, a JSON null as NULL.
CREATE FUNCTION pg_temp.t_lone(p_item jsonb) RETURNS api_result
LANGUAGE sql AS $$
	SELECT l.status, l.body, l.location FROM api_submit_lone(
	    p_item->>'key', p_item->>'survey', p_item->>'external_id',
	    NULLIF(p_item->'answers', 'null'), p_item->>'submitted_at',
	    p_item->>'channel', p_item->>'hash', p_item->>'idem',
	    NULLIF(p_item->'errors', 'null'), NULLIF(p_item->'values', 'null'))
	    AS l
$$;

-- The same submission alone.
CREATE FUNCTION pg_temp.t_submit(p_key text, p_survey text, p_external text,
    p_agree text, p_top text[], p_idem text DEFAULT NULL)
RETURNS api_result
LANGUAGE sql AS $$
	SELECT pg_temp.t_lone(pg_temp.t_item(p_key, p_survey, p_external,
	    p_agree, p_top, p_idem))
$$;

-- The counted total of a survey's counters: accepted less voided.
CREATE FUNCTION pg_temp.t_counted(p_survey bigint) RETURNS bigint
LANGUAGE sql AS $$
	SELECT COALESCE(sum(n) FILTER (WHERE bucket = 'accepted'), 0) -
	    COALESCE(sum(n) FILTER (WHERE bucket = 'voided'), 0)
	FROM tally_counters WHERE survey_id = p_survey AND question = ''
$$;

-- A bucket's count, summed over shards.
CREATE FUNCTION pg_temp.t_bucket(p_survey bigint, p_question text,
    p_bucket text) RETURNS bigint
LANGUAGE sql AS $$
	SELECT COALESCE(sum(n), 0) FROM tally_counters
	WHERE survey_id = p_survey AND question = p_question AND bucket = p_bucket
$$;

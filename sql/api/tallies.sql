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

/*
 * The one counter update.  Count p_responses responses (p_delta 1) or stop
 * counting them (-1, a void) from the values they answered (side by side:
 * the response each value belongs to, any number that tells them apart, its
 * question and its value): the survey's 'accepted' (or 'voided') count, a
 * bucket per value chosen, and '~answered' for each multi-valued question a
 * response answered.  All the rows go to one of 64 shards chosen by the
 * connection, each row once, in a fixed order (no deadlocks between
 * submissions): a worker's gathered submissions add to each counter once.
 * PL/pgSQL, not SQL, so that the plan is made once per connection rather
 * than at every call.
 */
CREATE FUNCTION api_tally_count(p_survey bigint, p_responses integer,
    p_ids bigint[], p_questions text[], p_values text[],
    p_delta integer DEFAULT 1)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO tally_counters AS t (survey_id, question, bucket, shard, n)
	SELECT p_survey, c.question, c.bucket, pg_backend_pid() % 64, sum(c.n)
	FROM (
		SELECT '' AS question, CASE WHEN p_delta > 0 THEN 'accepted'
		    ELSE 'voided' END AS bucket, p_responses AS n
		UNION ALL
		SELECT u.question, u.value, p_delta
		FROM unnest(p_questions, p_values) AS u (question, value)
		UNION ALL
		SELECT d.question, '~answered', p_delta
		FROM (SELECT DISTINCT u.id, u.question
		    FROM unnest(p_ids, p_questions) AS u (id, question)) AS d
		JOIN survey_questions q ON q.survey_id = p_survey
		AND q.qid = d.question AND q.type IN ('objectives', 'choices')
	) c
	WHERE c.question IS NOT NULL
	GROUP BY c.question, c.bucket
	ORDER BY c.question, c.bucket
	ON CONFLICT (survey_id, question, bucket, shard)
	DO UPDATE SET n = t.n + EXCLUDED.n;
END
$$;

/*
 * The counters of a survey (its id), whoever asks: {"version", "total",
 * "as_of", "counts": [[q, bucket, n]...]}.  Reading costs the number of
 * counters, not of responses.
 */
CREATE FUNCTION api_tally_body(p_survey bigint)
RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
	    'version', COALESCE(sum(t.n) FILTER (WHERE t.question = ''), 0),
	    'total', COALESCE(sum(t.n) FILTER (WHERE t.question = ''
		AND t.bucket = 'accepted'), 0) - COALESCE(sum(t.n) FILTER (
		WHERE t.question = '' AND t.bucket = 'voided'), 0),
	    'as_of', api_time(now()),
	    'counts', COALESCE(json_agg(json_build_array(t.question, t.bucket,
		t.n)) FILTER (WHERE t.question <> ''), '[]'::json))::text
	FROM (SELECT c.question, c.bucket, sum(c.n)::bigint AS n
	    FROM tally_counters c WHERE c.survey_id = p_survey
	    GROUP BY c.question, c.bucket) t
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
			RETURN QUERY SELECT 401, api_problem('unauthorized',
			    'The results of '
			    'this survey are not public yet: send an admin '
			    'key.'), NULL::text;
			RETURN;
		END IF;
		IF k.role <> 'admin' THEN
			RETURN QUERY SELECT 403, api_problem('forbidden',
			    'Only admins see the results of this '
			    'survey before they are public.'), NULL::text;
			RETURN;
		END IF;
	END IF;

	RETURN QUERY SELECT 200, api_tally_body(s.id), NULL::text;
END
$$;

/*
 * The counters of a survey (its slug) for an admin's event stream that
 * api_tallies() let in with the admin's key: the worker refreshes them
 * without a key while the stream is open (src/tallies.c), and ends the
 * stream when any key changes (the admin's may have been revoked).
 * 404 when the survey is gone.
 */
CREATE FUNCTION api_tallies_streamed(p_survey text)
RETURNS TABLE (status integer, body text)
LANGUAGE sql STABLE AS $$
	SELECT 200, api_tally_body(sv.id) FROM surveys sv
	WHERE sv.slug = p_survey
	UNION ALL
	SELECT 404, NULL
	WHERE NOT EXISTS (SELECT 1 FROM surveys sv WHERE sv.slug = p_survey)
$$;

-- Gathered submissions (api_submit_group): in one call, every kind of result
-- at once, each item answered as it would be alone, a fault in one item
-- failing no other, and the counters added once per group.
BEGIN;
\i tests/sql/fixtures.sql
SELECT plan(12);

SELECT pg_temp.t_make_key('p', 'partner');
SELECT pg_temp.t_make_key('q', 'partner');
SELECT pg_temp.t_make_key('shut-out', 'partner');
SELECT pg_temp.t_make_key('revoked', 'partner');
UPDATE api_keys SET revoked_at = now()
WHERE id = (SELECT id FROM t_key WHERE name = 'revoked');
CREATE TEMP TABLE t_s AS SELECT pg_temp.t_make_survey('sql-group') AS id;
SELECT pg_temp.t_make_survey('sql-group-closed', 'closed');
SELECT pg_temp.t_make_survey('sql-group-listed');
INSERT INTO survey_partners SELECT s.id, k.id FROM t_key k, surveys s
WHERE k.name = 'p' AND s.slug = 'sql-group-listed';
UPDATE objectives SET status = 'archived' WHERE slug = 'improve-visual-appearance';

-- Stored before the group: one to send again, one under an Idempotency-Key.
SELECT pg_temp.t_submit('p', 'sql-group', 'before', 'agree', '{reduce-blight}');
SELECT pg_temp.t_submit('p', 'sql-group', 'idem-before', 'agree', '{reduce-blight}', 'k1');

-- Every kind of result, some twice, in one group.
CREATE TEMP TABLE t_items AS
SELECT o::integer AS o, x AS item, want FROM unnest(ARRAY[
    pg_temp.t_item('p', 'sql-group', 'new-1', 'agree', '{reduce-blight,enhance-public-health}'),
    pg_temp.t_item('p', 'sql-group', 'before', 'agree', '{reduce-blight}'),
    pg_temp.t_item('p', 'sql-group', 'before', 'neutral', '{reduce-blight}'),
    pg_temp.t_item('p', 'sql-group', 'new-1', 'agree', '{reduce-blight,enhance-public-health}'),
    pg_temp.t_item('p', 'sql-group', 'new-1', 'disagree', '{reduce-blight}'),
    pg_temp.t_item('p', 'sql-group', 'archived', 'agree', '{improve-visual-appearance}'),
    pg_temp.t_item('p', 'sql-group', 'faults', 'agree', '{reduce-blight}')
	|| '{"errors": [{"pointer": "/answers/right-plan", "detail": "Required."}]}',
    pg_temp.t_item('revoked', 'sql-group', 'x', 'agree', '{reduce-blight}'),
    pg_temp.t_item('shut-out', 'sql-group-listed', 'x', 'agree', '{reduce-blight}'),
    pg_temp.t_item('p', 'sql-no-such-survey', 'x', 'agree', '{reduce-blight}'),
    pg_temp.t_item('p', 'sql-group-closed', 'x', 'agree', '{reduce-blight}'),
    pg_temp.t_item('p', 'sql-group', 'idem-before', 'agree', '{reduce-blight}', 'k1'),
    pg_temp.t_item('p', 'sql-group', 'other', 'agree', '{reduce-blight}', 'k1'),
    pg_temp.t_item('q', 'sql-group', 'idem-new', 'neutral', '{reduce-blight}', 'k2'),
    pg_temp.t_item('q', 'sql-group', 'idem-new', 'neutral', '{reduce-blight}', 'k2'),
    pg_temp.t_item('p', 'sql-group', 'too-long', 'agree', '{reduce-blight}')
	|| jsonb_build_object('channel', repeat('c', 51)),
    pg_temp.t_item('q', 'sql-group-listed', 'new-2', 'strongly_agree', '{reduce-blight}'),
    pg_temp.t_item('p', 'sql-group-listed', 'new-3', 'strongly_agree', '{reduce-blight}')
]) WITH ORDINALITY AS t (x, o),
LATERAL (SELECT (ARRAY[201, 200, 409, 200, 409, 422, 422, 401, 403, 404, 409,
    201, 422, 201, 201, 500, 403, 201])[o] AS want) AS w;

-- A body without what only a new response is given (its id, its time).
CREATE FUNCTION pg_temp.t_plain(p_body text) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT (p_body::jsonb) - 'id' - 'created_at' -
	    'existing_response' - 'detail' || jsonb_build_object('detail',
	    regexp_replace((p_body::jsonb)->>'detail', '[0-9a-f-]{36}', 'ID', 'g'))
$$;

SAVEPOINT before_group;
SELECT set_config('t.updates', (SELECT n_tup_upd + n_tup_ins FROM pg_stat_xact_user_tables
    WHERE relname = 'tally_counters')::text, true);
CREATE TEMP TABLE t_group AS
SELECT g.o::integer AS o, g.status, g.body, g.location
FROM api_submit_group((SELECT jsonb_agg(item ORDER BY o) FROM t_items))
    WITH ORDINALITY AS g (status, body, location, o);
CREATE TEMP TABLE t_counts AS SELECT question, bucket, sum(n) AS n
FROM tally_counters WHERE survey_id = (SELECT id FROM t_s) GROUP BY 1, 2;
SELECT is((SELECT n_tup_upd + n_tup_ins FROM pg_stat_xact_user_tables
    WHERE relname = 'tally_counters') - current_setting('t.updates')::bigint,
    -- sql-group: accepted, agree, neutral, reduce-blight, enhance-public-health,
    -- ~answered; sql-group-listed: accepted, strongly_agree, reduce-blight,
    -- ~answered
    10::bigint, 'each counter written once for the group');

SELECT is((SELECT count(*) FROM t_group), 18::bigint, 'one result per item');
SELECT is((SELECT array_agg(status ORDER BY o) FROM t_group),
    (SELECT array_agg(want ORDER BY o) FROM t_items), 'every kind of result, in order');
SELECT is((SELECT count(*) FROM responses WHERE external_id = 'new-1'), 1::bigint,
    'an external_id twice in a group is stored once');
SELECT is((SELECT (body::json)->>'id' FROM t_group WHERE o = 4),
    (SELECT (body::json)->>'id' FROM t_group WHERE o = 1),
    'the second answers with the first''s response');
SELECT is((SELECT location FROM t_group WHERE o = 5),
    (SELECT location FROM t_group WHERE o = 1),
    'the conflicting one names it');
SELECT is((SELECT body FROM t_group WHERE o = 12),
    (SELECT body FROM idempotency_keys WHERE idem_key = 'k1'),
    'an Idempotency-Key replays the first answer');
SELECT is((SELECT (body::json)->>'type' FROM t_group WHERE o = 16),
    '/problems/internal-error', 'an item the database refuses fails alone');
SELECT is((SELECT count(*) FROM responses WHERE external_id IN ('too-long')), 0::bigint,
    'and is not stored');

-- The same items one by one, from the same start: the same answers (but
-- for the ids and times a new response is given) and the same counters.
-- What the group answered is kept in psql's variables, past the rollback.
SELECT (SELECT array_agg(status ORDER BY o) FROM t_group)::text AS g_status,
    (SELECT array_agg(pg_temp.t_plain(body) ORDER BY o) FROM t_group)::text
	AS g_bodies,
    (SELECT array_agg(ROW(question, bucket, n) ORDER BY question, bucket)
	FROM t_counts)::text AS g_counts \gset
ROLLBACK TO SAVEPOINT before_group;
CREATE TEMP TABLE t_alone (o integer, status integer, body text, location text);
DO $$
DECLARE
	t	record;
BEGIN
	FOR t IN SELECT * FROM t_items ORDER BY o LOOP
		INSERT INTO t_alone SELECT t.o, g.* FROM
		    pg_temp.t_lone(t.item) AS g;
	END LOOP;
END
$$;
SELECT is((SELECT array_agg(status ORDER BY o) FROM t_alone)::text,
    :'g_status', 'alone: the same statuses');
SELECT is((SELECT array_agg(pg_temp.t_plain(body) ORDER BY o) FROM t_alone)::text,
    :'g_bodies', 'alone: the same bodies');
SELECT is((SELECT array_agg(ROW(question, bucket, n) ORDER BY question, bucket)
    FROM (SELECT question, bucket, sum(n) AS n FROM tally_counters
    WHERE survey_id = (SELECT id FROM t_s) GROUP BY 1, 2) c)::text,
    :'g_counts', 'alone: the same counters');

SELECT * FROM finish();
ROLLBACK;

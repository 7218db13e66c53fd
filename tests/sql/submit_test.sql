-- Exactly once and the counters: a response is stored once per key, survey
-- and external_id, whichever way stores it (with the usual items of a group,
-- or the long way, with an Idempotency-Key), and the counters move with
-- every stored and voided response, by the one counter update.
BEGIN;
\i tests/sql/fixtures.sql
SELECT plan(23);

SELECT pg_temp.t_make_key('admin', 'admin');
SELECT pg_temp.t_make_key('p', 'partner');
CREATE TEMP TABLE t_s AS SELECT pg_temp.t_make_survey('sql-submit') AS id;

SELECT is((pg_temp.t_submit('p', 'sql-submit', 'e1', 'agree',
    '{reduce-blight,enhance-public-health}')).status, 201, 'a new response: 201');
SELECT isnt((SELECT last_used_at FROM api_keys k JOIN t_key t USING (id) WHERE t.name = 'p'),
    NULL, 'the key''s use is recorded');
-- The key's use recorded within the minute, a lone usual submission goes
-- the short way (api_submit_lone's one statement): neither the group nor
-- the checks and the store of the general way are called.  Its counters are
-- checked below.
SET LOCAL track_functions = 'pl';
SELECT is((pg_temp.t_submit('p', 'sql-submit', 'e2', 'neutral',
    '{reduce-blight}')).status, 201, 'another: 201');
SELECT is((SELECT COALESCE(sum(calls), 0) FROM pg_stat_xact_user_functions
    WHERE funcname IN ('api_submit_group', 'api_submit_check',
    'api_store_responses')), 0::numeric,
    'alone and usual, it is stored in one statement');

CREATE TEMP TABLE t_first AS SELECT * FROM pg_temp.t_submit('p', 'sql-submit', 'e1', 'agree',
    '{reduce-blight,enhance-public-health}');
SELECT is((SELECT status FROM t_first), 200, 'the same response again: 200');
SELECT is((SELECT (body::json)->>'external_id' FROM t_first), 'e1', 'with the stored response');
SELECT is((SELECT count(*) FROM responses WHERE survey_id = (SELECT id FROM t_s)
    AND external_id = 'e1'), 1::bigint, 'stored once');

CREATE TEMP TABLE t_dup AS SELECT * FROM pg_temp.t_submit('p', 'sql-submit', 'e1', 'disagree',
    '{reduce-blight}');
SELECT is((SELECT status FROM t_dup), 409, 'other answers under the same external_id: 409');
SELECT is((SELECT (body::json)->>'type' FROM t_dup), '/problems/duplicate-response',
    'named by its code');
SELECT is((SELECT location FROM t_dup), (SELECT location FROM t_first),
    'Location names the stored response');
SELECT is((pg_temp.t_submit('admin', 'sql-submit', 'e1', 'agree', '{reduce-blight}')).status,
    201, 'another key may use the same external_id');

-- An archived objective is refused, and nothing is stored.
UPDATE objectives SET status = 'archived' WHERE slug = 'improve-visual-appearance';
CREATE TEMP TABLE t_arch AS SELECT * FROM pg_temp.t_submit('p', 'sql-submit', 'e3', 'agree',
    '{improve-visual-appearance}');
SELECT is((SELECT status FROM t_arch), 422, 'an archived objective: 422');
SELECT is((SELECT (body::json)#>>'{errors,0,pointer}' FROM t_arch), '/answers', 'at /answers');
SELECT is((SELECT count(*) FROM responses WHERE external_id = 'e3'), 0::bigint,
    'nothing stored');

-- Idempotency-Key: the first answer again for the same body; 422 for another.
SELECT is((pg_temp.t_submit('p', 'sql-submit', 'e4', 'agree', '{reduce-blight}', 'idem-1')).status,
    201, 'with an Idempotency-Key: 201');
SELECT is((pg_temp.t_submit('p', 'sql-submit', 'e4', 'agree', '{reduce-blight}', 'idem-1')).status,
    201, 'the same key and body replay the first answer');
SELECT is((pg_temp.t_submit('p', 'sql-submit', 'e5', 'agree', '{reduce-blight}', 'idem-1')).status,
    422, 'the same key with another body: 422');

-- The counters: 4 stored (e1, e2, admin's e1, e4), one voided.
SELECT is(pg_temp.t_counted((SELECT id FROM t_s)), 4::bigint, 'counted: every stored response once');
SELECT is(pg_temp.t_bucket((SELECT id FROM t_s), 'top', 'reduce-blight'), 4::bigint,
    'votes per objective');
SELECT is(pg_temp.t_bucket((SELECT id FROM t_s), 'top', '~answered'), 4::bigint,
    'respondents who answered a multi-valued question');
SELECT is((api_response_void(pg_temp.t_hash('admin'), 'sql-submit',
    (SELECT public_id::text FROM responses WHERE external_id = 'e2'),
    '{"reason": "test"}')).status, 200, 'a void: 200');
SELECT is(pg_temp.t_counted((SELECT id FROM t_s)), 3::bigint, 'a voided response is not counted');
SELECT is(pg_temp.t_bucket((SELECT id FROM t_s), 'right-plan', 'neutral'), 0::bigint,
    'nor are its answers');

SELECT * FROM finish();
ROLLBACK;

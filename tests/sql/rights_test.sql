-- Who may submit where: the one rule (api_submitter), and the problems of
-- api_submit_check that follow from it.
BEGIN;
\i tests/sql/fixtures.sql
SELECT plan(16);

SELECT pg_temp.t_make_key('admin', 'admin');
SELECT pg_temp.t_make_key('open-partner', 'partner');
SELECT pg_temp.t_make_key('limited', 'partner');
SELECT pg_temp.t_make_key('listed', 'partner');
SELECT pg_temp.t_make_key('revoked', 'partner');
UPDATE api_keys SET revoked_at = now()
WHERE id = (SELECT id FROM t_key WHERE name = 'revoked');
SELECT pg_temp.t_make_survey('sql-any');
SELECT pg_temp.t_make_survey('sql-listed');
SELECT pg_temp.t_make_survey('sql-closed', 'closed');
-- 'limited' may submit to sql-listed only; sql-listed takes 'listed' and
-- 'limited' only.
INSERT INTO api_key_surveys SELECT k.id, s.id FROM t_key k, surveys s
WHERE k.name = 'limited' AND s.slug = 'sql-listed';
INSERT INTO survey_partners SELECT s.id, k.id FROM t_key k, surveys s
WHERE k.name IN ('listed', 'limited') AND s.slug = 'sql-listed';

CREATE FUNCTION pg_temp.allowed(p_key text, p_survey text) RETURNS boolean
LANGUAGE sql AS $$
	SELECT allowed FROM api_submitter(pg_temp.t_hash(p_key), p_survey)
$$;

SELECT is(pg_temp.allowed('admin', 'sql-any'), true, 'an admin key submits anywhere');
SELECT is(pg_temp.allowed('admin', 'sql-listed'), true, 'an admin key ignores partner lists');
SELECT is(pg_temp.allowed('open-partner', 'sql-any'), true,
    'a partner key limited to nothing submits to a survey listing no partners');
SELECT is(pg_temp.allowed('open-partner', 'sql-listed'), false,
    'a survey listing partners refuses the others');
SELECT is(pg_temp.allowed('listed', 'sql-listed'), true, 'a listed partner submits');
SELECT is(pg_temp.allowed('limited', 'sql-listed'), true,
    'a key limited to a survey that lists it submits there');
SELECT is(pg_temp.allowed('limited', 'sql-any'), false,
    'a key limited to some surveys submits nowhere else');
SELECT is_empty($$ SELECT * FROM api_submitter(pg_temp.t_hash('revoked'), 'sql-any') $$,
    'a revoked key is nobody');
SELECT is_empty($$ SELECT * FROM api_submitter(sha256('no such key'), 'sql-any') $$,
    'an unknown key is nobody');
SELECT is((SELECT survey_id FROM api_submitter(pg_temp.t_hash('admin'), 'sql-nope')),
    NULL, 'an unknown survey leaves the survey empty');
SELECT is((SELECT open FROM api_submitter(pg_temp.t_hash('admin'), 'sql-closed')),
    false, 'a closed survey is not open');

SELECT is((api_submit_check(sha256('no such key'), 'sql-any')).status, 401, 'unknown key: 401');
SELECT is((api_submit_check(pg_temp.t_hash('admin'), 'sql-nope')).status, 404, 'unknown survey: 404');
SELECT is((api_submit_check(pg_temp.t_hash('open-partner'), 'sql-listed')).status, 403,
    'a key without the right: 403');
SELECT is((api_submit_check(pg_temp.t_hash('listed'), 'sql-closed')).status, 409,
    'a closed survey: 409');
SELECT is((api_submit_check(pg_temp.t_hash('listed'), 'sql-listed')).status, NULL,
    'a key with the right: no problem');

SELECT * FROM finish();
ROLLBACK;

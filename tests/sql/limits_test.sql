-- The lengths and counts the API documents (docs/openapi.json maxLength,
-- maxItems), kept by the tables for rows written with plain SQL too
-- (sql/schema/018_text_limits.sql).
BEGIN;
SELECT plan(13);

SELECT lives_ok($$ UPDATE plans SET title = repeat('t', 200) $$,
    'a plan title of 200 characters is kept');
SELECT throws_ok($$ UPDATE plans SET title = repeat('t', 201) $$, '23514',
    NULL, 'a plan title of 201 characters is refused');
SELECT throws_ok($$ UPDATE plans SET city = repeat('c', 201) $$, '23514',
    NULL, 'a city of 201 characters is refused');
SELECT throws_ok($$ UPDATE plans SET mission = repeat('m', 5001) $$, '23514',
    NULL, 'a mission of 5001 characters is refused');
SELECT throws_ok($$ UPDATE goals SET statement = repeat('s', 2001) $$,
    '23514', NULL, 'a goal statement of 2001 characters is refused');
SELECT throws_ok($$ UPDATE objectives SET title = repeat('o', 301) $$,
    '23514', NULL, 'an objective title of 301 characters is refused');
SELECT throws_ok($$ UPDATE priority_sets SET decided_by = repeat('d', 201) $$,
    '23514', NULL, 'a decided_by of 201 characters is refused');
SELECT throws_ok($$ UPDATE surveys SET description = repeat('d', 2001) $$,
    '23514', NULL, 'a survey description of 2001 characters is refused');
SELECT throws_ok($$ UPDATE surveys SET timezone = repeat('z', 65) $$,
    '23514', NULL, 'a time zone of 65 characters is refused');
SELECT throws_ok($$ UPDATE survey_questions SET prompt = repeat('p', 501) $$,
    '23514', NULL, 'a prompt of 501 characters is refused');
SELECT throws_ok($$ UPDATE survey_questions SET position = position + 50 $$,
    '23514', NULL, 'a 51st question is refused');
SELECT throws_ok($$ UPDATE priorities SET rank = rank + 50 $$,
    '23514', NULL, 'a 51st priority of a year is refused');
SELECT lives_ok($$ UPDATE survey_questions SET prompt = repeat('é', 500) $$,
    'a prompt of 500 characters (not bytes) is kept');

SELECT * FROM finish();
ROLLBACK;

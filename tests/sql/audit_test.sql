-- The audit log: API writes record themselves, other writes are recorded
-- row by row at commit, and the log itself cannot be changed.
BEGIN;
\i tests/sql/fixtures.sql
SELECT plan(8);

SELECT pg_temp.t_make_key('admin', 'admin');
SET CONSTRAINTS ALL IMMEDIATE;
CREATE TEMP TABLE t_before AS SELECT coalesce(max(id), 0) AS id FROM audit_log;

-- A plain UPDATE: one row entry, by the database user.
UPDATE goals SET title = 'Economy (SQL test)' WHERE slug = 'economy';
SELECT is((SELECT count(*) FROM audit_log WHERE id > (SELECT id FROM t_before)
    AND resource = 'goal'), 1::bigint, 'a plain UPDATE is recorded once');
SELECT is((SELECT source FROM audit_log WHERE id > (SELECT id FROM t_before)
    AND resource = 'goal'), 'row', 'as a row change');
SELECT is((SELECT before->>'title' FROM audit_log WHERE id > (SELECT id FROM t_before)
    AND resource = 'goal'), 'Economy', 'with the row before');

-- A key made through the API: one entry, by the admin's key.
SELECT is((SELECT status FROM api_key_post(pg_temp.t_hash('admin'), 'req-sql-test',
    '{"name": "SQL test partner", "role": "partner"}', 'key_00000000000000aa',
    'cpk_abcd', sha256('a partner secret'))), 201, 'a key is made through the API');
SELECT is((SELECT count(*) FROM audit_log WHERE id > (SELECT id FROM t_before)
    AND resource = 'key' AND source = 'api' AND request_id = 'req-sql-test'
    AND key_id = (SELECT id FROM t_key WHERE name = 'admin')), 1::bigint,
    'recorded once, as the API''s, with who and the request id');

SELECT throws_ok($$ UPDATE audit_log SET resource = 'plan' $$, '42501', NULL,
    'the log refuses UPDATE');
SELECT throws_ok($$ DELETE FROM audit_log $$, '42501', NULL, 'the log refuses DELETE');
SELECT throws_ok($$ TRUNCATE audit_log $$, NULL, NULL, 'the log refuses TRUNCATE');

SELECT * FROM finish();
ROLLBACK;

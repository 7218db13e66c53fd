-- A key's own rate limit: its faults (api_key_limit_fault), PATCH
-- (api_key_patch), and what the workers poll (api_key_limits and the
-- revision that moves with every change of a limit or of a key's liveness).
BEGIN;
\i tests/sql/fixtures.sql
SELECT plan(25);

SELECT pg_temp.t_make_key('admin', 'admin');
SELECT pg_temp.t_make_key('partner', 'partner');

CREATE FUNCTION pg_temp.fault(p_value text) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT api_key_limit_fault(('{"rate_limit": ' || p_value || '}')::jsonb)
$$;

SELECT is(pg_temp.fault('null'), '[]'::jsonb, 'null is the default');
SELECT is(pg_temp.fault('1'), '[]'::jsonb, '1 is a limit');
SELECT is(pg_temp.fault('10000000'), '[]'::jsonb, '10,000,000 is a limit');
SELECT is(api_key_limit_fault('{}'), '[]'::jsonb, 'no member, no fault');
SELECT is((pg_temp.fault(v)->0->>'pointer'), '/rate_limit',
    format('%s is a fault at /rate_limit', v))
FROM unnest(ARRAY['0', '-1', '10000001', '1e30', '1.5', '1.0', '"5"', 'true',
    '[]', '{}']) v;

CREATE TEMP TABLE t_rev AS SELECT revision FROM key_limits_revision;
CREATE FUNCTION pg_temp.moved() RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	now_rev	bigint := (SELECT revision FROM key_limits_revision);
	was	bigint := (SELECT revision FROM t_rev);
BEGIN
	UPDATE t_rev SET revision = now_rev;
	RETURN now_rev <> was;
END
$$;

SELECT is((SELECT status FROM api_key_patch(pg_temp.t_hash('admin'), 'sql',
    (SELECT public_id FROM api_keys WHERE id = (SELECT id FROM t_key WHERE name = 'partner')),
    '{"rate_limit": 7}')), 200, 'an admin sets a key''s limit');
SELECT ok(pg_temp.moved(), 'a new limit moves the revision');
SELECT is((SELECT rate_limit FROM api_key_limits(0)
    WHERE secret_hash = encode(pg_temp.t_hash('partner'), 'hex')), 7,
    'the workers read the new limit');
SELECT is((SELECT count(*)::integer FROM api_key_limits(
    (SELECT revision FROM key_limits_revision))), 1,
    'nothing but the revision when nothing moved');
SELECT ok((SELECT secret_hash IS NULL FROM api_key_limits(
    (SELECT revision FROM key_limits_revision))), '... and no key in it');

UPDATE api_keys SET last_used_at = now();
SELECT ok(NOT pg_temp.moved(), 'a key''s use does not move the revision');

SELECT is((SELECT status FROM api_key_patch(pg_temp.t_hash('partner'), 'sql',
    (SELECT public_id FROM api_keys WHERE id = (SELECT id FROM t_key WHERE name = 'partner')),
    '{"rate_limit": 100000}')), 403, 'a partner cannot raise its own limit');
SELECT is((SELECT status FROM api_key_patch(pg_temp.t_hash('admin'), 'sql',
    'key_ffffffffffffffff', '{"rate_limit": 1}')), 404, 'no such key: 404');
SELECT ok((SELECT count(*) = 1 FROM audit_log WHERE resource = 'key'
    AND action = 'update' AND path = '/v1/keys/' || (SELECT public_id
    FROM api_keys WHERE id = (SELECT id FROM t_key WHERE name = 'partner'))
    AND (before->>'rate_limit') IS NULL
    AND (after->>'rate_limit')::integer = 7),
    'the change is in the audit log');

UPDATE api_keys SET revoked_at = now()
WHERE id = (SELECT id FROM t_key WHERE name = 'partner');
SELECT ok(pg_temp.moved(), 'revoking a key moves the revision');
SELECT is((SELECT count(*)::integer FROM api_key_limits(0)
    WHERE secret_hash = encode(pg_temp.t_hash('partner'), 'hex')), 0,
    'a revoked key is not a live key');

SELECT * FROM finish();
ROLLBACK;

-- Progress: the status rule (direction, ranges, several dated targets,
-- no_data, not_due), overrides, as_of, append-only corrections, versioned
-- rules and the roll-up.  Every measure here is made up for the test and
-- named so; rows are written with the moments they were recorded at, so
-- that as_of can be asked of any moment between them.
BEGIN;
\i tests/sql/fixtures.sql
SELECT plan(48);

SELECT pg_temp.t_make_key('admin', 'admin');

-- An indicator of the seed plan recorded at 2026-01-02, with direction d.
CREATE FUNCTION pg_temp.t_ind(p_slug text, p_dir text,
    p_objective text DEFAULT 'reduce-blight', p_weight numeric DEFAULT 1)
RETURNS bigint
LANGUAGE sql AS $$
	WITH i AS (INSERT INTO indicators (plan_id, slug, created_at)
	    SELECT id, p_slug, '2026-01-02T00:00:00Z' FROM plans
	    WHERE slug = 'independence-2021' RETURNING id)
	INSERT INTO indicator_versions (indicator_id, recorded_at, def)
	SELECT i.id, '2026-01-02T00:00:00Z', jsonb_build_object('code',
	    'TEST-' || p_slug, 'title', 'Test measure ' || p_slug,
	    'objective', p_objective, 'direction', p_dir, 'weight', p_weight,
	    'unit', '{"code": "{incidents}", "label": "incidents"}'::jsonb)
	FROM i RETURNING indicator_id
$$;

CREATE FUNCTION pg_temp.t_target(p_ind bigint, p_start date, p_end date,
    p_value numeric, p_min numeric, p_max numeric, p_at timestamptz,
    p_supersedes bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE sql AS $$
	INSERT INTO targets (indicator_id, period_start, period_end, value, min,
	    max, rationale, supersedes, recorded_at)
	VALUES (p_ind, p_start, p_end, p_value, p_min, p_max, 'test target',
	    p_supersedes, p_at) RETURNING id
$$;

CREATE FUNCTION pg_temp.t_obs(p_ind bigint, p_start date, p_end date,
    p_value numeric, p_at timestamptz, p_supersedes bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE sql AS $$
	INSERT INTO observations (indicator_id, period_start, period_end, value,
	    quality, supersedes, recorded_at)
	VALUES (p_ind, p_start, p_end, p_value, 'final', p_supersedes, p_at)
	RETURNING id
$$;

CREATE FUNCTION pg_temp.t_status(p_ind bigint, p_at timestamptz) RETURNS text
LANGUAGE sql AS $$ SELECT progress_assess(p_ind, p_at)->>'status' $$;

CREATE TEMP TABLE t_id (name text PRIMARY KEY, id bigint);

-- Direction: increase, actual / target.
INSERT INTO t_id SELECT 'up', pg_temp.t_ind('test-up', 'increase');
INSERT INTO t_id SELECT 'up-t', pg_temp.t_target((SELECT id FROM t_id WHERE name = 'up'),
    '2025-01-01', '2025-12-31', 100, NULL, NULL, '2026-01-03T00:00:00Z');
SELECT pg_temp.t_obs((SELECT id FROM t_id WHERE name = 'up'), '2025-01-01', '2025-12-31',
    105, '2026-01-04T00:00:00Z');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'up'), '2026-02-01T00:00:00Z'),
    'on_track', 'increase: 105 against 100 is on_track');
SELECT is(progress_assess((SELECT id FROM t_id WHERE name = 'up'), '2026-02-01T00:00:00Z')->>'ratio',
    '1.05', 'with the ratio actual / target');
SELECT is(progress_assess((SELECT id FROM t_id WHERE name = 'up'), '2026-02-01T00:00:00Z')
    #>> '{rule,id}', 'ratio', 'naming the rule');
SELECT is(progress_assess((SELECT id FROM t_id WHERE name = 'up'), '2026-02-01T00:00:00Z')
    #>> '{rule,version}', '1', 'and its version');
SELECT is(progress_assess((SELECT id FROM t_id WHERE name = 'up'), '2026-02-01T00:00:00Z')
    #>> '{target,id}', (SELECT id::text FROM t_id WHERE name = 'up-t'),
    'and the exact target used');
SELECT is(jsonb_array_length(progress_assess((SELECT id FROM t_id WHERE name = 'up'),
    '2026-02-01T00:00:00Z')->'observations'), 1, 'and the observation used');

-- Direction: decrease, target / actual (a measure "at most 150" at 119).
INSERT INTO t_id SELECT 'down', pg_temp.t_ind('test-down', 'decrease');
SELECT pg_temp.t_target((SELECT id FROM t_id WHERE name = 'down'), '2025-01-01', '2025-12-31',
    150, NULL, NULL, '2026-01-03T00:00:00Z');
SELECT pg_temp.t_obs((SELECT id FROM t_id WHERE name = 'down'), '2025-01-01', '2025-12-31',
    119, '2026-01-04T00:00:00Z');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'down'), '2026-02-01T00:00:00Z'),
    'on_track', 'decrease: 119 against at most 150 is on_track, not red');
SELECT pg_temp.t_obs((SELECT id FROM t_id WHERE name = 'down'), '2025-01-01', '2025-12-31',
    160, '2026-01-05T00:00:00Z', (SELECT max(id) FROM observations));
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'down'), '2026-02-01T00:00:00Z'),
    'at_risk', 'decrease: 160 against 150 (ratio 0.9375) is at_risk');
SELECT is(progress_assess((SELECT id FROM t_id WHERE name = 'down'), '2026-02-01T00:00:00Z')->>'ratio',
    '0.9375', 'with the inverted ratio');
SELECT pg_temp.t_obs((SELECT id FROM t_id WHERE name = 'down'), '2025-01-01', '2025-12-31',
    200, '2026-01-06T00:00:00Z', (SELECT max(id) FROM observations));
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'down'), '2026-02-01T00:00:00Z'),
    'off_track', 'decrease: 200 against 150 is off_track');

-- Range: {min, max}.
INSERT INTO t_id SELECT 'range', pg_temp.t_ind('test-range', 'range');
SELECT pg_temp.t_target((SELECT id FROM t_id WHERE name = 'range'), '2025-01-01', '2025-12-31',
    NULL, 10, 20, '2026-01-03T00:00:00Z');
SELECT pg_temp.t_obs((SELECT id FROM t_id WHERE name = 'range'), '2025-01-01', '2025-12-31',
    15, '2026-01-04T00:00:00Z');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'range'), '2026-01-04T12:00:00Z'),
    'on_track', 'range: 15 inside [10, 20] is on_track');
SELECT pg_temp.t_obs((SELECT id FROM t_id WHERE name = 'range'), '2025-01-01', '2025-12-31',
    9.5, '2026-01-05T00:00:00Z', (SELECT max(id) FROM observations));
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'range'), '2026-01-05T12:00:00Z'),
    'at_risk', 'range: 9.5 below min 10 (ratio 0.95) is at_risk');
SELECT pg_temp.t_obs((SELECT id FROM t_id WHERE name = 'range'), '2025-01-01', '2025-12-31',
    25, '2026-01-06T00:00:00Z', (SELECT max(id) FROM observations));
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'range'), '2026-01-06T12:00:00Z'),
    'off_track', 'range: 25 above max 20 (ratio 0.8) is off_track');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'range'), '2026-01-05T12:00:00Z'),
    'at_risk', 'as_of between corrections shows the one in force then');

-- Several dated targets: each observation is judged against its period's.
INSERT INTO t_id SELECT 'dated', pg_temp.t_ind('test-dated', 'increase');
INSERT INTO t_id SELECT 'dated-25', pg_temp.t_target((SELECT id FROM t_id WHERE name = 'dated'),
    '2025-01-01', '2025-12-31', 100, NULL, NULL, '2026-01-03T00:00:00Z');
INSERT INTO t_id SELECT 'dated-26', pg_temp.t_target((SELECT id FROM t_id WHERE name = 'dated'),
    '2026-01-01', '2026-12-31', 120, NULL, NULL, '2026-01-03T00:00:00Z');
SELECT pg_temp.t_obs((SELECT id FROM t_id WHERE name = 'dated'), '2025-01-01', '2025-12-31',
    110, '2026-01-04T00:00:00Z');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'dated'), '2026-02-01T00:00:00Z'),
    'on_track', 'several targets: 2025''s 110 against 2025''s 100 is on_track');
SELECT is(progress_assess((SELECT id FROM t_id WHERE name = 'dated'), '2026-02-01T00:00:00Z')
    #>> '{target,id}', (SELECT id::text FROM t_id WHERE name = 'dated-25'),
    'naming 2025''s target');
SELECT pg_temp.t_obs((SELECT id FROM t_id WHERE name = 'dated'), '2026-01-01', '2026-06-30',
    110, '2026-07-02T00:00:00Z');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'dated'), '2026-07-03T00:00:00Z'),
    'at_risk', 'the first half of 2026 at 110 against 2026''s 120 is at_risk');
SELECT is(progress_assess((SELECT id FROM t_id WHERE name = 'dated'), '2026-07-03T00:00:00Z')
    #>> '{target,id}', (SELECT id::text FROM t_id WHERE name = 'dated-26'),
    'naming 2026''s target');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'dated'), '2026-07-01T00:00:00Z'),
    'on_track', 'as_of before that observation: 2025''s status again');

-- A target superseded: both stay visible, the newer one is used.
INSERT INTO t_id SELECT 'dated-26b', pg_temp.t_target((SELECT id FROM t_id WHERE name = 'dated'),
    '2026-01-01', '2026-12-31', 110, NULL, NULL, '2026-07-04T00:00:00Z',
    (SELECT id FROM t_id WHERE name = 'dated-26'));
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'dated'), '2026-07-05T00:00:00Z'),
    'on_track', 'the superseding 2026 target (110) is the one in force');
SELECT is((SELECT count(*)::integer FROM json_array_elements(progress_indicator_doc(
    (SELECT id FROM t_id WHERE name = 'dated'), '2026-07-05T00:00:00Z')->'targets')),
    3, 'every target stays visible');
SELECT is((SELECT t->>'superseded_by' FROM json_array_elements(progress_indicator_doc(
    (SELECT id FROM t_id WHERE name = 'dated'), '2026-07-05T00:00:00Z')->'targets') t
    WHERE (t->>'id')::bigint = (SELECT id FROM t_id WHERE name = 'dated-26')),
    (SELECT id::text FROM t_id WHERE name = 'dated-26b'), 'the old one names its successor');

-- not_due and no_data.
INSERT INTO t_id SELECT 'later', pg_temp.t_ind('test-later', 'increase');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'later'), '2026-02-01T00:00:00Z'),
    'not_due', 'no target at all: not_due');
SELECT pg_temp.t_target((SELECT id FROM t_id WHERE name = 'later'), '2026-06-01', '2026-12-31',
    50, NULL, NULL, '2026-01-03T00:00:00Z');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'later'), '2026-02-01T00:00:00Z'),
    'not_due', 'a target whose period has not begun: not_due');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'later'), '2026-06-02T00:00:00Z'),
    'no_data', 'its period has begun and nothing was observed: no_data');
SELECT pg_temp.t_obs((SELECT id FROM t_id WHERE name = 'later'), '2026-06-01', '2026-06-30',
    50, '2026-07-01T00:00:00Z');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'later'), '2026-06-02T00:00:00Z'),
    'no_data', 'as_of before the observation was recorded: still no_data');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'later'), '2026-07-02T00:00:00Z'),
    'on_track', 'after it: on_track');

-- Append-only: no UPDATE, no DELETE, no TRUNCATE.
SELECT throws_ok($$ UPDATE observations SET value = 1 $$, '42501', NULL,
    'observations refuse UPDATE');
SELECT throws_ok($$ DELETE FROM targets $$, '42501', NULL, 'targets refuse DELETE');
SELECT throws_ok($$ TRUNCATE status_overrides $$, '42501', NULL,
    'overrides refuse TRUNCATE');

-- A correction through the API: it supersedes, once.
SELECT is((SELECT status FROM api_observation_add(pg_temp.t_hash('admin'), 'req-sql',
    'independence-2021', 'test-up', jsonb_build_object('period',
    '{"start": "2025-01-01", "end": "2025-12-31"}'::jsonb, 'value', 80,
    'quality', 'revised', 'supersedes', (SELECT min(id) FROM observations o
    WHERE o.indicator_id = (SELECT id FROM t_id WHERE name = 'up'))))), 201,
    'a correction is a new observation');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'up'), now()), 'off_track',
    'the corrected value (80) is the one in force');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'up'), '2026-02-01T00:00:00Z'),
    'on_track', 'as_of before the correction: the original (105)');
SELECT is((SELECT status FROM api_observation_add(pg_temp.t_hash('admin'), 'req-sql',
    'independence-2021', 'test-up', jsonb_build_object('period',
    '{"start": "2025-01-01", "end": "2025-12-31"}'::jsonb, 'value', 81,
    'quality', 'revised', 'supersedes', (SELECT min(id) FROM observations o
    WHERE o.indicator_id = (SELECT id FROM t_id WHERE name = 'up'))))), 422,
    'an observation already superseded cannot be corrected again');
SELECT is((SELECT count(*)::integer FROM audit_log WHERE resource = 'observation'
    AND request_id = 'req-sql'), 1, 'the correction is in the audit log');

-- Bad bodies: 422 with pointers.
SELECT is((SELECT (body::jsonb #>> '{errors,0,pointer}') FROM api_target_add(
    pg_temp.t_hash('admin'), 'req-sql', 'independence-2021', 'test-up',
    '{"period": {"start": "2026-02-30", "end": "2026-12-31"}, "value": 1}')),
    '/period/start', 'a target with an impossible date: 422 at /period/start');
SELECT is((SELECT (body::jsonb #>> '{errors,0,pointer}') FROM api_target_add(
    pg_temp.t_hash('admin'), 'req-sql', 'independence-2021', 'test-range',
    '{"period": {"start": "2026-01-01", "end": "2026-12-31"}, "value": 1}')),
    '/min', 'a value for a range indicator: 422 at /min');

-- Overrides: the computed status stays visible beside them.
SELECT is((SELECT status FROM api_override_add(pg_temp.t_hash('admin'), 'req-sql',
    'independence-2021', 'test-later', '{"status": "at_risk"}')), 422,
    'an override needs a reason');
SELECT is((SELECT body::json->>'status' FROM api_override_add(pg_temp.t_hash('admin'),
    'req-sql', 'independence-2021', 'test-later',
    '{"status": "at_risk", "reason": "The data source changed its method."}')),
    'at_risk', 'with a reason, the override is the indicator''s status');
SELECT is(progress_indicator_doc((SELECT id FROM t_id WHERE name = 'later'), now())
    #>> '{computed,status}', 'on_track', 'and the computed status is shown beside it');
SELECT is(progress_indicator_doc((SELECT id FROM t_id WHERE name = 'later'),
    '2026-07-02T00:00:00Z') #>> '{override}', NULL, 'as_of before it: no override');
SELECT is((SELECT body::json->>'status' FROM api_override_add(pg_temp.t_hash('admin'),
    'req-sql', 'independence-2021', 'test-later',
    '{"status": null, "reason": "Reviewed."}')), 'on_track', 'lifting it');

-- A new version of the rule applies from its publication on.
INSERT INTO status_rules (slug, version, published_at, definition)
SELECT 'ratio', 2, '2026-08-01T00:00:00Z', jsonb_set(definition, '{thresholds}',
    '[{"status": "on_track", "ratio_at_least": 1.1}, {"status": "at_risk", "ratio_at_least": 0.9}, {"status": "off_track", "ratio_below": 0.9}]')
FROM status_rules WHERE slug = 'ratio' AND version = 1;
SELECT is(progress_assess((SELECT id FROM t_id WHERE name = 'dated'), '2026-08-02T00:00:00Z')
    #>> '{rule,version}', '2', 'an assessment after the new version names it');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'dated'), '2026-08-02T00:00:00Z'),
    'at_risk', 'and follows its thresholds');
SELECT is(pg_temp.t_status((SELECT id FROM t_id WHERE name = 'dated'), '2026-07-05T00:00:00Z'),
    'on_track', 'as_of before it: version 1''s');

-- The roll-up: an objective of two indicators, on_track (1) and
-- off_track (0), weights 3 and 1: score 0.75, at_risk.
INSERT INTO t_id SELECT 'ra', pg_temp.t_ind('test-roll-a', 'increase', 'enhance-public-health', 3);
INSERT INTO t_id SELECT 'rb', pg_temp.t_ind('test-roll-b', 'increase', 'enhance-public-health', 1);
SELECT pg_temp.t_target(id, '2025-01-01', '2025-12-31', 10, NULL, NULL, '2026-01-03T00:00:00Z')
FROM t_id WHERE name IN ('ra', 'rb');
SELECT pg_temp.t_obs((SELECT id FROM t_id WHERE name = 'ra'), '2025-01-01', '2025-12-31', 10,
    '2026-01-04T00:00:00Z');
SELECT pg_temp.t_obs((SELECT id FROM t_id WHERE name = 'rb'), '2025-01-01', '2025-12-31', 1,
    '2026-01-04T00:00:00Z');
SELECT is((SELECT o->>'score' FROM json_array_elements(progress_plan_doc(
    (SELECT id FROM plans WHERE slug = 'independence-2021'), '2026-02-01T00:00:00Z')->'goals') g,
    json_array_elements(g->'objectives') o WHERE o->>'id' = 'enhance-public-health'),
    '0.7500', 'roll-up: weighted mean of the points (3 x 1 + 1 x 0) / 4');
SELECT is((SELECT o->>'status' FROM json_array_elements(progress_plan_doc(
    (SELECT id FROM plans WHERE slug = 'independence-2021'), '2026-02-01T00:00:00Z')->'goals') g,
    json_array_elements(g->'objectives') o WHERE o->>'id' = 'enhance-public-health'),
    'at_risk', 'which is at_risk');
SELECT is(progress_plan_doc((SELECT id FROM plans WHERE slug = 'independence-2021'),
    now()) #>> '{method,id}', 'weighted-mean', 'the roll-up publishes its method');

SELECT * FROM finish();
ROLLBACK;

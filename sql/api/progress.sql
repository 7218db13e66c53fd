/*
 * Progress on the plan: initiatives, indicators, targets, observations,
 * overrides, narrative updates, the status rules and the roll-up.
 *
 * Every table here is append-only (the triggers below refuse UPDATE,
 * DELETE and TRUNCATE): a correction is a new row naming the one it
 * supersedes, a new definition is a new version.  So every read takes a
 * moment, p_as_of, and shows exactly the rows recorded by then: the
 * published documents are these reads at now() (api_resources), and
 * ?as_of= asks for the same at another moment (api_progress_read).
 */

CREATE FUNCTION progress_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only: record a new row that supersedes '
	    'the old one', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;

DO $$
DECLARE
	t	text;
BEGIN
	FOREACH t IN ARRAY '{status_rules,initiatives,initiative_versions,indicators,indicator_versions,targets,observations,observation_imports,status_overrides,progress_updates}'::text[]
	LOOP
		EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I '
		    'FOR EACH ROW EXECUTE FUNCTION progress_fixed()',
		    t || '_fixed', t);
		EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I '
		    'FOR EACH STATEMENT EXECUTE FUNCTION progress_fixed()',
		    t || '_no_truncate', t);
	END LOOP;
END
$$;

------------------------------------------------------------------------
-- Moments and periods

/*
 * The moment of a read: p_as_of, or now.  Documents show times in whole
 * seconds, so an as_of of a whole second means the end of it: a row shown
 * as recorded at 10:00:05Z is in what was public as of 10:00:05Z.
 */
CREATE FUNCTION progress_at(p_as_of timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN p_as_of IS NULL THEN now()
	    WHEN p_as_of = date_trunc('second', p_as_of) THEN
		LEAST(p_as_of + interval '0.999999 second', now())
	    ELSE p_as_of END
$$;

-- The day of a moment, in UTC: the date periods and due dates are read at.
CREATE FUNCTION progress_day(p_at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE AS $$ SELECT (p_at AT TIME ZONE 'UTC')::date $$;

CREATE FUNCTION progress_period(p_start date, p_end date) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
	SELECT json_build_object('start', p_start, 'end', p_end)
$$;

-- A JSON number from a numeric, without trailing zeros (1.50 is 1.5).
CREATE FUNCTION progress_num(p numeric) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p IS NULL THEN 'null'::json
	    ELSE trim_scale(p)::text::json END
$$;

------------------------------------------------------------------------
-- Definitions as they stood at a moment

CREATE FUNCTION progress_indicator_def(p_id bigint, p_at timestamptz,
    OUT def jsonb, OUT version bigint, OUT recorded_at timestamptz)
LANGUAGE sql STABLE AS $$
	SELECT v.def, (SELECT count(*) FROM indicator_versions w
	    WHERE w.indicator_id = p_id AND (w.recorded_at, w.id) <=
	    (v.recorded_at, v.id)), v.recorded_at
	FROM indicator_versions v
	WHERE v.indicator_id = p_id AND v.recorded_at <= p_at
	ORDER BY v.recorded_at DESC, v.id DESC LIMIT 1
$$;

CREATE FUNCTION progress_initiative_def(p_id bigint, p_at timestamptz,
    OUT def jsonb, OUT version bigint, OUT recorded_at timestamptz)
LANGUAGE sql STABLE AS $$
	SELECT v.def, (SELECT count(*) FROM initiative_versions w
	    WHERE w.initiative_id = p_id AND (w.recorded_at, w.id) <=
	    (v.recorded_at, v.id)), v.recorded_at
	FROM initiative_versions v
	WHERE v.initiative_id = p_id AND v.recorded_at <= p_at
	ORDER BY v.recorded_at DESC, v.id DESC LIMIT 1
$$;

-- The rule p_slug as published at p_at: its newest version by then.
CREATE FUNCTION progress_rule(p_slug text, p_at timestamptz)
RETURNS status_rules
LANGUAGE sql STABLE AS $$
	SELECT * FROM status_rules WHERE slug = p_slug AND published_at <= p_at
	ORDER BY version DESC LIMIT 1
$$;

------------------------------------------------------------------------
-- Targets and observations as they stood at a moment

CREATE FUNCTION progress_target_json(t targets, p_at timestamptz) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
	    'id', t.id,
	    'period', progress_period(t.period_start, t.period_end),
	    'value', progress_num(t.value),
	    'min', progress_num(t.min),
	    'max', progress_num(t.max),
	    'rationale', t.rationale,
	    'supersedes', t.supersedes,
	    'superseded_by', s.id,
	    'in_force', s.id IS NULL,
	    'recorded_at', api_time(t.recorded_at))
	FROM (SELECT NULL) AS one
	LEFT JOIN targets s ON s.supersedes = t.id AND s.recorded_at <= p_at
$$;

/*
 * The observations of indicator p_id recorded by p_at (or only
 * observation p_only), oldest period first, as the API shows them, each
 * with the correction in force over it by then (superseded_by).  One
 * query, built inline: thousands of rows, no call per row.
 */
CREATE FUNCTION progress_observations_json(p_id bigint, p_at timestamptz,
    p_only bigint DEFAULT NULL)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT COALESCE(json_agg(json_build_object(
	    'id', o.id,
	    'period', json_build_object('start', o.period_start,
		'end', o.period_end),
	    'value', trim_scale(o.value),
	    'quality', o.quality,
	    'note', o.note,
	    'provenance', json_build_object(
		'method', o.method,
		'source_uri', o.source_uri,
		'row', o.row_ref,
		'file_sha256', o.file_sha256,
		'import_id', o.import_id),
	    'supersedes', o.supersedes,
	    'superseded_by', s.id,
	    'in_force', s.id IS NULL,
	    -- api_time's format, written out: a call per row costs.
	    'recorded_at', to_char(o.recorded_at AT TIME ZONE 'UTC',
		'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
	    'recorded_by', k.name)
	    ORDER BY o.period_end, o.id), '[]')
	FROM observations o
	LEFT JOIN observations s ON s.supersedes = o.id AND s.recorded_at <= p_at
	LEFT JOIN api_keys k ON k.id = o.key_id
	WHERE o.indicator_id = p_id AND o.recorded_at <= p_at
	AND (p_only IS NULL OR o.id = p_only)
$$;

CREATE FUNCTION progress_observation_json(o observations, p_at timestamptz)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT progress_observations_json(o.indicator_id, p_at, o.id)->0
$$;

-- The targets of indicator p_id in force at p_at.
CREATE FUNCTION progress_targets_in_force(p_id bigint, p_at timestamptz)
RETURNS SETOF targets
LANGUAGE sql STABLE AS $$
	SELECT t.* FROM targets t
	WHERE t.indicator_id = p_id AND t.recorded_at <= p_at
	AND NOT EXISTS (SELECT 1 FROM targets s WHERE s.supersedes = t.id
	    AND s.recorded_at <= p_at)
$$;

CREATE FUNCTION progress_observations_in_force(p_id bigint, p_at timestamptz)
RETURNS SETOF observations
LANGUAGE sql STABLE AS $$
	SELECT o.* FROM observations o
	WHERE o.indicator_id = p_id AND o.recorded_at <= p_at
	AND NOT EXISTS (SELECT 1 FROM observations s WHERE s.supersedes = o.id
	    AND s.recorded_at <= p_at)
$$;

------------------------------------------------------------------------
-- The status rule

/*
 * The ratio of actual to target for direction p_direction, as the rule
 * "ratio" states it: a range target (min and/or max) is judged by its
 * range, whatever the direction.
 */
CREATE FUNCTION progress_ratio(p_direction text, p_actual numeric, t targets)
RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
	WHEN t.value IS NULL THEN CASE
	    WHEN t.min IS NOT NULL AND p_actual < t.min THEN
		CASE WHEN t.min = 0 THEN 0 ELSE p_actual / t.min END
	    WHEN t.max IS NOT NULL AND p_actual > t.max THEN
		CASE WHEN p_actual = 0 THEN 0 ELSE t.max / p_actual END
	    ELSE 1 END
	WHEN p_direction = 'decrease' THEN CASE
	    WHEN p_actual = 0 THEN CASE WHEN p_actual <= t.value THEN 1 ELSE 0 END
	    ELSE t.value / p_actual END
	ELSE CASE
	    WHEN t.value = 0 THEN CASE WHEN p_actual >= t.value THEN 1 ELSE 0 END
	    ELSE p_actual / t.value END
	END
$$;

-- The status a ratio has under rule r's thresholds.
CREATE FUNCTION progress_ratio_status(r status_rules, p_ratio numeric)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT COALESCE((SELECT th->>'status'
	    FROM jsonb_array_elements(r.definition->'thresholds') th
	    WHERE th ? 'ratio_at_least' AND
		p_ratio >= (th->>'ratio_at_least')::numeric
	    ORDER BY (th->>'ratio_at_least')::numeric DESC LIMIT 1),
	    (SELECT th->>'status'
	    FROM jsonb_array_elements(r.definition->'thresholds') th
	    WHERE th ? 'ratio_below' LIMIT 1))
$$;

/*
 * The computed status of indicator p_id at p_at: the status, the rule and
 * version, the target and the observations it used, the ratio and why.
 */
CREATE FUNCTION progress_assess(p_id bigint, p_at timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	d	record;
	r	status_rules;
	day	date := progress_day(p_at);
	o	observations;
	t	targets;
	v_ratio	numeric;
	v_status text;
	v_reason text;
BEGIN
	SELECT * INTO d FROM progress_indicator_def(p_id, p_at);
	IF d.def IS NULL THEN
		RETURN NULL;
	END IF;
	r := progress_rule(COALESCE(d.def->>'status_rule', 'ratio'), p_at);

	SELECT * INTO o FROM progress_observations_in_force(p_id, p_at) x
	WHERE x.period_end <= day
	ORDER BY x.period_end DESC, x.recorded_at DESC, x.id DESC LIMIT 1;

	IF NOT EXISTS (SELECT 1 FROM progress_targets_in_force(p_id, p_at) x
	    WHERE x.period_start <= day) THEN
		v_status := 'not_due';
		v_reason := CASE WHEN NOT EXISTS (SELECT 1 FROM
		    progress_targets_in_force(p_id, p_at)) THEN
		    'The indicator has no target in force.' ELSE
		    'No target period has begun yet.' END;
	ELSIF o.id IS NULL THEN
		v_status := 'no_data';
		v_reason := 'A target period has begun, but no observation is '
		    'in force.';
	ELSE
		SELECT * INTO t FROM progress_targets_in_force(p_id, p_at) x
		ORDER BY (x.period_end >= o.period_end) DESC,
		    CASE WHEN x.period_end >= o.period_end THEN x.period_end END,
		    x.period_end DESC, x.id DESC
		LIMIT 1;
		v_ratio := round(progress_ratio(d.def->>'direction', o.value,
		    t), 4);
		v_status := progress_ratio_status(r, v_ratio);
		v_reason := format('Observation %s (%s) against target %s: '
		    'ratio %s.', o.id, trim_scale(o.value), t.id,
		    trim_scale(v_ratio));
	END IF;

	RETURN jsonb_build_object(
	    'status', v_status,
	    'rule', jsonb_build_object('id', r.slug, 'version', r.version,
		'href', '/v1/status-rules/' || r.slug),
	    'direction', d.def->>'direction',
	    'ratio', CASE WHEN v_ratio IS NOT NULL THEN
		trim_scale(v_ratio)::text::jsonb END,
	    'target', CASE WHEN t.id IS NOT NULL THEN
		progress_target_json(t, p_at)::jsonb END,
	    'observations', CASE WHEN o.id IS NOT NULL AND t.id IS NOT NULL
		THEN jsonb_build_array(progress_observation_json(o, p_at))
		ELSE '[]'::jsonb END,
	    'reason', v_reason);
END
$$;

-- The override in force at p_at, or NULL.
CREATE FUNCTION progress_override(p_id bigint, p_at timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN s.status IS NOT NULL THEN jsonb_build_object(
	    'id', s.id, 'status', s.status, 'reason', s.reason,
	    'recorded_at', api_time(s.recorded_at), 'recorded_by', k.name) END
	FROM (SELECT * FROM status_overrides x WHERE x.indicator_id = p_id
	    AND x.recorded_at <= p_at ORDER BY x.recorded_at DESC, x.id DESC
	    LIMIT 1) s
	LEFT JOIN api_keys k ON k.id = s.key_id
$$;

------------------------------------------------------------------------
-- Documents

-- An indicator as it stood at p_at (NULL: it did not exist yet).
CREATE FUNCTION progress_indicator_doc(p_id bigint, p_at timestamptz)
RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
	i	indicators;
	d	record;
	c	jsonb;
	ov	jsonb;
BEGIN
	SELECT * INTO i FROM indicators WHERE id = p_id;
	SELECT * INTO d FROM progress_indicator_def(p_id, p_at);
	IF d.def IS NULL THEN
		RETURN NULL;
	END IF;
	c := progress_assess(p_id, p_at);
	ov := progress_override(p_id, p_at);
	-- The observations joined as text: thousands of them would cost a
	-- conversion to jsonb and back.
	RETURN (left((jsonb_build_object('id', i.slug,
	    'plan', (SELECT slug FROM plans WHERE id = i.plan_id)) ||
	    d.def || jsonb_build_object(
	    'version', d.version,
	    'updated_at', api_time(d.recorded_at),
	    'status', COALESCE(ov->>'status', c->>'status'),
	    'computed', c,
	    'override', ov,
	    'targets', COALESCE((SELECT jsonb_agg(progress_target_json(t, p_at)::jsonb
		ORDER BY t.period_end, t.id) FROM targets t
		WHERE t.indicator_id = p_id AND t.recorded_at <= p_at), '[]')))::text,
	    -1) || ', "observations": ' ||
	    progress_observations_json(p_id, p_at)::text || '}')::json;
END
$$;

-- An indicator as its collection lists it.
CREATE FUNCTION progress_indicator_member(p_id bigint, p_at timestamptz)
RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
	i	indicators;
	d	record;
	c	jsonb;
	ov	jsonb;
BEGIN
	SELECT * INTO i FROM indicators WHERE id = p_id;
	SELECT * INTO d FROM progress_indicator_def(p_id, p_at);
	IF d.def IS NULL THEN
		RETURN NULL;
	END IF;
	c := progress_assess(p_id, p_at);
	ov := progress_override(p_id, p_at);
	RETURN json_build_object('id', i.slug, 'code', d.def->>'code',
	    'title', d.def->>'title', 'objective', d.def->>'objective',
	    'direction', d.def->>'direction',
	    'status', COALESCE(ov->>'status', c->>'status'),
	    'computed_status', c->>'status');
END
$$;

-- The progress of an initiative at p_at, by its method, 0 to 100.
CREATE FUNCTION progress_initiative_progress(p_id bigint, p_def jsonb,
    p_at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	day	date := progress_day(p_at);
	m	text := COALESCE(p_def->>'progress_method', 'manual');
	v	numeric;
	s	date;
	e	date;
	done	integer;
	total	integer;
BEGIN
	IF m = 'milestones' THEN
		SELECT count(*) FILTER (WHERE x->>'completed_on' IS NOT NULL
		    AND (x->>'completed_on')::date <= day), count(*)
		INTO done, total
		FROM jsonb_array_elements(COALESCE(p_def->'milestones', '[]')) x;
		IF total > 0 THEN
			v := round(100.0 * done / total, 1);
		END IF;
		RETURN jsonb_build_object('method', m, 'percent', v,
		    'detail', format('%s of %s milestones done', done, total));
	ELSIF m = 'time_elapsed' THEN
		s := (p_def->>'start_date')::date;
		e := (p_def->>'due_date')::date;
		IF s IS NOT NULL AND e IS NOT NULL THEN
			v := CASE WHEN day <= s THEN 0 WHEN day >= e OR e = s
			    THEN 100 ELSE round(100.0 * (day - s) / (e - s), 1) END;
		END IF;
		RETURN jsonb_build_object('method', m, 'percent', v,
		    'detail', CASE WHEN v IS NULL THEN
		    'needs a start_date and a due_date' ELSE
		    format('%s of %s days elapsed', LEAST(GREATEST(day - s, 0),
		    e - s), e - s) END);
	END IF;
	SELECT u.progress_pct INTO v FROM progress_updates u
	WHERE u.initiative_id = p_id AND u.recorded_at <= p_at
	AND u.progress_pct IS NOT NULL AND u.on_date <= day
	ORDER BY u.on_date DESC, u.recorded_at DESC, u.id DESC LIMIT 1;
	RETURN jsonb_build_object('method', 'manual', 'percent',
	    trim_scale(v), 'detail', CASE WHEN v IS NULL THEN
	    'no update reports a percentage yet' ELSE
	    'the latest update''s percentage' END);
END
$$;

CREATE FUNCTION progress_update_json(u progress_updates) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', u.id, 'date', u.on_date,
	    'reported_status', u.reported_status,
	    'progress_pct', trim_scale(u.progress_pct), 'text', u.text,
	    'author', u.author, 'recorded_at', api_time(u.recorded_at))
$$;

CREATE FUNCTION progress_initiative_doc(p_id bigint, p_at timestamptz)
RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
	i	initiatives;
	d	record;
BEGIN
	SELECT * INTO i FROM initiatives WHERE id = p_id;
	SELECT * INTO d FROM progress_initiative_def(p_id, p_at);
	IF d.def IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN (jsonb_build_object('id', i.slug,
	    'plan', (SELECT slug FROM plans WHERE id = i.plan_id)) ||
	    d.def || jsonb_build_object(
	    'version', d.version,
	    'updated_at', api_time(d.recorded_at),
	    'progress', progress_initiative_progress(p_id, d.def, p_at),
	    'updates', COALESCE((SELECT jsonb_agg(progress_update_json(u)
		ORDER BY u.on_date, u.id) FROM progress_updates u
		WHERE u.initiative_id = p_id AND u.recorded_at <= p_at), '[]')))::json;
END
$$;

CREATE FUNCTION progress_initiative_member(p_id bigint, p_at timestamptz)
RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
	i	initiatives;
	d	record;
BEGIN
	SELECT * INTO i FROM initiatives WHERE id = p_id;
	SELECT * INTO d FROM progress_initiative_def(p_id, p_at);
	IF d.def IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN json_build_object('id', i.slug, 'title', d.def->>'title',
	    'objectives', d.def->'objectives',
	    'progress', progress_initiative_progress(p_id, d.def, p_at));
END
$$;

-- The status rule p_slug as published at p_at, with every version by then.
CREATE FUNCTION progress_rule_doc(p_slug text, p_at timestamptz) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT (jsonb_build_object('id', r.slug, 'version', r.version,
	    'published_at', api_time(r.published_at)) || r.definition ||
	    jsonb_build_object('versions', (SELECT jsonb_agg(jsonb_build_object(
		'version', v.version, 'published_at', api_time(v.published_at),
		'definition', v.definition) ORDER BY v.version)
		FROM status_rules v WHERE v.slug = p_slug
		AND v.published_at <= p_at)))::json
	FROM progress_rule(p_slug, p_at) r WHERE r.slug IS NOT NULL
$$;

------------------------------------------------------------------------
-- The roll-up

-- The method, as published with every roll-up.
CREATE FUNCTION progress_method() RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT '{
	  "id": "weighted-mean",
	  "version": 1,
	  "description": "Each indicator in force counts its status as points (on_track 1, at_risk 0.5, off_track 0; an override counts as its status); no_data and not_due count nothing. An objective''s score is the mean of its indicators'' points weighted by each indicator''s weight (default 1); a goal''s is the mean of its objectives'' scores, weighted by the number of indicators behind each; the plan''s, of its goals'', likewise. Progress (0 to 100) is the mean of the initiatives'' progress weighted by each initiative''s weight (default 1), for an objective the initiatives that serve it, for a goal and the plan every initiative serving one of their objectives. A score becomes a status: on_track from 0.9, at_risk from 0.5, off_track below; no_data when nothing counted.",
	  "points": {"on_track": 1, "at_risk": 0.5, "off_track": 0},
	  "excluded": ["no_data", "not_due"],
	  "thresholds": [
	    {"status": "on_track", "score_at_least": 0.9},
	    {"status": "at_risk", "score_at_least": 0.5},
	    {"status": "off_track", "score_below": 0.5}
	  ],
	  "weights": {"indicator": "its weight, default 1", "initiative": "its weight, default 1", "objective": "the weight of its counted indicators", "goal": "the weight of its counted indicators"}
	}'::jsonb
$$;

CREATE FUNCTION progress_score_status(p_score numeric) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_score IS NULL THEN 'no_data'
	    WHEN p_score >= 0.9 THEN 'on_track'
	    WHEN p_score >= 0.5 THEN 'at_risk' ELSE 'off_track' END
$$;

/*
 * The roll-up of plan p_plan at p_at: indicators and initiatives to
 * objectives, objectives to goals, goals to the plan, with the method,
 * every weight and every score used.
 */
CREATE FUNCTION progress_plan_doc(p_plan bigint, p_at timestamptz) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
	day	date := progress_day(p_at);
BEGIN
	RETURN (
	WITH ind AS (
		SELECT i.id, i.slug, d.def, progress_assess(i.id, p_at) AS c,
		    progress_override(i.id, p_at) AS ov
		FROM indicators i, LATERAL progress_indicator_def(i.id, p_at) d
		WHERE i.plan_id = p_plan AND d.def IS NOT NULL
	), ind2 AS (
		SELECT ind.*, COALESCE(ov->>'status', c->>'status') AS status,
		    COALESCE((def->>'weight')::numeric, 1) AS weight,
		    CASE COALESCE(ov->>'status', c->>'status')
			WHEN 'on_track' THEN 1 WHEN 'at_risk' THEN 0.5
			WHEN 'off_track' THEN 0 END AS points
		FROM ind
	), ini AS (
		SELECT i.id, i.slug, d.def,
		    COALESCE((d.def->>'weight')::numeric, 1) AS weight,
		    (progress_initiative_progress(i.id, d.def, p_at)->>'percent')
			::numeric AS percent
		FROM initiatives i, LATERAL progress_initiative_def(i.id, p_at) d
		WHERE i.plan_id = p_plan AND d.def IS NOT NULL
	), obj AS (
		SELECT o.id, o.slug, o.title, o.goal_id, o.position,
		    (SELECT sum(points * weight) / NULLIF(sum(weight), 0)
			FROM ind2 WHERE def->>'objective' = o.slug
			AND points IS NOT NULL) AS score,
		    (SELECT sum(weight) FROM ind2 WHERE def->>'objective' = o.slug
			AND points IS NOT NULL) AS counted,
		    (SELECT round(sum(percent * weight) / NULLIF(sum(weight), 0), 1)
			FROM ini WHERE def->'objectives' ? o.slug
			AND percent IS NOT NULL) AS progress,
		    (SELECT jsonb_agg(jsonb_build_object('id', slug,
			'status', status, 'weight', trim_scale(weight),
			'points', points) ORDER BY slug)
			FROM ind2 WHERE def->>'objective' = o.slug) AS indicators,
		    (SELECT jsonb_agg(jsonb_build_object('id', slug,
			'progress', trim_scale(percent),
			'weight', trim_scale(weight)) ORDER BY slug)
			FROM ini WHERE def->'objectives' ? o.slug) AS initiatives,
		    (SELECT jsonb_agg(progress_update_json(u) ORDER BY u.on_date,
			u.id) FROM progress_updates u WHERE u.objective_id = o.id
			AND u.recorded_at <= p_at) AS updates
		FROM objectives o
		WHERE o.plan_id = p_plan AND o.status = 'active'
	), gl AS (
		SELECT g.id, g.slug, g.title, g.position,
		    sum(obj.score * obj.counted) / NULLIF(sum(obj.counted), 0)
			AS score,
		    sum(obj.counted) AS counted,
		    jsonb_agg(jsonb_build_object('id', obj.slug,
			'title', obj.title,
			'status', progress_score_status(obj.score),
			'score', round(obj.score, 4),
			'weight', COALESCE(trim_scale(obj.counted), 0),
			'progress', trim_scale(obj.progress),
			'indicators', COALESCE(obj.indicators, '[]'),
			'initiatives', COALESCE(obj.initiatives, '[]'),
			'updates', COALESCE(obj.updates, '[]'))
			ORDER BY obj.position) FILTER (WHERE obj.id IS NOT NULL)
			AS objectives
		FROM goals g LEFT JOIN obj ON obj.goal_id = g.id
		WHERE g.plan_id = p_plan AND g.status = 'active'
		GROUP BY g.id
	)
	SELECT json_build_object(
	    'plan', (SELECT slug FROM plans WHERE id = p_plan),
	    'method', progress_method(),
	    'status', progress_score_status(
		(SELECT sum(score * counted) / NULLIF(sum(counted), 0) FROM gl)),
	    'score', (SELECT round(sum(score * counted) / NULLIF(sum(counted),
		0), 4) FROM gl),
	    'progress', (SELECT trim_scale(round(sum(percent * weight) /
		NULLIF(sum(weight), 0), 1)) FROM ini WHERE percent IS NOT NULL
		AND EXISTS (SELECT 1 FROM objectives o WHERE o.plan_id = p_plan
		AND def->'objectives' ? o.slug)),
	    'goals', COALESCE((SELECT json_agg(json_build_object('id', slug,
		'title', title, 'status', progress_score_status(score),
		'score', round(score, 4),
		'weight', COALESCE(trim_scale(counted), 0),
		'progress', (SELECT trim_scale(round(sum(ini.percent *
		    ini.weight) / NULLIF(sum(ini.weight), 0), 1)) FROM ini
		    WHERE ini.percent IS NOT NULL AND EXISTS (SELECT 1 FROM
		    objectives o WHERE o.goal_id = gl.id AND
		    ini.def->'objectives' ? o.slug)),
		'objectives', COALESCE(objectives, '[]'))
		ORDER BY position) FROM gl), '[]'))
	);
END
$$;

------------------------------------------------------------------------
-- Reads at another moment (?as_of=), and by an admin key (drafts)

-- The problem of an as_of in the future: nothing is known of it yet.
CREATE FUNCTION progress_future() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT api_problem('invalid-parameter', 'as_of must not be in the '
	    'future.', jsonb_build_object('errors', jsonb_build_array(
	    jsonb_build_object('parameter', 'as_of', 'detail',
	    'Must not be in the future.'))))
$$;

/*
 * The read at route p_kind (indicators, indicator, initiatives,
 * initiative, progress, status-rules, status-rule) of plan p_plan and item
 * p_item, as it stood at p_as_of.  p_hash: the caller's key, or NULL; a
 * draft plan is an admin's alone.
 */
CREATE FUNCTION api_progress_read(p_hash bytea, p_kind text, p_plan text,
    p_item text, p_as_of timestamptz)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	p	plans;
	a	record;
	j	json;
	v_id	bigint;
	v_at	timestamptz := progress_at(p_as_of);
BEGIN
	IF p_as_of > now() THEN
		RETURN QUERY SELECT 400, progress_future(), NULL::text,
		    NULL::text;
		RETURN;
	END IF;
	IF p_kind IN ('status-rules', 'status-rule') THEN
		IF p_kind = 'status-rules' THEN
			j := json_build_object('items', COALESCE((SELECT
			    json_agg(progress_rule_doc(s, v_at) ORDER BY s)
			    FROM (SELECT DISTINCT slug AS s FROM status_rules
			    WHERE published_at <= v_at) x), '[]'),
			    'limit', 200, 'next_cursor', NULL, 'next', NULL);
		ELSE
			j := progress_rule_doc(p_item, v_at);
		END IF;
		IF j IS NULL THEN
			RETURN QUERY SELECT 404, api_problem('not-found',
			    format('No status rule %L at %s.', p_item,
			    api_time(v_at))), NULL::text, NULL::text;
			RETURN;
		END IF;
		RETURN QUERY SELECT 200, j::text, NULL::text, api_etag(j);
		RETURN;
	END IF;

	a := progress_read_plan(p_hash, p_plan);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	p := a.p;

	IF p_kind = 'progress' THEN
		j := progress_plan_doc(p.id, v_at);
	ELSIF p_kind = 'indicators' THEN
		j := json_build_object('items', COALESCE((SELECT json_agg(m
		    ORDER BY s) FROM (SELECT i.slug AS s,
		    progress_indicator_member(i.id, v_at) AS m FROM indicators i
		    WHERE i.plan_id = p.id) x WHERE m IS NOT NULL), '[]'),
		    'limit', 200, 'next_cursor', NULL, 'next', NULL);
	ELSIF p_kind = 'initiatives' THEN
		j := json_build_object('items', COALESCE((SELECT json_agg(m
		    ORDER BY s) FROM (SELECT i.slug AS s,
		    progress_initiative_member(i.id, v_at) AS m FROM initiatives i
		    WHERE i.plan_id = p.id) x WHERE m IS NOT NULL), '[]'),
		    'limit', 200, 'next_cursor', NULL, 'next', NULL);
	ELSIF p_kind = 'indicator' THEN
		SELECT id INTO v_id FROM indicators WHERE plan_id = p.id
		    AND slug = p_item;
		j := progress_indicator_doc(v_id, v_at);
	ELSIF p_kind = 'initiative' THEN
		SELECT id INTO v_id FROM initiatives WHERE plan_id = p.id
		    AND slug = p_item;
		j := progress_initiative_doc(v_id, v_at);
	END IF;
	IF j IS NULL THEN
		RETURN QUERY SELECT 404, api_problem('not-found', format(
		    'No %s %L in plan %L at %s.', p_kind, p_item, p_plan,
		    api_time(v_at))), NULL::text, NULL::text;
		RETURN;
	END IF;
	RETURN QUERY SELECT 200, j::text, NULL::text, api_etag(j);
END
$$;

------------------------------------------------------------------------
-- Checks of bodies

CREATE FUNCTION progress_number_fault(p_body jsonb, p_member text,
    p_pointer text, p_required boolean)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
	WHEN NOT p_body ? p_member OR jsonb_typeof(p_body->p_member) = 'null'
	    THEN CASE WHEN p_required THEN api_fault(p_pointer,
	    'Required: a number.') ELSE '[]'::jsonb END
	WHEN jsonb_typeof(p_body->p_member) <> 'number' OR
	    abs((p_body->>p_member)::numeric) >= 1e15 THEN
	    api_fault(p_pointer, 'Must be a number (below 10^15 in magnitude).')
	ELSE '[]'::jsonb END
$$;

-- A period {"start": date, "end": date}, start <= end, required.
CREATE FUNCTION progress_period_fault(p_body jsonb, p_member text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	v	jsonb := p_body->p_member;
	e	jsonb := '[]';
	m	text;
BEGIN
	IF jsonb_typeof(v) IS DISTINCT FROM 'object' THEN
		RETURN api_fault('/' || p_member, 'Required: an object '
		    '{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}.');
	END IF;
	e := api_unknown_members(v, '{start,end}', '/' || p_member);
	FOREACH m IN ARRAY '{start,end}'::text[] LOOP
		IF jsonb_typeof(v->m) IS DISTINCT FROM 'string' OR
		    NOT api_is_date(v->>m) THEN
			e := e || api_fault('/' || p_member || '/' || m,
			    'Required: a date, YYYY-MM-DD.');
		END IF;
	END LOOP;
	IF jsonb_array_length(e) = 0 AND (v->>'start')::date >
	    (v->>'end')::date THEN
		e := api_fault('/' || p_member || '/end',
		    'Must not be before start.');
	END IF;
	RETURN e;
END
$$;

-- p_value names an objective of plan p_plan.
CREATE FUNCTION progress_objective_faults(p_plan bigint, p_value jsonb,
    p_pointer text)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN jsonb_typeof(p_value) IS DISTINCT FROM 'string' THEN
	    api_fault(p_pointer, 'Must be the id of an objective of the plan.')
	    WHEN NOT EXISTS (SELECT 1 FROM objectives WHERE plan_id = p_plan
	    AND slug = (p_value #>> '{}')) THEN api_fault(p_pointer,
	    format('No objective %L in this plan.', p_value #>> '{}'))
	    ELSE '[]'::jsonb END
$$;

/*
 * The faults of an indicator's definition p_def (the whole of it, after a
 * PATCH is merged in) for plan p_plan.
 */
CREATE FUNCTION progress_indicator_faults(p_def jsonb, p_plan bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb := '[]';
	u	jsonb;
	b	jsonb;
	s	jsonb;
BEGIN
	e := e || api_unknown_members(p_def, '{id,code,title,definition,'
	    'objective,unit,direction,aggregation,frequency,'
	    'fiscal_year_start_month,baseline,data_source,owner_department,'
	    'weight,status_rule}');
	e := e || api_slug_fault(p_def, 'id');
	e := e || api_text_fault(p_def, 'code', 1, 50, true);
	e := e || api_text_fault(p_def, 'title', 1, 300, true);
	e := e || api_text_fault(p_def, 'definition', 0, 5000, false);
	e := e || api_text_fault(p_def, 'owner_department', 1, 200, false);
	IF NOT p_def ? 'objective' THEN
		e := e || api_fault('/objective', 'Required: the id of an '
		    'objective of the plan.');
	ELSE
		e := e || progress_objective_faults(p_plan, p_def->'objective',
		    '/objective');
	END IF;
	IF NOT p_def ? 'direction' THEN
		e := e || api_fault('/direction',
		    'Required: increase, decrease or range.');
	END IF;
	e := e || api_enum_fault(p_def, 'direction',
	    '{increase,decrease,range}');
	e := e || api_enum_fault(p_def, 'aggregation',
	    '{sum,average,latest,minimum,maximum,count,rate}');
	e := e || api_enum_fault(p_def, 'frequency',
	    '{daily,weekly,monthly,quarterly,yearly,irregular}');
	e := e || api_int_fault(p_def, 'fiscal_year_start_month', 1, 12);
	IF p_def ? 'weight' AND (jsonb_typeof(p_def->'weight') <> 'number' OR
	    (p_def->>'weight')::numeric NOT BETWEEN 0 AND 1000) THEN
		e := e || api_fault('/weight', 'Must be a number from 0 to 1000.');
	END IF;
	IF p_def ? 'status_rule' AND (jsonb_typeof(p_def->'status_rule') <>
	    'string' OR NOT EXISTS (SELECT 1 FROM status_rules
	    WHERE slug = p_def->>'status_rule')) THEN
		e := e || api_fault('/status_rule', 'Must be the id of a '
		    'published status rule (see /v1/status-rules).');
	END IF;

	u := p_def->'unit';
	IF jsonb_typeof(u) IS DISTINCT FROM 'object' THEN
		e := e || api_fault('/unit', 'Required: {"code": a UCUM code, '
		    '"label": text}.');
	ELSE
		e := e || api_unknown_members(u, '{code,label}', '/unit');
		-- UCUM's case-sensitive syntax: printable ASCII without
		-- spaces; annotations in braces ({visits}/a) are allowed.
		IF jsonb_typeof(u->'code') IS DISTINCT FROM 'string' OR
		    (u->>'code') !~ '^[!-~]{1,50}$' OR
		    (u->>'code') ~ '[\[\]]' AND (u->>'code') !~ '^[^\]]*\[[^\]]*\][^\[]*$'
		    THEN
			e := e || api_fault('/unit/code', 'Required: a UCUM '
			    'code (case-sensitive, printable, no spaces, at '
			    'most 50 characters), e.g. "%" or "{incidents}".');
		END IF;
		IF jsonb_typeof(u->'label') IS DISTINCT FROM 'string' OR
		    length(u->>'label') NOT BETWEEN 1 AND 100 THEN
			e := e || api_fault('/unit/label',
			    'Required: 1 to 100 characters.');
		END IF;
	END IF;

	b := p_def->'baseline';
	IF p_def ? 'baseline' AND jsonb_typeof(b) <> 'null' THEN
		IF jsonb_typeof(b) <> 'object' THEN
			e := e || api_fault('/baseline', 'Must be {"value": '
			    'number, "period": {"start", "end"}} or null.');
		ELSE
			e := e || api_unknown_members(b, '{value,period}',
			    '/baseline');
			e := e || progress_number_fault(b, 'value',
			    '/baseline/value', true);
			e := e || (SELECT COALESCE(jsonb_agg(jsonb_set(f,
			    '{pointer}', to_jsonb('/baseline' || (f->>'pointer')))),
			    '[]') FROM jsonb_array_elements(
			    progress_period_fault(b, 'period')) f);
		END IF;
	END IF;

	s := p_def->'data_source';
	IF p_def ? 'data_source' AND jsonb_typeof(s) <> 'null' THEN
		IF jsonb_typeof(s) <> 'object' THEN
			e := e || api_fault('/data_source', 'Must be {"url": '
			    'an http(s) URL, "description": text} or null.');
		ELSE
			e := e || api_unknown_members(s, '{url,description}',
			    '/data_source');
			IF s ? 'url' AND (jsonb_typeof(s->'url') <> 'string' OR
			    (s->>'url') !~ '^https?://\S+$' OR
			    length(s->>'url') > 2000) THEN
				e := e || api_fault('/data_source/url',
				    'Must be an http or https URL.');
			END IF;
			IF s ? 'description' AND (jsonb_typeof(s->'description')
			    <> 'string' OR length(s->>'description') > 2000) THEN
				e := e || api_fault('/data_source/description',
				    'Must be a string of at most 2000 characters.');
			END IF;
		END IF;
	END IF;
	RETURN e;
END
$$;

CREATE FUNCTION progress_initiative_faults(p_def jsonb, p_plan bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb := '[]';
	x	jsonb;
	n	integer := 0;
BEGIN
	e := e || api_unknown_members(p_def, '{id,title,description,'
	    'objectives,priorities,lead_department,start_date,due_date,weight,'
	    'external_id,progress_method,milestones}');
	e := e || api_slug_fault(p_def, 'id');
	e := e || api_text_fault(p_def, 'title', 1, 300, true);
	e := e || api_text_fault(p_def, 'description', 0, 5000, false);
	e := e || api_text_fault(p_def, 'lead_department', 1, 200, false);
	e := e || api_text_fault(p_def, 'external_id', 1, 200, false);
	e := e || api_date_fault(p_def, 'start_date', false, true);
	e := e || api_date_fault(p_def, 'due_date', false, true);
	e := e || api_enum_fault(p_def, 'progress_method',
	    '{manual,milestones,time_elapsed}');
	IF p_def ? 'weight' AND (jsonb_typeof(p_def->'weight') <> 'number' OR
	    (p_def->>'weight')::numeric NOT BETWEEN 0 AND 1000) THEN
		e := e || api_fault('/weight', 'Must be a number from 0 to 1000.');
	END IF;
	IF jsonb_array_length(e) = 0 AND api_is_date(p_def->>'start_date') AND
	    api_is_date(p_def->>'due_date') AND (p_def->>'start_date')::date >
	    (p_def->>'due_date')::date THEN
		e := e || api_fault('/due_date', 'Must not be before start_date.');
	END IF;
	IF p_def ? 'objectives' THEN
		IF jsonb_typeof(p_def->'objectives') <> 'array' OR
		    jsonb_array_length(p_def->'objectives') > 50 THEN
			e := e || api_fault('/objectives', 'Must be an array '
			    'of at most 50 objective ids.');
		ELSE
			FOR x IN SELECT * FROM jsonb_array_elements(
			    p_def->'objectives') LOOP
				e := e || progress_objective_faults(p_plan, x,
				    '/objectives/' || n);
				n := n + 1;
			END LOOP;
		END IF;
	END IF;
	n := 0;
	IF p_def ? 'priorities' THEN
		IF jsonb_typeof(p_def->'priorities') <> 'array' OR
		    jsonb_array_length(p_def->'priorities') > 50 THEN
			e := e || api_fault('/priorities', 'Must be an array '
			    'of at most 50 years.');
		ELSE
			FOR x IN SELECT * FROM jsonb_array_elements(
			    p_def->'priorities') LOOP
				IF NOT api_is_integer(x) OR NOT EXISTS (SELECT 1
				    FROM priority_sets WHERE plan_id = p_plan
				    AND year = (x #>> '{}')::numeric) THEN
					e := e || api_fault('/priorities/' || n,
					    'Must be a year for which the plan '
					    'has priorities.');
				END IF;
				n := n + 1;
			END LOOP;
		END IF;
	END IF;
	n := 0;
	IF p_def ? 'milestones' THEN
		IF jsonb_typeof(p_def->'milestones') <> 'array' OR
		    jsonb_array_length(p_def->'milestones') > 100 THEN
			e := e || api_fault('/milestones', 'Must be an array '
			    'of at most 100 milestones.');
		ELSE
			FOR x IN SELECT * FROM jsonb_array_elements(
			    p_def->'milestones') LOOP
				IF jsonb_typeof(x) <> 'object' THEN
					e := e || api_fault('/milestones/' || n,
					    'Must be {"title", "due", '
					    '"completed_on"}.');
				ELSE
					e := e || (SELECT COALESCE(jsonb_agg(
					    jsonb_set(f, '{pointer}', to_jsonb(
					    '/milestones/' || n || (f->>'pointer')))),
					    '[]') FROM jsonb_array_elements(
					    api_unknown_members(x,
					    '{title,due,completed_on}') ||
					    api_text_fault(x, 'title', 1, 300, true) ||
					    api_date_fault(x, 'due', true, false) ||
					    api_date_fault(x, 'completed_on', false,
					    true)) f);
				END IF;
				n := n + 1;
			END LOOP;
		END IF;
	END IF;
	RETURN e;
END
$$;

------------------------------------------------------------------------
-- Writes.  Each takes the admin key's hash and the request id, checks
-- them (api_plan_write: 401, 403, 404), then the path, If-Match and the
-- body (422 with every fault), records the change (api_audit) and answers
-- the item as GET now shows it.

CREATE FUNCTION progress_body_fault(p_body jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN jsonb_typeof(p_body) IS DISTINCT FROM 'object' THEN
	    api_fault('', 'The body must be a JSON object.') ELSE '[]'::jsonb END
$$;

CREATE FUNCTION progress_result(p_resource text, p_path text, p_plan bigint,
    p_status integer, p_action text, p_before json, p_after json)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM api_audit(p_resource, p_path, p_plan, p_action, p_before,
	    p_after);
	RETURN QUERY SELECT p_status, p_after::text,
	    CASE WHEN p_status = 201 THEN p_path END, api_etag(p_after);
END
$$;

-- POST /v1/plans/{plan}/indicators and PATCH .../indicators/{indicator}
-- (p_item not NULL: the PATCH, merged into the current definition).
CREATE FUNCTION api_indicator_write(p_hash bytea, p_request text,
    p_plan text, p_item text, p_if_match text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	w	record;
	p	plans;
	i	indicators;
	cur	json;
	def	jsonb;
	e	jsonb;
	v_slug	text;
BEGIN
	w := api_plan_write(p_hash, p_request, p_plan);
	IF w.status IS NOT NULL THEN
		RETURN QUERY SELECT w.status, w.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	p := w.p;
	IF p_item IS NOT NULL THEN
		SELECT * INTO i FROM indicators x WHERE x.plan_id = p.id
		    AND x.slug = p_item FOR UPDATE;
		IF NOT FOUND THEN
			RETURN QUERY SELECT * FROM api_no_item('indicator',
			    p_item, p_plan);
			RETURN;
		END IF;
		cur := progress_indicator_doc(i.id, now());
		IF NOT api_if_match(p_if_match, api_etag(cur)) THEN
			RETURN QUERY SELECT * FROM api_precondition_failed(
			    format('Indicator %L', p_item), api_etag(cur));
			RETURN;
		END IF;
	END IF;
	e := progress_body_fault(p_body);
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;
	IF i.id IS NOT NULL AND p_body ? 'id' AND p_body->>'id' <> i.slug THEN
		e := e || api_fault('/id', 'An indicator''s id cannot change.');
	END IF;
	def := COALESCE((progress_indicator_def(i.id, now())).def, '{}') ||
	    (p_body - 'id');
	-- A member set to null is removed (optional ones only).
	def := jsonb_strip_nulls(def);
	e := e || progress_indicator_faults(def || jsonb_build_object('id',
	    COALESCE(p_body->'id', '"x"')), p.id);
	IF i.id IS NULL AND NOT p_body ? 'id' AND jsonb_array_length(e) = 0 THEN
		v_slug := api_free_slug(api_slugify(p_body->>'code'),
		    ARRAY(SELECT slug FROM indicators WHERE plan_id = p.id));
	ELSIF i.id IS NULL THEN
		v_slug := p_body->>'id';
		IF EXISTS (SELECT 1 FROM indicators WHERE plan_id = p.id
		    AND slug = v_slug) THEN
			e := e || api_fault('/id', format('The plan already has '
			    'an indicator %L.', v_slug));
		END IF;
	END IF;
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;
	IF i.id IS NULL THEN
		INSERT INTO indicators (plan_id, slug) VALUES (p.id, v_slug)
		RETURNING * INTO i;
	END IF;
	IF cur IS NULL OR def IS DISTINCT FROM
	    (progress_indicator_def(i.id, now())).def THEN
		INSERT INTO indicator_versions (indicator_id, key_id, def)
		VALUES (i.id, NULLIF(current_setting('civic.key_id', true),
		    '')::bigint, def);
	END IF;
	RETURN QUERY SELECT * FROM progress_result('indicator', '/v1/plans/' ||
	    p.slug || '/indicators/' || i.slug, p.id, CASE WHEN cur IS NULL
	    THEN 201 ELSE 200 END, CASE WHEN cur IS NULL THEN 'create' ELSE
	    'update' END, cur, progress_indicator_doc(i.id, now()));
END
$$;

CREATE FUNCTION api_initiative_write(p_hash bytea, p_request text,
    p_plan text, p_item text, p_if_match text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	w	record;
	p	plans;
	i	initiatives;
	cur	json;
	def	jsonb;
	e	jsonb;
	v_slug	text;
BEGIN
	w := api_plan_write(p_hash, p_request, p_plan);
	IF w.status IS NOT NULL THEN
		RETURN QUERY SELECT w.status, w.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	p := w.p;
	IF p_item IS NOT NULL THEN
		SELECT * INTO i FROM initiatives x WHERE x.plan_id = p.id
		    AND x.slug = p_item FOR UPDATE;
		IF NOT FOUND THEN
			RETURN QUERY SELECT * FROM api_no_item('initiative',
			    p_item, p_plan);
			RETURN;
		END IF;
		cur := progress_initiative_doc(i.id, now());
		IF NOT api_if_match(p_if_match, api_etag(cur)) THEN
			RETURN QUERY SELECT * FROM api_precondition_failed(
			    format('Initiative %L', p_item), api_etag(cur));
			RETURN;
		END IF;
	END IF;
	e := progress_body_fault(p_body);
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;
	IF i.id IS NOT NULL AND p_body ? 'id' AND p_body->>'id' <> i.slug THEN
		e := e || api_fault('/id', 'An initiative''s id cannot change.');
	END IF;
	def := jsonb_strip_nulls(COALESCE((progress_initiative_def(i.id,
	    now())).def, '{}') || (p_body - 'id'));
	e := e || progress_initiative_faults(def || jsonb_build_object('id',
	    COALESCE(p_body->'id', '"x"')), p.id);
	IF i.id IS NULL AND NOT p_body ? 'id' AND jsonb_array_length(e) = 0 THEN
		v_slug := api_free_slug(api_slugify(p_body->>'title'),
		    ARRAY(SELECT slug FROM initiatives WHERE plan_id = p.id));
	ELSIF i.id IS NULL THEN
		v_slug := p_body->>'id';
		IF EXISTS (SELECT 1 FROM initiatives WHERE plan_id = p.id
		    AND slug = v_slug) THEN
			e := e || api_fault('/id', format('The plan already has '
			    'an initiative %L.', v_slug));
		END IF;
	END IF;
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;
	IF i.id IS NULL THEN
		INSERT INTO initiatives (plan_id, slug) VALUES (p.id, v_slug)
		RETURNING * INTO i;
	END IF;
	IF cur IS NULL OR def IS DISTINCT FROM
	    (progress_initiative_def(i.id, now())).def THEN
		INSERT INTO initiative_versions (initiative_id, key_id, def)
		VALUES (i.id, NULLIF(current_setting('civic.key_id', true),
		    '')::bigint, def);
	END IF;
	RETURN QUERY SELECT * FROM progress_result('initiative', '/v1/plans/' ||
	    p.slug || '/initiatives/' || i.slug, p.id, CASE WHEN cur IS NULL
	    THEN 201 ELSE 200 END, CASE WHEN cur IS NULL THEN 'create' ELSE
	    'update' END, cur, progress_initiative_doc(i.id, now()));
END
$$;

-- The indicator p_item of a write, or the 404 in status and body.
CREATE FUNCTION progress_write_indicator(p_hash bytea, p_request text,
    p_plan text, p_item text, OUT p plans, OUT i indicators,
    OUT status integer, OUT body text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	w	record;
BEGIN
	w := api_plan_write(p_hash, p_request, p_plan);
	IF w.status IS NOT NULL THEN
		status := w.status;
		body := w.body;
		RETURN;
	END IF;
	p := w.p;
	SELECT * INTO i FROM indicators x WHERE x.plan_id = p.id
	    AND x.slug = p_item FOR UPDATE;
	IF i.id IS NULL THEN
		status := 404;
		body := api_problem('not-found', format('No indicator %L in '
		    'plan %L.', p_item, p_plan));
	END IF;
END
$$;

-- POST .../indicators/{indicator}/targets
CREATE FUNCTION api_target_add(p_hash bytea, p_request text, p_plan text,
    p_item text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	w	record;
	e	jsonb;
	dir	text;
	t	targets;
	v_path	text;
BEGIN
	w := progress_write_indicator(p_hash, p_request, p_plan, p_item);
	IF w.status IS NOT NULL THEN
		RETURN QUERY SELECT w.status, w.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	e := progress_body_fault(p_body);
	IF jsonb_array_length(e) = 0 THEN
		dir := (progress_indicator_def((w.i).id, now())).def->>'direction';
		e := api_unknown_members(p_body,
		    '{period,value,min,max,rationale,supersedes}') ||
		    progress_period_fault(p_body, 'period') ||
		    progress_number_fault(p_body, 'value', '/value', false) ||
		    progress_number_fault(p_body, 'min', '/min', false) ||
		    progress_number_fault(p_body, 'max', '/max', false) ||
		    api_text_fault(p_body, 'rationale', 0, 2000, false);
		IF dir = 'range' AND (p_body ? 'value' OR NOT (p_body ?| '{min,max}')) THEN
			e := e || api_fault('/min', 'The indicator''s direction '
			    'is range: a target is {"min", "max"} (one of them '
			    'at least), not a value.');
		ELSIF dir <> 'range' AND (NOT p_body ? 'value' OR
		    p_body ?| '{min,max}') THEN
			e := e || api_fault('/value', format('The indicator''s '
			    'direction is %s: a target is a value.', dir));
		END IF;
		IF jsonb_typeof(p_body->'min') = 'number' AND
		    jsonb_typeof(p_body->'max') = 'number' AND
		    (p_body->>'min')::numeric > (p_body->>'max')::numeric THEN
			e := e || api_fault('/max', 'Must not be below min.');
		END IF;
		IF p_body ? 'supersedes' THEN
			IF NOT api_is_integer(p_body->'supersedes') OR NOT EXISTS
			    (SELECT 1 FROM targets x WHERE x.id =
			    (p_body->>'supersedes')::numeric AND
			    x.indicator_id = (w.i).id) THEN
				e := e || api_fault('/supersedes', 'Must be the '
				    'id of a target of this indicator.');
			ELSIF EXISTS (SELECT 1 FROM targets x WHERE x.supersedes =
			    (p_body->>'supersedes')::numeric) THEN
				e := e || api_fault('/supersedes', 'That target '
				    'is already superseded: supersede the one '
				    'in force.');
			END IF;
		END IF;
	END IF;
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;
	INSERT INTO targets (indicator_id, period_start, period_end, value, min,
	    max, rationale, supersedes, key_id)
	VALUES ((w.i).id, (p_body#>>'{period,start}')::date,
	    (p_body#>>'{period,end}')::date, (p_body->>'value')::numeric,
	    (p_body->>'min')::numeric, (p_body->>'max')::numeric,
	    COALESCE(p_body->>'rationale', ''),
	    (p_body->>'supersedes')::bigint,
	    NULLIF(current_setting('civic.key_id', true), '')::bigint)
	RETURNING * INTO t;
	v_path := '/v1/plans/' || (w.p).slug || '/indicators/' || (w.i).slug;
	PERFORM api_audit('target', v_path, (w.p).id, 'create', NULL,
	    progress_target_json(t, now()));
	RETURN QUERY SELECT 201, progress_target_json(t, now())::text,
	    v_path, NULL::text;
END
$$;

-- The faults of one observation p_body (from the API or a CSV row).
CREATE FUNCTION progress_observation_faults(p_body jsonb, p_indicator bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb;
BEGIN
	e := api_unknown_members(p_body, '{period,value,quality,source_uri,'
	    'row,note,supersedes}') ||
	    progress_period_fault(p_body, 'period') ||
	    progress_number_fault(p_body, 'value', '/value', true) ||
	    api_text_fault(p_body, 'row', 1, 200, false) ||
	    api_text_fault(p_body, 'note', 0, 2000, false);
	IF NOT p_body ? 'quality' THEN
		e := e || api_fault('/quality',
		    'Required: provisional, final or revised.');
	END IF;
	e := e || api_enum_fault(p_body, 'quality', '{provisional,final,revised}');
	IF p_body ? 'source_uri' AND (jsonb_typeof(p_body->'source_uri') <>
	    'string' OR (p_body->>'source_uri') !~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$' OR
	    length(p_body->>'source_uri') > 2000) THEN
		e := e || api_fault('/source_uri', 'Must be a URI (scheme:...), '
		    'at most 2000 characters.');
	END IF;
	IF p_body ? 'supersedes' AND jsonb_typeof(p_body->'supersedes') <> 'null' THEN
		IF NOT api_is_integer(p_body->'supersedes') OR NOT EXISTS
		    (SELECT 1 FROM observations x WHERE x.id =
		    (p_body->>'supersedes')::numeric AND
		    x.indicator_id = p_indicator) THEN
			e := e || api_fault('/supersedes', 'Must be the id of an '
			    'observation of this indicator.');
		ELSIF EXISTS (SELECT 1 FROM observations x WHERE x.supersedes =
		    (p_body->>'supersedes')::numeric) THEN
			e := e || api_fault('/supersedes', 'That observation is '
			    'already superseded: correct the one in force.');
		END IF;
	END IF;
	RETURN e;
END
$$;

-- POST .../indicators/{indicator}/observations: a new observation, or a
-- correction (supersedes).  There is no PUT and no DELETE.
CREATE FUNCTION api_observation_add(p_hash bytea, p_request text,
    p_plan text, p_item text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	w	record;
	e	jsonb;
	o	observations;
	v_path	text;
BEGIN
	w := progress_write_indicator(p_hash, p_request, p_plan, p_item);
	IF w.status IS NOT NULL THEN
		RETURN QUERY SELECT w.status, w.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	e := progress_body_fault(p_body);
	IF jsonb_array_length(e) = 0 THEN
		e := progress_observation_faults(p_body, (w.i).id);
	END IF;
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;
	INSERT INTO observations (indicator_id, period_start, period_end, value,
	    quality, method, source_uri, row_ref, note, supersedes, key_id)
	VALUES ((w.i).id, (p_body#>>'{period,start}')::date,
	    (p_body#>>'{period,end}')::date, (p_body->>'value')::numeric,
	    p_body->>'quality', 'api', p_body->>'source_uri', p_body->>'row',
	    COALESCE(p_body->>'note', ''), (p_body->>'supersedes')::bigint,
	    NULLIF(current_setting('civic.key_id', true), '')::bigint)
	RETURNING * INTO o;
	v_path := '/v1/plans/' || (w.p).slug || '/indicators/' || (w.i).slug;
	PERFORM api_audit('observation', v_path, (w.p).id, 'create', NULL,
	    progress_observation_json(o, now()));
	RETURN QUERY SELECT 201, progress_observation_json(o, now())::text,
	    v_path, NULL::text;
END
$$;

-- POST .../indicators/{indicator}/overrides: {"status", "reason"}; a null
-- status lifts the override in force.
CREATE FUNCTION api_override_add(p_hash bytea, p_request text, p_plan text,
    p_item text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	w	record;
	e	jsonb;
	before	json;
	v_path	text;
	j	json;
BEGIN
	w := progress_write_indicator(p_hash, p_request, p_plan, p_item);
	IF w.status IS NOT NULL THEN
		RETURN QUERY SELECT w.status, w.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	e := progress_body_fault(p_body);
	IF jsonb_array_length(e) = 0 THEN
		e := api_unknown_members(p_body, '{status,reason}') ||
		    api_text_fault(p_body, 'reason', 1, 2000, true);
		IF NOT p_body ? 'status' THEN
			e := e || api_fault('/status', 'Required: on_track, '
			    'at_risk, off_track, or null to lift the override.');
		ELSIF jsonb_typeof(p_body->'status') <> 'null' THEN
			e := e || api_enum_fault(p_body, 'status',
			    '{on_track,at_risk,off_track}');
		ELSIF progress_override((w.i).id, now()) IS NULL THEN
			e := e || api_fault('/status', 'No override is in '
			    'force: there is nothing to lift.');
		END IF;
	END IF;
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;
	before := progress_override((w.i).id, now());
	INSERT INTO status_overrides (indicator_id, status, reason, key_id)
	VALUES ((w.i).id, p_body->>'status', p_body->>'reason',
	    NULLIF(current_setting('civic.key_id', true), '')::bigint);
	v_path := '/v1/plans/' || (w.p).slug || '/indicators/' || (w.i).slug;
	PERFORM api_audit('override', v_path, (w.p).id, CASE WHEN
	    p_body->>'status' IS NULL THEN 'delete' ELSE 'create' END, before,
	    jsonb_build_object('status', p_body->'status', 'reason',
	    p_body->'reason')::json);
	j := progress_indicator_doc((w.i).id, now());
	RETURN QUERY SELECT 201, j::text, v_path, api_etag(j);
END
$$;

-- POST .../initiatives/{initiative}/updates and .../objectives/{objective}/
-- updates (p_kind 'initiative' or 'objective').
CREATE FUNCTION api_update_add(p_hash bytea, p_request text, p_plan text,
    p_kind text, p_item text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	w	record;
	e	jsonb;
	v_ini	bigint;
	v_obj	bigint;
	u	progress_updates;
	v_path	text;
BEGIN
	w := api_plan_write(p_hash, p_request, p_plan);
	IF w.status IS NOT NULL THEN
		RETURN QUERY SELECT w.status, w.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	IF p_kind = 'initiative' THEN
		SELECT id INTO v_ini FROM initiatives WHERE plan_id = (w.p).id
		    AND slug = p_item;
	ELSE
		SELECT id INTO v_obj FROM objectives WHERE plan_id = (w.p).id
		    AND slug = p_item;
	END IF;
	IF v_ini IS NULL AND v_obj IS NULL THEN
		RETURN QUERY SELECT * FROM api_no_item(p_kind, p_item, p_plan);
		RETURN;
	END IF;
	e := progress_body_fault(p_body);
	IF jsonb_array_length(e) = 0 THEN
		e := api_unknown_members(p_body, '{date,reported_status,'
		    'progress_pct,text,author}') ||
		    api_date_fault(p_body, 'date', true, false) ||
		    api_enum_fault(p_body, 'reported_status',
		    '{on_track,at_risk,off_track,completed,not_started}') ||
		    api_text_fault(p_body, 'text', 1, 10000, true) ||
		    api_text_fault(p_body, 'author', 1, 200, true);
		IF p_body ? 'progress_pct' AND jsonb_typeof(p_body->'progress_pct')
		    <> 'null' AND (jsonb_typeof(p_body->'progress_pct') <>
		    'number' OR (p_body->>'progress_pct')::numeric NOT BETWEEN
		    0 AND 100) THEN
			e := e || api_fault('/progress_pct',
			    'Must be a number from 0 to 100.');
		END IF;
	END IF;
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;
	INSERT INTO progress_updates (plan_id, initiative_id, objective_id,
	    on_date, reported_status, progress_pct, text, author, key_id)
	VALUES ((w.p).id, v_ini, v_obj, (p_body->>'date')::date,
	    p_body->>'reported_status', (p_body->>'progress_pct')::numeric,
	    p_body->>'text', p_body->>'author',
	    NULLIF(current_setting('civic.key_id', true), '')::bigint)
	RETURNING * INTO u;
	v_path := '/v1/plans/' || (w.p).slug || CASE WHEN p_kind = 'initiative'
	    THEN '/initiatives/' ELSE '/objectives/' END || p_item;
	PERFORM api_audit('update', v_path, (w.p).id, 'create', NULL,
	    progress_update_json(u)::json);
	RETURN QUERY SELECT 201, progress_update_json(u)::text, v_path,
	    NULL::text;
END
$$;

------------------------------------------------------------------------
-- Reads of a whole plan: the observations' CSV, the exports

/*
 * The plan p_plan as p_hash may read it: drafts are an admin's alone.
 * status and body: the problem (401 for a bad key, 404) when it may not.
 */
CREATE FUNCTION progress_read_plan(p_hash bytea, p_plan text, OUT p plans,
    OUT status integer, OUT body text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
BEGIN
	SELECT * INTO p FROM plans x WHERE x.slug = p_plan OR (p_plan = 'current'
	    AND x.status = 'adopted') ORDER BY x.adopted_on DESC LIMIT 1;
	IF p.id IS NOT NULL AND p.status = 'draft' THEN
		IF p_hash IS NULL THEN
			p := NULL;
		ELSE
			a := api_admin(p_hash);
			IF a.status = 401 THEN
				status := a.status;
				body := a.body;
				RETURN;
			END IF;
			IF a.status IS NOT NULL THEN
				p := NULL;
			END IF;
		END IF;
	END IF;
	IF p.id IS NULL THEN
		status := 404;
		body := api_no_plan(p_plan);
	END IF;
END
$$;

-- The columns of the observations' CSV, as exported and imported.
CREATE FUNCTION progress_csv_header() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT '{indicator,period_start,period_end,value,quality,source_uri,note,supersedes}'::text[]
$$;

-- The observations of plan p_plan in force at p_at, as CSV rows (the
-- header first): a JSON array of arrays of strings.
CREATE FUNCTION progress_csv_rows(p_plan bigint, p_at timestamptz)
RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT (jsonb_build_array(to_jsonb(progress_csv_header())) ||
	    COALESCE((SELECT jsonb_agg(jsonb_build_array(i.slug,
		o.period_start::text, o.period_end::text,
		trim_scale(o.value)::text, o.quality, o.source_uri,
		NULLIF(o.note, ''), o.supersedes::text)
		ORDER BY i.slug, o.period_end, o.id)
	    FROM indicators i, LATERAL progress_observations_in_force(i.id, p_at) o
	    WHERE i.plan_id = p_plan), '[]'))::json
$$;

/*
 * The plan p_plan at p_at as StratML Part 2 (ISO 17469-1), a
 * PerformancePlanOrReport of type Performance_Report: goals, objectives,
 * and under each objective its indicators (progress_stratml_indicator).
 */
CREATE FUNCTION progress_stratml(p_plan bigint, p_at timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	p	plans;
	x	xml;
BEGIN
	SELECT * INTO p FROM plans WHERE id = p_plan;
	-- Each indicator's element, made once.
	CREATE TEMP TABLE IF NOT EXISTS progress_stratml_indicators (
		objective text, slug text, x xml) ON COMMIT DROP;
	TRUNCATE progress_stratml_indicators;
	INSERT INTO progress_stratml_indicators
	SELECT d.def->>'objective', i.slug, progress_stratml_indicator(i.id, p_at)
	FROM indicators i, LATERAL progress_indicator_def(i.id, p_at) d
	WHERE i.plan_id = p_plan AND d.def IS NOT NULL;
	x := xmlelement(name "PerformancePlanOrReport",
	    xmlattributes(
		'urn:ISO:std:iso:17469:tech:xsd:PerformancePlanOrReport' AS xmlns,
		'Performance_Report' AS "Type"),
	    xmlelement(name "Name", p.title),
	    xmlelement(name "Description", p.name || ': performance as of ' ||
		progress_day(p_at) || '.'),
	    xmlelement(name "OtherInformation", 'Statuses are computed by the '
		'published status rules (/v1/status-rules); the roll-up method '
		'is published at /v1/plans/' || p.slug || '/progress.'),
	    xmlelement(name "StrategicPlanCore",
		xmlelement(name "Organization",
		    xmlelement(name "Name", p.city)),
		CASE WHEN p.mission IS NOT NULL THEN xmlelement(name "Mission",
		    xmlelement(name "Description", p.mission)) END,
		(SELECT xmlagg(xmlelement(name "Goal",
		    xmlelement(name "Name", g.title),
		    xmlelement(name "Description", g.statement),
		    xmlelement(name "Identifier", 'goal-' || g.slug),
		    xmlelement(name "SequenceIndicator", g.position),
		    (SELECT xmlagg(xmlelement(name "Objective",
			xmlelement(name "Name", o.title),
			xmlelement(name "Identifier", 'objective-' || o.slug),
			xmlelement(name "SequenceIndicator", o.position),
			(SELECT xmlagg(si.x ORDER BY si.slug)
			    FROM progress_stratml_indicators si
			    WHERE si.objective = o.slug))
			ORDER BY o.position)
		    FROM objectives o WHERE o.goal_id = g.id
		    AND o.status = 'active'))
		    ORDER BY g.position)
		FROM goals g WHERE g.plan_id = p_plan AND g.status = 'active')),
	    xmlelement(name "AdministrativeInformation",
		xmlelement(name "Identifier", 'plan-' || p.slug),
		CASE WHEN p.period_start IS NOT NULL THEN
		    xmlelement(name "StartDate", make_date(p.period_start, 1, 1))
		    END,
		CASE WHEN p.period_end IS NOT NULL THEN
		    xmlelement(name "EndDate", make_date(p.period_end, 12, 31))
		    END,
		xmlelement(name "PublicationDate", progress_day(p_at))));
	RETURN '<?xml version="1.0" encoding="UTF-8"?>' || chr(10) || x::text;
END
$$;

/*
 * One indicator as a StratML PerformanceIndicator: its targets in force
 * as TargetResult, its final observations in force as ActualResult, its
 * direction and status in OtherInformation.
 */
CREATE FUNCTION progress_stratml_indicator(p_id bigint, p_at timestamptz)
RETURNS xml
LANGUAGE plpgsql STABLE AS $$
DECLARE
	i	indicators;
	d	jsonb;
	c	jsonb;
	ov	jsonb;
BEGIN
	SELECT * INTO i FROM indicators WHERE id = p_id;
	d := (progress_indicator_def(p_id, p_at)).def;
	IF d IS NULL THEN
		RETURN NULL;
	END IF;
	c := progress_assess(p_id, p_at);
	ov := progress_override(p_id, p_at);
	RETURN xmlelement(name "PerformanceIndicator",
	    xmlattributes('Quantitative' AS "PerformanceIndicatorType",
		'Outcome' AS "ValueChainStage"),
	    xmlelement(name "SequenceIndicator", d->>'code'),
	    xmlelement(name "MeasurementDimension", d->>'title'),
	    xmlelement(name "UnitOfMeasurement", (d#>>'{unit,label}') ||
		' (UCUM ' || (d#>>'{unit,code}') || ')'),
	    xmlelement(name "Identifier", 'indicator-' || i.slug),
	    xmlelement(name "MeasurementInstance",
		(SELECT xmlagg(xmlelement(name "TargetResult",
		    xmlelement(name "StartDate", t.period_start),
		    xmlelement(name "EndDate", t.period_end),
		    CASE WHEN t.value IS NOT NULL THEN xmlelement(name
			"NumberOfUnits", trim_scale(t.value)) END,
		    CASE WHEN t.value IS NULL THEN xmlelement(name "Descriptor",
			xmlelement(name "DescriptorName", 'range'),
			xmlelement(name "DescriptorValue",
			    COALESCE(trim_scale(t.min)::text, '') || ' to ' ||
			    COALESCE(trim_scale(t.max)::text, ''))) END,
		    CASE WHEN t.rationale <> '' THEN xmlelement(name
			"Description", t.rationale) END)
		    ORDER BY t.period_end, t.id)
		FROM progress_targets_in_force(p_id, p_at) t),
		(SELECT xmlagg(xmlelement(name "ActualResult",
		    xmlelement(name "StartDate", o.period_start),
		    xmlelement(name "EndDate", o.period_end),
		    xmlelement(name "NumberOfUnits", trim_scale(o.value)))
		    ORDER BY o.period_end, o.id)
		FROM progress_observations_in_force(p_id, p_at) o
		WHERE o.quality IN ('final', 'revised'))),
	    xmlelement(name "OtherInformation", format('Direction: %s. '
		'Status: %s (computed: %s, by rule %s version %s)%s.',
		d->>'direction', COALESCE(ov->>'status', c->>'status'),
		c->>'status', c#>>'{rule,id}', c#>>'{rule,version}',
		CASE WHEN ov IS NOT NULL THEN '; overridden: ' ||
		(ov->>'reason') ELSE '' END)));
END
$$;

-- The plan's export as JSON at p_at: the document the published JSON Schema
-- (PlanExport in the OpenAPI document) describes; as_of is p_as_of, the one
-- asked for (null: now, and the ETag stays until something changes).
CREATE FUNCTION progress_export_json(p_plan bigint, p_at timestamptz,
    p_as_of timestamptz)
RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN json_build_object(
	    'schema', '/openapi.json#/components/schemas/PlanExport',
	    'as_of', api_time(p_as_of),
	    'plan', (SELECT fields FROM api_plan WHERE id = p_plan),
	    'status_rules', (SELECT json_agg(progress_rule_doc(s, p_at) ORDER BY s)
		FROM (SELECT DISTINCT slug AS s FROM status_rules
		WHERE published_at <= p_at) r),
	    'progress', progress_plan_doc(p_plan, p_at),
	    'indicators', COALESCE((SELECT json_agg(d ORDER BY s) FROM
		(SELECT i.slug AS s, progress_indicator_doc(i.id, p_at) AS d
		FROM indicators i WHERE i.plan_id = p_plan) x
		WHERE d IS NOT NULL), '[]'),
	    'initiatives', COALESCE((SELECT json_agg(d ORDER BY s) FROM
		(SELECT i.slug AS s, progress_initiative_doc(i.id, p_at) AS d
		FROM initiatives i WHERE i.plan_id = p_plan) x
		WHERE d IS NOT NULL), '[]'));
END
$$;

/*
 * GET /v1/plans/{plan}/observations (p_format csv) and .../export
 * (json, stratml), as they stood at p_as_of.  content_type says what the
 * body is: for CSV, the rows as JSON, which the service renders.
 */
CREATE FUNCTION api_plan_download(p_hash bytea, p_plan text, p_format text,
    p_as_of timestamptz)
RETURNS TABLE (status integer, body text, location text, content_type text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	r	record;
	v_at	timestamptz := progress_at(p_as_of);
BEGIN
	IF p_as_of > now() THEN
		RETURN QUERY SELECT 400, progress_future(), NULL::text,
		    NULL::text;
		RETURN;
	END IF;
	r := progress_read_plan(p_hash, p_plan);
	IF r.status IS NOT NULL THEN
		RETURN QUERY SELECT r.status, r.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	IF p_format = 'csv' THEN
		RETURN QUERY SELECT 200, progress_csv_rows((r.p).id, v_at)::text,
		    NULL::text, 'text/csv';
	ELSIF p_format = 'stratml' THEN
		RETURN QUERY SELECT 200, progress_stratml((r.p).id, v_at),
		    NULL::text, 'application/xml';
	ELSE
		RETURN QUERY SELECT 200, progress_export_json((r.p).id,
		    v_at, p_as_of)::text, NULL::text, 'application/json';
	END IF;
END
$$;

------------------------------------------------------------------------
-- The import of observations from CSV

/*
 * POST /v1/plans/{plan}/imports: p_rows, the file's rows (the header
 * first) as the service parsed them, or p_parse_error when it could not.
 * Every fault of every row is answered (row, column, detail); with
 * p_dry_run nothing is stored (200), otherwise every row is, in this one
 * transaction (201), or, at any fault, none (422).  Each observation's
 * provenance names the import, the file's SHA-256 and its row.
 */
CREATE FUNCTION api_observations_import(p_hash bytea, p_request text,
    p_plan text, p_dry_run boolean, p_sha256 text, p_rows jsonb,
    p_parse_error jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	w	record;
	e	jsonb;
	n	integer := 0;
	v_imp	bigint;
	h	text[] := progress_csv_header();
BEGIN
	w := api_plan_write(p_hash, p_request, p_plan);
	IF w.status IS NOT NULL THEN
		RETURN QUERY SELECT w.status, w.body, NULL::text, NULL::text;
		RETURN;
	END IF;

	IF p_parse_error IS NOT NULL THEN
		-- The field by its column's name, where the header has one.
		e := jsonb_build_array(p_parse_error || jsonb_build_object(
		    'column', COALESCE(h[(p_parse_error->>'column')::integer],
		    p_parse_error->>'column'), 'pointer', '/' ||
		    (p_parse_error->>'row')));
	ELSIF jsonb_array_length(p_rows) = 0 OR
	    ARRAY(SELECT jsonb_array_elements_text(p_rows->0)) <> h THEN
		e := jsonb_build_array(jsonb_build_object('row', 1, 'column',
		    NULL, 'detail', 'The first row must be the header: ' ||
		    array_to_string(h, ',') || '.'));
	ELSIF jsonb_array_length(p_rows) > 50001 THEN
		e := jsonb_build_array(jsonb_build_object('row', 50002,
		    'column', NULL, 'detail', 'At most 50000 rows a file.'));
	ELSE
		n := jsonb_array_length(p_rows) - 1;
		CREATE TEMP TABLE IF NOT EXISTS progress_import_rows (
			row integer, indicator_id bigint, cells text[],
			period_start date, period_end date, value numeric,
			supersedes bigint) ON COMMIT DROP;
		TRUNCATE progress_import_rows;
		INSERT INTO progress_import_rows (row, cells)
		SELECT r.ord::integer, ARRAY(SELECT jsonb_array_elements_text(r.v))
		FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS r(v, ord)
		WHERE r.ord > 1;

		-- Every fault of every row, by column.
		WITH c AS (
			SELECT row, cells, cardinality(cells) AS nc,
			    cells[1] AS indicator, cells[2] AS ps, cells[3] AS pe,
			    cells[4] AS val, cells[5] AS quality,
			    NULLIF(cells[6], '') AS uri, cells[7] AS note,
			    NULLIF(cells[8], '') AS sup
			FROM progress_import_rows
		), f AS (
			SELECT row, NULL AS col, format('Has %s fields; the '
			    'header has %s.', nc, cardinality(h)) AS detail
			FROM c WHERE nc <> cardinality(h)
			UNION ALL
			SELECT row, 'indicator', format('No indicator %L in '
			    'this plan.', indicator)
			FROM c WHERE nc = cardinality(h) AND NOT EXISTS (SELECT 1
			    FROM indicators i WHERE i.plan_id = (w.p).id
			    AND i.slug = c.indicator)
			UNION ALL
			SELECT row, 'period_start', 'Must be a date, YYYY-MM-DD.'
			FROM c WHERE nc = cardinality(h) AND NOT api_is_date(ps)
			UNION ALL
			SELECT row, 'period_end', 'Must be a date, YYYY-MM-DD.'
			FROM c WHERE nc = cardinality(h) AND NOT api_is_date(pe)
			UNION ALL
			SELECT row, 'period_end', 'Must not be before period_start.'
			FROM c WHERE nc = cardinality(h) AND CASE WHEN
			    api_is_date(ps) AND api_is_date(pe) THEN
			    ps::date > pe::date ELSE false END
			UNION ALL
			SELECT row, 'value', 'Must be a decimal number of at '
			    'most 15 significant digits, such as -12.5.'
			FROM c WHERE nc = cardinality(h) AND
			    (val !~ '^-?[0-9]{1,15}(\.[0-9]{1,15})?$' OR
			    length(ltrim(translate(val, '-.', ''), '0')) > 15)
			UNION ALL
			SELECT row, 'quality', 'Must be provisional, final or '
			    'revised.'
			FROM c WHERE nc = cardinality(h) AND
			    quality NOT IN ('provisional', 'final', 'revised')
			UNION ALL
			SELECT row, 'source_uri', 'Must be empty or a URI '
			    '(scheme:...), at most 2000 characters.'
			FROM c WHERE nc = cardinality(h) AND uri IS NOT NULL AND
			    (uri !~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$' OR
			    length(uri) > 2000)
			UNION ALL
			SELECT row, 'note', 'At most 2000 characters.'
			FROM c WHERE nc = cardinality(h) AND length(note) > 2000
			UNION ALL
			SELECT row, 'supersedes', 'Must be empty or the id of an '
			    'observation in force of the same indicator.'
			FROM c WHERE nc = cardinality(h) AND sup IS NOT NULL AND
			    CASE WHEN sup !~ '^[0-9]{1,18}$' THEN true
			    ELSE NOT EXISTS (SELECT 1
			    FROM observations o JOIN indicators i
			    ON i.id = o.indicator_id WHERE o.id = sup::bigint
			    AND i.plan_id = (w.p).id AND i.slug = c.indicator
			    AND NOT EXISTS (SELECT 1 FROM observations s
			    WHERE s.supersedes = o.id)) END
			UNION ALL
			SELECT row, 'supersedes', 'Another row of this file '
			    'supersedes the same observation.'
			FROM c WHERE nc = cardinality(h) AND sup IS NOT NULL AND
			    EXISTS (SELECT 1 FROM c d WHERE d.sup = c.sup
			    AND d.row < c.row)
		)
		SELECT COALESCE(jsonb_agg(jsonb_build_object('row', row,
		    'column', col, 'pointer', '/' || row || COALESCE('/' || col,
		    ''), 'detail', detail) ORDER BY row, array_position(h, col)),
		    '[]') INTO e
		FROM (SELECT * FROM f ORDER BY row LIMIT 1000) f;
	END IF;

	IF p_dry_run THEN
		RETURN QUERY SELECT 200, jsonb_build_object('dry_run', true,
		    'rows', n, 'sha256', p_sha256, 'valid',
		    jsonb_array_length(e) = 0, 'errors', e)::text,
		    NULL::text, NULL::text;
		RETURN;
	END IF;
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT 422, api_problem('invalid-body', format(
		    'The file has %s fault(s); see errors (row, column). Nothing '
		    'was imported.', jsonb_array_length(e)),
		    jsonb_build_object('errors', e)), NULL::text, NULL::text;
		RETURN;
	END IF;

	INSERT INTO observation_imports (plan_id, sha256, rows, key_id)
	VALUES ((w.p).id, p_sha256, n, NULLIF(current_setting('civic.key_id',
	    true), '')::bigint)
	RETURNING id INTO v_imp;
	INSERT INTO observations (indicator_id, period_start, period_end, value,
	    quality, method, source_uri, row_ref, file_sha256, import_id, note,
	    supersedes, key_id)
	SELECT i.id, r.cells[2]::date, r.cells[3]::date, r.cells[4]::numeric,
	    r.cells[5], 'import', NULLIF(r.cells[6], ''), r.row::text,
	    p_sha256, v_imp, r.cells[7], NULLIF(r.cells[8], '')::bigint,
	    NULLIF(current_setting('civic.key_id', true), '')::bigint
	FROM progress_import_rows r
	JOIN indicators i ON i.plan_id = (w.p).id AND i.slug = r.cells[1]
	ORDER BY r.row;
	PERFORM api_audit('import', '/v1/plans/' || (w.p).slug || '/imports',
	    (w.p).id, 'create', NULL, json_build_object('id', v_imp,
	    'rows', n, 'sha256', p_sha256));
	RETURN QUERY SELECT 201, jsonb_build_object('id', v_imp,
	    'dry_run', false, 'rows', n, 'sha256', p_sha256, 'valid', true,
	    'errors', '[]'::jsonb)::text,
	    '/v1/plans/' || (w.p).slug || '/observations', NULL::text;
END
$$;

CREATE VIEW api_question AS
SELECT	q.survey_id, q.position,
	json_strip_nulls(json_build_object(
	    'id', q.qid,
	    'position', q.position,
	    'prompt', q.prompt,
	    'type', q.type,
	    'required', q.required,
	    'options', CASE q.type
		WHEN 'agreement' THEN to_json(ARRAY['strongly_disagree',
		    'disagree', 'neutral', 'agree', 'strongly_agree'])
		ELSE to_json(q.options) END,
	    'min', q.min_choices,
	    'max', q.max_choices,
	    'max_length', q.max_length)) AS body
FROM	survey_questions q;

CREATE OR REPLACE VIEW api_survey AS
SELECT	s.id, s.slug,
	'/v1/surveys/' || s.slug AS path,
	json_build_object(
	    'id', s.slug,
	    'plan', p.slug,
	    'title', s.title,
	    'description', s.description,
	    'opens_at', api_time(s.opens_at),
	    'closes_at', api_time(s.closes_at),
	    'timezone', s.timezone,
	    'status', s.status,
	    'results_visibility', s.results_visibility) AS summary,
	json_build_object(
	    'id', s.slug,
	    'plan', p.slug,
	    'title', s.title,
	    'description', s.description,
	    'opens_at', api_time(s.opens_at),
	    'closes_at', api_time(s.closes_at),
	    'timezone', s.timezone,
	    'status', s.status,
	    'results_visibility', s.results_visibility,
	    'questions', COALESCE((SELECT json_agg(aq.body ORDER BY aq.position)
		FROM api_question aq WHERE aq.survey_id = s.id), '[]'::json))
	    AS document
FROM	surveys s
JOIN	plans p ON p.id = s.plan_id;

CREATE FUNCTION content_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE content_revision SET revision = revision + 1 WHERE id = 1;
	RETURN NULL;
END
$$;

CREATE TRIGGER plans_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON plans FOR EACH STATEMENT EXECUTE FUNCTION content_bump();

CREATE TRIGGER goals_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON goals FOR EACH STATEMENT EXECUTE FUNCTION content_bump();

CREATE TRIGGER objectives_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON objectives FOR EACH STATEMENT EXECUTE FUNCTION content_bump();

CREATE TRIGGER priority_sets_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON priority_sets FOR EACH STATEMENT EXECUTE FUNCTION content_bump();

CREATE TRIGGER priorities_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON priorities FOR EACH STATEMENT EXECUTE FUNCTION content_bump();

CREATE TRIGGER surveys_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON surveys FOR EACH STATEMENT EXECUTE FUNCTION content_bump();

CREATE TRIGGER survey_questions_bump AFTER INSERT OR UPDATE OR DELETE
	OR TRUNCATE ON survey_questions FOR EACH STATEMENT
	EXECUTE FUNCTION content_bump();

-- Progress (sql/api/progress.sql): every table is append-only.
DO $$
DECLARE
	t	text;
BEGIN
	FOREACH t IN ARRAY '{status_rules,initiatives,initiative_versions,indicators,indicator_versions,targets,observations,status_overrides,progress_updates}'::text[]
	LOOP
		EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I '
		    'FOR EACH STATEMENT EXECUTE FUNCTION content_bump()',
		    t || '_bump', t);
	END LOOP;
END
$$;

/*
 * What the service's snapshot is made at: the content revision, and the
 * day (UTC), since a status also follows the calendar (a target period
 * begins, a milestone falls due) without any write.
 */
CREATE VIEW api_content_version AS
SELECT	revision * 100000 + (current_date - date '2000-01-01') AS version
FROM	content_revision;

CREATE VIEW api_objective AS
SELECT	o.id, o.plan_id, o.goal_id, o.position, o.status,
	g.slug AS goal_slug,
	'/v1/plans/' || p.slug || '/objectives/' || o.slug AS path,
	json_build_object(
	    'id', o.slug,
	    'plan', p.slug,
	    'goal', g.slug,
	    'position', o.position,
	    'title', o.title,
	    'status', o.status) AS body
FROM	objectives o
JOIN	goals g ON g.id = o.goal_id
JOIN	plans p ON p.id = o.plan_id;

CREATE VIEW api_goal AS
SELECT	g.id, g.plan_id, g.position, g.status,
	'/v1/plans/' || p.slug || '/goals/' || g.slug AS path,
	json_build_object(
	    'id', g.slug,
	    'plan', p.slug,
	    'position', g.position,
	    'title', g.title,
	    'statement', g.statement,
	    'status', g.status,
	    'objectives', COALESCE((SELECT json_agg(ao.body ORDER BY ao.position)
		FROM api_objective ao WHERE ao.goal_id = g.id
		AND ao.status = 'active'), '[]'::json)) AS body
FROM	goals g
JOIN	plans p ON p.id = g.plan_id;

CREATE VIEW api_priority AS
SELECT	pr.plan_id, pr.year, pr.rank,
	json_build_object(
	    'year', pr.year,
	    'rank', pr.rank,
	    'objective', json_build_object('id', o.slug, 'title', o.title),
	    'goal', json_build_object('id', g.slug, 'title', g.title),
	    'decided_on', ps.decided_on,
	    'decided_by', ps.decided_by) AS body
FROM	priorities pr
JOIN	priority_sets ps USING (plan_id, year)
JOIN	objectives o ON o.id = pr.objective_id
JOIN	goals g ON g.id = o.goal_id;

-- A year's ranked list, as the plan document shows it and as it is served
-- at /v1/plans/{plan}/priorities/{year}.
CREATE VIEW api_priority_set AS
SELECT	ps.plan_id, ps.year,
	'/v1/plans/' || p.slug || '/priorities/' || ps.year AS path,
	json_build_object(
	    'year', ps.year,
	    'decided_on', ps.decided_on,
	    'decided_by', ps.decided_by,
	    'items', COALESCE((SELECT json_agg(ap.body ORDER BY ap.rank)
		FROM api_priority ap WHERE ap.plan_id = ps.plan_id
		AND ap.year = ps.year), '[]'::json)) AS body
FROM	priority_sets ps
JOIN	plans p ON p.id = ps.plan_id;

-- fields: the plan's own members (what its history records); document:
-- those with its active goals and its priorities.
CREATE VIEW api_plan AS
SELECT	p.id, p.slug, p.status, p.adopted_on, p.status = 'draft' AS draft,
	'/v1/plans/' || p.slug AS path,
	json_build_object(
	    'id', p.slug,
	    'city', p.city,
	    'name', p.name,
	    'title', p.title,
	    'status', p.status,
	    'adopted_on', p.adopted_on,
	    'period', json_build_object('start', p.period_start,
		'end', p.period_end),
	    'update_period', json_build_object('start', p.update_period_start,
		'end', p.update_period_end)) AS summary,
	f.fields,
	(left(f.fields::text, -1) ||
	    ', "goals" : ' || COALESCE((SELECT json_agg(ag.body
		ORDER BY ag.position) FROM api_goal ag WHERE ag.plan_id = p.id
		AND ag.status = 'active'), '[]'::json)::text ||
	    ', "priorities" : ' || COALESCE((SELECT json_agg(aps.body
		ORDER BY aps.year DESC) FROM api_priority_set aps
		WHERE aps.plan_id = p.id), '[]'::json)::text ||
	    '}')::json AS document
FROM	plans p
CROSS JOIN LATERAL (SELECT json_build_object(
	    'id', p.slug,
	    'city', p.city,
	    'name', p.name,
	    'title', p.title,
	    'status', p.status,
	    'adopted_on', p.adopted_on,
	    'period', json_build_object('start', p.period_start,
		'end', p.period_end),
	    'update_period', json_build_object('start', p.update_period_start,
		'end', p.update_period_end),
	    'purpose_statement', p.purpose_statement,
	    'mission', p.mission) AS fields) AS f;

CREATE VIEW api_current_plan AS
SELECT	slug
FROM	plans
WHERE	status = 'adopted'
ORDER BY adopted_on DESC, id DESC
LIMIT	1;

-- draft: only admins see it (a draft plan and everything under it).
CREATE VIEW api_collections AS
SELECT	'/v1/plans'::text AS path, NULL::text AS filter_param,
	NULL::text AS filter_ref, false AS draft
UNION ALL
SELECT	'/v1/surveys', NULL, NULL, false
UNION ALL
SELECT	path || '/goals', NULL, NULL, draft FROM api_plan
UNION ALL
SELECT	path || '/objectives', 'goal', path || '/goals/', draft FROM api_plan
UNION ALL
SELECT	path || '/priorities', 'year', NULL, draft FROM api_plan
UNION ALL
SELECT	path || '/indicators', NULL, NULL, draft FROM api_plan
UNION ALL
SELECT	path || '/initiatives', NULL, NULL, draft FROM api_plan
UNION ALL
SELECT	'/v1/status-rules', NULL, NULL, false;

-- collection is NULL for a resource no collection lists (a year's
-- priorities); path is NULL for a member with no resource of its own.
CREATE VIEW api_resources AS
SELECT	path, '/v1/plans'::text AS collection,
	row_number() OVER (ORDER BY adopted_on DESC NULLS LAST, slug)
	    AS sort_key,
	NULL::text AS filter_value, document AS item, summary AS member,
	draft, api_etag(document) AS etag
FROM	api_plan
UNION ALL
SELECT	ag.path, ap.path || '/goals', ag.position, NULL, ag.body, ag.body,
	ap.draft, api_etag(ag.body)
FROM	api_goal ag JOIN api_plan ap ON ap.id = ag.plan_id
UNION ALL
SELECT	ao.path, ap.path || '/objectives', ao.position, ao.goal_slug,
	ao.body, ao.body, ap.draft, api_etag(ao.body)
FROM	api_objective ao JOIN api_plan ap ON ap.id = ao.plan_id
UNION ALL
SELECT	NULL, ap.path || '/priorities',
	(10000 - pr.year) * 10000 + pr.rank, pr.year::text, NULL, pr.body,
	ap.draft, NULL
FROM	api_priority pr JOIN api_plan ap ON ap.id = pr.plan_id
UNION ALL
SELECT	aps.path, NULL, 0, NULL, aps.body, NULL, ap.draft, api_etag(aps.body)
FROM	api_priority_set aps JOIN api_plan ap ON ap.id = aps.plan_id
UNION ALL
SELECT	path, '/v1/surveys', row_number() OVER (ORDER BY slug), NULL,
	document, summary, false, api_etag(document)
FROM	api_survey
UNION ALL
-- Progress, as it stands now (?as_of= asks api_progress_read); OFFSET 0
-- keeps each document from being made twice (item and ETag).
SELECT	ap.path || '/indicators/' || i.slug, ap.path || '/indicators',
	row_number() OVER (PARTITION BY i.plan_id ORDER BY i.slug), NULL, d.doc,
	progress_indicator_member(i.id, now()), ap.draft, api_etag(d.doc)
FROM	indicators i JOIN api_plan ap ON ap.id = i.plan_id
CROSS JOIN LATERAL (SELECT progress_indicator_doc(i.id, now()) AS doc OFFSET 0) d
UNION ALL
SELECT	ap.path || '/initiatives/' || i.slug, ap.path || '/initiatives',
	row_number() OVER (PARTITION BY i.plan_id ORDER BY i.slug), NULL, d.doc,
	progress_initiative_member(i.id, now()), ap.draft, api_etag(d.doc)
FROM	initiatives i JOIN api_plan ap ON ap.id = i.plan_id
CROSS JOIN LATERAL (SELECT progress_initiative_doc(i.id, now()) AS doc OFFSET 0) d
UNION ALL
SELECT	ap.path || '/progress', NULL, 0, NULL, d.doc, NULL, ap.draft,
	api_etag(d.doc)
FROM	api_plan ap
CROSS JOIN LATERAL (SELECT progress_plan_doc(ap.id, now()) AS doc OFFSET 0) d
UNION ALL
SELECT	'/v1/status-rules/' || r.slug, '/v1/status-rules',
	row_number() OVER (ORDER BY r.slug), NULL, d.doc, d.doc, false,
	api_etag(d.doc)
FROM	(SELECT DISTINCT slug FROM status_rules) r
CROSS JOIN LATERAL (SELECT progress_rule_doc(r.slug, now()) AS doc OFFSET 0) d;

-- 003: the public representations, as views the service loads into memory.
--
-- api_resources lists every resource: the path it is served at (NULL when it
-- has none of its own), the collection that lists it, its place there
-- (sort_key), the value a collection filter matches (filter_value), its own
-- representation (item) and the one its collection shows (member).
-- api_collections lists every collection, with the query parameter that
-- filters it.  The service builds its documents from these two views and
-- api_current_plan, so a representation changes here and nowhere else.

CREATE FUNCTION api_time(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

CREATE VIEW api_objective AS
SELECT	o.id, o.plan_id, o.goal_id, o.position, g.slug AS goal_slug,
	'/v1/plans/' || p.slug || '/objectives/' || o.slug AS path,
	json_build_object(
	    'id', o.slug,
	    'plan', p.slug,
	    'goal', g.slug,
	    'position', o.position,
	    'title', o.title) AS body
FROM	objectives o
JOIN	goals g ON g.id = o.goal_id
JOIN	plans p ON p.id = o.plan_id;

CREATE VIEW api_goal AS
SELECT	g.id, g.plan_id, g.position,
	'/v1/plans/' || p.slug || '/goals/' || g.slug AS path,
	json_build_object(
	    'id', g.slug,
	    'plan', p.slug,
	    'position', g.position,
	    'title', g.title,
	    'statement', g.statement,
	    'objectives', COALESCE((SELECT json_agg(ao.body ORDER BY ao.position)
		FROM api_objective ao WHERE ao.goal_id = g.id), '[]'::json)) AS body
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

CREATE VIEW api_plan AS
SELECT	p.id, p.slug, p.status, p.adopted_on,
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
		'end', p.update_period_end),
	    'purpose_statement', p.purpose_statement,
	    'mission', p.mission,
	    'goals', COALESCE((SELECT json_agg(ag.body ORDER BY ag.position)
		FROM api_goal ag WHERE ag.plan_id = p.id), '[]'::json),
	    'priorities', COALESCE((SELECT json_agg(json_build_object(
		    'year', ps.year,
		    'decided_on', ps.decided_on,
		    'decided_by', ps.decided_by,
		    'items', COALESCE((SELECT json_agg(ap.body ORDER BY ap.rank)
			FROM api_priority ap WHERE ap.plan_id = ps.plan_id
			AND ap.year = ps.year), '[]'::json))
		    ORDER BY ps.year DESC)
		FROM priority_sets ps WHERE ps.plan_id = p.id), '[]'::json))
	    AS document
FROM	plans p;

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

CREATE VIEW api_survey AS
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
	    'status', s.status) AS summary,
	json_build_object(
	    'id', s.slug,
	    'plan', p.slug,
	    'title', s.title,
	    'description', s.description,
	    'opens_at', api_time(s.opens_at),
	    'closes_at', api_time(s.closes_at),
	    'timezone', s.timezone,
	    'status', s.status,
	    'questions', COALESCE((SELECT json_agg(aq.body ORDER BY aq.position)
		FROM api_question aq WHERE aq.survey_id = s.id), '[]'::json))
	    AS document
FROM	surveys s
JOIN	plans p ON p.id = s.plan_id;

-- The newest adopted plan, served as /v1/plans/current.
CREATE VIEW api_current_plan AS
SELECT	slug
FROM	plans
WHERE	status = 'adopted'
ORDER BY adopted_on DESC, id DESC
LIMIT	1;

CREATE VIEW api_collections AS
SELECT	'/v1/plans'::text AS path, NULL::text AS filter_param,
	NULL::text AS filter_ref
UNION ALL
SELECT	'/v1/surveys', NULL, NULL
UNION ALL
SELECT	path || '/goals', NULL, NULL FROM api_plan
UNION ALL
SELECT	path || '/objectives', 'goal', path || '/goals/' FROM api_plan
UNION ALL
SELECT	path || '/priorities', 'year', NULL FROM api_plan;

CREATE VIEW api_resources AS
SELECT	path, '/v1/plans'::text AS collection,
	row_number() OVER (ORDER BY adopted_on DESC NULLS LAST, slug)
	    AS sort_key,
	NULL::text AS filter_value, document AS item, summary AS member
FROM	api_plan
UNION ALL
SELECT	ag.path, ap.path || '/goals', ag.position, NULL, ag.body, ag.body
FROM	api_goal ag JOIN api_plan ap ON ap.id = ag.plan_id
UNION ALL
SELECT	ao.path, ap.path || '/objectives', ao.position, ao.goal_slug,
	ao.body, ao.body
FROM	api_objective ao JOIN api_plan ap ON ap.id = ao.plan_id
UNION ALL
SELECT	NULL, ap.path || '/priorities',
	(10000 - pr.year) * 10000 + pr.rank, pr.year::text, NULL, pr.body
FROM	api_priority pr JOIN api_plan ap ON ap.id = pr.plan_id
UNION ALL
SELECT	path, '/v1/surveys', row_number() OVER (ORDER BY slug), NULL,
	document, summary
FROM	api_survey;

-- 007: surveys show who may see their results.

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

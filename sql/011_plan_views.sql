-- 011: the plan becomes editable.  Goals and objectives can be archived
-- (they stay readable, and out of the plan document); draft plans are for
-- admins only; every item carries the ETag its writes test If-Match
-- against; a year's priorities get a resource of their own.

ALTER TABLE goals ADD COLUMN status text NOT NULL DEFAULT 'active'
	CHECK (status IN ('active', 'archived'));
ALTER TABLE objectives ADD COLUMN status text NOT NULL DEFAULT 'active'
	CHECK (status IN ('active', 'archived'));

-- When the plan was first adopted: from then on its ids (slugs) are fixed
-- and it cannot return to draft.
ALTER TABLE plans ADD COLUMN first_adopted_at timestamptz;
UPDATE plans SET first_adopted_at = now() WHERE status <> 'draft';
ALTER TABLE plans ADD CHECK (status <> 'draft' OR first_adopted_at IS NULL);

CREATE FUNCTION plan_adopted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.status = 'adopted' AND NEW.first_adopted_at IS NULL THEN
		NEW.first_adopted_at := now();
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.slug <> OLD.slug AND
	    OLD.first_adopted_at IS NOT NULL THEN
		RAISE EXCEPTION 'plan % was adopted: its id cannot change',
		    OLD.slug USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER plans_adopted BEFORE INSERT OR UPDATE ON plans
	FOR EACH ROW EXECUTE FUNCTION plan_adopted();

-- Goals' and objectives' ids are fixed once their plan was adopted.
CREATE FUNCTION plan_slug_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.slug <> OLD.slug AND EXISTS (SELECT 1 FROM plans
	    WHERE id = OLD.plan_id AND first_adopted_at IS NOT NULL) THEN
		RAISE EXCEPTION '% %: the plan was adopted, so its id cannot '
		    'change', TG_TABLE_NAME, OLD.slug
		    USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER goals_slug_fixed BEFORE UPDATE OF slug ON goals
	FOR EACH ROW EXECUTE FUNCTION plan_slug_fixed();
CREATE TRIGGER objectives_slug_fixed BEFORE UPDATE OF slug ON objectives
	FOR EACH ROW EXECUTE FUNCTION plan_slug_fixed();

-- The strong ETag of an item: the same for the service's snapshot and for
-- the functions that test If-Match.
CREATE FUNCTION api_etag(j json) RETURNS text
LANGUAGE sql IMMUTABLE AS
$$ SELECT '"' || left(md5(j::text), 16) || '"' $$;

DROP VIEW api_resources, api_collections, api_current_plan, api_plan,
	api_priority, api_goal, api_objective;

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
SELECT	path || '/priorities', 'year', NULL, draft FROM api_plan;

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
FROM	api_survey;


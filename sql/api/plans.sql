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

/*
 * Put row p_self of p_table (goals or objectives) of plan p_plan at
 * position p_pos, and number the plan's rows 1..n in their order.  With
 * p_self NULL: number them again, closing gaps.  One UPDATE, so the
 * unique positions hold at its end.
 */
CREATE FUNCTION api_place(p_table regclass, p_plan bigint, p_self bigint,
    p_pos integer)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format($q$
		UPDATE %s t SET position = o.n
		FROM (SELECT id, row_number() OVER (ORDER BY k, id) AS n
		    FROM (SELECT id, CASE WHEN id = $2 THEN $3 - 0.5
			ELSE row_number() OVER (PARTITION BY id = $2
			ORDER BY position) END AS k
			FROM %s WHERE plan_id = $1) AS r) AS o
		WHERE t.id = o.id AND t.position <> o.n
	$q$, p_table, p_table) USING p_plan, p_self, p_pos;
END
$$;

/*
 * Where an objective goes when only its goal is given: right after the
 * goal's last objective (not counting p_self), or after the objectives of
 * the goals before it.
 */
CREATE FUNCTION api_after_goal(p_plan bigint, p_goal bigint, p_self bigint)
RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT 1 + CASE WHEN EXISTS (SELECT 1 FROM objectives
	    WHERE goal_id = p_goal AND id IS DISTINCT FROM p_self)
	THEN (SELECT count(*) FROM objectives o WHERE o.plan_id = p_plan
	    AND o.id IS DISTINCT FROM p_self AND o.position <= (SELECT
	    max(position) FROM objectives WHERE goal_id = p_goal
	    AND id IS DISTINCT FROM p_self))::integer
	ELSE (SELECT count(*) FROM objectives o JOIN goals g ON g.id = o.goal_id
	    WHERE o.plan_id = p_plan AND o.id IS DISTINCT FROM p_self
	    AND g.position < (SELECT position FROM goals WHERE id = p_goal)
	    )::integer END
$$;

------------------------------------------------------------------------
-- Plans

-- Faults in a plan body: a POST (p IS NULL) or a PATCH of p.
CREATE FUNCTION api_plan_faults(p_body jsonb, p plans) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb := '[]';
	v_create boolean := p.id IS NULL;
	v_status text;
	v_adopted text;
BEGIN
	IF jsonb_typeof(p_body) IS DISTINCT FROM 'object' THEN
		RETURN api_fault('', 'The body must be an object.');
	END IF;
	e := api_unknown_members(p_body, '{id,city,name,title,'
	    'purpose_statement,mission,status,adopted_on,period,'
	    'update_period}')
	    || api_slug_fault(p_body, 'id')
	    || api_text_fault(p_body, 'title', 1, 200, v_create)
	    || api_text_fault(p_body, 'city', 1, 200, v_create)
	    || api_text_fault(p_body, 'name', 1, 200, v_create)
	    || api_text_fault(p_body, 'purpose_statement', 0, 5000, false)
	    || api_text_fault(p_body, 'mission', 0, 5000, false)
	    || api_enum_fault(p_body, 'status', '{draft,adopted,archived}')
	    || api_date_fault(p_body, 'adopted_on', false, true)
	    || api_period_fault(p_body, 'period')
	    || api_period_fault(p_body, 'update_period');

	IF jsonb_typeof(p_body->'id') = 'string' AND
	    (p_body->>'id') IS DISTINCT FROM p.slug THEN
		IF p.first_adopted_at IS NOT NULL THEN
			e := e || api_fault('/id', 'The plan was adopted: its '
			    'id can no longer change (its title can).');
		ELSIF p_body->>'id' = 'current' THEN
			e := e || api_fault('/id', '"current" names the newest '
			    'adopted plan: choose another id.');
		ELSIF EXISTS (SELECT 1 FROM plans WHERE slug = p_body->>'id')
		    THEN
			e := e || api_fault('/id', 'A plan has this id.');
		END IF;
	END IF;

	v_status := CASE WHEN p_body ? 'status' THEN p_body->>'status'
	    ELSE COALESCE(p.status, 'draft') END;
	v_adopted := CASE WHEN p_body ? 'adopted_on' THEN
	    p_body->>'adopted_on' ELSE p.adopted_on::text END;
	IF v_status = 'draft' AND p.first_adopted_at IS NOT NULL THEN
		e := e || api_fault('/status', 'The plan was adopted: it can '
		    'be archived, not made a draft again.');
	END IF;
	IF v_status = 'adopted' AND v_adopted IS NULL THEN
		e := e || api_fault('/adopted_on',
		    'Required when the plan is adopted.');
	END IF;
	RETURN e;
END
$$;

-- The plan's document and fields, as served and as recorded.
CREATE FUNCTION api_plan_result(p_id bigint, p_status integer,
    p_action text, p_before json)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	d	record;
BEGIN
	SELECT * INTO d FROM api_plan WHERE id = p_id;
	PERFORM api_audit('plan', d.path, p_id, p_action, p_before, d.fields);
	RETURN QUERY SELECT p_status, d.document::text,
	    CASE WHEN p_status = 201 THEN d.path END, api_etag(d.document);
END
$$;

CREATE FUNCTION api_plan_create(p_hash bytea, p_request text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
	e	jsonb;
	v_slug	text;
	v_id	bigint;
BEGIN
	a := api_actor(p_hash, p_request);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	-- New plans one at a time: the derived id is then free.
	PERFORM pg_advisory_xact_lock(hashtext('civic plans'));
	e := api_plan_faults(p_body, NULL::plans);
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;

	v_slug := COALESCE(p_body->>'id', api_free_slug(api_slugify(
	    p_body->>'title'), ARRAY(SELECT slug::text FROM plans) ||
	    'current'::text));
	INSERT INTO plans (slug, city, name, title, purpose_statement,
	    mission, status, adopted_on, period_start, period_end,
	    update_period_start, update_period_end)
	VALUES (v_slug, p_body->>'city', p_body->>'name', p_body->>'title',
	    COALESCE(p_body->>'purpose_statement', ''),
	    COALESCE(p_body->>'mission', ''),
	    COALESCE(p_body->>'status', 'draft'),
	    (p_body->>'adopted_on')::date,
	    (p_body#>>'{period,start}')::integer,
	    (p_body#>>'{period,end}')::integer,
	    (p_body#>>'{update_period,start}')::integer,
	    (p_body#>>'{update_period,end}')::integer)
	RETURNING id INTO v_id;

	RETURN QUERY SELECT * FROM api_plan_result(v_id, 201, 'create', NULL);
END
$$;

/*
 * The start of every write to plan p_plan: the admin behind p_hash (whom
 * the change is recorded under) and the plan, locked, in p; or the
 * problem (401, 403, 404) in status and body.
 */
CREATE FUNCTION api_plan_write(p_hash bytea, p_request text, p_plan text,
    OUT p plans, OUT status integer, OUT body text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
BEGIN
	a := api_actor(p_hash, p_request);
	IF a.status IS NOT NULL THEN
		status := a.status;
		body := a.body;
		RETURN;
	END IF;
	SELECT * INTO p FROM plans x WHERE x.slug = p_plan FOR UPDATE;
	IF p.id IS NULL THEN
		status := 404;
		body := api_no_plan(p_plan);
	END IF;
END
$$;

CREATE FUNCTION api_plan_update(p_hash bytea, p_request text, p_plan text,
    p_if_match text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	w	record;
	p	plans;
	cur	record;
	e	jsonb;
BEGIN
	w := api_plan_write(p_hash, p_request, p_plan);
	IF w.status IS NOT NULL THEN
		RETURN QUERY SELECT w.status, w.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	p := w.p;
	IF p_body ? 'id' THEN
		-- Ids change one at a time, as plans are made.
		PERFORM pg_advisory_xact_lock(hashtext('civic plans'));
	END IF;
	SELECT * INTO cur FROM api_plan WHERE id = p.id;
	IF NOT api_if_match(p_if_match, api_etag(cur.document)) THEN
		RETURN QUERY SELECT * FROM api_precondition_failed(
		    format('Plan %L', p_plan), api_etag(cur.document));
		RETURN;
	END IF;
	e := api_plan_faults(p_body, p);
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;

	IF p_body <> '{}' THEN
		UPDATE plans SET
		    slug = COALESCE(p_body->>'id', slug),
		    city = COALESCE(p_body->>'city', city),
		    name = COALESCE(p_body->>'name', name),
		    title = COALESCE(p_body->>'title', title),
		    purpose_statement = COALESCE(p_body->>'purpose_statement',
			purpose_statement),
		    mission = COALESCE(p_body->>'mission', mission),
		    status = COALESCE(p_body->>'status', status),
		    adopted_on = CASE WHEN p_body ? 'adopted_on' THEN
			(p_body->>'adopted_on')::date ELSE adopted_on END,
		    period_start = CASE WHEN p_body ? 'period' THEN
			(p_body#>>'{period,start}')::integer
			ELSE period_start END,
		    period_end = CASE WHEN p_body ? 'period' THEN
			(p_body#>>'{period,end}')::integer ELSE period_end END,
		    update_period_start = CASE WHEN p_body ? 'update_period'
			THEN (p_body#>>'{update_period,start}')::integer
			ELSE update_period_start END,
		    update_period_end = CASE WHEN p_body ? 'update_period'
			THEN (p_body#>>'{update_period,end}')::integer
			ELSE update_period_end END,
		    updated_at = now()
		WHERE id = p.id;
	END IF;

	RETURN QUERY SELECT * FROM api_plan_result(p.id, 200, 'update',
	    cur.fields);
END
$$;

CREATE FUNCTION api_goal_faults(p_body jsonb, p plans, g goals)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb;
	n	integer;
BEGIN
	IF jsonb_typeof(p_body) IS DISTINCT FROM 'object' THEN
		RETURN api_fault('', 'The body must be an object.');
	END IF;
	SELECT count(*) INTO n FROM goals WHERE plan_id = p.id;
	e := api_unknown_members(p_body, '{id,title,statement,position,status}')
	    || api_slug_fault(p_body, 'id')
	    || api_text_fault(p_body, 'title', 1, 200, g.id IS NULL)
	    || api_text_fault(p_body, 'statement', 0, 2000, false)
	    || api_int_fault(p_body, 'position', 1,
		CASE WHEN g.id IS NULL THEN n + 1 ELSE n END)
	    || api_enum_fault(p_body, 'status', '{active,archived}');
	IF jsonb_typeof(p_body->'id') = 'string' AND
	    (p_body->>'id') IS DISTINCT FROM g.slug THEN
		IF g.id IS NOT NULL AND p.first_adopted_at IS NOT NULL THEN
			e := e || api_id_fault('id', 'goals');
		ELSIF EXISTS (SELECT 1 FROM goals WHERE plan_id = p.id AND
		    slug = p_body->>'id') THEN
			e := e || api_fault('/id',
			    'A goal of this plan has this id.');
		END IF;
	END IF;
	RETURN e;
END
$$;

-- A goal's or an objective's path and item, as served.
CREATE FUNCTION api_item_doc(p_resource text, p_id bigint, OUT path text,
    OUT body json)
LANGUAGE plpgsql STABLE AS $$
BEGIN
	IF p_resource = 'goal' THEN
		SELECT g.path, g.body INTO path, body FROM api_goal g
		WHERE g.id = p_id;
	ELSE
		SELECT o.path, o.body INTO path, body FROM api_objective o
		WHERE o.id = p_id;
	END IF;
END
$$;

-- The answer to a write of a goal or an objective, recorded.
CREATE FUNCTION api_item_result(p_resource text, p_plan bigint, p_id bigint,
    p_status integer, p_action text, p_before json)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	d	record;
BEGIN
	d := api_item_doc(p_resource, p_id);
	PERFORM api_audit(p_resource, d.path, p_plan, p_action, p_before,
	    d.body);
	RETURN QUERY SELECT p_status, d.body::text,
	    CASE WHEN p_status = 201 THEN d.path END, api_etag(d.body);
END
$$;

CREATE FUNCTION api_goal_create(p_hash bytea, p_request text, p_plan text,
    p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	w	record;
	p	plans;
	e	jsonb;
	v_id	bigint;
BEGIN
	w := api_plan_write(p_hash, p_request, p_plan);
	IF w.status IS NOT NULL THEN
		RETURN QUERY SELECT w.status, w.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	p := w.p;
	e := api_goal_faults(p_body, p, NULL::goals);
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;

	INSERT INTO goals (plan_id, slug, position, title, statement, status)
	VALUES (p.id, COALESCE(p_body->>'id', api_free_slug(api_slugify(
	    p_body->>'title'), ARRAY(SELECT slug::text FROM goals
	    WHERE plan_id = p.id))),
	    (SELECT COALESCE(max(position), 0) + 1 FROM goals
	    WHERE plan_id = p.id),
	    p_body->>'title', COALESCE(p_body->>'statement', ''),
	    COALESCE(p_body->>'status', 'active'))
	RETURNING id INTO v_id;
	IF p_body ? 'position' THEN
		PERFORM api_place('goals', p.id, v_id,
		    (p_body->>'position')::integer);
	END IF;

	RETURN QUERY SELECT * FROM api_item_result('goal', p.id, v_id, 201, 'create',
	    NULL);
END
$$;

-- p_body NULL: delete the goal.
CREATE FUNCTION api_goal_write(p_hash bytea, p_request text, p_plan text,
    p_goal text, p_if_match text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	w	record;
	p	plans;
	g	goals;
	cur	record;
	e	jsonb;
	refs	jsonb;
BEGIN
	w := api_plan_write(p_hash, p_request, p_plan);
	IF w.status IS NOT NULL THEN
		RETURN QUERY SELECT w.status, w.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	p := w.p;
	SELECT * INTO g FROM goals WHERE plan_id = p.id AND slug = p_goal;
	IF NOT FOUND THEN
		RETURN QUERY SELECT * FROM api_no_item('goal', p_goal, p_plan);
		RETURN;
	END IF;
	cur := api_item_doc('goal', g.id);
	IF NOT api_if_match(p_if_match, api_etag(cur.body)) THEN
		RETURN QUERY SELECT * FROM api_precondition_failed(
		    format('Goal %L', p_goal), api_etag(cur.body));
		RETURN;
	END IF;

	IF p_body IS NULL THEN
		SELECT jsonb_agg(jsonb_build_object('type', 'objective',
		    'path', ao.path) ORDER BY ao.position) INTO refs
		FROM api_objective ao WHERE ao.goal_id = g.id;
		IF refs IS NOT NULL THEN
			RETURN QUERY SELECT 409, api_problem('in-use',
			    format('Goal %L has %s objective(s): move '
			    'or delete them first, or archive the goal.',
			    p_goal, jsonb_array_length(refs)),
			    jsonb_build_object('referenced_by', refs)),
			    NULL::text, NULL::text;
			RETURN;
		END IF;
		DELETE FROM goals WHERE id = g.id;
		PERFORM api_place('goals', p.id, NULL, NULL);
		PERFORM api_audit('goal', cur.path, p.id, 'delete', cur.body,
		    NULL);
		RETURN QUERY SELECT 204, NULL::text, NULL::text, NULL::text;
		RETURN;
	END IF;

	e := api_goal_faults(p_body, p, g);
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;
	UPDATE goals SET
	    slug = COALESCE(p_body->>'id', slug),
	    title = COALESCE(p_body->>'title', title),
	    statement = COALESCE(p_body->>'statement', statement),
	    status = COALESCE(p_body->>'status', status)
	WHERE id = g.id AND (p_body ?| '{id,title,statement,status}');
	IF p_body ? 'position' THEN
		PERFORM api_place('goals', p.id, g.id,
		    (p_body->>'position')::integer);
	END IF;

	RETURN QUERY SELECT * FROM api_item_result('goal', p.id, g.id, 200, 'update',
	    cur.body);
END
$$;

------------------------------------------------------------------------
-- Objectives

CREATE FUNCTION api_objective_faults(p_body jsonb, p plans, o objectives)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb;
	n	integer;
BEGIN
	IF jsonb_typeof(p_body) IS DISTINCT FROM 'object' THEN
		RETURN api_fault('', 'The body must be an object.');
	END IF;
	SELECT count(*) INTO n FROM objectives WHERE plan_id = p.id;
	e := api_unknown_members(p_body, '{id,goal,title,position,status}')
	    || api_slug_fault(p_body, 'id')
	    || api_text_fault(p_body, 'title', 1, 300, o.id IS NULL)
	    || api_int_fault(p_body, 'position', 1,
		CASE WHEN o.id IS NULL THEN n + 1 ELSE n END)
	    || api_enum_fault(p_body, 'status', '{active,archived}');
	IF o.id IS NULL AND NOT p_body ? 'goal' THEN
		e := e || api_fault('/goal', 'Required: the id of a goal of '
		    'this plan.');
	ELSIF p_body ? 'goal' AND (jsonb_typeof(p_body->'goal') <> 'string' OR
	    NOT EXISTS (SELECT 1 FROM goals WHERE plan_id = p.id AND
	    slug = p_body->>'goal')) THEN
		e := e || api_fault('/goal', format('No goal %s in this plan.',
		    p_body->'goal'));
	END IF;
	IF jsonb_typeof(p_body->'id') = 'string' AND
	    (p_body->>'id') IS DISTINCT FROM o.slug THEN
		IF o.id IS NOT NULL AND p.first_adopted_at IS NOT NULL THEN
			e := e || api_id_fault('id', 'objectives');
		ELSIF EXISTS (SELECT 1 FROM objectives WHERE plan_id = p.id AND
		    slug = p_body->>'id') THEN
			e := e || api_fault('/id',
			    'An objective of this plan has this id.');
		END IF;
	END IF;
	RETURN e;
END
$$;

CREATE FUNCTION api_objective_create(p_hash bytea, p_request text,
    p_plan text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	w	record;
	p	plans;
	e	jsonb;
	v_goal	bigint;
	v_id	bigint;
BEGIN
	w := api_plan_write(p_hash, p_request, p_plan);
	IF w.status IS NOT NULL THEN
		RETURN QUERY SELECT w.status, w.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	p := w.p;
	e := api_objective_faults(p_body, p, NULL::objectives);
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;

	SELECT id INTO v_goal FROM goals WHERE plan_id = p.id AND
	    slug = p_body->>'goal';
	INSERT INTO objectives (plan_id, goal_id, slug, position, title,
	    status)
	VALUES (p.id, v_goal, COALESCE(p_body->>'id', api_free_slug(
	    api_slugify(p_body->>'title'), ARRAY(SELECT slug::text
	    FROM objectives WHERE plan_id = p.id))),
	    (SELECT COALESCE(max(position), 0) + 1 FROM objectives
	    WHERE plan_id = p.id),
	    p_body->>'title', COALESCE(p_body->>'status', 'active'))
	RETURNING id INTO v_id;
	PERFORM api_place('objectives', p.id, v_id, COALESCE(
	    (p_body->>'position')::integer, api_after_goal(p.id, v_goal,
	    v_id)));

	RETURN QUERY SELECT * FROM api_item_result('objective', p.id, v_id, 201,
	    'create', NULL);
END
$$;

/*
 * What refers to objective o: priorities, responses that chose it, and
 * open surveys of its plan that ask for objectives (a response may yet
 * choose it).  The plan's surveys are locked first, so that submissions
 * in flight are counted and new ones wait.
 */
CREATE FUNCTION api_objective_refs(o objectives) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	refs	jsonb;
BEGIN
	PERFORM 1 FROM surveys WHERE plan_id = o.plan_id FOR UPDATE;

	SELECT COALESCE(jsonb_agg(x.r ORDER BY x.k), '[]') INTO refs FROM (
		SELECT 1 AS k, jsonb_build_object('type', 'priorities',
		    'path', '/v1/plans/' || p.slug || '/priorities/' || pr.year,
		    'rank', pr.rank) AS r
		FROM priorities pr JOIN plans p ON p.id = pr.plan_id
		WHERE pr.objective_id = o.id
		UNION ALL
		SELECT 2, jsonb_build_object('type', 'responses',
		    'survey', '/v1/surveys/' || s.slug, 'count', c.n)
		FROM (SELECT r.survey_id, count(DISTINCT r.id) AS n
		    FROM surveys s2
		    JOIN survey_questions q ON q.survey_id = s2.id
			AND q.type = 'objectives'
		    JOIN responses r ON r.survey_id = s2.id
		    JOIN response_answers ra ON ra.response_id = r.id
			AND ra.question = q.qid AND ra.value = o.slug
		    WHERE s2.plan_id = o.plan_id
		    GROUP BY r.survey_id) AS c
		JOIN surveys s ON s.id = c.survey_id
		UNION ALL
		SELECT 3, jsonb_build_object('type', 'open-survey',
		    'survey', '/v1/surveys/' || s.slug)
		FROM surveys s WHERE s.plan_id = o.plan_id
		AND s.status = 'open' AND EXISTS (SELECT 1
		    FROM survey_questions q WHERE q.survey_id = s.id
		    AND q.type = 'objectives')
	) AS x;
	RETURN refs;
END
$$;

-- p_body NULL: delete the objective.
CREATE FUNCTION api_objective_write(p_hash bytea, p_request text,
    p_plan text, p_objective text, p_if_match text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	w	record;
	p	plans;
	o	objectives;
	cur	record;
	e	jsonb;
	refs	jsonb;
	v_goal	bigint;
BEGIN
	w := api_plan_write(p_hash, p_request, p_plan);
	IF w.status IS NOT NULL THEN
		RETURN QUERY SELECT w.status, w.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	p := w.p;
	SELECT * INTO o FROM objectives WHERE plan_id = p.id AND
	    slug = p_objective;
	IF NOT FOUND THEN
		RETURN QUERY SELECT * FROM api_no_item('objective', p_objective,
		    p_plan);
		RETURN;
	END IF;
	cur := api_item_doc('objective', o.id);
	IF NOT api_if_match(p_if_match, api_etag(cur.body)) THEN
		RETURN QUERY SELECT * FROM api_precondition_failed(
		    format('Objective %L', p_objective), api_etag(cur.body));
		RETURN;
	END IF;

	IF p_body IS NULL THEN
		refs := api_objective_refs(o);
		IF jsonb_array_length(refs) > 0 THEN
			RETURN QUERY SELECT 409, api_problem('in-use',
			    format('Objective %L is in use (%s): '
			    'archive it instead, with PATCH {"status": '
			    '"archived"}.', p_objective, (SELECT string_agg(
			    r->>'type' || ' ' || COALESCE(r->>'path',
			    r->>'survey'), ', ') FROM jsonb_array_elements(refs)
			    r)), jsonb_build_object('referenced_by', refs)),
			    NULL::text, NULL::text;
			RETURN;
		END IF;
		DELETE FROM objectives WHERE id = o.id;
		PERFORM api_place('objectives', p.id, NULL, NULL);
		PERFORM api_audit('objective', cur.path, p.id, 'delete',
		    cur.body, NULL);
		RETURN QUERY SELECT 204, NULL::text, NULL::text, NULL::text;
		RETURN;
	END IF;

	e := api_objective_faults(p_body, p, o);
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;
	-- Answers name objectives by id: one they name keeps it.
	IF (p_body->>'id') <> o.slug THEN
		SELECT jsonb_agg(r) INTO refs
		FROM jsonb_array_elements(api_objective_refs(o)) AS r
		WHERE r->>'type' <> 'priorities';
		IF refs IS NOT NULL THEN
			RETURN QUERY SELECT 409, api_problem('in-use',
			    format('Objective %L is named by survey '
			    'responses, or may be by an open survey: its id '
			    'cannot change (its title can).', p_objective),
			    jsonb_build_object('referenced_by', refs)),
			    NULL::text, NULL::text;
			RETURN;
		END IF;
	END IF;
	SELECT id INTO v_goal FROM goals WHERE plan_id = p.id AND
	    slug = p_body->>'goal';
	UPDATE objectives SET
	    slug = COALESCE(p_body->>'id', slug),
	    goal_id = COALESCE(v_goal, goal_id),
	    title = COALESCE(p_body->>'title', title),
	    status = COALESCE(p_body->>'status', status)
	WHERE id = o.id AND (p_body ?| '{id,goal,title,status}');
	IF p_body ? 'position' THEN
		PERFORM api_place('objectives', p.id, o.id,
		    (p_body->>'position')::integer);
	ELSIF v_goal IS NOT NULL AND v_goal <> o.goal_id THEN
		PERFORM api_place('objectives', p.id, o.id,
		    api_after_goal(p.id, v_goal, o.id));
	END IF;

	RETURN QUERY SELECT * FROM api_item_result('objective', p.id, o.id, 200,
	    'update', cur.body);
END
$$;

------------------------------------------------------------------------
-- A year's priorities

CREATE FUNCTION api_priorities_faults(p_body jsonb, p plans) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	e	jsonb;
	v	jsonb;
	i	integer := 0;
	seen	text[] := '{}';
	st	text;
BEGIN
	IF jsonb_typeof(p_body) IS DISTINCT FROM 'object' THEN
		RETURN api_fault('', 'The body must be an object.');
	END IF;
	e := api_unknown_members(p_body, '{decided_on,decided_by,objectives}')
	    || api_date_fault(p_body, 'decided_on', true, false)
	    || api_text_fault(p_body, 'decided_by', 1, 200, true);
	IF jsonb_typeof(p_body->'objectives') IS DISTINCT FROM 'array' OR
	    jsonb_array_length(p_body->'objectives') NOT BETWEEN 1 AND 50 THEN
		RETURN e || api_fault('/objectives', 'Required: the ids of 1 '
		    'to 50 objectives of this plan, highest priority first.');
	END IF;
	FOR v IN SELECT * FROM jsonb_array_elements(p_body->'objectives') LOOP
		IF jsonb_typeof(v) <> 'string' THEN
			e := e || api_fault('/objectives/' || i,
			    'Must be the id of an objective.');
		ELSE
			SELECT status INTO st FROM objectives
			WHERE plan_id = p.id AND slug = v #>> '{}';
			IF NOT FOUND THEN
				e := e || api_fault('/objectives/' || i,
				    format('No objective %s in this plan.', v));
			ELSIF st <> 'active' THEN
				e := e || api_fault('/objectives/' || i,
				    format('Objective %s is archived.', v));
			ELSIF (v #>> '{}') = ANY (seen) THEN
				e := e || api_fault('/objectives/' || i,
				    format('Objective %s is listed twice.', v));
			END IF;
			seen := seen || (v #>> '{}');
		END IF;
		i := i + 1;
	END LOOP;
	RETURN e;
END
$$;

-- Replace the ranked list of p_year (p_if_none_match: only if it has none).
CREATE FUNCTION api_priorities_put(p_hash bytea, p_request text, p_plan text,
    p_year integer, p_if_match text, p_if_none_match boolean, p_body jsonb)
RETURNS TABLE (status integer, body text, location text, etag text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	w	record;
	p	plans;
	cur	record;
	d	record;
	e	jsonb;
	v_new	boolean;
BEGIN
	w := api_plan_write(p_hash, p_request, p_plan);
	IF w.status IS NOT NULL THEN
		RETURN QUERY SELECT w.status, w.body, NULL::text, NULL::text;
		RETURN;
	END IF;
	p := w.p;
	SELECT * INTO cur FROM api_priority_set aps WHERE aps.plan_id = p.id
	    AND aps.year = p_year;
	v_new := cur.path IS NULL;
	IF (p_if_none_match AND NOT v_new) OR NOT api_if_match(p_if_match,
	    api_etag(cur.body)) THEN
		RETURN QUERY SELECT * FROM api_precondition_failed(
		    format('The priorities of %s', p_year), api_etag(cur.body));
		RETURN;
	END IF;
	e := api_priorities_faults(p_body, p);
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT * FROM api_invalid_result(e);
		RETURN;
	END IF;

	INSERT INTO priority_sets AS s (plan_id, year, decided_on, decided_by)
	VALUES (p.id, p_year, (p_body->>'decided_on')::date,
	    p_body->>'decided_by')
	ON CONFLICT (plan_id, year) DO UPDATE SET
	    decided_on = EXCLUDED.decided_on,
	    decided_by = EXCLUDED.decided_by;
	DELETE FROM priorities WHERE plan_id = p.id AND year = p_year;
	INSERT INTO priorities (plan_id, year, rank, objective_id)
	SELECT p.id, p_year, x.n, o.id
	FROM jsonb_array_elements_text(p_body->'objectives')
	    WITH ORDINALITY AS x (slug, n)
	JOIN objectives o ON o.plan_id = p.id AND o.slug = x.slug;

	SELECT * INTO d FROM api_priority_set aps WHERE aps.plan_id = p.id
	    AND aps.year = p_year;
	PERFORM api_audit('priorities', d.path, p.id, CASE WHEN v_new THEN
	    'create' ELSE 'update' END, cur.body, d.body);
	RETURN QUERY SELECT CASE WHEN v_new THEN 201 ELSE 200 END,
	    d.body::text, CASE WHEN v_new THEN d.path END, api_etag(d.body);
END
$$;

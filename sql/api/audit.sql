CREATE FUNCTION audit_log_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the audit log is append-only'
	    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_fixed BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_fixed();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_fixed();

/*
 * The admin behind p_hash (as api_admin), who the changes of this
 * transaction are then recorded under, with the request's id.
 */
CREATE FUNCTION api_actor(p_hash bytea, p_request text, OUT key_id bigint,
    OUT status integer, OUT body text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
BEGIN
	a := api_admin(p_hash);
	key_id := a.key_id;
	status := a.status;
	body := a.body;
	IF a.status IS NULL THEN
		PERFORM set_config('civic.key_id', a.key_id::text, true),
		    set_config('civic.request_id', COALESCE(p_request, ''),
		    true);
	END IF;
END
$$;

-- Record one change as the API shows it; nothing when nothing changed.
CREATE FUNCTION api_audit(p_resource text, p_path text, p_plan bigint,
    p_action text, p_before json, p_after json)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF p_before::jsonb IS NOT DISTINCT FROM p_after::jsonb THEN
		RETURN;
	END IF;
	INSERT INTO audit_log (source, key_id, request_id, plan_id, resource,
	    path, action, before, after)
	VALUES ('api', NULLIF(current_setting('civic.key_id', true),
	    '')::bigint, NULLIF(current_setting('civic.request_id', true), ''),
	    p_plan, p_resource, p_path, p_action, p_before, p_after);
END
$$;

-- The API path of a row of table p_table, when it has one.  PL/pgSQL, so
-- that each query is planned once per connection, not at every row.
CREATE FUNCTION audit_path(p_table text, r jsonb) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_plan	text;
BEGIN
	IF p_table = 'plans' THEN
		RETURN '/v1/plans/' || (r->>'slug');
	ELSIF p_table IN ('goals', 'objectives', 'priority_sets',
	    'priorities') THEN
		SELECT '/v1/plans/' || slug INTO v_plan FROM plans
		WHERE id = (r->>'plan_id')::bigint;
		RETURN v_plan || CASE p_table
		    WHEN 'goals' THEN '/goals/' || (r->>'slug')
		    WHEN 'objectives' THEN '/objectives/' || (r->>'slug')
		    ELSE '/priorities/' || (r->>'year') END;
	ELSIF p_table = 'surveys' THEN
		RETURN '/v1/surveys/' || (r->>'slug');
	ELSIF p_table IN ('survey_questions', 'survey_partners') THEN
		RETURN (SELECT '/v1/surveys/' || slug FROM surveys
		    WHERE id = (r->>'survey_id')::bigint);
	ELSIF p_table = 'api_keys' THEN
		RETURN '/v1/keys/' || (r->>'public_id');
	ELSIF p_table = 'api_key_surveys' THEN
		RETURN (SELECT '/v1/keys/' || public_id FROM api_keys
		    WHERE id = (r->>'key_id')::bigint);
	ELSIF p_table = 'responses' THEN
		RETURN (SELECT '/v1/surveys/' || slug || '/responses/' ||
		    (r->>'public_id') FROM surveys
		    WHERE id = (r->>'survey_id')::bigint);
	END IF;
	RETURN NULL;
END
$$;

/*
 * Deferred, at commit: record a changed row, unless the transaction is an
 * API write (api_actor) that recorded its changes.  TG_ARGV[0] is the resource.
 * Secrets' hashes are never recorded; a row whose only change is a
 * timestamp of bookkeeping is not a change.
 */
CREATE FUNCTION audit_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	o	jsonb;
	n	jsonb;
	r	jsonb;
BEGIN
	IF current_setting('civic.key_id', true) <> '' AND EXISTS (SELECT 1
	    FROM audit_log WHERE txid = pg_current_xact_id()
	    AND source = 'api') THEN
		RETURN NULL;
	END IF;
	IF TG_OP <> 'INSERT' THEN
		o := to_jsonb(OLD) - '{secret_hash,updated_at,last_used_at}'::text[];
	END IF;
	IF TG_OP <> 'DELETE' THEN
		n := to_jsonb(NEW) - '{secret_hash,updated_at,last_used_at}'::text[];
	END IF;
	IF o IS NOT DISTINCT FROM n THEN
		RETURN NULL;
	END IF;
	r := COALESCE(n, o);

	INSERT INTO audit_log (source, key_id, request_id, plan_id, resource,
	    path, action, before, after)
	VALUES ('row', NULLIF(current_setting('civic.key_id', true),
	    '')::bigint, NULLIF(current_setting('civic.request_id', true), ''),
	    CASE WHEN TG_TABLE_NAME = 'plans' THEN (r->>'id')::bigint
		ELSE (r->>'plan_id')::bigint END,
	    TG_ARGV[0], audit_path(TG_TABLE_NAME, r),
	    CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update'
		ELSE 'delete' END,
	    o::json, n::json);
	RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER plans_audit AFTER INSERT OR UPDATE OR DELETE
	ON plans DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	EXECUTE FUNCTION audit_row('plan');

CREATE CONSTRAINT TRIGGER goals_audit AFTER INSERT OR UPDATE OR DELETE
	ON goals DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	EXECUTE FUNCTION audit_row('goal');

CREATE CONSTRAINT TRIGGER objectives_audit AFTER INSERT OR UPDATE OR DELETE
	ON objectives DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	EXECUTE FUNCTION audit_row('objective');

CREATE CONSTRAINT TRIGGER priority_sets_audit AFTER INSERT OR UPDATE OR DELETE
	ON priority_sets DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	EXECUTE FUNCTION audit_row('priorities');

CREATE CONSTRAINT TRIGGER priorities_audit AFTER INSERT OR UPDATE OR DELETE
	ON priorities DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	EXECUTE FUNCTION audit_row('priorities');

CREATE CONSTRAINT TRIGGER surveys_audit AFTER INSERT OR UPDATE OR DELETE
	ON surveys DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	EXECUTE FUNCTION audit_row('survey');

CREATE CONSTRAINT TRIGGER survey_questions_audit AFTER INSERT OR UPDATE OR
	DELETE ON survey_questions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	EXECUTE FUNCTION audit_row('survey');

CREATE CONSTRAINT TRIGGER survey_partners_audit AFTER INSERT OR UPDATE OR
	DELETE ON survey_partners DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	EXECUTE FUNCTION audit_row('survey');

CREATE CONSTRAINT TRIGGER api_key_surveys_audit AFTER INSERT OR UPDATE OR
	DELETE ON api_key_surveys DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	EXECUTE FUNCTION audit_row('key');

CREATE CONSTRAINT TRIGGER api_keys_audit AFTER INSERT OR DELETE
	ON api_keys DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	EXECUTE FUNCTION audit_row('key');

-- Not for last_used_at alone: every authenticated request may touch it.
CREATE CONSTRAINT TRIGGER api_keys_audit_update AFTER UPDATE
	ON api_keys DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM
	    (to_jsonb(NEW) - 'last_used_at'))
	EXECUTE FUNCTION audit_row('key');

-- Responses are recorded when voided or deleted, not as they arrive.
CREATE CONSTRAINT TRIGGER responses_audit_update AFTER UPDATE
	ON responses DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	WHEN (OLD.voided_at IS DISTINCT FROM NEW.voided_at OR
	    OLD.void_reason IS DISTINCT FROM NEW.void_reason)
	EXECUTE FUNCTION audit_row('response');

-- No API call deletes responses, so a DELETE (a clean-up in psql, of
-- thousands of rows maybe) is recorded at once, in one set-based INSERT.
CREATE FUNCTION audit_responses_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO audit_log (source, key_id, request_id, plan_id, resource,
	    path, action, before, after)
	SELECT 'row', NULLIF(current_setting('civic.key_id', true),
	    '')::bigint, NULLIF(current_setting('civic.request_id', true), ''),
	    s.plan_id, 'response', '/v1/surveys/' || s.slug || '/responses/' ||
	    o.public_id, 'delete', (to_jsonb(o) - 'body_hash')::json, NULL
	FROM gone o LEFT JOIN surveys s ON s.id = o.survey_id
	ORDER BY o.id;
	RETURN NULL;
END
$$;

CREATE TRIGGER responses_audit_delete AFTER DELETE ON responses
	REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
	EXECUTE FUNCTION audit_responses_deleted();

-- TRUNCATE fires no row trigger: it is refused on the recorded tables.
CREATE FUNCTION audit_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'TRUNCATE of % would go unrecorded: DELETE instead',
	    TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;

DO $$
DECLARE
	t	text;
BEGIN
	FOREACH t IN ARRAY '{plans,goals,objectives,priority_sets,priorities,surveys,survey_questions,survey_partners,api_keys,api_key_surveys,responses}'::text[]
	LOOP
		EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR '
		    'EACH STATEMENT EXECUTE FUNCTION audit_no_truncate()',
		    t || '_no_truncate', t);
	END LOOP;
END
$$;

-- An entry as the API shows it; public: without who made it.
CREATE FUNCTION api_audit_json(a audit_log, p_public boolean) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN p_public THEN json_build_object(
	    'id', a.id,
	    'at', to_char(a.at AT TIME ZONE 'UTC',
		'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
	    'resource', a.resource,
	    'path', a.path,
	    'plan', (SELECT slug FROM plans WHERE id = a.plan_id),
	    'action', a.action,
	    'before', a.before,
	    'after', a.after)
	ELSE json_build_object(
	    'id', a.id,
	    'at', to_char(a.at AT TIME ZONE 'UTC',
		'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
	    'actor', CASE WHEN a.key_id IS NOT NULL THEN (SELECT
		json_build_object('type', 'key', 'key', k.public_id,
		'name', k.name) FROM api_keys k WHERE k.id = a.key_id)
		ELSE json_build_object('type', 'database', 'user', a.db_user)
		END,
	    'request_id', a.request_id,
	    'resource', a.resource,
	    'path', a.path,
	    'plan', (SELECT slug FROM plans WHERE id = a.plan_id),
	    'action', a.action,
	    'before', a.before,
	    'after', a.after) END
$$;

/*
 * A page of entries, newest first: of one plan (p_plan, public) or all
 * (admin).  Only entries older than every running transaction, so that a
 * page never skips one that commits later.
 */
CREATE FUNCTION audit_page(p_plan bigint, p_resource text,
    p_since timestamptz, p_until timestamptz, p_limit integer,
    p_after_tx bigint, p_after_id bigint)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
	horizon	xid8 := pg_snapshot_xmin(pg_current_snapshot());
	v_after	xid8 := p_after_tx::text::xid8;
	v	text;
BEGIN
	WITH page AS (
		SELECT a FROM audit_log a
		WHERE (p_plan IS NULL OR (a.plan_id = p_plan AND a.resource
		    IN ('plan', 'goal', 'objective', 'priorities', 'initiative',
		    'indicator', 'target', 'observation', 'override', 'update',
		    'import')))
		AND (p_resource IS NULL OR a.resource = p_resource)
		AND (p_since IS NULL OR a.at >= p_since)
		AND (p_until IS NULL OR a.at < p_until)
		AND a.txid < horizon
		AND (v_after IS NULL OR (a.txid, a.id) < (v_after, p_after_id))
		ORDER BY a.txid DESC, a.id DESC
		LIMIT p_limit + 1
	), numbered AS (
		SELECT a, row_number() OVER () AS n FROM page
	), shown AS (
		SELECT * FROM numbered WHERE n <= p_limit
	)
	SELECT json_build_object(
	    'items', COALESCE((SELECT json_agg(api_audit_json(s.a,
		p_plan IS NOT NULL) ORDER BY s.n) FROM shown s), '[]'::json),
	    'more', (SELECT count(*) FROM numbered) > p_limit,
	    'last', (SELECT json_build_array((s.a).txid::text::bigint,
		(s.a).id) FROM shown s ORDER BY s.n DESC LIMIT 1))::text
	INTO v;
	RETURN v;
END
$$;

CREATE FUNCTION api_audit_list(p_hash bytea, p_resource text,
    p_since timestamptz, p_until timestamptz, p_limit integer,
    p_after_tx bigint, p_after_id bigint)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
BEGIN
	a := api_admin(p_hash);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text;
		RETURN;
	END IF;
	RETURN QUERY SELECT 200, audit_page(NULL, p_resource, p_since,
	    p_until, p_limit, p_after_tx, p_after_id), NULL::text;
END
$$;

-- A plan's history, for anyone; a draft's for admins only (p_hash NULL:
-- no key was sent).
CREATE FUNCTION api_plan_history(p_hash bytea, p_plan text,
    p_since timestamptz, p_until timestamptz, p_limit integer,
    p_after_tx bigint, p_after_id bigint)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_role	text;
	p	plans;
BEGIN
	IF p_hash IS NOT NULL THEN
		SELECT k.role INTO v_role FROM api_key_use(p_hash) k;
		IF NOT FOUND THEN
			RETURN QUERY SELECT 401, api_unauthorized(), NULL::text;
			RETURN;
		END IF;
	END IF;
	SELECT * INTO p FROM plans WHERE slug = p_plan;
	IF NOT FOUND OR (p.status = 'draft' AND
	    v_role IS DISTINCT FROM 'admin') THEN
		RETURN QUERY SELECT 404, api_no_plan(p_plan), NULL::text;
		RETURN;
	END IF;
	RETURN QUERY SELECT 200, audit_page(p.id, NULL, p_since, p_until,
	    p_limit, p_after_tx, p_after_id), NULL::text;
END
$$;

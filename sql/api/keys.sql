-- The key behind a secret's hash, if it is live.  Records its use at most
-- once a minute, so that busy keys do not queue on their own row.
CREATE FUNCTION api_key_use(p_hash bytea)
RETURNS TABLE (key_id bigint, role text, public_id text, name text)
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY
	SELECT k.id, k.role, k.public_id, k.name FROM api_keys k
	WHERE k.secret_hash = p_hash AND k.revoked_at IS NULL;
	IF FOUND THEN
		UPDATE api_keys SET last_used_at = now()
		WHERE secret_hash = p_hash
		AND (last_used_at IS NULL
		    OR last_used_at < now() - interval '1 minute');
	END IF;
END
$$;

-- The admin behind p_hash, or the 401/403 problem.
CREATE FUNCTION api_admin(p_hash bytea, OUT key_id bigint, OUT status integer,
    OUT body text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	k	record;
BEGIN
	SELECT * INTO k FROM api_key_use(p_hash);
	IF NOT FOUND THEN
		status := 401;
		body := api_unauthorized();
	ELSIF k.role <> 'admin' THEN
		status := 403;
		body := api_problem('forbidden', 'This needs an admin key.');
	ELSE
		key_id := k.key_id;
	END IF;
END
$$;

------------------------------------------------------------------------
-- Keys

CREATE FUNCTION api_key_json(k api_keys) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
	    'id', k.public_id,
	    'name', k.name,
	    'role', k.role,
	    'prefix', k.prefix,
	    'surveys', COALESCE((SELECT json_agg(s.slug ORDER BY s.slug)
		FROM api_key_surveys ks JOIN surveys s ON s.id = ks.survey_id
		WHERE ks.key_id = k.id), '[]'::json),
	    'created_at', api_time(k.created_at),
	    'last_used_at', api_time(k.last_used_at),
	    'revoked_at', api_time(k.revoked_at),
	    'rate_limit', k.rate_limit)
$$;

-- A key's own rate limit in p_body, if present: null (the service's
-- default) or an integer from 1 to 10,000,000 requests per window.
CREATE FUNCTION api_key_limit_fault(p_body jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_body ? 'rate_limit' AND
	    jsonb_typeof(p_body->'rate_limit') <> 'null' AND
	    (NOT api_is_integer(p_body->'rate_limit') OR
	    (p_body->>'rate_limit')::numeric NOT BETWEEN 1 AND 10000000) THEN
	    api_fault('/rate_limit', 'Must be null (the default) or an integer '
	    'from 1 to 10000000 (requests per window).')
	ELSE '[]'::jsonb END
$$;

-- The live keys' own limits, for the workers (sql/schema/017): one row
-- with p_known's revision and no key when nothing changed since.
CREATE FUNCTION api_key_limits(p_known bigint)
RETURNS TABLE (revision bigint, secret_hash text, rate_limit integer)
LANGUAGE sql STABLE AS $$
	SELECT r.revision, encode(k.secret_hash, 'hex'), k.rate_limit
	FROM key_limits_revision r
	LEFT JOIN api_keys k ON r.revision <> p_known AND
	    k.revoked_at IS NULL
$$;

CREATE FUNCTION key_limits_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE key_limits_revision SET revision = revision + 1 WHERE id = 1;
	RETURN NULL;
END
$$;

-- Not for last_used_at: every authenticated request may touch it.
CREATE TRIGGER api_keys_limits_bump AFTER INSERT OR DELETE OR TRUNCATE OR
	UPDATE OF rate_limit, revoked_at, secret_hash
	ON api_keys FOR EACH STATEMENT EXECUTE FUNCTION key_limits_bump();

/*
 * Create a key.  The service made the secret and passes only what is
 * stored: its public id, its first characters and its SHA-256.
 */
CREATE FUNCTION api_keys_create(p_hash bytea, p_body jsonb, p_public_id text,
    p_prefix text, p_secret bytea)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
	e	jsonb := '[]';
	k	api_keys;
	v	jsonb;
BEGIN
	a := api_admin(p_hash);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text;
		RETURN;
	END IF;

	IF jsonb_typeof(p_body) <> 'object' THEN
		RETURN QUERY SELECT 422, api_invalid(api_fault('',
		    'The body must be an object.')), NULL::text;
		RETURN;
	END IF;
	e := e || api_unknown_members(p_body, '{name,role,surveys,rate_limit}');
	IF jsonb_typeof(p_body->'name') IS DISTINCT FROM 'string' OR
	    length(p_body->>'name') NOT BETWEEN 1 AND 100 THEN
		e := e || api_fault('/name', 'Required: 1 to 100 characters.');
	END IF;
	IF (p_body->>'role') IS NULL OR
	    (p_body->>'role') NOT IN ('admin', 'partner') THEN
		e := e || api_fault('/role', 'Required: admin or partner.');
	END IF;
	IF p_body ? 'surveys' THEN
		IF jsonb_typeof(p_body->'surveys') <> 'array' THEN
			e := e || api_fault('/surveys',
			    'Must be an array of survey ids.');
		ELSIF p_body->>'role' = 'admin' THEN
			e := e || api_fault('/surveys',
			    'Only partner keys are limited to surveys.');
		ELSIF jsonb_array_length(p_body->'surveys') > 100 THEN
			e := e || api_fault('/surveys', 'At most 100 survey ids.');
		ELSE
			FOR v IN SELECT * FROM jsonb_array_elements(
			    p_body->'surveys') LOOP
				IF jsonb_typeof(v) <> 'string' OR NOT EXISTS
				    (SELECT 1 FROM surveys
				    WHERE slug = v #>> '{}') THEN
					e := e || api_fault('/surveys',
					    format('No survey %s.', v));
				END IF;
			END LOOP;
		END IF;
	END IF;
	e := e || api_key_limit_fault(p_body);
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT 422, api_invalid(e), NULL::text;
		RETURN;
	END IF;

	INSERT INTO api_keys (public_id, name, role, prefix, secret_hash,
	    rate_limit)
	VALUES (p_public_id, p_body->>'name', p_body->>'role', p_prefix,
	    p_secret, (p_body->>'rate_limit')::integer)
	RETURNING * INTO k;
	INSERT INTO api_key_surveys (key_id, survey_id)
	SELECT DISTINCT k.id, s.id FROM surveys s
	WHERE s.slug IN (SELECT jsonb_array_elements_text(
	    COALESCE(p_body->'surveys', '[]')));

	RETURN QUERY SELECT 201, api_key_json(k)::text,
	    '/v1/keys/' || k.public_id;
END
$$;

-- A page of keys after p_after (the last id shown), oldest first.
CREATE FUNCTION api_keys_list(p_hash bytea, p_limit integer, p_after bigint)
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

	RETURN QUERY
	WITH page AS (
		SELECT k FROM api_keys k WHERE k.id > COALESCE(p_after, 0)
		ORDER BY k.id LIMIT p_limit + 1
	), numbered AS (
		SELECT k, row_number() OVER (ORDER BY (k).id) AS n FROM page
	)
	SELECT 200, json_build_object(
	    'items', COALESCE(json_agg(api_key_json(k) ORDER BY (k).id)
		FILTER (WHERE n <= p_limit), '[]'::json),
	    'more', count(*) > p_limit,
	    'last', json_build_array(max((k).id) FILTER (WHERE n <= p_limit)))
	    ::text, NULL::text
	FROM numbered;
END
$$;

CREATE FUNCTION api_keys_revoke(p_hash bytea, p_public_id text)
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

	UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
	WHERE public_id = p_public_id;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, api_problem('not-found',
		    format('No key %L.', p_public_id)), NULL::text;
		RETURN;
	END IF;
	RETURN QUERY SELECT 204, NULL::text, NULL::text;
END
$$;

------------------------------------------------------------------------
-- Reading and voiding responses

-- The caller's key and the survey, for reading; or the problem.
CREATE FUNCTION api_reader(p_hash bytea, p_survey text, OUT key_id bigint,
    OUT admin boolean, OUT survey_id bigint, OUT status integer,
    OUT body text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	k	record;
BEGIN
	SELECT * INTO k FROM api_key_use(p_hash);
	IF NOT FOUND THEN
		status := 401;
		body := api_unauthorized();
		RETURN;
	END IF;
	SELECT id INTO survey_id FROM surveys WHERE slug = p_survey;
	IF NOT FOUND THEN
		status := 404;
		body := api_no_survey(p_survey);
		RETURN;
	END IF;
	key_id := k.key_id;
	admin := k.role = 'admin';
END
$$;

CREATE FUNCTION api_key_post(p_hash bytea, p_request text, p_body jsonb,
    p_public_id text, p_prefix text, p_secret bytea)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
	r	record;
BEGIN
	a := api_actor(p_hash, p_request);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text;
		RETURN;
	END IF;
	SELECT * INTO r FROM api_keys_create(p_hash, p_body, p_public_id,
	    p_prefix, p_secret);
	IF r.status = 201 THEN
		PERFORM api_audit('key', r.location, NULL, 'create', NULL,
		    r.body::json);
	END IF;
	RETURN QUERY SELECT r.status, r.body, r.location;
END
$$;

CREATE FUNCTION api_key_revoke(p_hash bytea, p_request text,
    p_public_id text)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
	r	record;
	k	api_keys;
	v_before json;
BEGIN
	a := api_actor(p_hash, p_request);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text;
		RETURN;
	END IF;
	SELECT * INTO k FROM api_keys WHERE public_id = p_public_id
	    FOR UPDATE;
	v_before := CASE WHEN FOUND THEN api_key_json(k) END;
	SELECT * INTO r FROM api_keys_revoke(p_hash, p_public_id);
	IF r.status = 204 THEN
		SELECT * INTO k FROM api_keys WHERE public_id = p_public_id;
		PERFORM api_audit('key', '/v1/keys/' || p_public_id, NULL,
		    'update', v_before, api_key_json(k));
	END IF;
	RETURN QUERY SELECT r.status, r.body, r.location;
END
$$;

/*
 * Change a key: its name, its own rate limit (null: the default).  The
 * answer is the key as the list shows it.
 */
CREATE FUNCTION api_key_patch(p_hash bytea, p_request text,
    p_public_id text, p_body jsonb)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	a	record;
	e	jsonb := '[]';
	k	api_keys;
	v_before json;
BEGIN
	a := api_actor(p_hash, p_request);
	IF a.status IS NOT NULL THEN
		RETURN QUERY SELECT a.status, a.body, NULL::text;
		RETURN;
	END IF;
	SELECT * INTO k FROM api_keys WHERE public_id = p_public_id
	    FOR UPDATE;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 404, api_problem('not-found',
		    format('No key %L.', p_public_id)), NULL::text;
		RETURN;
	END IF;

	IF jsonb_typeof(p_body) <> 'object' THEN
		RETURN QUERY SELECT 422, api_invalid(api_fault('',
		    'The body must be an object.')), NULL::text;
		RETURN;
	END IF;
	e := e || api_unknown_members(p_body, '{name,rate_limit}');
	IF p_body ? 'name' AND (jsonb_typeof(p_body->'name') IS DISTINCT FROM
	    'string' OR length(p_body->>'name') NOT BETWEEN 1 AND 100) THEN
		e := e || api_fault('/name', '1 to 100 characters.');
	END IF;
	e := e || api_key_limit_fault(p_body);
	IF jsonb_array_length(e) > 0 THEN
		RETURN QUERY SELECT 422, api_invalid(e), NULL::text;
		RETURN;
	END IF;

	v_before := api_key_json(k);
	UPDATE api_keys SET
	    name = CASE WHEN p_body ? 'name' THEN p_body->>'name'
		ELSE name END,
	    rate_limit = CASE WHEN p_body ? 'rate_limit' THEN
		(p_body->>'rate_limit')::integer ELSE rate_limit END
	WHERE id = k.id
	RETURNING * INTO k;
	PERFORM api_audit('key', '/v1/keys/' || p_public_id, NULL, 'update',
	    v_before, api_key_json(k));
	RETURN QUERY SELECT 200, api_key_json(k)::text, NULL::text;
END
$$;

------------------------------------------------------------------------
-- Reads with a key: whether it is an admin's (who sees the drafts).

CREATE FUNCTION api_whoami(p_hash bytea)
RETURNS TABLE (status integer, body text, location text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_role	text;
BEGIN
	SELECT k.role INTO v_role FROM api_key_use(p_hash) k;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 401, api_unauthorized(), NULL::text;
		RETURN;
	END IF;
	RETURN QUERY SELECT 200, json_build_object('admin',
	    v_role = 'admin')::text, NULL::text;
END
$$;
